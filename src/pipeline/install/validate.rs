//! Run the unpacked interpreter before it is placed: it must start, report the expected version,
//! load its own libpython, and import the modules BR-007 requires. A failure is explained
//! (a newer glibc than the system's, a missing runtime library, an artifact without the
//! `$ORIGIN/../lib` rpath) rather than shown raw.

use std::path::Path;

use serde::Deserialize;

use crate::pipeline::build::inspect::METADATA_FILE;
pub use crate::pipeline::probe::Failure;
use crate::pipeline::probe::{probe, system_glibc};
use crate::shared::artifact::PythonVersion;

/// What the build recorded in `.specgate-build.json` (written by `specgate build`), as far as
/// install needs it; artifacts packed otherwise have no such file, and an unreadable one counts
/// as none (these facts only sharpen the checks and the hints).
#[derive(Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default, rename_all = "kebab-case")]
pub struct BuildFacts {
    pub build_os: Option<String>,
    pub max_glibc: Option<String>,
    /// The build machine's packages holding the libraries the binaries need.
    pub runtime_packages: Vec<String>,
}

pub fn build_facts(prefix: &Path) -> BuildFacts {
    let Ok(bytes) = crate::shared::readfile::regular(&prefix.join(METADATA_FILE), 1 << 20) else {
        return BuildFacts::default();
    };
    let mut facts: BuildFacts = serde_json::from_slice(&bytes).unwrap_or_default();
    facts.build_os = facts.build_os.filter(|s| !s.is_empty());
    facts.max_glibc = facts.max_glibc.filter(|s| !s.is_empty());
    facts
}

/// A missing library's hint, with the packages that held the libraries on the build machine
/// when the build recorded them.
fn name_runtime_packages(mut failure: Failure, facts: &BuildFacts) -> Failure {
    if let (Some(library), false) = (&failure.missing_library, facts.runtime_packages.is_empty()) {
        let packages = facts.runtime_packages.join(" ");
        failure.hint = format!(
            "{}; on the build machine ({}) the libraries came from {packages}, so on that distro release `{library}` is in one of them: `sudo apt-get install -y {packages}`",
            failure.hint,
            facts.build_os.as_deref().unwrap_or("unrecorded distro"),
        );
    }
    failure
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
            missing_library: None,
        });
    }
    Ok(())
}

/// Run `prefix/bin/pythonX.Y` in a clean environment and check what it reports; a static
/// interpreter (no libpython mapped) is accepted, a libpython from outside the prefix is not.
/// Then run every `bin/` entry point once (`home` is their HOME); returns how many ran. Each
/// run is stopped at `limit` with its child processes, so a hung interpreter cannot keep the
/// install (and its lock) waiting.
pub fn validate(
    prefix: &Path,
    version: PythonVersion,
    modules: &[String],
    home: &Path,
    limit: crate::shared::process::TimeLimit,
) -> Result<usize, Failure> {
    let facts = build_facts(prefix);
    check_glibc(&facts, system_glibc().as_deref())?;
    let python = prefix.join(format!("bin/python{}.{}", version.major, version.minor));
    if !python.exists() {
        return Err(Failure {
            reason: format!("the artifact has no interpreter at `{}`", python.display()),
            hint: "the artifact is not a CPython install tree of this version; check the URL and --version".to_owned(),
            missing_library: None,
        });
    }
    let report = probe(&python, modules, None, limit).map_err(|f| name_runtime_packages(f, &facts))?;
    if report.version.as_deref() != Some(&version.to_string()) {
        return Err(Failure {
            reason: format!(
                "the interpreter reports version {}, not {version}",
                report.version.as_deref().unwrap_or("nothing")
            ),
            hint: "the artifact's file name or --version is wrong; install the artifact built for this version"
                .to_owned(),
            missing_library: None,
        });
    }
    let own = prefix.canonicalize().unwrap_or_else(|_| prefix.to_path_buf());
    if let Some(lib) =
        report.libpython.iter().find(|l| !Path::new(l).starts_with(&own) && !Path::new(l).starts_with(prefix))
    {
        return Err(Failure {
            reason: format!("the interpreter loaded a foreign libpython, `{lib}`, instead of its own"),
            hint: "the artifact was linked without the `$ORIGIN/../lib` rpath; rebuild it with `specgate build`"
                .to_owned(),
            missing_library: None,
        });
    }
    if !report.failed.is_empty() {
        return Err(name_runtime_packages(explain_modules(&report.failed), &facts));
    }
    crate::pipeline::probe::check_entry_points(
        prefix,
        Path::new(&super::Layout::system_prefix(version)),
        Some(home),
        limit,
    )
}

/// Import failures, with the -dev package a rebuild needs or the runtime package to install.
fn explain_modules(failed: &[(String, String)]) -> Failure {
    let names: Vec<&str> = failed.iter().map(|(module, _)| module.as_str()).collect();
    let detail = failed.iter().map(|(module, error)| format!("{module} {error}")).collect::<Vec<_>>().join("; ");
    let runtime = failed
        .iter()
        .find_map(|(_, error)| error.split_whitespace().find(|w| w.contains(".so")).map(|w| w.trim_end_matches(':')))
        .filter(|lib| !lib.is_empty());
    let hint = match runtime {
        Some(lib) => {
            format!("install the runtime library `{lib}` (its package), or use an artifact built for this distro")
        }
        None => format!(
            "the artifact was built without {}; rebuild it with the -dev packages installed (`specgate build` lists them)",
            names.join(", ")
        ),
    };
    Failure { reason: format!("modules do not import: {detail}"), hint, missing_library: runtime.map(str::to_owned) }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn import_failures_name_the_module() {
        let failure = explain_modules(&[("_ssl".to_owned(), "ModuleNotFoundError: No module named '_ssl'".to_owned())]);
        assert!(failure.hint.contains("_ssl"), "{failure:?}");
        let runtime = explain_modules(&[(
            "ssl".to_owned(),
            "ImportError: libssl.so.3: cannot open shared object file".to_owned(),
        )]);
        assert!(runtime.hint.contains("libssl.so.3"), "{runtime:?}");
        assert_eq!(runtime.missing_library.as_deref(), Some("libssl.so.3"));
        assert_eq!(failure.missing_library, None);
    }

    #[test]
    fn build_facts_come_from_the_metadata_file() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(build_facts(dir.path()), BuildFacts::default(), "no file, no facts");
        let file = dir.path().join(METADATA_FILE);
        std::fs::write(
            &file,
            br#"{"schema": 1, "build-os": "debian12", "max-glibc": "", "runtime-packages": ["libssl3", "zlib1g"]}"#,
        )
        .unwrap();
        let facts = build_facts(dir.path());
        assert_eq!(facts.build_os.as_deref(), Some("debian12"));
        assert_eq!(facts.max_glibc, None, "an empty value is no value");
        assert_eq!(facts.runtime_packages, ["libssl3", "zlib1g"]);
        std::fs::write(&file, b"{not json").unwrap();
        assert_eq!(build_facts(dir.path()), BuildFacts::default());
    }

    #[test]
    fn a_missing_library_hint_names_the_recorded_packages() {
        let facts = BuildFacts {
            build_os: Some("debian12".to_owned()),
            runtime_packages: vec!["libssl3".to_owned(), "zlib1g".to_owned()],
            ..BuildFacts::default()
        };
        let missing = explain_modules(&[(
            "ssl".to_owned(),
            "ImportError: libssl.so.3: cannot open shared object file".to_owned(),
        )]);
        let named = name_runtime_packages(missing.clone(), &facts);
        assert!(named.hint.starts_with(&missing.hint), "{named:?}");
        assert!(
            named.hint.contains("debian12") && named.hint.contains("sudo apt-get install -y libssl3 zlib1g"),
            "{named:?}"
        );
        assert_eq!(name_runtime_packages(missing.clone(), &BuildFacts::default()), missing, "nothing recorded");
        let not_a_library =
            explain_modules(&[("_ssl".to_owned(), "ModuleNotFoundError: No module named '_ssl'".to_owned())]);
        assert_eq!(name_runtime_packages(not_a_library.clone(), &facts), not_a_library);
    }
}
