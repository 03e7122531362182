//! The Fulcio leaf certificate: its chain to a CA of the trusted root at the signing time,
//! the codeSigning usage, and the identity (SAN) and OIDC issuer it was issued for.

use x509_cert::der::{Decode as _, Encode as _};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAltName};
use x509_cert::spki::ObjectIdentifier;
use x509_cert::Certificate;

use super::root::{format_time, Hash, PublicKey, TrustedRoot};
use super::Error;

const ECDSA_WITH_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const ECDSA_WITH_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
/// Fulcio's OIDC issuer extension (V2): a DER UTF8String.
const FULCIO_ISSUER_V2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.8");
/// Fulcio's legacy issuer extension: the raw string bytes, not DER.
const FULCIO_ISSUER_V1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1.1");

/// The leaf certificate of a bundle, parsed.
#[derive(Debug)]
pub struct Leaf {
    pub certificate: Certificate,
    pub der: Vec<u8>,
    pub key: PublicKey,
}

impl Leaf {
    pub fn parse(der: &[u8]) -> Result<Leaf, Error> {
        let certificate = Certificate::from_der(der)
            .map_err(|e| Error::Certificate { reason: format!("not a DER X.509 certificate: {e}") })?;
        let key = PublicKey::from_spki(certificate.tbs_certificate().subject_public_key_info())
            .map_err(|reason| Error::Certificate { reason })?;
        if matches!(key, PublicKey::Ed25519(_)) {
            return Err(Error::Certificate { reason: "its key is Ed25519; Fulcio leaves are ECDSA".to_owned() });
        }
        Ok(Leaf { certificate, der: der.to_vec(), key })
    }

    /// The leaf was valid at `time`, chains to a Fulcio CA of `root` valid at `time`, and may
    /// sign code. Returns the CA's URI and the DER SubjectPublicKeyInfo of the certificate that
    /// issued the leaf.
    pub fn check_chain(&self, root: &TrustedRoot, time: i64) -> Result<(String, Vec<u8>), Error> {
        let (not_before, not_after) = validity(&self.certificate);
        if time < not_before || time > not_after {
            return Err(Error::Expired {
                signing_time: format_time(time),
                not_before: format_time(not_before),
                not_after: format_time(not_after),
            });
        }
        let mut reasons = Vec::new();
        for ca in &root.authorities {
            if !ca.valid.covers(time) {
                reasons.push(format!("the CA `{}` was not valid then", ca.uri));
                continue;
            }
            match chain_to(&self.certificate, &ca.chain, time) {
                Ok(()) => {
                    self.check_code_signing()?;
                    let issuer = ca.chain[0]
                        .tbs_certificate()
                        .subject_public_key_info()
                        .to_der()
                        .map_err(|e| Error::Certificate { reason: format!("the issuer's key: {e}") })?;
                    return Ok((ca.uri.clone(), issuer));
                }
                Err(reason) => reasons.push(reason),
            }
        }
        Err(Error::Chain {
            origin: root.origin.clone(),
            reason: if reasons.is_empty() { "the trusted root has no CA".to_owned() } else { reasons.join("; ") },
        })
    }

    /// The leaf profile of the Sigstore client specification: not a CA, key usage
    /// digitalSignature when stated, every critical extension one specgate understands, and
    /// the codeSigning extended key usage.
    fn check_code_signing(&self) -> Result<(), Error> {
        let unusable = |reason: String| Error::Certificate { reason };
        if let Some(value) = self.extension(BASIC_CONSTRAINTS) {
            let constraints = BasicConstraints::from_der(value)
                .map_err(|e| unusable(format!("unreadable basic constraints: {e}")))?;
            if constraints.ca {
                return Err(unusable("it is a CA certificate (CA:TRUE), not a signing leaf".to_owned()));
            }
        }
        if let Some(value) = self.extension(KEY_USAGE) {
            let usage = KeyUsage::from_der(value).map_err(|e| unusable(format!("unreadable key usage: {e}")))?;
            if !usage.digital_signature() {
                return Err(unusable("its key usage does not allow digitalSignature".to_owned()));
            }
        }
        let understood = [BASIC_CONSTRAINTS, KEY_USAGE, EXTENDED_KEY_USAGE, SUBJECT_ALT_NAME];
        let extensions = self.certificate.tbs_certificate().extensions().map(|e| e.as_slice()).unwrap_or_default();
        if let Some(unknown) = extensions.iter().find(|e| e.critical && !understood.contains(&e.extn_id)) {
            return Err(unusable(format!(
                "it has a critical extension specgate does not understand ({})",
                unknown.extn_id
            )));
        }
        let usage = self
            .extension(EXTENDED_KEY_USAGE)
            .map(|value| ExtendedKeyUsage::from_der(value).map_err(|e| e.to_string()))
            .transpose()
            .map_err(|e| Error::Certificate { reason: format!("unreadable extended key usage: {e}") })?;
        if usage.is_some_and(|u| u.0.contains(&CODE_SIGNING)) {
            Ok(())
        } else {
            Err(Error::CodeSigning)
        }
    }

    /// The e-mail addresses and URIs of the subject alternative name.
    pub fn identities(&self) -> Result<Vec<String>, Error> {
        let Some(value) = self.extension(SUBJECT_ALT_NAME) else { return Ok(Vec::new()) };
        let names = SubjectAltName::from_der(value)
            .map_err(|e| Error::Certificate { reason: format!("unreadable subject alternative name: {e}") })?;
        Ok(names
            .0
            .iter()
            .filter_map(|name| match name {
                GeneralName::Rfc822Name(text) | GeneralName::UniformResourceIdentifier(text) => {
                    Some(text.as_str().to_owned())
                }
                _ => None,
            })
            .collect())
    }

    /// The OIDC issuer: extension 1.3.6.1.4.1.57264.1.8 (DER UTF8String), else the legacy
    /// 1.3.6.1.4.1.57264.1.1 (raw bytes).
    pub fn issuer(&self) -> Result<Option<String>, Error> {
        if let Some(value) = self.extension(FULCIO_ISSUER_V2) {
            let text = x509_cert::der::asn1::Utf8StringRef::from_der(value)
                .map_err(|e| Error::Certificate { reason: format!("unreadable issuer extension: {e}") })?;
            return Ok(Some(text.as_str().to_owned()));
        }
        Ok(self.extension(FULCIO_ISSUER_V1).map(|value| String::from_utf8_lossy(value).into_owned()))
    }

    fn extension(&self, oid: ObjectIdentifier) -> Option<&[u8]> {
        extension(&self.certificate, oid)
    }
}

fn extension(certificate: &Certificate, oid: ObjectIdentifier) -> Option<&[u8]> {
    certificate.tbs_certificate().extensions()?.iter().find(|e| e.extn_id == oid).map(|e| e.extn_value.as_bytes())
}

/// notBefore and notAfter in seconds since 1970.
fn validity(certificate: &Certificate) -> (i64, i64) {
    let validity = certificate.tbs_certificate().validity();
    let seconds = |t: x509_cert::time::Time| i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX);
    (seconds(validity.not_before), seconds(validity.not_after))
}

fn subject_text(certificate: &Certificate) -> String {
    certificate.tbs_certificate().subject().to_string()
}

/// `leaf` is signed by `chain[0]`, each CA certificate by the next, the last by itself; every
/// CA certificate is a CA and was valid at `time`.
fn chain_to(leaf: &Certificate, chain: &[Certificate], time: i64) -> Result<(), String> {
    let mut child = leaf;
    for issuer in chain {
        issued_by(child, issuer)?;
        let (not_before, not_after) = validity(issuer);
        if time < not_before || time > not_after {
            return Err(format!(
                "the CA certificate `{}` was not valid at {} (valid {} to {})",
                subject_text(issuer),
                format_time(time),
                format_time(not_before),
                format_time(not_after)
            ));
        }
        let is_ca = extension(issuer, BASIC_CONSTRAINTS)
            .and_then(|value| BasicConstraints::from_der(value).ok())
            .is_some_and(|constraints| constraints.ca);
        if !is_ca {
            return Err(format!("the certificate `{}` is not a CA", subject_text(issuer)));
        }
        child = issuer;
    }
    let anchor = chain.last().ok_or("the CA has no certificate")?;
    if anchor.tbs_certificate().issuer() == anchor.tbs_certificate().subject() {
        issued_by(anchor, anchor)?;
    }
    Ok(())
}

/// `child`'s issuer name is `issuer`'s subject and `issuer`'s key made `child`'s signature.
fn issued_by(child: &Certificate, issuer: &Certificate) -> Result<(), String> {
    if child.tbs_certificate().issuer() != issuer.tbs_certificate().subject() {
        return Err(format!(
            "`{}` was issued by `{}`, not by `{}`",
            subject_text(child),
            child.tbs_certificate().issuer(),
            subject_text(issuer)
        ));
    }
    let key = PublicKey::from_spki(issuer.tbs_certificate().subject_public_key_info())?;
    let hash = match child.signature_algorithm().oid {
        oid if oid == ECDSA_WITH_SHA256 => Hash::Sha256,
        oid if oid == ECDSA_WITH_SHA384 => Hash::Sha384,
        oid => return Err(format!("signature algorithm {oid} is not ECDSA with SHA-256 or SHA-384")),
    };
    // x509-cert decodes strict DER only, so encoding the parsed TBS again gives the signed bytes.
    let tbs = child.tbs_certificate().to_der().map_err(|e| format!("cannot encode the certificate: {e}"))?;
    let signature = child.signature().as_bytes().ok_or("the signature bit string is not whole bytes")?;
    if key.verify(hash, &tbs, signature) {
        Ok(())
    } else {
        Err(format!(
            "the signature on `{}` does not verify with the key of `{}`",
            subject_text(child),
            subject_text(issuer)
        ))
    }
}
