//! `[emoji]`: which files the emoji check skips and how strict it is.

use serde::Deserialize;

use super::{Invalid, KeyPath};

/// `[emoji]` in specgate.toml.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawEmojiConfig {
    strict: Option<bool>,
    allow_paths: Option<Vec<String>>,
    max_file_bytes: Option<u64>,
}

/// The validated `[emoji]` section.
#[derive(Debug, Clone)]
pub struct EmojiConfig {
    /// Also report text-default symbols (the copyright sign, arrows, check marks).
    pub strict: bool,
    /// Paths (and archive members) never scanned for emoji.
    pub allow_paths: globset::GlobSet,
    pub max_file_bytes: u64,
}

impl Default for EmojiConfig {
    fn default() -> EmojiConfig {
        EmojiConfig { strict: false, allow_paths: globset::GlobSet::empty(), max_file_bytes: 16 * 1024 * 1024 }
    }
}

impl RawEmojiConfig {
    /// Validate into `EmojiConfig`; the error names the bad key and where it is.
    pub fn validate(self) -> Result<EmojiConfig, Invalid> {
        let defaults = EmojiConfig::default();
        let allow_paths = super::globs(
            &KeyPath::new("emoji.allow-paths"),
            &self.allow_paths.unwrap_or_default(),
            globset::Glob::new,
        )?;
        let max_file_bytes = self.max_file_bytes.unwrap_or(defaults.max_file_bytes);
        if max_file_bytes == 0 {
            return Err(Invalid::new(
                KeyPath::new("emoji.max-file-bytes"),
                "`emoji.max-file-bytes` must be greater than 0",
            ));
        }
        Ok(EmojiConfig { strict: self.strict.unwrap_or(false), allow_paths, max_file_bytes })
    }
}
