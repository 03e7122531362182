//! Artifacts: the unit that build makes, publish uploads and install unpacks.
//!
//! Owns artifact names (`name`), SHA-256 sidecars (`sidecar`), the ARTIFACTS.md ledger
//! (`ledger`), reproducible packing (`pack`), safe unpacking (`unpack`), the `[artifacts]`
//! configuration and the rules of `specgate check ledger` (`check`). Leaves downloading to
//! `http`/install, publishing to publish, and printing to `commands/`.

pub mod index;
pub mod ledger;
pub mod name;
pub mod pack;
pub mod sidecar;
pub mod unpack;
pub mod upstream;

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::shared::config::{shorten, Invalid, KeyPath};
pub use ledger::{Entry, Ledger, Status};
pub use name::{ArtifactName, Compression, PythonVersion};
pub use sidecar::{Digest, Sidecar};
pub use unpack::Limits;

/// What went wrong while handling an artifact; each variant names the object and keeps the cause.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Name(#[from] name::NameError),
    #[error("sidecar `{}` is not usable: {reason}", path.display())]
    Sidecar { path: PathBuf, reason: String },
    #[error("checksum mismatch for `{}`: expected {expected} (from {source_of_expected}), computed {actual}", path.display())]
    Mismatch { path: PathBuf, expected: Digest, actual: Digest, source_of_expected: String },
    #[error("`{}` is not a readable archive: {reason}", path.display())]
    Archive { path: PathBuf, reason: String },
    #[error("refused to unpack `{}`: member `{member}` {reason}", path.display())]
    Unsafe { path: PathBuf, member: String, reason: String },
    #[error("refused to unpack `{}`: {reason}", path.display())]
    Limit { path: PathBuf, reason: String },
    #[error("cannot pack `{}`: {reason}", path.display())]
    Stage { path: PathBuf, reason: String },
    #[error("ledger `{}`: {reason}", path.display())]
    Ledger { path: PathBuf, reason: String },
}

impl Error {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Io { action, path: path.to_path_buf(), source }
    }

    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::Io { .. } => "check that the path exists and that you may read and write it".to_owned(),
            Error::Name(_) => "rename the file to the expected form; `specgate package` names artifacts itself".to_owned(),
            Error::Sidecar { .. } => "recreate the sidecar with `sha256sum <artifact> > <artifact>.sha256` in the artifact's folder, or repackage with `specgate package`".to_owned(),
            Error::Mismatch { .. } => "the file changed or is incomplete; download or build it again, and never edit a digest by hand to make it match".to_owned(),
            Error::Archive { .. } => "the archive is truncated or corrupt; download or build it again".to_owned(),
            Error::Unsafe { .. } => "the archive was not made by `specgate package`; do not install it, and report where it came from".to_owned(),
            Error::Limit { .. } => "raise `[artifacts] unpack-max-entries` or `unpack-max-bytes` in specgate.toml only if you trust this archive".to_owned(),
            Error::Stage { .. } => "STAGE_DIR must be the DESTDIR of `make install`, holding `opt/python-X.Y.Z/`".to_owned(),
            Error::Ledger { .. } => "run `specgate check ledger` to see every problem of the ledger with its line".to_owned(),
        })
    }
}

// ---------------------------------------------------------------- configuration

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
