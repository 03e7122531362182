//! OpenPGP detached-signature verification through `gpg --status-fd`, offline: the public key
//! comes from a file in a temporary GNUPGHOME that is removed afterwards, and the signature is
//! accepted only when gpg reports `VALIDSIG` with the pinned fingerprint (of the signing key or
//! its primary key) and no `BADSIG` or `ERRSIG`.
//!
//! `GOODSIG` is deliberately not required: gpg reports `EXPKEYSIG` instead of it when the
//! release manager's key has expired since, and an old release signed while the key was valid
//! is still authentic. A revoked key (`REVKEYSIG`), a signature past its own expiry (`EXPSIG`)
//! and a signature over an MD5, SHA-1 or RIPEMD-160 hash are refused. No keyserver is contacted
//! (`--no-auto-key-retrieve`, and the only key is the one imported here).
//!
//! Used by `specgate build` for the CPython source; install and publish reuse it.
//!
//! spec[impl SPEC_INFRA_001]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::shared::formats;
use crate::shared::process::{RunError, TimeLimit};

/// A verified signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Fingerprint of the key that made the signature (a subkey, or the primary key).
    pub signing_fingerprint: String,
    /// Fingerprint of the primary key.
    pub primary_fingerprint: String,
    /// The key had expired at verification time (gpg said EXPKEYSIG, not GOODSIG).
    pub key_expired: bool,
    /// Signature creation time, seconds since 1970, as gpg reports it.
    pub created: Option<u64>,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not run `gpg` to verify `{}`: {reason}", data.display())]
    Spawn { data: PathBuf, reason: String },
    #[error("`gpg {step}` for `{}` did not finish within {limit} and was stopped", data.display())]
    TimedOut { data: PathBuf, step: &'static str, limit: TimeLimit },
    #[error("could not prepare a temporary GnuPG home for `{}`", data.display())]
    Home {
        data: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` does not exist or is not a file", path.display())]
    Missing { path: PathBuf },
    #[error("`{}` holds no usable OpenPGP public key: {detail}", path.display())]
    Key { path: PathBuf, detail: String },
    #[error("`{fingerprint}` is not a fingerprint (40 or 64 hexadecimal digits)")]
    Fingerprint { fingerprint: String },
    #[error("the signature `{}` does not match `{}` (BADSIG): the file or the signature was altered", signature.display(), data.display())]
    Bad { data: PathBuf, signature: PathBuf },
    #[error("the signature `{}` of `{}` could not be checked (ERRSIG {detail})", signature.display(), data.display())]
    Unverifiable { data: PathBuf, signature: PathBuf, detail: String },
    #[error("the signature `{}` of `{}` was made by key {actual}, not by the pinned {expected}", signature.display(), data.display())]
    WrongKey { data: PathBuf, signature: PathBuf, expected: String, actual: String },
    #[error("the key {fingerprint} that signed `{}` is revoked", data.display())]
    Revoked { data: PathBuf, fingerprint: String },
    #[error("gpg reported no valid signature in `{}` for `{}`: {detail}", signature.display(), data.display())]
    NoSignature { data: PathBuf, signature: PathBuf, detail: String },
    #[error("the signature `{}` of `{}` has expired (EXPSIG): it carried its own expiry date, which has passed", signature.display(), data.display())]
    SignatureExpired { data: PathBuf, signature: PathBuf },
    #[error("the signature `{}` of `{}` uses the broken hash {name} (OpenPGP hash algorithm {algorithm})", signature.display(), data.display())]
    WeakHash { data: PathBuf, signature: PathBuf, algorithm: u32, name: &'static str },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::Spawn { .. } => "install GnuPG (`apt-get install -y gnupg`) and make sure `gpg` is on PATH".to_owned(),
            Error::TimedOut { limit, .. } => format!("an import or a verify takes well under a second, so gpg was probably waiting (a broken gpg-agent, a locked keyring, or a `gpg` on PATH that is not GnuPG): run the same check by hand to see it; on a machine that is only slow, raise {}", limit.setting),
            Error::Home { .. } => "check that the temporary folder (TMPDIR) is writable and not full".to_owned(),
            Error::Missing { .. } => "pass an existing file; the signature of a source is usually `<file>.asc` beside it".to_owned(),
            Error::Key { .. } => "the key file must be an armored or binary OpenPGP public key (`gpg --export --armor FPR`)".to_owned(),
            Error::Fingerprint { .. } => "copy the full fingerprint of the release manager's key, without spaces".to_owned(),
            Error::Bad { .. } => "do not use this file: download it again from the official source and verify again".to_owned(),
            Error::Unverifiable { .. } => "the public key file does not hold the key that made this signature; use the release manager's key named on python.org/downloads/metadata/pgp".to_owned(),
            Error::WrongKey { .. } => "the file was signed by someone else than the pinned release manager; check the pinned fingerprint against python.org before changing it".to_owned(),
            Error::Revoked { .. } => "a revoked key is not trusted; get a source signed with a valid key".to_owned(),
            Error::NoSignature { .. } => "the .asc must be a detached signature of exactly this file".to_owned(),
            Error::SignatureExpired { .. } => "an expired signature is not accepted (a key that expired after signing is); get the release's current signature from python.org".to_owned(),
            Error::WeakHash { .. } => "MD5, SHA-1 and RIPEMD-160 signatures can be forged; CPython releases are signed with SHA-256 or better: download the signature again from python.org".to_owned(),
        })
    }
}

/// Verify `signature` (detached, armored or binary) over `data` with the key in `public_key`,
/// requiring the signer to be `fingerprint` (case and spaces ignored). Each gpg run is stopped
/// at `limit`, so a hung agent cannot keep a build or an install (and its lock) waiting.
pub fn verify_detached(
    data: &Path,
    signature: &Path,
    public_key: &Path,
    fingerprint: &str,
    limit: TimeLimit,
) -> Result<Verified, Error> {
    verify_with(Path::new("gpg"), data, signature, public_key, fingerprint, limit)
}

/// [`verify_detached`] with the gpg program named, so a test can run one that hangs.
fn verify_with(
    program: &Path,
    data: &Path,
    signature: &Path,
    public_key: &Path,
    fingerprint: &str,
    limit: TimeLimit,
) -> Result<Verified, Error> {
    let expected = normalize_fingerprint(fingerprint)?;
    for path in [data, signature, public_key] {
        if !path.is_file() {
            return Err(Error::Missing { path: path.to_path_buf() });
        }
    }
    let home = TempHome::new(limit).map_err(|source| Error::Home { data: data.to_path_buf(), source })?;
    let gpg = |step: &'static str, args: &[&std::ffi::OsStr]| {
        let mut command = Command::new(program);
        command
            .arg("--homedir")
            .arg(&home.0)
            .args(["--batch", "--no-tty", "--no-auto-key-retrieve", "--no-options", "--status-fd", "1"])
            .args(args)
            .env("LC_ALL", "C")
            .stdin(Stdio::null());
        crate::shared::process::output_within(command, limit).map(|(_, stdout, stderr)| (stdout, stderr)).map_err(
            |error| match error {
                RunError::TimedOut(limit) => Error::TimedOut { data: data.to_path_buf(), step, limit },
                RunError::Start(error) => Error::Spawn { data: data.to_path_buf(), reason: error.to_string() },
            },
        )
    };
    let (import_status, import_stderr) = gpg("--import", &["--import".as_ref(), public_key.as_os_str()])?;
    if !import_status.lines().any(|l| l.starts_with("[GNUPG:] IMPORT_OK")) {
        let detail = import_stderr.trim().lines().last().unwrap_or("no key imported").to_owned();
        return Err(Error::Key { path: public_key.to_path_buf(), detail });
    }
    let (status, stderr) = gpg("--verify", &["--verify".as_ref(), signature.as_os_str(), data.as_os_str()])?;
    interpret(&status, &stderr, &expected, data, signature)
}

/// Decide from gpg's status lines; separate from running gpg so every case is unit-tested.
fn interpret(status: &str, stderr: &str, expected: &str, data: &Path, signature: &Path) -> Result<Verified, Error> {
    let mut valid: Option<Verified> = None;
    let mut expired = false;
    let mut revoked = None;
    for line in status.lines() {
        let Some(rest) = line.strip_prefix("[GNUPG:] ") else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        match fields.first().copied() {
            Some("BADSIG") => return Err(Error::Bad { data: data.to_path_buf(), signature: signature.to_path_buf() }),
            Some("ERRSIG") => {
                return Err(Error::Unverifiable {
                    data: data.to_path_buf(),
                    signature: signature.to_path_buf(),
                    detail: fields[1..].join(" "),
                })
            }
            Some("EXPKEYSIG") => expired = true,
            // The signature's own expiry (not the key's): gpg no longer calls it good.
            Some("EXPSIG") => {
                return Err(Error::SignatureExpired { data: data.to_path_buf(), signature: signature.to_path_buf() })
            }
            Some("REVKEYSIG") => revoked = Some(fields.get(1).copied().unwrap_or("?").to_owned()),
            Some("VALIDSIG") if fields.len() >= 2 => {
                let signing = fields[1].to_ascii_uppercase();
                // VALIDSIG <fpr> <date> <timestamp> <expire> <version> <reserved> <algo> <hash> <class> <primary-fpr>
                let primary = fields.get(10).map_or_else(|| signing.clone(), |f| f.to_ascii_uppercase());
                let created = fields.get(3).and_then(|t| t.parse().ok());
                // Hash algorithm ids of RFC 4880 9.4: 1 MD5, 2 SHA-1, 3 RIPEMD-160.
                let hash = fields.get(8).and_then(|h| h.parse::<u32>().ok());
                if let Some((algorithm, name)) = hash
                    .and_then(|h| [(1, "MD5"), (2, "SHA-1"), (3, "RIPEMD-160")].into_iter().find(|(id, _)| *id == h))
                {
                    return Err(Error::WeakHash {
                        data: data.to_path_buf(),
                        signature: signature.to_path_buf(),
                        algorithm,
                        name,
                    });
                }
                valid = Some(Verified {
                    signing_fingerprint: signing,
                    primary_fingerprint: primary,
                    key_expired: false,
                    created,
                });
            }
            _ => {}
        }
    }
    if let Some(fingerprint) = revoked {
        return Err(Error::Revoked { data: data.to_path_buf(), fingerprint });
    }
    let Some(mut verified) = valid else {
        let detail = stderr.trim().lines().last().unwrap_or("no VALIDSIG status line").to_owned();
        return Err(Error::NoSignature { data: data.to_path_buf(), signature: signature.to_path_buf(), detail });
    };
    if verified.signing_fingerprint != expected && verified.primary_fingerprint != expected {
        return Err(Error::WrongKey {
            data: data.to_path_buf(),
            signature: signature.to_path_buf(),
            expected: expected.to_owned(),
            actual: verified.primary_fingerprint,
        });
    }
    verified.key_expired = expired;
    Ok(verified)
}

/// Uppercase hex without spaces; 40 (v4) or 64 (v5/v6) digits.
pub fn normalize_fingerprint(text: &str) -> Result<String, Error> {
    formats::openpgp_fingerprint(text).ok_or_else(|| Error::Fingerprint { fingerprint: text.to_owned() })
}

/// A private GnuPG home, removed on drop (with gpg-agent asked to stop first).
pub(crate) struct TempHome(pub(crate) PathBuf, TimeLimit);

impl TempHome {
    /// A new folder of mode 0700 under the temporary folder, never one that already existed.
    pub(crate) fn new(limit: TimeLimit) -> std::io::Result<TempHome> {
        use std::os::unix::fs::DirBuilderExt;
        let base = std::env::temp_dir();
        for attempt in 0..100u32 {
            let nanos =
                std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
            let path = base.join(format!("specgate-gnupg-{}-{nanos}-{attempt}", std::process::id()));
            match std::fs::DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(TempHome(path, limit)),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(std::io::ErrorKind::AlreadyExists, "no free temporary folder name"))
    }
}

impl Drop for TempHome {
    fn drop(&mut self) {
        let mut gpgconf = Command::new("gpgconf");
        gpgconf.arg("--homedir").arg(&self.0).args(["--kill", "all"]).stdin(Stdio::null());
        let _ = crate::shared::process::output_within(gpgconf, self.1);
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPR: &str = "7169605F62C751356D054A26A821E680E5FA6305";

    fn run(status: &str) -> Result<Verified, Error> {
        interpret(status, "", FPR, Path::new("d"), Path::new("d.asc"))
    }

    #[test]
    fn validsig_with_the_pinned_primary_fingerprint_passes_even_when_expired() {
        let status = format!(
            "[GNUPG:] NEWSIG\n[GNUPG:] KEYEXPIRED 1782950400\n[GNUPG:] EXPKEYSIG A821E680E5FA6305 Thomas\n\
             [GNUPG:] VALIDSIG {FPR} 2025-06-11 1749657600 0 4 0 1 10 00 {FPR}\n"
        );
        let verified = run(&status).unwrap();
        assert!(verified.key_expired);
        assert_eq!(verified.primary_fingerprint, FPR);
        assert_eq!(verified.created, Some(1_749_657_600));
    }

    #[test]
    fn subkey_signature_matches_through_the_primary_fingerprint() {
        let sub = "0123456789ABCDEF0123456789ABCDEF01234567";
        let status = format!("[GNUPG:] GOODSIG X\n[GNUPG:] VALIDSIG {sub} 2025-06-11 1 0 4 0 1 10 00 {FPR}\n");
        assert!(!run(&status).unwrap().key_expired);
    }

    #[test]
    fn bad_err_wrong_key_revoked_and_missing_are_refused() {
        assert!(matches!(run("[GNUPG:] BADSIG A821E680E5FA6305 T\n"), Err(Error::Bad { .. })));
        assert!(matches!(run("[GNUPG:] ERRSIG A821E680E5FA6305 1 10 00 1 9\n"), Err(Error::Unverifiable { .. })));
        let other = "0123456789ABCDEF0123456789ABCDEF01234567";
        let status = format!("[GNUPG:] VALIDSIG {other} 2025-06-11 1 0 4 0 1 10 00 {other}\n");
        assert!(matches!(run(&status), Err(Error::WrongKey { .. })));
        let status = format!("[GNUPG:] REVKEYSIG X T\n[GNUPG:] VALIDSIG {FPR} 2025-06-11 1 0 4 0 1 10 00 {FPR}\n");
        assert!(matches!(run(&status), Err(Error::Revoked { .. })));
        assert!(matches!(run("[GNUPG:] NEWSIG\n"), Err(Error::NoSignature { .. })));
        // A GOODSIG line alone (no VALIDSIG) is not enough.
        assert!(matches!(run("[GNUPG:] GOODSIG A821E680E5FA6305 T\n"), Err(Error::NoSignature { .. })));
    }

    #[test]
    fn an_expired_signature_and_a_sha1_signature_are_refused() {
        // The signature's own expiry passed (not the key's, which EXPKEYSIG reports).
        let status = format!(
            "[GNUPG:] EXPSIG A821E680E5FA6305 T\n[GNUPG:] VALIDSIG {FPR} 2025-06-11 1 1760000000 4 0 1 10 00 {FPR}\n"
        );
        let error = run(&status).unwrap_err();
        assert!(matches!(error, Error::SignatureExpired { .. }), "{error}");
        assert!(error.to_string().contains("(EXPSIG)"), "{error}");
        // Hash algorithm 2 is SHA-1; 8 (SHA-256) and 10 (SHA-512) pass.
        let sha1 = format!("[GNUPG:] GOODSIG X T\n[GNUPG:] VALIDSIG {FPR} 2025-06-11 1 0 4 0 1 2 00 {FPR}\n");
        let error = run(&sha1).unwrap_err();
        assert!(error.to_string().contains("broken hash SHA-1"), "{error}");
        assert!(error.hint().unwrap().contains("SHA-256"));
        let sha256 = format!("[GNUPG:] GOODSIG X T\n[GNUPG:] VALIDSIG {FPR} 2025-06-11 1 0 4 0 1 8 00 {FPR}\n");
        assert!(run(&sha256).is_ok());
    }

    #[test]
    fn a_gpg_that_hangs_is_stopped_at_the_limit_with_the_setting_named() {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("gpg");
        std::fs::write(&program, "#!/bin/sh\nsleep 1000\n").unwrap();
        std::fs::set_permissions(&program, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let file = dir.path().join("data");
        std::fs::write(&file, "x").unwrap();
        let limit = TimeLimit::new(std::time::Duration::from_secs(1), "`--gpg-timeout`");
        let started = std::time::Instant::now();
        let error = verify_with(&program, &file, &file, &file, FPR, limit).unwrap_err();
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "{:?}", started.elapsed());
        assert!(error.to_string().contains("`gpg --import` for"), "{error}");
        assert!(error.to_string().contains("did not finish within 1 s"), "{error}");
        assert!(error.hint().unwrap().contains("raise `--gpg-timeout`"), "{error:?}");
    }

    #[test]
    fn fingerprints_are_normalized_and_checked() {
        assert_eq!(normalize_fingerprint("7169 605f 62C7 5135 6D05  4A26 A821 E680 E5FA 6305").unwrap(), FPR);
        assert!(normalize_fingerprint("A821E680E5FA6305").is_err());
        assert!(normalize_fingerprint(&"Z".repeat(40)).is_err());
    }
}
