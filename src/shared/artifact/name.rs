//! Artifact names, parsed and formatted in one place:
//! `cpython-<X.Y.Z>-<distro><version>-build<N>.tgz` (or `.tar.zst`), and the paths that follow
//! from a name (the `opt/python-X.Y.Z/` prefix inside, the LICENSE, the sidecar).

use std::fmt;
use std::str::FromStr;

/// The form every artifact name must have, shown in findings and errors.
pub const EXPECTED_FORM: &str =
    "cpython-<X.Y.Z>-<distro><version>-build<N>.tgz (or .tar.zst), for example cpython-3.12.6-ubuntu20.04-build1.tgz";

/// A CPython release number `X.Y.Z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PythonVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl PythonVersion {
    /// Parse `X.Y.Z`: three decimal numbers without leading zeros (`3.12.06` is refused, it
    /// would name the same release twice).
    pub fn parse(text: &str) -> Option<PythonVersion> {
        let mut parts = text.split('.');
        let mut number = || -> Option<u32> {
            let part = parts.next()?;
            if part.is_empty()
                || part.len() > 6
                || !part.bytes().all(|b| b.is_ascii_digit())
                || (part.len() > 1 && part.starts_with('0'))
            {
                return None;
            }
            part.parse().ok()
        };
        let version = PythonVersion { major: number()?, minor: number()?, patch: number()? };
        parts.next().is_none().then_some(version)
    }

    /// The version line `X.Y` that retention counts builds in (BR-005).
    pub fn line(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

impl FromStr for PythonVersion {
    type Err = String;
    fn from_str(text: &str) -> Result<PythonVersion, String> {
        PythonVersion::parse(text).ok_or_else(|| format!("`{text}` is not a version `X.Y.Z` such as `3.12.6`"))
    }
}

/// Whether `text` is a distro tag: a lowercase name followed by its version, `ubuntu20.04`,
/// `debian12`.
pub fn is_distro(text: &str) -> bool {
    let name_len = text.bytes().take_while(u8::is_ascii_lowercase).count();
    let version = &text[name_len..];
    name_len > 0
        && !version.is_empty()
        && version.split('.').all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// Parse a Python line `X.Y` as a wheelhouse is built for: X one digit from 1 (as in the wheel
/// tag `cp311`), Y a number without leading zeros.
pub fn parse_python_line(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    let number = |part: &str| {
        (!part.is_empty()
            && part.len() <= 6
            && part.bytes().all(|b| b.is_ascii_digit())
            && !(part.len() > 1 && part.starts_with('0')))
        .then(|| part.parse::<u32>().ok())
        .flatten()
    };
    let major = number(major).filter(|m| (1..=9).contains(m))?;
    Some((major, number(minor)?))
}

/// How the tar stream is compressed; the file extension says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Compression {
    /// `.tgz`: gzip members, readable by `tar xzf`.
    Gzip,
    /// `.tar.zst`: zstd, readable by `tar --zstd -xf`.
    Zstd,
}

impl Compression {
    pub fn extension(self) -> &'static str {
        match self {
            Compression::Gzip => ".tgz",
            Compression::Zstd => ".tar.zst",
        }
    }

    /// The compression a file name's extension names, if any.
    pub fn from_file_name(name: &str) -> Option<Compression> {
        if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
            Some(Compression::Gzip)
        } else if name.ends_with(".tar.zst") {
            Some(Compression::Zstd)
        } else {
            None
        }
    }
}

/// A parsed artifact name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ArtifactName {
    pub version: PythonVersion,
    /// Distro and its version as one tag, `ubuntu20.04`.
    pub distro: String,
    pub build: u32,
    pub compression: Compression,
}

/// Why a file name is not an artifact name; the message shows the expected form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not an artifact name: {reason}; expected {expected}")]
pub struct NameError {
    pub name: String,
    pub reason: String,
    /// The form expected: `EXPECTED_FORM` for CPython, `WHEELHOUSE_FORM` for wheelhouses.
    pub expected: &'static str,
}

impl NameError {
    pub fn hint(&self) -> Option<String> {
        if self.expected == WHEELHOUSE_FORM {
            return Some(
                "`specgate wheelhouse build` makes the name from `--name`, `--python`, `--distro` and `--build`; \
                 a file renamed by hand must keep that form"
                    .to_owned(),
            );
        }
        Some(
            "`specgate build` and `specgate package` make the name from `--python`, `--distro` (a lowercase name and \
             its version, `debian12`) and `--build` (from 1); a file named by hand must follow the same form"
                .to_owned(),
        )
    }
}

impl ArtifactName {
    pub fn new(
        version: PythonVersion,
        distro: &str,
        build: u32,
        compression: Compression,
    ) -> Result<ArtifactName, NameError> {
        let name = ArtifactName { version, distro: distro.to_owned(), build, compression };
        if !is_distro(distro) {
            return Err(NameError {
                name: name.to_string(),
                expected: EXPECTED_FORM,
                reason: format!(
                    "the distro `{distro}` is not a lowercase name followed by its version (`ubuntu20.04`, `debian12`)"
                ),
            });
        }
        if build == 0 {
            return Err(NameError {
                name: name.to_string(),
                reason: "builds are numbered from 1".to_owned(),
                expected: EXPECTED_FORM,
            });
        }
        Ok(name)
    }

    /// Parse a file name (no folders).
    pub fn parse(name: &str) -> Result<ArtifactName, NameError> {
        let error =
            |reason: &str| NameError { name: name.to_owned(), reason: reason.to_owned(), expected: EXPECTED_FORM };
        let (stem, compression) = if let Some(stem) = name.strip_suffix(".tgz") {
            (stem, Compression::Gzip)
        } else if let Some(stem) = name.strip_suffix(".tar.zst") {
            (stem, Compression::Zstd)
        } else {
            return Err(error("the extension must be `.tgz` or `.tar.zst`"));
        };
        let rest = stem.strip_prefix("cpython-").ok_or_else(|| error("it must start with `cpython-`"))?;
        let (version, rest) = rest.split_once('-').ok_or_else(|| error("the parts must be separated by `-`"))?;
        let version =
            PythonVersion::parse(version).ok_or_else(|| error(&format!("`{version}` is not a version `X.Y.Z`")))?;
        let (distro, build) = rest.rsplit_once("-build").ok_or_else(|| error("it must end with `-build<N>`"))?;
        if build.is_empty() || !build.bytes().all(|b| b.is_ascii_digit()) || (build.len() > 1 && build.starts_with('0'))
        {
            return Err(error(&format!("`build{build}` must be `build` and a number without leading zeros")));
        }
        let build: u32 = build.parse().map_err(|_| error("the build number is too large"))?;
        ArtifactName::new(version, distro, build, compression).map_err(|e| NameError {
            name: name.to_owned(),
            reason: e.reason,
            expected: EXPECTED_FORM,
        })
    }

    /// The folder every member lives under, with a trailing `/`: `opt/python-3.12.6/`.
    pub fn prefix(&self) -> String {
        prefix_for(self.version)
    }

    /// Where the PSF LICENSE sits inside the tarball (BR-003).
    pub fn license_path(&self) -> String {
        format!("{}LICENSE", self.prefix())
    }

    /// The sidecar file name, `<name>.sha256`.
    pub fn sidecar_name(&self) -> String {
        format!("{self}.sha256")
    }

    /// The same artifact with the other compression.
    pub fn with_compression(&self, compression: Compression) -> ArtifactName {
        ArtifactName { compression, ..self.clone() }
    }
}

/// `opt/python-X.Y.Z/`, the install prefix inside every artifact of that version.
pub fn prefix_for(version: PythonVersion) -> String {
    format!("opt/python-{version}/")
}

impl fmt::Display for ArtifactName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cpython-{}-{}-build{}{}", self.version, self.distro, self.build, self.compression.extension())
    }
}

impl FromStr for ArtifactName {
    type Err = NameError;
    fn from_str(text: &str) -> Result<ArtifactName, NameError> {
        ArtifactName::parse(text)
    }
}

/// The form every wheelhouse name must have, shown in errors.
pub const WHEELHOUSE_FORM: &str =
    "wheelhouse-<NAME>-cp<XY>-<distro><version>-build<N>.tgz (or .tar.zst), for example wheelhouse-web-cp311-debian12-build1.tgz";

/// A parsed wheelhouse name: `wheelhouse-NAME-cpXY-<distro>-buildN.tgz`. NAME is lowercase
/// letters, digits, `-` and `_`; `cpXY` is the wheel tag of the Python line the wheels are for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WheelhouseName {
    pub name: String,
    /// The Python line `X.Y` (the patch does not change the ABI of a wheel).
    pub major: u32,
    pub minor: u32,
    pub distro: String,
    pub build: u32,
    pub compression: Compression,
}

/// Whether `text` can be a wheelhouse's NAME: it starts with a lowercase letter or digit and
/// holds only those, `-` and `_`, at most 64 characters.
pub fn is_wheelhouse_name(text: &str) -> bool {
    text.len() <= 64
        && text.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && !text.ends_with('-')
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl WheelhouseName {
    pub fn new(
        name: &str,
        version: PythonVersion,
        distro: &str,
        build: u32,
        compression: Compression,
    ) -> Result<WheelhouseName, NameError> {
        let made = WheelhouseName {
            name: name.to_owned(),
            major: version.major,
            minor: version.minor,
            distro: distro.to_owned(),
            build,
            compression,
        };
        made.check().map(|()| made.clone()).map_err(|reason| NameError {
            name: made.to_string(),
            reason,
            expected: WHEELHOUSE_FORM,
        })
    }

    fn check(&self) -> Result<(), String> {
        if !is_wheelhouse_name(&self.name) {
            return Err(format!(
                "the name `{}` must be lowercase letters, digits, `-` and `_` (at most 64, not ending in `-`)",
                self.name
            ));
        }
        if self.major > 9 {
            return Err("the Python major version must be one digit, as in the wheel tag `cp311`".to_owned());
        }
        if !is_distro(&self.distro) {
            return Err(format!(
                "the distro `{}` is not a lowercase name followed by its version (`ubuntu20.04`, `debian12`)",
                self.distro
            ));
        }
        if self.build == 0 {
            return Err("builds are numbered from 1".to_owned());
        }
        Ok(())
    }

    /// Parse a file name (no folders).
    pub fn parse(file_name: &str) -> Result<WheelhouseName, NameError> {
        let error = |reason: String| NameError { name: file_name.to_owned(), reason, expected: WHEELHOUSE_FORM };
        let (stem, compression) = if let Some(stem) = file_name.strip_suffix(".tgz") {
            (stem, Compression::Gzip)
        } else if let Some(stem) = file_name.strip_suffix(".tar.zst") {
            (stem, Compression::Zstd)
        } else {
            return Err(error("the extension must be `.tgz` or `.tar.zst`".to_owned()));
        };
        let rest =
            stem.strip_prefix("wheelhouse-").ok_or_else(|| error("it must start with `wheelhouse-`".to_owned()))?;
        let (rest, build) =
            rest.rsplit_once("-build").ok_or_else(|| error("it must end with `-build<N>`".to_owned()))?;
        if build.is_empty() || !build.bytes().all(|b| b.is_ascii_digit()) || (build.len() > 1 && build.starts_with('0'))
        {
            return Err(error(format!("`build{build}` must be `build` and a number without leading zeros")));
        }
        let build: u32 = build.parse().map_err(|_| error("the build number is too large".to_owned()))?;
        let (rest, distro) = rest.rsplit_once('-').ok_or_else(|| error("it names no distro".to_owned()))?;
        let (name, tag) = rest.rsplit_once('-').ok_or_else(|| error("it names no `cpXY` tag".to_owned()))?;
        let digits = tag.strip_prefix("cp").filter(|d| d.len() >= 2 && d.bytes().all(|b| b.is_ascii_digit()));
        let digits = digits.ok_or_else(|| error(format!("`{tag}` is not a tag `cpXY` such as `cp311`")))?;
        let (major, minor) = digits.split_at(1);
        if minor.len() > 1 && minor.starts_with('0') {
            return Err(error(format!("`{tag}` is not a tag `cpXY` such as `cp311`")));
        }
        let parsed = WheelhouseName {
            name: name.to_owned(),
            major: major.parse().map_err(|_| error(format!("`{tag}` is not a tag `cpXY`")))?,
            minor: minor.parse().map_err(|_| error(format!("`{tag}` is too large")))?,
            distro: distro.to_owned(),
            build,
            compression,
        };
        parsed.check().map_err(error)?;
        Ok(parsed)
    }

    /// The wheel tag of the Python line, `cp311`.
    pub fn python_tag(&self) -> String {
        format!("cp{}{}", self.major, self.minor)
    }

    /// The line `X.Y`.
    pub fn line(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// Whether the wheels are for this interpreter's line.
    pub fn fits(&self, version: PythonVersion) -> bool {
        (self.major, self.minor) == (version.major, version.minor)
    }

    /// The folder every member lives under, with a trailing `/`: `wheelhouse-web/`.
    pub fn prefix(&self) -> String {
        format!("wheelhouse-{}/", self.name)
    }

    /// The sidecar file name, `<name>.sha256`.
    pub fn sidecar_name(&self) -> String {
        format!("{self}.sha256")
    }

    /// Where the lock sits inside the tarball: `wheelhouse-web/requirements.lock`.
    pub fn lock_path(&self) -> String {
        format!("{}{WHEELHOUSE_LOCK}", self.prefix())
    }
}

/// The lock's file name in a wheelhouse's folder; without it nothing can be installed.
pub const WHEELHOUSE_LOCK: &str = "requirements.lock";

impl fmt::Display for WheelhouseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wheelhouse-{}-{}-{}-build{}{}",
            self.name,
            self.python_tag(),
            self.distro,
            self.build,
            self.compression.extension()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_names_round_trip() {
        for name in [
            "cpython-3.12.6-ubuntu20.04-build1.tgz",
            "cpython-3.11.2-debian12-build14.tar.zst",
            "cpython-3.13.0-ubuntu24.04-build2.tgz",
        ] {
            let parsed = ArtifactName::parse(name).unwrap();
            assert_eq!(parsed.to_string(), name);
        }
        let parsed = ArtifactName::parse("cpython-3.12.6-ubuntu20.04-build1.tgz").unwrap();
        assert_eq!(parsed.version, PythonVersion { major: 3, minor: 12, patch: 6 });
        assert_eq!(parsed.distro, "ubuntu20.04");
        assert_eq!(parsed.build, 1);
        assert_eq!(parsed.prefix(), "opt/python-3.12.6/");
        assert_eq!(parsed.license_path(), "opt/python-3.12.6/LICENSE");
        assert_eq!(parsed.sidecar_name(), "cpython-3.12.6-ubuntu20.04-build1.tgz.sha256");
        assert_eq!(parsed.version.line(), "3.12");
    }

    #[test]
    fn bad_names_say_why_and_show_the_expected_form() {
        let table = [
            ("python-3.12.6-ubuntu20.04-build1.tgz", "start with `cpython-`"),
            ("cpython-3.12-ubuntu20.04-build1.tgz", "`3.12` is not a version"),
            ("cpython-3.12.6-ubuntu20.04-build1.tar.gz", "extension"),
            ("cpython-3.12.6-ubuntu20.04.tgz", "-build<N>"),
            ("cpython-3.12.6-ubuntu20.04-build01.tgz", "leading zeros"),
            ("cpython-3.12.6-ubuntu20.04-build0.tgz", "from 1"),
            ("cpython-3.12.6-Ubuntu20.04-build1.tgz", "distro"),
            ("cpython-3.12.6-ubuntu-build1.tgz", "distro"),
            ("cpython-3.12.6-20.04-build1.tgz", "distro"),
            ("cpython-3.12.6-ubuntu20..04-build1.tgz", "distro"),
            ("cpython-03.12.6-ubuntu20.04-build1.tgz", "not a version"),
        ];
        for (name, reason) in table {
            let error = ArtifactName::parse(name).unwrap_err().to_string();
            assert!(error.contains(reason), "{name}: {error}");
            assert!(error.contains("cpython-3.12.6-ubuntu20.04-build1.tgz"), "{name}: {error}");
        }
    }

    #[test]
    fn python_lines() {
        assert_eq!(parse_python_line("3.11"), Some((3, 11)));
        assert_eq!(parse_python_line("3.9"), Some((3, 9)));
        for bad in ["3", "3.11.2", "03.11", "3.011", "10.1", "0.1", "3.", ".3", "3.x", ""] {
            assert_eq!(parse_python_line(bad), None, "{bad}");
        }
    }

    #[test]
    fn versions_order_numerically() {
        let v = |s: &str| PythonVersion::parse(s).unwrap();
        assert!(v("3.12.10") > v("3.12.9"));
        assert!(PythonVersion::parse("3.12.6.1").is_none());
        assert!(PythonVersion::parse("3.12.x").is_none());
        assert!(PythonVersion::parse("").is_none());
    }

    #[test]
    fn wheelhouse_names_round_trip() {
        for name in [
            "wheelhouse-web-cp311-debian12-build1.tgz",
            "wheelhouse-my-app_2-cp312-ubuntu24.04-build14.tar.zst",
            "wheelhouse-x-cp310-debian12-build2.tgz",
        ] {
            assert_eq!(WheelhouseName::parse(name).unwrap().to_string(), name);
        }
        let parsed = WheelhouseName::parse("wheelhouse-my-app-cp311-debian12-build3.tgz").unwrap();
        assert_eq!((parsed.name.as_str(), parsed.major, parsed.minor), ("my-app", 3, 11));
        assert_eq!((parsed.distro.as_str(), parsed.build), ("debian12", 3));
        assert_eq!(parsed.prefix(), "wheelhouse-my-app/");
        assert_eq!(parsed.lock_path(), "wheelhouse-my-app/requirements.lock");
        assert_eq!(parsed.python_tag(), "cp311");
        assert!(parsed.fits(PythonVersion::parse("3.11.9").unwrap()));
        assert!(!parsed.fits(PythonVersion::parse("3.12.1").unwrap()));
        let made =
            WheelhouseName::new("web", PythonVersion::parse("3.11.2").unwrap(), "debian12", 1, Compression::Gzip)
                .unwrap();
        assert_eq!(made.to_string(), "wheelhouse-web-cp311-debian12-build1.tgz");
        assert_eq!(made.sidecar_name(), "wheelhouse-web-cp311-debian12-build1.tgz.sha256");
    }

    #[test]
    fn bad_wheelhouse_names_say_why() {
        let table = [
            ("wheelhouse-web-cp311-debian12-build1.zip", "extension"),
            ("cpython-3.11.2-debian12-build1.tgz", "start with `wheelhouse-`"),
            ("wheelhouse-web-cp311-debian12.tgz", "-build<N>"),
            ("wheelhouse-web-cp311-debian12-build0.tgz", "from 1"),
            ("wheelhouse-web-cp311-debian12-build01.tgz", "leading zeros"),
            ("wheelhouse-web-py311-debian12-build1.tgz", "`py311` is not a tag"),
            ("wheelhouse-web-cp3-debian12-build1.tgz", "`cp3` is not a tag"),
            ("wheelhouse-Web-cp311-debian12-build1.tgz", "lowercase letters"),
            ("wheelhouse--cp311-debian12-build1.tgz", "lowercase letters"),
            ("wheelhouse-web-cp311-Debian12-build1.tgz", "distro"),
            ("wheelhouse-cp311-debian12-build1.tgz", "tag"),
        ];
        for (name, reason) in table {
            let error = WheelhouseName::parse(name).unwrap_err().to_string();
            assert!(error.contains(reason), "{name}: {error}");
        }
        let no_name =
            WheelhouseName::new("", PythonVersion::parse("3.11.2").unwrap(), "debian12", 1, Compression::Gzip);
        assert!(no_name.is_err());
    }
}
