//! The gates before any compiling: the OS (BR-001), the -dev packages each module needs, and the
//! source (download with retries, pinned SHA-256, OpenPGP signature or Sigstore bundle).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Error;
use crate::shared::artifact::{sidecar, PythonVersion};
use crate::shared::config::build::{BuildConfig, SourcePin, SIGSTORE_ONLY};

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
    let text = crate::shared::readfile::text(path, 64 * 1024)
        .map_err(|e| Error::OsRelease { path: path.to_path_buf(), reason: e.to_string() })?;
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
    if config.allowed_os.contains(&tag) && crate::shared::artifact::name::is_distro(&tag) {
        Ok(())
    } else {
        Err(Error::Os { found: tag, allowed: config.allowed_os.clone() })
    }
}

/// The modules a build must import: BR-007's and the configured ones, without duplicates.
pub fn required_modules(config: &BuildConfig) -> Vec<String> {
    let mut modules: Vec<String> = crate::pipeline::probe::REQUIRED_MODULES.iter().map(|s| (*s).to_owned()).collect();
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

/// Where verifying a source works: `root` resolves the pinned key path, `downloads` keeps
/// downloaded files (in the build cache), and each gpg run stops at `gpg_limit`.
#[derive(Debug, Clone, Copy)]
pub struct Surroundings<'a> {
    pub root: &'a Path,
    pub downloads: &'a Path,
    pub gpg_limit: crate::shared::process::TimeLimit,
}

/// Fetch (if a URL) and verify the source against its pin.
pub fn verify_source(
    version: PythonVersion,
    spec: Option<&SourceSpec>,
    signature: Option<&Path>,
    config: &BuildConfig,
    around: &Surroundings<'_>,
    progress: &mut dyn std::io::Write,
) -> Result<VerifiedSource, Error> {
    let Surroundings { root, downloads, gpg_limit } = *around;
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
        crate::shared::artifact::Error::Io { source, path, .. } => Error::io("read", &path, source),
        other => Error::Config { reason: other.to_string() },
    })?;
    let actual = actual.to_hex();
    if actual != pin.sha256 {
        return Err(Error::HashMismatch { path, expected: pin.sha256.clone(), actual });
    }
    let search = SignatureSearch { source: &path, url: url.as_deref(), given: signature, downloads };
    let how = verify_signature(version, pin, config, root, &search, gpg_limit, progress)?;
    Ok(VerifiedSource { path, sha256: actual, how })
}

/// Where the signature of a source may be: `--signature`, beside the source, or beside its URL.
struct SignatureSearch<'a> {
    source: &'a Path,
    url: Option<&'a str>,
    given: Option<&'a Path>,
    downloads: &'a Path,
}

impl SignatureSearch<'_> {
    /// `--signature`, else `<source>.<extension>` beside the file, else `signature_url` or
    /// `<url>.<extension>` downloaded.
    fn find(
        &self,
        extension: &str,
        signature_url: Option<&str>,
        progress: &mut dyn std::io::Write,
    ) -> Result<PathBuf, Error> {
        let found = match self.given {
            Some(path) => path.to_path_buf(),
            None => {
                let beside = PathBuf::from(format!("{}.{extension}", self.source.display()));
                let url = signature_url.map(str::to_owned).or_else(|| self.url.map(|u| format!("{u}.{extension}")));
                if beside.is_file() {
                    beside
                } else if let Some(url) = url {
                    download(&url, self.downloads, None, progress)?
                } else {
                    return Err(Error::SignatureMissing { source_path: self.source.to_path_buf(), signature: beside });
                }
            }
        };
        if found.is_file() {
            Ok(found)
        } else {
            Err(Error::SignatureMissing { source_path: self.source.to_path_buf(), signature: found })
        }
    }
}

/// Check the pinned signature: the Sigstore bundle for 3.14 and later (and for older versions
/// pinned with Sigstore only), else the OpenPGP `.asc` when a key is pinned.
fn verify_signature(
    version: PythonVersion,
    pin: &SourcePin,
    config: &BuildConfig,
    root: &Path,
    search: &SignatureSearch<'_>,
    gpg_limit: crate::shared::process::TimeLimit,
    progress: &mut dyn std::io::Write,
) -> Result<String, Error> {
    let resolve = |path: &str| if Path::new(path).is_absolute() { PathBuf::from(path) } else { root.join(path) };
    if let Some((identity, issuer)) =
        pin.sigstore.as_ref().filter(|_| version >= SIGSTORE_ONLY || pin.fingerprint.is_none())
    {
        let bundle = search.find("sigstore", None, progress)?;
        let trusted = match &config.sigstore_trusted_root {
            Some(path) => crate::pipeline::sigstore::TrustedRoot::from_file(&resolve(path))?,
            None => crate::pipeline::sigstore::TrustedRoot::production()?,
        };
        let verified = crate::pipeline::sigstore::verify_bundle(search.source, &bundle, identity, issuer, &trusted)?;
        return Ok(format!(
            "sha256 + Sigstore bundle by {identity} ({issuer}), Rekor entry {}",
            verified.log.log_index
        ));
    }
    if version >= SIGSTORE_ONLY && pin.allow_unsigned {
        return Ok("sha256 only: the signature check is off (`allow-unsigned = true` in specgate.toml)".to_owned());
    }
    let (Some(fingerprint), Some(key)) = (&pin.fingerprint, &pin.public_key) else {
        return Ok("sha256 (no signature pinned)".to_owned());
    };
    let signature = search.find("asc", pin.signature_url.as_deref(), progress)?;
    let verified =
        crate::pipeline::gpg::verify_detached(search.source, &signature, &resolve(key), fingerprint, gpg_limit)?;
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
    let client = crate::shared::http::Client::new(crate::shared::http::Options::default());
    let mut file = crate::shared::atomic::AtomicFile::create(&path).map_err(|e| Error::io("create", &path, e))?;
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
    use crate::shared::config::Config;

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

    /// A 3.14.0 "source" with a bundle from the test Fulcio and Rekor, and a config pinning
    /// `identity` with the test trusted root (or the embedded production one).
    fn sigstore_case(
        identity: &str,
        test_root: bool,
    ) -> (crate::pipeline::sigstore::testing::Fixture, PathBuf, BuildConfig) {
        use crate::pipeline::sigstore::testing::{Fixture, ISSUER};
        let fixture = Fixture::new();
        let source = fixture.dir.path().join("Python-3.14.0.tgz");
        let bytes = b"a tiny stand-in for the CPython 3.14.0 source".to_vec();
        std::fs::write(&source, &bytes).unwrap();
        let bundle = fixture.bundle(&bytes, &fixture.options());
        std::fs::write(fixture.dir.path().join("Python-3.14.0.tgz.sigstore"), bundle.to_string()).unwrap();
        let sha = sidecar::sha256_file(&source).unwrap().to_hex();
        let root_line = if test_root {
            format!("sigstore-trusted-root = \"{}\"\n", fixture.trusted_root_file().display())
        } else {
            String::new()
        };
        let text = format!(
            "[build]\n{root_line}[build.sources.\"3.14.0\"]\nsha256 = \"{sha}\"\nsigstore-identity = \"{identity}\"\nsigstore-issuer = \"{ISSUER}\"\n"
        );
        let config = Config::parse(&text, Path::new("specgate.toml")).unwrap().build;
        (fixture, source, config)
    }

    fn verify_314(source: &Path, signature: Option<&Path>, config: &BuildConfig) -> Result<VerifiedSource, Error> {
        let version = PythonVersion::parse("3.14.0").unwrap();
        let dir = source.parent().unwrap();
        let spec = SourceSpec::File(source.to_path_buf());
        let downloads = dir.join("downloads");
        let around =
            Surroundings { root: dir, downloads: &downloads, gpg_limit: crate::shared::config::Limits::default().gpg };
        verify_source(version, Some(&spec), signature, config, &around, &mut Vec::new())
    }

    #[test]
    fn a_314_source_is_verified_with_the_sigstore_bundle_beside_it() {
        let (fixture, source, config) = sigstore_case("hugo@python.org", true);
        let verified = verify_314(&source, None, &config).unwrap();
        assert_eq!(
            verified.how,
            "sha256 + Sigstore bundle by hugo@python.org (https://github.com/login/oauth), Rekor entry 1000004"
        );
        // `--signature` names the bundle explicitly; a missing one is refused with where it looked.
        let moved = fixture.dir.path().join("elsewhere.sigstore");
        std::fs::rename(fixture.dir.path().join("Python-3.14.0.tgz.sigstore"), &moved).unwrap();
        assert!(verify_314(&source, Some(&moved), &config).is_ok());
        let error = verify_314(&source, None, &config).unwrap_err();
        assert!(matches!(error, Error::SignatureMissing { .. }), "{error}");
        assert!(error.to_string().contains("Python-3.14.0.tgz.sigstore"), "{error}");
        assert!(error.hint().unwrap().contains("`.sigstore` bundle"));
    }

    #[test]
    fn a_314_bundle_by_another_identity_or_outside_the_trusted_root_is_refused() {
        let (_fixture, source, config) = sigstore_case("thomas@python.org", true);
        let error = verify_314(&source, None, &config).unwrap_err();
        assert_eq!(error.to_string(), "the Sigstore check of the source failed");
        let Error::Sigstore(cause) = &error else { panic!("{error:?}") };
        assert!(cause.to_string().contains("not by the pinned `thomas@python.org`"), "{cause}");
        assert!(error.hint().unwrap().contains("sigstore-identity"));
        // The embedded production root does not know the test Rekor log.
        let (_fixture, source, config) = sigstore_case("hugo@python.org", false);
        let error = verify_314(&source, None, &config).unwrap_err();
        let Error::Sigstore(cause) = &error else { panic!("{error:?}") };
        assert!(matches!(cause, crate::pipeline::sigstore::Error::UnknownLog { .. }), "{cause}");
    }
}
