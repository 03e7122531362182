//! The build on this machine: gates, then configure, make, make install into a DESTDIR, slim,
//! validate, and keep the validated stage in the build cache. Every step prints its duration;
//! the commands' output goes to one log file per build.
//!
//! The cache is keyed by the source SHA-256, the configure flags, the OS, the profile and what
//! the slimming keeps; a hit skips compiling. Work folders carry the process id, so an
//! interrupted build leaves nothing a rerun could mistake for a result: the rerun removes the
//! dead process's folder and starts over; a cache entry appears only complete (rename).

use std::fs::{self, File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use sha2::{Digest as _, Sha256};

use super::gates::{self, OsInfo, SourceSpec};
use super::inspect::{self, Keep, Metadata};
use super::Error;
use crate::shared::artifact::{upstream, PythonVersion};
use crate::shared::atomic::RemoveOnDrop;
use crate::shared::config::build::BuildConfig;
use crate::shared::process::process_gone;

/// Build profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Profile {
    /// The seed's flags: PGO (`--enable-optimizations`) and LTO (`--with-lto`); about 50 minutes.
    #[default]
    Release,
    /// No PGO, no LTO: for development and tests; a few minutes.
    Fast,
}

impl Profile {
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Release => "release",
            Profile::Fast => "fast",
        }
    }
}

/// One build to run.
#[derive(Debug, Clone)]
pub struct Request {
    pub version: PythonVersion,
    pub source: Option<SourceSpec>,
    pub signature: Option<PathBuf>,
    pub jobs: usize,
    pub profile: Profile,
    pub cache: PathBuf,
    /// Use a cached stage when one matches (default true).
    pub use_cache: bool,
    pub keep: Keep,
    /// The log file (default: `<cache>/logs/...`).
    pub log: Option<PathBuf>,
    /// os-release to read (default /etc/os-release).
    pub os_release: PathBuf,
    /// Repository root: resolves pinned key paths.
    pub root: PathBuf,
    /// How long gpg, the probe, the entry points and the venv check may run (`[limits]`).
    pub limits: crate::shared::config::Limits,
}

/// A validated stage ready to pack.
#[derive(Debug, Clone)]
pub struct Built {
    /// The DESTDIR holding `opt/python-X.Y.Z/` (inside the cache; do not modify).
    pub stage: PathBuf,
    pub os: OsInfo,
    pub metadata: Metadata,
    pub cached: bool,
    pub log: PathBuf,
    pub key: String,
}

/// Prints `==> step` and, at the end, its duration.
pub struct Steps<'a> {
    pub out: &'a mut dyn Write,
    started: Instant,
}

impl<'a> Steps<'a> {
    pub fn new(out: &'a mut dyn Write) -> Steps<'a> {
        Steps { out, started: Instant::now() }
    }

    pub fn step<T>(&mut self, name: &str, f: impl FnOnce(&mut dyn Write) -> Result<T, Error>) -> Result<T, Error> {
        let _ = writeln!(self.out, "==> {name}");
        let _ = self.out.flush();
        let start = Instant::now();
        let result = f(self.out);
        let seconds = start.elapsed().as_secs_f64();
        let _ = match &result {
            Ok(_) => writeln!(self.out, "    {name}: ok in {seconds:.1}s"),
            Err(_) => writeln!(self.out, "    {name}: FAILED after {seconds:.1}s"),
        };
        let _ = self.out.flush();
        result
    }

    pub fn total_seconds(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}

/// The configure arguments for a version and profile, with `{prefix}` and `{version}` replaced:
/// the fast profile drops PGO and LTO; `--with-system-ffi` is added below 3.12 (it was removed
/// in 3.12); the `$ORIGIN/../lib` rpath goes in LDFLAGS, escaped for make and its shell.
pub fn configure_args(config: &BuildConfig, version: PythonVersion, profile: Profile, keep: Keep) -> Vec<String> {
    let prefix = format!("/opt/python-{version}");
    let mut args: Vec<String> = config
        .configure_flags
        .iter()
        .filter(|f| profile == Profile::Release || !matches!(f.as_str(), "--enable-optimizations" | "--with-lto"))
        .map(|f| f.replace("{prefix}", &prefix).replace("{version}", &version.to_string()))
        .collect();
    if version < (PythonVersion { major: 3, minor: 12, patch: 0 })
        && !args.iter().any(|a| a.starts_with("--with-system-ffi"))
    {
        args.push("--with-system-ffi".to_owned());
    }
    // The fast profile does not compile, install and byte-compile the test suite that slim would
    // delete (`--disable-test-modules`, 3.10 and later). The release profile builds it: its PGO
    // training run (`-m test --pgo`) uses the test extension modules.
    if profile == Profile::Fast
        && !keep.tests
        && version >= (PythonVersion { major: 3, minor: 10, patch: 0 })
        && !args.iter().any(|a| a.contains("-test-modules"))
    {
        args.push("--disable-test-modules".to_owned());
    }
    // tkinter needs Tk and X11 libraries in every image that installs the artifact, and a Dev
    // Container has no display: it is left out (3.11 and later read `py_cv_module_*`) unless
    // `[build] modules` requires it. IDLE's scripts go with it (inspect::relocate_scripts).
    if version >= (PythonVersion { major: 3, minor: 11, patch: 0 })
        && !config.modules.iter().any(|m| m == "tkinter")
        && !args.iter().any(|a| a.starts_with("py_cv_module__tkinter="))
    {
        args.push("py_cv_module__tkinter=n/a".to_owned());
    }
    if !args.iter().any(|a| a.starts_with("LDFLAGS=")) {
        // configure copies LDFLAGS into the Makefile: make turns `$$` into `$`, its shell turns
        // `\$` into `$`, so the linker sees the literal `$ORIGIN/../lib`.
        args.push(r"LDFLAGS=-Wl,-rpath,\$$ORIGIN/../lib".to_owned());
    }
    args
}

/// The cache key: every input that changes the installed tree.
pub fn cache_key(source_sha256: &str, args: &[String], os: &OsInfo, profile: Profile, keep: Keep) -> String {
    let mut hasher = Sha256::new();
    let mut add = |k: &str, v: &str| {
        hasher.update(k.as_bytes());
        hasher.update([0]);
        hasher.update(v.as_bytes());
        hasher.update([0]);
    };
    // Bump when what a build puts in the stage or in `.specgate-build.json` changes, so entries
    // made by an older specgate are not reused.
    add("format", "specgate-build-cache-2");
    add("source", source_sha256);
    for arg in args {
        add("configure", arg);
    }
    add("os", &os.tag());
    add("profile", profile.as_str());
    add("keep", &format!("{}{}{}", keep.tests, keep.static_lib, keep.debug));
    let digest = hasher.finalize();
    digest.iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// Run the whole host build up to a validated stage.
pub fn build(request: &Request, config: &BuildConfig, steps: &mut Steps<'_>) -> Result<Built, Error> {
    let version = request.version;
    let os = steps.step("OS check", |out| {
        let os = gates::read_os_release(&request.os_release)?;
        gates::check_os(&os, config)?;
        let _ = writeln!(out, "    {} ({})", os.tag(), os.pretty_name);
        Ok(os)
    })?;
    steps.step("dependency check", |out| {
        let packages = gates::check_packages(config)?;
        let _ = writeln!(out, "    installed: {}", packages.join(" "));
        Ok(())
    })?;
    let downloads = request.cache.join("downloads");
    let source = steps.step("source", |out| {
        let source = gates::verify_source(
            version,
            request.source.as_ref(),
            request.signature.as_deref(),
            config,
            &gates::Surroundings { root: &request.root, downloads: &downloads, gpg_limit: request.limits.gpg },
            out,
        )?;
        let _ = writeln!(out, "    `{}`: {}", source.path.display(), source.how);
        Ok(source)
    })?;

    let args = configure_args(config, version, request.profile, request.keep);
    let key = cache_key(&source.sha256, &args, &os, request.profile, request.keep);
    let entry = request.cache.join("stages").join(&key);
    fs::create_dir_all(request.cache.join("stages")).map_err(|e| Error::io("create", &request.cache, e))?;
    let log = match &request.log {
        Some(log) => log.clone(),
        None => {
            let logs = request.cache.join("logs");
            fs::create_dir_all(&logs).map_err(|e| Error::io("create", &logs, e))?;
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            logs.join(format!("build-{version}-{}-{key}-{now}.log", request.profile.as_str()))
        }
    };
    if request.use_cache {
        if let Some(metadata) = read_cached(&entry, version) {
            let _ = writeln!(steps.out, "==> compile: cached ({key}), skipped");
            return Ok(Built { stage: entry.join("stage"), os, metadata, cached: true, log, key });
        }
    }
    let _ = writeln!(steps.out, "    log: {}", log.display());

    clean_stale_work(&request.cache);
    let work = request.cache.join("work").join(format!("{key}-{}-{}", host_name(), std::process::id()));
    let guard = RemoveOnDrop(work.clone());
    let _ = fs::remove_dir_all(&work);
    let src = work.join("src");
    let stage = work.join("stage");
    fs::create_dir_all(&src).map_err(|e| Error::io("create", &src, e))?;
    fs::create_dir_all(&stage).map_err(|e| Error::io("create", &stage, e))?;
    let mut logfile = LogFile::open(&log)?;
    let _ = writeln!(
        logfile.0,
        "specgate build {version} profile {} key {key}\nconfigure {}",
        request.profile.as_str(),
        args.join(" ")
    );

    let source_files = steps.step("extract", |_| {
        let mut tar = Command::new("tar");
        tar.arg("-xf").arg(&source.path).arg("-C").arg(&src).arg("--strip-components=1").arg("--no-same-owner");
        run_logged("extract", &mut tar, &log, &mut logfile)?;
        if !src.join("configure").is_file() {
            return Err(Error::NotCpython { path: source.path.clone() });
        }
        // The verified source's files, before configure touches the tree: the upstream record.
        upstream::tree_digests(&src).map_err(artifact_error)
    })?;
    let epoch = crate::shared::artifact::pack::mtime_from_env().map_err(|reason| Error::Config { reason })?.to_string();
    let base_env = |cmd: &mut Command| {
        cmd.current_dir(&src).env("SOURCE_DATE_EPOCH", &epoch).env("LC_ALL", "C");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("PYTHON") {
                cmd.env_remove(&key);
            }
        }
    };
    steps.step("configure", |out| {
        let _ = writeln!(out, "    ./configure {}", args.join(" "));
        let mut cmd = Command::new("./configure");
        cmd.args(&args);
        base_env(&mut cmd);
        run_logged("configure", &mut cmd, &log, &mut logfile)
    })?;
    steps.step(&format!("make -j{}", request.jobs), |_| {
        let mut cmd = Command::new("make");
        cmd.arg(format!("-j{}", request.jobs));
        base_env(&mut cmd);
        run_logged("make", &mut cmd, &log, &mut logfile)
    })?;
    steps.step("make install (DESTDIR)", |_| {
        let mut cmd = Command::new("make");
        cmd.arg("install").arg(format!("DESTDIR={}", stage.display()));
        base_env(&mut cmd);
        run_logged("make install", &mut cmd, &log, &mut logfile)
    })?;
    let prefix_dir = stage.join(format!("opt/python-{version}"));
    if !prefix_dir.is_dir() {
        return Err(Error::Validation {
            reason: format!("`make install` made no `opt/python-{version}/` in the stage; configure's --prefix must be /opt/python-{version}"),
            log: Some(log.clone()),
        });
    }
    steps.step("slim", |out| {
        let removed = inspect::slim(&prefix_dir, version, request.keep)?;
        let _ = writeln!(out, "    removed {} files ({} bytes)", removed.files, removed.bytes);
        Ok(())
    })?;
    steps.step("scripts", |out| {
        let relocated = inspect::relocate_scripts(&prefix_dir, version)?;
        let _ = writeln!(
            out,
            "    {} interpreter lines made relocatable ({})",
            relocated.rewritten.len(),
            relocated.rewritten.iter().filter(|p| p.starts_with("bin/")).cloned().collect::<Vec<_>>().join(" ")
        );
        if !relocated.removed.is_empty() {
            let _ = writeln!(
                out,
                "    removed {} (IDLE needs tkinter: add `tkinter` to `[build] modules` and install tk-dev to keep it)",
                relocated.removed.join(" ")
            );
        }
        Ok(())
    })?;
    let modules = gates::required_modules(config);
    let metadata = steps.step("validate", |out| {
        let metadata = inspect::validate(&prefix_dir, version, &modules, &os, &work, &log, &request.limits)?;
        let _ = writeln!(
            out,
            "    python {version}, own libpython, modules {}, venv ok, max GLIBC_{}",
            modules.join(" "),
            metadata.max_glibc
        );
        Ok(metadata)
    })?;
    let metadata = Metadata {
        profile: request.profile.as_str().to_owned(),
        source_sha256: source.sha256.clone(),
        configure: args.clone(),
        ..metadata
    };
    inspect::write_metadata(&prefix_dir, &metadata)?;
    let record = upstream::record(&prefix_dir, version, &source.sha256, &source_files).map_err(artifact_error)?;
    upstream::write(&prefix_dir, &record).map_err(artifact_error)?;
    let _ = writeln!(
        steps.out,
        "    files byte-identical to the pinned source: {} (recorded in `{}`)",
        record.files.len(),
        upstream::FILE
    );

    // Keep the validated stage: rename the whole work folder's stage into the cache.
    let staging_entry = request.cache.join("stages").join(format!(".{key}.tmp-{}-{}", host_name(), std::process::id()));
    let _ = fs::remove_dir_all(&staging_entry);
    fs::create_dir_all(&staging_entry).map_err(|e| Error::io("create", &staging_entry, e))?;
    fs::rename(&stage, staging_entry.join("stage")).map_err(|e| Error::io("move", &stage, e))?;
    let json = serde_json::to_vec_pretty(&metadata).map_err(|e| Error::Config { reason: e.to_string() })?;
    fs::write(staging_entry.join("entry.json"), json).map_err(|e| Error::io("write", &staging_entry, e))?;
    let _ = fs::remove_dir_all(&entry);
    fs::rename(&staging_entry, &entry).map_err(|e| Error::io("move", &entry, e))?;
    drop(guard);
    Ok(Built { stage: entry.join("stage"), os, metadata, cached: false, log, key })
}

/// An I/O error of the artifact layer as a build error.
fn artifact_error(error: crate::shared::artifact::Error) -> Error {
    match error {
        crate::shared::artifact::Error::Io { action, path, source } => Error::io(action, &path, source),
        other => Error::Validation { reason: other.to_string(), log: None },
    }
}

/// A cache entry, if complete and of this version.
fn read_cached(entry: &Path, version: PythonVersion) -> Option<Metadata> {
    let text = crate::shared::readfile::text(&entry.join("entry.json"), 16 * 1024 * 1024).ok()?;
    let metadata: Metadata = serde_json::from_str(&text).ok()?;
    (metadata.python == version.to_string() && entry.join("stage").join(format!("opt/python-{version}/bin")).is_dir())
        .then_some(metadata)
}

/// This machine's host name and process-id namespace, so builds sharing a cache from several
/// machines or containers (`--network host` keeps the host name) never take each other's
/// process ids for their own.
fn host_name() -> String {
    let name = fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    let namespace = fs::read_link("/proc/self/ns/pid").map(|l| l.to_string_lossy().into_owned()).unwrap_or_default();
    let name = format!("{}.{}", name.trim(), namespace);
    let name: String = name.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
    if name.is_empty() {
        "host".to_owned()
    } else {
        name
    }
}

/// Remove work folders of this machine's processes that no longer run (an interrupted build).
fn clean_stale_work(cache: &Path) {
    let host = host_name();
    let dead = |pid: Option<u32>| pid.is_some_and(process_gone);
    if let Ok(entries) = fs::read_dir(cache.join("work")) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let mut parts = name.rsplitn(3, '-');
            let pid = parts.next().and_then(|p| p.parse::<u32>().ok());
            if parts.next() == Some(host.as_str()) && dead(pid) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    if let Ok(entries) = fs::read_dir(cache.join("stages")) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(rest) = name.strip_prefix('.').and_then(|n| n.split_once(".tmp-")).map(|(_, r)| r.to_owned()) {
                let mut parts = rest.rsplitn(2, '-');
                let pid = parts.next().and_then(|p| p.parse::<u32>().ok());
                if parts.next() == Some(host.as_str()) && dead(pid) {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
    }
}

/// The build log, appended to by every step.
pub struct LogFile(pub File);

impl LogFile {
    pub fn open(path: &Path) -> Result<LogFile, Error> {
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io("create", parent, e))?;
        }
        let file = OpenOptions::new().create(true).append(true).open(path).map_err(|e| Error::io("open", path, e))?;
        Ok(LogFile(file))
    }
}

/// Run a command with stdout and stderr appended to the log; on failure, the last lines.
pub fn run_logged(step: &str, cmd: &mut Command, log: &Path, logfile: &mut LogFile) -> Result<(), Error> {
    let program = cmd.get_program().to_string_lossy().into_owned();
    let _ = writeln!(
        logfile.0,
        "\n### {step}: {program} {}",
        cmd.get_args().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ")
    );
    let out = logfile.0.try_clone().map_err(|e| Error::io("write", log, e))?;
    let err = logfile.0.try_clone().map_err(|e| Error::io("write", log, e))?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .status()
        .map_err(|source| Error::Tool { tool: program.clone(), source })?;
    if status.success() {
        return Ok(());
    }
    let status = match status.code() {
        Some(code) => format!("exit status {code}"),
        None => "killed by a signal".to_owned(),
    };
    Err(Error::Step { step: step.to_owned(), status, log: log.to_path_buf(), tail: tail(log, 25) })
}

/// The last `lines` lines of a file (reads at most the last 64 KiB).
pub fn tail(path: &Path, lines: usize) -> String {
    let Ok(mut file) = File::open(path) else { return String::new() };
    let len = file.metadata().map_or(0, |m| m.len());
    let start = len.saturating_sub(64 * 1024);
    if file.seek(SeekFrom::Start(start)).is_err() {
        return String::new();
    }
    let mut bytes = Vec::new();
    let _ = file.read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].iter().map(|l| format!("    | {l}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::config::Config;

    fn v(text: &str) -> PythonVersion {
        text.parse().unwrap()
    }

    #[test]
    fn configure_args_per_profile_and_version() {
        let config = Config::defaults().build;
        let release = configure_args(&config, v("3.11.2"), Profile::Release, Keep::default());
        assert_eq!(
            release,
            [
                "--prefix=/opt/python-3.11.2",
                "--enable-optimizations",
                "--with-lto",
                "--enable-shared",
                "--with-openssl=/usr",
                "--with-system-ffi",
                "py_cv_module__tkinter=n/a",
                r"LDFLAGS=-Wl,-rpath,\$$ORIGIN/../lib",
            ]
        );
        // tkinter is built only when `[build] modules` requires it.
        let mut with_tk = Config::defaults().build;
        with_tk.modules.push("tkinter".to_owned());
        assert!(!configure_args(&with_tk, v("3.11.2"), Profile::Fast, Keep::default())
            .iter()
            .any(|a| a.contains("tkinter")));
        let fast = configure_args(&config, v("3.12.6"), Profile::Fast, Keep::default());
        assert!(!fast.iter().any(|a| a == "--with-lto" || a == "--enable-optimizations" || a == "--with-system-ffi"));
        assert!(fast.contains(&"--prefix=/opt/python-3.12.6".to_owned()));
        assert!(fast.contains(&"--disable-test-modules".to_owned()));
        // Kept tests are built; before 3.10 configure has no such option.
        let kept = configure_args(&config, v("3.12.6"), Profile::Fast, Keep { tests: true, ..Keep::default() });
        assert!(!kept.iter().any(|a| a.contains("test-modules")));
        assert!(!configure_args(&config, v("3.9.18"), Profile::Fast, Keep::default())
            .iter()
            .any(|a| a.contains("test-modules")));
    }

    #[test]
    fn cache_key_changes_with_every_input() {
        let os = OsInfo { id: "debian".into(), version_id: "12".into(), pretty_name: String::new() };
        let args = vec!["--prefix=/opt/python-3.11.2".to_owned()];
        let base = cache_key("aa", &args, &os, Profile::Fast, Keep::default());
        assert_eq!(base, cache_key("aa", &args, &os, Profile::Fast, Keep::default()));
        assert_ne!(base, cache_key("ab", &args, &os, Profile::Fast, Keep::default()));
        assert_ne!(base, cache_key("aa", &[], &os, Profile::Fast, Keep::default()));
        assert_ne!(base, cache_key("aa", &args, &os, Profile::Release, Keep::default()));
        assert_ne!(base, cache_key("aa", &args, &os, Profile::Fast, Keep { tests: true, ..Keep::default() }));
        let ubuntu = OsInfo { id: "ubuntu".into(), version_id: "20.04".into(), pretty_name: String::new() };
        assert_ne!(base, cache_key("aa", &args, &ubuntu, Profile::Fast, Keep::default()));
    }
}
