//! `specgate build`: run the build where asked (host, container, Vagrant VM), then pack the
//! validated stage with the artifact module, write the sidecar and the ledger row, and print
//! the artifact's path on stdout. Nothing is left behind when a step fails: the artifact
//! appears only complete, and the ledger row only after it.
//!
//! spec[impl SPEC_INFRA_001]

use std::path::{Path, PathBuf};

use crate::cli::{BuildArgs, BuildOn, GlobalArgs, PackageFormat};
use crate::pipeline::build::{self, gates, host, Keep, Request};
use crate::shared::artifact::{ledger, pack, ArtifactName, Compression, Entry, PythonVersion, Status};
use crate::{ExitStatus, Output};

pub fn run(global: &GlobalArgs, args: &BuildArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let (root, config) = super::ledger::root_and_config(global)?;
    let start = super::start_dir(global)?;
    let usage = |message: String, hint: &str| super::UsageError { message, hint: Some(hint.to_owned()) };
    let version: PythonVersion =
        args.python.parse().map_err(|message: String| usage(message, "pass the CPython version, `--python 3.11.2`"))?;
    if args.build == 0 {
        return Err(
            usage("`--build 0`: build numbers start at 1".to_owned(), "pass `--build 1` for the first build").into()
        );
    }
    if args.jobs == Some(0) {
        return Err(usage("`--jobs 0` runs nothing".to_owned(), "pass `--jobs 2` or leave it out (all cores)").into());
    }
    let absolute = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { start.join(p) };
    let out = match &args.out {
        Some(out) => absolute(out),
        None => root.join(&config.artifacts.folder),
    };
    match args.on {
        BuildOn::Host => {}
        BuildOn::Container => {
            let path = build::container::run(args, &config.build, &root, &start, &out, output.stderr)?;
            writeln!(output.stdout, "{}", path.display())?;
            return Ok(ExitStatus::Success);
        }
        BuildOn::Vagrant => {
            let path = build::vagrant::run(args, &root, &out, output.stderr)?;
            writeln!(output.stdout, "{}", path.display())?;
            return Ok(ExitStatus::Success);
        }
    }

    let compression = match args.compression {
        PackageFormat::Tgz => Compression::Gzip,
        PackageFormat::Zst => Compression::Zstd,
    };
    let ledger_path = root.join(&config.artifacts.ledger);
    // Refuse a build number the ledger already records before compiling for an hour.
    let os_release = PathBuf::from("/etc/os-release");
    if !args.no_ledger {
        if let Ok(os) = gates::read_os_release(&os_release) {
            refuse_recorded(&ledger_path, &config.artifacts.ledger, version, args.build, &os.tag())?;
        }
    }
    let request = Request {
        version,
        source: args.source.as_deref().map(|s| gates::SourceSpec::parse(s, &start)),
        signature: args.signature.as_deref().map(absolute),
        jobs: args.jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        profile: args.profile,
        cache: args.cache.as_deref().map_or_else(build::default_cache_dir, absolute),
        use_cache: !args.no_cache,
        keep: Keep { tests: args.keep_tests, static_lib: args.keep_static, debug: args.keep_debug },
        log: args.log.as_deref().map(absolute),
        os_release,
        root: root.clone(),
        limits: config.limits,
    };
    let mut steps = host::Steps::new(output.stderr);
    let built = host::build(&request, &config.build, &mut steps)?;
    let distro = built.os.tag();
    let name = ArtifactName::new(version, &distro, args.build, compression)?;
    if !args.no_ledger {
        refuse_recorded(&ledger_path, &config.artifacts.ledger, version, args.build, &distro)?;
    }
    let license = args.license.as_deref().map(absolute);
    let summary = steps.step("package", |progress| {
        let mut options = pack::PackOptions::new(compression).map_err(|reason| build::Error::Config { reason })?;
        options.license = license.clone();
        let summary = pack::pack(&built.stage, &name, &out, &options).map_err(|e| build::Error::Config {
            reason: format!("packing failed: {e}; {}", e.hint().unwrap_or_default()),
        })?;
        let _ = writeln!(
            progress,
            "    `{}`: {} members, {} bytes compressed, sha256 {}",
            summary.path.display(),
            summary.members,
            summary.size,
            summary.digest
        );
        Ok(summary)
    })?;
    if !args.no_ledger {
        let entry = Entry {
            version,
            build: args.build,
            distro: distro.clone(),
            date: super::ledger::today(),
            sha256: summary.digest,
            url: ledger::UNPUBLISHED.to_owned(),
            status: Status::Active,
        };
        match super::ledger::add_row(&ledger_path, &config.artifacts.ledger, &entry, config.artifacts.max_active) {
            Ok(text) => steps.out.write_all(text.as_bytes())?,
            Err(error) => {
                // No artifact without its ledger row.
                let _ = std::fs::remove_file(&summary.path);
                let _ = std::fs::remove_file(crate::shared::artifact::Sidecar::path_for(&summary.path));
                return Err(error);
            }
        }
    }
    let total = steps.total_seconds();
    let from = if built.cached {
        format!("from the cache entry {}", built.key)
    } else {
        format!("log {}", built.log.display())
    };
    writeln!(steps.out, "built {name} in {total:.1}s (max GLIBC_{}, {from})", built.metadata.max_glibc)?;
    writeln!(output.stdout, "{}", summary.path.display())?;
    Ok(ExitStatus::Success)
}

/// The ledger must not already hold this version, build and distro.
fn refuse_recorded(
    path: &Path,
    shown: &str,
    version: PythonVersion,
    build: u32,
    distro: &str,
) -> crate::error::Result<()> {
    let existing = ledger::read(path)?;
    if let Some((index, _)) = existing
        .entries()
        .into_iter()
        .find(|(_, e)| (e.version, e.build, e.distro.as_str()) == (version, build, distro))
    {
        let line = existing.table.as_ref().map_or(0, |t| t.rows[index].line);
        return Err(super::UsageError {
            message: format!("`{shown}:{line}` already records {version} build {build} for {distro}"),
            hint: Some(format!("a rebuild gets the next build number: `--build {}`", build + 1)),
        }
        .into());
    }
    Ok(())
}
