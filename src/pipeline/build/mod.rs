//! `specgate build`: compile CPython into a staged, slimmed, validated prefix that the artifact
//! module packs (UC-1, CA-001, BR-001, BR-007 of SPEC_INFRA_001).
//!
//! Owns the `[build]` configuration (`config`), the gates before compiling (`gates`: OS,
//! -dev packages, source hash and signature), the compile itself with its log and cache
//! (`host`), the checks of the result (`inspect`: rpath, own libpython, version, modules,
//! venv, GLIBC_ versions, runtime packages), and the other places a build runs (`container`,
//! `vagrant`). Packing, sidecars and the ledger stay in `artifact`; printing in `commands/`.
//!
//! spec[impl SPEC_INFRA_001]

pub mod args;
pub mod container;
pub mod gates;
pub mod host;
pub mod inspect;
pub mod vagrant;

use std::path::{Path, PathBuf};

pub use crate::shared::config::build::{BuildConfig, RawBuild, SourcePin};
pub use host::{Built, Profile, Request};
pub use inspect::Keep;

/// What stopped a build; every variant says what failed and keeps what is needed for the hint.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("could not read the OS identity from `{}`: {reason}", path.display())]
    OsRelease { path: PathBuf, reason: String },
    #[error("this machine runs `{found}`, which is not an allowed build system (allowed: {})", allowed.join(", "))]
    Os { found: String, allowed: Vec<String> },
    #[error("missing build dependencies: {}", packages.join(", "))]
    MissingPackages { packages: Vec<String>, modules: Vec<String> },
    #[error("could not run `{tool}`")]
    Tool {
        tool: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no pinned SHA-256 for CPython {version} in `[build.sources]`")]
    NoPin { version: String },
    #[error("the source `{}` does not exist or is not a file", path.display())]
    SourceMissing { path: PathBuf },
    #[error("could not download the source")]
    Download(#[from] crate::shared::http::Error),
    #[error("the source `{}` has SHA-256 {actual}, not the pinned {expected}", path.display())]
    HashMismatch { path: PathBuf, expected: String, actual: String },
    #[error("the signature of the source `{}` is missing: looked for `{}`", source_path.display(), signature.display())]
    SignatureMissing { source_path: PathBuf, signature: PathBuf },
    #[error("the signature check of the source failed")]
    Signature(#[from] crate::pipeline::gpg::Error),
    #[error("the Sigstore check of the source failed")]
    Sigstore(#[from] crate::pipeline::sigstore::Error),
    #[error("step `{step}` failed ({status}); last lines of `{}`:\n{tail}", log.display())]
    Step { step: String, status: String, log: PathBuf, tail: String },
    #[error("the source archive `{}` holds no `configure` script at its top", path.display())]
    NotCpython { path: PathBuf },
    #[error("the build is missing module(s) {}", missing.iter().map(|(m, e)| format!("`{m}` ({e})")).collect::<Vec<_>>().join(", "))]
    Modules { missing: Vec<(String, String)> },
    #[error("the built interpreter is wrong: {reason}")]
    Validation { reason: String, log: Option<PathBuf> },
    #[error("container build: {reason}")]
    Container { reason: String },
    #[error("vagrant build: {reason}")]
    Vagrant { reason: String },
    #[error("configuration `[build]`: {reason}")]
    Config { reason: String },
}

impl Error {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Io { action, path: path.to_path_buf(), source }
    }

    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::Io { source, .. } if source.raw_os_error() == Some(28) => {
                "the disk is full: free space in the build cache (`--cache`, SPECGATE_BUILD_CACHE) and run the build again".to_owned()
            }
            Error::Io { .. } => "check that the path exists and that you may read and write it".to_owned(),
            Error::OsRelease { .. } => "builds run on a Linux system with /etc/os-release (Ubuntu or Debian)".to_owned(),
            Error::Os { found, .. } => format!(
                "build on an allowed system (`specgate build --on container` or the Vagrant VM), or add \"{found}\" to `[build] allowed-os` in specgate.toml if the team supports it"
            ),
            Error::MissingPackages { packages, .. } => {
                format!("install them, then build again: `sudo apt-get install -y {}`", packages.join(" "))
            }
            Error::Tool { tool, .. } => format!("install `{tool}` and make sure it is on PATH"),
            Error::NoPin { version } => format!(
                "pin the source in specgate.toml: `[build.sources.\"{version}\"]` with `sha256 = \"...\"` taken from python.org's release page (docs/updating-python.md)"
            ),
            Error::SourceMissing { .. } => "pass the CPython source tarball with `--source FILE` or `--source URL`".to_owned(),
            Error::Download(e) => e.hint().unwrap_or_default(),
            Error::HashMismatch { .. } => "do not build from this file: it is corrupt or not the pinned release; download it again from the official source".to_owned(),
            Error::SignatureMissing { .. } => "put the release's `.asc` (3.13 and earlier) or `.sigstore` bundle (3.14 and later) beside the tarball, or pass `--signature FILE`".to_owned(),
            Error::Signature(e) => e.hint().unwrap_or_default(),
            Error::Sigstore(e) => e.hint().unwrap_or_default(),
            Error::Step { tail, .. } if tail.contains("No space left on device") => {
                "the disk is full: free space where the build cache lives (`--cache`, SPECGATE_BUILD_CACHE) and run the build again".to_owned()
            }
            Error::Step { step, log, .. } => format!(
                "read the whole log `{}`; `{step}` failing usually means a missing -dev package or a broken source (docs/troubleshooting-build.md)",
                log.display()
            ),
            Error::NotCpython { .. } => "pass the CPython release tarball (`Python-X.Y.Z.tgz` or Debian's `python3.X_X.Y.Z.orig.tar.gz`)".to_owned(),
            Error::Modules { missing } => {
                let packages: Vec<&str> = missing.iter().filter_map(|(m, _)| gates::package_for_module(m)).collect();
                if packages.is_empty() {
                    "see docs/troubleshooting-build.md for the module".to_owned()
                } else {
                    format!(
                        "install the -dev package(s) and build again: `sudo apt-get install -y {}` (docs/troubleshooting-build.md)",
                        packages.join(" ")
                    )
                }
            }
            Error::Validation { log: Some(log), .. } => format!("the build log is `{}`; docs/troubleshooting-build.md", log.display()),
            Error::Validation { .. } => "see docs/troubleshooting-build.md".to_owned(),
            Error::Container { .. } => "check that podman works (`podman run --rm <image> true`) and that the base image exists (`bash .ci/containers`); docs/building.md".to_owned(),
            Error::Vagrant { .. } => "see docs/vagrant.md for the VM runbook".to_owned(),
            Error::Config { .. } => "fix the key named above; docs/building.md lists every `[build]` key".to_owned(),
        })
    }
}

/// Where the build cache lives: `--cache`, else SPECGATE_BUILD_CACHE, else
/// `$XDG_CACHE_HOME/specgate/build`, else `/var/tmp/specgate-build-cache`.
pub fn default_cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(crate::shared::env::BUILD_CACHE).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(dir).join("specgate/build");
    }
    PathBuf::from("/var/tmp/specgate-build-cache")
}
