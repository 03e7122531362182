//! `specgate ledger add|prune|index`: edit ARTIFACTS.md (its CPython and wheelhouse tables)
//! through the artifact module and say what changed.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::error::Context as _;

use crate::cli::{GlobalArgs, LedgerAddArgs, LedgerArgs, LedgerCommand, LedgerIndexArgs, LedgerPruneArgs};
use crate::shared::artifact::ledger::{Kind, Record, WheelhouseEntry};
use crate::shared::artifact::{self, ledger, sidecar, ArtifactName, Digest, Entry, Status, WheelhouseName};
use crate::shared::config::Config;
use crate::shared::workspace::Workspace;
use crate::{ExitStatus, Output};

pub fn run(global: &GlobalArgs, args: &LedgerArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let (root, config) = root_and_config(global)?;
    match &args.command {
        LedgerCommand::Add(add) => run_add(&root, &config, add, global, output),
        LedgerCommand::Prune(prune) => run_prune(&root, &config, prune, output),
        LedgerCommand::Index(index) => run_index(&root, &config, index, global, output),
    }
}

fn run_index(
    root: &std::path::Path,
    config: &Config,
    args: &LedgerIndexArgs,
    global: &GlobalArgs,
    output: &mut Output<'_>,
) -> crate::error::Result<ExitStatus> {
    let start = super::start_dir(global)?;
    let path = args.ledger.as_ref().map_or_else(|| root.join(&config.artifacts.ledger), |l| start.join(l));
    let entries = if path.exists() { ledger::read(&path)?.entries() } else { Vec::new() };
    let index = artifact::index::Index::from_entries(&entries);
    match &args.out {
        None => output.stdout.write_all(index.to_json().as_bytes())?,
        Some(out) => {
            let out = start.join(out);
            crate::shared::atomic::write(&out, index.to_json().as_bytes())
                .with_context(|| format!("could not write the index `{}`", out.display()))?;
            writeln!(
                output.stderr,
                "wrote `{}`: {} Activo row{} of `{}`",
                out.display(),
                index.artifacts.len(),
                if index.artifacts.len() == 1 { "" } else { "s" },
                path.display()
            )?;
        }
    }
    Ok(ExitStatus::Success)
}

/// The repository root (or the start folder outside git) and the configuration, without
/// listing files: ledger and package commands need neither the index nor a file walk.
pub(crate) fn root_and_config(global: &GlobalArgs) -> crate::error::Result<(PathBuf, Config)> {
    let start = super::start_dir(global)?;
    let workspace = Workspace::discover(&start)?;
    let config = Config::load(&workspace.root, global.config.as_deref())?;
    Ok((workspace.root, config))
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub(crate) fn today() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    ledger::date_from_unix(now)
}

fn run_add(
    root: &std::path::Path,
    config: &Config,
    args: &LedgerAddArgs,
    global: &GlobalArgs,
    output: &mut Output<'_>,
) -> crate::error::Result<ExitStatus> {
    let artifact_path = if args.artifact.is_absolute() {
        args.artifact.clone()
    } else {
        super::start_dir(global)?.join(&args.artifact)
    };
    let file_name = artifact_path.file_name().and_then(|n| n.to_str()).ok_or_else(|| super::UsageError {
        message: format!("`{}` is not a file name", args.artifact.display()),
        hint: None,
    })?;
    // A wheelhouse goes to the wheelhouse table; everything else must be a CPython name.
    let name = if file_name.starts_with("wheelhouse-") {
        Err(WheelhouseName::parse(file_name)?)
    } else {
        Ok(ArtifactName::parse(file_name)?)
    };
    let digest =
        sidecar::verify(&artifact_path).with_context(|| format!("could not add `{file_name}` to the ledger"))?;
    let date = args.date.clone().unwrap_or_else(today);
    if !ledger::is_iso_date(&date) {
        return Err(
            super::UsageError { message: format!("`--date {date}` is not a date `YYYY-MM-DD`"), hint: None }.into()
        );
    }
    let url = args.url.clone().unwrap_or_else(|| ledger::UNPUBLISHED.to_owned());
    let ledger_path = root.join(&config.artifacts.ledger);
    let shown = &config.artifacts.ledger;
    let text = match name {
        Ok(name) => {
            let entry = Entry {
                version: name.version,
                build: name.build,
                distro: name.distro.clone(),
                date,
                sha256: digest,
                url,
                status: Status::Active,
            };
            add_row(&ledger_path, shown, &entry, config.artifacts.max_active)?
        }
        Err(name) => {
            let entry = wheelhouse_entry(&name, digest, date, url);
            add_row(&ledger_path, shown, &entry, config.artifacts.max_active)?
        }
    };
    output.stderr.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}

/// The Activo row of a wheelhouse file (shared with `wheelhouse build`).
pub(crate) fn wheelhouse_entry(name: &WheelhouseName, sha256: Digest, date: String, url: String) -> WheelhouseEntry {
    WheelhouseEntry {
        name: name.name.clone(),
        major: name.major,
        minor: name.minor,
        build: name.build,
        distro: name.distro.clone(),
        date,
        sha256,
        url,
        status: Status::Active,
    }
}

/// Add a row (CPython or wheelhouse) and describe what happened (shared with `package`,
/// `build` and `wheelhouse build`).
pub(crate) fn add_row<R: Record>(
    ledger_path: &std::path::Path,
    shown: &str,
    entry: &R,
    max_active: u32,
) -> crate::error::Result<String> {
    let added = ledger::add_entry(ledger_path, entry)?;
    let mut text = String::new();
    match added {
        ledger::Added::Row { line } => {
            let _ = writeln!(text, "added {} to `{shown}` (line {line})", entry.describe());
        }
        ledger::Added::AlreadyPresent { line } => {
            let _ = writeln!(
                text,
                "`{shown}` already records {} with this SHA-256 (line {line}); nothing to do",
                entry.describe()
            );
        }
    }
    let ledger = ledger::read(ledger_path)?;
    if !ledger::rows_to_deprecate(&ledger.records::<R>(), max_active as usize).is_empty() {
        let group = if R::KIND == Kind::Cpython { "a version line" } else { "a wheelhouse" };
        let _ = writeln!(
            text,
            "note: more than {max_active} Activo builds of {group}; run `specgate ledger prune --keep {max_active}`"
        );
    }
    Ok(text)
}

/// `--keep`, else `[artifacts] max-active`: how many Activo builds a prune keeps; never 0.
pub(super) fn keep_active(keep: Option<u32>, config: &Config) -> crate::error::Result<u32> {
    let keep = keep.unwrap_or(config.artifacts.max_active);
    if keep == 0 {
        return Err(super::UsageError {
            message: "`--keep 0` would deprecate every build".to_owned(),
            hint: Some("keep at least 1".to_owned()),
        }
        .into());
    }
    Ok(keep)
}

fn run_prune(
    root: &std::path::Path,
    config: &Config,
    args: &LedgerPruneArgs,
    output: &mut Output<'_>,
) -> crate::error::Result<ExitStatus> {
    let keep = keep_active(args.keep, config)?;
    let shown = &config.artifacts.ledger;
    let ledger_path = root.join(shown);
    let changed = ledger::prune(&ledger_path, keep as usize)?;
    let mut status = String::new();
    for (line, described) in changed.described() {
        let _ = writeln!(status, "`{shown}:{line}`: {described} is now Deprecado");
    }
    if changed.is_empty() {
        let _ = writeln!(status, "at most {keep} Activo builds per version line and distro already; nothing to change");
    }
    // Files of every row no longer Activo, that are still in the artifacts folder.
    let folder = root.join(&config.artifacts.folder);
    let mut removable = String::new();
    let ledger = ledger::read(&ledger_path)?;
    let compressions = [artifact::Compression::Gzip, artifact::Compression::Zstd];
    let cpython = ledger.entries().into_iter().filter(|(_, e)| e.status != Status::Active).flat_map(|(_, e)| {
        compressions.map(|c| {
            let name = e.artifact_name(c);
            [name.to_string(), name.sidecar_name()]
        })
    });
    let wheelhouses =
        ledger.wheelhouse_entries().into_iter().filter(|(_, e)| e.status != Status::Active).flat_map(|(_, e)| {
            compressions.map(|c| {
                let name = e.wheelhouse_name(c);
                [name.to_string(), name.sidecar_name()]
            })
        });
    for file in cpython.chain(wheelhouses).flatten() {
        if folder.join(&file).is_file() {
            let _ = writeln!(removable, "{}/{file}", config.artifacts.folder);
        }
    }
    if !removable.is_empty() {
        let _ = writeln!(status, "these files belong to builds that are no longer Activo and can be removed:");
    }
    output.stderr.write_all(status.as_bytes())?;
    output.stdout.write_all(removable.as_bytes())?;
    Ok(ExitStatus::Success)
}
