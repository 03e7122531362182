//! Run the unpacked interpreter before it is placed: it must start, report the expected version,
//! load its own libpython, and import the modules BR-007 requires. A failure is explained
//! (a newer glibc than the system's, a missing runtime library, an artifact without the
//! `$ORIGIN/../lib` rpath) rather than shown raw.

use std::path::Path;

use crate::artifact::PythonVersion;
pub use crate::probe::Failure;
use crate::probe::{probe, system_glibc};

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

/// Run `prefix/bin/pythonX.Y` in a clean environment and check what it reports; a static
/// interpreter (no libpython mapped) is accepted, a libpython from outside the prefix is not.
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
    let report = probe(&python, modules, None)?;
    if report.version.as_deref() != Some(&version.to_string()) {
        return Err(Failure {
            reason: format!(
                "the interpreter reports version {}, not {version}",
                report.version.as_deref().unwrap_or("nothing")
            ),
            hint: "the artifact's file name or --version is wrong; install the artifact built for this version"
                .to_owned(),
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
        });
    }
    if !report.failed.is_empty() {
        return Err(explain_modules(&report.failed));
    }
    Ok(())
}

/// Import failures, with the -dev package a rebuild needs or the runtime package to install.
fn explain_modules(failed: &[(String, String)]) -> Failure {
    let names: Vec<&str> = failed.iter().map(|(module, _)| module.as_str()).collect();
    let detail = failed.iter().map(|(module, error)| format!("{module} {error}")).collect::<Vec<_>>().join("; ");
    let runtime = failed
        .iter()
        .find_map(|(_, error)| error.split_whitespace().find(|w| w.contains(".so")).map(|w| w.trim_end_matches(':')));
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
    }
}
