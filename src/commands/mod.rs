//! Glue between the command line and the library: build the context, run, print, pick the
//! exit status. Nothing here decides a rule.

mod build;
mod check;
mod hooks;
mod install;
mod ledger;
mod outdated;
mod package;
mod publish;
mod trace;
mod update;
mod wheelhouse;

use std::path::{Path, PathBuf};

use crate::error::Context as _;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::shared::config::Config;
use crate::shared::context::CheckContext;
use crate::shared::diag::{self, Format, Level, Report};
use crate::shared::workspace::Workspace;
use crate::{ExitStatus, Output};

pub use crate::error::UsageError;

pub fn dispatch(cli: Cli, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let Cli { mut global, format, command } = cli;
    global.format = output_format(&command, format)?;
    let global = &global;
    match &command {
        Command::Check(args) => check::run(global, args, output),
        Command::Trace(args) => trace::run(global, args, output),
        Command::Ledger(args) => ledger::run(global, args, output),
        Command::Package(args) => package::run(global, args, output),
        Command::Hooks(args) => hooks::install(global, args, output),
        Command::Hook(args) => hooks::run(global, args, output),
        Command::Publish(args) => publish::run(global, args, output),
        Command::Install(args) => install::install(global, args, output),
        Command::List(args) => install::list(args, output),
        Command::Use(args) => install::use_version(args, output),
        Command::Uninstall(args) => install::uninstall(args, output),
        Command::Build(args) => build::run(global, args, output),
        Command::Outdated(args) => outdated::run(global, args, output),
        Command::Update(args) => update::run(global, args, output),
        Command::Wheelhouse(command) => wheelhouse::run(global, command, output),
    }
}

/// The format of the findings: `--format` before the command name wins (it can only have been
/// typed), then the command's own `--format` or `SPECGATE_FORMAT`. A command that prints no
/// findings refuses `--format` before its name, and ignores `SPECGATE_FORMAT`.
fn output_format(command: &Command, before_command: Option<Format>) -> crate::error::Result<Option<Format>> {
    match command.format_args() {
        Some(args) => Ok(before_command.or(args.format)),
        None if before_command.is_some() => Err(UsageError {
            message: format!("`specgate {}` prints no findings, so `--format` does not apply to it", command.name()),
            hint: Some("`--format` is an option of check, trace, hook, publish and outdated; leave it out".to_owned()),
        }
        .into()),
        None => Ok(None),
    }
}

/// `1 file`, `2 files`: a count and its noun, singular for exactly one.
pub(crate) fn count<N: std::fmt::Display + PartialEq + From<u8>>(n: N, one: &str, many: &str) -> String {
    let noun = if n == N::from(1) { one } else { many };
    format!("{n} {noun}")
}

/// The folder the command runs in: `-C DIR` or the current directory.
fn start_dir(global: &GlobalArgs) -> crate::error::Result<PathBuf> {
    match &global.directory {
        Some(dir) => Ok(dir.clone()),
        None => std::env::current_dir().context("could not read the current directory"),
    }
}

/// The digest of a `--sha256 HEX` flag; `from` says where a user finds the right one.
fn sha256_flag(flag: &Option<String>, from: &str) -> crate::error::Result<Option<crate::shared::artifact::Digest>> {
    let Some(hex) = flag else { return Ok(None) };
    let digest = crate::shared::artifact::Digest::from_hex(hex.trim()).ok_or_else(|| UsageError {
        message: format!("--sha256 `{hex}` is not a SHA-256 digest"),
        hint: Some(format!("pass the 64 hex characters of {from}")),
    })?;
    Ok(Some(digest))
}

/// Discover the workspace, load the configuration and list the files.
pub(crate) fn context(global: &GlobalArgs) -> crate::error::Result<CheckContext> {
    let (workspace, config) = workspace_and_config(global)?;
    Ok(CheckContext::new(workspace, config)?)
}

/// Discover the workspace and load the configuration, with `--deny` applied.
pub(crate) fn workspace_and_config(global: &GlobalArgs) -> crate::error::Result<(Workspace, Config)> {
    let start = start_dir(global)?;
    let workspace = Workspace::discover(&start)?;
    let mut config = Config::load(&workspace.root, global.config.as_deref())?;
    for code in &global.deny {
        if diag::lookup(code).is_none() {
            return Err(UsageError {
                message: format!("`--deny {code}` names an unknown code"),
                hint: Some("docs/diagnostics.md lists every code".to_owned()),
            }
            .into());
        }
        config.levels.set(code, Level::Deny);
    }
    Ok((workspace, config))
}

/// Turn command-line paths into repository-relative ones; a path that does not exist or lies
/// outside the repository is a usage error.
pub(crate) fn relative_paths(ctx: &CheckContext, paths: &[PathBuf], base: &Path) -> crate::error::Result<Vec<String>> {
    let mut out = Vec::new();
    for path in paths {
        let absolute = if path.is_absolute() { path.clone() } else { base.join(path) };
        if !absolute.exists() {
            return Err(UsageError {
                message: format!("`{}` does not exist", path.display()),
                hint: Some("pass files of the repository, relative to the current directory".to_owned()),
            }
            .into());
        }
        let relative = ctx.workspace.relative(&absolute).ok_or_else(|| UsageError {
            message: format!("`{}` is outside the repository `{}`", path.display(), ctx.workspace.root.display()),
            hint: Some("run specgate inside the repository, or pass `-C <repository>`".to_owned()),
        })?;
        out.push(relative);
    }
    Ok(out)
}

/// The file set a content check scans, from its command-line flags (default: `--all`).
pub(crate) fn selection(
    ctx: &CheckContext,
    args: &crate::cli::FileSetArgs,
    global: &GlobalArgs,
) -> crate::error::Result<crate::gate::scan::Selection> {
    use crate::gate::scan::Selection;
    let base = start_dir(global)?;
    Ok(if let Some(range) = &args.range {
        Selection::Range(range.clone())
    } else if args.staged {
        Selection::Staged
    } else if let Some(archive) = &args.archive {
        Selection::Archive(if archive.is_absolute() { archive.clone() } else { base.join(archive) })
    } else if !args.paths.is_empty() {
        Selection::Paths(relative_paths(ctx, &args.paths, &base)?)
    } else {
        Selection::All
    })
}

/// Print a report in the chosen format and pick the exit status.
pub(crate) fn finish(
    report: &mut Report,
    global: &GlobalArgs,
    output: &mut Output<'_>,
) -> crate::error::Result<ExitStatus> {
    report.sort();
    if global.quiet {
        report.notes.clear();
    }
    let format = global.format.unwrap_or_default();
    match format {
        Format::Human => diag::render_human(report, output.stderr),
        Format::Json | Format::Sarif => diag::render(report, format, output.stdout),
    }
    .context("could not write the report")?;
    Ok(if report.has_errors() { ExitStatus::Findings } else { ExitStatus::Success })
}
