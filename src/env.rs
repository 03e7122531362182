//! Every environment variable specgate reads, in one place.

/// Path of the configuration file, instead of `<root>/specgate.toml`.
pub const CONFIG: &str = "SPECGATE_CONFIG";
/// Default output format (`human`, `json`, `sarif`) when `--format` is not given.
pub const FORMAT: &str = "SPECGATE_FORMAT";
/// The mtime of every member of a packed artifact (reproducible-builds.org convention).
pub const SOURCE_DATE_EPOCH: &str = "SOURCE_DATE_EPOCH";
/// The build cache folder of `specgate build` (default `$XDG_CACHE_HOME/specgate/build`).
pub const BUILD_CACHE: &str = "SPECGATE_BUILD_CACHE";
