//! Run a fresh CPython interpreter in a clean environment and report what it is: the version it
//! prints, the libpython files it mapped, the modules that do not import. `specgate build`
//! (build::inspect) and `specgate install` (install::validate) both probe the tree they made,
//! each with its own policy; a start failure is explained here, once, from the loader's message.

use std::io::Read;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};

use crate::shared::process::{output_within, RunError, TimeLimit};

/// The modules every interpreter must import (BR-007).
pub const REQUIRED_MODULES: [&str; 5] = ["ssl", "sqlite3", "uuid", "lzma", "bz2"];

const SCRIPT: &str = r#"
import importlib, sys
print("version %d.%d.%d" % sys.version_info[:3])
for line in open("/proc/self/maps"):
    fields = line.split()
    if len(fields) >= 6 and "libpython" in fields[-1]:
        print("libpython " + fields[-1])
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except BaseException as e:
        print("failed %s %s: %s" % (name, type(e).__name__, str(e).replace("\n", " ")))
"#;

/// Why the interpreter is not usable, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    pub hint: String,
    /// A shared library the interpreter or a module needs and this system lacks, `libssl.so.3`.
    pub missing_library: Option<String>,
}

/// What the interpreter reported about itself.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub version: Option<String>,
    /// Every libpython file mapped into the process (several mappings of one file count once).
    pub libpython: Vec<String>,
    /// `(module, "ErrorType: message")` for each module that did not import.
    pub failed: Vec<(String, String)>,
}

/// `program` with nothing inherited: PATH, a UTF-8 C locale, and HOME and TMPDIR when given
/// (a venv or pip run needs somewhere to write); stdin closed.
pub fn clean_command(program: &Path, home: Option<&Path>) -> Command {
    let mut command = Command::new(program);
    command
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null());
    if let Some(home) = home {
        command.env("HOME", home).env("TMPDIR", home);
    }
    command
}

/// Run `python -I` with the probe script within `limit`; `home` as in [`clean_command`].
pub fn probe(python: &Path, modules: &[String], home: Option<&Path>, limit: TimeLimit) -> Result<Report, Failure> {
    if !python.exists() {
        return Err(Failure {
            reason: format!("there is no interpreter at `{}`", python.display()),
            hint: "the tree is not a CPython install of this version; check the version and where it came from"
                .to_owned(),
            missing_library: None,
        });
    }
    let mut command = clean_command(python, home);
    command.arg("-I").arg("-c").arg(SCRIPT).args(modules);
    let (status, stdout, stderr) = output_within(command, limit).map_err(|error| match error {
        RunError::TimedOut(limit) => Failure {
            reason: format!(
                "the interpreter probe (`{} -I -c <script>`, which prints the version and imports the required modules) did not finish within {limit} and was stopped",
                python.display()
            ),
            hint: format!(
                "a working interpreter answers in well under a second, so this one is probably broken (run it by hand to see where it waits); on a machine that is only slow, raise {}",
                limit.setting
            ),
            missing_library: None,
        },
        RunError::Start(error) => Failure {
            reason: format!("could not run `{}`: {error}", python.display()),
            hint: "the file may be for another CPU architecture or the folder may be mounted noexec".to_owned(),
            missing_library: None,
        },
    })?;
    if !status.success() {
        return Err(explain_start_failure(&stderr, python));
    }
    let mut report = Report::default();
    for line in stdout.lines() {
        if let Some(v) = line.strip_prefix("version ") {
            report.version = Some(v.to_owned());
        } else if let Some(path) = line.strip_prefix("libpython ") {
            if !report.libpython.iter().any(|p| p == path) {
                report.libpython.push(path.to_owned());
            }
        } else if let Some(rest) = line.strip_prefix("failed ") {
            let (module, error) = rest.split_once(' ').unwrap_or((rest, ""));
            report.failed.push((module.to_owned(), error.to_owned()));
        }
    }
    Ok(report)
}

/// What one entry point of `bin/` is run with: `--version` for the interpreters and pip, `-h`
/// for IDLE (its option parser knows no `--help`), `--help` for the rest (pydoc3, 2to3,
/// python3-config, anything a build adds).
fn entry_point_flag(name: &str) -> &'static str {
    if (name.starts_with("python") && !name.ends_with("-config")) || name.starts_with("pip") {
        "--version"
    } else if name.starts_with("idle") {
        "-h"
    } else {
        "--help"
    }
}

/// `#!INTERPRETER [ARGUMENT]\n` at the start of `content`: the interpreter, the argument and
/// the bytes after the line.
pub fn interpreter_line(content: &[u8]) -> Option<(&str, Option<&str>, &[u8])> {
    let rest = content.strip_prefix(b"#!")?;
    let end = rest.iter().take(512).position(|&b| b == b'\n')?;
    let first = std::str::from_utf8(&rest[..end]).ok()?.trim();
    let mut parts = first.splitn(2, char::is_whitespace);
    let interpreter = parts.next().filter(|i| !i.is_empty())?;
    let argument = parts.next().map(str::trim).filter(|a| !a.is_empty());
    Some((interpreter, argument, &rest[end + 1..]))
}

/// How one run ended: exit status, stdout and stderr, or why it could not run.
type Ran = Result<(ExitStatus, String, String), RunError>;

/// Run every entry point in `prefix/bin` once, in a clean environment and each within `limit`,
/// and require each to exit 0: `--version` or `--help` (see `entry_point_flag`). `installed_prefix` is where the tree is
/// meant to live (`/opt/python-X.Y.Z`); a script whose interpreter line names a path under it
/// is run with that file of `prefix` instead, so a tree checked before it is moved into place
/// is judged by its own files, and a missing interpreter is named. Returns how many ran.
pub fn check_entry_points(
    prefix: &Path,
    installed_prefix: &Path,
    home: Option<&Path>,
    limit: TimeLimit,
) -> Result<usize, Failure> {
    let bin = prefix.join("bin");
    let mut names: Vec<String> = match std::fs::read_dir(&bin) {
        Ok(entries) => entries.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect(),
        Err(_) => return Ok(0),
    };
    names.sort();
    let mut commands = Vec::new();
    for name in names {
        let path = bin.join(&name);
        let shown = format!("bin/{name}");
        let Ok(meta) = std::fs::metadata(&path) else {
            let target = std::fs::read_link(&path).map(|t| t.display().to_string()).unwrap_or_default();
            return Err(Failure {
                reason: format!("`{shown}` is a link to `{target}`, which the tree does not contain"),
                hint: "the artifact is incomplete; rebuild it with `specgate build`".to_owned(),
                missing_library: None,
            });
        };
        if !meta.is_file() || std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 == 0 {
            continue;
        }
        let flag = entry_point_flag(&name);
        let mut head = Vec::new();
        let _ = std::fs::File::open(&path).and_then(|f| f.take(600).read_to_end(&mut head));
        let mut command = match interpreter_line(&head) {
            Some((interpreter, argument, _)) => {
                let named = Path::new(&interpreter);
                let inside = named.strip_prefix(installed_prefix).ok().map(|rest| prefix.join(rest));
                let exists = inside.as_deref().unwrap_or(named);
                if !exists.is_file() {
                    let whose =
                        if inside.is_some() { "the artifact does not contain" } else { "this system does not have" };
                    return Err(Failure {
                        reason: format!("`{shown}` cannot run: its interpreter line names `{interpreter}`, which {whose}"),
                        hint: "rebuild the artifact with `specgate build`, which points every script at the interpreter beside it (docs/troubleshooting-install.md)".to_owned(),
                        missing_library: None,
                    });
                }
                match inside {
                    Some(interpreter) => {
                        let mut command = clean_command(&interpreter, home);
                        command.args(argument).arg(&path);
                        command
                    }
                    None => clean_command(&path, home),
                }
            }
            None => clean_command(&path, home),
        };
        command.arg(flag);
        commands.push((format!("{shown} {flag}"), command));
    }
    let count = commands.len();
    // A handful of short runs; at most two at once.
    let mut failures: Vec<(String, String)> = Vec::new();
    let mut queue = commands.into_iter();
    loop {
        let pair: Vec<(String, Command)> = queue.by_ref().take(2).collect();
        if pair.is_empty() {
            break;
        }
        let results: Vec<(String, Ran)> = std::thread::scope(|scope| {
            let running: Vec<_> = pair
                .into_iter()
                .map(|(shown, command)| scope.spawn(move || (shown, output_within(command, limit))))
                .collect();
            running.into_iter().map(|handle| handle.join().expect("an entry point runner does not panic")).collect()
        });
        for (shown, result) in results {
            match result {
                Ok((status, _, _)) if status.success() => {}
                Ok((status, stdout, stderr)) => {
                    let text = if stderr.trim().is_empty() { stdout } else { stderr };
                    let code = status.code().map_or_else(|| "a signal".to_owned(), |c| format!("exit {c}"));
                    failures.push((shown, format!("{code}: {}", last_lines(&text, 3))));
                }
                Err(error) => failures.push((shown, error.to_string())),
            }
        }
    }
    if let Some((shown, reason)) = failures.first() {
        let more = if failures.len() > 1 {
            format!(
                " (and {} more: {})",
                failures.len() - 1,
                failures[1..].iter().map(|(s, _)| s.as_str()).collect::<Vec<_>>().join(", ")
            )
        } else {
            String::new()
        };
        return Err(Failure {
            reason: format!("`{shown}` failed: {reason}{more}"),
            hint: "every script in bin/ must run where it is installed; run it by hand to see the whole error"
                .to_owned(),
            missing_library: None,
        });
    }
    Ok(count)
}

/// The interpreter did not start: name the cause the dynamic loader reported.
pub fn explain_start_failure(stderr: &str, python: &Path) -> Failure {
    let tail = last_lines(stderr, 5);
    if let Some(needed) = glibc_needed(stderr) {
        let system = system_glibc().unwrap_or_else(|| "an older one".to_owned());
        return Failure {
            reason: format!("the interpreter needs GLIBC_{needed} and this system has glibc {system}"),
            hint: "install the artifact built for this distro (the distro is part of its name, for example \
                   `-ubuntu20.04-`), or build one here with `specgate build`"
                .to_owned(),
            missing_library: None,
        };
    }
    if stderr.contains("libpython") && stderr.contains("cannot open shared object file") {
        return Failure {
            reason: format!("`{}` cannot find its libpython: {tail}", python.display()),
            hint: "the interpreter was linked without the `$ORIGIN/../lib` rpath; rebuild it with `specgate build`"
                .to_owned(),
            missing_library: None,
        };
    }
    if let Some(library) = missing_library(stderr) {
        return Failure {
            reason: format!("the interpreter needs `{library}`, which this system does not have"),
            hint: format!(
                "install the runtime package that provides it (`apt-get install` the package holding {library})"
            ),
            missing_library: Some(library),
        };
    }
    Failure {
        reason: format!("`{}` failed to start: {tail}", python.display()),
        hint: "run it by hand to see the whole error; an artifact may be for another distro".to_owned(),
        missing_library: None,
    }
}

/// The last `n` non-blank lines of an interpreter's output, on one line for an error message.
pub fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(n)..].join(" | ")
}

/// `2.35` from "version `GLIBC_2.35' not found".
fn glibc_needed(stderr: &str) -> Option<String> {
    let mut needed: Option<(u32, u32, String)> = None;
    for part in stderr.split("`GLIBC_").skip(1) {
        let v = part.split('\'').next()?;
        let mut numbers = v.split('.').map(|n| n.parse::<u32>().unwrap_or(0));
        let key = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
        if needed.as_ref().is_none_or(|(a, b, _)| key > (*a, *b)) {
            needed = Some((key.0, key.1, v.to_owned()));
        }
    }
    needed.map(|(_, _, v)| v)
}

fn missing_library(stderr: &str) -> Option<String> {
    let index = stderr.find(": cannot open shared object file")?;
    let before = &stderr[..index];
    before.rsplit(": ").next().map(|s| s.trim().to_owned())
}

/// The system's glibc version, `2.36`.
pub fn system_glibc() -> Option<String> {
    let output = Command::new("getconf").arg("GNU_LIBC_VERSION").output().ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace().nth(1).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use super::*;

    #[test]
    fn last_lines_keeps_the_end_without_blank_lines() {
        assert_eq!(last_lines("a\nb\n\n  \nc\nd\n", 3), "b | c | d");
        assert_eq!(last_lines("only\n", 5), "only");
        assert_eq!(last_lines("", 2), "");
    }

    #[test]
    fn glibc_requirement_is_read_from_the_loader_message() {
        let stderr = "python3.12: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by x)\n\
                      python3.12: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.35' not found (required by y)\n";
        assert_eq!(glibc_needed(stderr).as_deref(), Some("2.35"));
        let failure = explain_start_failure(stderr, Path::new("/opt/python-3.12.6/bin/python3.12"));
        assert!(failure.reason.contains("GLIBC_2.35"), "{failure:?}");
    }

    #[test]
    fn missing_libraries_are_named() {
        let stderr = "bin/python3.11: error while loading shared libraries: libssl.so.3: cannot open shared object file: No such file or directory";
        assert_eq!(missing_library(stderr).as_deref(), Some("libssl.so.3"));
        let libpython =
            "python3.11: error while loading shared libraries: libpython3.11.so.1.0: cannot open shared object file";
        assert!(explain_start_failure(libpython, Path::new("p")).hint.contains("$ORIGIN"));
    }

    #[test]
    fn the_probe_reports_version_libpython_and_failed_imports() {
        // The system's interpreter: its version, no error for json, a named failure otherwise.
        let python = Path::new("/usr/bin/python3");
        let report = probe(python, &["json".to_owned(), "no_such_module_sg".to_owned()], None, limit(120)).unwrap();
        let version = report.version.expect("a version line");
        assert!(version.starts_with("3."), "{version}");
        assert_eq!(report.failed.len(), 1, "{:?}", report.failed);
        assert_eq!(report.failed[0].0, "no_such_module_sg");
        assert!(report.failed[0].1.starts_with("ModuleNotFoundError"), "{:?}", report.failed);
        let missing = probe(Path::new("/nonexistent/python3"), &[], None, limit(120)).unwrap_err();
        assert!(missing.reason.contains("no interpreter"), "{missing:?}");
    }

    fn limit(seconds: u64) -> TimeLimit {
        TimeLimit::new(Duration::from_secs(seconds), "`[limits] probe-timeout-seconds` in specgate.toml")
    }

    #[test]
    fn a_hung_command_is_killed_at_the_limit() {
        let short = TimeLimit::new(Duration::from_millis(200), "`--probe-timeout`");
        let mut sleep = Command::new("sleep");
        sleep.arg("30");
        let error = output_within(sleep, short).unwrap_err().to_string();
        assert_eq!(
            error,
            "it did not finish within 0.2 s and was stopped with its child processes (`--probe-timeout` sets this limit)"
        );
        // A shell waiting on its child, which holds the output pipe: the group is killed, so
        // the call returns at the limit instead of when `sleep` would end (in 50 minutes).
        let mut shell = Command::new("sh");
        shell.args(["-c", "sleep 3000; echo never"]);
        let error = output_within(shell, short).unwrap_err().to_string();
        assert!(error.contains("did not finish"), "{error}");
        // A child left running in the background after a quick exit does not hold it up either.
        let mut detached = Command::new("sh");
        detached.args(["-c", "sleep 3000 & echo started"]);
        let (status, stdout, _) = output_within(detached, limit(3600)).unwrap();
        assert!(status.success() && stdout.trim() == "started");
    }

    #[test]
    fn a_probe_that_hangs_names_the_limit_and_the_setting_that_raises_it() {
        let dir = tempfile::tempdir().unwrap();
        let python = dir.path().join("python3.11");
        std::fs::write(&python, "#!/bin/sh\nsleep 1000\n").unwrap();
        std::fs::set_permissions(&python, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let started = Instant::now();
        let limit = TimeLimit::new(Duration::from_secs(1), "`[limits] probe-timeout-seconds` in specgate.toml");
        let failure = probe(&python, &[], None, limit).unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(30), "{:?}", started.elapsed());
        assert!(failure.reason.contains("interpreter probe") && failure.reason.contains("within 1 s"), "{failure:?}");
        assert!(failure.hint.contains("`[limits] probe-timeout-seconds` in specgate.toml"), "{failure:?}");
        // The entry points have the same limit, and say it.
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::rename(&python, dir.path().join("bin/python3.11")).unwrap();
        let failure = check_entry_points(dir.path(), Path::new("/opt/python-3.11.2"), None, limit).unwrap_err();
        assert!(
            failure.reason.contains("`bin/python3.11 --version` failed: it did not finish within 1 s"),
            "{failure:?}"
        );
        assert!(failure.reason.contains("probe-timeout-seconds"), "{failure:?}");
    }
}
