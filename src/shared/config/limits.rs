//! `[limits]`: how long each kind of child process may run.

use serde::Deserialize;

use super::{Invalid, KeyPath};
use crate::shared::process::TimeLimit;

/// Default seconds the probe and each `bin/` entry point may run (they need well under one).
pub const PROBE_SECONDS: u64 = 120;
/// Default seconds `python -m venv` (with ensurepip; about 6 s here) and pip in the new venv may run.
pub const VENV_SECONDS: u64 = 300;
/// Default seconds one gpg run may take (an import or a verify needs well under one).
pub const GPG_SECONDS: u64 = 120;

/// `[limits]`: how long each kind of child process may run, in seconds.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawLimits {
    probe_timeout_seconds: Option<u64>,
    venv_timeout_seconds: Option<u64>,
    gpg_timeout_seconds: Option<u64>,
}

/// How long child processes may run; each limit names the key that raises it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The interpreter probe and each `bin/` entry point of a build.
    pub probe: TimeLimit,
    /// `python -m venv` and pip in the new venv, after a build.
    pub venv: TimeLimit,
    /// Each gpg run (import, verify, sign).
    pub gpg: TimeLimit,
}

impl Default for Limits {
    fn default() -> Limits {
        RawLimits::default().validate().expect("the built-in limits are valid")
    }
}

impl RawLimits {
    pub fn validate(self) -> Result<Limits, Invalid> {
        let limit = |key: &'static str, setting: &'static str, value: Option<u64>, default: u64| {
            let seconds = value.unwrap_or(default);
            if seconds == 0 {
                return Err(Invalid::new(
                    KeyPath::new("limits").key(key),
                    format!("`limits.{key}` must be at least 1 (seconds)"),
                ));
            }
            Ok(TimeLimit::new(std::time::Duration::from_secs(seconds), setting))
        };
        Ok(Limits {
            probe: limit(
                "probe-timeout-seconds",
                "`[limits] probe-timeout-seconds` in specgate.toml",
                self.probe_timeout_seconds,
                PROBE_SECONDS,
            )?,
            venv: limit(
                "venv-timeout-seconds",
                "`[limits] venv-timeout-seconds` in specgate.toml",
                self.venv_timeout_seconds,
                VENV_SECONDS,
            )?,
            gpg: limit(
                "gpg-timeout-seconds",
                "`[limits] gpg-timeout-seconds` in specgate.toml",
                self.gpg_timeout_seconds,
                GPG_SECONDS,
            )?,
        })
    }
}
