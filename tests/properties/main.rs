//! Property tests of the parsers and scanners that read content nobody vetted (issue 16):
//! generated and mutated inputs must never panic, output stays bounded by input, and where a
//! writer exists its output parses back to what was written. One module per parser; inputs that
//! once broke a property or a fuzz target live on in `regressions`.
//!
//! `PROPTEST_CASES=N` raises every property's case count for a longer run (docs/fuzzing.md).
//! Emoji and fake secrets are built at run time: the repository itself must stay free of both.

mod config;
mod document;
mod emoji;
mod frontmatter;
mod ledger;
mod links;
mod outdated;
mod regressions;
mod secrets;
mod unpack;

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;

/// The configuration of one property block: `cases` unless `PROPTEST_CASES` asks for more.
/// Failures are not persisted to files: a failing case is printed shrunk, and is kept by hand
/// as a named test in `regressions`, where it documents what broke.
pub fn config(cases: u32) -> ProptestConfig {
    let mut config = ProptestConfig::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = cases;
    }
    config.failure_persistence = None;
    config
}

/// Line endings, NUL, other control characters and a BOM.
const CONTROLS: &[&str] = &["\n", "\r\n", "\r", "\0", "\t", "\u{feff}", "\u{7f}", "\u{1b}"];

/// Byte sequences that are not UTF-8: a stray byte, truncated sequences, an encoded surrogate.
const INVALID_UTF8: &[&[u8]] = &[b"\xff", b"\xc2", b"\xe2\x80", b"\xf0\x9f", b"\xed\xa0\x80", b"\x80\x80"];

/// Text made of pieces that matter to line-based parsers (line endings, NUL, control characters,
/// a BOM, non-ASCII letters) around `fragments`, with the occasional arbitrary string.
pub fn text_from(fragments: &'static [&'static str]) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        4 => proptest::sample::select(fragments).prop_map(str::to_owned),
        2 => "[ -~]{0,12}",
        1 => proptest::sample::select(CONTROLS).prop_map(str::to_owned),
        1 => any::<String>().prop_map(|s| s.chars().take(16).collect()),
    ];
    proptest::collection::vec(piece, 0..48).prop_map(|pieces| pieces.concat())
}

/// Bytes with the same pieces, plus invalid UTF-8 and arbitrary bytes.
pub fn bytes_from(fragments: &'static [&'static str]) -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        6 => text_from(fragments).prop_map(String::into_bytes),
        1 => proptest::collection::vec(any::<u8>(), 0..24),
        1 => proptest::sample::select(INVALID_UTF8).prop_map(<[u8]>::to_vec),
    ];
    proptest::collection::vec(piece, 0..6).prop_map(|pieces| pieces.concat())
}

/// 1-based line and character column of byte `offset` in `text`, counting `\n` only.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}
