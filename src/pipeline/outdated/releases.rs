//! python.org's release index (`/api/v2/downloads/release/`) and a release's files
//! (`/api/v2/downloads/release_file/?release=<id>`), read as untrusted JSON: every field is
//! checked for its type, a release whose name is not `Python X.Y.Z` is skipped and counted, and
//! pre-releases and unpublished releases never count as updates.

use serde_json::Value;

use super::version::Version;
use crate::shared::artifact::PythonVersion;

/// One published final release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub version: PythonVersion,
    /// `YYYY-MM-DD`, when python.org gives a date.
    pub date: Option<String>,
    /// python.org's numeric id of the release (from `resource_uri`), for its files.
    pub id: Option<u64>,
}

/// The index: final releases, and what was passed over.
#[derive(Debug, Clone, Default)]
pub struct Index {
    pub releases: Vec<Release>,
    /// Pre-releases and unpublished releases (never updates).
    pub pre_releases: usize,
    /// Names that are not `Python X.Y.Z`, as given (at most 5 kept, cut to 60 characters).
    pub unreadable: Vec<String>,
    pub unreadable_count: usize,
}

impl Index {
    /// Parse the JSON list. An answer that is not a list, or a list without one readable final
    /// release, is an error: the index is unusable, and "nothing is newer" must not be inferred
    /// from it.
    pub fn parse(bytes: &[u8]) -> Result<Index, String> {
        let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("it is not JSON ({e})"))?;
        let Value::Array(items) = value else {
            return Err(format!("it is a JSON {}, not the list of releases", kind(&value)));
        };
        if items.is_empty() {
            return Err("the list of releases is empty".to_owned());
        }
        let mut index = Index::default();
        for item in &items {
            let Value::Object(object) = item else {
                return Err(format!("an entry of the list is a JSON {}, not a release object", kind(item)));
            };
            let name = object.get("name").and_then(Value::as_str).unwrap_or("");
            let flag = |key: &str| object.get(key).and_then(Value::as_bool);
            let version = name.strip_prefix("Python ").and_then(Version::parse);
            match version {
                None => {
                    index.unreadable_count += 1;
                    if index.unreadable.len() < 5 {
                        index.unreadable.push(name.chars().take(60).collect());
                    }
                }
                Some(version) if !version.is_final() || flag("pre_release") != Some(false) => {
                    // A release must say `pre_release: false` to count: a missing flag is not
                    // taken as "final".
                    index.pre_releases += 1;
                }
                Some(_) if flag("is_published") == Some(false) => index.pre_releases += 1,
                Some(version) => {
                    let date = object
                        .get("release_date")
                        .and_then(Value::as_str)
                        .and_then(|d| d.get(..10))
                        .filter(|d| crate::shared::formats::is_iso_date(d))
                        .map(str::to_owned);
                    let id = object.get("resource_uri").and_then(Value::as_str).and_then(release_id);
                    index.releases.push(Release { version: version.release, date, id });
                }
            }
        }
        if index.releases.is_empty() {
            return Err(format!(
                "it lists {} entries but no published final release named `Python X.Y.Z`",
                items.len()
            ));
        }
        index.releases.sort_by_key(|r| r.version);
        index.releases.dedup_by(|a, b| a.version == b.version);
        Ok(index)
    }

    /// The newest final release of the line `major.minor`.
    pub fn newest_of_line(&self, major: u32, minor: u32) -> Option<&Release> {
        self.releases.iter().rev().find(|r| r.version.major == major && r.version.minor == minor)
    }

    /// Final releases of the same line newer than `version`, oldest first.
    pub fn newer_patches(&self, version: PythonVersion) -> Vec<&Release> {
        self.releases
            .iter()
            .filter(|r| r.version.major == version.major && r.version.minor == version.minor && r.version > version)
            .collect()
    }

    /// The newest release of each line newer than `version`'s (same major), oldest line first.
    pub fn newer_lines(&self, version: PythonVersion) -> Vec<&Release> {
        let mut lines: Vec<&Release> = Vec::new();
        for release in &self.releases {
            if release.version.major == version.major && release.version.minor > version.minor {
                match lines.last_mut() {
                    Some(last) if last.version.minor == release.version.minor => *last = release,
                    _ => lines.push(release),
                }
            }
        }
        lines
    }
}

/// `.../release/835/` to 835.
fn release_id(uri: &str) -> Option<u64> {
    let last = uri.trim_end_matches('/').rsplit('/').next()?;
    (!last.is_empty() && last.len() <= 12 && last.bytes().all(|b| b.is_ascii_digit())).then(|| last.parse().ok())?
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

/// A source tarball of a release, as python.org lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    pub url: String,
    /// Lowercase hex; empty when python.org publishes none.
    pub sha256: String,
    /// The `.asc` URL, empty when there is none.
    pub gpg_signature: String,
    /// The `.sigstore` bundle URL, empty when there is none.
    pub sigstore_bundle: String,
}

/// The source tarball among a release's files: `is_source`, a `Python-X.Y.Z.tar.xz` (preferred,
/// smaller) or `.tgz` URL over https.
pub fn source_file(bytes: &[u8], version: PythonVersion) -> Result<SourceFile, String> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| format!("it is not JSON ({e})"))?;
    let Value::Array(items) = value else {
        return Err(format!("it is a JSON {}, not the list of the release's files", kind(&value)));
    };
    let text = |object: &serde_json::Map<String, Value>, key: &str| {
        object.get(key).and_then(Value::as_str).unwrap_or("").trim().to_owned()
    };
    let mut found: Vec<SourceFile> = Vec::new();
    for item in &items {
        let Value::Object(object) = item else { continue };
        if object.get("is_source").and_then(Value::as_bool) != Some(true) {
            continue;
        }
        let url = text(object, "url");
        let file_name = url.rsplit('/').next().unwrap_or("");
        let expected = [format!("Python-{version}.tar.xz"), format!("Python-{version}.tgz")];
        if !url.starts_with("https://") || !expected.iter().any(|e| e == file_name) {
            continue;
        }
        found.push(SourceFile {
            url,
            sha256: text(object, "sha256_sum").to_ascii_lowercase(),
            gpg_signature: text(object, "gpg_signature_file"),
            sigstore_bundle: text(object, "sigstore_bundle_file"),
        });
    }
    found.sort_by_key(|f| !f.url.ends_with(".tar.xz"));
    found.into_iter().next().ok_or_else(|| {
        format!(
            "it lists {} files but no source tarball `Python-{version}.tar.xz` or `Python-{version}.tgz` over https",
            items.len()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(name: &str, pre: bool) -> String {
        format!(
            r#"{{"name": "{name}", "is_published": true, "pre_release": {pre}, "release_date": "2024-04-02T12:00:00Z", "resource_uri": "https://www.python.org/api/v2/downloads/release/877/"}}"#
        )
    }

    #[test]
    fn the_index_keeps_final_published_releases_only() {
        let json = format!(
            "[{}, {}, {}, {}, {}, {}]",
            release("Python 3.11.2", false),
            release("Python 3.11.9", false),
            release("Python 3.11.10rc1", true),
            release("Python 3.12.0rc2", false),
            release("Python 3.11", false),
            release("Python 3.13.5", false)
        );
        let index = Index::parse(json.as_bytes()).unwrap();
        let versions: Vec<String> = index.releases.iter().map(|r| r.version.to_string()).collect();
        assert_eq!(versions, ["3.11.2", "3.11.9", "3.13.5"]);
        assert_eq!(index.pre_releases, 2, "a pre-release name counts as one even when the flag says otherwise");
        assert_eq!(index.unreadable, ["Python 3.11"]);
        assert_eq!(index.releases[1].date.as_deref(), Some("2024-04-02"));
        assert_eq!(index.releases[1].id, Some(877));
        let v = PythonVersion::parse("3.11.2").unwrap();
        assert_eq!(index.newer_patches(v).len(), 1);
        assert_eq!(index.newer_lines(v)[0].version.to_string(), "3.13.5");
        assert_eq!(index.newest_of_line(3, 11).unwrap().version.to_string(), "3.11.9");
    }

    #[test]
    fn an_unusable_index_is_an_error_not_an_empty_answer() {
        for (json, needle) in [
            ("", "not JSON"),
            ("{\"name\": \"Python 3.11.9\"}", "JSON object, not the list"),
            ("[]", "empty"),
            ("[1]", "JSON number, not a release object"),
            (r#"[{"name": "Python 3.12.0b1", "pre_release": true}]"#, "no published final release"),
            (r#"[{"name": "Python 3.11.9"}]"#, "no published final release"),
            ("[{\"name\": \"Python 3.11.9\", \"pre_release\": false", "not JSON"),
        ] {
            let error = Index::parse(json.as_bytes()).unwrap_err();
            assert!(error.contains(needle), "{json}: {error}");
        }
    }

    #[test]
    fn the_source_tarball_is_picked_from_the_release_files() {
        let v = PythonVersion::parse("3.11.9").unwrap();
        let json = r#"[
            {"url": "https://www.python.org/ftp/python/3.11.9/python-3.11.9-amd64.exe", "is_source": false, "sha256_sum": "aa"},
            {"url": "https://www.python.org/ftp/python/3.11.9/Python-3.11.9.tgz", "is_source": true, "sha256_sum": "AB", "gpg_signature_file": "x.asc", "sigstore_bundle_file": ""},
            {"url": "https://www.python.org/ftp/python/3.11.9/Python-3.11.9.tar.xz", "is_source": true, "sha256_sum": "cd", "gpg_signature_file": "y.asc"},
            {"url": "http://evil.example/Python-3.11.9.tar.xz", "is_source": true, "sha256_sum": "ef"},
            "junk"
        ]"#;
        let file = source_file(json.as_bytes(), v).unwrap();
        assert!(file.url.ends_with("Python-3.11.9.tar.xz"), "{file:?}");
        assert_eq!(file.sha256, "cd");
        let other = PythonVersion::parse("3.11.8").unwrap();
        assert!(source_file(json.as_bytes(), other).unwrap_err().contains("no source tarball"));
        assert!(source_file(b"{}", v).unwrap_err().contains("not the list"));
    }
}
