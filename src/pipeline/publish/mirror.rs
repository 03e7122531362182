//! The mirror target: the same files as the release, in one flat folder any static HTTP server
//! can serve, so `<tarball URL>.sha256` sits next to the tarball and `specgate install
//! --mirror URL` (which appends the artifact's file name) finds both:
//!
//! ```text
//! DIR/<artifact>                 the tarball, cpython-3.12.6-debian12-build1.tgz
//! DIR/<artifact>.sha256          its sidecar (sha256sum format)
//! DIR/<artifact>.asc             the detached signature, when signing
//! DIR/LICENSE-<tag>              the PSF LICENSE of the release, LICENSE-cpython-3.12.6-build1
//! ```
//!
//! Files are copied through a temp file and renamed into place, so a server never serves half a
//! file; an equal file already there is left alone; a different one is refused unless replacing.
//!
//! spec[impl SPEC_INFRA_001]

use std::io;
use std::path::{Path, PathBuf};

use super::{Error, LocalAsset, Source};
use crate::shared::artifact::sidecar;

/// Where an asset of the release `tag` lives in the mirror: its own name, except the
/// release's LICENSE, which is `LICENSE-<tag>` (one per release, as on GitHub).
pub fn path_of(root: &Path, tag: &str, asset: &str) -> PathBuf {
    if asset == super::LICENSE_ASSET {
        root.join(format!("{}-{tag}", super::LICENSE_ASSET))
    } else {
        root.join(asset)
    }
}

/// What is at a mirror path compared with a local asset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Missing,
    Same,
    Different { size: u64, sha256: String },
}

pub fn state(path: &Path, asset: &LocalAsset) -> Result<State, Error> {
    match std::fs::metadata(path) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(State::Missing),
        Err(source) => Err(Error::io("read", path, source)),
        Ok(meta) => {
            let digest = sidecar::sha256_file(path)?;
            if meta.len() == asset.size && digest.to_hex() == asset.sha256 {
                Ok(State::Same)
            } else {
                Ok(State::Different { size: meta.len(), sha256: digest.to_hex() })
            }
        }
    }
}

/// Copy one asset into place atomically.
pub fn place(path: &Path, asset: &LocalAsset) -> Result<(), Error> {
    let folder = path.parent().expect("a mirror path has a folder");
    std::fs::create_dir_all(folder).map_err(|source| Error::io("create", folder, source))?;
    match &asset.source {
        Source::File(from) => {
            crate::shared::atomic::copy(from, path).map_err(|source| Error::io("copy", from, source))?
        }
        Source::Bytes(bytes) => {
            crate::shared::atomic::write(path, bytes).map_err(|source| Error::io("write", path, source))?
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644));
    }
    Ok(())
}
