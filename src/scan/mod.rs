//! Content scanners: secrets (rules, allowlist, baseline) and emoji, over a file set.

pub mod baseline;
pub mod secrets;
pub mod secrets_rules;
