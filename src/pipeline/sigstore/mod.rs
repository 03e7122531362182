//! Offline verification of Sigstore bundles, the signatures of CPython 3.14 and later (and,
//! beside OpenPGP, of 3.12 and 3.13): python.org publishes `Python-X.Y.Z.tgz.sigstore` beside
//! each tarball. Nothing is fetched: the bundle is checked against a pinned trusted root
//! (`root`: the embedded production root of sigstore.dev, or a file).
//!
//! A `messageSignature` bundle (media type 0.1, 0.2 or 0.3) is accepted when:
//! - its leaf certificate chains to a Fulcio CA of the root (every signature up to the root,
//!   every CA certificate a CA), the CA's `validFor` and every certificate's validity cover
//!   the signing time (the log entry's `integratedTime`), and it allows codeSigning (`cert`);
//! - a SAN (e-mail or URI) equals the pinned identity and the Fulcio issuer extension
//!   (1.3.6.1.4.1.57264.1.8, else the legacy .1.1) equals the pinned issuer;
//! - `messageDigest` equals the artifact's SHA-256 and the signature verifies over that SHA-256
//!   with the leaf's key (ECDSA P-256 or P-384; the digest is SHA-256 for both, as Rekor's
//!   hashedrekord records it and as sigstore-python, which signs CPython releases, signs);
//! - a tlog entry of a Rekor log of the root is a hashedrekord 0.0.1 of exactly this signature,
//!   certificate and digest, with a valid signed entry timestamp or a valid inclusion proof up
//!   to a checkpoint signed by the log (`rekor`); whatever is present must verify (a 0.1
//!   bundle's proof has no checkpoint: its path is checked, the timestamp is the evidence).
//!
//! The signing time is the entry's `integratedTime`, and it counts only with a verified SET:
//! a bundle with an inclusion proof and no SET is refused, because nothing signs its time.
//!
//! The leaf's SCT must be from a CT log of the root and verify over the precertificate (`sct`).
//!
//! Known gaps: RFC 3161 timestamps are not checked (so they cannot replace the SET); DSSE envelopes (attestations) and Rekor v2 entries (hashedrekord
//! 0.0.2, Ed25519 checkpoints only) are refused with a clear error. The signature check reads
//! the artifact into memory, because ring verifies over the message and has no prehashed
//! ECDSA; the digest is computed streaming first, so a wrong file is refused before that.
//!
//! spec[impl SPEC_INFRA_001]

mod bundle;
mod cert;
pub mod rekor;
pub mod root;
mod sct;

#[cfg(test)]
pub(crate) mod testing;

use std::path::{Path, PathBuf};

pub use bundle::MEDIA_TYPES;
pub use root::TrustedRoot;

use crate::shared::artifact::sidecar;

/// What a verified bundle proves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// The pinned identity, found in the certificate's SAN.
    pub identity: String,
    /// The pinned OIDC issuer, found in the certificate.
    pub issuer: String,
    /// The artifact's SHA-256, lowercase hex.
    pub sha256: String,
    /// The Fulcio CA that issued the certificate.
    pub certificate_authority: String,
    /// The Rekor entry: index, log, time, and which proofs verified.
    pub log: rekor::Evidence,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not read `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a usable Sigstore bundle: {reason}", path.display())]
    Bundle { path: PathBuf, reason: String },
    #[error("`{}` has media type `{found}`, not one of the Sigstore bundle versions specgate reads (0.1, 0.2, 0.3)", path.display())]
    MediaType { path: PathBuf, found: String },
    #[error("`{}` holds a DSSE envelope (an attestation), not a signature of a file", path.display())]
    Dsse { path: PathBuf },
    #[error("the Sigstore trusted root `{origin}` is unusable: {reason}")]
    TrustedRoot { origin: String, reason: String },
    #[error("the signing certificate in the bundle is unusable: {reason}")]
    Certificate { reason: String },
    #[error("the signing certificate does not chain to a Fulcio CA of the trusted root `{origin}`: {reason}")]
    Chain { origin: String, reason: String },
    #[error(
        "the signing certificate was not valid at the signing time {signing_time} (valid {not_before} to {not_after})"
    )]
    Expired { signing_time: String, not_before: String, not_after: String },
    #[error("the signing certificate is not for code signing (no codeSigning extended key usage)")]
    CodeSigning,
    #[error("the bundle was signed by {}, not by the pinned `{expected}`", if found.is_empty() { "a certificate without e-mail or URI identity".to_owned() } else { found.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ") })]
    Identity { expected: String, found: Vec<String> },
    #[error("the signer's identity was issued by {}, not by the pinned `{expected}`", found.as_deref().map_or("an unnamed OIDC issuer".to_owned(), |f| format!("`{f}`")))]
    Issuer { expected: String, found: Option<String> },
    #[error("`{}` has SHA-256 {actual}, but the bundle signs {expected}", path.display())]
    Digest { path: PathBuf, expected: String, actual: String },
    #[error("the bundle's signature does not verify over `{}` with the certificate's key", path.display())]
    Signature { path: PathBuf },
    #[error("the bundle has no transparency-log (Rekor) entry")]
    NoLogEntry,
    #[error("the bundle's log entries are in logs the trusted root `{origin}` does not list (key id {})", key_ids.join(", "))]
    UnknownLog { key_ids: Vec<String>, origin: String },
    #[error("Rekor entry {log_index} was integrated at {time}, outside the validity of the key of `{log}` in the trusted root")]
    LogWindow { log_index: u64, log: String, time: String },
    #[error("Rekor entry {log_index} does not match the bundle: {reason}")]
    Body { log_index: u64, reason: String },
    #[error("Rekor entry {log_index}: inclusion promise (SET) check failed: {reason}")]
    Promise { log_index: u64, reason: String },
    #[error("Rekor entry {log_index}: inclusion proof check failed: {reason}")]
    Proof { log_index: u64, reason: String },
    #[error("Rekor entry {log_index}: checkpoint check failed: {reason}")]
    Checkpoint { log_index: u64, reason: String },
    #[error("Rekor entry {log_index} has neither an inclusion promise (SET) nor an inclusion proof")]
    Unlogged { log_index: u64 },
    #[error("the signing certificate's transparency proof failed: {reason}")]
    Sct { reason: String },
    #[error("Rekor entry {log_index} has no verified source of time: it carries an inclusion proof but no signed entry timestamp (SET), so nothing signs its integratedTime, the time the certificate must have been valid at")]
    UnsignedTime { log_index: u64 },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::Read { .. } => "check that the file exists and that you may read it".to_owned(),
            Error::Bundle { .. } | Error::MediaType { .. } => "use the `.sigstore` bundle python.org publishes beside the tarball (`Python-X.Y.Z.tgz.sigstore`); download it again".to_owned(),
            Error::Dsse { .. } => "pass the bundle that signs the tarball itself (`sigstore sign` output for the file), not an attestation".to_owned(),
            Error::TrustedRoot { .. } => "fix or remove `[build] sigstore-trusted-root`; without it the embedded production root is used (keys/README.md says how to refresh it)".to_owned(),
            Error::Chain { .. } | Error::UnknownLog { .. } | Error::LogWindow { .. } => "if Sigstore rotated its keys, refresh keys/sigstore-trusted-root.json (keys/README.md) or point `[build] sigstore-trusted-root` at a newer trusted_root.json; otherwise do not use this source".to_owned(),
            Error::Identity { .. } | Error::Issuer { .. } => "the source was signed by someone else than the pinned release manager; check `sigstore-identity` and `sigstore-issuer` against python.org/downloads/metadata/sigstore before changing them".to_owned(),
            Error::Digest { .. } | Error::Signature { .. } => "do not use this file: download the tarball and its `.sigstore` bundle again from python.org and verify again".to_owned(),
            Error::Certificate { .. }
            | Error::Expired { .. }
            | Error::CodeSigning
            | Error::NoLogEntry
            | Error::Body { .. }
            | Error::Promise { .. }
            | Error::Proof { .. }
            | Error::Checkpoint { .. }
            | Error::Unlogged { .. } => "the bundle is damaged or forged: download it again from python.org; if it fails again, do not use this source".to_owned(),
            Error::Sct { .. } => "Fulcio logs every certificate it issues in a certificate-transparency log of the trusted root; one without a valid SCT from such a log was not issued the normal way: do not use this source (if Sigstore rotated its CT log keys, refresh keys/sigstore-trusted-root.json, keys/README.md)".to_owned(),
            Error::UnsignedTime { .. } => "a bundle needs the SET that Rekor returns with every entry (python.org's bundles have it; RFC 3161 timestamps are not verified by specgate); download the bundle again from python.org, and do not use one whose `inclusionPromise` was removed".to_owned(),
        })
    }
}

/// Verify the Sigstore `bundle` of `artifact`, requiring the signer `identity` (SAN e-mail or
/// URI, exact) issued by `issuer` (the OIDC issuer URL), against `root`.
pub fn verify_bundle(
    artifact: &Path,
    bundle: &Path,
    identity: &str,
    issuer: &str,
    root: &TrustedRoot,
) -> Result<Verified, Error> {
    let bundle_path = bundle;
    let bundle = bundle::read(bundle_path)?;
    let leaf = cert::Leaf::parse(&bundle.leaf_der)?;

    let read_error = |source| Error::Read { path: artifact.to_path_buf(), source };
    let (digest, _) = std::fs::File::open(artifact).and_then(sidecar::sha256_reader).map_err(read_error)?;
    if let Some(expected) = &bundle.digest {
        if expected[..] != digest.0[..] {
            return Err(Error::Digest {
                path: artifact.to_path_buf(),
                expected: rekor::hex(expected),
                actual: digest.to_hex(),
            });
        }
    }
    // The signature is over the SHA-256 the log recorded (hashedrekord), whatever the key's
    // curve: sigstore-python signs that digest with a P-384 key, cosign with a P-256 one.
    let bytes = std::fs::read(artifact).map_err(read_error)?;
    if !leaf.key.verify(root::Hash::Sha256, &bytes, &bundle.signature) {
        return Err(Error::Signature { path: artifact.to_path_buf() });
    }
    drop(bytes);
    verify_material(&bundle, &leaf, &digest, identity, issuer, root)
}

/// Everything but the signature over the artifact: the log entry for this signature and
/// digest, the certificate chain at the logged time, the identity and the issuer.
fn verify_material(
    bundle: &bundle::Bundle,
    leaf: &cert::Leaf,
    digest: &sidecar::Digest,
    identity: &str,
    issuer: &str,
    root: &TrustedRoot,
) -> Result<Verified, Error> {
    let log = rekor::verify_entries(&bundle.entries, root, &leaf.der, &bundle.signature, digest)?;
    let (certificate_authority, issuer_key) = leaf.check_chain(root, log.integrated_time)?;
    sct::check(&leaf.der, &issuer_key, root).map_err(|reason| Error::Sct { reason })?;

    let identities = leaf.identities()?;
    if !identities.iter().any(|found| found == identity) {
        return Err(Error::Identity { expected: identity.to_owned(), found: identities });
    }
    let found_issuer = leaf.issuer()?;
    if found_issuer.as_deref() != Some(issuer) {
        return Err(Error::Issuer { expected: issuer.to_owned(), found: found_issuer });
    }
    Ok(Verified {
        identity: identity.to_owned(),
        issuer: issuer.to_owned(),
        sha256: digest.to_hex(),
        certificate_authority,
        log,
    })
}

#[cfg(test)]
mod tests;
