//! `[artifacts]`: where artifacts and the ledger live, how many builds stay Activo (BR-005),
//! and the limits on what an archive may hold when it is unpacked or read.

use std::path::Path;

use serde::Deserialize;

use super::{shorten, Invalid, KeyPath};
use crate::shared::artifact::unpack::Limits;

/// `[artifacts]` in specgate.toml, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawArtifacts {
    folder: Option<String>,
    ledger: Option<String>,
    max_active: Option<u32>,
    unpack_max_entries: Option<u64>,
    unpack_max_bytes: Option<u64>,
}

/// `[artifacts]`, validated.
#[derive(Debug, Clone)]
pub struct ArtifactsConfig {
    /// Where artifacts and sidecars live, relative to the repository root.
    pub folder: String,
    /// The ledger, relative to the repository root (default `<folder>/ARTIFACTS.md`, where the
    /// spec puts it).
    pub ledger: String,
    /// At most this many Activo builds per version line and distro (BR-005).
    pub max_active: u32,
    pub limits: Limits,
}

impl Default for ArtifactsConfig {
    fn default() -> ArtifactsConfig {
        RawArtifacts::default().validate().expect("the built-in defaults are valid")
    }
}

impl RawArtifacts {
    /// Resolve defaults and check values; the error names the key and where it is.
    pub fn validate(self) -> Result<ArtifactsConfig, Invalid> {
        let at = |key: &str| KeyPath::new("artifacts").key(key);
        let clean = |key: &str, value: String| -> Result<String, Invalid> {
            let value = value.trim_start_matches("./").trim_end_matches('/').to_owned();
            if value.is_empty() || Path::new(&value).is_absolute() || value.split('/').any(|p| p == "..") {
                return Err(Invalid::new(
                    at(key),
                    format!(
                        "`artifacts.{key}` must be a path inside the repository (relative, without `..`), not `{}`",
                        shorten(&value)
                    ),
                ));
            }
            Ok(value)
        };
        let folder = clean("folder", self.folder.unwrap_or_else(|| "artifacts".to_owned()))?;
        let ledger = match self.ledger {
            Some(ledger) => clean("ledger", ledger)?,
            None => format!("{folder}/ARTIFACTS.md"),
        };
        let max_active = self.max_active.unwrap_or(3);
        if max_active == 0 {
            return Err(Invalid::new(at("max-active"), "`artifacts.max-active` must be at least 1"));
        }
        let defaults = Limits::default();
        let limits = Limits {
            max_entries: self.unpack_max_entries.unwrap_or(defaults.max_entries),
            max_bytes: self.unpack_max_bytes.unwrap_or(defaults.max_bytes),
        };
        for (key, value) in [("unpack-max-entries", limits.max_entries), ("unpack-max-bytes", limits.max_bytes)] {
            if value == 0 {
                return Err(Invalid::new(at(key), format!("`artifacts.{key}` must be at least 1")));
            }
        }
        Ok(ArtifactsConfig { folder, ledger, max_active, limits })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::shared::config::Config;

    #[test]
    fn artifacts_section_defaults_and_overrides() {
        let defaults = Config::defaults().artifacts;
        assert_eq!(defaults.folder, "artifacts");
        assert_eq!(defaults.ledger, "artifacts/ARTIFACTS.md");
        assert_eq!(defaults.max_active, 3);
        let config = Config::parse(
            "[artifacts]\nfolder = \"./infrastructure/cpython/artifacts/\"\nmax-active = 5\nunpack-max-entries = 10\n",
            Path::new("specgate.toml"),
        )
        .unwrap()
        .artifacts;
        assert_eq!(config.folder, "infrastructure/cpython/artifacts");
        assert_eq!(config.ledger, "infrastructure/cpython/artifacts/ARTIFACTS.md");
        assert_eq!(config.max_active, 5);
        assert_eq!(config.limits.max_entries, 10);
    }

    #[test]
    fn bad_artifacts_values_are_errors() {
        for (text, needle) in [
            ("[artifacts]\nfolder = \"../elsewhere\"\n", "artifacts.folder"),
            ("[artifacts]\nmax-active = 0\n", "max-active"),
            ("[artifacts]\nledgr = \"x\"\n", "unknown field `ledgr`"),
        ] {
            let error = Config::parse(text, Path::new("specgate.toml")).unwrap_err().to_string();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }
}
