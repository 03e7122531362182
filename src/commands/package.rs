//! `specgate package`: pack a stage into an artifact, write its sidecar and its ledger row.

use std::fmt::Write as _;

use crate::artifact::{ledger, pack, ArtifactName, Compression, Entry, PythonVersion, Status};
use crate::cli::{GlobalArgs, PackageArgs, PackageFormat};
use crate::{ExitStatus, Output};

pub fn run(global: &GlobalArgs, args: &PackageArgs, output: &mut Output<'_>) -> anyhow::Result<ExitStatus> {
    let (root, config) = super::ledger::root_and_config(global)?;
    let start = super::start_dir(global)?;
    let usage = |message: String, hint: &str| super::UsageError { message, hint: Some(hint.to_owned()) };
    let version: PythonVersion = args
        .version
        .parse()
        .map_err(|message: String| usage(message, "pass the CPython version, `--version 3.12.6`"))?;
    let compression = match args.compression {
        PackageFormat::Tgz => Compression::Gzip,
        PackageFormat::Zst => Compression::Zstd,
    };
    let name = ArtifactName::new(version, &args.distro, args.build, compression)?;
    let ledger_path = root.join(&config.artifacts.ledger);
    if !args.no_ledger {
        // Refuse before packing, so an artifact already recorded is never overwritten.
        let existing = ledger::read(&ledger_path)?;
        if let Some((index, _)) = existing
            .entries()
            .into_iter()
            .find(|(_, e)| (e.version, e.build, e.distro.as_str()) == (version, args.build, args.distro.as_str()))
        {
            let line = existing.table.as_ref().map_or(0, |t| t.rows[index].line);
            return Err(usage(
                format!(
                    "`{}:{line}` already records {version} build {} for {}",
                    config.artifacts.ledger, args.build, args.distro
                ),
                &format!("a rebuild gets the next build number: `--build {}`", args.build + 1),
            )
            .into());
        }
    }
    let stage = start.join(&args.stage_dir);
    let out = match &args.out {
        Some(out) => start.join(out),
        None => root.join(&config.artifacts.folder),
    };
    let mut options = pack::PackOptions::new(compression)
        .map_err(|message| usage(message, "unset SOURCE_DATE_EPOCH or set it to seconds since 1970"))?;
    options.license = args.license.as_ref().map(|l| start.join(l));
    let summary = pack::pack(&stage, &name, &out, &options)?;

    let mut text = String::new();
    let _ = writeln!(
        text,
        "packed `{}`: {} members, {} bytes of content, {} bytes compressed",
        summary.path.display(),
        summary.members,
        summary.content_bytes,
        summary.size
    );
    let _ = writeln!(text, "sha256 {}", summary.digest);
    if !args.no_ledger {
        let entry = Entry {
            version,
            build: args.build,
            distro: args.distro.clone(),
            date: super::ledger::today(),
            sha256: summary.digest,
            url: ledger::UNPUBLISHED.to_owned(),
            status: Status::Active,
        };
        text.push_str(&super::ledger::add_row(
            &ledger_path,
            &config.artifacts.ledger,
            &entry,
            config.artifacts.max_active,
        )?);
    }
    output.stderr.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}
