//! The command line, declared with clap derive: `Cli`, `Command`, one `*Args` per subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::shared::diag::Format;

pub use crate::pipeline::build::args::{BuildArgs, BuildOn, PackageFormat};

/// specgate: the spec-driven gate and the prebuilt CPython pipeline.
#[derive(Debug, Parser)]
#[command(name = "specgate", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    /// `--format` before the command name (`specgate --format json check`), the spelling of
    /// earlier versions: still accepted, not shown in the help, and refused for a command that
    /// prints no findings.
    #[arg(long = "format", id = "format_before_command", value_enum, value_name = "FORMAT", hide = true)]
    pub format: Option<Format>,
    #[command(subcommand)]
    pub command: Command,
}

/// `--format` of the commands that print findings (check, trace, hook, publish); given
/// after the command name or any of its subcommands.
#[derive(Debug, Clone, Default, Args)]
pub struct FormatArgs {
    /// Output format of findings: human on stderr, json or sarif on stdout.
    #[arg(long, global = true, value_enum, env = crate::shared::env::FORMAT)]
    pub format: Option<Format>,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// The output format the command line chose: `--format` of a command that prints
    /// findings, else `--format` before the command name. Filled in by `commands::dispatch`,
    /// never parsed from this struct (only some commands offer `--format`).
    #[arg(skip)]
    pub format: Option<Format>,
    /// Configuration file (default: specgate.toml at the root of the work tree).
    #[arg(long, global = true, env = crate::shared::env::CONFIG, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run as if started in DIR.
    #[arg(short = 'C', long = "directory", global = true, value_name = "DIR")]
    pub directory: Option<PathBuf>,
    /// Treat findings with this code as errors (repeatable).
    #[arg(long, global = true, value_name = "CODE")]
    pub deny: Vec<String>,
    /// Print only findings, no summary or notes.
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gate's checks; without a subcommand, every check on the whole repository.
    Check(CheckArgs),
    /// Print the traceability matrix: spec -> acceptance criterion -> test cases -> files.
    Trace(TraceArgs),
    /// Edit the ARTIFACTS.md ledger: add a row from an artifact, apply retention.
    Ledger(LedgerArgs),
    /// Pack a staged CPython install into a reproducible artifact, its sidecar and a ledger row.
    Package(PackageArgs),
    /// Install or remove the git hook shims (pre-push, pre-commit).
    Hooks(HooksArgs),
    /// Entry points the installed git hooks call.
    Hook(HookArgs),
    /// Compile CPython (gated, validated, slimmed) and pack it into an artifact with its sidecar and ledger row.
    Build(BuildArgs),
    /// Publish an artifact to a GitHub release and/or a mirror folder, gated; apply retention.
    Publish(PublishArgs),
    /// Install a prebuilt CPython artifact into /opt/python-X.Y.Z, verified, atomically.
    Install(InstallArgs),
    /// List the CPython versions installed by specgate, and which one python3 runs.
    List(RootArgs),
    /// Point python3 and pip3 at an installed version (rollback is `use` of the older one).
    Use(UseArgs),
    /// Remove an installed version.
    Uninstall(UninstallArgs),
    /// Whether the CPython versions in use are due for an update: newer patch releases,
    /// advisories that affect them, builds older than the rebuild period (BR-004).
    Outdated(OutdatedArgs),
    /// Pin the newest patch release of a version line in specgate.toml, verified, and print
    /// the build command.
    Update(UpdateArgs),
    /// Build or install a wheelhouse: a project's dependencies as locked wheels, installed offline.
    #[command(subcommand)]
    Wheelhouse(WheelhouseCommand),
}

impl Command {
    /// The `--format` of this command, `None` for a command that prints no findings.
    pub fn format_args(&self) -> Option<&FormatArgs> {
        match self {
            Command::Check(args) => Some(&args.format),
            Command::Trace(args) => Some(&args.format),
            Command::Hook(args) => Some(&args.format),
            Command::Publish(args) => Some(&args.format),
            Command::Outdated(args) => Some(&args.format),
            Command::Update(_)
            | Command::Ledger(_)
            | Command::Package(_)
            | Command::Hooks(_)
            | Command::Build(_)
            | Command::Install(_)
            | Command::List(_)
            | Command::Use(_)
            | Command::Uninstall(_)
            | Command::Wheelhouse(_) => None,
        }
    }

    /// The command's name as typed, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Check(_) => "check",
            Command::Trace(_) => "trace",
            Command::Ledger(_) => "ledger",
            Command::Package(_) => "package",
            Command::Hooks(_) => "hooks",
            Command::Hook(_) => "hook",
            Command::Build(_) => "build",
            Command::Publish(_) => "publish",
            Command::Install(_) => "install",
            Command::List(_) => "list",
            Command::Use(_) => "use",
            Command::Uninstall(_) => "uninstall",
            Command::Outdated(_) => "outdated",
            Command::Update(_) => "update",
            Command::Wheelhouse(_) => "wheelhouse",
        }
    }
}

#[derive(Debug, Args)]
pub struct RootArgs {
    /// Install root: prefixes go to ROOT/opt, links to ROOT/usr/local/bin (for chroots and tests).
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
}

/// Where a download comes from and how hard it tries: shared by `install` and `wheelhouse install`.
#[derive(Debug, Args)]
pub struct DownloadArgs {
    /// Download from this folder (URL, file:// or path) instead, keeping the artifact's file name.
    #[arg(long, value_name = "URL", env = crate::shared::env::MIRROR)]
    pub mirror: Option<String>,
    /// Allow plain http:// to hosts other than loopback.
    #[arg(long)]
    pub allow_http: bool,
    /// Seconds the download may wait for any single read before the attempt fails.
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub read_timeout: u64,
    /// Attempts after the first on connection errors, timeouts, 5xx and 429.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
}

impl DownloadArgs {
    /// The mirror, when one is set and not empty (an empty `SPECGATE_MIRROR` means none).
    pub fn mirror(&self) -> Option<String> {
        self.mirror.clone().filter(|m| !m.is_empty())
    }

    pub fn http_options(&self) -> crate::shared::http::Options {
        crate::shared::http::Options {
            read_timeout: std::time::Duration::from_secs(self.read_timeout.max(1)),
            retries: self.retries,
            ..Default::default()
        }
    }
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    /// CPython version `X.Y.Z` the artifact holds.
    #[arg(long)]
    pub version: String,
    /// The artifact: https://, http:// (loopback only unless --allow-http), file:// or a path.
    #[arg(long, required_unless_present = "index")]
    pub url: Option<String>,
    /// Without --url: the Feature's index (`specgate ledger index`); the newest published build
    /// of --version for this root's distro (`etc/os-release`), verified against its SHA-256.
    #[arg(long, value_name = "FILE")]
    pub index: Option<PathBuf>,
    /// Expected SHA-256 (64 hex); default: `<URL>.sha256`, then the --ledger row.
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// ARTIFACTS.md to take the expected SHA-256 from when there is no flag and no sidecar.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    #[command(flatten)]
    pub download: DownloadArgs,
    #[command(flatten)]
    pub root: RootArgs,
    /// Cache of verified artifacts (default: $SPECGATE_CACHE_DIR, /var/cache/specgate/artifacts as root, else ~/.cache/specgate/artifacts).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Reinstall even if the same artifact is installed.
    #[arg(long)]
    pub force: bool,
    /// Do not point python3 and pip3 at this version (python3.X and pip3.X links are still made).
    #[arg(long)]
    pub no_default: bool,
    /// Seconds to wait for another install holding the lock.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub lock_timeout: u64,
    /// Seconds the interpreter check and each bin/ entry point may run before they are stopped.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::shared::config::limits::PROBE_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
    pub probe_timeout: u64,
    /// Seconds each gpg run (with --signing-key) may take before it is stopped.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::shared::config::limits::GPG_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
    pub gpg_timeout: u64,
    /// Require the detached signature `<URL>.asc` made by this OpenPGP public key (file).
    #[arg(long, value_name = "FILE", requires = "signing_fingerprint")]
    pub signing_key: Option<PathBuf>,
    /// The fingerprint the signing key must have (40 hex digits; spaces allowed).
    #[arg(long, value_name = "FPR", requires = "signing_key")]
    pub signing_fingerprint: Option<String>,
    /// Another module the interpreter must import, besides ssl, sqlite3, uuid, lzma, bz2 (repeatable).
    #[arg(long = "module", value_name = "NAME")]
    pub modules: Vec<String>,
    /// Progress: a bar on a terminal, one line per phase otherwise.
    #[arg(long, value_enum, default_value_t)]
    pub progress: Progress,
}

#[derive(Debug, Clone, Copy, Default, clap::ValueEnum)]
pub enum Progress {
    #[default]
    Auto,
    Bar,
    Lines,
}

#[derive(Debug, Args)]
pub struct UseArgs {
    /// The installed version `X.Y.Z`.
    pub version: String,
    #[command(flatten)]
    pub root: RootArgs,
}

#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// The installed version `X.Y.Z`.
    pub version: String,
    #[command(flatten)]
    pub root: RootArgs,
    /// Also remove the active version (python3 and pip3 links go with it).
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub struct HooksArgs {
    #[command(subcommand)]
    pub action: HooksAction,
}

#[derive(Debug, Subcommand)]
pub enum HooksAction {
    /// Write the pre-push and pre-commit shims into the hooks folder (core.hooksPath respected).
    Install {
        /// Keep an existing foreign hook (renamed `<hook>.specgate-chained`) and run it first.
        #[arg(long)]
        force: bool,
        /// The specgate binary the hooks run (default: this one, or when this one lies in
        /// cargo's build folder, which `cargo clean` deletes, the same version found on PATH).
        #[arg(long, value_name = "PATH")]
        binary: Option<PathBuf>,
    },
    /// Remove the shims and restore chained hooks.
    Uninstall,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub hook: HookCommand,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Check what `git push` sends (refs on stdin, as git gives them).
    PrePush {
        /// Name of the remote (git passes it).
        remote: Option<String>,
        /// URL of the remote (git passes it).
        url: Option<String>,
    },
    /// Check the staged content.
    PreCommit,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(subcommand)]
    pub check: Option<CheckCommand>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Front-matter, ids, links, spec bodies and code markers of the governed documents.
    Spec(SpecArgs),
    /// Run the critical tests configured in `[tests] critical`.
    Tests,
    /// Secrets (tokens, keys, passwords) in a file set; findings show a redacted preview.
    Secrets(SecretsArgs),
    /// Emoji in text: one finding per emoji cluster (flags, keycaps, ZWJ sequences included).
    Emoji(EmojiArgs),
    /// The ARTIFACTS.md ledger against the artifacts, their sidecars and (with --remote) the releases.
    Ledger(LedgerCheckArgs),
    /// The Dev Container Feature manifests `feature/*/devcontainer-feature.json`.
    Feature,
    /// Links of every Markdown file: relative paths, `#anchors`, `#L` lines; with --remote, external URLs.
    Links(LinksCheckArgs),
}

#[derive(Debug, Args)]
pub struct LinksCheckArgs {
    /// Also request each external http(s) URL (HEAD, then GET), once per URL.
    #[arg(long)]
    pub remote: bool,
}

#[derive(Debug, Args)]
pub struct LedgerCheckArgs {
    /// Also download each Activo row's release URL and compare its SHA-256.
    #[arg(long)]
    pub remote: bool,
}

#[derive(Debug, Args)]
pub struct LedgerArgs {
    #[command(subcommand)]
    pub command: LedgerCommand,
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Add the row of an artifact, from the file and its `.sha256` sidecar (which must agree).
    Add(LedgerAddArgs),
    /// Mark Activo builds beyond the newest N per version line and distro `Deprecado`.
    Prune(LedgerPruneArgs),
    /// Write the Activo rows as the Dev Container Feature's index (`make feature` does), so
    /// `"version"` alone installs the right artifact.
    Index(LedgerIndexArgs),
}

#[derive(Debug, Args)]
pub struct LedgerIndexArgs {
    /// The ledger to read (default: `[artifacts] ledger` of specgate.toml); a missing file is an
    /// empty index.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Where to write the index (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct LedgerAddArgs {
    /// The artifact file (`cpython-X.Y.Z-<distro>-buildN.tgz`).
    pub artifact: PathBuf,
    /// The release URL (default `-`: not published yet; publish fills it in).
    #[arg(long)]
    pub url: Option<String>,
    /// The build date `YYYY-MM-DD` (default: today, UTC).
    #[arg(long)]
    pub date: Option<String>,
}

#[derive(Debug, Args)]
pub struct LedgerPruneArgs {
    /// How many Activo builds to keep per version line and distro (default: `[artifacts] max-active`).
    #[arg(long)]
    pub keep: Option<u32>,
}

#[derive(Debug, Args)]
pub struct PackageArgs {
    /// The DESTDIR of `make install`, holding `opt/python-X.Y.Z/`.
    pub stage_dir: PathBuf,
    /// CPython version `X.Y.Z`.
    #[arg(long)]
    pub version: String,
    /// Distro tag, `ubuntu20.04`, `debian12`.
    #[arg(long)]
    pub distro: String,
    /// Build number, from 1.
    #[arg(long)]
    pub build: u32,
    /// Output folder (default: `[artifacts] folder`, `artifacts/`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// The PSF LICENSE to place at `opt/python-X.Y.Z/LICENSE`.
    #[arg(long, value_name = "FILE")]
    pub license: Option<PathBuf>,
    /// Compression of the artifact.
    #[arg(long, value_enum, default_value_t)]
    pub compression: PackageFormat,
    /// Do not add the row to the ledger.
    #[arg(long)]
    pub no_ledger: bool,
    /// The CPython source tarball the tree was built from. Its SHA-256 must be the
    /// `[build.sources."X.Y.Z"]` pin; files of the tree identical to files of the source are
    /// recorded in `.specgate-upstream`, so publish does not scan that public text for secrets.
    #[arg(long, value_name = "FILE")]
    pub source: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Documents (or other files with markers) to check; default: the whole repository.
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct EmojiArgs {
    #[command(flatten)]
    pub files: FileSetArgs,
    /// Also report text-default symbols such as the copyright sign, arrows and check marks.
    #[arg(long)]
    pub strict: bool,
}

#[derive(Debug, Args)]
pub struct TraceArgs {
    #[command(flatten)]
    pub format: FormatArgs,
}

/// Which content a content check (`emoji`, `secrets`) scans; at most one of these.
/// With none, the whole repository (`--all`).
#[derive(Debug, Clone, Default, Args)]
#[group(multiple = false)]
pub struct FileSetArgs {
    /// Files or folders to scan (what the pre-commit framework passes).
    pub paths: Vec<PathBuf>,
    /// Every tracked file in the git index, and the members of tracked archives.
    #[arg(long)]
    pub all: bool,
    /// The staged content of the files that differ from `HEAD` (not the work-tree copies).
    #[arg(long)]
    pub staged: bool,
    /// Only the lines added by the commits of a range, e.g. `origin/main..HEAD` (pre-push).
    #[arg(long, value_name = "A..B")]
    pub range: Option<String>,
    /// Every member of an archive (.tgz, .tar.gz, .tar.zst, .whl, .zip), read as a stream.
    #[arg(long, value_name = "FILE")]
    pub archive: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SecretsArgs {
    #[command(flatten)]
    pub files: FileSetArgs,
    /// Write the findings to a baseline file (default: `secrets.baseline`, i.e.
    /// `.specgate-secrets-baseline.json`) instead of reporting them.
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    pub write_baseline: Option<Option<PathBuf>>,
    /// Accept the findings listed in this baseline file (default: `secrets.baseline` if it exists).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Print the active rules (id, keywords, regex; built-in and from specgate.toml) and exit.
    #[arg(long)]
    pub list_rules: bool,
}

#[derive(Debug, Args)]
pub struct PublishArgs {
    /// The artifact (`cpython-X.Y.Z-<distro>-buildN.tgz`) or wheelhouse
    /// (`wheelhouse-NAME-cpXY-<distro>-buildN.tgz`), with its sidecar and ledger row.
    #[arg(required_unless_present_any = ["prune", "feature"])]
    pub artifact: Option<PathBuf>,
    /// Publish this Dev Container Feature folder instead (after `make feature`), packed as
    /// `devcontainer-feature-<id>.tgz` in the release `feature-<id>-v<version>`, so other
    /// repositories reference it by URL.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["artifact", "prune", "sign"])]
    pub feature: Option<PathBuf>,
    /// The GitHub repository of the releases; the token comes from `GH_TOKEN` or `GITHUB_TOKEN`.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// The REST API root; `https://HOST/api/v3` for GitHub Enterprise Server.
    #[arg(long, value_name = "URL", default_value = "https://api.github.com")]
    pub api_url: String,
    /// Also (or only) lay the files out in this folder, for any static HTTP server.
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
    /// Run the gate and print every request (or copy) it would make; send and write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace an asset of the same name that differs (default: refuse).
    #[arg(long)]
    pub replace: bool,
    /// The commit the release's tag names (default: `GITHUB_SHA`, else GitHub's default branch).
    #[arg(long, value_name = "COMMIT")]
    pub target: Option<String>,
    /// Whether the release becomes the repository's Latest: `auto` unless a newer CPython
    /// version is already published.
    #[arg(long, value_enum, default_value_t)]
    pub latest: crate::pipeline::publish::Latest,
    /// Make a detached OpenPGP signature with gpg and publish it as `<artifact>.asc`.
    #[arg(long)]
    pub sign: bool,
    /// The gpg key to sign with (`--local-user`); default: gpg's default key.
    #[arg(long, value_name = "KEYID", requires = "sign", conflicts_with = "sign_key")]
    pub sign_as: Option<String>,
    /// Sign with the secret key in this file instead of the keyring.
    #[arg(long, value_name = "FILE", requires = "sign")]
    pub sign_key: Option<PathBuf>,
    /// Retention (BR-005): mark Activo builds beyond the newest N per version line Deprecado.
    #[arg(long, conflicts_with_all = ["artifact", "sign", "replace"])]
    pub prune: bool,
    /// With `--prune`: how many Activo builds to keep (default: `[artifacts] max-active`).
    #[arg(long, requires = "prune")]
    pub keep: Option<u32>,
    /// With `--prune`: delete the release assets (and mirror files) of builds no longer Activo.
    #[arg(long, requires = "prune")]
    pub delete_assets: bool,
    #[command(flatten)]
    pub format: FormatArgs,
}

/// Where `outdated` and `update` read python.org's releases, and how patiently.
#[derive(Debug, Args)]
pub struct ReleaseIndexArgs {
    /// python.org's release list: https://, loopback http://, file://, a JSON file, or a folder
    /// holding `release.json` (and `release_file-<id>.json` for `update`).
    #[arg(long, value_name = "URL|PATH", default_value = crate::pipeline::outdated::DEFAULT_INDEX)]
    pub index: String,
    /// Seconds any single read may wait before the attempt fails.
    #[arg(long, value_name = "SECONDS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout: u64,
    /// Attempts after the first on connection errors, timeouts, 5xx and 429.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,
}

#[derive(Debug, Args)]
pub struct OutdatedArgs {
    #[command(flatten)]
    pub index: ReleaseIndexArgs,
    /// The PSF advisories (OSV): https://, loopback http://, file://, a folder of records (a
    /// clone's `advisories/python`), a `.tar.gz` snapshot of the database, or a JSON file.
    #[arg(long, value_name = "URL|PATH", default_value = crate::pipeline::outdated::DEFAULT_ADVISORIES)]
    pub advisories: String,
    /// Today as `YYYY-MM-DD` for the rebuild period (default: the system clock's UTC date).
    #[arg(long, value_name = "YYYY-MM-DD", hide = true)]
    pub today: Option<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The version line `X.Y` whose newest patch release to pin.
    #[arg(long, value_name = "X.Y")]
    pub python: String,
    #[command(flatten)]
    pub index: ReleaseIndexArgs,
}

/// `specgate wheelhouse build|install`.
#[derive(Debug, Subcommand)]
pub enum WheelhouseCommand {
    /// `pip wheel` the requirements with the artifact's interpreter, lock every wheel, pack.
    Build(WheelhouseBuildArgs),
    /// Install a wheelhouse offline into an interpreter, verified against its digest and lock.
    Install(WheelhouseInstallArgs),
}

#[derive(Debug, Args)]
pub struct WheelhouseBuildArgs {
    /// The requirements file.
    #[arg(short = 'r', long = "requirements", value_name = "FILE")]
    pub requirements: PathBuf,
    /// The wheelhouse's name: lowercase letters, digits, `-` and `_`.
    #[arg(long)]
    pub name: String,
    /// CPython version `X.Y.Z` the interpreter must report.
    #[arg(long, value_name = "X.Y.Z")]
    pub python: String,
    /// Distro tag, `ubuntu20.04`, `debian12`.
    #[arg(long)]
    pub distro: String,
    /// Build number, from 1.
    #[arg(long)]
    pub build: u32,
    /// The interpreter (default: /opt/python-X.Y.Z/bin/pythonX.Y).
    #[arg(long, value_name = "PATH")]
    pub interpreter: Option<PathBuf>,
    /// Output folder.
    #[arg(long, value_name = "DIR", default_value = "artifacts")]
    pub out: PathBuf,
    /// Compression of the artifact.
    #[arg(long, value_enum, default_value_t)]
    pub compression: PackageFormat,
    /// Seconds the interpreter and pip checks may run.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::shared::config::limits::PROBE_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
    pub probe_timeout: u64,
    /// Seconds `pip wheel` may run (sdists are compiled).
    #[arg(long, value_name = "SECONDS", default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..))]
    pub pip_timeout: u64,
    /// Do not add the row to the ledger.
    #[arg(long)]
    pub no_ledger: bool,
}

#[derive(Debug, Args)]
pub struct WheelhouseInstallArgs {
    /// The wheelhouse: https://, http:// (loopback only unless --allow-http), file:// or a path.
    pub url: String,
    /// CPython version `X.Y.Z` of the interpreter.
    #[arg(long, value_name = "X.Y.Z")]
    pub python: String,
    /// Expected SHA-256 (64 hex); default: `<URL>.sha256`, then the --ledger row.
    #[arg(long, value_name = "HEX")]
    pub sha256: Option<String>,
    /// ARTIFACTS.md to take the expected SHA-256 from when there is no flag and no sidecar.
    #[arg(long, value_name = "FILE")]
    pub ledger: Option<PathBuf>,
    /// Root of the default interpreter ROOT/opt/python-X.Y.Z/bin/pythonX.Y.
    #[arg(long, value_name = "DIR", default_value = "/")]
    pub root: PathBuf,
    /// The interpreter to install into (a venv's python, for example).
    #[arg(long, value_name = "PATH")]
    pub interpreter: Option<PathBuf>,
    /// Cache of verified artifacts (default: as for `specgate install`).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Install even if the receipt names the same wheelhouse.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub download: DownloadArgs,
    /// Seconds to wait for another install into the same environment.
    #[arg(long, value_name = "SECONDS", default_value_t = 600)]
    pub lock_timeout: u64,
    /// Seconds the interpreter check may run.
    #[arg(long, value_name = "SECONDS", default_value_t = crate::shared::config::limits::PROBE_SECONDS, value_parser = clap::value_parser!(u64).range(1..))]
    pub probe_timeout: u64,
    /// Seconds `pip install` may run.
    #[arg(long, value_name = "SECONDS", default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..))]
    pub pip_timeout: u64,
}
