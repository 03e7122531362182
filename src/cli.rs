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
    /// Install or remove the git hook shims (pre-push, pre-commit).
    Hooks(HooksArgs),
    /// Entry points the installed git hooks call.
    Hook(HookArgs),
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
    },
    /// Remove the shims and restore chained hooks.
    Uninstall,
}

#[derive(Debug, Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub hook: HookCommand,
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
}

#[derive(Debug, Subcommand)]
pub enum CheckCommand {
    /// Front-matter, ids, links, spec bodies and code markers of the governed documents.
    Spec(SpecArgs),
    /// Run the critical tests configured in `[tests] critical`.
    Tests,
}

#[derive(Debug, Args)]
pub struct SpecArgs {
    /// Documents (or other files with markers) to check; default: the whole repository.
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TraceArgs {}
