//! `specgate install`, `list`, `use`, `uninstall`: parse the arguments, show progress, print
//! the outcome. The work is in `crate::pipeline::install`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::cli::{GlobalArgs, InstallArgs, Progress, RootArgs, UninstallArgs, UseArgs};
use crate::pipeline::install::{self, Event, Layout, Outcome};
use crate::shared::artifact::{Digest, PythonVersion};
use crate::{ExitStatus, Output};

fn version(text: &str) -> crate::error::Result<PythonVersion> {
    text.parse().map_err(|message: String| {
        super::UsageError { message, hint: Some("pass the CPython version as X.Y.Z, for example 3.11.2".to_owned()) }
            .into()
    })
}

/// The URL and SHA-256 of the newest published build of `version` for the distro of `root`
/// (its `etc/os-release`), from the Feature's index; and a line saying which row it is.
fn from_index(
    index: &std::path::Path,
    version: PythonVersion,
    root: &std::path::Path,
) -> crate::error::Result<(String, Digest, String)> {
    let usage = |message: String, hint: String| super::UsageError { message, hint: Some(hint) };
    let table = crate::shared::artifact::index::Index::read(index).map_err(|reason| {
        usage(
            format!("the Feature's index `{}` cannot be used: {reason}", index.display()),
            "run `make feature` in the specgate repository again: it writes the index from ARTIFACTS.md; or set \"artifactUrl\" and \"sha256\"".to_owned(),
        )
    })?;
    let os_release = root.join("etc/os-release");
    let os = crate::pipeline::build::gates::read_os_release(&os_release).map_err(|error| {
        usage(
            format!("cannot tell which distro this image is, to pick its artifact: {error}"),
            "every Debian and Ubuntu image has /etc/os-release; for another image set \"artifactUrl\" and \"sha256\" explicitly".to_owned(),
        )
    })?;
    let row = table.select(version, &os.tag()).map_err(|missing| usage(missing.to_string(), missing.hint()))?;
    let digest = Digest::from_hex(&row.sha256).expect("Index::read checked every digest");
    let note =
        format!("index: Python {} build {} for {} from `{}`", row.version, row.build, row.distro, index.display());
    Ok((row.url.clone(), digest, note))
}

pub fn install(global: &GlobalArgs, args: &InstallArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let sha256 = super::sha256_flag(&args.sha256, "the artifact's row in ARTIFACTS.md or its .sha256 sidecar")?;
    let start_dir = super::start_dir(global)?;
    let root = start_dir.join(&args.root.root);
    let version = version(&args.version)?;
    let (url, sha256, sha256_from_index) = match (&args.url, &args.index) {
        (Some(url), _) => (url.clone(), sha256, None),
        (None, Some(index)) => {
            let index = start_dir.join(index);
            let (url, digest, note) = from_index(&index, version, &root)?;
            writeln!(output.stderr, "{note}")?;
            // An explicit --sha256 still wins over the index's.
            let from = sha256.is_none().then(|| index.clone());
            (url, sha256.or(Some(digest)), from)
        }
        (None, None) => unreachable!("clap requires --url or --index"),
    };
    let request = install::Request {
        version,
        url,
        sha256,
        sha256_from_index,
        ledger: args.ledger.as_ref().map(|l| start_dir.join(l)),
        mirror: args.download.mirror(),
        root,
        cache: args.cache.as_ref().map_or_else(install::default_cache, |c| start_dir.join(c)),
        force: args.force,
        set_default: !args.no_default,
        allow_http: args.download.allow_http,
        http: args.download.http_options(),
        lock_timeout: Duration::from_secs(args.lock_timeout),
        modules: args.modules.clone(),
        signing_key: args
            .signing_key
            .as_ref()
            .map(|key| (start_dir.join(key), args.signing_fingerprint.clone().unwrap_or_default())),
        probe_limit: crate::shared::process::TimeLimit::new(
            Duration::from_secs(args.probe_timeout),
            "`--probe-timeout SECONDS`",
        ),
        gpg_limit: crate::shared::process::TimeLimit::new(
            Duration::from_secs(args.gpg_timeout),
            "`--gpg-timeout SECONDS`",
        ),
    };
    let bar = match args.progress {
        Progress::Bar => true,
        Progress::Lines => false,
        Progress::Auto => std::io::stderr().is_terminal(),
    };
    let quiet = global.quiet;
    let stderr = &mut *output.stderr;
    let mut last_draw: Option<Instant> = None;
    let mut drawn = false;
    let started = Instant::now();
    let outcome = install::install(&request, &mut |event| {
        let line = match event {
            Event::Bytes(done, total) => {
                if bar && last_draw.is_none_or(|t| t.elapsed() >= Duration::from_millis(100)) {
                    last_draw = Some(Instant::now());
                    drawn = true;
                    let _ = write!(stderr, "\r{}", bar_line(done, total));
                    let _ = stderr.flush();
                }
                return;
            }
            Event::Phase(name, detail, took) => format!("{name}: {detail} ({:.2} s)", took.as_secs_f64()),
            Event::Waiting(path) => format!("waiting for the lock `{}`: another install is running", path.display()),
            Event::Note(note) => format!("note: {note}"),
        };
        if quiet {
            return;
        }
        if drawn {
            let _ = write!(stderr, "\r\x1b[2K");
            drawn = false;
        }
        let _ = writeln!(stderr, "{line}");
    })?;
    let text = match outcome {
        Outcome::AlreadyInstalled { prefix } => {
            format!("Python {} is already installed at `{}`; nothing to do", request.version, prefix.display())
        }
        Outcome::LinksRepaired { prefix } => {
            format!("Python {} was installed at `{}`; its links were repaired", request.version, prefix.display())
        }
        Outcome::Installed { prefix, replaced } => format!(
            "installed Python {} at `{}`{} in {:.2} s",
            request.version,
            prefix.display(),
            if replaced { ", replacing the previous tree" } else { "" },
            started.elapsed().as_secs_f64()
        ),
    };
    writeln!(output.stderr, "{text}")?;
    Ok(ExitStatus::Success)
}

fn bar_line(done: u64, total: Option<u64>) -> String {
    match total.filter(|t| *t > 0) {
        Some(total) => {
            let width = 30;
            let filled = ((done.min(total) as f64 / total as f64) * width as f64) as usize;
            format!(
                "download [{}{}] {} / {}",
                "#".repeat(filled),
                "-".repeat(width - filled),
                install::human_bytes(done),
                install::human_bytes(total)
            )
        }
        None => format!("download {}", install::human_bytes(done)),
    }
}

pub fn list(args: &RootArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let layout = Layout::new(&args.root);
    let active = layout.active();
    let installed = layout.installed();
    let mut text = String::new();
    if installed.is_empty() {
        text.push_str(&format!("no Python installed by specgate under `{}`\n", layout.opt().display()));
    }
    for (version, receipt) in installed {
        let marker = if Some(version) == active { "*" } else { " " };
        match receipt {
            Some(r) => text.push_str(&format!(
                "{marker} {version}  {}  sha256 {}  installed {}\n",
                r.artifact,
                &r.sha256[..12.min(r.sha256.len())],
                r.installed_at
            )),
            None => text.push_str(&format!(
                "{marker} {version}  stale: no receipt (an interrupted install); `specgate install --force` replaces it\n"
            )),
        }
    }
    output.stdout.write_all(text.as_bytes())?;
    Ok(ExitStatus::Success)
}

pub fn use_version(args: &UseArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let version = version(&args.version)?;
    let prefix: PathBuf = install::use_version(&args.root.root, version)?;
    writeln!(output.stderr, "python3 and pip3 now run Python {version} from `{}`", prefix.display())?;
    Ok(ExitStatus::Success)
}

pub fn uninstall(args: &UninstallArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let version = version(&args.version)?;
    let prefix = install::uninstall(&args.root.root, version, args.force)?;
    writeln!(output.stderr, "removed Python {version} from `{}`", prefix.display())?;
    Ok(ExitStatus::Success)
}
