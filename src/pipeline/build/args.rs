//! The arguments of `specgate build`. They live with the build because `--on container` and
//! `--on vagrant` pass them on to the specgate that runs inside; `cli` parses them.

use std::path::PathBuf;

use clap::Args;

/// Compression of `specgate package`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum PackageFormat {
    /// `.tgz` (gzip level 6, parallel).
    #[default]
    Tgz,
    /// `.tar.zst` (zstd level 3, multithreaded).
    Zst,
}

/// Where `specgate build` runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BuildOn {
    /// This machine.
    #[default]
    Host,
    /// A podman or docker container from `[build] container-image`, running this same binary.
    Container,
    /// The team's Vagrant VM (vagrant/Vagrantfile), provisioned to run `specgate build`.
    Vagrant,
}

#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// CPython version `X.Y.Z`.
    #[arg(long, value_name = "X.Y.Z")]
    pub python: String,
    /// The source tarball: a file, or an http(s) URL (default: `[build.sources."X.Y.Z"] url`).
    #[arg(long, value_name = "FILE|URL")]
    pub source: Option<String>,
    /// The signature of the source: the OpenPGP `.asc` (default: `<source>.asc`), or for
    /// 3.14 and later the Sigstore bundle (default: `<source>.sigstore`).
    #[arg(long, value_name = "FILE")]
    pub signature: Option<PathBuf>,
    /// Build number, from 1.
    #[arg(long, default_value_t = 1)]
    pub build: u32,
    /// Parallel make jobs (default: the number of cores).
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// `release` (PGO+LTO, the seed's flags) or `fast` (no PGO/LTO, for development and tests).
    #[arg(long, value_enum, default_value_t)]
    pub profile: super::Profile,
    /// Where it runs.
    #[arg(long, value_enum, default_value_t)]
    pub on: BuildOn,
    /// Output folder (default: `[artifacts] folder`, `artifacts/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Build cache folder (default: `$XDG_CACHE_HOME/specgate/build`, else /var/tmp/specgate-build-cache).
    #[arg(long, value_name = "DIR", env = crate::shared::env::BUILD_CACHE)]
    pub cache: Option<PathBuf>,
    /// Compile even when the cache holds a matching build.
    #[arg(long)]
    pub no_cache: bool,
    /// The build log (default: `<cache>/logs/build-<version>-<profile>-<key>-<time>.log`).
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Keep the stdlib test suite (left out by default).
    #[arg(long)]
    pub keep_tests: bool,
    /// Keep the static libpythonX.Y.a (left out by default).
    #[arg(long)]
    pub keep_static: bool,
    /// Keep debug symbols (stripped by default).
    #[arg(long)]
    pub keep_debug: bool,
    /// The PSF LICENSE to place at `opt/python-X.Y.Z/LICENSE` (default: the one `make install` writes).
    #[arg(long, value_name = "FILE")]
    pub license: Option<PathBuf>,
    /// Compression of the artifact.
    #[arg(long, value_enum, default_value_t)]
    pub compression: PackageFormat,
    /// Do not add the row to the ledger.
    #[arg(long)]
    pub no_ledger: bool,
    /// The container image (default: `[build] container-image`); with `--on container`.
    #[arg(long, value_name = "IMAGE")]
    pub image: Option<String>,
}
