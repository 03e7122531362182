//! Rekor (v1) transparency-log entries of a bundle, offline: the hashedrekord body must
//! describe this signature, certificate and artifact; the signed entry timestamp (SET) must be
//! signed by the log's key; an inclusion proof must lead to the root hash of a checkpoint the
//! log signed. At least one of SET and proof must verify, and neither may be present and wrong.

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

use super::bundle::{Proof, TlogEntry};
use super::root::{decode_base64, format_time, TransparencyLog, TrustedRoot};
use super::Error;
use crate::shared::artifact::sidecar::Digest;

/// What one verified log entry proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    pub log_index: u64,
    pub log_url: String,
    /// `integratedTime`: when the log took the entry, the signing time for the certificate.
    pub integrated_time: i64,
    pub promise: bool,
    pub proof: bool,
}

/// The first entry whose log the root trusts and that verifies; else the first entry's error.
pub fn verify_entries(
    entries: &[TlogEntry],
    root: &TrustedRoot,
    leaf_der: &[u8],
    signature: &[u8],
    sha256: &Digest,
) -> Result<Evidence, Error> {
    let mut first_error = None;
    let mut unknown = Vec::new();
    for entry in entries {
        let key_id = decode_base64(&entry.log_id.key_id).unwrap_or_default();
        let Some(log) = root.log(&key_id) else {
            unknown.push(hex(&key_id));
            continue;
        };
        match verify_entry(entry, log, leaf_der, signature, sha256) {
            Ok(evidence) => return Ok(evidence),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None if unknown.is_empty() => Err(Error::NoLogEntry),
        None => Err(Error::UnknownLog { key_ids: unknown, origin: root.origin.clone() }),
    }
}

fn verify_entry(
    entry: &TlogEntry,
    log: &TransparencyLog,
    leaf_der: &[u8],
    signature: &[u8],
    sha256: &Digest,
) -> Result<Evidence, Error> {
    let log_index = entry.log_index;
    let body = decode_base64(&entry.canonicalized_body)
        .map_err(|e| Error::Body { log_index, reason: format!("canonicalizedBody: {e}") })?;
    check_body(&body, entry, leaf_der, signature, sha256).map_err(|reason| Error::Body { log_index, reason })?;
    let integrated_time = i64::try_from(entry.integrated_time).unwrap_or(i64::MAX);
    if integrated_time <= 0 {
        return Err(Error::Body { log_index, reason: "the entry has no integratedTime".to_owned() });
    }
    if !log.valid.covers(integrated_time) {
        return Err(Error::LogWindow { log_index, log: log.base_url.clone(), time: format_time(integrated_time) });
    }
    let promise = match &entry.inclusion_promise {
        Some(promise) => {
            check_promise(entry, log, &promise.signed_entry_timestamp)
                .map_err(|reason| Error::Promise { log_index, reason })?;
            true
        }
        None => false,
    };
    // A proof counts when a checkpoint signed by the log vouches for its root hash. Bundles of
    // media type 0.1 (python.org's for 3.12 and 3.13) carry a proof without a checkpoint: its
    // path must still lead to the stated root, but only the signed entry timestamp is evidence.
    let proof = match &entry.inclusion_proof {
        Some(proof) => {
            check_proof(proof, &body).map_err(|reason| Error::Proof { log_index, reason })?;
            match &proof.checkpoint {
                Some(checkpoint) => {
                    check_checkpoint(&checkpoint.envelope, log, proof)
                        .map_err(|reason| Error::Checkpoint { log_index, reason })?;
                    true
                }
                None => false,
            }
        }
        None => false,
    };
    if !promise && !proof {
        return Err(Error::Unlogged { log_index });
    }
    // The signing time is the one the certificate, its CA and the log key must be valid at.
    // Only the SET signs `integratedTime`; a checkpoint proves inclusion, not when. Without it
    // a leaked short-lived key could sign later and backdate the entry (sigstore-python and
    // sigstore-go refuse such a bundle too). RFC 3161 timestamps would be another source; they
    // are not verified, so they cannot stand in for the SET.
    if !promise {
        return Err(Error::UnsignedTime { log_index });
    }
    Ok(Evidence { log_index, log_url: log.base_url.clone(), integrated_time, promise, proof })
}

/// The body is a hashedrekord 0.0.1 of exactly this signature, certificate and digest.
fn check_body(
    body: &[u8],
    entry: &TlogEntry,
    leaf_der: &[u8],
    signature: &[u8],
    sha256: &Digest,
) -> Result<(), String> {
    let body: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("not JSON: {e}"))?;
    let text = |pointer: &str| body.pointer(pointer).and_then(|v| v.as_str()).unwrap_or("");
    let (kind, version) = (text("/kind"), text("/apiVersion"));
    if kind != "hashedrekord" || version != "0.0.1" {
        return Err(format!(
            "the entry is `{kind}` {version}; specgate reads `hashedrekord` 0.0.1 entries (Rekor v1) only"
        ));
    }
    if let Some(stated) = &entry.kind_version {
        if stated.kind != kind || stated.version != version {
            return Err(format!("kindVersion says `{}` {}, the body `{kind}` {version}", stated.kind, stated.version));
        }
    }
    let logged_signature = decode_base64(text("/spec/signature/content")).map_err(|e| format!("signature: {e}"))?;
    if logged_signature != signature {
        return Err("the logged signature is not the bundle's messageSignature".to_owned());
    }
    let pem = decode_base64(text("/spec/signature/publicKey/content")).map_err(|e| format!("publicKey: {e}"))?;
    let logged_certificate =
        pem_to_der(&String::from_utf8_lossy(&pem)).ok_or("the logged publicKey is not a PEM certificate")?;
    if logged_certificate != leaf_der {
        return Err("the logged certificate is not the bundle's certificate".to_owned());
    }
    let (algorithm, value) = (text("/spec/data/hash/algorithm"), text("/spec/data/hash/value"));
    if algorithm != "sha256" || !value.eq_ignore_ascii_case(&sha256.to_hex()) {
        return Err(format!("the logged digest is {algorithm}:{value}, the artifact's sha256:{}", sha256.to_hex()));
    }
    Ok(())
}

/// The base64 of one `-----BEGIN CERTIFICATE-----` block.
fn pem_to_der(pem: &str) -> Option<Vec<u8>> {
    let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
    let base64: String = pem[start..end].chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(base64).ok()
}

/// The SET: the log's signature over `{"body":..,"integratedTime":..,"logID":..,"logIndex":..}`
/// (keys sorted, no spaces), the canonical JSON Rekor signs.
fn check_promise(entry: &TlogEntry, log: &TransparencyLog, set: &str) -> Result<(), String> {
    let signature = decode_base64(set).map_err(|e| format!("signedEntryTimestamp: {e}"))?;
    let payload = promise_payload(&entry.canonicalized_body, entry.integrated_time, &log.key_id, entry.log_index);
    if log.key.verify(log.key.natural_hash(), payload.as_bytes(), &signature) {
        Ok(())
    } else {
        Err(format!("the signed entry timestamp does not verify with the key of `{}`", log.base_url))
    }
}

/// The bytes a Rekor v1 SET signs.
pub fn promise_payload(body: &str, integrated_time: u64, key_id: &[u8], log_index: u64) -> String {
    let body = serde_json::Value::String(body.to_owned());
    format!(r#"{{"body":{body},"integratedTime":{integrated_time},"logID":"{}","logIndex":{log_index}}}"#, hex(key_id))
}

/// RFC 6962 leaf hash.
pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    Sha256::new().chain_update([0u8]).chain_update(data).finalize().into()
}

/// RFC 6962 interior node hash.
pub fn node_hash(left: &[u8], right: &[u8]) -> [u8; 32] {
    Sha256::new().chain_update([1u8]).chain_update(left).chain_update(right).finalize().into()
}

/// The root an audit path leads to (RFC 9162 section 2.1.3.2).
pub fn root_from_path(index: u64, size: u64, leaf: [u8; 32], path: &[[u8; 32]]) -> Result<[u8; 32], String> {
    if index >= size {
        return Err(format!("index {index} is outside a tree of size {size}"));
    }
    let (mut f_n, mut s_n) = (index, size - 1);
    let mut hash = leaf;
    for sibling in path {
        if s_n == 0 {
            return Err(format!("the path has {} hashes, more than a tree of size {size} needs", path.len()));
        }
        if f_n & 1 == 1 || f_n == s_n {
            hash = node_hash(sibling, &hash);
            if f_n & 1 == 0 {
                while f_n & 1 == 0 && f_n != 0 {
                    f_n >>= 1;
                    s_n >>= 1;
                }
            }
        } else {
            hash = node_hash(&hash, sibling);
        }
        f_n >>= 1;
        s_n >>= 1;
    }
    if s_n != 0 {
        return Err(format!("the path has {} hashes, fewer than a tree of size {size} needs", path.len()));
    }
    Ok(hash)
}

fn check_proof(proof: &Proof, body: &[u8]) -> Result<(), String> {
    let mut path = Vec::with_capacity(proof.hashes.len());
    for (i, text) in proof.hashes.iter().enumerate() {
        let bytes = decode_base64(text).map_err(|e| format!("hashes[{i}]: {e}"))?;
        path.push(<[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| format!("hashes[{i}] is not 32 bytes"))?);
    }
    let expected = decode_base64(&proof.root_hash).map_err(|e| format!("rootHash: {e}"))?;
    let computed = root_from_path(proof.log_index, proof.tree_size, leaf_hash(body), &path)?;
    if computed[..] == expected[..] {
        Ok(())
    } else {
        Err(format!(
            "the audit path for index {} in a tree of size {} leads to {}, not to the stated root hash {}",
            proof.log_index,
            proof.tree_size,
            hex(&computed),
            hex(&expected)
        ))
    }
}

/// The checkpoint is a signed note whose body (origin, size, base64 root hash, other lines)
/// the log's key signed, with the same size and root hash as the proof.
fn check_checkpoint(envelope: &str, log: &TransparencyLog, proof: &Proof) -> Result<(), String> {
    let split = envelope.find("\n\n").ok_or("the checkpoint has no blank line before its signatures")?;
    let (body, signatures) = (&envelope[..=split], &envelope[split + 2..]);
    let mut lines = body.lines();
    let origin = lines.next().filter(|l| !l.is_empty()).ok_or("the checkpoint has no origin line")?;
    // Rekor v1 names its checkpoints `<host> - <tree id>`: a checkpoint of another log (or of
    // another tree of it, signed with a shared key) must not vouch for this one's root.
    let host = log.base_url.split("://").nth(1).unwrap_or(&log.base_url).trim_end_matches('/');
    if origin != host && !origin.starts_with(&format!("{host} - ")) {
        return Err(format!("the checkpoint's origin is `{origin}`, not the log `{host}`"));
    }
    let size: u64 =
        lines.next().and_then(|l| l.parse().ok()).ok_or("the checkpoint's second line is not a tree size")?;
    let root = lines
        .next()
        .and_then(|l| decode_base64(l).ok())
        .ok_or("the checkpoint's third line is not a base64 root hash")?;
    if size != proof.tree_size {
        return Err(format!("the checkpoint is for tree size {size}, the proof for {}", proof.tree_size));
    }
    let proof_root = decode_base64(&proof.root_hash).map_err(|e| format!("rootHash: {e}"))?;
    if root != proof_root {
        return Err(format!("the checkpoint's root hash {} is not the proof's {}", hex(&root), hex(&proof_root)));
    }
    let hint = log.key_id.get(..4).unwrap_or_default();
    let mut names = Vec::new();
    for line in signatures.lines().filter(|l| !l.is_empty()) {
        let Some(rest) = line.strip_prefix("\u{2014} ") else {
            return Err(format!("`{line}` is not a note signature line (`\u{2014} <name> <base64>`)"));
        };
        let Some((name, encoded)) = rest.rsplit_once(' ') else { continue };
        names.push(name.to_owned());
        let Ok(bytes) = decode_base64(encoded) else { continue };
        if bytes.len() > 4 && &bytes[..4] == hint {
            return if log.key.verify(log.key.natural_hash(), body.as_bytes(), &bytes[4..]) {
                Ok(())
            } else {
                Err(format!("the checkpoint signature by `{name}` does not verify with the key of `{}`", log.base_url))
            };
        }
    }
    Err(format!(
        "the checkpoint is not signed by the key of `{}` (key id {}); signed by: {}",
        log.base_url,
        hex(&log.key_id),
        if names.is_empty() { "nobody".to_owned() } else { names.join(", ") }
    ))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::sigstore::testing::{audit_path, tree_hash};

    /// The recursive RFC 6962 definitions in `testing` are the reference for the iterative check.
    #[test]
    fn audit_paths_of_every_leaf_of_trees_up_to_33_lead_to_the_root() {
        for size in 1..=33usize {
            let leaves: Vec<[u8; 32]> = (0..size).map(|i| leaf_hash(format!("entry {i}").as_bytes())).collect();
            let root = tree_hash(&leaves);
            for index in 0..size {
                let path = audit_path(index, &leaves);
                let computed = root_from_path(index as u64, size as u64, leaves[index], &path).unwrap();
                assert_eq!(computed, root, "size {size} index {index}");
                if size > 1 {
                    // A wrong index, a shortened path or a changed sibling does not lead there.
                    let other = (index + 1) % size;
                    assert_ne!(root_from_path(other as u64, size as u64, leaves[index], &path).ok(), Some(root));
                    assert!(root_from_path(index as u64, size as u64, leaves[index], &path[1..]).is_err());
                    let mut changed = path.clone();
                    changed[0][0] ^= 1;
                    assert_ne!(root_from_path(index as u64, size as u64, leaves[index], &changed).unwrap(), root);
                }
            }
            assert!(root_from_path(size as u64, size as u64, leaves[0], &[]).is_err());
        }
    }

    #[test]
    fn the_promise_payload_is_rekors_canonical_json() {
        let payload = promise_payload("eyJh", 1_700_000_000, &[0xc0, 0xd2], 42);
        assert_eq!(payload, r#"{"body":"eyJh","integratedTime":1700000000,"logID":"c0d2","logIndex":42}"#);
    }

    #[test]
    fn pem_blocks_are_read_whatever_the_line_breaks() {
        let der = b"certificate bytes".to_vec();
        let encoded = base64::engine::general_purpose::STANDARD.encode(&der);
        let pem =
            format!("-----BEGIN CERTIFICATE-----\n{}\n{}\n-----END CERTIFICATE-----\n", &encoded[..10], &encoded[10..]);
        assert_eq!(pem_to_der(&pem), Some(der));
        assert_eq!(pem_to_der("no pem"), None);
    }
}
