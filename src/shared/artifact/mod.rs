//! Artifacts: the unit that build makes, publish uploads and install unpacks.
//!
//! Owns artifact names (`name`), SHA-256 sidecars (`sidecar`), the ARTIFACTS.md ledger
//! (`ledger`), the Feature's index (`index`), the upstream record (`upstream`), reproducible
//! packing (`pack`) and safe unpacking (`unpack`). The gate checks the ledger
//! (`gate::ledger`); the pipeline builds, publishes and installs; `[artifacts]` is read by
//! `config::artifacts`.

pub mod index;
pub mod ledger;
pub mod name;
pub mod pack;
pub mod sidecar;
pub mod stale;
pub mod unpack;
pub mod upstream;

use std::path::{Path, PathBuf};

pub use ledger::{Entry, Ledger, Status};
pub use name::{ArtifactName, Compression, PythonVersion, WheelhouseName};
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
