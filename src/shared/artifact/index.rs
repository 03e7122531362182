//! The Feature's index of the team's artifacts: the Activo rows of ARTIFACTS.md (version,
//! build, distro, SHA-256, release URL) as a small JSON file that `make feature` puts beside
//! the Feature's binary. With it, `"version": "3.11.2"` alone installs the right artifact: the
//! newest Activo build of that version for the image's distro, verified against the ledger's
//! SHA-256 (BR-002). `check feature` reports an index that no longer agrees with the ledger.
//!
//! spec[impl SPEC_INFRA_001]

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::ledger::{Entry, Status};
use super::{Digest, PythonVersion};

/// The file name of the index in a Feature folder.
pub const FILE_NAME: &str = "artifacts.json";
/// The format this code writes and reads.
pub const SCHEMA: u32 = 1;
/// An index is a few rows; a bigger file is not one.
pub const MAX_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Index {
    pub schema: u32,
    pub artifacts: Vec<Row>,
}

/// One Activo row of the ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub version: String,
    pub build: u32,
    pub distro: String,
    pub sha256: String,
    /// The release URL, or `-` while the row is not published.
    pub url: String,
}

/// Why no row answers a request; each says what the index does have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    #[error("the Feature's index has no Activo build of Python {version}; it has {available}")]
    Version { version: PythonVersion, available: String },
    #[error("the Feature's index has Python {version} for {available}, not for this image's distro `{distro}`")]
    Distro { version: PythonVersion, distro: String, available: String },
    #[error("Python {version} build {build} for {distro} is in the Feature's index but not published yet (no URL)")]
    Unpublished { version: PythonVersion, build: u32, distro: String },
}

impl Missing {
    pub fn hint(&self) -> String {
        match self {
            Missing::Version { .. } => "set \"version\" to one the index lists, or build and publish that version, then run `make feature` again".to_owned(),
            Missing::Distro { .. } => "build the artifact on that distro (BR-001: ubuntu20.04, ubuntu24.04, debian12) and publish it, then run `make feature` again; or use an image of a distro the index lists".to_owned(),
            Missing::Unpublished { .. } => "publish it (`specgate publish`), which fills in the ledger's URL, then run `make feature` again".to_owned(),
        }
    }
}

impl Index {
    /// The Activo rows of a ledger, newest version first, then by distro and newest build.
    pub fn from_entries(entries: &[(usize, Entry)]) -> Index {
        let mut active: Vec<&Entry> = entries.iter().map(|(_, e)| e).filter(|e| e.status == Status::Active).collect();
        active.sort_by(|a, b| (b.version, &a.distro, b.build).cmp(&(a.version, &b.distro, a.build)));
        let artifacts = active
            .into_iter()
            .map(|e| Row {
                version: e.version.to_string(),
                build: e.build,
                distro: e.distro.clone(),
                sha256: e.sha256.to_hex(),
                url: e.url.clone(),
            })
            .collect();
        Index { schema: SCHEMA, artifacts }
    }

    /// The index as written to disk: pretty JSON, one trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("an index serializes");
        text.push('\n');
        text
    }

    /// Read an index file (a regular file, within 1 MiB, of the known schema).
    pub fn read(path: &Path) -> Result<Index, String> {
        Index::parse(&crate::shared::readfile::text(path, MAX_BYTES).map_err(|e| e.to_string())?)
    }

    /// Parse an index's text.
    pub fn parse(text: &str) -> Result<Index, String> {
        let index: Index = serde_json::from_str(text).map_err(|e| format!("it is not a Feature index ({e})"))?;
        if index.schema != SCHEMA {
            return Err(format!("its schema is {}, this specgate reads {SCHEMA}", index.schema));
        }
        for row in &index.artifacts {
            if row.version.parse::<PythonVersion>().is_err() || Digest::from_hex(&row.sha256).is_none() {
                return Err(format!("the row {row:?} has no valid version or SHA-256"));
            }
        }
        Ok(index)
    }

    /// The newest published build of `version` for `distro`.
    pub fn select(&self, version: PythonVersion, distro: &str) -> Result<&Row, Missing> {
        let wanted = version.to_string();
        let of_version: Vec<&Row> = self.artifacts.iter().filter(|r| r.version == wanted).collect();
        if of_version.is_empty() {
            let mut versions: Vec<&str> = self.artifacts.iter().map(|r| r.version.as_str()).collect();
            versions.dedup();
            return Err(Missing::Version { version, available: listing(&versions, "no artifact at all") });
        }
        let Some(newest) = of_version.iter().filter(|r| r.distro == distro).max_by_key(|r| r.build) else {
            let mut distros: Vec<&str> = of_version.iter().map(|r| r.distro.as_str()).collect();
            distros.sort_unstable();
            distros.dedup();
            return Err(Missing::Distro { version, distro: distro.to_owned(), available: listing(&distros, "") });
        };
        // A newer build not yet published does not hide a published one.
        match of_version.iter().filter(|r| r.distro == distro && r.url != "-").max_by_key(|r| r.build) {
            Some(row) => Ok(row),
            None => Err(Missing::Unpublished { version, build: newest.build, distro: distro.to_owned() }),
        }
    }
}

/// How `index` differs from `expected` (the ledger now), one phrase per row; empty when equal.
pub fn differences(index: &Index, expected: &Index) -> Vec<String> {
    let key = |r: &Row| format!("{} build {} for {}", r.version, r.build, r.distro);
    let mut out = Vec::new();
    for row in &expected.artifacts {
        match index.artifacts.iter().find(|r| key(r) == key(row)) {
            None => out.push(format!("{} is Activo in the ledger but not in the index", key(row))),
            Some(found) if found != row => out.push(format!("{} changed in the ledger (SHA-256 or URL)", key(row))),
            Some(_) => {}
        }
    }
    for row in &index.artifacts {
        if !expected.artifacts.iter().any(|r| key(r) == key(row)) {
            out.push(format!("{} is in the index but no longer Activo in the ledger", key(row)));
        }
    }
    out
}

fn listing(items: &[&str], empty: &str) -> String {
    if items.is_empty() {
        empty.to_owned()
    } else {
        items.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(version: &str, build: u32, distro: &str, url: &str, status: Status) -> (usize, Entry) {
        let entry = Entry {
            version: version.parse().unwrap(),
            build,
            distro: distro.to_owned(),
            date: "2026-01-01".to_owned(),
            sha256: Digest([build as u8; 32]),
            url: url.to_owned(),
            status,
        };
        (0, entry)
    }

    fn index() -> Index {
        Index::from_entries(&[
            entry("3.11.2", 1, "debian12", "https://x/1", Status::Active),
            entry("3.11.2", 2, "debian12", "https://x/2", Status::Active),
            entry("3.11.2", 3, "debian12", "-", Status::Active),
            entry("3.11.2", 1, "ubuntu20.04", "https://x/u", Status::Active),
            entry("3.12.6", 1, "ubuntu24.04", "-", Status::Active),
            entry("3.10.9", 1, "debian12", "https://x/old", Status::Deprecated),
        ])
    }

    #[test]
    fn the_index_holds_the_activo_rows_and_round_trips() {
        let index = index();
        assert_eq!(index.artifacts.len(), 5, "the Deprecado row is left out");
        assert_eq!(index.artifacts[0].version, "3.12.6", "newest version first");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, index.to_json()).unwrap();
        assert_eq!(Index::read(&path).unwrap(), index);
    }

    #[test]
    fn select_takes_the_newest_published_build_and_says_what_is_there() {
        let index = index();
        let v = |text: &str| text.parse::<PythonVersion>().unwrap();
        // Build 3 has no URL yet: build 2 is the newest published one.
        assert_eq!(index.select(v("3.11.2"), "debian12").unwrap().url, "https://x/2");
        assert_eq!(index.select(v("3.11.2"), "ubuntu20.04").unwrap().url, "https://x/u");
        let missing = index.select(v("3.13.0"), "debian12").unwrap_err();
        assert_eq!(
            missing.to_string(),
            "the Feature's index has no Activo build of Python 3.13.0; it has 3.12.6, 3.11.2"
        );
        let missing = index.select(v("3.11.2"), "ubuntu24.04").unwrap_err();
        assert!(missing.to_string().contains("for debian12, ubuntu20.04, not for this image's distro `ubuntu24.04`"));
        let missing = index.select(v("3.12.6"), "ubuntu24.04").unwrap_err();
        assert!(matches!(missing, Missing::Unpublished { build: 1, .. }), "{missing}");
    }

    #[test]
    fn a_file_that_is_not_an_index_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        for bad in ["[]", "{\"schema\": 2, \"artifacts\": []}", "{\"schema\": 1, \"artifacts\": [{\"version\": \"3\", \"build\": 1, \"distro\": \"d\", \"sha256\": \"00\", \"url\": \"-\"}]}"] {
            std::fs::write(&path, bad).unwrap();
            assert!(Index::read(&path).is_err(), "{bad}");
        }
    }
}
