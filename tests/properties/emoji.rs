//! The emoji scanner (`scan::emoji`): arbitrary bytes never panic and give bounded findings on
//! real lines; an emoji put at a known place is found there. Every emoji here is a Rust escape.

use proptest::prelude::*;
use specgate::gate::scan::emoji::{self, Kind};

use crate::{bytes_from, config};

/// Single code points with Emoji_Presentation.
const PRESENTATION: &[char] =
    &['\u{1F600}', '\u{1F680}', '\u{2705}', '\u{274C}', '\u{2B50}', '\u{231A}', '\u{1F004}', '\u{1F9EA}', '\u{26A1}'];

/// Emoji sequences and the kind each is reported as.
fn sequence() -> impl Strategy<Value = (String, Kind)> {
    prop_oneof![
        proptest::sample::select(PRESENTATION).prop_map(|c| (c.to_string(), Kind::Presentation)),
        Just(("\u{2764}\u{FE0F}".to_owned(), Kind::Selector)),
        Just(("1\u{FE0F}\u{20E3}".to_owned(), Kind::Keycap)),
        Just(("#\u{20E3}".to_owned(), Kind::Keycap)),
        Just(("\u{1F1EA}\u{1F1F8}".to_owned(), Kind::Flag)),
        Just(("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}".to_owned(), Kind::Zwj)),
        Just(("\u{1F44D}\u{1F3FD}".to_owned(), Kind::SkinTone)),
        Just(("\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}".to_owned(), Kind::TagFlag)),
    ]
}

/// Byte sequences around which emoji clusters form: joiners, selectors, modifiers, regional
/// indicators, keycaps, tags, and emoji themselves.
const EMOJI_PIECES: &[&str] = &[
    "\u{1F600}",
    "\u{2764}",
    "\u{FE0F}",
    "\u{FE0E}",
    "\u{200D}",
    "\u{1F3FD}",
    "\u{1F1EA}",
    "\u{20E3}",
    "\u{E0067}",
    "\u{E007F}",
    "\u{1F3F4}",
    "\u{A9}",
    "\u{2122}",
    "\u{301}",
    "\u{600}",
    "1",
    "#",
    "*",
    "\u{2500}",
    "\u{4E2D}",
];

const CONTROLS: &[char] = &['\n', '\r', '\t', '\0', '\u{1b}'];

/// Letters of other scripts, and a box-drawing line: never emoji, never joined to a neighbour.
const LETTERS: &[char] = &['\u{e9}', '\u{f1}', '\u{416}', '\u{4e2d}', '\u{5d0}', '\u{2500}'];

/// Text that holds no emoji and no character that joins a neighbour's cluster: ASCII (line
/// breaks, NUL and controls included) and letters of other scripts.
fn plain_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            8 => proptest::char::range(' ', '~'),
            1 => proptest::sample::select(CONTROLS),
            1 => proptest::sample::select(LETTERS),
        ],
        0..120,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary bytes: no panic; at most one finding per two bytes; each finding on the line
    /// its offset is on, in order; strict mode finds everything default mode finds.
    #[test]
    fn arbitrary_bytes_give_bounded_findings(bytes in bytes_from(EMOJI_PIECES)) {
        let found = emoji::find(&bytes, false);
        let strict = emoji::find(&bytes, true);
        prop_assert!(strict.len() <= bytes.len() / 2, "{} findings in {} bytes", strict.len(), bytes.len());
        for (a, b) in strict.iter().zip(strict.iter().skip(1)) {
            prop_assert!((a.line, a.column) < (b.line, b.column) && a.offset <= b.offset, "{:?} then {:?}", a, b);
        }
        for f in &strict {
            prop_assert!(f.offset < bytes.len() && f.column >= 1 && !f.code_points.is_empty());
            let line = bytes[..f.offset].iter().filter(|b| **b == b'\n').count() + 1;
            prop_assert_eq!(f.line as usize, line, "{:?}", f);
        }
        for f in &found {
            prop_assert!(f.kind != Kind::TextSymbol);
            prop_assert!(strict.iter().any(|s| s.line == f.line && s.column == f.column && s.code_points == f.code_points), "{:?} not in strict", f);
        }
    }

    /// Emoji put into plain text at known places are exactly the findings, with their line,
    /// column, offset, code points and kind.
    #[test]
    fn emoji_are_found_where_they_were_put(
        parts in proptest::collection::vec((plain_text(), sequence()), 0..6),
        tail in plain_text(),
    ) {
        let mut text = String::new();
        let mut expected = Vec::new();
        for (plain, (emoji, kind)) in &parts {
            text.push_str(plain);
            let line = text.matches('\n').count() + 1;
            let column = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            expected.push((line as u32, column as u32, text.len(), emoji.chars().collect::<Vec<char>>(), *kind));
            text.push_str(emoji);
        }
        text.push_str(&tail);
        let found: Vec<_> = emoji::find(text.as_bytes(), false)
            .into_iter()
            .map(|f| (f.line, f.column, f.offset, f.code_points, f.kind))
            .collect();
        prop_assert_eq!(found, expected, "{:?}", text);
    }

    /// An emoji in arbitrary bytes (invalid UTF-8, CR, NUL, joiners and modifiers around it)
    /// is found on its line, in the cluster that holds it, at its character column.
    #[test]
    fn an_emoji_in_arbitrary_bytes_is_found_on_its_line(
        before in bytes_from(EMOJI_PIECES),
        after in bytes_from(EMOJI_PIECES),
        emoji in proptest::sample::select(PRESENTATION),
    ) {
        let mut bytes = before.clone();
        bytes.extend_from_slice(emoji.to_string().as_bytes());
        bytes.extend_from_slice(&after);
        let line = before.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = before.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
        let found = emoji::find(&bytes, true);
        prop_assert!(
            found.iter().any(|f| f.line as usize == line
                && f.code_points.iter().enumerate().any(|(k, c)| *c == emoji && f.column as usize + k == column)),
            "{:?} at {}:{} not in {:?}", emoji, line, column, found
        );
    }
}

proptest! {
    #![proptest_config(config(8))]

    /// Thousands of emoji on one line: one finding each, in order, without blow-up.
    #[test]
    fn many_emoji_on_one_line(count in 1000usize..20_000, emoji in proptest::sample::select(PRESENTATION)) {
        let text = format!("{}\n", format!("{emoji} ").repeat(count));
        let found = emoji::find(text.as_bytes(), false);
        prop_assert_eq!(found.len(), count);
        prop_assert!(found.iter().enumerate().all(|(i, f)| f.line == 1 && f.column as usize == 2 * i + 1));
    }
}
