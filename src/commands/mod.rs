//! Glue between the command line and the library: build the context, run, print, pick the
//! exit status. Nothing here decides a rule.

mod check;
mod hooks;
mod install;
mod ledger;
mod package;
mod publish;
mod trace;

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::{Cli, Command, GlobalArgs};
use crate::config::Config;
use crate::context::CheckContext;
use crate::diag::{self, Format, Level, Report};
use crate::workspace::Workspace;
use crate::{ExitStatus, Output};

/// A command line that names something that does not exist or cannot work.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    pub message: String,
    pub hint: Option<String>,
}

pub fn dispatch(cli: Cli, output: &mut Output<'_>) -> anyhow::Result<ExitStatus> {
    match &cli.command {
        Command::Check(args) => check::run(&cli.global, args, output),
        Command::Trace(args) => trace::run(&cli.global, args, output),
        Command::Ledger(args) => ledger::run(&cli.global, args, output),
        Command::Package(args) => package::run(&cli.global, args, output),
        Command::Hooks(args) => hooks::install(&cli.global, args, output),
        Command::Hook(args) => hooks::run(&cli.global, args, output),
        Command::Publish(args) => publish::run(&cli.global, args, output),
        Command::Install(args) => install::install(&cli.global, args, output),
        Command::List(args) => install::list(args, output),
        Command::Use(args) => install::use_version(args, output),
        Command::Uninstall(args) => install::uninstall(args, output),
    }
}

/// The folder the command runs in: `-C DIR` or the current directory.
fn start_dir(global: &GlobalArgs) -> anyhow::Result<PathBuf> {
    match &global.directory {
        Some(dir) => Ok(dir.clone()),
        None => std::env::current_dir().context("could not read the current directory"),
    }
}

/// Discover the workspace, load the configuration and list the files.
pub(crate) fn context(global: &GlobalArgs) -> anyhow::Result<CheckContext> {
    let (workspace, config) = workspace_and_config(global)?;
    Ok(CheckContext::new(workspace, config)?)
}

/// Discover the workspace and load the configuration, with `--deny` applied.
pub(crate) fn workspace_and_config(global: &GlobalArgs) -> anyhow::Result<(Workspace, Config)> {
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
pub(crate) fn relative_paths(ctx: &CheckContext, paths: &[PathBuf], base: &Path) -> anyhow::Result<Vec<String>> {
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
) -> anyhow::Result<crate::scan::Selection> {
    use crate::scan::Selection;
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
pub(crate) fn finish(report: &mut Report, global: &GlobalArgs, output: &mut Output<'_>) -> anyhow::Result<ExitStatus> {
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
