//! What is checked and recorded about a built prefix: slimming, the `$ORIGIN` rpath, the
//! interpreter run in a clean environment (version, its own libpython, required modules,
//! venv with ensurepip), the highest GLIBC_ symbol version across the ELF files, the shared
//! libraries they need and the packages that provide them. The result is written to
//! `opt/python-X.Y.Z/.specgate-build.json` for install (docs/building.md lists the fields).

use std::collections::BTreeSet;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::{Deserialize, Serialize};

use super::gates::OsInfo;
use super::Error;
use crate::pipeline::probe;
use crate::shared::artifact::PythonVersion;

/// What the slimming keeps (default: none of these).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Keep {
    /// The stdlib test suite (`lib/pythonX.Y/test` and the packages' test folders).
    pub tests: bool,
    /// The static `libpythonX.Y.a`.
    pub static_lib: bool,
    /// Debug symbols (no `strip --strip-debug`).
    pub debug: bool,
}

/// The metadata file inside the prefix.
pub const METADATA_FILE: &str = ".specgate-build.json";

/// `.specgate-build.json`. Deterministic: no times, sorted lists.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Metadata {
    /// Format of this file.
    pub schema: u32,
    /// `X.Y.Z`.
    pub python: String,
    /// `/opt/python-X.Y.Z`.
    pub prefix: String,
    /// `<ID><VERSION_ID>` of the build system, as in the artifact name.
    pub build_os: String,
    pub build_os_id: String,
    pub build_os_version: String,
    /// The highest `GLIBC_x.y` symbol version any ELF file needs, e.g. `2.34`; install refuses a
    /// system whose glibc is older.
    pub max_glibc: String,
    /// Sonames the ELF files need outside the prefix, e.g. `libssl.so.3`.
    pub needed_libraries: Vec<String>,
    /// Packages of the build system that provide those libraries (runtime packages to install).
    pub runtime_packages: Vec<String>,
    /// `release` or `fast`.
    pub profile: String,
    pub source_sha256: String,
    pub configure: Vec<String>,
    /// The modules validated to import.
    pub modules: Vec<String>,
}

/// Files and bytes the slimming removed.
#[derive(Debug, Default)]
pub struct Removed {
    pub files: u64,
    pub bytes: u64,
}

/// Remove the test suite, the static libpython and debug symbols, unless kept.
pub fn slim(prefix: &Path, version: PythonVersion, keep: Keep) -> Result<Removed, Error> {
    let mut removed = Removed::default();
    let lib = prefix.join(format!("lib/python{}", version.line()));
    if !keep.tests {
        let mut folders = vec![lib.join("test"), lib.join("idlelib/idle_test")];
        if let Ok(entries) = fs::read_dir(&lib) {
            for entry in entries.flatten() {
                for name in ["test", "tests"] {
                    let candidate = entry.path().join(name);
                    if entry.file_name() != "site-packages" && candidate.is_dir() {
                        folders.push(candidate);
                    }
                }
            }
        }
        for folder in folders {
            if folder.is_dir() {
                count(&folder, &mut removed);
                fs::remove_dir_all(&folder).map_err(|e| Error::io("remove", &folder, e))?;
            }
        }
    }
    let mut elf_files = Vec::new();
    walk(prefix, &mut |path, meta| {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !keep.static_lib && name.starts_with("libpython") && name.ends_with(".a") {
            removed.files += 1;
            removed.bytes += meta.len();
            fs::remove_file(path).map_err(|e| Error::io("remove", path, e))?;
        } else if is_elf(path) {
            elf_files.push(path.to_path_buf());
        }
        Ok(())
    })?;
    if !keep.debug && !elf_files.is_empty() {
        let before: u64 = elf_files.iter().filter_map(|p| fs::metadata(p).ok()).map(|m| m.len()).sum();
        let output = Command::new("strip")
            .arg("--strip-debug")
            .args(&elf_files)
            .stdin(Stdio::null())
            .output()
            .map_err(|source| Error::Tool { tool: "strip".to_owned(), source })?;
        if !output.status.success() {
            return Err(Error::Validation {
                reason: format!("`strip --strip-debug` failed: {}", String::from_utf8_lossy(&output.stderr).trim()),
                log: None,
            });
        }
        let after: u64 = elf_files.iter().filter_map(|p| fs::metadata(p).ok()).map(|m| m.len()).sum();
        removed.bytes += before.saturating_sub(after);
    }
    Ok(removed)
}

/// What `relocate_scripts` changed.
#[derive(Debug, Default)]
pub struct Relocated {
    /// Prefix-relative paths of the scripts whose interpreter line was rewritten.
    pub rewritten: Vec<String>,
    /// Scripts removed because they cannot run in this build (IDLE without tkinter).
    pub removed: Vec<String>,
}

/// The interpreter line that finds the interpreter beside the script's real path, wherever the
/// tree is installed and through any symlink (`/usr/local/bin/pip3`): `sh` runs the second line,
/// Python reads lines two and three as a string. `interpreter` is relative to the script's folder.
pub fn relocatable_header(interpreter: &str, argument: Option<&str>) -> String {
    let argument = argument.map(|a| format!(" {a}")).unwrap_or_default();
    format!(
        "#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")/{interpreter}\"{argument} \"$0\" \"$@\"\n' '''\n"
    )
}

/// Point every script of the prefix whose interpreter line names a file under
/// `/opt/python-X.Y.Z` at `bin/pythonX.Y` relative to the script. `make install` writes
/// absolute lines, and pip's own (`pip3`, `pip3.11`) name `bin/python`, which no install has.
/// IDLE's scripts are removed when the build has no tkinter, since they could only fail.
pub fn relocate_scripts(prefix: &Path, version: PythonVersion) -> Result<Relocated, Error> {
    let mut relocated = Relocated::default();
    let line = version.line();
    let installed = format!("/opt/python-{version}/");
    let lib = prefix.join(format!("lib/python{line}"));
    let has_tkinter = fs::read_dir(lib.join("lib-dynload"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("_tkinter."));
    if !has_tkinter {
        for name in ["idle3".to_owned(), format!("idle{line}")] {
            let path = prefix.join("bin").join(&name);
            if fs::symlink_metadata(&path).is_ok() {
                fs::remove_file(&path).map_err(|e| Error::io("remove", &path, e))?;
                relocated.removed.push(format!("bin/{name}"));
            }
        }
    }
    let mut scripts = Vec::new();
    walk(prefix, &mut |path, meta| {
        if std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0 {
            scripts.push((path.to_path_buf(), meta.permissions()));
        }
        Ok(())
    })?;
    for (path, mode) in scripts {
        // Only the first line decides; the ELF files (libpython is 20 MB) are not read whole.
        let mut head = Vec::new();
        fs::File::open(&path)
            .and_then(|f| f.take(600).read_to_end(&mut head))
            .map_err(|e| Error::io("read", &path, e))?;
        if !probe::interpreter_line(&head).is_some_and(|(interpreter, ..)| interpreter.starts_with(&installed)) {
            continue;
        }
        let content = fs::read(&path).map_err(|e| Error::io("read", &path, e))?;
        let Some((_, argument, body)) = probe::interpreter_line(&content) else { continue };
        let relative = path.strip_prefix(prefix).unwrap_or(&path).to_string_lossy().into_owned();
        let depth = relative.matches('/').count();
        let target = if depth == 1 && relative.starts_with("bin/") {
            format!("python{line}")
        } else {
            format!("{}bin/python{line}", "../".repeat(depth))
        };
        let mut new = relocatable_header(&target, argument).into_bytes();
        new.extend_from_slice(body);
        crate::shared::atomic::write(&path, &new).map_err(|e| Error::io("write", &path, e))?;
        fs::set_permissions(&path, mode).map_err(|e| Error::io("write", &path, e))?;
        relocated.rewritten.push(relative);
    }
    Ok(relocated)
}

fn count(folder: &Path, removed: &mut Removed) {
    let _ = walk(folder, &mut |_, meta| {
        removed.files += 1;
        removed.bytes += meta.len();
        Ok(())
    });
}

/// Every regular file under `root` (symlinks not followed).
fn walk(root: &Path, f: &mut dyn FnMut(&Path, &fs::Metadata) -> Result<(), Error>) -> Result<(), Error> {
    let entries = fs::read_dir(root).map_err(|e| Error::io("read", root, e))?;
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        let meta = fs::symlink_metadata(&path).map_err(|e| Error::io("read", &path, e))?;
        if meta.is_dir() {
            walk(&path, f)?;
        } else if meta.is_file() {
            f(&path, &meta)?;
        }
    }
    Ok(())
}

fn is_elf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    fs::File::open(path).and_then(|mut f| f.read_exact(&mut magic)).is_ok() && &magic == b"\x7fELF"
}

/// The highest `GLIBC_x.y[.z]` version named in an ELF file's bytes (its dynamic string table
/// holds the versions it needs), ignoring `GLIBC_PRIVATE`.
pub fn max_glibc_in(bytes: &[u8]) -> Option<Vec<u32>> {
    let mut best: Option<Vec<u32>> = None;
    for start in memchr::memmem::find_iter(bytes, b"GLIBC_") {
        let rest = &bytes[start + 6..];
        let len = rest.iter().take_while(|b| b.is_ascii_digit() || **b == b'.').count();
        let text = std::str::from_utf8(&rest[..len]).unwrap_or("");
        let parts: Option<Vec<u32>> = text.split('.').map(|p| p.parse().ok()).collect();
        if let Some(parts) = parts.filter(|p| p.len() >= 2) {
            if best.as_ref().is_none_or(|b| parts > *b) {
                best = Some(parts);
            }
        }
    }
    best
}

/// `readelf -d`: (NEEDED sonames, RUNPATH/RPATH entries).
fn dynamic_section(path: &Path) -> Result<(Vec<String>, Vec<String>), Error> {
    let output = Command::new("readelf")
        .arg("-dW")
        .arg(path)
        .env("LC_ALL", "C")
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Tool { tool: "readelf".to_owned(), source })?;
    let text = String::from_utf8_lossy(&output.stdout);
    let mut needed = Vec::new();
    let mut runpath = Vec::new();
    for line in text.lines() {
        let value = || line.split_once('[').and_then(|(_, r)| r.rsplit_once(']')).map(|(v, _)| v.to_owned());
        if line.contains("(NEEDED)") {
            needed.extend(value());
        } else if line.contains("(RUNPATH)") || line.contains("(RPATH)") {
            if let Some(v) = value() {
                runpath.extend(v.split(':').map(str::to_owned));
            }
        }
    }
    Ok((needed, runpath))
}

/// Check the interpreter's rpath: exactly `$ORIGIN/../lib`, no absolute entry that could load a
/// foreign libpython.
pub fn check_rpath(prefix: &Path, version: PythonVersion) -> Result<(), Error> {
    let python = prefix.join(format!("bin/python{}", version.line()));
    let (needed, runpath) = dynamic_section(&python)?;
    let libpython = format!("libpython{}.so", version.line());
    if !needed.iter().any(|n| n.starts_with(&libpython)) {
        return Err(Error::Validation {
            reason: format!("`{}` does not link `{libpython}`; configure needs `--enable-shared`", python.display()),
            log: None,
        });
    }
    if runpath != ["$ORIGIN/../lib"] {
        return Err(Error::Validation {
            reason: format!(
                "`{}` has rpath {:?}, not exactly [\"$ORIGIN/../lib\"]: a copy outside /opt would load another libpython",
                python.display(),
                runpath
            ),
            log: None,
        });
    }
    Ok(())
}

/// Run the interpreter in a clean environment and check it: it loads its own libpython (a
/// build must be shared and must not fall back to the system's), reports `version` and imports
/// `modules`, and `venv` with ensurepip works; then inspect its ELF files.
pub fn validate(
    prefix: &Path,
    version: PythonVersion,
    modules: &[String],
    os: &OsInfo,
    work: &Path,
    log: &Path,
    limits: &crate::shared::config::Limits,
) -> Result<Metadata, Error> {
    let fail = |reason: String| Error::Validation { reason, log: Some(log.to_path_buf()) };
    check_rpath(prefix, version)?;
    let python = prefix.join(format!("bin/python{}", version.line()));
    // One scratch folder for the probe's and the venv check's HOME and for the venv itself.
    let scratch = venv_scratch(work);
    let _cleanup = crate::shared::atomic::RemoveOnDrop(scratch.clone());
    let (venv, home) = (scratch.join("venv"), scratch.join("home"));
    fs::create_dir_all(&home).map_err(|e| Error::io("create", &home, e))?;
    let report = probe::probe(&python, modules, Some(&home), limits.probe)
        .map_err(|failure| fail(format!("{} ({})", failure.reason, failure.hint)))?;
    if report.version.as_deref() != Some(&version.to_string()) {
        return Err(fail(format!(
            "`{}` reports version {}, not {version}",
            python.display(),
            report.version.as_deref().unwrap_or("nothing")
        )));
    }
    let own = prefix.canonicalize().map_err(|e| Error::io("read", prefix, e))?;
    if report.libpython.is_empty() || !report.libpython.iter().all(|l| Path::new(l).starts_with(&own)) {
        return Err(fail(format!(
            "the interpreter loaded {:?}, not its own libpython under `{}`",
            report.libpython,
            own.display()
        )));
    }
    if !report.failed.is_empty() {
        return Err(Error::Modules { missing: report.failed });
    }
    let mut make_venv = probe::clean_command(&python, Some(&home));
    make_venv.arg("-I").arg("-m").arg("venv").arg(&venv);
    let (status, _, stderr) = crate::shared::process::output_within(make_venv, limits.venv)
        .map_err(|e| fail(format!("could not run `python -m venv`: {e}")))?;
    if !status.success() {
        return Err(fail(format!("`python -m venv` (with ensurepip) failed: {}", probe::last_lines(&stderr, 3))));
    }
    let mut pip = probe::clean_command(&venv.join("bin/python"), Some(&home));
    pip.arg("-I").arg("-m").arg("pip").arg("--version");
    let (status, _, stderr) = crate::shared::process::output_within(pip, limits.venv)
        .map_err(|e| fail(format!("could not run `pip --version` in the new venv: {e}")))?;
    if !status.success() {
        return Err(fail(format!("pip does not run in a new venv: {}", probe::last_lines(&stderr, 3))));
    }

    probe::check_entry_points(prefix, Path::new(&format!("/opt/python-{version}")), Some(&home), limits.probe)
        .map_err(|failure| fail(format!("{} ({})", failure.reason, failure.hint)))?;

    let (max_glibc, needed) = elf_facts(prefix)?;
    let runtime_packages = packages_for(&needed);
    Ok(Metadata {
        schema: 1,
        python: version.to_string(),
        prefix: format!("/opt/python-{version}"),
        build_os: os.tag(),
        build_os_id: os.id.clone(),
        build_os_version: os.version_id.clone(),
        max_glibc,
        needed_libraries: needed,
        runtime_packages,
        modules: modules.to_vec(),
        ..Metadata::default()
    })
}

/// Where the venv check writes its venv (pip and setuptools, about 1,500 files, deleted right
/// after): a tmpfs when /dev/shm has room, where that takes 5 s instead of 7 s on a disk; else
/// the build's work folder.
/// A folder left by a build that was killed is removed first.
fn venv_scratch(work: &Path) -> PathBuf {
    const PREFIX: &str = "specgate-venv-check-";
    let shm = Path::new("/dev/shm");
    for entry in fs::read_dir(shm).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(PREFIX).and_then(|p| p.parse::<u32>().ok()) {
            if crate::shared::process::process_gone(pid) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }
    let dir = shm.join(format!("{PREFIX}{}", std::process::id()));
    if shm_has_room() && fs::create_dir(&dir).is_ok() {
        return dir;
    }
    work.join("venv-check")
}

/// /dev/shm exists and has 256 MB free.
fn shm_has_room() -> bool {
    rustix::fs::statvfs("/dev/shm").is_ok_and(|s| s.f_bavail.saturating_mul(s.f_frsize) >= 256 << 20)
}

/// The highest GLIBC_ version and the sonames needed from outside the prefix.
pub fn elf_facts(prefix: &Path) -> Result<(String, Vec<String>), Error> {
    let mut best: Option<Vec<u32>> = None;
    let mut needed = BTreeSet::new();
    let mut own = BTreeSet::new();
    walk(prefix, &mut |path, _| {
        if !is_elf(path) {
            return Ok(());
        }
        if let Some(name) = path.file_name() {
            own.insert(name.to_string_lossy().into_owned());
        }
        let bytes = fs::read(path).map_err(|e| Error::io("read", path, e))?;
        if let Some(v) = max_glibc_in(&bytes) {
            if best.as_ref().is_none_or(|b| v > *b) {
                best = Some(v);
            }
        }
        needed.extend(dynamic_section(path)?.0);
        Ok(())
    })?;
    let needed: Vec<String> = needed.into_iter().filter(|n| !own.contains(n) && !n.starts_with("libpython")).collect();
    let best = best.map_or_else(|| "none".to_owned(), |v| v.iter().map(u32::to_string).collect::<Vec<_>>().join("."));
    Ok((best, needed))
}

/// The packages owning the resolved sonames (through `ldconfig -p` and `dpkg-query -S`); a
/// soname that does not resolve is skipped (the list is informative for install).
fn packages_for(sonames: &[String]) -> Vec<String> {
    let Ok(output) = Command::new("ldconfig").arg("-p").env("LC_ALL", "C").stdin(Stdio::null()).output() else {
        return Vec::new();
    };
    let cache = String::from_utf8_lossy(&output.stdout);
    let mut paths = Vec::new();
    for soname in sonames {
        if let Some(line) =
            cache.lines().find(|l| l.trim_start().starts_with(&format!("{soname} ")) && l.contains("x86-64"))
        {
            if let Some((_, path)) = line.rsplit_once("=> ") {
                // With merged /usr, dpkg knows a library under the path its package ships,
                // /lib/... or /usr/lib/...: ask for both.
                let path = path.trim();
                paths.push(path.to_owned());
                match path.strip_prefix("/usr") {
                    Some(short) => paths.push(short.to_owned()),
                    None => paths.push(format!("/usr{path}")),
                }
            }
        }
    }
    if paths.is_empty() {
        return Vec::new();
    }
    let Ok(output) = Command::new("dpkg-query").arg("-S").args(&paths).stdin(Stdio::null()).output() else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&output.stdout);
    let mut packages = BTreeSet::new();
    for line in text.lines() {
        if let Some((owners, _)) = line.split_once(": ") {
            for owner in owners.split(", ") {
                packages.insert(owner.split(':').next().unwrap_or(owner).to_owned());
            }
        }
    }
    packages.into_iter().collect()
}

/// Write the metadata into the prefix.
pub fn write_metadata(prefix: &Path, metadata: &Metadata) -> Result<(), Error> {
    let path = prefix.join(METADATA_FILE);
    let mut json = serde_json::to_vec_pretty(metadata).map_err(|e| Error::Config { reason: e.to_string() })?;
    json.push(b'\n');
    fs::write(&path, json).map_err(|e| Error::io("write", &path, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A prefix whose `bin/python3.11` is this machine's Python 3 (a link), with scripts as
    /// `make install` and ensurepip leave them.
    fn prefix_with_scripts(dir: &Path) -> PathBuf {
        let prefix = dir.join("opt/python-3.11.2");
        fs::create_dir_all(prefix.join("bin")).unwrap();
        fs::create_dir_all(prefix.join("lib/python3.11/lib-dynload")).unwrap();
        let host = ["/usr/bin/python3", "/usr/local/bin/python3"].into_iter().find(|p| Path::new(p).exists());
        std::os::unix::fs::symlink(host.expect("a python3 on this machine"), prefix.join("bin/python3.11")).unwrap();
        std::os::unix::fs::symlink("python3.11", prefix.join("bin/python3")).unwrap();
        let script = |name: &str, body: &str| {
            let path = prefix.join("bin").join(name);
            fs::write(&path, body).unwrap();
            fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        };
        // pip's scripts name `bin/python`, which no install has.
        script("pip3", "#!/opt/python-3.11.2/bin/python\nimport sys\nprint('pip ok', sys.argv[1:])\n");
        script(
            "pydoc3",
            "#!/opt/python-3.11.2/bin/python3.11 -E\nimport sys\nprint('pydoc', sys.flags.ignore_environment)\n",
        );
        script("idle3", "#!/opt/python-3.11.2/bin/python3.11\nimport tkinter\n");
        script("python3.11-config", "#!/bin/sh\necho usage\n");
        prefix
    }

    #[test]
    fn scripts_are_relocated_and_every_entry_point_runs_from_anywhere() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = prefix_with_scripts(dir.path());
        let installed = Path::new("/opt/python-3.11.2");
        let home = dir.path().join("home");
        fs::create_dir_all(&home).unwrap();
        // As make install left them, pip3 cannot start: the failure names script and interpreter.
        let failure =
            probe::check_entry_points(&prefix, installed, Some(&home), crate::shared::config::Limits::default().probe)
                .unwrap_err();
        assert_eq!(
            failure.reason,
            "`bin/pip3` cannot run: its interpreter line names `/opt/python-3.11.2/bin/python`, which the artifact does not contain",
            "{failure:?}"
        );
        let relocated = relocate_scripts(&prefix, "3.11.2".parse().unwrap()).unwrap();
        assert_eq!(relocated.removed, ["bin/idle3"]);
        assert_eq!(relocated.rewritten, ["bin/pip3", "bin/pydoc3"]);
        let pip = fs::read_to_string(prefix.join("bin/pip3")).unwrap();
        assert!(pip.starts_with("#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")/python3.11\" \"$0\" \"$@\"\n' '''\nimport sys\n"), "{pip}");
        let ran =
            probe::check_entry_points(&prefix, installed, Some(&home), crate::shared::config::Limits::default().probe)
                .unwrap();
        assert_eq!(ran, 5, "python3, python3.11, pip3, pydoc3, python3.11-config");
        // Through a relative link elsewhere, as install makes /usr/local/bin/pip3.
        let links = dir.path().join("usr/local/bin");
        fs::create_dir_all(&links).unwrap();
        std::os::unix::fs::symlink("../../../opt/python-3.11.2/bin/pip3", links.join("pip3")).unwrap();
        std::os::unix::fs::symlink("../../../opt/python-3.11.2/bin/pydoc3", links.join("pydoc3")).unwrap();
        let out = std::process::Command::new(links.join("pip3")).arg("--version").output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "pip ok ['--version']\n", "{out:?}");
        // The interpreter line's argument is kept.
        let out = std::process::Command::new(links.join("pydoc3")).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), "pydoc 1\n", "{out:?}");
    }

    #[test]
    fn a_failing_entry_point_is_named_with_its_output() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = prefix_with_scripts(dir.path());
        fs::remove_file(prefix.join("bin/idle3")).unwrap();
        relocate_scripts(&prefix, "3.11.2".parse().unwrap()).unwrap();
        fs::write(prefix.join("bin/2to3"), "#!/bin/sh\necho 'no lib2to3 here' >&2\nexit 3\n").unwrap();
        fs::set_permissions(prefix.join("bin/2to3"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let failure = probe::check_entry_points(
            &prefix,
            Path::new("/opt/python-3.11.2"),
            None,
            crate::shared::config::Limits::default().probe,
        )
        .unwrap_err();
        assert_eq!(failure.reason, "`bin/2to3 --help` failed: exit 3: no lib2to3 here");
        // A link to nothing is named too.
        fs::remove_file(prefix.join("bin/2to3")).unwrap();
        std::os::unix::fs::symlink("python3.99", prefix.join("bin/python3.99")).unwrap();
        let failure = probe::check_entry_points(
            &prefix,
            Path::new("/opt/python-3.11.2"),
            None,
            crate::shared::config::Limits::default().probe,
        )
        .unwrap_err();
        assert!(failure.reason.contains("`bin/python3.99` is a link to `python3.99`"), "{failure:?}");
    }

    #[test]
    fn the_venv_scratch_is_on_the_tmpfs_and_a_killed_builds_folder_is_removed() {
        let work = tempfile::tempdir().unwrap();
        // A process id that does not run: the folder a killed build left behind.
        let dead = (4_000_000u32..).find(|p| crate::shared::process::process_gone(*p)).unwrap();
        let stale = Path::new("/dev/shm").join(format!("specgate-venv-check-{dead}"));
        let made = fs::create_dir_all(stale.join("venv")).is_ok();
        let dir = venv_scratch(work.path());
        let _cleanup = crate::shared::atomic::RemoveOnDrop(dir.clone());
        let roomy = shm_has_room();
        if made {
            assert!(!stale.exists(), "the stale folder is removed");
        }
        if made && roomy {
            assert_eq!(dir, Path::new("/dev/shm").join(format!("specgate-venv-check-{}", std::process::id())));
            assert!(dir.is_dir());
        } else {
            // No writable /dev/shm with room here: the work folder is used.
            assert_eq!(dir, work.path().join("venv-check"));
        }
    }

    #[test]
    fn glibc_versions_compare_numerically() {
        let bytes = b"\0GLIBC_2.2.5\0GLIBC_2.34\0GLIBC_PRIVATE\0GLIBC_2.4\0GLIBC_2.17\0";
        assert_eq!(max_glibc_in(bytes), Some(vec![2, 34]));
        assert_eq!(max_glibc_in(b"no versions"), None);
        assert_eq!(max_glibc_in(b"GLIBC_2.3.4\0GLIBC_2.3\0"), Some(vec![2, 3, 4]));
    }

    #[test]
    fn slim_removes_tests_and_static_lib_only() {
        let dir = std::env::temp_dir().join(format!("specgate-slim-{}", std::process::id()));
        let prefix = dir.join("opt/python-3.11.2");
        let lib = prefix.join("lib/python3.11");
        for file in [
            "test/test_os.py",
            "ctypes/test/test_x.py",
            "ctypes/__init__.py",
            "os.py",
            "config-3.11-x86_64-linux-gnu/libpython3.11.a",
            "config-3.11-x86_64-linux-gnu/Makefile",
        ] {
            let path = lib.join(file);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, b"x").unwrap();
        }
        fs::write(prefix.join("lib/libpython3.11.a"), b"archive").unwrap();
        let version: PythonVersion = "3.11.2".parse().unwrap();
        let removed = slim(&prefix, version, Keep::default()).unwrap();
        assert_eq!(removed.files, 4);
        assert!(!lib.join("test").exists() && !lib.join("ctypes/test").exists());
        assert!(lib.join("ctypes/__init__.py").exists() && lib.join("os.py").exists());
        assert!(lib.join("config-3.11-x86_64-linux-gnu/Makefile").exists());
        assert!(!prefix.join("lib/libpython3.11.a").exists());
        fs::remove_dir_all(&dir).unwrap();
    }
}
