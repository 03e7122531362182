//! `[links]` of specgate.toml: which Markdown files link checking skips, which external URLs
//! `--remote` never requests, and how it requests the others.

use std::time::Duration;

use regex::Regex;
use serde::Deserialize;

use crate::shared::config::{globs, regex_reason, Invalid, KeyPath};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawLinks {
    exclude: Option<Vec<String>>,
    exclude_paths: Option<Vec<String>>,
    concurrency: Option<usize>,
    timeout_seconds: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct LinksConfig {
    /// Regular expressions: an external URL matching one is never requested.
    pub exclude: Vec<Regex>,
    /// Globs of Markdown files whose links are not checked (fixtures, fuzz corpora).
    pub exclude_paths: globset::GlobSet,
    pub exclude_path_patterns: Vec<String>,
    /// Requests `--remote` keeps in flight at once.
    pub concurrency: usize,
    /// Time limit of one request.
    pub timeout: Duration,
}

impl Default for LinksConfig {
    fn default() -> LinksConfig {
        RawLinks::default().validate().expect("the built-in defaults are valid")
    }
}

impl RawLinks {
    pub fn validate(self) -> Result<LinksConfig, Invalid> {
        let mut exclude = Vec::new();
        for (index, pattern) in self.exclude.unwrap_or_default().iter().enumerate() {
            let regex = Regex::new(pattern).map_err(|error| {
                Invalid::new(
                    KeyPath::new("links.exclude").index(index),
                    format!("`links.exclude` holds an invalid regular expression: {}", regex_reason(pattern, &error)),
                )
            })?;
            exclude.push(regex);
        }
        let patterns = self.exclude_paths.unwrap_or_default();
        let exclude_paths = globs(&KeyPath::new("links.exclude-paths"), &patterns, |p| {
            globset::GlobBuilder::new(p).literal_separator(true).build()
        })?;
        let concurrency = self.concurrency.unwrap_or(8);
        if !(1..=64).contains(&concurrency) {
            return Err(Invalid::new(
                KeyPath::new("links.concurrency"),
                "`links.concurrency` must be between 1 and 64",
            ));
        }
        let timeout_seconds = self.timeout_seconds.unwrap_or(10);
        if timeout_seconds == 0 {
            return Err(Invalid::new(
                KeyPath::new("links.timeout-seconds"),
                "`links.timeout-seconds` must be at least 1",
            ));
        }
        Ok(LinksConfig {
            exclude,
            exclude_paths,
            exclude_path_patterns: patterns,
            concurrency,
            timeout: Duration::from_secs(timeout_seconds),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<LinksConfig, Invalid> {
        toml::from_str::<RawLinks>(text).expect("valid toml").validate()
    }

    #[test]
    fn defaults_and_values() {
        let config = parse("").unwrap();
        assert!(config.exclude.is_empty());
        assert_eq!((config.concurrency, config.timeout), (8, Duration::from_secs(10)));
        let config =
            parse("exclude = ['^https://example\\.com/']\nexclude-paths = ['tests/**']\nconcurrency = 2\n").unwrap();
        assert!(config.exclude[0].is_match("https://example.com/x"));
        assert!(config.exclude_paths.is_match("tests/a/b.md"));
        assert_eq!(config.concurrency, 2);
    }

    #[test]
    fn bad_values_are_refused() {
        assert!(parse("exclude = ['(']\n").unwrap_err().message.contains("links.exclude"));
        assert!(parse("concurrency = 0\n").is_err());
        assert!(parse("timeout-seconds = 0\n").is_err());
        assert!(toml::from_str::<RawLinks>("exlude = []\n").is_err());
    }
}
