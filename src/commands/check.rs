//! `specgate check [spec|emoji]`.

use crate::cli::{CheckArgs, CheckCommand, GlobalArgs};
use crate::diag::Report;
use crate::scan::{emoji, Selection};
use crate::{artifact, spec, ExitStatus, Output};

pub fn run(global: &GlobalArgs, args: &CheckArgs, output: &mut Output<'_>) -> anyhow::Result<ExitStatus> {
    let ctx = super::context(global)?;
    let mut report = Report::new(ctx.config.levels.clone());
    match &args.check {
        None => {
            spec::check(&ctx, None, &mut report);
            emoji::check(&ctx, &Selection::All, false, &mut report)?;
            artifact::check(&ctx, &artifact::CheckOptions::default(), &mut report);
        }
        Some(CheckCommand::Ledger(ledger_args)) => {
            let options = artifact::CheckOptions { remote: ledger_args.remote, ..artifact::CheckOptions::default() };
            artifact::check(&ctx, &options, &mut report);
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
            crate::critical_tests::check(&ctx.config.tests, &ctx.workspace.root, &mut report)?;
        }
        Some(CheckCommand::Emoji(emoji_args)) => {
            let selection = super::selection(&ctx, &emoji_args.files, global)?;
            emoji::check(&ctx, &selection, emoji_args.strict, &mut report)?;
        }
    }
    super::finish(&mut report, global, output)
}
