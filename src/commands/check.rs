//! `specgate check [spec|links|emoji|secrets|...]`.

use crate::cli::{CheckArgs, CheckCommand, GlobalArgs};
use crate::gate::config_paths::{self, Section};
use crate::gate::scan::{emoji, Selection};
use crate::gate::spec;
use crate::shared::diag::Report;
use crate::{ExitStatus, Output};

pub fn run(global: &GlobalArgs, args: &CheckArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let ctx = super::context(global)?;
    let mut report = Report::new(ctx.config.levels.clone());
    match &args.check {
        None => {
            spec::check(&ctx, None, &mut report);
            // The spec check covers its own lists; the others are checked once here.
            config_paths::check(&ctx, &[Section::Emoji, Section::Secrets, Section::Tests, Section::Hooks], &mut report);
            emoji::check(&ctx, &Selection::All, false, &mut report)?;
            secrets(&ctx, global, &Selection::All, None, None, &mut report)?;
            crate::gate::ledger::check(&ctx, &crate::gate::ledger::CheckOptions::default(), &mut report);
            crate::gate::feature::check(&ctx, &mut report);
            // `check spec` above checked the links of the governed documents.
            let others = ctx.files.iter().filter(|p| !spec::is_governed(p, &ctx.config.spec)).cloned().collect();
            let options = crate::gate::links::Options { paths: Some(others), ..Default::default() };
            crate::gate::links::check(&ctx, &options, &mut report);
        }
        Some(CheckCommand::Links(links_args)) => {
            let options = crate::gate::links::Options { remote: links_args.remote, ..Default::default() };
            crate::gate::links::check(&ctx, &options, &mut report);
        }
        Some(CheckCommand::Feature) => crate::gate::feature::check(&ctx, &mut report),
        Some(CheckCommand::Ledger(ledger_args)) => {
            let options = crate::gate::ledger::CheckOptions {
                remote: ledger_args.remote,
                ..crate::gate::ledger::CheckOptions::default()
            };
            crate::gate::ledger::check(&ctx, &options, &mut report);
        }
        Some(CheckCommand::Spec(spec_args)) => {
            let paths = if spec_args.paths.is_empty() {
                None
            } else {
                Some(super::relative_paths(&ctx, &spec_args.paths, &super::start_dir(global)?)?)
            };
            spec::check(&ctx, paths.as_deref(), &mut report);
        }
        Some(CheckCommand::Tests) => {
            config_paths::check(&ctx, &[Section::Tests], &mut report);
            crate::gate::critical_tests::check(&ctx.config.tests, &ctx.workspace.root, &mut report)?;
        }
        Some(CheckCommand::Emoji(emoji_args)) => {
            let selection = super::selection(&ctx, &emoji_args.files, global)?;
            if selection == Selection::All {
                config_paths::check(&ctx, &[Section::Emoji], &mut report);
            }
            emoji::check(&ctx, &selection, emoji_args.strict, &mut report)?;
        }
        Some(CheckCommand::Secrets(args)) if args.list_rules => {
            let text = crate::gate::scan::secrets::list_rules(&ctx.config.secrets);
            output.stdout.write_all(text.as_bytes())?;
            return Ok(ExitStatus::Success);
        }
        Some(CheckCommand::Secrets(args)) => {
            let selection = super::selection(&ctx, &args.files, global)?;
            if selection == Selection::All {
                config_paths::check(&ctx, &[Section::Secrets], &mut report);
            }
            secrets(
                &ctx,
                global,
                &selection,
                args.baseline.as_deref(),
                args.write_baseline.as_ref().map(Option::as_deref),
                &mut report,
            )?;
        }
    }
    super::finish(&mut report, global, output)
}

/// Run the secrets check; `write_baseline` of `Some(None)` means the configured baseline path.
fn secrets(
    ctx: &crate::shared::context::CheckContext,
    global: &GlobalArgs,
    selection: &crate::gate::scan::Selection,
    baseline: Option<&std::path::Path>,
    write_baseline: Option<Option<&std::path::Path>>,
    report: &mut Report,
) -> crate::error::Result<()> {
    use crate::gate::scan::secrets;
    let base = super::start_dir(global)?;
    let options = secrets::RunOptions {
        baseline: baseline.map(|p| base.join(p)),
        write_baseline: write_baseline.map(|p| match p {
            Some(p) => base.join(p),
            None => ctx.workspace.root.join(&ctx.config.secrets.baseline),
        }),
        upstream: None,
    };
    // An artifact's members identical to its pinned upstream source are not scanned, as
    // `publish` does (artifact::upstream).
    let mut options = options;
    if let crate::gate::scan::Selection::Archive(archive) = selection {
        options.upstream = crate::gate::scan::upstream::scan_exemption(archive, &ctx.config, report)?;
    }
    let summary = secrets::check(ctx, selection, &options, report)?;
    match &summary.written {
        Some((path, entries)) => report.note(format!(
            "secrets: wrote {entries} baseline entr{} to `{}`",
            if *entries == 1 { "y" } else { "ies" },
            ctx.workspace.relative(path).unwrap_or_else(|| path.display().to_string())
        )),
        None => report.note(format!(
            "secrets: {} scanned ({})",
            super::count(summary.files, "file", "files"),
            super::count(summary.bytes, "byte", "bytes")
        )),
    }
    Ok(())
}
