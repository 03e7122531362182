//! The signed certificate timestamps (SCTs, RFC 6962) Fulcio embeds in every leaf: proof that
//! the certificate was submitted to a certificate-transparency log of the trusted root, so a
//! certificate issued for the release manager without their knowledge can be found. An SCT
//! signs the precertificate: the leaf's TBSCertificate without the SCT extension, with the
//! SHA-256 of the issuer's public key.

use super::root::{TransparencyLog, TrustedRoot};

/// The SCT list extension (1.3.6.1.4.1.11129.2.4.2), as its DER OID bytes.
const SCT_LIST_OID: &[u8] = &[0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02];

/// One SCT as the TLS encoding holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Sct<'a> {
    log_id: &'a [u8],
    /// Milliseconds since 1970.
    timestamp: u64,
    extensions: &'a [u8],
    signature: &'a [u8],
}

/// Check that `leaf_der` carries an SCT from a CT log of `root` whose signature verifies over the
/// precertificate issued by the key `issuer_spki_der`. A root without CT logs (a private test
/// PKI) has nothing to check against. Returns the log's URL.
pub fn check(leaf_der: &[u8], issuer_spki_der: &[u8], root: &TrustedRoot) -> Result<Option<String>, String> {
    if root.ct_logs.is_empty() {
        return Ok(None);
    }
    let tbs = first_element(leaf_der).ok_or("the certificate is not a DER SEQUENCE")?;
    let (precert, list) = strip_sct_extension(tbs)?;
    let list = list.ok_or("the certificate carries no SCT (certificate-transparency timestamp)")?;
    let scts = parse_list(list)?;
    use sha2::Digest as _;
    let issuer_key_hash = sha2::Sha256::digest(issuer_spki_der);
    let mut seen = Vec::new();
    for sct in &scts {
        let Some(log) = root.ct_logs.iter().find(|log| log.key_id == sct.log_id) else {
            seen.push(format!("unknown log {}", super::rekor::hex(sct.log_id)));
            continue;
        };
        let mut signed = vec![0u8, 0u8];
        signed.extend_from_slice(&sct.timestamp.to_be_bytes());
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&issuer_key_hash);
        let length = u32::try_from(precert.len()).map_err(|_| "the certificate is too large")?;
        signed.extend_from_slice(&length.to_be_bytes()[1..]);
        signed.extend_from_slice(&precert);
        signed.extend_from_slice(&(sct.extensions.len() as u16).to_be_bytes());
        signed.extend_from_slice(sct.extensions);
        if !within(log, sct.timestamp) {
            seen.push(format!("an SCT of `{}` from outside its key's validity", log.base_url));
        } else if log.key.verify(log.key.natural_hash(), &signed, sct.signature) {
            return Ok(Some(log.base_url.clone()));
        } else {
            seen.push(format!("an SCT of `{}` whose signature does not verify", log.base_url));
        }
    }
    Err(format!(
        "no SCT from a certificate-transparency log of the trusted root verifies (found: {})",
        if seen.is_empty() { "none".to_owned() } else { seen.join(", ") }
    ))
}

fn within(log: &TransparencyLog, timestamp_ms: u64) -> bool {
    i64::try_from(timestamp_ms / 1000).is_ok_and(|t| log.valid.covers(t))
}

/// A DER element at the start of `bytes`: (tag, header length, content length).
fn header(bytes: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *bytes.first()?;
    let first = *bytes.get(1)? as usize;
    if first < 0x80 {
        return Some((tag, 2, first));
    }
    let count = first & 0x7f;
    if count == 0 || count > 3 {
        return None;
    }
    let mut length = 0usize;
    for i in 0..count {
        length = (length << 8) | *bytes.get(2 + i)? as usize;
    }
    Some((tag, 2 + count, length))
}

/// The content of the DER element at the start of `bytes`.
fn content(bytes: &[u8]) -> Option<&[u8]> {
    let (_, head, length) = header(bytes)?;
    bytes.get(head..head + length)
}

/// The whole first element inside the SEQUENCE `bytes` (header included).
fn first_element(bytes: &[u8]) -> Option<&[u8]> {
    let inner = content(bytes)?;
    let (_, head, length) = header(inner)?;
    inner.get(..head + length)
}

/// The elements of a DER content, each with its header.
fn elements(mut bytes: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let (_, head, length) = header(bytes)?;
        let end = head.checked_add(length)?;
        out.push(bytes.get(..end)?);
        bytes = &bytes[end..];
    }
    Some(out)
}

/// A DER element with this tag and content.
fn encode(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let length = body.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes: Vec<u8> = length.to_be_bytes().into_iter().skip_while(|b| *b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(body);
    out
}

/// The TBSCertificate without its SCT list extension (the precertificate's TBS), and the TLS
/// bytes of that extension's list.
fn strip_sct_extension(tbs: &[u8]) -> Result<(Vec<u8>, Option<&[u8]>), String> {
    let malformed = || "the certificate's TBSCertificate is not well-formed DER".to_owned();
    let fields = elements(content(tbs).ok_or_else(malformed)?).ok_or_else(malformed)?;
    let mut list = None;
    let mut body = Vec::new();
    for field in fields {
        if field.first() != Some(&0xa3) {
            body.extend_from_slice(field);
            continue;
        }
        // [3] EXPLICIT Extensions ::= SEQUENCE OF Extension
        let sequence = content(field).ok_or_else(malformed)?;
        let extensions = elements(content(sequence).ok_or_else(malformed)?).ok_or_else(malformed)?;
        let mut kept = Vec::new();
        for extension in extensions {
            let parts = elements(content(extension).ok_or_else(malformed)?).ok_or_else(malformed)?;
            if parts.first() == Some(&SCT_LIST_OID) {
                // extnValue OCTET STRING holding a DER OCTET STRING holding the TLS list.
                let value = parts.last().and_then(|v| content(v)).and_then(content).ok_or_else(malformed)?;
                list = Some(value);
            } else {
                kept.extend_from_slice(extension);
            }
        }
        body.extend_from_slice(&encode(0xa3, &encode(0x30, &kept)));
    }
    Ok((encode(0x30, &body), list))
}

/// The first `n` bytes of `bytes`, which then start after them.
fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, rest) = (bytes.get(..n)?, bytes.get(n..)?);
    *bytes = rest;
    Some(head)
}

/// A TLS `SignedCertificateTimestampList`.
fn parse_list(bytes: &[u8]) -> Result<Vec<Sct<'_>>, String> {
    let bad = || "the SCT list is not well-formed".to_owned();
    let mut rest = bytes;
    let total = take(&mut rest, 2).ok_or_else(bad)?;
    let total = u16::from_be_bytes([total[0], total[1]]) as usize;
    let mut list = take(&mut rest, total).ok_or_else(bad)?;
    let mut out = Vec::new();
    while !list.is_empty() {
        let length = take(&mut list, 2).ok_or_else(bad)?;
        let mut sct = take(&mut list, u16::from_be_bytes([length[0], length[1]]) as usize).ok_or_else(bad)?;
        let version = take(&mut sct, 1).ok_or_else(bad)?[0];
        if version != 0 {
            continue;
        }
        let log_id = take(&mut sct, 32).ok_or_else(bad)?;
        let timestamp = u64::from_be_bytes(take(&mut sct, 8).ok_or_else(bad)?.try_into().map_err(|_| bad())?);
        let length = take(&mut sct, 2).ok_or_else(bad)?;
        let extensions = take(&mut sct, u16::from_be_bytes([length[0], length[1]]) as usize).ok_or_else(bad)?;
        let _algorithms = take(&mut sct, 2).ok_or_else(bad)?;
        let length = take(&mut sct, 2).ok_or_else(bad)?;
        let signature = take(&mut sct, u16::from_be_bytes([length[0], length[1]]) as usize).ok_or_else(bad)?;
        out.push(Sct { log_id, timestamp, extensions, signature });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_round_trip() {
        for length in [0usize, 1, 127, 128, 255, 256, 65_535, 65_536] {
            let encoded = encode(0x30, &vec![7u8; length]);
            assert_eq!(header(&encoded), Some((0x30, encoded.len() - length, length)));
            assert_eq!(content(&encoded).map(<[u8]>::len), Some(length));
        }
        assert_eq!(header(&[0x30, 0x84, 1, 2, 3, 4]), None, "lengths over 3 bytes are refused");
        assert_eq!(elements(&[0x02, 0x05, 1]), None, "a truncated element is refused");
    }

    #[test]
    fn a_malformed_sct_list_is_an_error_not_a_panic() {
        for bytes in [&[][..], &[0, 5, 0][..], &[0, 3, 0, 9, 0][..]] {
            assert!(parse_list(bytes).is_err(), "{bytes:?}");
        }
        assert_eq!(parse_list(&[0, 0]).unwrap(), Vec::new());
    }
}
