//! Test fixtures with real crypto: a test "Fulcio" (P-384 root and intermediate CA, like
//! production), leaf certificates with the SAN and Fulcio issuer extensions, a test "Rekor"
//! P-256 key that signs SETs and checkpoints, an RFC 6962 Merkle tree, a trusted_root.json in
//! the production schema and bundles in the real format. Everything is made with the openssl
//! CLI in a temporary folder at test time; no key is committed.
//!
//! Compiled into the library's unit tests and, through `#[path]`, into tests/it, so it uses
//! only std, the openssl CLI and crates both can see.

// Each user of this file needs a different part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

pub const IDENTITY: &str = "hugo@python.org";
pub const ISSUER: &str = "https://github.com/login/oauth";
pub const MEDIA_TYPE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub const MEDIA_TYPE_V01: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";

pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// Seconds since 1970, now.
pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock after 1970").as_secs()
}

/// Run openssl in `dir`, feeding `input`; panic with its stderr on failure.
fn openssl(dir: &Path, args: &[&str], input: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut child = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl (the test fixtures need the openssl CLI)");
    child.stdin.take().expect("stdin is piped").write_all(input).expect("write to openssl");
    let output = child.wait_with_output().expect("wait for openssl");
    assert!(output.status.success(), "openssl {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

/// An EC key pair in a PEM file, with its DER SubjectPublicKeyInfo.
pub struct Key {
    pub dir: PathBuf,
    pub file: String,
    pub spki: Vec<u8>,
    pub p384: bool,
}

impl Key {
    pub fn new(dir: &Path, name: &str, p384: bool) -> Key {
        let file = format!("{name}.key.pem");
        let curve = if p384 { "ec_paramgen_curve:P-384" } else { "ec_paramgen_curve:P-256" };
        openssl(dir, &["genpkey", "-algorithm", "EC", "-pkeyopt", curve, "-out", &file], b"");
        let spki = openssl(dir, &["pkey", "-in", &file, "-pubout", "-outform", "DER"], b"");
        Key { dir: dir.to_path_buf(), file, spki, p384 }
    }

    /// The Rekor key id: SHA-256 of the DER SubjectPublicKeyInfo.
    pub fn key_id(&self) -> [u8; 32] {
        sha256(&self.spki)
    }

    /// An ASN.1 DER ECDSA signature over `data` (SHA-256, or SHA-384 for a P-384 key), as a
    /// log signs its entries and checkpoints.
    pub fn sign(&self, data: &[u8]) -> Vec<u8> {
        self.sign_with(if self.p384 { "-sha384" } else { "-sha256" }, data)
    }

    /// An ASN.1 DER ECDSA signature over `digest(data)`, `digest` an openssl option (`-sha256`).
    pub fn sign_with(&self, digest: &str, data: &[u8]) -> Vec<u8> {
        openssl(&self.dir, &["dgst", digest, "-sign", &self.file], data)
    }
}

/// A certificate and its key.
pub struct Cert {
    pub name: String,
    pub der: Vec<u8>,
    pub pem: String,
    pub key: Key,
}

/// What a leaf certificate says about its signer.
pub struct LeafSpec<'a> {
    /// `email:...` or `URI:...` entries of the SAN; empty for none.
    pub san: &'a [&'a str],
    /// The V2 issuer extension (DER UTF8String).
    pub issuer_v2: Option<&'a str>,
    /// The legacy issuer extension (raw bytes).
    pub issuer_v1: Option<&'a str>,
    pub code_signing: bool,
    pub p384: bool,
    /// The basicConstraints and keyUsage values, as openssl writes them.
    pub basic_constraints: &'a str,
    pub key_usage: &'a str,
    /// More extension lines (`OID = critical,DER:...`).
    pub extra: &'a str,
}

impl Default for LeafSpec<'_> {
    fn default() -> Self {
        LeafSpec {
            san: &["email:hugo@python.org"],
            issuer_v2: Some(ISSUER),
            issuer_v1: None,
            code_signing: true,
            p384: false,
            basic_constraints: "critical,CA:FALSE",
            key_usage: "critical,digitalSignature",
            extra: "",
        }
    }
}

impl Cert {
    /// A self-signed P-384 root CA, valid ten years.
    pub fn root(dir: &Path, name: &str) -> Cert {
        let key = Key::new(dir, name, true);
        let pem_file = format!("{name}.pem");
        let subject = format!("/O=specgate test/CN={name}");
        openssl(
            dir,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                &key.file,
                "-subj",
                &subject,
                "-days",
                "3650",
                "-sha384",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
                "-out",
                &pem_file,
            ],
            b"",
        );
        Cert::load(dir, name, key)
    }

    /// A P-384 intermediate CA issued by `self`.
    pub fn intermediate(&self, name: &str) -> Cert {
        let extensions = "[ext]\nbasicConstraints = critical,CA:TRUE,pathlen:0\nkeyUsage = critical,keyCertSign,cRLSign\nextendedKeyUsage = codeSigning\n";
        self.issue(name, true, extensions, "3650")
    }

    /// A leaf issued by `self`, valid one day from now.
    pub fn leaf(&self, name: &str, spec: &LeafSpec<'_>) -> Cert {
        let mut extensions = format!(
            "[ext]\nbasicConstraints = {}\nkeyUsage = {}\n{}",
            spec.basic_constraints, spec.key_usage, spec.extra
        );
        if spec.code_signing {
            extensions.push_str("extendedKeyUsage = codeSigning\n");
        } else {
            extensions.push_str("extendedKeyUsage = emailProtection\n");
        }
        if !spec.san.is_empty() {
            extensions.push_str(&format!("subjectAltName = critical,{}\n", spec.san.join(",")));
        }
        if let Some(issuer) = spec.issuer_v1 {
            extensions.push_str(&format!("1.3.6.1.4.1.57264.1.1 = DER:{}\n", hex(issuer.as_bytes())));
        }
        if let Some(issuer) = spec.issuer_v2 {
            extensions.push_str(&format!("1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:{issuer}\n"));
        }
        self.issue(name, spec.p384, &extensions, "1")
    }

    fn issue(&self, name: &str, p384: bool, extensions: &str, days: &str) -> Cert {
        let dir = &self.key.dir;
        let key = Key::new(dir, name, p384);
        let (csr, ext, pem, serial) =
            (format!("{name}.csr"), format!("{name}.cnf"), format!("{name}.pem"), format!("{}.srl", self.name));
        std::fs::write(dir.join(&ext), extensions).expect("write the extensions file");
        let subject = format!("/O=specgate test/CN={name}");
        openssl(dir, &["req", "-new", "-key", &key.file, "-subj", &subject, "-out", &csr], b"");
        let ca = format!("{}.pem", self.name);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &ca,
                "-CAkey",
                &self.key.file,
                "-CAserial",
                &serial,
                "-CAcreateserial",
                "-days",
                days,
                "-sha384",
                "-extfile",
                &ext,
                "-extensions",
                "ext",
                "-out",
                &pem,
            ],
            b"",
        );
        Cert::load(dir, name, key)
    }

    fn load(dir: &Path, name: &str, key: Key) -> Cert {
        let pem_file = format!("{name}.pem");
        let der = openssl(dir, &["x509", "-in", &pem_file, "-outform", "DER"], b"");
        let pem = std::fs::read_to_string(dir.join(&pem_file)).expect("read the certificate");
        Cert { name: name.to_owned(), der, pem, key }
    }
}

/// MTH of RFC 6962 section 2.1, recursively.
pub fn tree_hash(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.len() == 1 {
        return leaves[0];
    }
    let k = split(leaves.len());
    node_hash(&tree_hash(&leaves[..k]), &tree_hash(&leaves[k..]))
}

/// PATH(m, D[n]) of RFC 6962 section 2.1.1.
pub fn audit_path(m: usize, leaves: &[[u8; 32]]) -> Vec<[u8; 32]> {
    if leaves.len() <= 1 {
        return Vec::new();
    }
    let k = split(leaves.len());
    let (mut path, sibling) = if m < k {
        (audit_path(m, &leaves[..k]), &leaves[k..])
    } else {
        (audit_path(m - k, &leaves[k..]), &leaves[..k])
    };
    path.push(tree_hash(sibling));
    path
}

/// The largest power of two smaller than `n`.
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

pub fn leaf_hash(data: &[u8]) -> [u8; 32] {
    Sha256::new().chain_update([0u8]).chain_update(data).finalize().into()
}

fn node_hash(left: &[u8], right: &[u8]) -> [u8; 32] {
    Sha256::new().chain_update([1u8]).chain_update(left).chain_update(right).finalize().into()
}

/// The test PKI and logs.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub root: Cert,
    pub intermediate: Cert,
    pub leaf: Cert,
    pub rekor: Key,
}

/// How to make one bundle; `Fixture::options` gives the valid one.
pub struct Options<'a> {
    pub media_type: &'a str,
    pub leaf: &'a Cert,
    pub integrated_time: u64,
    /// The log's key (logId and SET).
    pub log: &'a Key,
    /// Who signs the checkpoint.
    pub checkpoint_signer: &'a Key,
    /// Change the canonicalized body before it is logged.
    pub edit_body: Option<&'a dyn Fn(&mut serde_json::Value)>,
    pub promise: bool,
    pub proof: bool,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = tempfile::Builder::new().prefix("specgate-sigstore").tempdir().expect("temp dir");
        let root = Cert::root(dir.path(), "fulcio-root");
        let intermediate = root.intermediate("fulcio-intermediate");
        let leaf = intermediate.leaf("leaf", &LeafSpec::default());
        let rekor = Key::new(dir.path(), "rekor", false);
        Fixture { dir, root, intermediate, leaf, rekor }
    }

    pub fn options(&self) -> Options<'_> {
        Options {
            media_type: MEDIA_TYPE_V03,
            leaf: &self.leaf,
            integrated_time: now(),
            log: &self.rekor,
            checkpoint_signer: &self.rekor,
            edit_body: None,
            promise: true,
            proof: true,
        }
    }

    /// trusted_root.json in the production schema, naming the test CA and log.
    pub fn trusted_root(&self) -> String {
        serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": "https://rekor.test",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": b64(&self.rekor.spki),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": "2021-01-12T11:53:27Z"}
                },
                "logId": {"keyId": b64(&self.rekor.key_id())}
            }],
            "certificateAuthorities": [{
                "subject": {"organization": "specgate test", "commonName": "fulcio-root"},
                "uri": "https://fulcio.test",
                "certChain": {"certificates": [{"rawBytes": b64(&self.intermediate.der)}, {"rawBytes": b64(&self.root.der)}]},
                "validFor": {"start": "2022-04-13T20:06:15Z"}
            }],
            "ctlogs": [],
            "timestampAuthorities": []
        })
        .to_string()
    }

    /// Write trusted_root.json into the fixture folder; returns its path.
    pub fn trusted_root_file(&self) -> PathBuf {
        let path = self.dir.path().join("trusted_root.json");
        std::fs::write(&path, self.trusted_root()).expect("write trusted_root.json");
        path
    }

    /// A bundle for `artifact` as a JSON value.
    pub fn bundle(&self, artifact: &[u8], options: &Options<'_>) -> serde_json::Value {
        let digest = sha256(artifact);
        // Message signatures are over the SHA-256 whatever the curve, as sigstore-python signs.
        let signature = options.leaf.key.sign_with("-sha256", artifact);
        let mut body = serde_json::json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": hex(&digest)}},
                "signature": {"content": b64(&signature), "publicKey": {"content": b64(options.leaf.pem.as_bytes())}}
            }
        });
        if let Some(edit) = options.edit_body {
            edit(&mut body);
        }
        // serde_json sorts keys and writes no spaces, like Rekor's canonical JSON.
        let body = body.to_string();
        let body_b64 = b64(body.as_bytes());
        // Our entry is leaf 4 of a shard of 6; the global log index counts earlier shards too.
        let (tree_index, log_index) = (4usize, 1_000_004u64);
        let mut leaves: Vec<[u8; 32]> = (0..6).map(|i| leaf_hash(format!("other entry {i}").as_bytes())).collect();
        leaves[tree_index] = leaf_hash(body.as_bytes());
        let root_hash = tree_hash(&leaves);
        let key_id = options.log.key_id();
        let mut entry = serde_json::json!({
            "logIndex": log_index.to_string(),
            "logId": {"keyId": b64(&key_id)},
            "kindVersion": {"kind": "hashedrekord", "version": "0.0.1"},
            "integratedTime": options.integrated_time.to_string(),
            "canonicalizedBody": body_b64,
        });
        if options.promise {
            let payload = format!(
                r#"{{"body":"{body_b64}","integratedTime":{},"logID":"{}","logIndex":{log_index}}}"#,
                options.integrated_time,
                hex(&key_id)
            );
            entry["inclusionPromise"] =
                serde_json::json!({"signedEntryTimestamp": b64(&options.log.sign(payload.as_bytes()))});
        }
        if options.proof {
            let note = format!("rekor.test - 42\n{}\n{}\n", leaves.len(), b64(&root_hash));
            let signer = options.checkpoint_signer;
            let mut signed = signer.key_id()[..4].to_vec();
            signed.extend(signer.sign(note.as_bytes()));
            let envelope = format!("{note}\n\u{2014} rekor.test {}\n", b64(&signed));
            let hashes: Vec<String> = audit_path(tree_index, &leaves).iter().map(|h| b64(h)).collect();
            entry["inclusionProof"] = serde_json::json!({
                "logIndex": tree_index.to_string(),
                "rootHash": b64(&root_hash),
                "treeSize": leaves.len().to_string(),
                "hashes": hashes,
                "checkpoint": {"envelope": envelope}
            });
        }
        let mut material = serde_json::json!({"tlogEntries": [entry]});
        if options.media_type == MEDIA_TYPE_V03 {
            material["certificate"] = serde_json::json!({"rawBytes": b64(&options.leaf.der)});
        } else {
            material["x509CertificateChain"] =
                serde_json::json!({"certificates": [{"rawBytes": b64(&options.leaf.der)}]});
        }
        serde_json::json!({
            "mediaType": options.media_type,
            "verificationMaterial": material,
            "messageSignature": {
                "messageDigest": {"algorithm": "SHA2_256", "digest": b64(&digest)},
                "signature": b64(&signature)
            }
        })
    }
}
