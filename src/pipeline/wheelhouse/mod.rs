//! The wheelhouse: a project's Python dependencies as wheels, built once with the artifact's
//! own interpreter, locked with their SHA-256s, packed like a CPython artifact, and installed
//! offline (SPEC_INFRA_001, phase 4).
//!
//! Owns the build (`build`: the interpreter check, `pip wheel`, the lock, the pack), the
//! install (`install`: the verified fetch through `install::fetch`, the wheels checked against
//! the lock, `pip install --no-index --require-hashes`, the receipt), the wheelhouse's files
//! (`lock`) and the C headers a failed sdist build lacked (`headers`). Never prints.

pub mod build;
pub mod headers;
pub mod install;
pub mod lock;

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::shared::artifact::{self, Digest, PythonVersion};
use crate::shared::process::{output_within, RunError, TimeLimit};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("the interpreter `{}` does not exist", path.display())]
    NoInterpreter { path: PathBuf },
    #[error("the interpreter `{}` could not report its version: {reason}", path.display())]
    Interpreter { path: PathBuf, reason: String },
    #[error("the interpreter `{}` is Python {found}, not {wanted}", path.display())]
    WrongPython { path: PathBuf, found: String, wanted: PythonVersion },
    #[error("the interpreter `{}` has no pip: {output}", interpreter.display())]
    NoPip { interpreter: PathBuf, output: String },
    #[error("could not read the requirements `{}`", path.display())]
    Requirements {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("pip could not build a wheel from the sdist of `{package}`; the last lines of pip's output:\n{tail}")]
    SdistBuild { package: String, tail: String },
    #[error("building `{package}` needs the C header `{header}`, which is not installed; the last lines of pip's output:\n{tail}")]
    MissingHeader { package: String, header: String, debian_package: Option<&'static str>, tail: String },
    #[error("`pip wheel` failed; the last lines of its output:\n{tail}")]
    PipWheel { tail: String },
    #[error("no requirement selects a package on this platform{}", ignored_list(ignored))]
    NothingSelected { ignored: Vec<String> },
    #[error("pip left `{file}`, which is not a wheel this wheelhouse can hold: {reason}")]
    BadWheel { file: String, reason: String },
    #[error("`{}` is not a usable wheelhouse: {reason}", path.display())]
    NotAWheelhouse { path: PathBuf, reason: String },
    #[error("`{what}` is built for Python {built}, but the interpreter is Python {interpreter}")]
    OtherPython { what: String, built: String, interpreter: PythonVersion },
    #[error("the wheel `{file}` does not match the lock: expected sha256 {expected}, computed {actual}")]
    Tampered { file: String, expected: Digest, actual: Digest },
    #[error("the wheels and the lock differ: {reason}")]
    LockMismatch { reason: String },
    #[error("`pip install` from the wheelhouse failed; the last lines of its output:\n{tail}")]
    PipInstall { tail: String },
    #[error("the wheels do not install together (pip's trial install into a scratch folder):\n{tail}")]
    TrialInstall { tail: String },
    #[error("pip did not finish: {reason}")]
    PipRun { reason: String },
    #[error("could not {action} `{}`", path.display())]
    Fs {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Boxed: the install error is large, and it is the rare path.
    #[error(transparent)]
    Fetch(Box<crate::pipeline::install::Error>),
    #[error(transparent)]
    Artifact(Box<artifact::Error>),
}

impl From<crate::pipeline::install::Error> for Error {
    fn from(error: crate::pipeline::install::Error) -> Error {
        Error::Fetch(Box::new(error))
    }
}

impl From<artifact::Error> for Error {
    fn from(error: artifact::Error) -> Error {
        Error::Artifact(Box::new(error))
    }
}

fn ignored_list(ignored: &[String]) -> String {
    if ignored.is_empty() {
        String::new()
    } else {
        format!("; pip ignored: {}", ignored.join("; "))
    }
}

impl Error {
    pub(crate) fn fs(action: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Fs { action, path: path.to_path_buf(), source }
    }

    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::NoInterpreter { .. } => "install the CPython artifact first (`specgate install --version X.Y.Z`), or pass `--interpreter PATH`".to_owned(),
            Error::Interpreter { .. } => "run the interpreter by hand to see why it fails; pass a working one with `--interpreter PATH`".to_owned(),
            Error::WrongPython { .. } => "pass `--python` with the version the interpreter reports, or `--interpreter` with one of that version; wheels of one Python line do not fit another".to_owned(),
            Error::NoPip { .. } => "install pip into that interpreter (`python -m ensurepip`, or Debian's `python3-pip`/`python3-venv`), then run the command again".to_owned(),
            Error::Requirements { .. } => "pass `-r` with the path of the project's requirements file".to_owned(),
            Error::SdistBuild { package, .. } => format!("pin a version of `{package}` that has a wheel for this Python, or install what its build needs (see pip's output above); nothing was packed"),
            Error::MissingHeader { header, debian_package: Some(package), .. } => format!("`{header}` comes with the Debian package `{package}`: `apt-get install {package}`, then run the build again"),
            Error::MissingHeader { header, debian_package: None, .. } => format!("install the -dev package that provides `{header}` (`apt-file search {header}` finds it), then run the build again"),
            Error::PipWheel { .. } => "read pip's output above; a network error means the index was not reachable (PIP_INDEX_URL and pip's configuration apply to the build)".to_owned(),
            Error::NothingSelected { .. } => "a requirement whose marker selects another platform is skipped; build the wheelhouse on the platform it is for, or fix the markers".to_owned(),
            Error::BadWheel { .. } => "remove the requirement or pin another version of it; pip should only ever leave wheels".to_owned(),
            Error::NotAWheelhouse { .. } => "the artifact was not made by `specgate wheelhouse build`; build it again".to_owned(),
            Error::OtherPython { .. } => "build the wheelhouse with the interpreter it will be installed into (`specgate wheelhouse build --python X.Y.Z`); nothing was installed".to_owned(),
            Error::Tampered { .. } => "the wheelhouse changed after it was built; do not install it, build or download it again; nothing was installed".to_owned(),
            Error::LockMismatch { .. } => "the wheelhouse is incomplete or was edited; build it again with `specgate wheelhouse build`; nothing was installed".to_owned(),
            Error::PipInstall { .. } => "read pip's output above; the previous wheelhouse receipt is unchanged, so running the same command again retries".to_owned(),
            Error::TrialInstall { .. } => "the lock pins versions that conflict, or a wheel is broken; fix requirements.txt and build again (nothing was packed)".to_owned(),
            Error::PipRun { .. } => "raise `--pip-timeout SECONDS` for a large wheelhouse".to_owned(),
            Error::Fs { source, .. } => match source.kind() {
                std::io::ErrorKind::StorageFull => "the file system is full; free space and run the command again".to_owned(),
                std::io::ErrorKind::PermissionDenied => "run as the owner of the interpreter's environment, or as root".to_owned(),
                _ => "check that the path exists and that you may read and write it".to_owned(),
            },
            Error::Fetch(error) => return error.hint(),
            Error::Artifact(error) => return error.hint(),
        })
    }
}

/// What an interpreter reports about itself.
#[derive(Debug, Clone)]
pub struct Interpreter {
    pub path: PathBuf,
    pub version: PythonVersion,
    /// `sys.prefix`: where pip installs, and where the receipt goes.
    pub prefix: PathBuf,
    /// sysconfig's `purelib` and `platlib` (one folder twice in a standard CPython or venv),
    /// where shipped bytecode goes; empty when the interpreter did not say.
    pub site_packages: Vec<PathBuf>,
}

impl Interpreter {
    /// The tag of this interpreter's bytecode files, `cpython-311` (`sys.implementation.cache_tag`
    /// of CPython, which is the only implementation the artifacts hold).
    pub fn cache_tag(&self) -> String {
        format!("cpython-{}{}", self.version.major, self.version.minor)
    }
}

/// `python -m pip` with every `PIP_*` variable and pip's configuration files left out and no
/// index reachable: what the wheelhouse's wheels are installed with, at build and at install.
pub(crate) fn offline_pip(interpreter: &Path) -> Command {
    let mut command = Command::new(interpreter);
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("PIP_") {
            command.env_remove(key);
        }
    }
    command
        .env("PIP_NO_INDEX", "1")
        .env("PIP_CONFIG_FILE", "/dev/null")
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .args(["-m", "pip", "install", "--no-index", "--no-input", "--only-binary", ":all:", "--require-hashes"]);
    command
}

/// The default interpreter of a version under a root: `ROOT/opt/python-X.Y.Z/bin/pythonX.Y`.
pub fn default_interpreter(root: &Path, version: PythonVersion) -> PathBuf {
    root.join(format!("opt/python-{version}/bin/python{}", version.line()))
}

/// Run the interpreter once: its version (which must be `wanted`) and its `sys.prefix`.
pub fn probe(path: &Path, wanted: PythonVersion, limit: TimeLimit) -> Result<Interpreter, Error> {
    if std::fs::metadata(path).is_err() {
        return Err(Error::NoInterpreter { path: path.to_path_buf() });
    }
    let mut command = Command::new(path);
    command.args([
        "-I",
        "-c",
        "import sys, sysconfig; print('%d.%d.%d' % sys.version_info[:3]); print(sys.prefix); \
         print(sysconfig.get_path('purelib')); print(sysconfig.get_path('platlib'))",
    ]);
    let failed = |reason: String| Error::Interpreter { path: path.to_path_buf(), reason };
    let (status, stdout, stderr) = output_within(command, limit).map_err(|error| match error {
        RunError::Start(source) if source.kind() == std::io::ErrorKind::NotFound => {
            Error::NoInterpreter { path: path.to_path_buf() }
        }
        error => failed(error.to_string()),
    })?;
    if !status.success() {
        return Err(failed(format!("it exited with {status}: {}", last_lines(&stderr, 5))));
    }
    let mut lines = stdout.lines();
    let found = lines.next().unwrap_or("").trim().to_owned();
    let prefix = PathBuf::from(lines.next().unwrap_or("").trim());
    let mut site_packages: Vec<PathBuf> = Vec::new();
    for line in lines.map(str::trim).filter(|l| l.starts_with('/')) {
        if !site_packages.iter().any(|p| p.as_os_str() == line) {
            site_packages.push(PathBuf::from(line));
        }
    }
    let version = PythonVersion::parse(&found).ok_or_else(|| failed(format!("it printed `{found}`")))?;
    if version != wanted {
        return Err(Error::WrongPython { path: path.to_path_buf(), found, wanted });
    }
    Ok(Interpreter { path: path.to_path_buf(), version, prefix, site_packages })
}

/// One `.pyc` under a folder: where it is, its path relative to the folder (its path under
/// site-packages), its source's relative path, and whether it is a regular file.
pub(crate) struct Bytecode {
    pub path: PathBuf,
    pub relative: PathBuf,
    pub source: PathBuf,
    pub regular: bool,
}

/// Every bytecode file of `tag` (`cpython-311`) under `root`: the folder compileall wrote into
/// at build time, or the wheelhouse's `bytecode/` at install.
pub(crate) fn bytecode_under(root: &Path, tag: &str) -> Result<Vec<Bytecode>, Error> {
    let suffix = format!(".{tag}.pyc");
    let mut found = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(|source| Error::fs("list", &dir, source))? {
            let entry = entry.map_err(|source| Error::fs("list", &dir, source))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|source| Error::fs("inspect", &path, source))?;
            if kind.is_dir() {
                pending.push(path);
                continue;
            }
            let relative = path.strip_prefix(root).expect("walked under the root").to_path_buf();
            if let Some(source) = source_of(&relative, &suffix) {
                found.push(Bytecode { path, relative, source, regular: kind.is_file() });
            }
        }
    }
    Ok(found)
}

/// `a/__pycache__/b.cpython-311.pyc` is the bytecode of `a/b.py`; anything else is no bytecode
/// of this tag.
fn source_of(relative: &Path, suffix: &str) -> Option<PathBuf> {
    let file = relative.file_name()?.to_str()?;
    let stem = file.strip_suffix(suffix).filter(|s| !s.is_empty() && !s.contains('.'))?;
    let cache = relative.parent()?;
    (cache.file_name()? == "__pycache__").then(|| cache.parent().unwrap_or(Path::new("")).join(format!("{stem}.py")))
}

/// A staging folder `<dir>/<prefix><pid>`, after removing those of runs that are gone (a killed
/// build or install leaves its folder behind; the pid says whether its owner still runs).
pub(crate) fn fresh_staging(dir: &Path, prefix: &str) -> Result<crate::shared::atomic::RemoveOnDrop, Error> {
    std::fs::create_dir_all(dir).map_err(|source| Error::fs("create", dir, source))?;
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name.strip_prefix(prefix).and_then(|pid| pid.parse::<u32>().ok());
            if pid.is_some_and(|pid| pid == std::process::id() || crate::shared::process::process_gone(pid)) {
                let _ = crate::pipeline::install::layout::remove_tree(&entry.path());
            }
        }
    }
    let staging = dir.join(format!("{prefix}{}", std::process::id()));
    std::fs::create_dir(&staging).map_err(|source| Error::fs("create", &staging, source))?;
    Ok(crate::shared::atomic::RemoveOnDrop(staging))
}

/// The last `count` non-empty lines of `text`, indented for an error message.
pub fn last_lines(text: &str, count: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(count);
    lines[start..].iter().map(|l| format!("  {}", l.trim_end())).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytecode_names_map_to_their_sources() {
        let tag = ".cpython-311.pyc";
        let cases = [
            ("six/__pycache__/x.cpython-311.pyc", Some("six/x.py")),
            ("__pycache__/six.cpython-311.pyc", Some("six.py")),
            ("a/b/__pycache__/c.cpython-311.pyc", Some("a/b/c.py")),
            ("a/__pycache__/c.cpython-312.pyc", None),
            ("a/__pycache__/c.cpython-311.opt-1.pyc", None),
            ("a/c.cpython-311.pyc", None),
            ("a/__pycache__/.cpython-311.pyc", None),
        ];
        for (relative, source) in cases {
            assert_eq!(source_of(Path::new(relative), tag), source.map(PathBuf::from), "{relative}");
        }
    }
}
