//! `[tests]`: the critical test command, its time limit, and the files it depends on.

use std::time::Duration;

use serde::Deserialize;

use super::{Invalid, KeyPath};

/// `[tests]` in specgate.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawTestsConfig {
    pub(crate) critical: Option<String>,
    pub(crate) timeout_seconds: Option<u64>,
    pub(crate) paths: Option<Vec<String>>,
    pub(crate) tail_lines: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct TestsConfig {
    /// A shell command (`sh -c`), for example `pytest -m critical` or `cargo test critical`.
    pub critical: Option<String>,
    pub timeout: Duration,
    /// Globs of the files the tests depend on; a push that touches none of them skips the tests.
    /// Empty: the tests always run.
    pub paths: Option<globset::GlobSet>,
    pub path_patterns: Vec<String>,
    pub tail_lines: usize,
}

impl RawTestsConfig {
    pub fn validate(self) -> Result<TestsConfig, Invalid> {
        let patterns = self.paths.unwrap_or_default();
        let paths = if patterns.is_empty() {
            None
        } else {
            Some(super::globs(&KeyPath::new("tests.paths"), &patterns, globset::Glob::new)?)
        };
        if self.critical.as_deref().is_some_and(|c| c.trim().is_empty()) {
            return Err(Invalid::new(
                KeyPath::new("tests.critical"),
                "`tests.critical` is empty; remove the key or give it a command",
            ));
        }
        if self.timeout_seconds == Some(0) {
            // 0 used to become 1 s without a word: every test run would be a timeout.
            return Err(Invalid::new(
                KeyPath::new("tests.timeout-seconds"),
                "`tests.timeout-seconds` must be at least 1 (seconds)",
            ));
        }
        Ok(TestsConfig {
            critical: self.critical,
            timeout: Duration::from_secs(self.timeout_seconds.unwrap_or(600)),
            paths,
            path_patterns: patterns,
            tail_lines: self.tail_lines.unwrap_or(40).max(1),
        })
    }
}
