//! `specgate wheelhouse build`: check the interpreter, `pip wheel` the requirements (wheels
//! from the index where it has them, sdists built into wheels, dependencies included), lock
//! every wheel with its SHA-256, write the manifest, pack `wheelhouse-NAME/`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use super::lock::{self, Manifest, ManifestWheel, Pin, WheelName};
use super::{headers, last_lines, probe, Error};
use crate::pipeline::install::Event;
use crate::shared::artifact::pack::{self, PackOptions, Target};
use crate::shared::artifact::{Digest, PythonVersion, WheelhouseName};
use crate::shared::process::{output_within, TimeLimit};

/// Lines of pip's output an error message shows.
const TAIL_LINES: usize = 25;

/// What `wheelhouse build` was asked to do.
#[derive(Debug, Clone)]
pub struct Request {
    pub requirements: PathBuf,
    pub name: WheelhouseName,
    pub version: PythonVersion,
    pub interpreter: PathBuf,
    pub out: PathBuf,
    pub probe_limit: TimeLimit,
    pub pip_limit: TimeLimit,
}

/// What was built.
#[derive(Debug, Clone)]
pub struct Built {
    pub path: PathBuf,
    pub digest: Digest,
    pub wheels: usize,
    /// Requirements pip skipped because their markers select another platform.
    pub ignored: Vec<String>,
}

pub fn build(request: &Request, events: &mut dyn FnMut(Event<'_>)) -> Result<Built, Error> {
    crate::shared::readfile::regular(&request.requirements, 16 << 20)
        .map_err(|source| Error::Requirements { path: request.requirements.clone(), source })?;
    let start = Instant::now();
    let interpreter = probe(&request.interpreter, request.version, request.probe_limit)?;
    check_pip(&interpreter.path, request.probe_limit)?;
    events(Event::Phase(
        "interpreter",
        format!("`{}` is Python {}, with pip", interpreter.path.display(), interpreter.version),
        start.elapsed(),
    ));

    std::fs::create_dir_all(&request.out).map_err(|source| Error::fs("create", &request.out, source))?;
    let stage =
        crate::shared::atomic::RemoveOnDrop(request.out.join(format!(".specgate-wheelhouse-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&stage.0);
    let top = stage.0.join(request.name.prefix().trim_end_matches('/'));
    let wheels = top.join(lock::WHEELS);
    std::fs::create_dir_all(&wheels).map_err(|source| Error::fs("create", &wheels, source))?;

    let start = Instant::now();
    let ignored = pip_wheel(&interpreter.path, &request.requirements, &wheels, request.pip_limit)?;
    let (pins, entries) = lock_wheels(&wheels, request.version)?;
    if pins.is_empty() {
        return Err(Error::NothingSelected { ignored });
    }
    events(Event::Phase("wheels", format!("{} wheels, dependencies included", pins.len()), start.elapsed()));

    let lock_path = top.join(lock::LOCK);
    let text = lock::render(&request.version.to_string(), &pins);
    std::fs::write(&lock_path, text).map_err(|source| Error::fs("write", &lock_path, source))?;
    let start = Instant::now();
    let compiled = compile_bytecode(&interpreter, &top, &stage.0.join(".target"), request.pip_limit)?;
    events(Event::Phase(
        "bytecode",
        format!("{compiled} files compiled for {}, installed with the wheels", interpreter.cache_tag()),
        start.elapsed(),
    ));
    let manifest = Manifest {
        format: 1,
        name: request.name.name.clone(),
        python: request.version.to_string(),
        distro: request.name.distro.clone(),
        build: request.name.build,
        wheels: entries,
        bytecode: (compiled > 0).then(|| interpreter.cache_tag()),
    };
    let manifest_path = top.join(lock::MANIFEST);
    let mut json = serde_json::to_vec_pretty(&manifest).expect("a manifest serializes");
    json.push(b'\n');
    std::fs::write(&manifest_path, json).map_err(|source| Error::fs("write", &manifest_path, source))?;

    let start = Instant::now();
    let options = PackOptions::new(request.name.compression)
        .map_err(|reason| Error::NotAWheelhouse { path: stage.0.clone(), reason })?;
    let packed = pack::pack_prefix(&stage.0, &Target::wheelhouse(&request.name), &request.out, &options)?;
    events(Event::Phase("pack", format!("`{}`", packed.path.display()), start.elapsed()));
    Ok(Built { path: packed.path, digest: packed.digest, wheels: pins.len(), ignored })
}

/// Install the locked wheels into a scratch folder with pip (as `wheelhouse install` will,
/// offline, hashes required: a wheel that cannot be installed fails here, not in every Dev
/// Container), compile their sources to checked-hash bytecode (PEP 552: valid for any file
/// times, checked against each source on import), and keep the `__pycache__` files under
/// `top/bytecode/` at their site-packages paths. Returns how many were kept. A source that does
/// not compile (a test file for another Python) gets no bytecode, as with pip.
fn compile_bytecode(
    interpreter: &super::Interpreter,
    top: &Path,
    scratch: &Path,
    limit: TimeLimit,
) -> Result<usize, Error> {
    let _scratch = crate::shared::atomic::RemoveOnDrop(scratch.to_path_buf());
    let mut command = super::offline_pip(&interpreter.path);
    command
        .args(["--no-deps", "--no-compile", "--target"])
        .arg(scratch)
        .arg("--find-links")
        .arg(top.join(lock::WHEELS))
        .arg("-r")
        .arg(top.join(lock::LOCK));
    let (status, stdout, stderr) =
        output_within(command, limit).map_err(|error| Error::PipRun { reason: error.to_string() })?;
    if !status.success() {
        return Err(Error::TrialInstall { tail: last_lines(&format!("{stdout}\n{stderr}"), TAIL_LINES) });
    }
    if !scratch.is_dir() {
        return Ok(0);
    }
    let mut command = Command::new(&interpreter.path);
    command.args(["-I", "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "checked-hash"]).arg(scratch);
    // compileall exits 1 when a source does not compile; those files just get no bytecode.
    output_within(command, limit).map_err(|error| Error::PipRun { reason: error.to_string() })?;
    let bytecode = top.join(lock::BYTECODE);
    let found = super::bytecode_under(scratch, &interpreter.cache_tag())?;
    for file in &found {
        let target = bytecode.join(&file.relative);
        let parent = target.parent().expect("a file under __pycache__");
        std::fs::create_dir_all(parent).map_err(|source| Error::fs("create", parent, source))?;
        std::fs::rename(&file.path, &target).map_err(|source| Error::fs("move", &file.path, source))?;
    }
    Ok(found.len())
}

/// `python -m pip --version` must work.
pub(crate) fn check_pip(interpreter: &Path, limit: TimeLimit) -> Result<(), Error> {
    let mut command = Command::new(interpreter);
    command.args(["-m", "pip", "--version"]).env("PIP_DISABLE_PIP_VERSION_CHECK", "1");
    match output_within(command, limit) {
        Ok((status, _, _)) if status.success() => Ok(()),
        Ok((_, stdout, stderr)) => Err(Error::NoPip {
            interpreter: interpreter.to_path_buf(),
            output: last_lines(&format!("{stdout}\n{stderr}"), 3).trim().to_owned(),
        }),
        Err(error) => Err(Error::NoPip { interpreter: interpreter.to_path_buf(), output: error.to_string() }),
    }
}

/// Run `pip wheel`; returns the requirements pip ignored for their markers.
fn pip_wheel(interpreter: &Path, requirements: &Path, wheels: &Path, limit: TimeLimit) -> Result<Vec<String>, Error> {
    let mut command = Command::new(interpreter);
    command
        // PEP 517 builds in an isolated environment with setuptools and wheel from the index: a
        // fresh venv (Debian's has no `wheel`) builds sdists too.
        .args([
            "-m",
            "pip",
            "wheel",
            "--use-pep517",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
            "-r",
        ])
        .arg(requirements)
        .arg("--wheel-dir")
        .arg(wheels);
    let (status, stdout, stderr) =
        output_within(command, limit).map_err(|error| Error::PipRun { reason: error.to_string() })?;
    let output = format!("{stdout}\n{stderr}");
    if !status.success() {
        return Err(explain_failure(&output));
    }
    Ok(ignored_by_marker(&output))
}

/// pip's `Ignoring NAME: markers '...' don't match your environment` lines, as `NAME; markers`.
fn ignored_by_marker(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| {
            let rest = line.trim().strip_prefix("Ignoring ")?;
            let (name, rest) = rest.split_once(": markers ")?;
            let marker = rest.strip_suffix(" don't match your environment")?;
            Some(format!("`{name}` ({})", marker.trim_matches('\'')))
        })
        .collect()
}

/// Why `pip wheel` failed, from its output.
fn explain_failure(output: &str) -> Error {
    let tail = last_lines(output, TAIL_LINES);
    let package = failed_package(output);
    if let Some(header) = headers::missing_header(output) {
        return Error::MissingHeader {
            package: package.unwrap_or_else(|| "a package".to_owned()),
            debian_package: headers::debian_package(&header),
            header,
            tail,
        };
    }
    match package {
        Some(package) => Error::SdistBuild { package, tail },
        None => Error::PipWheel { tail },
    }
}

/// The package whose build failed, from the ways pip versions say so.
fn failed_package(output: &str) -> Option<String> {
    for line in output.lines() {
        let line = line.trim().trim_start_matches(['×', ' ']);
        if let Some((_, rest)) = line.split_once("pyproject.toml based projects (") {
            return rest.split([')', ',']).next().map(|n| n.trim().to_owned());
        }
        for (before, after) in [
            ("Failed building wheel for ", ""),
            ("Failed to build ", ""),
            ("Building wheel for ", " did not run successfully."),
        ] {
            if let Some(rest) = line.split_once(before).map(|(_, rest)| rest) {
                if !after.is_empty() && !rest.ends_with(after) {
                    continue;
                }
                let name = rest.split([' ', '(']).next().unwrap_or("").trim();
                if !name.is_empty() {
                    return Some(name.to_owned());
                }
            }
        }
    }
    None
}

/// Every wheel pip left, parsed and hashed, sorted by name.
fn lock_wheels(wheels: &Path, version: PythonVersion) -> Result<(Vec<Pin>, Vec<ManifestWheel>), Error> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(wheels).map_err(|source| Error::fs("list", wheels, source))? {
        let entry = entry.map_err(|source| Error::fs("list", wheels, source))?;
        files.push(entry.file_name().to_string_lossy().into_owned());
    }
    files.sort();
    let mut pins: Vec<Pin> = Vec::new();
    let mut entries = Vec::new();
    for file in files {
        let wheel = WheelName::parse(&file).map_err(|reason| Error::BadWheel { file: file.clone(), reason })?;
        if !wheel.fits(version.major, version.minor) {
            return Err(Error::BadWheel { file, reason: format!("it is not for Python {}", version.line()) });
        }
        if let Some(other) = pins.iter().find(|p| p.name == wheel.name) {
            return Err(Error::BadWheel {
                file,
                reason: format!("`{}` {} is there already; one version per package", other.name, other.version),
            });
        }
        let sha256 = crate::shared::artifact::sidecar::sha256_file(&wheels.join(&file))?;
        pins.push(Pin { name: wheel.name.clone(), version: wheel.version.clone(), sha256 });
        entries.push(ManifestWheel { file, name: wheel.name, version: wheel.version, tags: wheel.tags });
    }
    pins.sort_by(|a, b| a.name.cmp(&b.name));
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((pins, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_failures_are_explained() {
        let header = "Building wheel for pyyaml (pyproject.toml): started\n\
            ext/_yaml.c:1:10: fatal error: yaml.h: No such file or directory\n\
            ERROR: Failed building wheel for pyyaml\nFailed to build pyyaml";
        match explain_failure(header) {
            Error::MissingHeader { package, header, debian_package, .. } => {
                assert_eq!(
                    (package.as_str(), header.as_str(), debian_package),
                    ("pyyaml", "yaml.h", Some("libyaml-dev"))
                );
            }
            other => panic!("{other:?}"),
        }
        let sdist = "  × Building wheel for docopt (setup.py) did not run successfully.\n  error: boom\nERROR: Failed building wheel for docopt";
        assert!(matches!(explain_failure(sdist), Error::SdistBuild { package, .. } if package == "docopt"));
        let new_pip = "ERROR: Failed to build installable wheels for some pyproject.toml based projects (lxml)";
        assert!(matches!(explain_failure(new_pip), Error::SdistBuild { package, .. } if package == "lxml"));
        let network = "ERROR: Could not find a version that satisfies the requirement six";
        assert!(matches!(explain_failure(network), Error::PipWheel { tail } if tail.contains("satisfies")));
    }

    #[test]
    fn ignored_requirements_are_read_from_pip() {
        let output =
            "Ignoring pywin32: markers 'sys_platform == \"win32\"' don't match your environment\nCollecting six";
        assert_eq!(ignored_by_marker(output), ["`pywin32` (sys_platform == \"win32\")"]);
    }
}
