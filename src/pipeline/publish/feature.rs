//! The Dev Container Feature as a release asset, so other repositories reference it by URL
//! instead of copying the folder (SPEC_INFRA_001 4.4, "the Feature is reusable"): the folder
//! packed the way `devcontainer features package` packs one, `devcontainer-feature-<id>.tgz`
//! with the folder's files at its root, reproducibly (sorted, fixed times and owners), beside
//! its `.sha256` sidecar, in the release `feature-<id>-v<version>`.
//!
//! spec[impl SPEC_INFRA_001]

use std::io::Write as _;
use std::path::Path;

use super::{Error, LocalAsset};

/// The files a published Feature must hold: what the devcontainers CLI runs, the static
/// binary and the index `make feature` writes.
const REQUIRED: &[&str] = &["devcontainer-feature.json", "install.sh", "specgate", "artifacts.json"];
/// Also packed when present.
const OPTIONAL: &[&str] = &["README.md"];
/// A Feature folder is a manifest, a script, a 15 MB binary and an index.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// A Feature folder ready to publish.
pub struct Packed {
    pub id: String,
    pub version: String,
    /// The tarball and its sidecar.
    pub assets: Vec<LocalAsset>,
}

impl Packed {
    /// The release of this Feature version.
    pub fn tag(&self) -> String {
        format!("feature-{}-v{}", self.id, self.version)
    }
}

/// Pack the Feature folder `dir`. Refused when a required file is missing (with how to make
/// it) or the manifest has no `id` and `version`.
pub fn pack(dir: &Path) -> Result<Packed, Error> {
    let refuse = |reason: String| Error::Feature { dir: dir.to_path_buf(), reason };
    for name in REQUIRED {
        if !dir.join(name).is_file() {
            return Err(refuse(format!("it has no `{name}`")));
        }
    }
    let manifest = read(dir, "devcontainer-feature.json")?;
    let parsed: serde_json::Value = serde_json::from_slice(&manifest)
        .map_err(|e| refuse(format!("devcontainer-feature.json is not JSON ({e})")))?;
    let field = |key: &str| parsed.get(key).and_then(|v| v.as_str()).filter(|v| !v.is_empty()).map(str::to_owned);
    let (Some(id), Some(version)) = (field("id"), field("version")) else {
        return Err(refuse("devcontainer-feature.json has no `id` and `version`".to_owned()));
    };
    let name_ok = |text: &str| text.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if !name_ok(&id) || !name_ok(&version) {
        return Err(refuse(format!("the id `{id}` or version `{version}` has characters a release tag cannot take")));
    }
    let mut tarball = Vec::new();
    {
        let gzip = flate2::write::GzEncoder::new(&mut tarball, flate2::Compression::best());
        let mut builder = tar::Builder::new(gzip);
        let mut names: Vec<&str> = REQUIRED.iter().chain(OPTIONAL).copied().filter(|n| dir.join(n).is_file()).collect();
        names.sort_unstable();
        for name in names {
            let bytes = read(dir, name)?;
            let mut header = tar::Header::new_ustar();
            header.set_size(bytes.len() as u64);
            header.set_mode(if matches!(name, "install.sh" | "specgate") { 0o755 } else { 0o644 });
            header.set_mtime(0);
            header.set_uid(0);
            header.set_gid(0);
            header.set_entry_type(tar::EntryType::Regular);
            header.set_cksum();
            builder
                .append_data(&mut header, name, bytes.as_slice())
                .map_err(|e| Error::io("pack", &dir.join(name), e))?;
        }
        let gzip = builder.into_inner().map_err(|e| Error::io("pack", dir, e))?;
        gzip.finish().map_err(|e| Error::io("pack", dir, e))?;
    }
    let name = format!("devcontainer-feature-{id}.tgz");
    let tarball_asset = LocalAsset::bytes(name.clone(), tarball, "application/gzip");
    let mut sidecar = Vec::new();
    let _ = writeln!(sidecar, "{}  {name}", tarball_asset.sha256);
    let assets = vec![tarball_asset, LocalAsset::bytes(format!("{name}.sha256"), sidecar, "text/plain")];
    Ok(Packed { id, version, assets })
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, Error> {
    let path = dir.join(name);
    crate::shared::readfile::regular(&path, MAX_FILE_BYTES)
        .map_err(|e| Error::Feature { dir: dir.to_path_buf(), reason: format!("`{name}`: {e}") })
}
