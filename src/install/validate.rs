//! Run the unpacked interpreter before it is placed: it must start, report the expected version,
//! load its own libpython, and import the modules BR-007 requires. A failure is explained
//! (a newer glibc than the system's, a missing runtime library, an artifact without the
//! `$ORIGIN/../lib` rpath) rather than shown raw.

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::artifact::PythonVersion;

/// The modules every artifact must import (BR-007).
pub const REQUIRED_MODULES: [&str; 5] = ["ssl", "sqlite3", "uuid", "lzma", "bz2"];

const SCRIPT: &str = r#"
import importlib, sys
print("version %d.%d.%d" % sys.version_info[:3])
for line in open("/proc/self/maps"):
    if "libpython" in line:
        print("libpython " + line.split()[-1])
        break
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
}

/// What the build recorded in `.specgate-build.json` (written by `specgate build`), as far as
/// install needs it; artifacts packed otherwise have no such file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct BuildFacts {
    pub build_os: Option<String>,
    pub max_glibc: Option<String>,
    pub runtime_packages: Vec<String>,
}

pub fn build_facts(prefix: &Path) -> BuildFacts {
    let Ok(bytes) = std::fs::read(prefix.join(".specgate-build.json")) else { return BuildFacts::default() };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(&bytes) else { return BuildFacts::default() };
    let text = |key: &str| value.get(key).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(str::to_owned);
    BuildFacts {
        build_os: text("build-os"),
        max_glibc: text("max-glibc"),
        runtime_packages: value
            .get("runtime-packages")
            .and_then(|v| v.as_array())
            .map(|a| a.iter().filter_map(|p| p.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
    }
}

/// `2.35` as `(2, 35)`; missing parts are 0.
fn version_key(text: &str) -> Vec<u32> {
    text.split('.').map(|n| n.parse().unwrap_or(0)).collect()
}

/// Refuse before running anything when the build recorded a newer glibc than this system's.
pub fn check_glibc(facts: &BuildFacts, system: Option<&str>) -> Result<(), Failure> {
    let (Some(needed), Some(system)) = (facts.max_glibc.as_deref(), system) else { return Ok(()) };
    if version_key(needed) > version_key(system) {
        let built_for = facts.build_os.as_deref().unwrap_or("another distro");
        return Err(Failure {
            reason: format!("the artifact was built on {built_for} and needs GLIBC_{needed}; this system has glibc {system}"),
            hint: format!(
                "install the artifact built for this distro (the distro is part of its name), or build one here with `specgate build`; {built_for} artifacts need glibc {needed} or newer"
            ),
        });
    }
    Ok(())
}

/// Run `prefix/bin/pythonX.Y` in a clean environment and check what it reports.
pub fn validate(prefix: &Path, version: PythonVersion, modules: &[String]) -> Result<(), Failure> {
    let facts = build_facts(prefix);
    check_glibc(&facts, system_glibc().as_deref())?;
    let python = prefix.join(format!("bin/python{}.{}", version.major, version.minor));
    if !python.exists() {
        return Err(Failure {
            reason: format!("the artifact has no interpreter at `{}`", python.display()),
            hint: "the artifact is not a CPython install tree of this version; check the URL and --version".to_owned(),
        });
    }
    let mut command = Command::new(&python);
    command
        .arg("-I")
        .arg("-c")
        .arg(SCRIPT)
        .args(modules)
        .env_clear()
        .env("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let (status, stdout, stderr) = run_with_timeout(command, Duration::from_secs(120)).map_err(|reason| Failure {
        reason: format!("could not run `{}`: {reason}", python.display()),
        hint: "the file may be for another CPU architecture or the folder may be mounted noexec".to_owned(),
    })?;
    if !status {
        return Err(explain_start_failure(&stderr, &python));
    }
    let mut reported = None;
    let mut libpython = None;
    let mut failed = Vec::new();
    for line in stdout.lines() {
        if let Some(v) = line.strip_prefix("version ") {
            reported = Some(v.to_owned());
        } else if let Some(path) = line.strip_prefix("libpython ") {
            libpython = Some(path.to_owned());
        } else if let Some(rest) = line.strip_prefix("failed ") {
            failed.push(rest.to_owned());
        }
    }
    if reported.as_deref() != Some(&version.to_string()) {
        return Err(Failure {
            reason: format!(
                "the interpreter reports version {}, not {version}",
                reported.as_deref().unwrap_or("nothing")
            ),
            hint: "the artifact's file name or --version is wrong; install the artifact built for this version"
                .to_owned(),
        });
    }
    if let Some(lib) = libpython {
        let own = prefix.canonicalize().unwrap_or_else(|_| prefix.to_path_buf());
        if !Path::new(&lib).starts_with(&own) && !Path::new(&lib).starts_with(prefix) {
            return Err(Failure {
                reason: format!("the interpreter loaded a foreign libpython, `{lib}`, instead of its own"),
                hint: "the artifact was linked without the `$ORIGIN/../lib` rpath; rebuild it with `specgate build`"
                    .to_owned(),
            });
        }
    }
    if !failed.is_empty() {
        return Err(explain_modules(&failed));
    }
    Ok(())
}

fn run_with_timeout(mut command: Command, limit: Duration) -> Result<(bool, String, String), String> {
    let mut child = command.spawn().map_err(|e| e.to_string())?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait().map_err(|e| e.to_string())? {
            Some(status) => break status,
            None if start.elapsed() > limit => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("it did not finish within {} s", limit.as_secs()));
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    Ok((status.success(), out.join().unwrap_or_default(), err.join().unwrap_or_default()))
}

/// The interpreter did not start: name the cause the dynamic loader reported.
fn explain_start_failure(stderr: &str, python: &Path) -> Failure {
    let tail: String =
        stderr.lines().rev().take(5).collect::<Vec<_>>().into_iter().rev().collect::<Vec<_>>().join(" | ");
    if let Some(needed) = glibc_needed(stderr) {
        let system = system_glibc().unwrap_or_else(|| "an older one".to_owned());
        return Failure {
            reason: format!("the artifact needs GLIBC_{needed} and this system has glibc {system}"),
            hint: "install the artifact built for this distro (the distro is part of its name, for example \
                   `-ubuntu20.04-`), or build one here with `specgate build`"
                .to_owned(),
        };
    }
    if stderr.contains("libpython") && stderr.contains("cannot open shared object file") {
        return Failure {
            reason: format!("`{}` cannot find its libpython: {tail}", python.display()),
            hint: "the artifact was linked without the `$ORIGIN/../lib` rpath; rebuild it with `specgate build`"
                .to_owned(),
        };
    }
    if let Some(library) = missing_library(stderr) {
        return Failure {
            reason: format!("the interpreter needs `{library}`, which this system does not have"),
            hint: format!(
                "install the runtime package that provides it (`apt-get install` the package holding {library})"
            ),
        };
    }
    Failure {
        reason: format!("`{}` failed to start: {tail}", python.display()),
        hint: "run it by hand to see the whole error; the artifact may be for another distro".to_owned(),
    }
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

/// Import failures, with the -dev package a rebuild needs or the runtime package to install.
fn explain_modules(failed: &[String]) -> Failure {
    let names: Vec<&str> = failed.iter().map(|f| f.split(' ').next().unwrap_or("")).collect();
    let detail = failed.join("; ");
    let runtime = failed.iter().find_map(|f| {
        f.find(".so").map(|_| f.split_whitespace().find(|w| w.contains(".so")).unwrap_or("").trim_end_matches(':'))
    });
    let hint = match runtime {
        Some(lib) if !lib.is_empty() => {
            format!("install the runtime library `{lib}` (its package), or use an artifact built for this distro")
        }
        _ => format!(
            "the artifact was built without {}; rebuild it with the -dev packages installed (`specgate build` lists them)",
            names.join(", ")
        ),
    };
    Failure { reason: format!("modules do not import: {detail}"), hint }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_requirement_is_read_from_the_loader_message() {
        let stderr = "python3.12: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.34' not found (required by x)\n\
                      python3.12: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.35' not found (required by y)\n";
        assert_eq!(glibc_needed(stderr).as_deref(), Some("2.35"));
        let failure = explain_start_failure(stderr, Path::new("/opt/python-3.12.6/bin/python3.12"));
        assert!(failure.reason.contains("GLIBC_2.35"), "{failure:?}");
    }

    #[test]
    fn recorded_glibc_is_compared_numerically() {
        let facts = BuildFacts {
            build_os: Some("ubuntu24.04".to_owned()),
            max_glibc: Some("2.39".to_owned()),
            runtime_packages: vec![],
        };
        let failure = check_glibc(&facts, Some("2.31")).unwrap_err();
        assert!(failure.reason.contains("ubuntu24.04") && failure.reason.contains("GLIBC_2.39"), "{failure:?}");
        assert!(check_glibc(&facts, Some("2.39")).is_ok());
        assert!(check_glibc(&facts, Some("2.100")).is_ok(), "2.100 is newer than 2.39");
        assert!(check_glibc(&BuildFacts::default(), Some("2.31")).is_ok());
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
    fn import_failures_name_the_module() {
        let failure = explain_modules(&["_ssl ModuleNotFoundError: No module named '_ssl'".to_owned()]);
        assert!(failure.hint.contains("_ssl"), "{failure:?}");
        let runtime = explain_modules(&["ssl ImportError: libssl.so.3: cannot open shared object file".to_owned()]);
        assert!(runtime.hint.contains("libssl.so.3"), "{runtime:?}");
    }
}
