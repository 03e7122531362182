//! Detached OpenPGP signatures of artifacts, made by calling `gpg --detach-sign --armor`, with
//! the user's keyring (optionally a chosen key) or with a secret key file imported into a
//! throw-away GnuPG home. Verification belongs to install (`gpg::verify_detached`).
//!
//! A signature embeds its creation time, so signing twice gives different bytes; the signature
//! is kept at `<artifact folder>/signatures/<artifact>.asc` and reused while it still verifies,
//! so publishing again finds the same asset and uploads nothing.
//!
//! spec[impl SPEC_INFRA_001]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use super::Error;
use crate::pipeline::gpg::TempHome;
use crate::shared::process::{RunError, TimeLimit};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Which key signs.
#[derive(Debug, Clone)]
pub enum Signer {
    /// The default keyring (`GNUPGHOME` or `~/.gnupg`); `key` picks one (`--local-user`).
    Keyring { key: Option<String> },
    /// An armored or binary secret key file, imported into a temporary GnuPG home.
    KeyFile(PathBuf),
}

/// Where the signature of `artifact` is kept.
pub fn signature_path(artifact: &Path) -> PathBuf {
    let name = artifact.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    artifact.parent().unwrap_or(Path::new(".")).join("signatures").join(format!("{name}.asc"))
}

/// Run one gpg step within `limit`: its exit status and stderr.
fn run_gpg(command: Command, step: &str, limit: TimeLimit) -> Result<(bool, String), Error> {
    match crate::shared::process::output_within(command, limit) {
        Ok((status, _, stderr)) => Ok((status.success(), stderr)),
        Err(RunError::Start(source)) => Err(Error::Sign {
            reason: format!("`gpg` could not be started ({source})"),
            hint: "install GnuPG (`apt-get install gnupg`)".to_owned(),
        }),
        Err(RunError::TimedOut(limit)) => Err(Error::Sign {
            reason: format!("`gpg {step}` did not finish within {limit} and was stopped"),
            hint: format!(
                "gpg in batch mode does not prompt, so it was probably waiting on gpg-agent (a passphrase, a locked keyring): run `gpg --detach-sign` by hand to see it; on a machine that is only slow, raise {}",
                limit.setting
            ),
        }),
    }
}

/// The signature of `artifact`: the kept one when it verifies, else a new one; each gpg run
/// is stopped at `limit`. Returns the path and whether it was made now.
pub fn sign(artifact: &Path, signer: &Signer, limit: TimeLimit) -> Result<(PathBuf, bool), Error> {
    let target = signature_path(artifact);
    let home = match signer {
        Signer::KeyFile(key) => Some(import_key(key, limit)?),
        Signer::Keyring { .. } => None,
    };
    let gpg = || {
        let mut command = Command::new("gpg");
        command.args(["--batch", "--no-tty", "--quiet"]).stdin(Stdio::null());
        if let Some(home) = &home {
            command.arg("--homedir").arg(&home.0);
        }
        command
    };
    if target.is_file() {
        let mut verify = gpg();
        verify.arg("--verify").arg(&target).arg(artifact);
        if run_gpg(verify, "--verify", limit)?.0 {
            return Ok((target, false));
        }
    }
    let folder = target.parent().expect("the signature path has a folder");
    std::fs::create_dir_all(folder).map_err(|source| Error::io("create", folder, source))?;
    let temp = folder.join(format!(
        ".{}.tmp-{}-{}",
        target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let mut command = gpg();
    command.args(["--yes", "--detach-sign", "--armor", "--output"]).arg(&temp);
    if let Signer::Keyring { key: Some(key) } = signer {
        command.arg("--local-user").arg(key);
    }
    command.arg(artifact);
    let signed = run_gpg(command, "--detach-sign", limit);
    let (success, stderr) = match signed {
        Ok(ran) => ran,
        Err(error) => {
            let _ = std::fs::remove_file(&temp);
            return Err(error);
        }
    };
    if !success {
        let _ = std::fs::remove_file(&temp);
        return Err(Error::Sign {
            reason: format!("`gpg --detach-sign` failed: {}", last_lines(&stderr)),
            hint: match signer {
                Signer::Keyring { .. } => "check that `gpg --list-secret-keys` shows the team's key (pass `--sign-as KEYID` to pick one), and that it needs no passphrase prompt in batch mode (use gpg-agent)".to_owned(),
                Signer::KeyFile(_) => "the key file must hold a secret key without a passphrase, as `gpg --export-secret-keys --armor KEYID` writes it".to_owned(),
            },
        });
    }
    std::fs::rename(&temp, &target).map_err(|source| Error::io("rename", &temp, source))?;
    Ok((target, true))
}

fn import_key(key: &Path, limit: TimeLimit) -> Result<TempHome, Error> {
    if !key.is_file() {
        return Err(Error::Sign {
            reason: format!("the key file `{}` does not exist", key.display()),
            hint: "pass `--sign-key FILE` with a secret key exported by `gpg --export-secret-keys --armor`".to_owned(),
        });
    }
    let home =
        TempHome::new(limit).map_err(|source| Error::io("create a GnuPG home in", &std::env::temp_dir(), source))?;
    let mut import = Command::new("gpg");
    import.args(["--batch", "--no-tty", "--quiet", "--homedir"]).arg(&home.0).arg("--import").arg(key);
    let (success, stderr) = run_gpg(import, "--import", limit)?;
    if !success {
        return Err(Error::Sign {
            reason: format!("`gpg --import` of `{}` failed: {}", key.display(), last_lines(&stderr)),
            hint: "the file must be an OpenPGP secret key (`gpg --export-secret-keys --armor KEYID`)".to_owned(),
        });
    }
    Ok(home)
}

fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join("; ")
}
