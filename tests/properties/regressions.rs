//! Inputs that once broke a property or a fuzz target, kept as named tests so they run on every
//! `cargo test` and say what broke. docs/fuzzing.md explains how a crash becomes one of these.

use specgate::gate::scan::secrets::{Scanner, SecretsConfig};
use specgate::gate::spec::document::Document;
use specgate::shared::diag::SourceFile;

/// Two AWS key ids with one separator between them: the first match used to swallow the
/// separator, which the second needs as its leading boundary, so the second key was missed
/// (found by `secrets::adjacent_secrets_are_each_found`).
#[test]
fn secrets_separated_by_one_byte_are_each_found() {
    let first = ["AK", "IA", "ZQ4TJ7WXB2MNR5KD"].concat();
    let second = ["AK", "IA", "HV3PLY6GCS2UEF7W"].concat();
    let config = SecretsConfig::default();
    let scanner = Scanner::new(&config);
    for separator in ["\t", ",", " ", "\n", "="] {
        let content = format!("KEYS = {first}{separator}{second}\n");
        let found: Vec<&str> =
            scanner.scan("keys.txt", content.as_bytes()).iter().map(|m| &content[m.start..m.end]).collect();
        assert_eq!(found, [first.as_str(), second.as_str()], "separator {separator:?}");
    }
}

/// A body of 100,000 `---` lines (400 KB): each one looked ahead by walking the body again from
/// its start, so the scan was quadratic (20,000 lines took 36 s in a debug build; 42 ms once
/// linear). Tests assert behaviour, not time: this one checks the result on that input, and
/// `bash bench/spec.sh` measures the time.
#[test]
fn a_run_of_thematic_breaks_is_not_front_matter() {
    let any_id = specgate::shared::config::Config::defaults().spec.any_id;
    let document = Document::parse(SourceFile::new("specs/X.md", "---\n".repeat(100_000)), &any_id);
    assert_eq!(document.body.misplaced_front_matter, None);
}
