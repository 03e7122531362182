//! The secret scanner (`scan::secrets`): arbitrary bytes never panic and give bounded,
//! redacted findings; a fake secret made at run time is found wherever it is put.
//!
//! No secret is written in this file: tokens are assembled from parts, with a checksum
//! computed here, so the repository's own secret scan has nothing to find.

use std::sync::LazyLock;

use crc32fast::hash as crc32;
use proptest::prelude::*;
use specgate::gate::scan::secrets::base62_checksum;
use specgate::gate::scan::secrets::{self, is_placeholder, scan_file, Scanner, SecretsConfig};

use crate::{bytes_from, config};

const SECRET_PIECES: &[&str] = &[
    "password",
    "PASSWORD",
    "secret",
    "api_key",
    "token",
    "auth",
    "contrase\u{f1}a",
    "clave",
    " = ",
    ": ",
    "=",
    "\"",
    "'",
    "`",
    "export ",
    "AKIA",
    "gh",
    "p_",
    "github_pat_",
    "xox",
    "eyJ",
    "Bearer ",
    "Authorization: ",
    "https://",
    "user:",
    "@host",
    "-----BEGIN ",
    "PRIVATE KEY-----\n",
    "-----END ",
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
    "<password>",
    "</password>",
    "key=\"a\" value=\"",
    "aws_secret_access_key",
    "AccountKey=",
    "specgate: allow-secret",
    "Zx8kQ2vLm4Rt7Wp1",
    "${VAR}",
    "changeme",
];

const PATHS: &[&str] = &[
    "config.py",
    ".env",
    "prod.env",
    "README.md",
    "settings.yaml",
    "Cargo.lock",
    "SHA256SUMS",
    "notes",
    "dist/app.tgz!etc/.env",
];

const SEPARATORS: &[&str] = &[" ", "\n", "\r\n", "\t", "\"", "'", ",", ";", "(", ")", "=", ":", "\0"];

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Units of a minified line that trigger the prefilter again and again.
const LONG_LINE_UNITS: &[&str] = &["password=", "token: '", "AKIA", "eyJ", "://u:p@", "a=b;"];

/// A classic GitHub token with a valid checksum, assembled at run time.
fn github_token() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(BASE62), 30)
        .prop_map(|body| {
            let body = String::from_utf8(body).expect("base62 is ASCII");
            let checksum = base62_checksum(crc32(body.as_bytes()));
            ["gh", "p_", &body, &checksum].concat()
        })
        .prop_filter("not a placeholder", |token| !is_placeholder(token.as_bytes()))
}

/// An AWS access key id, assembled at run time, random enough for the rule's entropy floor.
fn aws_key_id() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(BASE32), 16)
        .prop_map(|tail| ["AK", "IA", &String::from_utf8(tail).expect("ASCII")].concat())
        .prop_filter("random enough", |key| secrets::entropy(key.as_bytes()) >= 3.0 && !is_placeholder(key.as_bytes()))
}

/// The built-in rules and their scanner, compiled once for every case.
static CONFIG: LazyLock<SecretsConfig> = LazyLock::new(SecretsConfig::default);
static SCANNER: LazyLock<Scanner<'static>> = LazyLock::new(|| Scanner::new(&CONFIG));

/// The index of a built-in rule.
fn rule_index(id: &str) -> usize {
    CONFIG.rules.iter().position(|rule| rule.id == id).expect("a built-in rule")
}

fn lines_before(content: &[u8], offset: usize) -> usize {
    content[..offset].iter().filter(|b| **b == b'\n').count()
}

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary bytes (invalid UTF-8, CR, NUL, keywords without secrets): no panic; findings
    /// are fewer than the bytes, do not overlap, sit on real lines, and show a preview, never
    /// more than 200 characters of the line.
    #[test]
    fn arbitrary_bytes_give_bounded_redacted_findings(
        content in bytes_from(SECRET_PIECES),
        path in proptest::sample::select(PATHS),
    ) {
        let scanner = &*SCANNER;
        let matches = scanner.scan(path, &content);
        prop_assert!(matches.len() <= content.len());
        for pair in matches.windows(2) {
            prop_assert!(pair[0].end <= pair[1].start, "{:?}", pair);
        }
        for m in &matches {
            prop_assert!(m.anchor <= m.start && m.start < m.end && m.end <= content.len(), "{:?}", m);
        }
        let findings = scan_file(scanner, path, &content, None);
        prop_assert!(findings.len() <= matches.len());
        let lines = lines_before(&content, content.len()) + 1;
        for finding in &findings {
            prop_assert!((1..=lines).contains(&finding.line) && finding.column >= 1);
            prop_assert!(finding.preview.ends_with("...") && finding.preview.chars().count() <= 7);
            prop_assert!(finding.excerpt.text.chars().count() <= 200);
            prop_assert!(finding.excerpt.column >= 1);
            prop_assert_eq!(finding.sha256.len(), 64);
        }
    }

    /// An AWS access key id in a line of printable text is found at its place.
    #[test]
    fn a_generated_aws_key_id_is_found(
        key in aws_key_id(),
        before in "[ -~]{0,80}",
        after in "[ -~]{0,80}",
        open in proptest::sample::select(SEPARATORS),
        close in proptest::sample::select(SEPARATORS),
    ) {
        let content = format!("{before}{open}{key}{close}{after}");
        let start = before.len() + open.len();
        let scanner = &*SCANNER;
        let rule = rule_index("aws-access-key-id");
        let matches = scanner.scan("deploy.sh", content.as_bytes());
        prop_assert!(
            matches.iter().any(|m| m.rule == rule && m.start == start && m.end == start + key.len()),
            "{:?} not found in {:?}: {:?}", key, content, matches
        );
    }

    /// Secrets listed with one separator between them (`KEYS = A,B`) are each found.
    #[test]
    fn adjacent_secrets_are_each_found(
        tokens in proptest::collection::vec(prop_oneof![github_token(), aws_key_id()], 2..5),
        separator in proptest::sample::select(SEPARATORS),
    ) {
        let content = format!("KEYS = {}\n", tokens.join(separator));
        let scanner = &*SCANNER;
        let matches = scanner.scan("keys.txt", content.as_bytes());
        let found: Vec<&str> = matches.iter().map(|m| &content[m.start..m.end]).collect();
        prop_assert_eq!(found, tokens.iter().map(String::as_str).collect::<Vec<_>>());
    }

    /// Two secrets on one line: each finding's excerpt masks both (issue 16, case 1).
    #[test]
    fn every_secret_on_a_line_is_masked_in_each_excerpt(
        token in github_token(),
        key in aws_key_id(),
        before in "[a-z ]{0,30}",
        middle in "[a-z ]{0,30}",
        after in "[a-z ]{0,30}",
        token_first in any::<bool>(),
    ) {
        let (first, second) = if token_first { (&token, &key) } else { (&key, &token) };
        let content = format!("{before} [\"{first}\",{middle}\"{second}\"] {after}\n");
        let scanner = &*SCANNER;
        let findings = scan_file(scanner, "keys.py", content.as_bytes(), None);
        prop_assert_eq!(findings.len(), 2, "{:?}", findings);
        for finding in &findings {
            prop_assert!(!finding.excerpt.text.contains(&token), "{}", finding.excerpt.text);
            prop_assert!(!finding.excerpt.text.contains(&key), "{}", finding.excerpt.text);
        }
    }
}

proptest! {
    #![proptest_config(config(96))]

    /// A GitHub token put anywhere in arbitrary bytes, between non-word separators, is found
    /// exactly, at its line and column.
    #[test]
    fn a_generated_github_token_is_found(
        token in github_token(),
        before in bytes_from(SECRET_PIECES),
        after in bytes_from(SECRET_PIECES),
        open in proptest::sample::select(SEPARATORS),
        close in proptest::sample::select(SEPARATORS),
        path in proptest::sample::select(PATHS),
    ) {
        prop_assume!(!before.windows(9).any(|w| w.eq_ignore_ascii_case(b"specgate:")));
        prop_assume!(!after.windows(9).any(|w| w.eq_ignore_ascii_case(b"specgate:")));
        let mut content = before.clone();
        content.extend_from_slice(open.as_bytes());
        let start = content.len();
        content.extend_from_slice(token.as_bytes());
        let end = content.len();
        content.extend_from_slice(close.as_bytes());
        content.extend_from_slice(&after);

        let scanner = &*SCANNER;
        let rule = rule_index("github-token");
        let matches = scanner.scan(path, &content);
        prop_assert!(
            matches.iter().any(|m| m.rule == rule && m.start == start && m.end == end),
            "{:?} not found in {:?}: {:?}", token, String::from_utf8_lossy(&content), matches
        );
        let findings = scan_file(scanner, path, &content, None);
        let line = lines_before(&content, start) + 1;
        let line_start = content[..start].iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&content[line_start..start]).chars().count() + 1;
        prop_assert!(
            findings.iter().any(|f| f.rule == "github-token" && f.line == line && f.column == column && f.length == token.len()),
            "{:?}", findings
        );
        // The value itself never appears in the finding.
        for finding in findings.iter().filter(|f| f.rule == "github-token") {
            prop_assert!(!finding.excerpt.text.contains(&token));
            prop_assert!(!finding.preview.contains(&token[4..]));
        }
    }
}

proptest! {
    #![proptest_config(config(12))]

    /// Long lines (a minified bundle) with many keyword hits: no panic, and the findings stay
    /// bounded by the input.
    #[test]
    fn long_lines_stay_bounded(
        unit in proptest::sample::select(LONG_LINE_UNITS),
        repeat in 1000usize..8000,
        token in github_token(),
    ) {
        let mut content = unit.repeat(repeat);
        content.push(' ');
        content.push_str(&token);
        content.push(' ');
        content.push_str(&unit.repeat(repeat));
        let scanner = &*SCANNER;
        let findings = scan_file(scanner, "bundle.min.js", content.as_bytes(), None);
        prop_assert!(findings.len() <= content.len() / 4);
        prop_assert!(findings.iter().any(|f| f.rule == "github-token"));
        prop_assert!(findings.iter().all(|f| f.excerpt.text.chars().count() <= 200));
    }
}
