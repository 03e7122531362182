//! `specgate publish`: the gate, then the release on GitHub and/or the mirror folder, then the
//! ledger's URL; `--prune` applies retention. Status lines go to stderr as they happen;
//! `--dry-run` prints the requests on stdout.

use std::cell::RefCell;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::cli::{GlobalArgs, PublishArgs};
use crate::pipeline::publish::{self, sign, GitHub, Outcome};
use crate::shared::diag::{Diagnostic, Position, Report};
use crate::shared::http;
use crate::{ExitStatus, Output};

pub fn run(global: &GlobalArgs, args: &PublishArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    if let Some(repo) = &args.repo {
        publish::github::check_repo(repo)?;
    }
    if args.prune {
        return prune(global, args, output);
    }
    if args.repo.is_none() && args.to.is_none() {
        return Err(super::UsageError {
            message: "`specgate publish` needs a target".to_owned(),
            hint: Some("pass `--repo OWNER/NAME` (GitHub Releases), `--to DIR` (a mirror folder), or both".to_owned()),
        }
        .into());
    }
    if let Some(feature) = &args.feature {
        return publish_feature(global, args, feature, output);
    }
    let artifact = args.artifact.as_ref().expect("clap requires ARTIFACT without --prune or --feature");
    let artifact = if artifact.is_absolute() { artifact.clone() } else { super::start_dir(global)?.join(artifact) };
    if !artifact.is_file() {
        return Err(super::UsageError {
            message: format!("the artifact `{}` does not exist", artifact.display()),
            hint: Some(
                "pass the path of a `.tgz` made by `specgate package` or `specgate wheelhouse build`".to_owned(),
            ),
        }
        .into());
    }
    // The token is read before any work, so a missing one fails fast (not needed for dry runs).
    let token = match (&args.repo, args.dry_run) {
        (Some(_), false) => Some(publish::token_from_env()?),
        _ => publish::token_from_env().ok(),
    };

    let ctx = super::context(global)?;
    let mut report = crate::shared::diag::Report::new(ctx.config.levels.clone());
    let gated = publish::gate(&ctx, &artifact, &mut report)?;
    if report.has_errors() {
        writeln!(output.stderr, "the gate refused `{}`; nothing was published", gated.name)?;
        return super::finish(&mut report, global, output);
    }
    let tag = gated.name.mirror_tag();

    let signature = if args.sign {
        let signer = match &args.sign_key {
            Some(key) => {
                sign::Signer::KeyFile(if key.is_absolute() { key.clone() } else { super::start_dir(global)?.join(key) })
            }
            None => sign::Signer::Keyring { key: args.sign_as.clone() },
        };
        if args.dry_run && !sign::signature_path(&artifact).is_file() {
            writeln!(output.stdout, "gpg --detach-sign --armor {}", artifact.display())?;
            None
        } else {
            let (path, made) = sign::sign(&artifact, &signer, ctx.config.limits.gpg)?;
            writeln!(
                output.stderr,
                "{} `{}`",
                if made { "signed: wrote" } else { "signed: reusing the valid signature" },
                path.display()
            )?;
            Some(path)
        }
    } else {
        None
    };
    let assets = publish::local_assets(&gated, signature.as_deref())?;

    if args.dry_run {
        if let Some(repo) = &args.repo {
            let notify = |_: &str| {};
            let gh =
                GitHub::new(http::Client::new(publish::http_options()), &args.api_url, repo, String::new(), &notify)?;
            let auth = if token.is_some() {
                "Bearer [token from the environment]"
            } else {
                "none: set GH_TOKEN or GITHUB_TOKEN"
            };
            writeln!(
                output.stdout,
                "# every request carries Authorization: {auth}, Accept: {}, X-GitHub-Api-Version: {}",
                publish::github::ACCEPT,
                publish::github::API_VERSION
            )?;
            for line in publish::dry_run_requests(&gh, &release_spec(&gated.name, args, &notify), &assets) {
                writeln!(output.stdout, "{line}")?;
            }
            writeln!(output.stdout, "# then the `URL Release` cell of the ledger row gets the tarball's download URL")?;
        }
        if let Some(dir) = &args.to {
            for asset in &assets {
                writeln!(
                    output.stdout,
                    "copy {} ({} bytes, sha256 {})",
                    publish::mirror::path_of(dir, &tag, &asset.name).display(),
                    asset.size,
                    asset.sha256
                )?;
            }
        }
        writeln!(output.stderr, "dry run: the gate passed; nothing was sent or written")?;
        return super::finish(&mut report, global, output);
    }

    if let Some(dir) = &args.to {
        let dir = if dir.is_absolute() { dir.clone() } else { super::start_dir(global)?.join(dir) };
        let outcomes = publish::publish_mirror(&dir, &tag, &assets, args.replace)?;
        let shown = format!("mirror `{}`", dir.display());
        describe(&outcomes, &shown, "copied", &mut report, output.stderr)?;
    }

    if let (Some(repo), Some(token)) = (&args.repo, token) {
        let stderr = RefCell::new(&mut *output.stderr);
        let notify = |message: &str| {
            let _ = writeln!(stderr.borrow_mut(), "{message}");
        };
        let gh = github(args, repo, token, &notify)?;
        let spec = release_spec(&gated.name, args, &notify);
        let result = publish::publish_github(&gh, &spec, &assets, args.replace)?;
        drop(gh);
        let stderr = stderr.into_inner();
        let shown = format!("release `{}` of `{repo}`", spec.tag);
        describe(&result.outcomes, &shown, "uploaded", &mut report, stderr)?;
        if let Some(url) = &result.tarball_url {
            let ledger_path = ctx.workspace.root.join(&ctx.config.artifacts.ledger);
            match publish::fill_url(&ledger_path, &gated.name, url)? {
                publish::UrlChange::Unchanged => {}
                publish::UrlChange::Set { line, .. } => {
                    writeln!(stderr, "`{}:{line}`: URL Release set to {url}", ctx.config.artifacts.ledger)?
                }
            }
        }
        if !result.release_url.is_empty() {
            writeln!(stderr, "release: {}", result.release_url)?;
        }
    }
    super::finish(&mut report, global, output)
}

/// `specgate publish --feature DIR`: the Feature folder packed, to the release
/// `feature-<id>-v<version>` and/or the mirror; never the repository's Latest release unless
/// `--latest yes`.
fn publish_feature(
    global: &GlobalArgs,
    args: &PublishArgs,
    dir: &Path,
    output: &mut Output<'_>,
) -> crate::error::Result<ExitStatus> {
    let dir = super::start_dir(global)?.join(dir);
    let packed = publish::feature::pack(&dir)?;
    let tag = packed.tag();
    let mut report = Report::default();
    if args.dry_run {
        for asset in &packed.assets {
            writeln!(output.stdout, "{tag}/{} ({} bytes, sha256 {})", asset.name, asset.size, asset.sha256)?;
        }
        writeln!(output.stderr, "dry run: nothing was sent or written")?;
        return super::finish(&mut report, global, output);
    }
    if let Some(to) = &args.to {
        let to = super::start_dir(global)?.join(to);
        let outcomes = publish::publish_mirror(&to, &tag, &packed.assets, args.replace)?;
        describe(&outcomes, &format!("mirror `{}`", to.display()), "copied", &mut report, output.stderr)?;
    }
    if let Some(repo) = &args.repo {
        let token = publish::token_from_env()?;
        let stderr = RefCell::new(&mut *output.stderr);
        let notify = |message: &str| {
            let _ = writeln!(stderr.borrow_mut(), "{message}");
        };
        let gh = github(args, repo, token, &notify)?;
        let spec = publish::ReleaseSpec {
            tag: tag.clone(),
            title: format!("Dev Container Feature {} {}", packed.id, packed.version),
            version: None,
            target: target(args, &notify),
            latest: args.latest,
        };
        let result = publish::publish_github(&gh, &spec, &packed.assets, args.replace)?;
        drop(gh);
        let stderr = stderr.into_inner();
        describe(&result.outcomes, &format!("release `{tag}` of `{repo}`"), "uploaded", &mut report, stderr)?;
        if let Some(url) = &result.tarball_url {
            writeln!(
                stderr,
                "reference it in devcontainer.json as \"features\": {{ \"{url}\": {{ \"version\": \"X.Y.Z\" }} }}"
            )?;
        }
    }
    super::finish(&mut report, global, output)
}

/// The GitHub client of `--repo`, `--api-url` and `SPECGATE_GITHUB_WRITE_INTERVAL`.
fn github<'n>(
    args: &PublishArgs,
    repo: &str,
    token: String,
    notify: &'n dyn Fn(&str),
) -> crate::error::Result<GitHub<'n>> {
    let mut gh = GitHub::new(http::Client::new(publish::http_options()), &args.api_url, repo, token, notify)?;
    if let Some(interval) = write_interval()? {
        gh.write_interval = interval;
    }
    Ok(gh)
}

/// The commit a new release's tag names: `--target`, else `GITHUB_SHA`; without either, a
/// note says the tag will follow the default branch.
fn target(args: &PublishArgs, notify: &dyn Fn(&str)) -> Option<String> {
    let target = args
        .target
        .clone()
        .or_else(|| std::env::var(crate::shared::env::GITHUB_SHA).ok())
        .filter(|t| !t.trim().is_empty());
    if target.is_none() {
        notify(&format!(
            "note: no `--target` and no {}: the tag will name the head of the repository's default branch",
            crate::shared::env::GITHUB_SHA
        ));
    }
    target
}

/// The release of the artifact or wheelhouse, from `--target`/`GITHUB_SHA` and `--latest`. A
/// wheelhouse names no CPython version, so `--latest auto` never makes it Latest.
fn release_spec(name: &publish::Published, args: &PublishArgs, notify: &dyn Fn(&str)) -> publish::ReleaseSpec {
    let (title, version) = match name {
        publish::Published::Cpython(name) => {
            (format!("CPython {} ({}, build {})", name.version, name.distro, name.build), Some(name.version))
        }
        publish::Published::Wheelhouse(name) => (
            format!("Wheelhouse {} for Python {} ({}, build {})", name.name, name.line(), name.distro, name.build),
            None,
        ),
    };
    publish::ReleaseSpec { tag: name.release_tag(), title, version, target: target(args, notify), latest: args.latest }
}

/// `SPECGATE_GITHUB_WRITE_INTERVAL` in seconds, when set.
fn write_interval() -> crate::error::Result<Option<std::time::Duration>> {
    let Ok(text) = std::env::var(crate::shared::env::GITHUB_WRITE_INTERVAL) else {
        return Ok(None);
    };
    match text.trim().parse::<f64>() {
        Ok(seconds) if (0.0..=60.0).contains(&seconds) => Ok(Some(std::time::Duration::from_secs_f64(seconds))),
        _ => Err(super::UsageError {
            message: format!(
                "{} is `{text}`, not a number of seconds from 0 to 60",
                crate::shared::env::GITHUB_WRITE_INTERVAL
            ),
            hint: Some("unset it to keep GitHub's one second between writes".to_owned()),
        }
        .into()),
    }
}

/// Print what happened to each asset; conflicts and mismatches become findings.
fn describe(
    outcomes: &[(String, Outcome)],
    target: &str,
    verb: &str,
    report: &mut Report,
    stderr: &mut dyn Write,
) -> crate::error::Result<()> {
    let mut sent = 0;
    for (name, outcome) in outcomes {
        match outcome {
            Outcome::Sent { bytes, seconds, replaced } => {
                sent += 1;
                let rate = if *seconds > 0.0 { *bytes as f64 / seconds / (1024.0 * 1024.0) } else { 0.0 };
                writeln!(
                    stderr,
                    "{verb}{} `{name}` to {target} ({}, {seconds:.2} s, {rate:.0} MiB/s)",
                    if *replaced { " (replacing)" } else { "" },
                    publish::human_bytes(*bytes)
                )?;
            }
            Outcome::Skipped => {
                writeln!(stderr, "skipped `{name}`: {target} already has it with the same size and SHA-256")?;
            }
            Outcome::Conflict { size, sha256 } => report.push(
                Diagnostic::new(
                    "publish-asset-conflict",
                    name.clone(),
                    Position::new(1, 1),
                    format!(
                        "{target} already has a different `{name}` ({size} bytes, SHA-256 {}); nothing was uploaded",
                        sha256.as_deref().unwrap_or("not reported")
                    ),
                )
                .help("a published artifact must not change; publish a new build number, or pass `--replace` if the old file is known to be wrong"),
            ),
            Outcome::Mismatch { size, sha256 } => report.push(
                Diagnostic::new(
                    "publish-digest-mismatch",
                    name.clone(),
                    Position::new(1, 1),
                    format!(
                        "after the upload {target} reports {size} bytes and SHA-256 {} for `{name}`; the asset was deleted",
                        sha256.as_deref().unwrap_or("not reported")
                    ),
                )
                .help("the upload was damaged on the way; run the command again"),
            ),
        }
    }
    if sent == 0 && outcomes.iter().all(|(_, o)| *o == Outcome::Skipped) {
        writeln!(stderr, "{target} is up to date; nothing was {verb}")?;
    }
    Ok(())
}

/// `--prune`: retention in the ledger, then (when asked) the files of builds no longer Activo.
fn prune(global: &GlobalArgs, args: &PublishArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    use crate::shared::artifact::ledger;
    let (root, config) = super::ledger::root_and_config(global)?;
    let keep = super::ledger::keep_active(args.keep, &config)?;
    let token = match (&args.repo, args.delete_assets && !args.dry_run) {
        (Some(_), true) => Some(publish::token_from_env()?),
        _ => None,
    };
    let shown = &config.artifacts.ledger;
    let ledger_path = root.join(shown);
    let mut entries = ledger::read(&ledger_path)?.entries();
    let mut wheelhouses = ledger::read(&ledger_path)?.wheelhouse_entries();
    if args.dry_run {
        let ledger = ledger::read(&ledger_path)?;
        for index in ledger::rows_to_deprecate(&entries, keep as usize) {
            let line = ledger.table.as_ref().map_or(0, |t| t.rows[index].line);
            writeln!(output.stdout, "would mark `{shown}:{line}` Deprecado")?;
            if let Some(item) = entries.iter_mut().find(|(i, _)| *i == index) {
                item.1.status = ledger::Status::Deprecated;
            }
        }
        for index in ledger::rows_to_deprecate(&wheelhouses, keep as usize) {
            let line = ledger.line_of(ledger::Kind::Wheelhouse, index);
            writeln!(output.stdout, "would mark `{shown}:{line}` Deprecado")?;
            if let Some(item) = wheelhouses.iter_mut().find(|(i, _)| *i == index) {
                item.1.status = ledger::Status::Deprecated;
            }
        }
    } else {
        for (line, described) in ledger::prune(&ledger_path, keep as usize)?.described() {
            writeln!(output.stderr, "`{shown}:{line}`: {described} is now Deprecado")?;
        }
        entries = ledger::read(&ledger_path)?.entries();
        wheelhouses = ledger::read(&ledger_path)?.wheelhouse_entries();
    }
    let retired = publish::retired_assets(&entries);
    let retired_wheelhouses = publish::retired_wheelhouses(&wheelhouses);
    if !args.delete_assets {
        if !retired.is_empty() || !retired_wheelhouses.is_empty() {
            writeln!(
                output.stderr,
                "the release assets of builds no longer Activo are kept; pass `--delete-assets` to delete them"
            )?;
        }
        return Ok(ExitStatus::Success);
    }
    if let Some(repo) = &args.repo {
        let stderr = RefCell::new(&mut *output.stderr);
        let notify = |message: &str| {
            let _ = writeln!(stderr.borrow_mut(), "{message}");
        };
        let gh = github(args, repo, token.clone().unwrap_or_default(), &notify)?;
        // One release per artifact: a retired artifact's release goes whole (GitHub allows
        // that for immutable releases too).
        let wheelhouse_tags = retired_wheelhouses.iter().map(|(tag, _)| tag.clone());
        for tag in publish::retired_releases(&entries).into_iter().chain(wheelhouse_tags) {
            if args.dry_run {
                writeln!(output.stdout, "would delete release `{tag}` of `{repo}` (if it exists)")?;
                continue;
            }
            if publish::delete_release_of(&gh, &tag)? {
                writeln!(stderr.borrow_mut(), "deleted release `{tag}` of `{repo}`")?;
            }
        }
        // Releases of earlier specgate versions hold every distro of a build: their files go one by one.
        for (tag, names) in &retired {
            if args.dry_run {
                writeln!(
                    output.stdout,
                    "would delete from release `{tag}` of `{repo}` (if it exists): {}",
                    names.join(", ")
                )?;
                continue;
            }
            let deleted = publish::delete_remote(&gh, tag, names)?;
            for name in deleted {
                writeln!(stderr.borrow_mut(), "deleted `{name}` from release `{tag}` of `{repo}`")?;
            }
        }
    }
    if let Some(dir) = &args.to {
        let dir: PathBuf = if dir.is_absolute() { dir.clone() } else { super::start_dir(global)?.join(dir) };
        for (tag, names) in retired.iter().chain(&retired_wheelhouses) {
            if args.dry_run {
                for name in names {
                    let path = publish::mirror::path_of(&dir, tag, name);
                    if path.is_file() {
                        writeln!(output.stdout, "would delete `{}`", show(&path))?;
                    }
                }
                continue;
            }
            for path in publish::delete_mirror(&dir, tag, names)? {
                writeln!(output.stderr, "deleted `{}`", show(&path))?;
            }
        }
    }
    Ok(ExitStatus::Success)
}

fn show(path: &Path) -> String {
    path.display().to_string()
}
