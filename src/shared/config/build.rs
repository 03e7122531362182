//! `[build]` in specgate.toml: allowed systems, configure flags, modules to require, pinned
//! sources, the container image.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{shorten, Invalid, KeyPath};
use crate::shared::artifact::name::{self, PythonVersion};

/// `[build]` as written.
/// The first CPython release signed only with Sigstore.
pub(crate) const SIGSTORE_ONLY: PythonVersion = PythonVersion { major: 3, minor: 14, patch: 0 };

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawBuild {
    allowed_os: Option<Vec<String>>,
    configure_flags: Option<Vec<String>>,
    modules: Option<Vec<String>>,
    packages: Option<Vec<String>>,
    container_engine: Option<String>,
    container_image: Option<String>,
    sigstore_trusted_root: Option<String>,
    sources: Option<BTreeMap<String, RawSource>>,
}

/// `[build.sources."X.Y.Z"]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSource {
    sha256: String,
    url: Option<String>,
    signature_url: Option<String>,
    public_key: Option<String>,
    fingerprint: Option<String>,
    sigstore_identity: Option<String>,
    sigstore_issuer: Option<String>,
    allow_unsigned: Option<bool>,
}

/// One pinned source release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePin {
    pub sha256: String,
    /// Where to download it when `--source` is not given.
    pub url: Option<String>,
    /// Where to download the `.asc` (default: `<url>.asc`).
    pub signature_url: Option<String>,
    /// The release manager's public key file, relative to the repository root.
    pub public_key: Option<String>,
    /// The release manager's fingerprint (uppercase hex); set means the signature is required.
    pub fingerprint: Option<String>,
    /// Sigstore identity and issuer: required for 3.14 and later, used for older versions
    /// when no OpenPGP key is pinned.
    pub sigstore: Option<(String, String)>,
    /// `allow-unsigned = true`: a 3.14+ pin builds from its SHA-256 alone (said on the step line).
    pub allow_unsigned: bool,
}

/// `[build]`, validated.
#[derive(Debug, Clone)]
pub struct BuildConfig {
    /// `<ID><VERSION_ID>` of /etc/os-release, e.g. `ubuntu20.04`, `debian12` (BR-001).
    pub allowed_os: Vec<String>,
    /// The configure flags of the release profile; `{prefix}` and `{version}` are replaced.
    /// The fast profile drops `--enable-optimizations` and `--with-lto`.
    pub configure_flags: Vec<String>,
    /// Modules the built interpreter must import beyond the BR-007 ones.
    pub modules: Vec<String>,
    /// Extra packages the dependency check requires.
    pub packages: Vec<String>,
    pub container_engine: String,
    pub container_image: String,
    /// A Sigstore trusted_root.json to use instead of the embedded production root, relative
    /// to the repository root.
    pub sigstore_trusted_root: Option<String>,
    pub sources: BTreeMap<String, SourcePin>,
}

/// The seed's configure flags (SPEC_INFRA_001 section 9).
pub const DEFAULT_CONFIGURE_FLAGS: &[&str] =
    &["--prefix={prefix}", "--enable-optimizations", "--with-lto", "--enable-shared", "--with-openssl=/usr"];

/// Modules required by default beyond BR-007.
pub const DEFAULT_MODULES: &[&str] = &["ctypes", "zlib", "readline"];

impl Default for BuildConfig {
    fn default() -> BuildConfig {
        RawBuild::default().validate().expect("the built-in defaults are valid")
    }
}

impl RawBuild {
    pub fn validate(self) -> Result<BuildConfig, Invalid> {
        let at = |key: &str| KeyPath::new("build").key(key);
        let allowed_os = self.allowed_os.unwrap_or_else(|| vec!["ubuntu20.04".to_owned(), "ubuntu24.04".to_owned()]);
        for (index, os) in allowed_os.iter().enumerate() {
            if !name::is_distro(os) {
                return Err(Invalid::new(
                    at("allowed-os").index(index),
                    format!("`build.allowed-os` entry `{}` is not `<id><version>` like `ubuntu20.04`", shorten(os)),
                ));
            }
        }
        let configure_flags =
            self.configure_flags.unwrap_or_else(|| DEFAULT_CONFIGURE_FLAGS.iter().map(|s| (*s).to_owned()).collect());
        if !configure_flags.iter().any(|f| f.starts_with("--prefix=")) {
            return Err(Invalid::new(
                at("configure-flags"),
                "`build.configure-flags` must set `--prefix={prefix}` (artifacts install to /opt/python-X.Y.Z)",
            ));
        }
        let modules = self.modules.unwrap_or_else(|| DEFAULT_MODULES.iter().map(|s| (*s).to_owned()).collect());
        for (index, module) in modules.iter().enumerate() {
            if module.is_empty()
                || !module.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            {
                return Err(Invalid::new(
                    at("modules").index(index),
                    format!("`build.modules` entry `{}` is not a module name", shorten(module)),
                ));
            }
        }
        let packages = self.packages.unwrap_or_default();
        for (index, package) in packages.iter().enumerate() {
            if package.is_empty() || !package.chars().all(|c| c.is_ascii_alphanumeric() || "+-.:".contains(c)) {
                return Err(Invalid::new(
                    at("packages").index(index),
                    format!("`build.packages` entry `{}` is not a package name", shorten(package)),
                ));
            }
        }
        let container_engine = self.container_engine.unwrap_or_else(|| "podman".to_owned());
        if !matches!(container_engine.as_str(), "podman" | "docker") {
            return Err(Invalid::new(
                at("container-engine"),
                format!(
                    "`build.container-engine` must be \"podman\" or \"docker\", not \"{}\"",
                    shorten(&container_engine)
                ),
            ));
        }
        let container_image = self.container_image.unwrap_or_else(|| "localhost/specgate-debian12".to_owned());
        let mut sources = BTreeMap::new();
        for (version, raw) in self.sources.unwrap_or_default() {
            let pin = at("sources").key(&version);
            let Some(parsed) = PythonVersion::parse(&version) else {
                return Err(Invalid::new(
                    pin.name(),
                    format!("`build.sources` key `{}` is not a version `X.Y.Z`", shorten(&version)),
                ));
            };
            let sha256 = raw.sha256.to_ascii_lowercase();
            if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Invalid::new(
                    pin.clone().key("sha256"),
                    format!("`build.sources.\"{version}\".sha256` must be 64 hexadecimal digits"),
                ));
            }
            let fingerprint = match raw.fingerprint {
                Some(f) => Some(crate::shared::formats::openpgp_fingerprint(&f).ok_or_else(|| {
                    Invalid::new(
                        pin.clone().key("fingerprint"),
                        format!(
                            "`build.sources.\"{version}\".fingerprint` `{}` is not a fingerprint (40 or 64 hexadecimal digits)",
                            shorten(&f)
                        ),
                    )
                })?),
                None => None,
            };
            if fingerprint.is_some() != raw.public_key.is_some() {
                return Err(Invalid::new(
                    pin.name(),
                    format!("`build.sources.\"{version}\"` needs both `fingerprint` and `public-key`, or neither"),
                ));
            }
            let sigstore = match (raw.sigstore_identity, raw.sigstore_issuer) {
                (Some(identity), Some(issuer)) => Some((identity, issuer)),
                (None, None) => None,
                _ => {
                    return Err(Invalid::new(
                        pin.name(),
                        format!("`build.sources.\"{version}\"` needs both `sigstore-identity` and `sigstore-issuer`"),
                    ))
                }
            };
            let allow_unsigned = raw.allow_unsigned.unwrap_or(false);
            if parsed >= SIGSTORE_ONLY && sigstore.is_none() && !allow_unsigned {
                return Err(Invalid::new(pin.name(), format!(
                    "`build.sources.\"{version}\"` pins no Sigstore signer: CPython 3.14 and later are signed with Sigstore only, and specgate requires that signature for them; add `sigstore-identity` and `sigstore-issuer` (python.org/downloads/metadata/sigstore lists them: `hugo@python.org` with `https://github.com/login/oauth` for 3.14), or set `allow-unsigned = true` to build from the SHA-256 alone"
                )));
            }
            sources.insert(
                version,
                SourcePin {
                    sha256,
                    url: raw.url,
                    signature_url: raw.signature_url,
                    public_key: raw.public_key,
                    fingerprint,
                    sigstore,
                    allow_unsigned,
                },
            );
        }
        if self.sigstore_trusted_root.as_deref().is_some_and(|p| p.trim().is_empty()) {
            return Err(Invalid::new(
                at("sigstore-trusted-root"),
                "`build.sigstore-trusted-root` must be a path to a trusted_root.json",
            ));
        }
        Ok(BuildConfig {
            allowed_os,
            configure_flags,
            modules,
            packages,
            container_engine,
            container_image,
            sigstore_trusted_root: self.sigstore_trusted_root,
            sources,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::shared::config::Config;

    #[test]
    fn defaults_follow_the_seed() {
        let build = Config::defaults().build;
        assert_eq!(build.allowed_os, ["ubuntu20.04", "ubuntu24.04"]);
        assert!(build.configure_flags.contains(&"--enable-optimizations".to_owned()));
        assert_eq!(build.container_image, "localhost/specgate-debian12");
    }

    #[test]
    fn a_314_pin_needs_a_sigstore_signer_unless_unsigned_is_allowed() {
        let pin = |version: &str, extra: &str| {
            format!("[build.sources.\"{version}\"]\nsha256 = \"{}\"\n{extra}", "a".repeat(64))
        };
        let error = Config::parse(&pin("3.14.0", ""), Path::new("specgate.toml")).unwrap_err().to_string();
        assert!(error.contains("`build.sources.\"3.14.0\"` pins no Sigstore signer"), "{error}");
        assert!(error.contains("hugo@python.org"), "{error}");
        // An OpenPGP key is no substitute: 3.14 has no .asc.
        let gpg = "public-key = \"keys/k.asc\"\nfingerprint = \"7169605F62C751356D054A26A821E680E5FA6305\"\n";
        assert!(Config::parse(&pin("3.15.1", gpg), Path::new("specgate.toml")).is_err());
        let signed = "sigstore-identity = \"hugo@python.org\"\nsigstore-issuer = \"https://github.com/login/oauth\"\n";
        assert!(Config::parse(&pin("3.14.0", signed), Path::new("specgate.toml")).is_ok());
        let opted_out = Config::parse(&pin("3.14.0", "allow-unsigned = true\n"), Path::new("specgate.toml")).unwrap();
        assert!(opted_out.build.sources["3.14.0"].allow_unsigned);
        // Older releases may rest on the SHA-256 alone, as 3.11.2 does.
        assert!(Config::parse(&pin("3.13.5", ""), Path::new("specgate.toml")).is_ok());
    }

    #[test]
    fn sources_are_validated() {
        let good = "[build]\nallowed-os = [\"debian12\"]\n[build.sources.\"3.11.2\"]\nsha256 = \"2411C74BDA5BBCFCDDAF4531F66D1ADC73F247F529AEE981B029513AEFDBF849\"\n";
        let build = Config::parse(good, Path::new("specgate.toml")).unwrap().build;
        assert_eq!(build.sources["3.11.2"].sha256, "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849");
        for (text, needle) in [
            ("[build.sources.\"3.11\"]\nsha256 = \"00\"\n", "not a version"),
            ("[build.sources.\"3.11.2\"]\nsha256 = \"00\"\n", "64 hexadecimal"),
            ("[build]\nallowed-os = [\"windows\"]\n", "allowed-os"),
            ("[build]\nconfigure-flags = [\"--enable-shared\"]\n", "--prefix"),
            ("[build]\ncontainer-engine = \"lxc\"\n", "container-engine"),
            ("[build]\nmodules = [\"ssl; rm\"]\n", "not a module"),
            ("[build]\nsigstore-trusted-root = \" \"\n", "sigstore-trusted-root"),
        ] {
            let error = Config::parse(text, Path::new("specgate.toml")).unwrap_err().to_string();
            assert!(error.contains(needle), "{text}: {error}");
        }
    }
}
