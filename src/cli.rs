//! The command line, declared with clap derive: `Cli`, `Command`, one `*Args` per subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::diag::Format;

/// specgate: the spec-driven gate and the prebuilt CPython pipeline.
#[derive(Debug, Parser)]
#[command(name = "specgate", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Output format of findings.
    #[arg(long, global = true, value_enum, env = crate::env::FORMAT)]
    pub format: Option<Format>,
    /// Configuration file (default: specgate.toml at the root of the work tree).
    #[arg(long, global = true, env = crate::env::CONFIG, value_name = "FILE")]
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
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(subcommand)]
    pub check: Option<CheckCommand>,
}

#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Front-matter, ids, links, spec bodies and code markers of the governed documents.
    Spec(SpecArgs),
    /// Secrets (tokens, keys, passwords) in a file set; findings show a redacted preview.
    Secrets(SecretsArgs),
    /// Emoji in text: one finding per emoji cluster (flags, keycaps, ZWJ sequences included).
    Emoji(EmojiArgs),
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
pub struct TraceArgs {}

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
