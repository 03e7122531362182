//! `[hooks]`: the branches that need a spec (CA-006), where specs live, and whether the
//! pre-commit hook runs the critical tests.

use serde::Deserialize;

use super::{Invalid, KeyPath};

/// `[hooks]` in specgate.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawHooksConfig {
    spec_required_branches: Option<Vec<String>>,
    spec_folders: Option<Vec<String>>,
    pre_commit_tests: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct HooksConfig {
    /// Branch name globs (without `refs/heads/`) that need a valid spec (CA-006).
    pub spec_required_branches: globset::GlobSet,
    pub branch_patterns: Vec<String>,
    /// Folders where that spec may live.
    pub spec_folders: Vec<String>,
    /// Run the critical tests in the pre-commit hook too (they always run before a push).
    pub pre_commit_tests: bool,
}

impl RawHooksConfig {
    pub fn validate(self) -> Result<HooksConfig, Invalid> {
        let patterns = self.spec_required_branches.unwrap_or_else(|| vec!["feature/*".to_owned()]);
        let spec_required_branches = super::globs(&KeyPath::new("hooks.spec-required-branches"), &patterns, |p| {
            globset::GlobBuilder::new(p).literal_separator(false).build()
        })?;
        Ok(HooksConfig {
            spec_required_branches,
            branch_patterns: patterns,
            spec_folders: self
                .spec_folders
                .unwrap_or_else(|| vec!["docs/specs".to_owned(), "specs".to_owned()])
                .into_iter()
                .map(|f| f.trim_end_matches('/').to_owned())
                .collect(),
            pre_commit_tests: self.pre_commit_tests.unwrap_or(false),
        })
    }
}
