//! The wheelhouse's own files: wheel file names (the wheel spec), `requirements.lock` (one
//! `name==version --hash=sha256:HEX` per wheel, as `pip install --require-hashes` reads it) and
//! the manifest `wheelhouse.json` (the Python version and the tags of each wheel).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::shared::artifact::Digest;

/// The lock's file name at the top of `wheelhouse-NAME/`.
pub const LOCK: &str = crate::shared::artifact::name::WHEELHOUSE_LOCK;
/// The manifest's file name at the top of `wheelhouse-NAME/`.
pub const MANIFEST: &str = "wheelhouse.json";
/// The folder of the wheels inside `wheelhouse-NAME/`.
pub const WHEELS: &str = "wheels";
/// The folder of the wheels' bytecode, compiled at build time: `__pycache__` files at the
/// paths they take in site-packages.
pub const BYTECODE: &str = "bytecode";

/// A wheel file name, `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelName {
    /// The distribution name normalized per PEP 503 (`pyyaml`, `zope-interface`).
    pub name: String,
    pub version: String,
    /// The compressed tag set, `py2.py3-none-any`.
    pub tags: String,
    /// The python tags (`cp311`, `py3`), split at `.`.
    pub python_tags: Vec<String>,
    /// The ABI tags (`cp311`, `abi3`, `none`).
    pub abi_tags: Vec<String>,
}

/// PEP 503: lowercase, every run of `-`, `_` and `.` becomes one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_run = false;
        }
    }
    out
}

impl WheelName {
    /// Parse a wheel's file name; `Err` says what is wrong with it.
    pub fn parse(file_name: &str) -> Result<WheelName, String> {
        let stem = file_name.strip_suffix(".whl").ok_or("it does not end in `.whl`")?;
        let parts: Vec<&str> = stem.split('-').collect();
        let (name, version, python, abi, platform) = match parts.as_slice() {
            [name, version, python, abi, platform] => (*name, *version, *python, *abi, *platform),
            [name, version, build, python, abi, platform] => {
                if !build.starts_with(|c: char| c.is_ascii_digit()) {
                    return Err(format!("the build tag `{build}` does not start with a digit"));
                }
                (*name, *version, *python, *abi, *platform)
            }
            _ => return Err("it is not `{name}-{version}(-{build})?-{python}-{abi}-{platform}.whl`".to_owned()),
        };
        let part_ok = |part: &str| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '!'))
        };
        if ![name, version, python, abi, platform].into_iter().all(part_ok) {
            return Err("a part is empty or holds characters a wheel name cannot have".to_owned());
        }
        Ok(WheelName {
            name: normalize(name),
            // The spec writes `-` in a version as `_`; pip reads it back the same way.
            version: version.replace('_', "-"),
            tags: format!("{python}-{abi}-{platform}"),
            python_tags: python.split('.').map(str::to_owned).collect(),
            abi_tags: abi.split('.').map(str::to_owned).collect(),
        })
    }

    /// Whether the wheel can run on CPython `major.minor`: a pure `py3`/`py2.py3` wheel, a
    /// `cpXY` wheel of that line, or a stable-ABI (`abi3`) wheel of that line or an older one.
    pub fn fits(&self, major: u32, minor: u32) -> bool {
        let ours = format!("cp{major}{minor}");
        self.python_tags.iter().any(|tag| {
            if tag == &ours || tag == &format!("py{major}") || tag == &format!("py{major}{minor}") {
                return true;
            }
            let stable = self.abi_tags.iter().any(|abi| abi == "abi3");
            match tag.strip_prefix(&format!("cp{major}")).and_then(|m| m.parse::<u32>().ok()) {
                Some(theirs) => stable && theirs <= minor,
                None => false,
            }
        })
    }
}

/// One line of the lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub name: String,
    pub version: String,
    pub sha256: Digest,
}

/// Render the lock: a comment saying what it is, then one pin per line, sorted by name.
pub fn render(python: &str, pins: &[Pin]) -> String {
    let mut sorted: Vec<&Pin> = pins.iter().collect();
    sorted.sort_by(|a, b| a.name.cmp(&b.name));
    let mut text = format!(
        "# The wheels of this wheelhouse, for CPython {python}; written by specgate wheelhouse build.\n\
         # pip install --no-index --find-links wheels --require-hashes -r requirements.lock\n"
    );
    for pin in sorted {
        text.push_str(&format!("{}=={} --hash=sha256:{}\n", pin.name, pin.version, pin.sha256.to_hex()));
    }
    text
}

/// Parse a lock as `render` writes it: comments and blank lines skipped; every other line one
/// pin; a name pinned twice is refused. `Err` names the line.
pub fn parse(text: &str) -> Result<Vec<Pin>, String> {
    let mut pins = Vec::new();
    let mut seen = BTreeMap::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| format!("line {number} `{line}`: {why}; expected `name==version --hash=sha256:<64 hex>`");
        let (requirement, hash) = line.split_once(" --hash=sha256:").ok_or_else(|| bad("no `--hash=sha256:`"))?;
        let (name, version) = requirement.trim().split_once("==").ok_or_else(|| bad("no `==`"))?;
        let sha256 = Digest::from_hex(hash.trim()).ok_or_else(|| bad("the hash is not 64 hex digits"))?;
        if name.is_empty() || version.is_empty() || normalize(name) != name || version.contains(char::is_whitespace) {
            return Err(bad("the name must be normalized (PEP 503) and the version one word"));
        }
        if let Some(first) = seen.insert(name.to_owned(), number) {
            return Err(bad(&format!("`{name}` is pinned already on line {first}")));
        }
        pins.push(Pin { name: name.to_owned(), version: version.to_owned(), sha256 });
    }
    Ok(pins)
}

/// `wheelhouse.json`: what the wheels are for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Manifest {
    /// The manifest's format, 1.
    pub format: u32,
    pub name: String,
    /// The CPython version `X.Y.Z` that built the wheels.
    pub python: String,
    pub distro: String,
    pub build: u32,
    pub wheels: Vec<ManifestWheel>,
    /// The cache tag of the bytecode under `bytecode/` (`cpython-311`), when there is some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytecode: Option<String>,
}

/// One wheel in the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ManifestWheel {
    pub file: String,
    pub name: String,
    pub version: String,
    /// The compressed tag set of the file name, `cp311-cp311-manylinux_2_17_x86_64`.
    pub tags: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wheel_file_names_parse_per_the_spec() {
        let table = [
            ("six-1.16.0-py2.py3-none-any.whl", "six", "1.16.0", "py2.py3-none-any"),
            (
                "PyYAML-6.0.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                "pyyaml",
                "6.0.1",
                "cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64",
            ),
            ("zope.interface-6.1-cp311-cp311-linux_x86_64.whl", "zope-interface", "6.1", "cp311-cp311-linux_x86_64"),
            ("docopt-0.6.2-py2.py3-none-any.whl", "docopt", "0.6.2", "py2.py3-none-any"),
            ("foo_bar-1.0_beta-1-py3-none-any.whl", "foo-bar", "1.0-beta", "py3-none-any"),
            (
                "cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl",
                "cryptography",
                "42.0.5",
                "cp39-abi3-manylinux_2_28_x86_64",
            ),
        ];
        for (file, name, version, tags) in table {
            let wheel = WheelName::parse(file).unwrap();
            assert_eq!(
                (wheel.name.as_str(), wheel.version.as_str(), wheel.tags.as_str()),
                (name, version, tags),
                "{file}"
            );
        }
        for bad in [
            "six-1.16.0.tar.gz",
            "six-1.16.0-any.whl",
            "six-1.16.0-x-py3-none-any.whl",
            "six-1.16.0-py3-none-any-x-y.whl",
            "six--py3-none-any.whl",
        ] {
            assert!(WheelName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wheels_fit_their_python_line() {
        let fits = |file: &str, minor| WheelName::parse(file).unwrap().fits(3, minor);
        assert!(fits("six-1.16.0-py2.py3-none-any.whl", 11));
        assert!(fits("PyYAML-6.0.1-cp311-cp311-linux_x86_64.whl", 11));
        assert!(!fits("PyYAML-6.0.1-cp312-cp312-linux_x86_64.whl", 11));
        assert!(fits("cryptography-42.0.5-cp39-abi3-manylinux_2_28_x86_64.whl", 11));
        assert!(!fits("cryptography-42.0.5-cp312-abi3-manylinux_2_28_x86_64.whl", 11));
    }

    #[test]
    fn names_normalize_per_pep_503() {
        for (name, normal) in
            [("PyYAML", "pyyaml"), ("zope.interface", "zope-interface"), ("a__b-.c", "a-b-c"), ("six", "six")]
        {
            assert_eq!(normalize(name), normal);
        }
    }

    #[test]
    fn the_lock_round_trips_sorted_and_refuses_bad_lines() {
        let digest = |b| Digest([b; 32]);
        let pins = vec![
            Pin { name: "six".into(), version: "1.16.0".into(), sha256: digest(1) },
            Pin { name: "pyyaml".into(), version: "6.0.1".into(), sha256: digest(2) },
        ];
        let text = render("3.11.2", &pins);
        assert!(text.contains(&format!("pyyaml==6.0.1 --hash=sha256:{}\nsix==", digest(2).to_hex())), "{text}");
        let parsed = parse(&text).unwrap();
        assert_eq!(parsed, [pins[1].clone(), pins[0].clone()]);
        let hex = digest(3).to_hex();
        let table = [
            (format!("six==1.0 --hash=sha256:{}", &hex[..10]), "64 hex"),
            (format!("six --hash=sha256:{hex}"), "no `==`"),
            ("six==1.0".to_owned(), "no `--hash"),
            (format!("PyYAML==6.0 --hash=sha256:{hex}"), "normalized"),
            (format!("six==1 --hash=sha256:{hex}\nsix==2 --hash=sha256:{hex}"), "line 1"),
        ];
        for (text, why) in table {
            let error = parse(&text).unwrap_err();
            assert!(error.contains(why), "{text}: {error}");
        }
    }
}
