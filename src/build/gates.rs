//! The gates before any compiling: the OS (BR-001), the -dev packages each module needs, and the
//! source (download with retries, pinned SHA-256, OpenPGP signature).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::config::{BuildConfig, SourcePin};
use super::Error;
use crate::artifact::{sidecar, PythonVersion};

/// The Debian/Ubuntu package that provides the headers a module needs, by module name.
pub const MODULE_PACKAGES: &[(&str, &str)] = &[
    ("ssl", "libssl-dev"),
    ("_ssl", "libssl-dev"),
    ("hashlib", "libssl-dev"),
    ("sqlite3", "libsqlite3-dev"),
    ("uuid", "uuid-dev"),
    ("lzma", "liblzma-dev"),
    ("bz2", "libbz2-dev"),
    ("ctypes", "libffi-dev"),
    ("zlib", "zlib1g-dev"),
    ("readline", "libreadline-dev"),
    ("curses", "libncurses-dev"),
    ("dbm.gnu", "libgdbm-dev"),
    ("tkinter", "tk-dev"),
];

/// Packages every build needs besides the modules' ones (compiler, make, binutils for readelf
/// and strip).
pub const BASE_PACKAGES: &[&str] = &["build-essential"];

/// The -dev package a module needs, if known.
pub fn package_for_module(module: &str) -> Option<&'static str> {
    MODULE_PACKAGES.iter().find(|(m, _)| *m == module).map(|(_, p)| *p)
}

/// The OS a build runs on, from os-release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OsInfo {
    pub id: String,
    pub version_id: String,
    pub pretty_name: String,
}

impl OsInfo {
    /// The distro tag of artifact names: `<ID><VERSION_ID>`, `ubuntu20.04`, `debian12`.
    pub fn tag(&self) -> String {
        format!("{}{}", self.id, self.version_id)
    }
}

/// Read and parse an os-release file.
pub fn read_os_release(path: &Path) -> Result<OsInfo, Error> {
    let text =
        fs::read_to_string(path).map_err(|e| Error::OsRelease { path: path.to_path_buf(), reason: e.to_string() })?;
    parse_os_release(&text).map_err(|reason| Error::OsRelease { path: path.to_path_buf(), reason })
}

pub fn parse_os_release(text: &str) -> Result<OsInfo, String> {
    let mut id = None;
    let mut version_id = None;
    let mut pretty = None;
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else { continue };
        let value = value.trim().trim_matches('"').trim_matches('\'').to_owned();
        match key.trim() {
            "ID" => id = Some(value.to_ascii_lowercase()),
            "VERSION_ID" => version_id = Some(value),
            "PRETTY_NAME" => pretty = Some(value),
            _ => {}
        }
    }
    let id = id.filter(|v| !v.is_empty()).ok_or("no ID= line")?;
    let version_id =
        version_id.filter(|v| !v.is_empty()).ok_or("no VERSION_ID= line (a rolling release is not a build system)")?;
    Ok(OsInfo { pretty_name: pretty.unwrap_or_else(|| format!("{id} {version_id}")), id, version_id })
}

/// BR-001: the OS must be in `[build] allowed-os`.
pub fn check_os(os: &OsInfo, config: &BuildConfig) -> Result<(), Error> {
    let tag = os.tag();
    if config.allowed_os.contains(&tag) && crate::artifact::name::is_distro(&tag) {
        Ok(())
    } else {
        Err(Error::Os { found: tag, allowed: config.allowed_os.clone() })
    }
}

/// The modules a build must import: BR-007's and the configured ones, without duplicates.
pub fn required_modules(config: &BuildConfig) -> Vec<String> {
    let mut modules: Vec<String> = super::config::REQUIRED_MODULES.iter().map(|s| (*s).to_owned()).collect();
    for module in &config.modules {
        if !modules.contains(module) {
            modules.push(module.clone());
        }
    }
    modules
}

/// The packages to check: base, one per required module, and the configured extras.
pub fn required_packages(config: &BuildConfig) -> Vec<String> {
    let mut packages: Vec<String> = BASE_PACKAGES.iter().map(|s| (*s).to_owned()).collect();
    for module in required_modules(config) {
        if let Some(package) = package_for_module(&module) {
            packages.push(package.to_owned());
        }
    }
    packages.extend(config.packages.iter().cloned());
    let mut seen = std::collections::BTreeSet::new();
    packages.retain(|p| seen.insert(p.clone()));
    packages
}

/// The packages of `wanted` that dpkg does not list as installed.
pub fn missing_packages(wanted: &[String]) -> Result<Vec<String>, Error> {
    let output = Command::new("dpkg-query")
        .args(["-W", "-f=${Package} ${db:Status-Abbrev}\n"])
        .args(wanted)
        .stdin(Stdio::null())
        .output()
        .map_err(|source| Error::Tool { tool: "dpkg-query".to_owned(), source })?;
    let text = String::from_utf8_lossy(&output.stdout);
    let installed: Vec<&str> =
        text.lines().filter_map(|l| l.split_once(' ')).filter(|(_, s)| s.starts_with("ii")).map(|(p, _)| p).collect();
    Ok(wanted.iter().filter(|p| !installed.contains(&p.as_str())).cloned().collect())
}

/// The dependency gate: every package present, or the list with the apt-get command.
pub fn check_packages(config: &BuildConfig) -> Result<Vec<String>, Error> {
    let wanted = required_packages(config);
    let missing = missing_packages(&wanted)?;
    if missing.is_empty() {
        return Ok(wanted);
    }
    let modules = required_modules(config)
        .into_iter()
        .filter(|m| package_for_module(m).is_some_and(|p| missing.iter().any(|x| x == p)))
        .collect();
    Err(Error::MissingPackages { packages: missing, modules })
}

/// Where the source is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    File(PathBuf),
    Url(String),
}

impl SourceSpec {
    pub fn parse(text: &str, base: &Path) -> SourceSpec {
        if text.starts_with("https://") || text.starts_with("http://") {
            SourceSpec::Url(text.to_owned())
        } else {
            let path = Path::new(text);
            SourceSpec::File(if path.is_absolute() { path.to_path_buf() } else { base.join(path) })
        }
    }
}

/// A source that passed its gate.
#[derive(Debug, Clone)]
pub struct VerifiedSource {
    pub path: PathBuf,
    pub sha256: String,
    /// How it was verified, for the step line: `sha256`, `sha256 + OpenPGP 7169...`.
    pub how: String,
}

/// Fetch (if a URL) and verify the source against its pin. `root` resolves the pinned key path;
/// `downloads` is where downloaded files are kept (in the build cache).
pub fn verify_source(
    version: PythonVersion,
    spec: Option<&SourceSpec>,
    signature: Option<&Path>,
    config: &BuildConfig,
    root: &Path,
    downloads: &Path,
    progress: &mut dyn std::io::Write,
) -> Result<VerifiedSource, Error> {
    let pin = config.sources.get(&version.to_string()).ok_or_else(|| Error::NoPin { version: version.to_string() })?;
    let spec = match spec {
        Some(spec) => spec.clone(),
        None => match &pin.url {
            Some(url) => SourceSpec::Url(url.clone()),
            None => return Err(Error::SourceMissing { path: PathBuf::from(format!("Python-{version}.tgz")) }),
        },
    };
    let (path, url) = match &spec {
        SourceSpec::File(path) => {
            if !path.is_file() {
                return Err(Error::SourceMissing { path: path.clone() });
            }
            (path.clone(), None)
        }
        SourceSpec::Url(url) => (download(url, downloads, Some(&pin.sha256), progress)?, Some(url.clone())),
    };
    let actual = sidecar::sha256_file(&path).map_err(|e| match e {
        crate::artifact::Error::Io { source, path, .. } => Error::io("read", &path, source),
        other => Error::Config { reason: other.to_string() },
    })?;
    let actual = actual.to_hex();
    if actual != pin.sha256 {
        return Err(Error::HashMismatch { path, expected: pin.sha256.clone(), actual });
    }
    let how = verify_signature(version, pin, &path, url.as_deref(), signature, root, downloads, progress)?;
    Ok(VerifiedSource { path, sha256: actual, how })
}

#[allow(clippy::too_many_arguments)]
fn verify_signature(
    version: PythonVersion,
    pin: &SourcePin,
    source: &Path,
    url: Option<&str>,
    signature: Option<&Path>,
    root: &Path,
    downloads: &Path,
    progress: &mut dyn std::io::Write,
) -> Result<String, Error> {
    if version >= (PythonVersion { major: 3, minor: 14, patch: 0 }) && pin.sigstore.is_some() {
        return Err(Error::Sigstore { version: version.to_string() });
    }
    let (Some(fingerprint), Some(key)) = (&pin.fingerprint, &pin.public_key) else {
        return Ok("sha256 (no signature pinned)".to_owned());
    };
    let signature = match signature {
        Some(path) => path.to_path_buf(),
        None => {
            let beside = PathBuf::from(format!("{}.asc", source.display()));
            if beside.is_file() {
                beside
            } else if let Some(url) = pin.signature_url.clone().or_else(|| url.map(|u| format!("{u}.asc"))) {
                download(&url, downloads, None, progress)?
            } else {
                return Err(Error::SignatureMissing { source_path: source.to_path_buf(), signature: beside });
            }
        }
    };
    if !signature.is_file() {
        return Err(Error::SignatureMissing { source_path: source.to_path_buf(), signature });
    }
    let key = if Path::new(key).is_absolute() { PathBuf::from(key) } else { root.join(key) };
    let verified = crate::gpg::verify_detached(source, &signature, &key, fingerprint)?;
    Ok(format!(
        "sha256 + OpenPGP signature by {}{}",
        verified.primary_fingerprint,
        if verified.key_expired { " (key expired since; signature valid)" } else { "" }
    ))
}

/// Download `url` into `dir` (3 retries with backoff, in `http`). A file already there with
/// the expected digest is reused; a partial download never takes the final name.
pub fn download(
    url: &str,
    dir: &Path,
    expected_sha256: Option<&str>,
    progress: &mut dyn std::io::Write,
) -> Result<PathBuf, Error> {
    let name = url.rsplit('/').next().filter(|n| !n.is_empty() && *n != "." && *n != "..").unwrap_or("source");
    let name: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() || "._-+".contains(c) { c } else { '_' }).collect();
    fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let path = dir.join(&name);
    if let Some(expected) = expected_sha256 {
        if path.is_file() && sidecar::sha256_file(&path).is_ok_and(|d| d.to_hex() == expected) {
            let _ = writeln!(progress, "    using the downloaded `{}`", path.display());
            return Ok(path);
        }
    }
    let _ = writeln!(progress, "    downloading {url}");
    let client = crate::http::Client::new(crate::http::Options::default());
    let mut file = crate::atomic::AtomicFile::create(&path).map_err(|e| Error::io("create", &path, e))?;
    client.fetch(url, |body| {
        let f = file.file();
        f.set_len(0)?;
        std::io::Seek::rewind(f)?;
        std::io::copy(body, f)
    })?;
    file.commit().map_err(|e| Error::io("write", &path, e))?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn os_release_gives_the_distro_tag() {
        let ubuntu =
            parse_os_release("NAME=\"Ubuntu\"\nVERSION_ID=\"20.04\"\nID=ubuntu\nPRETTY_NAME=\"Ubuntu 20.04.6 LTS\"\n")
                .unwrap();
        assert_eq!(ubuntu.tag(), "ubuntu20.04");
        let debian =
            parse_os_release("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\n").unwrap();
        assert_eq!(debian.tag(), "debian12");
        assert!(parse_os_release("ID=arch\n").unwrap_err().contains("VERSION_ID"));
        let config = Config::defaults().build;
        assert!(check_os(&ubuntu, &config).is_ok());
        let error = check_os(&debian, &config).unwrap_err();
        assert!(error.to_string().contains("`debian12`"), "{error}");
        assert!(error.hint().unwrap().contains("allowed-os"));
    }

    #[test]
    fn packages_follow_the_modules() {
        let config = Config::defaults().build;
        let packages = required_packages(&config);
        for p in [
            "build-essential",
            "libssl-dev",
            "libsqlite3-dev",
            "uuid-dev",
            "liblzma-dev",
            "libbz2-dev",
            "libffi-dev",
            "zlib1g-dev",
            "libreadline-dev",
        ] {
            assert!(packages.contains(&p.to_owned()), "{p}");
        }
        let error = Error::MissingPackages { packages: vec!["uuid-dev".into(), "libbz2-dev".into()], modules: vec![] };
        assert_eq!(
            error.hint().unwrap(),
            "install them, then build again: `sudo apt-get install -y uuid-dev libbz2-dev`"
        );
    }
}
