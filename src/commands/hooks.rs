//! `specgate hooks install|uninstall` and the hook entry points `specgate hook pre-push` and
//! `specgate hook pre-commit`: which checks run on which snapshot, and the refusal summary.

use std::io::Read;

use crate::error::Context as _;

use crate::cli::{GlobalArgs, HookArgs, HookCommand, HooksAction, HooksArgs};
use crate::gate::config_paths;
use crate::gate::hooks::{self, Action, Chosen, PushUpdate, RefPlan};
use crate::gate::scan::fileset::Selection;
use crate::gate::scan::{emoji, secrets};
use crate::gate::{critical_tests, spec};
use crate::shared::config::Config;
use crate::shared::context::{CheckContext, Snapshot};
use crate::shared::diag::{Diagnostic, Position, Report};
use crate::shared::workspace::Workspace;
use crate::{ExitStatus, Output};

pub fn install(global: &GlobalArgs, args: &HooksArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let (workspace, _) = super::workspace_and_config(global)?;
    let repo = workspace.repository().ok_or(hooks::Error::NotARepository)?;
    let mut recorded = String::new();
    let actions = match &args.action {
        HooksAction::Install { force, binary } => {
            let running = std::env::current_exe().context("could not find the path of the running specgate binary")?;
            let explicit = match binary {
                Some(path) => Some(
                    std::path::absolute(super::start_dir(global)?.join(path))
                        .with_context(|| format!("could not make `{}` an absolute path", path.display()))?,
                ),
                None => None,
            };
            let binary = hooks::choose_binary(explicit.as_deref(), &running, std::env::var_os("PATH").as_deref())?;
            let actions = hooks::install(&repo, &binary.path, *force)?;
            recorded = describe_binary(&binary);
            actions
        }
        HooksAction::Uninstall => hooks::uninstall(&repo)?,
    };
    let mut text = String::new();
    for action in actions {
        let line = match action {
            Action::Installed { path } => format!("installed `{}`", path.display()),
            Action::Updated { path } => format!("updated `{}`", path.display()),
            Action::Chained { path, kept_as } => {
                format!(
                    "installed `{}`; the previous hook is kept as `{}` and runs first",
                    path.display(),
                    kept_as.display()
                )
            }
            Action::Removed { path } => format!("removed `{}`", path.display()),
            Action::Restored { path } => format!("restored the previous hook `{}`", path.display()),
            Action::LeftAlone { path } => {
                format!("left `{}` alone: specgate did not write it", path.display())
            }
        };
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str(&recorded);
    output.stderr.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}

/// Which binary the installed hooks run, and why that one.
fn describe_binary(binary: &hooks::Binary) -> String {
    let path = binary.path.display();
    match &binary.chosen {
        Chosen::Running => format!("the hooks run `{path}`\n"),
        Chosen::Flag { in_build_folder: None } => format!("the hooks run `{path}` (--binary)\n"),
        Chosen::Flag { in_build_folder: Some(folder) } => format!(
            "the hooks run `{path}` (--binary)\nnote: it lies in cargo's build folder `{}`; after `cargo clean` the hooks run `specgate` from PATH, and fail if there is none\n",
            folder.display()
        ),
        Chosen::OnPath { build_folder } => format!(
            "the hooks run `{path}`, the same specgate version found on PATH: this one lies in cargo's build folder `{}`, which `cargo clean` deletes\n",
            build_folder.display()
        ),
    }
}

pub fn run(global: &GlobalArgs, args: &HookArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    match &args.hook {
        HookCommand::PrePush { .. } => pre_push(global, output),
        HookCommand::PreCommit => pre_commit(global, output),
    }
}

/// The refs to check: git's stdin, or under the pre-commit framework (which consumes stdin)
/// the one ref it describes in PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF.
fn read_updates(workspace: &Workspace, report: &mut Report) -> crate::error::Result<Vec<PushUpdate>> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input).context("could not read the refs git passes on stdin")?;
    let updates = hooks::parse_updates(&input)?;
    if !updates.is_empty() {
        return Ok(updates);
    }
    let (Ok(from), Ok(to)) = (std::env::var("PRE_COMMIT_FROM_REF"), std::env::var("PRE_COMMIT_TO_REF")) else {
        return Ok(Vec::new());
    };
    let repo = workspace.repository().ok_or(hooks::Error::NotARepository)?;
    let resolve = |name: &str| repo.revparse_single(name).and_then(|o| o.peel_to_commit()).map(|c| c.id());
    let local = resolve(&to).with_context(|| format!("PRE_COMMIT_TO_REF `{to}` names no commit"))?;
    let remote = resolve(&from).unwrap_or_else(|_| git2::Oid::zero());
    let remote_ref = std::env::var("PRE_COMMIT_REMOTE_BRANCH").unwrap_or_else(|_| "refs/heads/HEAD".to_owned());
    report.note("pre-commit framework: git's list of refs is not available to this hook, so only the one ref it names is checked; install specgate's own hook (`specgate hooks install`) to check every ref of a push");
    Ok(vec![PushUpdate {
        local_ref: std::env::var("PRE_COMMIT_LOCAL_BRANCH").unwrap_or_else(|_| "HEAD".to_owned()),
        local,
        remote_ref,
        remote,
    }])
}

fn pre_push(global: &GlobalArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let (workspace, config) = super::workspace_and_config(global)?;
    let root = workspace.root.clone();
    let mut report = Report::new(config.levels.clone());
    let updates = read_updates(&workspace, &mut report)?;

    let plans: Vec<RefPlan> = {
        let repo = workspace.repository().ok_or(hooks::Error::NotARepository)?;
        updates.iter().map(|u| hooks::plan(&repo, u)).collect::<Result<_, _>>()?
    };
    drop(workspace);

    let mut all_changed: Vec<String> = Vec::new();
    let mut tests_paths_checked = false;
    for plan in &plans {
        let name = &plan.update.remote_ref;
        if plan.update.is_deletion() {
            report.note(format!("{name}: deleted; nothing to check"));
            continue;
        }
        report.note(format!(
            "{name}: {}, {} changed",
            super::count(plan.commits.len(), "new commit", "new commits"),
            super::count(plan.changed.len(), "file", "files")
        ));
        all_changed.extend(plan.changed.iter().cloned());
        let ctx = CheckContext::at(Workspace::discover(&root)?, config.clone(), Snapshot::Commit(plan.update.local))?;
        check_content(&ctx, &plan.changed, plan.removes, &mut report);
        // A `[tests] paths` glob that matches nothing would skip the tests on every push.
        if config.tests.critical.is_some() && !tests_paths_checked {
            tests_paths_checked = true;
            config_paths::check(&ctx, &[config_paths::Section::Tests], &mut report);
        }
        if !plan.commits.is_empty() {
            scan_added_lines(&ctx, &Selection::Commits(plan.commits.clone()), &mut report)?;
        }
        if let Some(branch) = plan.update.branch() {
            if config.hooks.spec_required_branches.is_match(branch) {
                require_spec(&ctx, branch, &mut report);
            }
        }
    }

    run_tests(&config, &root, &all_changed, plans.iter().any(|p| !p.update.is_deletion()), &mut report)?;
    finish(report, global, output, "push", "git push --no-verify")
}

fn pre_commit(global: &GlobalArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let (workspace, config) = super::workspace_and_config(global)?;
    let root = workspace.root.clone();
    let mut report = Report::new(config.levels.clone());
    let changed = {
        let repo = workspace.repository().ok_or(hooks::Error::NotARepository)?;
        hooks::staged_changes(&repo)?
    };
    let ctx = CheckContext::at(workspace, config.clone(), Snapshot::Index)?;
    report.note(format!("staged: {} changed", super::count(changed.len(), "file", "files")));
    check_content(&ctx, &changed, false, &mut report);
    if !changed.is_empty() {
        scan_added_lines(&ctx, &Selection::Staged, &mut report)?;
    }

    // A spec whose rules, criteria or test cases change must change its version.
    for path in changed.iter().filter(|p| spec::is_governed(p, &config.spec)) {
        let Some(old) = ctx.workspace.repository().and_then(|repo| hooks::head_text(&repo, path)) else {
            continue;
        };
        let Ok(bytes) = ctx.read(path) else { continue };
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        let document = spec::document::Document::parse(
            crate::shared::diag::SourceFile::new(path.as_str(), text),
            &config.spec.any_id,
        );
        let is_spec = document
            .front_matter()
            .and_then(|f| f.text("tipo"))
            .is_some_and(|t| config.spec.types.get(&t.text).is_some_and(|t| t.body_checks));
        if is_spec {
            spec::check_version_bump(&old, &document, &ctx, &mut report);
        }
    }

    if config.hooks.pre_commit_tests {
        if config.tests.critical.is_some() {
            config_paths::check(&ctx, &[config_paths::Section::Tests], &mut report);
        }
        run_tests(&config, &root, &changed, !changed.is_empty(), &mut report)?;
    }
    finish(report, global, output, "commit", "git commit --no-verify")
}

/// The content checks on the files a commit or push changes, read from the snapshot: the
/// documents and markers touched, and the ledger when it or the artifacts folder changed.
fn check_content(ctx: &CheckContext, changed: &[String], removes: bool, report: &mut Report) {
    let present: Vec<String> = changed.iter().filter(|p| ctx.files.binary_search(p).is_ok()).cloned().collect();
    if !present.is_empty() {
        spec::check(ctx, Some(&present), report);
    }
    // Links of the other Markdown files changed; a deleted or renamed file may break links
    // anywhere, so then every file's.
    let candidates = if removes || changed.len() != present.len() { &ctx.files } else { &present };
    let markdown: Vec<String> = candidates
        .iter()
        .filter(|p| p.ends_with(".md") && !(spec::is_governed(p, &ctx.config.spec) && present.contains(p)))
        .cloned()
        .collect();
    if !markdown.is_empty() {
        let options = crate::gate::links::Options { paths: Some(markdown), ..Default::default() };
        crate::gate::links::check(ctx, &options, report);
    }
    let artifacts = &ctx.config.artifacts;
    let folder = format!("{}/", artifacts.folder.trim_end_matches('/'));
    if changed.iter().any(|p| *p == artifacts.ledger || p.starts_with(&folder)) {
        crate::gate::ledger::check(ctx, &crate::gate::ledger::CheckOptions::default(), report);
    }
}

/// Secrets and emoji on exactly the content being committed or pushed (added lines only).
fn scan_added_lines(ctx: &CheckContext, selection: &Selection, report: &mut Report) -> crate::error::Result<()> {
    secrets::check(ctx, selection, &secrets::RunOptions::default(), report)?;
    emoji::check(ctx, selection, false, report)?;
    Ok(())
}

/// CA-006: a branch that matches the configured patterns needs a valid spec.
fn require_spec(ctx: &CheckContext, branch: &str, report: &mut Report) {
    let folders = &ctx.config.hooks.spec_folders;
    let (valid, invalid) = spec::valid_specifications(ctx, folders);
    if !valid.is_empty() {
        report.note(format!("branch `{branch}`: governed by {}", valid.join(", ")));
        return;
    }
    let folders_text =
        folders.iter().map(|f| format!("`{}/`", crate::shared::config::shorten(f))).collect::<Vec<_>>().join(" or ");
    let found = if invalid.is_empty() {
        String::new()
    } else {
        format!(" ({} found, with errors: run `specgate check spec {}`)", invalid.join(", "), invalid.join(" "))
    };
    report.push(
        Diagnostic::new(
            "hook-spec-required",
            folders.first().map_or("specs/", String::as_str),
            Position::new(1, 1),
            format!("branch `{branch}` needs a valid specification in {folders_text}, and the pushed commit has none{found}"),
        )
        .help(format!(
            "add a spec (`tipo: especificacion`) in {folders_text}; copy the template specs/SPEC_INFRA_001.md and adapt its front-matter, criteria and test cases"
        )),
    );
}

fn run_tests(
    config: &Config,
    root: &std::path::Path,
    changed: &[String],
    anything: bool,
    report: &mut Report,
) -> crate::error::Result<()> {
    if config.tests.critical.is_none() {
        return Ok(());
    }
    if !anything {
        report.note("tests: skipped, nothing is pushed");
        return Ok(());
    }
    if !critical_tests::touches_dependencies(&config.tests, changed) {
        report.note(format!(
            "tests: skipped, no changed file matches `[tests] paths` ({})",
            config.tests.path_patterns.iter().map(|p| crate::shared::config::shorten(p)).collect::<Vec<_>>().join(", ")
        ));
        return Ok(());
    }
    critical_tests::check(&config.tests, root, report)?;
    Ok(())
}

fn finish(
    mut report: Report,
    global: &GlobalArgs,
    output: &mut Output<'_>,
    what: &str,
    bypass: &str,
) -> crate::error::Result<ExitStatus> {
    let status = super::finish(&mut report, global, output)?;
    if status == ExitStatus::Findings {
        let text = format!(
            "specgate: {what} refused: {} error{} above. Fix them and try again.\n\
             In an emergency, `{bypass}` skips this hook (specgate cannot prevent that; CI runs the same gate).\n",
            report.error_count(),
            if report.error_count() == 1 { "" } else { "s" }
        );
        output.stderr.write_all(text.as_bytes())?;
    }
    Ok(status)
}
