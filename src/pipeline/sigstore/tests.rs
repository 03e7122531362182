//! Bundles made with a test Fulcio and a test Rekor (`testing`): the valid one passes, and
//! every way one can be wrong is refused with the error that names it.

use std::path::{Path, PathBuf};

use super::testing::{b64, Cert, Fixture, Key, LeafSpec, Options, IDENTITY, ISSUER, MEDIA_TYPE_V01};
use super::*;

const ARTIFACT: &[u8] = b"Python-3.14.0.tgz stand-in: any bytes will do\n";

struct Case {
    fixture: Fixture,
    artifact: PathBuf,
    bundle: PathBuf,
    root: TrustedRoot,
}

impl Case {
    fn new() -> Case {
        let fixture = Fixture::new();
        let artifact = fixture.dir.path().join("Python-3.14.0.tgz");
        std::fs::write(&artifact, ARTIFACT).unwrap();
        let bundle = fixture.dir.path().join("Python-3.14.0.tgz.sigstore");
        let root = TrustedRoot::parse(&fixture.trusted_root(), "test-root.json").unwrap();
        Case { fixture, artifact, bundle, root }
    }

    fn write(&self, bundle: &serde_json::Value) {
        std::fs::write(&self.bundle, serde_json::to_string_pretty(bundle).unwrap()).unwrap();
    }

    fn verify_with(&self, options: &Options<'_>) -> Result<Verified, Error> {
        self.write(&self.fixture.bundle(ARTIFACT, options));
        self.verify()
    }

    fn verify(&self) -> Result<Verified, Error> {
        verify_bundle(&self.artifact, &self.bundle, IDENTITY, ISSUER, &self.root)
    }
}

#[test]
fn a_valid_bundle_verifies_with_its_set_and_its_inclusion_proof() {
    let case = Case::new();
    let before = testing::now();
    let verified = case.verify_with(&case.fixture.options()).unwrap();
    assert_eq!(verified.identity, IDENTITY);
    assert_eq!(verified.issuer, ISSUER);
    assert_eq!(verified.certificate_authority, "https://fulcio.test");
    assert_eq!(verified.log.log_index, 1_000_004);
    assert_eq!(verified.log.log_url, "https://rekor.test");
    assert!(verified.log.promise && verified.log.proof);
    assert!(verified.log.integrated_time >= before as i64 - 5);
    use sha2::Digest as _;
    assert_eq!(verified.sha256, testing::hex(&sha2::Sha256::digest(ARTIFACT)));
}

#[test]
fn the_set_is_required_and_a_proof_alone_is_refused_for_its_unsigned_time() {
    let case = Case::new();
    let only_set = Options { proof: false, ..case.fixture.options() };
    let verified = case.verify_with(&only_set).unwrap();
    assert!(verified.log.promise && !verified.log.proof);
    // A checkpointed proof proves inclusion but not the time: a backdated entry would pass.
    let only_proof = Options { promise: false, ..case.fixture.options() };
    let error = case.verify_with(&only_proof).unwrap_err();
    assert!(matches!(error, Error::UnsignedTime { log_index: 1_000_004 }), "{error}");
    assert!(error.to_string().contains("no verified source of time"), "{error}");
    let backdated = Options { promise: false, integrated_time: 1_600_000_000, ..case.fixture.options() };
    assert!(matches!(case.verify_with(&backdated).unwrap_err(), Error::UnsignedTime { .. } | Error::LogWindow { .. }));
    // A 0.1 bundle (whose specification requires the SET) without one is refused as well.
    let old = Options { promise: false, media_type: MEDIA_TYPE_V01, ..case.fixture.options() };
    assert!(matches!(case.verify_with(&old).unwrap_err(), Error::UnsignedTime { .. }));
    let neither = Options { promise: false, proof: false, ..case.fixture.options() };
    let error = case.verify_with(&neither).unwrap_err();
    assert!(matches!(error, Error::Unlogged { log_index: 1_000_004 }), "{error}");
}

#[test]
fn the_older_media_type_with_a_certificate_chain_verifies() {
    let case = Case::new();
    let options = Options { media_type: MEDIA_TYPE_V01, ..case.fixture.options() };
    case.verify_with(&options).unwrap();
}

#[test]
fn the_legacy_issuer_extension_and_a_uri_identity_are_read() {
    let case = Case::new();
    let spec = LeafSpec {
        san: &["URI:https://github.com/python/release-tools/.github/workflows/release.yml@refs/heads/main"],
        issuer_v1: Some("https://token.actions.githubusercontent.com"),
        issuer_v2: None,
        ..LeafSpec::default()
    };
    let leaf = case.fixture.intermediate.leaf("legacy-leaf", &spec);
    case.write(&case.fixture.bundle(ARTIFACT, &Options { leaf: &leaf, ..case.fixture.options() }));
    verify_bundle(
        &case.artifact,
        &case.bundle,
        "https://github.com/python/release-tools/.github/workflows/release.yml@refs/heads/main",
        "https://token.actions.githubusercontent.com",
        &case.root,
    )
    .unwrap();
}

#[test]
fn a_p384_leaf_signs_the_sha256_as_sigstore_python_does() {
    let case = Case::new();
    let leaf = case.fixture.intermediate.leaf("p384-leaf", &LeafSpec { p384: true, ..LeafSpec::default() });
    let good = case.fixture.bundle(ARTIFACT, &Options { leaf: &leaf, ..case.fixture.options() });
    case.write(&good);
    case.verify().unwrap();
    // A signature over the SHA-384 is not what the log's hashedrekord (a SHA-256) vouches for.
    let mut bundle = good.clone();
    bundle["messageSignature"]["signature"] = serde_json::json!(b64(&leaf.key.sign_with("-sha384", ARTIFACT)));
    case.write(&bundle);
    assert!(matches!(case.verify().unwrap_err(), Error::Signature { .. }));
}

#[test]
fn a_proof_without_a_checkpoint_is_checked_but_only_the_set_counts() {
    // Media type 0.1 bundles (python.org's for 3.12 and 3.13) have no checkpoint.
    let case = Case::new();
    let checkpoint = "/verificationMaterial/tlogEntries/0/inclusionProof";
    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    bundle.pointer_mut(checkpoint).unwrap().as_object_mut().unwrap().remove("checkpoint");
    case.write(&bundle);
    let verified = case.verify().unwrap();
    assert!(verified.log.promise && !verified.log.proof, "{:?}", verified.log);
    // Its audit path must still lead to its root hash.
    let mut broken = bundle.clone();
    broken.pointer_mut(checkpoint).unwrap()["rootHash"] = serde_json::json!(b64(&[9u8; 32]));
    case.write(&broken);
    assert!(matches!(case.verify().unwrap_err(), Error::Proof { .. }));
    // Without the SET, an unsigned proof is no evidence.
    let only_proof = Options { promise: false, ..case.fixture.options() };
    let mut bundle = case.fixture.bundle(ARTIFACT, &only_proof);
    bundle.pointer_mut(checkpoint).unwrap().as_object_mut().unwrap().remove("checkpoint");
    case.write(&bundle);
    assert!(matches!(case.verify().unwrap_err(), Error::Unlogged { .. }));
}

/// A real bundle made by sigstore-python on Sigstore's staging instance (media type 0.3, a
/// checkpoint signed by rekor.sigstage.dev) for a real file, with staging's trusted root:
/// the whole check, the ECDSA over the file included (tests/fixtures/sigstore/staging/).
#[test]
fn a_real_staging_bundle_verifies_end_to_end() {
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sigstore/staging"));
    let root = TrustedRoot::from_file(&dir.join("trusted_root.json")).unwrap();
    let artifact = dir.join("bundle_v3.txt");
    let bundle = dir.join("bundle_v3.txt.sigstore");
    let (identity, issuer) = ("william@yossarian.net", "https://github.com/login/oauth");
    let verified = verify_bundle(&artifact, &bundle, identity, issuer, &root).unwrap();
    assert_eq!(verified.sha256, "5e6ae9de58c1177bea615b4fcbfb2fd688e8c4b51c2e56b6a38e817833ec24a2");
    assert_eq!(verified.log.log_index, 25_915_956);
    assert_eq!(verified.log.log_url, "https://rekor.sigstage.dev");
    assert!(verified.log.promise && verified.log.proof, "SET and checkpointed proof: {:?}", verified.log);
    assert_eq!(verified.certificate_authority, "https://fulcio.sigstage.dev");

    // One byte more in the file, or the production root instead of staging's: refused.
    let case = Case::new();
    let mut changed = std::fs::read(&artifact).unwrap();
    changed.push(b'\n');
    std::fs::write(&case.artifact, changed).unwrap();
    let error = verify_bundle(&case.artifact, &bundle, identity, issuer, &root).unwrap_err();
    assert!(matches!(error, Error::Digest { .. }), "{error}");
    let error = verify_bundle(&artifact, &bundle, identity, issuer, &TrustedRoot::production().unwrap()).unwrap_err();
    assert!(matches!(error, Error::UnknownLog { .. }), "{error}");

    // The same real bundle with its SET removed: proof and checkpoint still verify, but the
    // signing time is no longer signed by anything.
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    json["verificationMaterial"]["tlogEntries"][0].as_object_mut().unwrap().remove("inclusionPromise");
    std::fs::write(&case.bundle, serde_json::to_vec(&json).unwrap()).unwrap();
    let error = verify_bundle(&artifact, &case.bundle, identity, issuer, &root).unwrap_err();
    assert!(matches!(error, Error::UnsignedTime { log_index: 25_915_956 }), "{error}");
    // With the SET, a changed integratedTime fails the SET's signature.
    let mut json: serde_json::Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let entry = &mut json["verificationMaterial"]["tlogEntries"][0];
    let time: u64 = entry["integratedTime"].as_str().unwrap().parse().unwrap();
    entry["integratedTime"] = serde_json::json!((time - 3600).to_string());
    std::fs::write(&case.bundle, serde_json::to_vec(&json).unwrap()).unwrap();
    let error = verify_bundle(&artifact, &case.bundle, identity, issuer, &root).unwrap_err();
    assert!(matches!(error, Error::Promise { .. }), "{error}");
}

/// python.org's bundle for Python-3.12.5.tgz (signed by its release manager on 2024-08-06,
/// logged in the production Rekor), against the embedded production trusted root. The tarball
/// itself is not here, so the check starts from the SHA-256 python.org publishes for it; the
/// signature over that digest was also checked with `openssl pkeyutl -verify`.
#[test]
fn the_real_python_3_12_5_bundle_verifies_against_the_production_root() {
    let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sigstore/Python-3.12.5.tgz.sigstore"));
    let bundle = bundle::read(path).unwrap();
    let leaf = cert::Leaf::parse(&bundle.leaf_der).unwrap();
    let digest = sidecar::Digest::from_hex("38dc4e2c261d49c661196066edbfb70fdb16be4a79cc8220c224dfeb5636d405").unwrap();
    assert_eq!(bundle.digest.as_deref(), Some(&digest.0[..]));
    let root = TrustedRoot::production().unwrap();
    let (identity, issuer) = ("thomas@python.org", "https://accounts.google.com");
    let verified = verify_material(&bundle, &leaf, &digest, identity, issuer, &root).unwrap();
    assert_eq!(verified.log.log_index, 118_981_923);
    assert_eq!(verified.log.integrated_time, 1_722_976_367);
    assert_eq!(verified.log.log_url, "https://rekor.sigstore.dev");
    assert!(verified.log.promise && !verified.log.proof, "a 0.1 bundle: SET, proof without checkpoint");
    assert_eq!(verified.certificate_authority, "https://fulcio.sigstore.dev");

    // The same bundle pinned to another release manager, or another file, is refused.
    let error = verify_material(&bundle, &leaf, &digest, "hugo@python.org", issuer, &root).unwrap_err();
    assert!(matches!(error, Error::Identity { .. }), "{error}");
    let other = sidecar::Digest([7u8; 32]);
    let error = verify_material(&bundle, &leaf, &other, identity, issuer, &root).unwrap_err();
    assert!(matches!(error, Error::Body { .. }), "{error}");
    // The leaf's key signed the SHA-256 (P-384 key, SHA-256 digest).
    assert!(matches!(leaf.key, root::PublicKey::P384(_)));
    // Its SCT is from the production CT log and verifies over the precertificate.
    let (_, issuer) = leaf.check_chain(&root, verified.log.integrated_time).unwrap();
    assert_eq!(sct::check(&leaf.der, &issuer, &root).unwrap().as_deref(), Some("https://ctfe.sigstore.dev/2022"));
    // With another issuer key the precertificate hash differs: the signature does not verify.
    let error = sct::check(&leaf.der, b"another key", &root).unwrap_err();
    assert!(error.contains("whose signature does not verify"), "{error}");
}

#[test]
fn an_sct_from_a_log_the_trusted_root_does_not_list_is_refused() {
    // The real staging bundle against staging's root whose CT logs are production's: the leaf's
    // SCT is then from an unknown log.
    let dir = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/sigstore/staging"));
    let mut staging: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("trusted_root.json")).unwrap()).unwrap();
    let production: serde_json::Value =
        serde_json::from_str(include_str!("../../../keys/sigstore-trusted-root.json")).unwrap();
    staging["ctlogs"] = production["ctlogs"].clone();
    let case = Case::new();
    let root_path = case.artifact.with_file_name("root.json");
    std::fs::write(&root_path, serde_json::to_vec(&staging).unwrap()).unwrap();
    let root = TrustedRoot::from_file(&root_path).unwrap();
    let (identity, issuer) = ("william@yossarian.net", "https://github.com/login/oauth");
    let error = verify_bundle(&dir.join("bundle_v3.txt"), &dir.join("bundle_v3.txt.sigstore"), identity, issuer, &root)
        .unwrap_err();
    assert!(matches!(error, Error::Sct { .. }), "{error}");
    assert!(error.to_string().contains("unknown log"), "{error}");
    assert!(error.hint().unwrap().contains("certificate-transparency"));
}

#[test]
fn a_tampered_artifact_is_refused() {
    let case = Case::new();
    case.write(&case.fixture.bundle(ARTIFACT, &case.fixture.options()));
    std::fs::write(&case.artifact, b"Python-3.14.0.tgz stand-in: any bytes will do!\n").unwrap();
    let error = case.verify().unwrap_err();
    assert!(matches!(error, Error::Digest { .. }), "{error}");
    assert!(error.to_string().contains("but the bundle signs"), "{error}");
    // Without messageDigest the signature itself catches it.
    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    bundle["messageSignature"].as_object_mut().unwrap().remove("messageDigest");
    case.write(&bundle);
    assert!(matches!(case.verify().unwrap_err(), Error::Signature { .. }));
}

#[test]
fn another_identity_or_issuer_is_refused_naming_both() {
    let case = Case::new();
    case.write(&case.fixture.bundle(ARTIFACT, &case.fixture.options()));
    let error = verify_bundle(&case.artifact, &case.bundle, "thomas@python.org", ISSUER, &case.root).unwrap_err();
    assert_eq!(error.to_string(), "the bundle was signed by `hugo@python.org`, not by the pinned `thomas@python.org`");
    assert!(error.hint().unwrap().contains("sigstore-identity"));
    let error =
        verify_bundle(&case.artifact, &case.bundle, IDENTITY, "https://accounts.google.com", &case.root).unwrap_err();
    assert_eq!(
        error.to_string(),
        "the signer's identity was issued by `https://github.com/login/oauth`, not by the pinned `https://accounts.google.com`"
    );
    // A leaf without an issuer extension has no issuer to match.
    let leaf = case.fixture.intermediate.leaf("no-issuer", &LeafSpec { issuer_v2: None, ..LeafSpec::default() });
    let error = case.verify_with(&Options { leaf: &leaf, ..case.fixture.options() }).unwrap_err();
    assert!(error.to_string().contains("an unnamed OIDC issuer"), "{error}");
    // The identity is compared exactly, not as a substring or case-insensitively.
    let leaf =
        case.fixture.intermediate.leaf("upper", &LeafSpec { san: &["email:Hugo@python.org"], ..LeafSpec::default() });
    let error = case.verify_with(&Options { leaf: &leaf, ..case.fixture.options() }).unwrap_err();
    assert!(matches!(error, Error::Identity { .. }), "{error}");
}

#[test]
fn a_leaf_from_another_ca_is_refused() {
    let case = Case::new();
    let foreign_root = Cert::root(case.fixture.dir.path(), "foreign-root");
    let foreign = foreign_root.intermediate("foreign-intermediate").leaf("foreign-leaf", &LeafSpec::default());
    let error = case.verify_with(&Options { leaf: &foreign, ..case.fixture.options() }).unwrap_err();
    assert!(matches!(error, Error::Chain { .. }), "{error}");
    assert!(error.to_string().contains("was issued by"), "{error}");
    // Same names, other key: an impostor intermediate with the real intermediate's subject.
    let impostor_root = Cert::root(case.fixture.dir.path(), "fulcio-root-impostor");
    let impostor = impostor_root.intermediate("fulcio-intermediate-impostor");
    let leaf = impostor.leaf("impostor-leaf", &LeafSpec::default());
    let error = case.verify_with(&Options { leaf: &leaf, ..case.fixture.options() }).unwrap_err();
    assert!(matches!(error, Error::Chain { .. }), "{error}");
}

#[test]
fn a_leaf_without_code_signing_is_refused() {
    let case = Case::new();
    let leaf = case.fixture.intermediate.leaf("mail-leaf", &LeafSpec { code_signing: false, ..LeafSpec::default() });
    let error = case.verify_with(&Options { leaf: &leaf, ..case.fixture.options() }).unwrap_err();
    assert!(matches!(error, Error::CodeSigning), "{error}");
}

#[test]
fn a_signing_time_outside_the_leaf_validity_is_refused() {
    let case = Case::new();
    // The leaf is valid for one day from now; the log says it took the entry two days later.
    let options = Options { integrated_time: testing::now() + 2 * 86_400, ..case.fixture.options() };
    let error = case.verify_with(&options).unwrap_err();
    assert!(matches!(error, Error::Expired { .. }), "{error}");
    assert!(error.to_string().contains("was not valid at the signing time"), "{error}");
    // Before the log key's validFor window (2021-01-12): the log is not trusted for that time.
    let options = Options { integrated_time: 1_600_000_000, ..case.fixture.options() };
    let error = case.verify_with(&options).unwrap_err();
    assert!(matches!(error, Error::LogWindow { .. }), "{error}");
    // A CA whose validFor window ended before the signing time is not used.
    let mut root: serde_json::Value = serde_json::from_str(&case.fixture.trusted_root()).unwrap();
    root["certificateAuthorities"][0]["validFor"]["end"] = serde_json::json!("2023-01-01T00:00:00Z");
    let root = TrustedRoot::parse(&root.to_string(), "ended.json").unwrap();
    case.write(&case.fixture.bundle(ARTIFACT, &case.fixture.options()));
    let error = verify_bundle(&case.artifact, &case.bundle, IDENTITY, ISSUER, &root).unwrap_err();
    assert!(error.to_string().contains("the CA `https://fulcio.test` was not valid then"), "{error}");
}

#[test]
fn a_tampered_set_is_refused_even_with_a_valid_proof() {
    let case = Case::new();
    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    let entry = &mut bundle["verificationMaterial"]["tlogEntries"][0];
    // Another integratedTime than the one the log signed.
    let time: u64 = entry["integratedTime"].as_str().unwrap().parse().unwrap();
    entry["integratedTime"] = serde_json::json!((time - 1).to_string());
    case.write(&bundle);
    let error = case.verify().unwrap_err();
    assert!(matches!(error, Error::Promise { .. }), "{error}");
    // A SET by another key.
    let other = Key::new(case.fixture.dir.path(), "other-rekor", false);
    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    bundle["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]["signedEntryTimestamp"] =
        serde_json::json!(b64(&other.sign(b"anything")));
    case.write(&bundle);
    assert!(matches!(case.verify().unwrap_err(), Error::Promise { .. }));
}

#[test]
fn a_wrong_inclusion_proof_is_refused() {
    let case = Case::new();
    let options = Options { promise: false, ..case.fixture.options() };
    let good = case.fixture.bundle(ARTIFACT, &options);
    let proof = "/verificationMaterial/tlogEntries/0/inclusionProof";
    let changes: [(&str, serde_json::Value); 3] = [
        ("logIndex", serde_json::json!("3")),
        ("hashes", serde_json::json!(good.pointer(&format!("{proof}/hashes")).unwrap().as_array().unwrap()[1..])),
        ("hashes", {
            let mut hashes = good.pointer(&format!("{proof}/hashes")).unwrap().clone();
            hashes[0] = serde_json::json!(b64(&[7u8; 32]));
            hashes
        }),
    ];
    for (field, value) in changes {
        let mut bundle = good.clone();
        bundle.pointer_mut(proof).unwrap()[field] = value;
        case.write(&bundle);
        let error = case.verify().unwrap_err();
        assert!(matches!(error, Error::Proof { .. }), "{field}: {error}");
    }
    // A proof of another root, with a checkpoint that matches neither.
    let mut bundle = good.clone();
    bundle.pointer_mut(proof).unwrap()["rootHash"] = serde_json::json!(b64(&[9u8; 32]));
    case.write(&bundle);
    assert!(matches!(case.verify().unwrap_err(), Error::Proof { .. }));
}

#[test]
fn a_checkpoint_signed_by_another_key_or_for_another_tree_is_refused() {
    let case = Case::new();
    let other = Key::new(case.fixture.dir.path(), "other-rekor", false);
    let options = Options { checkpoint_signer: &other, ..case.fixture.options() };
    let error = case.verify_with(&options).unwrap_err();
    assert!(matches!(error, Error::Checkpoint { .. }), "{error}");
    assert!(error.to_string().contains("not signed by the key of `https://rekor.test`"), "{error}");

    // The log's key hint but another signature: the note was changed after signing.
    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    let envelope = "/verificationMaterial/tlogEntries/0/inclusionProof/checkpoint/envelope";
    let text = bundle.pointer(envelope).unwrap().as_str().unwrap().replacen("rekor.test - 42", "rekor.test - 43", 1);
    *bundle.pointer_mut(envelope).unwrap() = serde_json::json!(text);
    case.write(&bundle);
    let error = case.verify().unwrap_err();
    assert!(error.to_string().contains("does not verify"), "{error}");

    // A checkpoint without its signatures.
    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    let text = bundle.pointer(envelope).unwrap().as_str().unwrap();
    let unsigned = text[..text.find("\n\n").unwrap() + 1].to_owned();
    *bundle.pointer_mut(envelope).unwrap() = serde_json::json!(unsigned);
    case.write(&bundle);
    assert!(matches!(case.verify().unwrap_err(), Error::Checkpoint { .. }));

    // Signed by the log's key, but for another origin: not this log's checkpoint.
    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    let text = bundle.pointer(envelope).unwrap().as_str().unwrap();
    let note = text[..text.find("\n\n").unwrap() + 1].replacen("rekor.test - 42", "rekor.elsewhere - 42", 1);
    let mut signed = case.fixture.rekor.key_id()[..4].to_vec();
    signed.extend(case.fixture.rekor.sign(note.as_bytes()));
    *bundle.pointer_mut(envelope).unwrap() =
        serde_json::json!(format!("{note}\n\u{2014} rekor.elsewhere {}\n", b64(&signed)));
    case.write(&bundle);
    let error = case.verify().unwrap_err();
    assert!(error.to_string().contains("origin is `rekor.elsewhere - 42`, not the log `rekor.test`"), "{error}");
}

#[test]
fn a_leaf_that_is_a_ca_lacks_digital_signature_or_has_an_unknown_critical_extension_is_refused() {
    let case = Case::new();
    let cases = [
        (LeafSpec { basic_constraints: "critical,CA:TRUE", ..LeafSpec::default() }, "CA:TRUE"),
        (LeafSpec { key_usage: "critical,keyEncipherment", ..LeafSpec::default() }, "digitalSignature"),
        (
            LeafSpec { extra: "1.3.6.1.4.1.99999.1 = critical,ASN1:NULL\n", ..LeafSpec::default() },
            "1.3.6.1.4.1.99999.1",
        ),
    ];
    for (index, (spec, expected)) in cases.iter().enumerate() {
        let leaf = case.fixture.intermediate.leaf(&format!("profile-{index}"), spec);
        let error = case.verify_with(&Options { leaf: &leaf, ..case.fixture.options() }).unwrap_err();
        assert!(matches!(error, Error::Certificate { .. }), "{error}");
        assert!(error.to_string().contains(expected), "{error}");
    }
    // A non-critical unknown extension (Fulcio adds several) is fine.
    let spec = LeafSpec { extra: "1.3.6.1.4.1.99999.2 = ASN1:NULL\n", ..LeafSpec::default() };
    let leaf = case.fixture.intermediate.leaf("profile-ok", &spec);
    case.verify_with(&Options { leaf: &leaf, ..case.fixture.options() }).unwrap();
}

#[test]
fn an_entry_of_an_unknown_log_is_refused() {
    let case = Case::new();
    let other = Key::new(case.fixture.dir.path(), "other-rekor", false);
    let options = Options { log: &other, checkpoint_signer: &other, ..case.fixture.options() };
    let error = case.verify_with(&options).unwrap_err();
    assert!(matches!(error, Error::UnknownLog { .. }), "{error}");
    assert!(error.to_string().contains(&testing::hex(&other.key_id())), "{error}");
    assert!(error.hint().unwrap().contains("keys/README.md"));
    // No entry at all.
    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    bundle["verificationMaterial"]["tlogEntries"] = serde_json::json!([]);
    case.write(&bundle);
    assert!(matches!(case.verify().unwrap_err(), Error::NoLogEntry));
}

type BodyEdit = dyn Fn(&mut serde_json::Value);

#[test]
fn a_log_body_that_does_not_match_the_bundle_is_refused() {
    let case = Case::new();
    let other_leaf = case.fixture.intermediate.leaf("other-leaf", &LeafSpec::default());
    let other_pem = b64(other_leaf.pem.as_bytes());
    let other_signature = b64(&other_leaf.key.sign(ARTIFACT));
    let set = |pointer: &'static str, value: String| {
        move |body: &mut serde_json::Value| *body.pointer_mut(pointer).unwrap() = serde_json::json!(value)
    };
    let edits: Vec<(&str, Box<BodyEdit>, &str)> = vec![
        ("other digest", Box::new(set("/spec/data/hash/value", "0".repeat(64))), "the logged digest is sha256:000"),
        ("other certificate", Box::new(set("/spec/signature/publicKey/content", other_pem)), "logged certificate"),
        ("other signature", Box::new(set("/spec/signature/content", other_signature)), "logged signature"),
        ("Rekor v2", Box::new(set("/apiVersion", "0.0.2".into())), "0.0.1 entries (Rekor v1) only"),
        ("another kind", Box::new(set("/kind", "rekord".into())), "`rekord`"),
    ];
    for (name, edit, needle) in &edits {
        let options = Options { edit_body: Some(edit.as_ref()), ..case.fixture.options() };
        let error = case.verify_with(&options).unwrap_err();
        assert!(matches!(error, Error::Body { .. }), "{name}: {error}");
        assert!(error.to_string().contains(needle), "{name}: {error}");
    }
}

#[test]
fn unknown_media_types_malformed_json_and_dsse_are_clear_errors() {
    let case = Case::new();
    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    bundle["mediaType"] = serde_json::json!("application/vnd.dev.sigstore.bundle.v0.9+json");
    case.write(&bundle);
    let error = case.verify().unwrap_err();
    assert!(matches!(error, Error::MediaType { .. }), "{error}");
    assert!(error.to_string().contains("`application/vnd.dev.sigstore.bundle.v0.9+json`"), "{error}");

    std::fs::write(&case.bundle, "{\"mediaType\": ").unwrap();
    let error = case.verify().unwrap_err();
    assert!(matches!(error, Error::Bundle { .. }) && error.to_string().contains("not valid JSON"), "{error}");

    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    let object = bundle.as_object_mut().unwrap();
    object.remove("messageSignature");
    object.insert("dsseEnvelope".into(), serde_json::json!({"payload": "", "payloadType": "x", "signatures": []}));
    case.write(&bundle);
    assert!(matches!(case.verify().unwrap_err(), Error::Dsse { .. }));

    let mut bundle = case.fixture.bundle(ARTIFACT, &case.fixture.options());
    bundle["verificationMaterial"]["certificate"]["rawBytes"] = serde_json::json!(b64(b"not a certificate"));
    case.write(&bundle);
    assert!(matches!(case.verify().unwrap_err(), Error::Certificate { .. }));

    let error =
        verify_bundle(&case.artifact, &case.fixture.dir.path().join("none"), IDENTITY, ISSUER, &case.root).unwrap_err();
    assert!(matches!(error, Error::Read { .. }), "{error}");
}

#[test]
fn every_error_has_a_hint() {
    let error = Error::Unlogged { log_index: 1 };
    assert!(error.hint().unwrap().contains("download it again"));
    let error = Error::TrustedRoot { origin: "x".into(), reason: "y".into() };
    assert!(error.hint().unwrap().contains("sigstore-trusted-root"));
}

#[test]
fn a_bundle_or_trusted_root_that_is_a_fifo_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("x.sigstore");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // Opening a FIFO for reading used to wait for a writer that never comes.
    let error = bundle::read(&fifo).unwrap_err();
    let cause = std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default();
    assert!(cause.contains("FIFO"), "{error}: {cause}");
    let Err(error) = TrustedRoot::from_file(&fifo) else { panic!("a FIFO is no trusted root") };
    let cause = std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default();
    assert!(cause.contains("FIFO"), "{error}: {cause}");
}
