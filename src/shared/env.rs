//! Every environment variable specgate reads, in one place.

/// Path of the configuration file, instead of `<root>/specgate.toml`.
pub const CONFIG: &str = "SPECGATE_CONFIG";
/// Default output format (`human`, `json`, `sarif`) when `--format` is not given.
pub const FORMAT: &str = "SPECGATE_FORMAT";
/// The mtime of every member of a packed artifact (reproducible-builds.org convention).
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";
/// The GitHub token of `specgate publish` (first choice; the `gh` CLI's variable).
pub const GH_TOKEN: &str = "GH_TOKEN";
/// The GitHub token of `specgate publish` when `GH_TOKEN` is unset (GitHub Actions provides it).
pub const GITHUB_TOKEN: &str = "GITHUB_TOKEN";
/// The commit a published release's tag names when `--target` is not given (GitHub Actions
/// sets it to the commit the workflow runs on).
pub const GITHUB_SHA: &str = "GITHUB_SHA";
/// Seconds between two writes of `specgate publish` to the GitHub API (default 1, as GitHub
/// asks; a GitHub Enterprise Server without secondary limits may allow 0).
pub const GITHUB_WRITE_INTERVAL: &str = "SPECGATE_GITHUB_WRITE_INTERVAL";
/// Folder of the content-addressed artifact cache of `specgate install`.
pub const CACHE_DIR: &str = "SPECGATE_CACHE_DIR";
/// A mirror folder (URL or path) that replaces where `specgate install` downloads from.
pub const MIRROR: &str = "SPECGATE_MIRROR";
/// The build cache folder of `specgate build` (default `$XDG_CACHE_HOME/specgate/build`).
pub const BUILD_CACHE: &str = "SPECGATE_BUILD_CACHE";
/// A PEM bundle of CA certificates that replaces the web PKI roots built into specgate for
/// HTTPS (the OpenSSL convention; for a proxy that inspects TLS with a private CA).
pub const SSL_CERT_FILE: &str = "SSL_CERT_FILE";
