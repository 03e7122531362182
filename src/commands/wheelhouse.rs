//! `specgate wheelhouse build` and `install`: parse the arguments, show the phases, print the
//! outcome. The work is in `crate::pipeline::wheelhouse`.

use std::time::Duration;

use crate::cli::{GlobalArgs, PackageFormat, WheelhouseBuildArgs, WheelhouseCommand, WheelhouseInstallArgs};
use crate::pipeline::install::Event;
use crate::pipeline::wheelhouse::{self, build, install};
use crate::shared::artifact::ledger::{self, Record as _};
use crate::shared::artifact::{Compression, PythonVersion, WheelhouseName};
use crate::shared::process::TimeLimit;
use crate::{ExitStatus, Output};

pub fn run(
    global: &GlobalArgs,
    command: &WheelhouseCommand,
    output: &mut Output<'_>,
) -> crate::error::Result<ExitStatus> {
    match command {
        WheelhouseCommand::Build(args) => run_build(global, args, output),
        WheelhouseCommand::Install(args) => run_install(global, args, output),
    }
}

fn python(text: &str) -> crate::error::Result<PythonVersion> {
    text.parse().map_err(|message: String| {
        super::UsageError {
            message,
            hint: Some("pass the CPython version as X.Y.Z, for example `--python 3.11.2`".to_owned()),
        }
        .into()
    })
}

/// One line per phase on stderr, unless `--quiet`.
fn show(quiet: bool, stderr: &mut dyn std::io::Write) -> impl FnMut(Event<'_>) + '_ {
    move |event| {
        let line = match event {
            Event::Phase(name, detail, took) => format!("{name}: {detail} ({:.2} s)", took.as_secs_f64()),
            Event::Waiting(path) => format!("waiting for the lock `{}`: another install is running", path.display()),
            Event::Note(note) => format!("note: {note}"),
            Event::Bytes(..) => return,
        };
        if !quiet {
            let _ = writeln!(stderr, "{line}");
        }
    }
}

fn run_build(
    global: &GlobalArgs,
    args: &WheelhouseBuildArgs,
    output: &mut Output<'_>,
) -> crate::error::Result<ExitStatus> {
    let start = super::start_dir(global)?;
    let version = python(&args.python)?;
    let compression = match args.compression {
        PackageFormat::Tgz => Compression::Gzip,
        PackageFormat::Zst => Compression::Zstd,
    };
    let name = WheelhouseName::new(&args.name, version, &args.distro, args.build, compression)?;
    let ledger = if args.no_ledger {
        None
    } else {
        let (root, config) = super::ledger::root_and_config(global)?;
        let path = root.join(&config.artifacts.ledger);
        refuse_recorded(&path, &config.artifacts.ledger, &name)?;
        Some((path, config))
    };
    let request = build::Request {
        requirements: start.join(&args.requirements),
        name,
        version,
        interpreter: args
            .interpreter
            .as_ref()
            .map_or_else(|| wheelhouse::default_interpreter(std::path::Path::new("/"), version), |i| start.join(i)),
        out: start.join(&args.out),
        probe_limit: TimeLimit::new(Duration::from_secs(args.probe_timeout), "`--probe-timeout SECONDS`"),
        pip_limit: TimeLimit::new(Duration::from_secs(args.pip_timeout), "`--pip-timeout SECONDS`"),
    };
    let built = build::build(&request, &mut show(global.quiet, &mut *output.stderr))?;
    if let Some((path, config)) = &ledger {
        let entry = super::ledger::wheelhouse_entry(
            &request.name,
            built.digest,
            super::ledger::today(),
            ledger::UNPUBLISHED.to_owned(),
        );
        match super::ledger::add_row(path, &config.artifacts.ledger, &entry, config.artifacts.max_active) {
            Ok(text) if !global.quiet => output.stderr.write_all(text.as_bytes())?,
            Ok(_) => {}
            Err(error) => {
                // No wheelhouse without its ledger row.
                let _ = std::fs::remove_file(&built.path);
                let _ = std::fs::remove_file(crate::shared::artifact::Sidecar::path_for(&built.path));
                return Err(error);
            }
        }
    }
    if !global.quiet {
        for ignored in &built.ignored {
            writeln!(output.stderr, "note: pip skipped {ignored}: its marker selects another platform")?;
        }
        writeln!(output.stderr, "built `{}`: {} wheels, sha256 {}", request.name, built.wheels, built.digest)?;
    }
    writeln!(output.stdout, "{}", built.path.display())?;
    Ok(ExitStatus::Success)
}

/// The ledger must not already hold this wheelhouse's name, line, build and distro.
fn refuse_recorded(path: &std::path::Path, shown: &str, name: &WheelhouseName) -> crate::error::Result<()> {
    let existing = ledger::read(path)?;
    if let Some((index, entry)) = existing.wheelhouse_row(name) {
        let line = existing.line_of(ledger::Kind::Wheelhouse, index);
        return Err(super::UsageError {
            message: format!("`{shown}:{line}` already records {}", entry.describe()),
            hint: Some(format!("a rebuild gets the next build number: `--build {}`", name.build + 1)),
        }
        .into());
    }
    Ok(())
}

fn run_install(
    global: &GlobalArgs,
    args: &WheelhouseInstallArgs,
    output: &mut Output<'_>,
) -> crate::error::Result<ExitStatus> {
    let start = super::start_dir(global)?;
    let version = python(&args.python)?;
    let sha256 = super::sha256_flag(&args.sha256, "the wheelhouse's .sha256 sidecar")?;
    let root = start.join(&args.root);
    let request = install::Request {
        url: crate::pipeline::install::fetch::apply_mirror(&args.url, args.download.mirror().as_deref()),
        version,
        sha256,
        ledger: args.ledger.as_ref().map(|l| start.join(l)),
        interpreter: args
            .interpreter
            .as_ref()
            .map_or_else(|| wheelhouse::default_interpreter(&root, version), |i| start.join(i)),
        cache: args.cache.as_ref().map_or_else(crate::pipeline::install::default_cache, |c| start.join(c)),
        allow_http: args.download.allow_http,
        http: args.download.http_options(),
        lock_timeout: Duration::from_secs(args.lock_timeout),
        force: args.force,
        probe_limit: TimeLimit::new(Duration::from_secs(args.probe_timeout), "`--probe-timeout SECONDS`"),
        pip_limit: TimeLimit::new(Duration::from_secs(args.pip_timeout), "`--pip-timeout SECONDS`"),
    };
    let started = std::time::Instant::now();
    let outcome = install::install(&request, &mut show(global.quiet, &mut *output.stderr))?;
    let took = started.elapsed().as_secs_f64();
    let text = match outcome {
        install::Outcome::AlreadyInstalled { receipt } => {
            format!("the wheelhouse is already installed (`{}`); nothing to do ({took:.2} s)", receipt.display())
        }
        install::Outcome::Installed { receipt, wheels } => {
            format!("installed {wheels} wheels offline in {took:.2} s; receipt `{}`", receipt.display())
        }
    };
    writeln!(output.stderr, "{text}")?;
    Ok(ExitStatus::Success)
}
