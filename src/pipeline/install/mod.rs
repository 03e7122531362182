//! Install a prebuilt CPython artifact: resolve the expected SHA-256 (BR-002), fetch into a
//! content-addressed cache, verify before the tar parser sees a byte, unpack into staging,
//! validate the interpreter, write the receipt last, rename into `/opt/python-X.Y.Z` in one
//! step, then swap the links (UC-2, CA-003, CA-004, BR-006, CP-007).
//!
//! Owns fetching (`fetch`), the installed layout and the lock (`layout`) and the interpreter
//! check (`validate`). Never prints: progress goes through `Event`s to the caller.
//!
//! spec[impl SPEC_INFRA_001]

pub mod fetch;
pub mod layout;
pub mod validate;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::shared::artifact::{self, ArtifactName, Compression, Digest, Limits, PythonVersion};
use crate::shared::http;
pub use fetch::{Expected, Location};
pub use layout::{Layout, Receipt};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{url}` is not a usable artifact location: {reason}")]
    Url { url: String, reason: String },
    #[error("no expected SHA-256 for `{url}`: {looked}")]
    NoDigest { url: String, looked: String },
    #[error("the sidecar `{at}` is not usable: {reason}")]
    BadSidecar { at: String, reason: String },
    #[error(
        "checksum mismatch for `{url}`: expected {expected} (from {expected_from}), downloaded {size} bytes with {actual}"
    )]
    Mismatch { url: String, expected: Digest, actual: Digest, size: u64, expected_from: String },
    #[error("the artifact `{name}` is for {found}, but --version is {wanted}")]
    WrongVersion { name: String, found: PythonVersion, wanted: PythonVersion },
    #[error("the unpacked artifact does not work: {reason}")]
    Invalid { reason: String, hint: String },
    #[error("could not {action} `{}`", path.display())]
    Fs {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("another install holds the lock `{}` and did not finish within {} s", path.display(), waited.as_secs())]
    LockTimeout { path: PathBuf, waited: Duration },
    #[error("Python {version} is not installed under `{}`", root.display())]
    NotInstalled { version: PythonVersion, root: PathBuf },
    #[error("Python {version} is the active python3; uninstalling it would leave python3 pointing at nothing")]
    Active { version: PythonVersion },
    #[error("no signature for `{url}`: {reason}")]
    NoSignature { url: String, reason: String },
    #[error("the signature of `{url}` does not verify")]
    Signature {
        url: String,
        #[source]
        source: crate::pipeline::gpg::Error,
    },
    #[error("Python {version} is in place at `{}`, but its {what} could not be written", prefix.display())]
    Unfinished {
        version: PythonVersion,
        prefix: PathBuf,
        what: &'static str,
        #[source]
        source: Box<Error>,
    },
    #[error(transparent)]
    Artifact(#[from] artifact::Error),
    #[error(transparent)]
    Http(#[from] http::Error),
}

impl Error {
    pub(crate) fn fs(action: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Fs { action, path: path.to_path_buf(), source }
    }

    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::Url { .. } => "pass an https:// URL, a loopback http:// URL (others need --allow-http), a file:// URL or a path".to_owned(),
            Error::NoDigest { .. } => "pass --sha256 with the digest from ARTIFACTS.md, publish the `<artifact>.sha256` sidecar next to the artifact, or pass --ledger ARTIFACTS.md; installing unverified bytes is refused (BR-002)".to_owned(),
            Error::BadSidecar { .. } => "the sidecar must be one line `<64 hex>  <artifact file name>`, as `sha256sum` writes it".to_owned(),
            Error::Mismatch { .. } => "the download is corrupt, truncated or not the artifact the digest was recorded for; nothing was installed. Check the URL and the digest in ARTIFACTS.md (docs/troubleshooting-install.md); a mismatch is never retried".to_owned(),
            Error::WrongVersion { .. } => "pass the version the artifact holds, or the URL of the artifact for this version".to_owned(),
            Error::Invalid { hint, .. } => format!("{hint}; nothing was installed and any previous installation is untouched"),
            Error::Fs { source, action, .. } => match source.kind() {
                std::io::ErrorKind::StorageFull => "the file system is full; free space (the tree needs about 3 times the artifact's size while installing) and run the command again; nothing was installed".to_owned(),
                std::io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only; install into a writable root with --root, or remount it".to_owned(),
                std::io::ErrorKind::PermissionDenied => "run as root (the Dev Container Feature does), or install into a folder you own with --root".to_owned(),
                _ if matches!(*action, "open" | "read") => "check that the path exists and that you may read it".to_owned(),
                _ => "check that the path exists and that you may write it".to_owned(),
            },
            Error::LockTimeout { .. } => "wait for the other install to finish, or raise --lock-timeout; a killed install releases the lock by itself".to_owned(),
            Error::NotInstalled { .. } => "`specgate list` shows what is installed".to_owned(),
            Error::Active { version } => format!("`specgate use` another version first, or pass --force to remove {version} and its python3/pip3 links"),
            Error::NoSignature { .. } => "publish `<artifact>.asc` next to the artifact (`specgate publish --sign`), or install without --signing-key only if your team does not sign".to_owned(),
            Error::Signature { source, .. } => match source.hint() {
                Some(hint) => format!("{hint}; nothing was installed"),
                None => "nothing was installed".to_owned(),
            },
            Error::Unfinished { .. } => "fix the cause above (free space on that file system, or its permissions), then run the same command again: it sees the missing parts and writes them, without downloading again".to_owned(),
            Error::Artifact(error) => return error.hint(),
            Error::Http(error) => return error.hint(),
        })
    }
}

/// What `install` was asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    pub version: PythonVersion,
    pub url: String,
    pub sha256: Option<Digest>,
    /// The index `sha256` comes from, when the URL was chosen from one (`--index`).
    pub sha256_from_index: Option<PathBuf>,
    pub ledger: Option<PathBuf>,
    pub mirror: Option<String>,
    pub root: PathBuf,
    pub cache: PathBuf,
    pub force: bool,
    /// Point python3 and pip3 at this version.
    pub set_default: bool,
    pub allow_http: bool,
    pub http: http::Options,
    pub lock_timeout: Duration,
    /// Modules to import besides the required ones.
    pub modules: Vec<String>,
    /// Require `<URL>.asc`, a detached signature by this key (public key file, pinned fingerprint).
    pub signing_key: Option<(PathBuf, String)>,
    /// How long the interpreter probe and each `bin/` entry point may run (`--probe-timeout`).
    pub probe_limit: crate::shared::process::TimeLimit,
    /// How long each gpg run may take (`--gpg-timeout`).
    pub gpg_limit: crate::shared::process::TimeLimit,
}

/// Progress, for the caller to show.
#[derive(Debug)]
pub enum Event<'a> {
    /// A phase ended: name, what it did, how long it took.
    Phase(&'static str, String, Duration),
    /// Bytes downloaded so far, and the total when known.
    Bytes(u64, Option<u64>),
    Waiting(&'a Path),
    Note(String),
}

/// How an install ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    AlreadyInstalled {
        prefix: PathBuf,
    },
    /// The tree was there; only links were missing or wrong.
    LinksRepaired {
        prefix: PathBuf,
    },
    Installed {
        prefix: PathBuf,
        replaced: bool,
    },
}

/// The default cache: `SPECGATE_CACHE_DIR`, `/var/cache/specgate` as root, else the user's cache.
pub fn default_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os(crate::shared::env::CACHE_DIR).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    if rustix::process::geteuid().is_root() {
        return PathBuf::from("/var/cache/specgate/artifacts");
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("specgate/artifacts")
}

/// Is the installed tree the one asked for? Same version and, when known, the same digest;
/// without `--sha256`, the same source URL.
fn receipt_matches(receipt: &Receipt, request: &Request, url: &str) -> bool {
    receipt.version == request.version.to_string()
        && match request.sha256 {
            Some(digest) => receipt.sha256 == digest.to_hex(),
            None => receipt.source == url,
        }
}

pub fn install(request: &Request, events: &mut dyn FnMut(Event<'_>)) -> Result<Outcome, Error> {
    let location =
        match Location::parse(&fetch::apply_mirror(&request.url, request.mirror.as_deref()), request.allow_http)? {
            Location::File(path) => Location::File(std::path::absolute(&path).unwrap_or(path)),
            location => location,
        };
    let url = location.display();
    let file_name = location
        .file_name()
        .ok_or_else(|| Error::Url { url: url.clone(), reason: "it does not end in a file name".to_owned() })?;
    let compression = Compression::from_file_name(&file_name).ok_or_else(|| Error::Url {
        url: url.clone(),
        reason: format!("`{file_name}` does not end in .tgz or .tar.zst"),
    })?;
    let name = ArtifactName::parse(&file_name).ok();
    if let Some(name) = &name {
        if name.version != request.version {
            return Err(Error::WrongVersion { name: file_name, found: name.version, wanted: request.version });
        }
    }
    let layout = Layout::new(&request.root);
    let prefix = layout.prefix(request.version);

    // The fast path: a complete tree, the same artifact, the right links. No lock, no network.
    if !request.force {
        if let Some(receipt) = layout.read_receipt(request.version) {
            if receipt_matches(&receipt, request, &url)
                && layout.links_to_fix(request.version, request.set_default).is_empty()
                && ld_conf_in_place(&layout, request.version)
            {
                return Ok(Outcome::AlreadyInstalled { prefix });
            }
        }
    }

    let client = http::Client::new(request.http.clone());
    let (expected, expected_from) = expected_digest(request, &location, &file_name, &client)?;

    let start = Instant::now();
    let _lock = layout.lock(request.lock_timeout, &mut |path| events(Event::Waiting(path)))?;
    if start.elapsed() > Duration::from_millis(100) {
        events(Event::Phase("lock", "waited for another install".to_owned(), start.elapsed()));
    }
    for stale in layout.remove_stale_staging() {
        events(Event::Note(format!("removed `{}`, left by an interrupted install", stale.display())));
    }
    // Another run may have finished while this one waited: then only the links may need work.
    if !request.force {
        if let Some(receipt) = layout.read_receipt(request.version) {
            if receipt.version == request.version.to_string() && receipt.sha256 == expected.to_hex() {
                let fix = layout.links_to_fix(request.version, request.set_default);
                if fix.is_empty() && ld_conf_in_place(&layout, request.version) {
                    return Ok(Outcome::AlreadyInstalled { prefix });
                }
                finish(&layout, request.version, &fix, request.probe_limit, events)?;
                return Ok(Outcome::LinksRepaired { prefix });
            }
        }
    }

    // Fetch into the cache, verified.
    let cache = fetch::Cache { dir: request.cache.clone(), lock_wait: request.lock_timeout };
    let start = Instant::now();
    let archive = match cache.lookup(expected)? {
        Some(path) => {
            events(Event::Phase("download", format!("cached `{}`, sha256 verified", path.display()), start.elapsed()));
            path
        }
        None => {
            let mut waited = false;
            let mut progress = |done, total| events(Event::Bytes(done, total));
            let path =
                cache.store(&location, expected, &expected_from, &client, &mut progress, &mut |_| waited = true)?;
            if waited {
                events(Event::Note("waited for another run downloading the same artifact into the cache".to_owned()));
            }
            let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            events(Event::Phase(
                "download",
                format!("{} from `{}`, sha256 verified against {expected_from}", human_bytes(size), location.display()),
                start.elapsed(),
            ));
            path
        }
    };

    if let Some((key, fingerprint)) = &request.signing_key {
        let start = Instant::now();
        let signer = verify_signature(&location, &archive, expected, (key, fingerprint), &client, request.gpg_limit)?;
        events(Event::Phase("signature", format!("good signature by {signer}"), start.elapsed()));
    }

    // Unpack into staging beside the prefix; the guard removes it on any error.
    let staging = Staging(layout.new_staging()?);
    let tree = staging.0.join("tree");
    let start = Instant::now();
    let summary =
        artifact::unpack::unpack(&archive, compression, &tree, &Limits::default()).map_err(|error| match error {
            // A full or read-only file system is the install's problem, with the install's hints.
            artifact::Error::Io { action, path, source } => Error::Fs { action, path, source },
            other => Error::Artifact(other),
        })?;
    let staged = tree.join("opt").join(format!("python-{}", request.version));
    if !staged.is_dir() {
        return Err(Error::Invalid {
            reason: format!("the artifact holds no `opt/python-{}/`", request.version),
            hint: "the artifact was not made by `specgate package` for this version".to_owned(),
        });
    }
    events(Event::Phase(
        "extract",
        format!("{} files, {}", summary.files, human_bytes(summary.bytes)),
        start.elapsed(),
    ));

    let start = Instant::now();
    let mut modules: Vec<String> = crate::pipeline::probe::REQUIRED_MODULES.iter().map(|m| (*m).to_owned()).collect();
    modules.extend(request.modules.iter().cloned());
    // The entry points' HOME: inside the staging folder, removed with it.
    let home = tree.join("home");
    std::fs::create_dir_all(&home).map_err(|source| Error::Fs { action: "create", path: home.clone(), source })?;
    let entry_points = validate::validate(&staged, request.version, &modules, &home, request.probe_limit)
        .map_err(|failure| Error::Invalid { reason: failure.reason, hint: failure.hint })?;
    events(Event::Phase(
        "validate",
        format!("python {} imports {}; {entry_points} bin/ entry points run", request.version, modules.join(", ")),
        start.elapsed(),
    ));

    // The receipt is the last file written; then one rename places the whole tree.
    let start = Instant::now();
    let receipt = Receipt {
        version: request.version.to_string(),
        build: name.as_ref().map(|n| n.build),
        distro: name.as_ref().map(|n| n.distro.clone()),
        artifact: file_name.clone(),
        sha256: expected.to_hex(),
        source: url.clone(),
        installed_at: now_rfc3339(),
        installed_by: concat!("specgate ", env!("CARGO_PKG_VERSION")).to_owned(),
    };
    let receipt_path = staged.join(layout::RECEIPT);
    let json = serde_json::to_vec_pretty(&receipt).expect("a receipt serializes");
    crate::shared::atomic::write(&receipt_path, &json).map_err(|source| Error::fs("write", &receipt_path, source))?;
    let old =
        crate::shared::atomic::replace_dir(&staged, &prefix).map_err(|source| Error::fs("place", &prefix, source))?;
    let replaced = old.is_some();
    if let Some(old) = old {
        // The old tree now sits inside staging; the guard removes it with the rest.
        let _ = layout::remove_tree(&old);
    }
    finish(
        &layout,
        request.version,
        &Layout::links(request.version, request.set_default),
        request.probe_limit,
        events,
    )?;
    events(Event::Phase("link", format!("`{}`", prefix.display()), start.elapsed()));
    drop(staging);
    Ok(Outcome::Installed { prefix, replaced })
}

/// The expected digest, in the order BR-002 gives: the flag, the sidecar, the ledger.
fn expected_digest(
    request: &Request,
    location: &Location,
    file_name: &str,
    client: &http::Client,
) -> Result<(Digest, Expected), Error> {
    let flag = request
        .sha256
        .map(|digest| (digest, request.sha256_from_index.clone().map_or(Expected::Flag, Expected::Index)));
    if let Some(found) = fetch::flag_or_sidecar(flag, location, file_name, client)? {
        return Ok(found);
    }
    fetch::ledger_or_refuse(location, file_name, request.ledger.as_deref(), fetch::ledger_digest)
}

/// A detached signature is a few hundred bytes; `<URL>.asc` is read up to this size.
const SIGNATURE_MAX_BYTES: u64 = 1 << 20;

/// Fetch `<URL>.asc` beside the cached artifact and verify it with the pinned key; returns the
/// signing key's fingerprint.
fn verify_signature(
    location: &Location,
    archive: &Path,
    digest: Digest,
    (key, fingerprint): (&Path, &str),
    client: &http::Client,
    gpg_limit: crate::shared::process::TimeLimit,
) -> Result<String, Error> {
    let at = location.with_suffix(".asc");
    let signature = archive.with_file_name(format!("{}.asc", digest.to_hex()));
    let missing = |reason: String| Error::NoSignature { url: location.display(), reason };
    match &at {
        Location::File(path) => {
            let bytes = crate::shared::readfile::regular(path, SIGNATURE_MAX_BYTES)
                .map_err(|e| missing(format!("`{}`: {e}", path.display())))?;
            crate::shared::atomic::write(&signature, &bytes)
                .map_err(|source| Error::fs("write", &signature, source))?;
        }
        Location::Http(url) => {
            let bytes = client
                .fetch(url, |body| {
                    let mut bytes = Vec::new();
                    std::io::Read::read_to_end(&mut std::io::Read::take(body, SIGNATURE_MAX_BYTES), &mut bytes)?;
                    Ok(bytes)
                })
                .map_err(|e| match e.status() {
                    Some(404) => missing(format!("`{url}` does not exist")),
                    _ => Error::Http(e),
                })?;
            crate::shared::atomic::write(&signature, &bytes)
                .map_err(|source| Error::fs("write", &signature, source))?;
        }
    }
    let result = crate::pipeline::gpg::verify_detached(archive, &signature, key, fingerprint, gpg_limit);
    let _ = std::fs::remove_file(&signature);
    result.map(|v| v.signing_fingerprint).map_err(|source| Error::Signature { url: location.display(), source })
}

/// After the tree is in place: the links and the ld.so.conf.d entry. A failure here (a full
/// disk) says that the tree is placed and what is missing; the fast path checks both, so the
/// next run repairs them instead of answering "already installed".
fn finish(
    layout: &Layout,
    version: PythonVersion,
    links: &[(String, PathBuf)],
    limit: crate::shared::process::TimeLimit,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(), Error> {
    let unfinished =
        |what, source| Error::Unfinished { version, prefix: layout.prefix(version), what, source: Box::new(source) };
    layout.write_links(links).map_err(|e| unfinished("links", e))?;
    write_ld_conf(layout, version, limit, events).map_err(|e| unfinished("ld.so.conf.d entry", e))
}

/// The ld.so.conf.d entry exists with the right content.
fn ld_conf_in_place(layout: &Layout, version: PythonVersion) -> bool {
    crate::shared::readfile::text(&layout.ld_conf(version), 64 * 1024).ok().as_deref()
        == Some(format!("{}/lib\n", Layout::system_prefix(version)).as_str())
}

/// `/etc/ld.so.conf.d/specgate-python-X.Y.Z.conf`, then ldconfig when running as root on `/`.
fn write_ld_conf(
    layout: &Layout,
    version: PythonVersion,
    limit: crate::shared::process::TimeLimit,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<(), Error> {
    let path = layout.ld_conf(version);
    let wanted = format!("{}/lib\n", Layout::system_prefix(version));
    if !ld_conf_in_place(layout, version) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| Error::fs("create", dir, source))?;
        }
        crate::shared::atomic::write(&path, wanted.as_bytes()).map_err(|source| Error::fs("write", &path, source))?;
    }
    if layout.root == Path::new("/") && rustix::process::geteuid().is_root() {
        // Under the install lock, so bounded like every program install runs.
        match crate::shared::process::output_within(std::process::Command::new("ldconfig"), limit) {
            Ok((status, _, _)) if status.success() => {}
            Ok((_, _, stderr)) => events(Event::Note(format!(
                "ldconfig failed ({}); the interpreter finds its libpython through its rpath anyway",
                stderr.trim()
            ))),
            Err(error) => events(Event::Note(format!(
                "ldconfig: {error}; the interpreter finds its libpython through its rpath anyway"
            ))),
        }
    }
    Ok(())
}

/// Point python3 and pip3 at an installed version (CP-007: rollback is `use` of the older one).
pub fn use_version(root: &Path, version: PythonVersion) -> Result<PathBuf, Error> {
    let layout = Layout::new(root);
    if layout.read_receipt(version).is_none() {
        return Err(Error::NotInstalled { version, root: root.to_path_buf() });
    }
    let _lock = layout.lock(Duration::from_secs(60), &mut |_| {})?;
    layout.write_links(&Layout::links(version, true))?;
    Ok(layout.prefix(version))
}

/// Remove an installed version: renamed away first, so no half-removed prefix is ever visible.
pub fn uninstall(root: &Path, version: PythonVersion, force: bool) -> Result<PathBuf, Error> {
    let layout = Layout::new(root);
    let prefix = layout.prefix(version);
    if !prefix.exists() {
        return Err(Error::NotInstalled { version, root: root.to_path_buf() });
    }
    let active = layout.active() == Some(version);
    if active && !force {
        return Err(Error::Active { version });
    }
    let _lock = layout.lock(Duration::from_secs(60), &mut |_| {})?;
    let staging = Staging(layout.new_staging()?);
    let aside = staging.0.join("removed");
    std::fs::rename(&prefix, &aside).map_err(|source| Error::fs("move away", &prefix, source))?;
    let bin = layout.bin();
    let links = Layout::links(version, active);
    for (name, target) in links {
        let link = bin.join(name);
        if std::fs::read_link(&link).ok() == Some(target) {
            let _ = std::fs::remove_file(&link);
        }
    }
    let _ = std::fs::remove_file(layout.ld_conf(version));
    drop(staging);
    Ok(prefix)
}

/// Removes a staging folder (and whatever old tree was moved into it) when dropped.
struct Staging(PathBuf);

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = layout::remove_tree(&self.0);
    }
}

pub fn human_bytes(bytes: u64) -> String {
    if bytes >= 1 << 20 {
        format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
    } else if bytes >= 1 << 10 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

pub(crate) fn now_rfc3339() -> String {
    let seconds = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let date = crate::shared::artifact::ledger::date_from_unix(seconds);
    let day = seconds % 86_400;
    format!("{date}T{:02}:{:02}:{:02}Z", day / 3600, day % 3600 / 60, day % 60)
}
