//! `[secrets]`: the rules (the built-in ones of `secret_rules`, replaced, extended or turned
//! off), the allowlisted paths, the file size cap and the baseline's path, compiled once for
//! the scanner in `gate::scan::secrets`.

use regex::bytes::Regex;
use serde::Deserialize;

use super::secret_rules::{self, Scope, Validation, BUILTIN_RULES};
use super::{regex_reason, shorten, Invalid, KeyPath};

/// The default cap on the size of a scanned file.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The default baseline file, at the root of the work tree.
pub const DEFAULT_BASELINE: &str = ".specgate-secrets-baseline.json";

/// `[secrets]` in specgate.toml, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSecrets {
    /// Path globs whose files are never reported (fixtures, test corpora).
    allow_paths: Option<Vec<String>>,
    /// Rule ids to turn off.
    disable: Option<Vec<String>>,
    max_file_bytes: Option<u64>,
    baseline: Option<String>,
    /// Extra rules; one with the id of a built-in rule replaces it.
    rules: Option<Vec<RawRule>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRule {
    id: String,
    description: Option<String>,
    regex: String,
    keywords: Option<Vec<String>>,
    entropy: Option<f64>,
    secret_group: Option<usize>,
    /// Only files matching one of these globs.
    paths: Option<Vec<String>>,
}

/// Which files a compiled rule applies to.
#[derive(Debug, Clone)]
pub(crate) enum RuleScope {
    Any,
    DotEnv,
    Globs(globset::GlobSet),
}

/// One compiled rule, built-in or from the configuration.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub description: String,
    pub(crate) regex: Regex,
    pub(crate) keywords: Vec<String>,
    pub(crate) entropy: Option<f64>,
    /// The capture group holding the secret (0: the whole match).
    pub(crate) group: usize,
    pub(crate) validation: Validation,
    pub(crate) scope: RuleScope,
    pub(crate) multiline: bool,
}

/// `[secrets]`, validated: compiled rules, allowlist globs, limits.
#[derive(Debug, Clone)]
pub struct SecretsConfig {
    pub rules: Vec<Rule>,
    pub allowlist: globset::GlobSet,
    pub max_file_bytes: u64,
    /// Repository-relative path of the baseline file.
    pub baseline: String,
}

impl Default for SecretsConfig {
    fn default() -> SecretsConfig {
        SecretsConfig::from_raw(RawSecrets::default()).expect("the built-in secret rules compile")
    }
}

impl SecretsConfig {
    /// Validate `[secrets]`; the error names the key at fault and where it is.
    pub fn from_raw(raw: RawSecrets) -> Result<SecretsConfig, Invalid> {
        let mut rules: Vec<Rule> = Vec::new();
        for builtin in BUILTIN_RULES {
            let source = if builtin.validation == Validation::Assignment && builtin.regex.is_empty() {
                secret_rules::generic_regex()
            } else {
                builtin.regex.to_owned()
            };
            let regex = Regex::new(&source).map_err(|e| {
                Invalid::new(KeyPath::new("secrets"), format!("built-in rule `{}` does not compile: {e}", builtin.id))
            })?;
            let group = if builtin.validation == Validation::PrivateKey { 0 } else { 1 };
            rules.push(Rule {
                id: builtin.id.to_owned(),
                description: builtin.description.to_owned(),
                regex,
                keywords: builtin.keywords.iter().map(|k| (*k).to_owned()).collect(),
                entropy: builtin.entropy,
                group,
                validation: builtin.validation,
                scope: match builtin.scope {
                    Scope::Any => RuleScope::Any,
                    Scope::DotEnv => RuleScope::DotEnv,
                },
                multiline: builtin.multiline,
            });
        }
        for (index, raw_rule) in raw.rules.unwrap_or_default().into_iter().enumerate() {
            let id = raw_rule.id.clone();
            let at = KeyPath::new("secrets.rules").index(index);
            let invalid = |key: &str, message: String| {
                Invalid::new(at.clone().key(key), format!("`secrets.rules` entry `{}`: {message}", shorten(&id)))
            };
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(invalid("id", "`id` must be kebab-case ASCII (a-z, 0-9, -)".to_owned()));
            }
            let regex = regex::bytes::RegexBuilder::new(&raw_rule.regex).unicode(false).build().map_err(|e| {
                invalid(
                    "regex",
                    format!("`regex` is not a valid ASCII regular expression: {}", regex_reason(&raw_rule.regex, &e)),
                )
            })?;
            let group = raw_rule.secret_group.unwrap_or(if regex.captures_len() > 1 { 1 } else { 0 });
            if group >= regex.captures_len() {
                return Err(invalid(
                    "secret-group",
                    format!("`secret-group = {group}` but the regex has {} capture group(s)", regex.captures_len() - 1),
                ));
            }
            let keywords: Vec<String> =
                raw_rule.keywords.unwrap_or_default().iter().map(|k| k.to_ascii_lowercase()).collect();
            if keywords.iter().any(String::is_empty) {
                return Err(invalid("keywords", "`keywords` must not contain an empty string".to_owned()));
            }
            let scope = match raw_rule.paths {
                Some(globs) => RuleScope::Globs(build_globs(&globs, &at.clone().key("paths"))?),
                None => RuleScope::Any,
            };
            if keywords.is_empty() && matches!(scope, RuleScope::Any) {
                return Err(invalid(
                    "id",
                    "give `keywords` (the prefilter) or `paths`; a rule without either would run its regex on every file"
                        .to_owned(),
                ));
            }
            if let Some(entropy) = raw_rule.entropy {
                if !(0.0..=8.0).contains(&entropy) {
                    return Err(invalid("entropy", "`entropy` is in bits per byte, between 0 and 8".to_owned()));
                }
            }
            let rule = Rule {
                id: id.clone(),
                description: raw_rule.description.unwrap_or_else(|| format!("secret matching rule `{id}`")),
                regex,
                keywords,
                entropy: raw_rule.entropy,
                group,
                validation: Validation::Token,
                scope,
                multiline: false,
            };
            match rules.iter_mut().find(|r| r.id == id) {
                Some(existing) => *existing = rule,
                None => rules.push(rule),
            }
        }
        for (index, id) in raw.disable.unwrap_or_default().into_iter().enumerate() {
            let before = rules.len();
            rules.retain(|r| r.id != id);
            if rules.len() == before {
                return Err(Invalid::new(
                    KeyPath::new("secrets.disable").index(index),
                    format!("`secrets.disable` names unknown rule `{}`; docs/secrets.md lists the rules", shorten(&id)),
                ));
            }
        }
        let allowlist = build_globs(&raw.allow_paths.unwrap_or_default(), &KeyPath::new("secrets.allow-paths"))?;
        Ok(SecretsConfig {
            rules,
            allowlist,
            max_file_bytes: raw.max_file_bytes.unwrap_or(DEFAULT_MAX_FILE_BYTES),
            baseline: raw.baseline.unwrap_or_else(|| DEFAULT_BASELINE.to_owned()),
        })
    }

    /// Is this path (or, for an archive member `a.whl!x/y.py`, its archive) allowlisted?
    pub fn is_allowlisted(&self, path: &str) -> bool {
        self.allowlist.is_match(path)
            || path.split_once('!').is_some_and(|(archive, _)| self.allowlist.is_match(archive))
    }
}

fn build_globs(patterns: &[String], at: &KeyPath) -> Result<globset::GlobSet, Invalid> {
    super::globs(at, patterns, |pattern| globset::GlobBuilder::new(pattern).literal_separator(true).build())
}
