//! The Sigstore trusted root: the Fulcio certificate authorities and the Rekor log keys that
//! bundles are checked against, read from a `trusted_root.json` in the production schema
//! (`application/vnd.dev.sigstore.trustedroot+json;version=0.1`). The production root is
//! embedded from keys/sigstore-trusted-root.json; CT logs and timestamp authorities are read
//! past, since specgate checks neither SCTs nor RFC 3161 timestamps.

use std::path::Path;

use base64::Engine as _;
use serde::Deserialize;
use x509_cert::der::Decode as _;
use x509_cert::spki::{ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;

use super::Error;
pub use crate::shared::formats::{format_utc_time as format_time, parse_utc_time as parse_time};

/// keys/sigstore-trusted-root.json, from the TUF repository of sigstore.dev (see keys/README.md).
const PRODUCTION: &str = include_str!("../../../keys/sigstore-trusted-root.json");

/// The trusted-root media types of the Sigstore specification, matched exactly: 0.1 (what
/// sigstore.dev publishes today) and 0.2.
const MEDIA_TYPES: &[&str] = &[
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
];

/// A window of validity in seconds since 1970; `end` absent means still valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: i64,
    pub end: Option<i64>,
}

impl Window {
    pub fn covers(&self, time: i64) -> bool {
        self.start <= time && self.end.is_none_or(|end| time <= end)
    }
}

/// A Fulcio certificate authority: its chain from the issuing certificate to the root.
#[derive(Debug, Clone)]
pub struct CertificateAuthority {
    pub uri: String,
    /// Issuing certificate first, root last.
    pub chain: Vec<Certificate>,
    pub valid: Window,
}

/// A Rekor transparency log.
#[derive(Debug, Clone)]
pub struct TransparencyLog {
    pub base_url: String,
    /// `logId.keyId`: the SHA-256 of the key's DER SubjectPublicKeyInfo for Rekor v1 logs.
    pub key_id: Vec<u8>,
    pub key: PublicKey,
    pub valid: Window,
}

/// The Fulcio CAs and Rekor logs specgate trusts.
#[derive(Debug, Clone)]
pub struct TrustedRoot {
    /// Where it came from, for messages: `embedded` or the file's path.
    pub origin: String,
    pub authorities: Vec<CertificateAuthority>,
    pub logs: Vec<TransparencyLog>,
    /// The certificate-transparency logs whose SCTs the Fulcio leaves carry (`ctlogs`).
    pub ct_logs: Vec<TransparencyLog>,
}

/// A verification key: an EC point for ring, or an Ed25519 key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKey {
    P256(Vec<u8>),
    P384(Vec<u8>),
    Ed25519(Vec<u8>),
}

pub const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
pub const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
pub const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
pub const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// The hash an ECDSA signature was made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    Sha256,
    Sha384,
}

impl PublicKey {
    /// Read a SubjectPublicKeyInfo (EC on P-256 or P-384, or Ed25519).
    pub fn from_spki(spki: &SubjectPublicKeyInfoOwned) -> Result<PublicKey, String> {
        let point = spki.subject_public_key.as_bytes().ok_or("the public key bit string is not whole bytes")?.to_vec();
        let algorithm = &spki.algorithm;
        if algorithm.oid == ID_ED25519 {
            return Ok(PublicKey::Ed25519(point));
        }
        if algorithm.oid != ID_EC_PUBLIC_KEY {
            return Err(format!("key algorithm {} is not ECDSA or Ed25519", algorithm.oid));
        }
        let curve = algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok())
            .ok_or("the EC key does not name its curve")?;
        match curve {
            c if c == SECP256R1 => Ok(PublicKey::P256(point)),
            c if c == SECP384R1 => Ok(PublicKey::P384(point)),
            other => Err(format!("EC curve {other} is not P-256 or P-384")),
        }
    }

    /// Read a DER SubjectPublicKeyInfo.
    pub fn from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
        let spki = SubjectPublicKeyInfoOwned::from_der(der).map_err(|e| format!("not a DER public key: {e}"))?;
        PublicKey::from_spki(&spki)
    }

    /// Check `signature` (ASN.1 DER for ECDSA) over `message`, hashed with `hash` (ignored for
    /// Ed25519, which hashes itself).
    pub fn verify(&self, hash: Hash, message: &[u8], signature: &[u8]) -> bool {
        use ring::signature as sig;
        let (algorithm, key): (&dyn sig::VerificationAlgorithm, &[u8]) = match (self, hash) {
            (PublicKey::P256(k), Hash::Sha256) => (&sig::ECDSA_P256_SHA256_ASN1, k),
            (PublicKey::P256(k), Hash::Sha384) => (&sig::ECDSA_P256_SHA384_ASN1, k),
            (PublicKey::P384(k), Hash::Sha256) => (&sig::ECDSA_P384_SHA256_ASN1, k),
            (PublicKey::P384(k), Hash::Sha384) => (&sig::ECDSA_P384_SHA384_ASN1, k),
            (PublicKey::Ed25519(k), _) => (&sig::ED25519, k),
        };
        sig::UnparsedPublicKey::new(algorithm, key).verify(message, signature).is_ok()
    }

    /// The hash a key of this kind signs artifacts with in Sigstore (P-256: SHA-256, P-384: SHA-384).
    pub fn natural_hash(&self) -> Hash {
        match self {
            PublicKey::P384(_) => Hash::Sha384,
            _ => Hash::Sha256,
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawAuthority>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    base_url: String,
    public_key: RawKey,
    log_id: RawLogId,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: String,
    valid_for: Option<RawWindow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAuthority {
    #[serde(default)]
    uri: String,
    cert_chain: RawChain,
    valid_for: Option<RawWindow>,
}

#[derive(Deserialize)]
pub(super) struct RawChain {
    pub(super) certificates: Vec<RawBytes>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RawBytes {
    pub(super) raw_bytes: String,
}

#[derive(Deserialize)]
struct RawWindow {
    start: Option<String>,
    end: Option<String>,
}

impl TrustedRoot {
    /// The production root of sigstore.dev, embedded at build time.
    pub fn production() -> Result<TrustedRoot, Error> {
        TrustedRoot::parse(PRODUCTION, "embedded")
    }

    /// A trusted_root.json file (another Sigstore instance, or a newer copy of production).
    pub fn from_file(path: &Path) -> Result<TrustedRoot, Error> {
        // Production's is 8 KiB; a FIFO or device named here is refused at once.
        let text = crate::shared::readfile::text(path, 4 * 1024 * 1024)
            .map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
        TrustedRoot::parse(&text, &path.display().to_string())
    }

    /// Parse trusted_root.json text; `origin` names it in errors.
    pub fn parse(text: &str, origin: &str) -> Result<TrustedRoot, Error> {
        let fail = |reason: String| Error::TrustedRoot { origin: origin.to_owned(), reason };
        let raw: RawRoot = serde_json::from_str(text).map_err(|e| fail(format!("not valid JSON: {e}")))?;
        if !MEDIA_TYPES.contains(&raw.media_type.as_str()) {
            return Err(fail(format!("media type `{}` is not a Sigstore trusted root", raw.media_type)));
        }
        let mut authorities = Vec::new();
        for (i, ca) in raw.certificate_authorities.iter().enumerate() {
            let mut chain = Vec::new();
            for (j, cert) in ca.cert_chain.certificates.iter().enumerate() {
                let der = decode_base64(&cert.raw_bytes)
                    .map_err(|e| fail(format!("certificateAuthorities[{i}] certificate {j}: {e}")))?;
                let cert = Certificate::from_der(&der)
                    .map_err(|e| fail(format!("certificateAuthorities[{i}] certificate {j}: not DER X.509: {e}")))?;
                chain.push(cert);
            }
            if chain.is_empty() {
                return Err(fail(format!("certificateAuthorities[{i}] has no certificate")));
            }
            let valid = window(ca.valid_for.as_ref()).map_err(|e| fail(format!("certificateAuthorities[{i}]: {e}")))?;
            authorities.push(CertificateAuthority { uri: ca.uri.clone(), chain, valid });
        }
        // `skip_unreadable`: staging's first CT log has an RSA (PKCS#1) key; Fulcio's SCTs are
        // ECDSA, so such a log can vouch for nothing specgate checks and is left out.
        let read_logs = |raw: &[RawLog], field: &str, skip_unreadable: bool| -> Result<Vec<TransparencyLog>, Error> {
            let mut logs = Vec::new();
            for (i, log) in raw.iter().enumerate() {
                let der =
                    decode_base64(&log.public_key.raw_bytes).map_err(|e| fail(format!("{field}[{i}] key: {e}")))?;
                let key = match PublicKey::from_spki_der(&der) {
                    Ok(key) => key,
                    Err(_) if skip_unreadable => continue,
                    Err(e) => return Err(fail(format!("{field}[{i}] key: {e}"))),
                };
                let key_id = decode_base64(&log.log_id.key_id).map_err(|e| fail(format!("{field}[{i}] logId: {e}")))?;
                let valid = window(log.public_key.valid_for.as_ref())
                    .map_err(|e| fail(format!("{field}[{i}] validFor: {e}")))?;
                logs.push(TransparencyLog { base_url: log.base_url.clone(), key_id, key, valid });
            }
            Ok(logs)
        };
        let logs = read_logs(&raw.tlogs, "tlogs", false)?;
        let ct_logs = read_logs(&raw.ctlogs, "ctlogs", true)?;
        if authorities.is_empty() || logs.is_empty() {
            return Err(fail("it names no Fulcio certificate authority or no Rekor log".to_owned()));
        }
        Ok(TrustedRoot { origin: origin.to_owned(), authorities, logs, ct_logs })
    }

    /// The log whose key id is `key_id`.
    pub fn log(&self, key_id: &[u8]) -> Option<&TransparencyLog> {
        self.logs.iter().find(|log| log.key_id == key_id)
    }
}

fn window(raw: Option<&RawWindow>) -> Result<Window, String> {
    let start = match raw.and_then(|w| w.start.as_deref()) {
        Some(text) => parse_time(text).ok_or_else(|| format!("`{text}` is not an RFC 3339 time"))?,
        None => i64::MIN,
    };
    let end = match raw.and_then(|w| w.end.as_deref()) {
        Some(text) => Some(parse_time(text).ok_or_else(|| format!("`{text}` is not an RFC 3339 time"))?),
        None => None,
    };
    Ok(Window { start, end })
}

/// Standard base64 with padding, the protobuf JSON encoding of bytes; URL-safe accepted too.
pub fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE};
    STANDARD.decode(text.trim()).or_else(|_| URL_SAFE.decode(text.trim())).map_err(|e| format!("not base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_production_root_has_the_fulcio_cas_and_the_rekor_key() {
        let root = TrustedRoot::production().unwrap();
        let fulcio: Vec<_> = root.authorities.iter().filter(|ca| ca.uri == "https://fulcio.sigstore.dev").collect();
        assert_eq!(fulcio.len(), 2, "{:?}", root.authorities.iter().map(|c| &c.uri).collect::<Vec<_>>());
        // The current CA: intermediate and root, open-ended since 2022-04-13.
        let current = fulcio.iter().find(|ca| ca.valid.end.is_none()).unwrap();
        assert_eq!(current.chain.len(), 2);
        assert_eq!(current.valid.start, parse_time("2022-04-13T20:06:15Z").unwrap());
        let rekor_id = "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d";
        let id = crate::shared::artifact::sidecar::Digest::from_hex(rekor_id).unwrap();
        let log = root.log(&id.0).expect("the Rekor v1 key");
        assert_eq!(log.base_url, "https://rekor.sigstore.dev");
        assert!(matches!(log.key, PublicKey::P256(_)));
        // The key id is the SHA-256 of the key's DER SubjectPublicKeyInfo.
        let raw: serde_json::Value = serde_json::from_str(PRODUCTION).unwrap();
        let der = decode_base64(raw["tlogs"][0]["publicKey"]["rawBytes"].as_str().unwrap()).unwrap();
        use sha2::Digest as _;
        assert_eq!(sha2::Sha256::digest(&der).as_slice(), id.0);
    }

    #[test]
    fn a_broken_trusted_root_is_a_clear_error() {
        for (text, needle) in [
            ("{", "not valid JSON"),
            (r#"{"mediaType":"application/json"}"#, "not a Sigstore trusted root"),
            // A prefix of a real media type is not one.
            (r#"{"mediaType":"application/vnd.dev.sigstore.trustedrootX"}"#, "not a Sigstore trusted root"),
            (r#"{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1"}"#, "no Fulcio"),
        ] {
            let error = TrustedRoot::parse(text, "t.json").unwrap_err().to_string();
            assert!(error.contains(needle) && error.contains("`t.json`"), "{error}");
        }
    }
}
