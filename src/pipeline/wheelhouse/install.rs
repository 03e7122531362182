//! `specgate wheelhouse install`: the expected digest (flag, sidecar or ledger row) first, the verified
//! fetch into the content-addressed cache (`install::fetch`: nothing is unpacked before the
//! digest matches), the unpack into staging, every wheel checked against the lock and the
//! interpreter's Python line, then `pip install --no-index --require-hashes` with no index
//! reachable, and the receipt last. The receipt lives in the interpreter's `sys.prefix`, so a
//! rerun with the same wheelhouse runs no pip.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::lock::{self, Manifest, WheelName};
use super::{last_lines, probe, Bytecode, Error, Interpreter};
use crate::pipeline::install::fetch::{self, Expected, Location};
use crate::pipeline::install::{layout, Event};
use crate::shared::artifact::{self, Digest, Limits, PythonVersion, WheelhouseName};
use crate::shared::http;
use crate::shared::process::{output_within, TimeLimit};

/// What `wheelhouse install` was asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: String,
    pub version: PythonVersion,
    pub sha256: Option<Digest>,
    /// ARTIFACTS.md, for the expected digest when there is no flag and no sidecar.
    pub ledger: Option<PathBuf>,
    pub interpreter: PathBuf,
    pub cache: PathBuf,
    pub allow_http: bool,
    pub http: http::Options,
    pub lock_timeout: Duration,
    pub force: bool,
    pub probe_limit: TimeLimit,
    pub pip_limit: TimeLimit,
}

/// How an install ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The receipt names the same wheelhouse: nothing ran.
    AlreadyInstalled {
        receipt: PathBuf,
    },
    Installed {
        receipt: PathBuf,
        wheels: usize,
    },
}

/// What was installed, written after pip succeeded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub name: String,
    pub artifact: String,
    pub sha256: String,
    pub source: String,
    pub python: String,
    pub wheels: usize,
    pub installed_at: String,
    pub installed_by: String,
}

/// The receipt of wheelhouse `name` in an environment.
pub fn receipt_path(prefix: &Path, name: &str) -> PathBuf {
    prefix.join(format!(".specgate-wheelhouse-{name}.json"))
}

fn read_receipt(path: &Path) -> Option<Receipt> {
    serde_json::from_slice(&crate::shared::readfile::regular(path, 1 << 20).ok()?).ok()
}

pub fn install(request: &Request, events: &mut dyn FnMut(Event<'_>)) -> Result<Outcome, Error> {
    let location = match Location::parse(&request.url, request.allow_http)? {
        Location::File(path) => Location::File(std::path::absolute(&path).unwrap_or(path)),
        location => location,
    };
    let url = location.display();
    let file_name = location.file_name().ok_or_else(|| crate::pipeline::install::Error::Url {
        url: url.clone(),
        reason: "it names no file".to_owned(),
    })?;
    let name = WheelhouseName::parse(&file_name).map_err(artifact::Error::Name)?;
    if !name.fits(request.version) {
        return Err(Error::OtherPython { what: file_name, built: name.line(), interpreter: request.version });
    }
    let interpreter = probe(&request.interpreter, request.version, request.probe_limit)?;
    let receipt_at = receipt_path(&interpreter.prefix, &name.name);
    let client = http::Client::new(request.http.clone());

    // The fast path: the receipt names this wheelhouse. A local sidecar is cheap to read; over
    // http without --sha256 the source URL decides, as for `specgate install`.
    let mut resolved = None;
    if !request.force {
        if let Some(receipt) = read_receipt(&receipt_at) {
            let same = match (request.sha256, &location) {
                (Some(digest), _) => receipt.sha256 == digest.to_hex(),
                (None, Location::File(_)) => {
                    let found = expected_digest(request, &location, &file_name, &client)?;
                    let same = receipt.sha256 == found.0.to_hex();
                    resolved = Some(found);
                    same
                }
                (None, Location::Http(_)) => receipt.source == url,
            };
            if same {
                return Ok(Outcome::AlreadyInstalled { receipt: receipt_at });
            }
        }
    }
    let (expected, expected_from) = match resolved {
        Some(found) => found,
        None => expected_digest(request, &location, &file_name, &client)?,
    };

    let lock_path = interpreter.prefix.join(".specgate-wheelhouse.lock");
    let _lock = layout::lock_file(&lock_path, request.lock_timeout, &mut |path| events(Event::Waiting(path)))?;
    if !request.force && read_receipt(&receipt_at).is_some_and(|r| r.sha256 == expected.to_hex()) {
        return Ok(Outcome::AlreadyInstalled { receipt: receipt_at });
    }

    let cache = fetch::Cache { dir: request.cache.clone(), lock_wait: request.lock_timeout };
    let start = Instant::now();
    let archive = match cache.lookup(expected)? {
        Some(path) => path,
        None => {
            let mut progress = |done, total| events(Event::Bytes(done, total));
            cache.store(&location, expected, &expected_from, &client, &mut progress, &mut |_| {})?
        }
    };
    events(Event::Phase(
        "download",
        format!("`{file_name}`, sha256 verified against {expected_from}"),
        start.elapsed(),
    ));

    let staging = super::fresh_staging(&request.cache, ".wheelhouse-staging-")?;
    let tree = staging.0.join("tree");
    let start = Instant::now();
    artifact::unpack::unpack(&archive, name.compression, &tree, &Limits::default())?;
    let top = tree.join(name.prefix().trim_end_matches('/'));
    let (checked, manifest) = check_wheels(&top, &name, &interpreter)?;
    events(Event::Phase("verify", format!("{checked} wheels match the lock's SHA-256s"), start.elapsed()));

    // Compiling the sources is most of pip's time; bytecode compiled when the wheelhouse was
    // built does the same work once per release.
    let bytecode = usable_bytecode(&top, &manifest, &interpreter)?;
    let start = Instant::now();
    pip_install(&interpreter, &top, bytecode.is_empty(), request.pip_limit)?;
    events(Event::Phase(
        "pip",
        format!("{checked} wheels installed offline into `{}`", interpreter.prefix.display()),
        start.elapsed(),
    ));
    if !bytecode.is_empty() {
        let start = Instant::now();
        let placed = place_bytecode(&bytecode, &interpreter.site_packages)?;
        events(Event::Phase("bytecode", format!("{placed} files compiled at build time placed"), start.elapsed()));
    }

    let receipt = Receipt {
        name: name.name.clone(),
        artifact: file_name,
        sha256: expected.to_hex(),
        source: url,
        python: interpreter.version.to_string(),
        wheels: checked,
        installed_at: crate::pipeline::install::now_rfc3339(),
        installed_by: concat!("specgate ", env!("CARGO_PKG_VERSION")).to_owned(),
    };
    let json = serde_json::to_vec_pretty(&receipt).expect("a receipt serializes");
    crate::shared::atomic::write(&receipt_at, &json).map_err(|source| Error::fs("write", &receipt_at, source))?;
    Ok(Outcome::Installed { receipt: receipt_at, wheels: checked })
}

/// The flag, else the sidecar beside the wheelhouse, else the Activo row of `--ledger`.
fn expected_digest(
    request: &Request,
    location: &Location,
    file_name: &str,
    client: &http::Client,
) -> Result<(Digest, Expected), Error> {
    let flag = request.sha256.map(|digest| (digest, Expected::Flag));
    if let Some(found) = fetch::flag_or_sidecar(flag, location, file_name, client)? {
        return Ok(found);
    }
    let ledger = request.ledger.as_deref();
    Ok(fetch::ledger_or_refuse(location, file_name, ledger, fetch::wheelhouse_ledger_digest)?)
}

/// The manifest fits the interpreter, and every wheel is in the lock with its SHA-256 (and
/// every pin has its wheel). Returns the number of wheels and the manifest.
fn check_wheels(top: &Path, name: &WheelhouseName, interpreter: &Interpreter) -> Result<(usize, Manifest), Error> {
    let bad = |reason: String| Error::NotAWheelhouse { path: top.to_path_buf(), reason };
    let read = |file: &str| {
        crate::shared::readfile::text(&top.join(file), 16 << 20).map_err(|e| bad(format!("`{file}`: {e}")))
    };
    let manifest: Manifest =
        serde_json::from_str(&read(lock::MANIFEST)?).map_err(|e| bad(format!("`{}`: {e}", lock::MANIFEST)))?;
    if manifest.name != name.name {
        return Err(bad(format!("its manifest names `{}`, not `{}`", manifest.name, name.name)));
    }
    let built = PythonVersion::parse(&manifest.python)
        .ok_or_else(|| bad(format!("its manifest's python `{}` is not X.Y.Z", manifest.python)))?;
    if (built.major, built.minor) != (interpreter.version.major, interpreter.version.minor) {
        return Err(Error::OtherPython {
            what: format!("wheelhouse `{}`", name.name),
            built: built.to_string(),
            interpreter: interpreter.version,
        });
    }
    let pins = lock::parse(&read(lock::LOCK)?).map_err(|reason| bad(format!("`{}` {reason}", lock::LOCK)))?;
    let wheels = top.join(lock::WHEELS);
    let mut seen = std::collections::BTreeSet::new();
    let mut count = 0;
    for entry in std::fs::read_dir(&wheels).map_err(|source| Error::fs("list", &wheels, source))? {
        let entry = entry.map_err(|source| Error::fs("list", &wheels, source))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        let wheel =
            WheelName::parse(&file).map_err(|reason| Error::LockMismatch { reason: format!("`{file}`: {reason}") })?;
        if !wheel.fits(interpreter.version.major, interpreter.version.minor) {
            return Err(Error::OtherPython { what: file, built: wheel.tags, interpreter: interpreter.version });
        }
        let pin = pins.iter().find(|p| p.name == wheel.name && p.version == wheel.version).ok_or_else(|| {
            Error::LockMismatch {
                reason: format!("`{file}` has no line `{}=={}` in the lock", wheel.name, wheel.version),
            }
        })?;
        let actual = artifact::sidecar::sha256_file(&entry.path())?;
        if actual != pin.sha256 {
            return Err(Error::Tampered { file, expected: pin.sha256, actual });
        }
        seen.insert(wheel.name);
        count += 1;
    }
    if let Some(missing) = pins.iter().find(|p| !seen.contains(&p.name)) {
        return Err(Error::LockMismatch {
            reason: format!("the lock pins `{}=={}`, but no wheel of it is there", missing.name, missing.version),
        });
    }
    Ok((count, manifest))
}

/// `pip install` from the wheels alone: every `PIP_*` variable and pip's configuration files
/// left out, no index, hashes required, no sdist built. With `compile` false pip writes no
/// bytecode (the wheelhouse brings its own).
fn pip_install(interpreter: &Interpreter, top: &Path, compile: bool, limit: TimeLimit) -> Result<(), Error> {
    let mut command = super::offline_pip(&interpreter.path);
    if !compile {
        command.arg("--no-compile");
    }
    command.arg("--find-links").arg(top.join(lock::WHEELS)).arg("-r").arg(top.join(lock::LOCK));
    let (status, stdout, stderr) =
        output_within(command, limit).map_err(|error| Error::PipRun { reason: error.to_string() })?;
    if !status.success() {
        return Err(Error::PipInstall { tail: last_lines(&format!("{stdout}\n{stderr}"), 25) });
    }
    Ok(())
}

/// The bytecode this interpreter can use, checked before pip runs: the wheelhouse has some for
/// its cache tag and the interpreter named its site-packages. Every `.pyc` must be checked-hash
/// bytecode (PEP 552 flags 0b11: Python compares it with its source's hash on every import and
/// compiles the source instead when they differ), so no file can stand in for a source it does
/// not match; one that is not refuses the wheelhouse with nothing installed.
fn usable_bytecode(top: &Path, manifest: &Manifest, interpreter: &Interpreter) -> Result<Vec<Bytecode>, Error> {
    let folder = top.join(lock::BYTECODE);
    let tag = interpreter.cache_tag();
    if manifest.bytecode.as_deref() != Some(tag.as_str()) || interpreter.site_packages.is_empty() || !folder.is_dir() {
        return Ok(Vec::new());
    }
    let found = super::bytecode_under(&folder, &tag)?;
    for file in &found {
        let mut header = [0u8; 16];
        let checked_hash = file.regular
            && std::fs::File::open(&file.path)
                .and_then(|mut opened| std::io::Read::read_exact(&mut opened, &mut header))
                .is_ok()
            && header[4..8] == [3, 0, 0, 0];
        if !checked_hash {
            return Err(Error::NotAWheelhouse {
                path: top.to_path_buf(),
                reason: format!(
                    "`{}/{}` is not checked-hash bytecode (PEP 552), which `wheelhouse build` writes",
                    lock::BYTECODE,
                    file.relative.display()
                ),
            });
        }
    }
    Ok(found)
}

/// Copy each `.pyc` next to its source in site-packages, where pip just put the source:
/// `a/__pycache__/b.cpython-311.pyc` goes to the `__pycache__` beside the first `a/b.py` of
/// purelib and platlib; one whose source is in neither is left out. Returns how many were placed.
fn place_bytecode(files: &[Bytecode], site_packages: &[PathBuf]) -> Result<usize, Error> {
    let mut placed = 0;
    for file in files {
        let Some(root) = site_packages.iter().find(|root| root.join(&file.source).is_file()) else { continue };
        let target = root.join(&file.relative);
        let parent = target.parent().expect("a file under a __pycache__ folder");
        std::fs::create_dir_all(parent).map_err(|source| Error::fs("create", parent, source))?;
        // As Python writes bytecode: a temporary file renamed into place, so an import never
        // reads half a file (a truncated .pyc with a valid header would fail the import);
        // no fsync per file, which would cost more than the compile this saves.
        let temp = parent.join(format!(".specgate-{}.tmp", std::process::id()));
        std::fs::copy(&file.path, &temp)
            .and_then(|_| std::fs::rename(&temp, &target))
            .inspect_err(|_| {
                let _ = std::fs::remove_file(&temp);
            })
            .map_err(|source| Error::fs("write", &target, source))?;
        placed += 1;
    }
    Ok(placed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytecode_goes_beside_its_source_and_anything_but_checked_hash_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("wheelhouse-web");
        let site = dir.path().join("site");
        let checked = |body: &str| [b"MAGC".as_slice(), &[3, 0, 0, 0], &[0; 8], body.as_bytes()].concat();
        let write = |file: &str, bytes: &[u8]| {
            let path = top.join(lock::BYTECODE).join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        };
        write("six/__pycache__/a.cpython-311.pyc", &checked("a"));
        write("six/__pycache__/gone.cpython-311.pyc", &checked("gone"));
        write("__pycache__/m.cpython-311.pyc", &checked("m"));
        write("__pycache__/other.cpython-312.pyc", b"not for this interpreter");
        std::fs::create_dir_all(site.join("six")).unwrap();
        std::fs::write(site.join("six/a.py"), "").unwrap();
        std::fs::write(site.join("m.py"), "").unwrap();
        let manifest = Manifest {
            format: 1,
            name: "web".into(),
            python: "3.11.2".into(),
            distro: "debian12".into(),
            build: 1,
            wheels: Vec::new(),
            bytecode: Some("cpython-311".into()),
        };
        let interpreter = Interpreter {
            path: PathBuf::from("python3.11"),
            version: PythonVersion::parse("3.11.2").unwrap(),
            prefix: dir.path().to_path_buf(),
            site_packages: vec![site.clone()],
        };
        let files = usable_bytecode(&top, &manifest, &interpreter).unwrap();
        assert_eq!(files.len(), 3, "the cpython-312 file is not this interpreter's");
        assert_eq!(place_bytecode(&files, &interpreter.site_packages).unwrap(), 2);
        assert_eq!(std::fs::read(site.join("six/__pycache__/a.cpython-311.pyc")).unwrap(), checked("a"));
        assert!(site.join("__pycache__/m.cpython-311.pyc").is_file());
        assert!(
            !site.join("six/__pycache__/gone.cpython-311.pyc").exists(),
            "bytecode without its source is not placed"
        );
        // Another tag in the manifest, or no site-packages: pip compiles, nothing is placed.
        let other = Manifest { bytecode: Some("cpython-312".into()), ..manifest.clone() };
        assert!(usable_bytecode(&top, &other, &interpreter).unwrap().is_empty());
        // Timestamp-based bytecode (flags 0) could stand in for any source of the same size
        // and time: the wheelhouse is refused before pip runs.
        write("six/__pycache__/b.cpython-311.pyc", b"MAGC\0\0\0\0\0\0\0\0\0\0\0\0code");
        let refused = usable_bytecode(&top, &manifest, &interpreter).err().expect("refused").to_string();
        assert!(
            refused.contains("`bytecode/six/__pycache__/b.cpython-311.pyc` is not checked-hash bytecode"),
            "{refused}"
        );
    }
}
