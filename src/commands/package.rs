//! `specgate package`: pack a stage into an artifact, write its sidecar and its ledger row.

use std::fmt::Write as _;

use std::path::{Path, PathBuf};

use crate::cli::{GlobalArgs, PackageArgs, PackageFormat};
use crate::shared::artifact::{
    ledger, pack, sidecar, upstream, ArtifactName, Compression, Entry, PythonVersion, Status,
};
use crate::shared::atomic::RemoveOnDrop;
use crate::{ExitStatus, Output};

pub fn run(global: &GlobalArgs, args: &PackageArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
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
    let mut text = String::new();
    let _scratch = match &args.source {
        Some(source) => {
            let (record, files, scratch) = upstream_record(&start.join(source), &stage, version, &config, &out)?;
            let _ =
                writeln!(text, "files byte-identical to the pinned source: {files} (recorded in `{}`)", upstream::FILE);
            options.upstream = Some(record);
            Some(scratch)
        }
        None => None,
    };
    let summary = pack::pack(&stage, &name, &out, &options)?;

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

/// Check `source` against the version's pin, unpack it into a scratch folder under `out`, and
/// write the upstream record of the stage's prefix there: the record file, how many files it
/// lists, and the scratch folder (removed when dropped).
fn upstream_record(
    source: &Path,
    stage: &Path,
    version: PythonVersion,
    config: &crate::shared::config::Config,
    out: &Path,
) -> crate::error::Result<(PathBuf, usize, RemoveOnDrop)> {
    let usage = |message: String, hint: String| super::UsageError { message, hint: Some(hint) };
    let Some(pin) = config.build.sources.get(&version.to_string()).map(|p| p.sha256.clone()) else {
        return Err(usage(
            format!("specgate.toml pins no source for {version}, so `--source` cannot prove the tree's files are upstream"),
            format!("add `[build.sources.\"{version}\"]` with the release's `sha256` (docs/updating-python.md), or pack without `--source`"),
        )
        .into());
    };
    let digest = sidecar::sha256_file(source)?;
    if !digest.to_hex().eq_ignore_ascii_case(&pin) {
        return Err(usage(
            format!("`{}` has SHA-256 {digest}; the pin for {version} is {pin}", source.display()),
            "pass the release tarball the pin names (Python-X.Y.Z.tgz or .tar.xz from python.org)".to_owned(),
        )
        .into());
    }
    std::fs::create_dir_all(out)?;
    let scratch = RemoveOnDrop(out.join(format!(".specgate-source-{}", std::process::id())));
    let tree = scratch.0.join("src");
    std::fs::create_dir_all(&tree)?;
    let extracted = std::process::Command::new("tar")
        .arg("-xf")
        .arg(source)
        .arg("-C")
        .arg(&tree)
        .arg("--no-same-owner")
        .stdin(std::process::Stdio::null())
        .output()?;
    if !extracted.status.success() {
        return Err(usage(
            format!("`tar -xf {}` failed: {}", source.display(), String::from_utf8_lossy(&extracted.stderr).trim()),
            "check that the file is a complete source tarball".to_owned(),
        )
        .into());
    }
    let digests = upstream::tree_digests(&tree)?;
    let prefix = stage.join(format!("opt/python-{version}"));
    let record = upstream::record(&prefix, version, &pin, &digests)?;
    let path = scratch.0.join(upstream::FILE);
    upstream::write(&scratch.0, &record)?;
    Ok((path, record.files.len(), scratch))
}
