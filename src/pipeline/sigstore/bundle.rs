//! The Sigstore bundle JSON (the protobuf-specs `Bundle` in its JSON mapping): media types
//! 0.1, 0.2 and 0.3, the leaf certificate, the message signature and the tlog entries. Only
//! reading and shape checks live here; what the fields prove is checked in `cert` and `rekor`.

use std::path::Path;

use serde::{Deserialize, Deserializer};

use super::root::{decode_base64, RawBytes, RawChain};
use super::Error;

/// The media types specgate reads.
pub const MEDIA_TYPES: &[&str] = &[
    "application/vnd.dev.sigstore.bundle+json;version=0.1",
    "application/vnd.dev.sigstore.bundle+json;version=0.2",
    "application/vnd.dev.sigstore.bundle.v0.3+json",
];

/// A bundle is a few kilobytes; anything far larger is not one.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// What a bundle claims, decoded, before anything is checked.
#[derive(Debug)]
pub struct Bundle {
    pub leaf_der: Vec<u8>,
    pub signature: Vec<u8>,
    /// `messageDigest` (SHA2_256), when the bundle has one.
    pub digest: Option<Vec<u8>>,
    pub entries: Vec<TlogEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawBundle {
    verification_material: RawMaterial,
    message_signature: Option<RawMessageSignature>,
    dsse_envelope: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMaterial {
    certificate: Option<RawBytes>,
    x509_certificate_chain: Option<RawChain>,
    public_key: Option<serde_json::Value>,
    #[serde(default)]
    tlog_entries: Vec<TlogEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawMessageSignature {
    message_digest: Option<RawDigest>,
    signature: String,
}

#[derive(Deserialize)]
struct RawDigest {
    algorithm: String,
    digest: String,
}

/// One `tlogEntries[]` element, as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TlogEntry {
    #[serde(deserialize_with = "integer")]
    pub log_index: u64,
    pub log_id: LogId,
    pub kind_version: Option<KindVersion>,
    #[serde(default, deserialize_with = "integer")]
    pub integrated_time: u64,
    pub inclusion_promise: Option<Promise>,
    pub inclusion_proof: Option<Proof>,
    pub canonicalized_body: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    pub key_id: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct KindVersion {
    pub kind: String,
    pub version: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Promise {
    pub signed_entry_timestamp: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Proof {
    /// The index inside this log shard's tree (the entry's `logIndex` counts across shards).
    #[serde(deserialize_with = "integer")]
    pub log_index: u64,
    pub root_hash: String,
    #[serde(deserialize_with = "integer")]
    pub tree_size: u64,
    #[serde(default)]
    pub hashes: Vec<String>,
    pub checkpoint: Option<Checkpoint>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Checkpoint {
    pub envelope: String,
}

/// protobuf JSON writes int64 as a string; accept a number too.
fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Integer {
        Number(u64),
        Text(String),
    }
    match Integer::deserialize(deserializer)? {
        Integer::Number(n) => Ok(n),
        Integer::Text(text) => {
            text.parse().map_err(|_| serde::de::Error::custom(format!("`{text}` is not an integer")))
        }
    }
}

/// Read and decode the bundle at `path`.
pub fn read(path: &Path) -> Result<Bundle, Error> {
    // Only a regular file: opening a FIFO for reading would wait for a writer.
    let text = crate::shared::readfile::text(path, MAX_BYTES)
        .map_err(|source| Error::Read { path: path.to_path_buf(), source })?;
    parse(&text, path)
}

/// Decode bundle JSON; `path` names it in errors.
pub fn parse(text: &str, path: &Path) -> Result<Bundle, Error> {
    let fail = |reason: String| Error::Bundle { path: path.to_path_buf(), reason };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| fail(format!("not valid JSON: {e}")))?;
    let media_type = value.get("mediaType").and_then(|m| m.as_str()).ok_or_else(|| fail("no `mediaType`".into()))?;
    if !MEDIA_TYPES.contains(&media_type) {
        return Err(Error::MediaType { path: path.to_path_buf(), found: media_type.to_owned() });
    }
    let raw: RawBundle = serde_json::from_value(value).map_err(|e| fail(e.to_string()))?;
    let material = raw.verification_material;
    let Some(message) = raw.message_signature else {
        if raw.dsse_envelope.is_some() {
            return Err(Error::Dsse { path: path.to_path_buf() });
        }
        return Err(fail("no `messageSignature`".into()));
    };
    let leaf = match (&material.certificate, &material.x509_certificate_chain) {
        (Some(cert), _) => &cert.raw_bytes,
        (None, Some(chain)) => {
            &chain.certificates.first().ok_or_else(|| fail("`x509CertificateChain` is empty".into()))?.raw_bytes
        }
        (None, None) if material.public_key.is_some() => {
            return Err(fail("it is signed with a bare public key, not a Fulcio certificate (keyless identity)".into()))
        }
        (None, None) => return Err(fail("`verificationMaterial` has no certificate".into())),
    };
    let leaf_der = decode_base64(leaf).map_err(|e| fail(format!("certificate: {e}")))?;
    let signature = decode_base64(&message.signature).map_err(|e| fail(format!("messageSignature.signature: {e}")))?;
    let digest = match message.message_digest {
        Some(d) if d.algorithm == "SHA2_256" => {
            Some(decode_base64(&d.digest).map_err(|e| fail(format!("messageSignature.messageDigest: {e}")))?)
        }
        Some(d) => return Err(fail(format!("message digest algorithm `{}` is not SHA2_256", d.algorithm))),
        None => None,
    };
    Ok(Bundle { leaf_der, signature, digest, entries: material.tlog_entries })
}
