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
