//! `check emoji`: finds emoji in text, one finding per extended grapheme cluster (UAX #29),
//! decided from Unicode properties (Emoji, Emoji_Presentation, modifiers), never from
//! hand-written code point ranges. The file set and the parallel driver come from `fileset`.
//!
//! A cluster is an emoji when it renders as one by default:
//! - a code point with Emoji_Presentation not followed by VS15 (U+FE0E);
//! - a non-ASCII code point with Emoji followed by VS16 (U+FE0F);
//! - a keycap: `[0-9#*]`, optional VS16, U+20E3;
//! - a flag: two regional indicators, or a black flag with a tag sequence;
//! - a ZWJ sequence of emoji, or an emoji with a skin-tone modifier.
//!
//! Text-default symbols without VS16 (the copyright sign, U+2122, U+2194, U+2714, U+26A0,
//! U+2764, ...) are left alone, because every LICENSE has one; `strict` reports them too.
//! Letters, punctuation, box drawing, math, CJK and joiners inside scripts are never emoji.

use unicode_properties::{EmojiStatus, UnicodeEmoji};
use unicode_segmentation::UnicodeSegmentation;

use crate::gate::scan::fileset::{self, Options, ScanItem, Selection, Summary};
pub use crate::shared::config::emoji::{EmojiConfig, RawEmojiConfig};
use crate::shared::context::CheckContext;
use crate::shared::diag::{Diagnostic, Excerpt, Position, Report};

// ---------------------------------------------------------------- detection

/// Why a cluster counts as an emoji.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A code point that renders as emoji by default (Emoji_Presentation).
    Presentation,
    /// A text-default code point turned into an emoji by VS16.
    Selector,
    Keycap,
    Flag,
    TagFlag,
    Zwj,
    SkinTone,
    /// Strict mode only: a text-default symbol with the Emoji property.
    TextSymbol,
}

impl Kind {
    fn describe(self) -> &'static str {
        match self {
            Kind::Presentation => "emoji",
            Kind::Selector => "emoji (text symbol with emoji variation selector U+FE0F)",
            Kind::Keycap => "emoji keycap sequence",
            Kind::Flag => "emoji flag",
            Kind::TagFlag => "emoji tag-sequence flag",
            Kind::Zwj => "emoji ZWJ sequence",
            Kind::SkinTone => "emoji with skin-tone modifier",
            Kind::TextSymbol => "symbol with the Emoji property",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Kind::TextSymbol => "emoji-text-symbol",
            _ => "emoji-found",
        }
    }
}

/// One emoji cluster in a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// 1-based line.
    pub line: u32,
    /// 1-based column in characters (Unicode scalar values).
    pub column: u32,
    /// Byte offset of the cluster in the scanned bytes.
    pub offset: usize,
    /// Byte offsets of the start and end (before `\n`) of its line.
    pub line_bounds: (usize, usize),
    pub code_points: Vec<char>,
    pub kind: Kind,
}

impl Found {
    /// The code points as `U+XXXX U+XXXX`.
    pub fn code_points_text(&self) -> String {
        self.code_points.iter().map(|c| format!("U+{:04X}", u32::from(*c))).collect::<Vec<_>>().join(" ")
    }
}

const VS15: char = '\u{FE0E}';
const VS16: char = '\u{FE0F}';
const ZWJ: char = '\u{200D}';
const KEYCAP: char = '\u{20E3}';
const BLACK_FLAG: char = '\u{1F3F4}';
const CANCEL_TAG: char = '\u{E007F}';

fn is_presentation(status: EmojiStatus) -> bool {
    matches!(
        status,
        EmojiStatus::EmojiPresentation
            | EmojiStatus::EmojiPresentationAndModifierBase
            | EmojiStatus::EmojiPresentationAndEmojiComponent
            | EmojiStatus::EmojiPresentationAndModifierAndEmojiComponent
    )
}

fn is_modifier(status: EmojiStatus) -> bool {
    matches!(status, EmojiStatus::EmojiPresentationAndModifierAndEmojiComponent)
}

/// Decide whether one extended grapheme cluster is an emoji, and why.
pub fn classify(cluster: &str, strict: bool) -> Option<Kind> {
    let chars: Vec<char> = cluster.chars().collect();
    let first = *chars.first()?;
    let mut regional = 0;
    let mut keycap = false;
    let mut tags = false;
    let mut zwj = false;
    let mut modifier = false;
    let mut emoji = 0;
    let mut presentation = false;
    let mut selector = false;
    let mut text_symbol = false;
    for (index, &c) in chars.iter().enumerate() {
        let next = chars.get(index + 1).copied();
        if unicode_properties::emoji::is_regional_indicator(c) {
            regional += 1;
        } else if c == KEYCAP {
            keycap |= matches!(first, '0'..='9' | '#' | '*');
        } else if c == ZWJ {
            zwj = true;
        } else if unicode_properties::emoji::is_tag_character(c) {
            tags |= c != CANCEL_TAG;
        } else if !c.is_ascii() && c.is_emoji_char() {
            let status = c.emoji_status();
            emoji += 1;
            // A modifier after a space or letter (it extends any cluster) is a lone emoji.
            modifier |=
                is_modifier(status) && index > 0 && chars[index - 1].is_emoji_char() && !chars[index - 1].is_ascii();
            if is_presentation(status) && next != Some(VS15) {
                presentation = true;
            } else if next == Some(VS16) {
                selector = true;
            } else {
                text_symbol = true;
            }
        }
    }
    let kind = if regional >= 2 {
        Kind::Flag
    } else if keycap {
        Kind::Keycap
    } else if tags && first == BLACK_FLAG && chars.last() == Some(&CANCEL_TAG) {
        Kind::TagFlag
    } else if zwj && emoji >= 2 {
        Kind::Zwj
    } else if modifier {
        Kind::SkinTone
    } else if presentation || regional == 1 {
        Kind::Presentation
    } else if selector {
        Kind::Selector
    } else if strict && text_symbol {
        Kind::TextSymbol
    } else {
        return None;
    };
    Some(kind)
}

/// Whether the character starting at `at` (its lead byte already one of 0xC2, 0xE2, 0xE3,
/// 0xF0) can be part of an emoji, so the line around it is worth segmenting.
fn is_candidate(bytes: &[u8], at: usize) -> bool {
    let width = match bytes[at] {
        0xC2 => 2,
        0xF0 => 4,
        _ => 3,
    };
    let Some(encoded) = bytes.get(at..at + width) else {
        return false;
    };
    let Ok(text) = std::str::from_utf8(encoded) else {
        return false;
    };
    let c = text.chars().next().expect("a valid non-empty UTF-8 slice has a character");
    c == KEYCAP || c.is_emoji_char() || unicode_properties::emoji::is_regional_indicator(c)
}

/// Every emoji cluster in a text, in order.
///
/// Only the lead bytes 0xC2, 0xE2, 0xE3 and 0xF0 can start a code point with the Emoji
/// property (or U+20E3), so the scan jumps between them with memchr and segments only the
/// lines where such a code point occurs. Grapheme clusters never span a line feed.
pub fn find(bytes: &[u8], strict: bool) -> Vec<Found> {
    let mut found = Vec::new();
    let mut position = 0;
    let mut line = 1u32;
    let mut counted = 0;
    // memchr3 takes three needles, so 0xC2 has its own search; each next hit is cached so
    // no stretch of text is searched twice.
    let mut wide = Lookahead::default();
    let mut narrow = Lookahead::default();
    while position < bytes.len() {
        let a = wide.next(bytes, position, |rest| memchr::memchr3(0xE2, 0xE3, 0xF0, rest));
        let b = narrow.next(bytes, position, |rest| memchr::memchr(0xC2, rest));
        let hit = match (a, b) {
            (Some(a), Some(b)) => a.min(b),
            (Some(hit), None) | (None, Some(hit)) => hit,
            (None, None) => break,
        };
        if !is_candidate(bytes, hit) {
            position = hit + 1;
            continue;
        }
        // Lines before `counted` are done, so the search back stops there.
        let line_start = memchr::memrchr(b'\n', &bytes[counted..hit]).map_or(counted, |i| counted + i + 1);
        let line_end = memchr::memchr(b'\n', &bytes[hit..]).map_or(bytes.len(), |i| hit + i);
        line += memchr::memchr_iter(b'\n', &bytes[counted..line_start]).count() as u32;
        counted = line_start;
        scan_line(bytes, (line_start, line_end), line, strict, &mut found);
        position = line_end + 1;
    }
    found
}

/// The cached position of the next match of one byte search.
#[derive(Default)]
struct Lookahead {
    at: Option<usize>,
    exhausted: bool,
}

impl Lookahead {
    fn next(&mut self, bytes: &[u8], position: usize, search: impl Fn(&[u8]) -> Option<usize>) -> Option<usize> {
        if self.exhausted {
            return None;
        }
        if self.at.is_none_or(|at| at < position) {
            self.at = search(&bytes[position..]).map(|i| position + i);
            self.exhausted = self.at.is_none();
        }
        self.at
    }
}

fn scan_line(bytes: &[u8], line_bounds: (usize, usize), line: u32, strict: bool, found: &mut Vec<Found>) {
    let start = line_bounds.0;
    let text = String::from_utf8_lossy(&bytes[start..line_bounds.1]);
    // Replacement characters make lossy offsets drift from the bytes: point at the line start.
    let exact = matches!(text, std::borrow::Cow::Borrowed(_));
    let mut column = 1u32;
    for (offset, cluster) in text.grapheme_indices(true) {
        let width = cluster.chars().count() as u32;
        if !cluster.is_ascii() {
            if let Some(kind) = classify(cluster, strict) {
                found.push(Found {
                    line,
                    column,
                    offset: if exact { start + offset } else { start },
                    line_bounds,
                    code_points: cluster.chars().collect(),
                    kind,
                });
            }
        }
        column += width;
    }
}

/// The findings of one scanned item.
pub fn findings(item: &ScanItem, strict: bool) -> Vec<Diagnostic> {
    let found = find(&item.content, strict);
    if found.is_empty() {
        return Vec::new();
    }
    found
        .into_iter()
        .map(|f| {
            let code_points = f.code_points_text();
            let help = match f.kind {
                Kind::TextSymbol => "write it in words or ASCII, or drop `--strict` / `emoji.strict` to allow text-default symbols",
                _ => "remove it or write it in words; where code needs the character, write an escape such as `\\u{1F600}`",
            };
            let mut diagnostic = Diagnostic::new(
                f.kind.code(),
                item.path.clone(),
                Position::new(f.line as usize, f.column as usize),
                format!("{} {code_points}", f.kind.describe()),
            )
            .help(help);
            diagnostic.width = 2;
            let (start, end) = f.line_bounds;
            diagnostic.excerpt(Excerpt::of(&item.content[start..end], f.offset - start))
        })
        .collect()
}

/// Run the emoji check over a file set. `strict` from the command line adds to the config's.
pub fn check(
    ctx: &CheckContext,
    selection: &Selection,
    strict: bool,
    report: &mut Report,
) -> Result<Summary, fileset::Error> {
    let config = &ctx.config.emoji;
    let strict = strict || config.strict;
    let options = Options {
        max_file_bytes: config.max_file_bytes,
        allow_paths: config.allow_paths.clone(),
        archives: true,
        upstream: None,
    };
    let summary = fileset::scan(&ctx.workspace, selection, &options, report, |item| findings(item, strict))?;
    report.note(format!(
        "emoji: scanned {} file{} ({} bytes){}",
        summary.items,
        if summary.items == 1 { "" } else { "s" },
        summary.bytes,
        if strict { ", strict" } else { "" }
    ));
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::config::KeyPath;

    /// (text, expected kind in default mode, expected kind in strict mode)
    const CLUSTERS: &[(&str, Option<Kind>, Option<Kind>)] = &[
        // Emoji_Presentation code points.
        ("\u{1F600}", Some(Kind::Presentation), Some(Kind::Presentation)),
        ("\u{1F680}", Some(Kind::Presentation), Some(Kind::Presentation)),
        ("\u{2705}", Some(Kind::Presentation), Some(Kind::Presentation)),
        ("\u{274C}", Some(Kind::Presentation), Some(Kind::Presentation)),
        ("\u{2B50}", Some(Kind::Presentation), Some(Kind::Presentation)),
        ("\u{231A}", Some(Kind::Presentation), Some(Kind::Presentation)),
        ("\u{2795}", Some(Kind::Presentation), Some(Kind::Presentation)),
        ("\u{3297}\u{FE0F}", Some(Kind::Selector), Some(Kind::Selector)),
        ("\u{1F004}", Some(Kind::Presentation), Some(Kind::Presentation)),
        ("\u{1F9EA}", Some(Kind::Presentation), Some(Kind::Presentation)),
        // Emoji_Presentation with VS15 asks for text.
        ("\u{231A}\u{FE0E}", None, Some(Kind::TextSymbol)),
        ("\u{2705}\u{FE0E}", None, Some(Kind::TextSymbol)),
        // Text-default symbols: only strict mode reports them.
        ("\u{00A9}", None, Some(Kind::TextSymbol)),
        ("\u{00AE}", None, Some(Kind::TextSymbol)),
        ("\u{2122}", None, Some(Kind::TextSymbol)),
        ("\u{2194}", None, Some(Kind::TextSymbol)),
        ("\u{2714}", None, Some(Kind::TextSymbol)),
        ("\u{26A0}", None, Some(Kind::TextSymbol)),
        ("\u{2764}", None, Some(Kind::TextSymbol)),
        ("\u{203C}", None, Some(Kind::TextSymbol)),
        ("\u{25B6}", None, Some(Kind::TextSymbol)),
        ("\u{3030}", None, Some(Kind::TextSymbol)),
        ("\u{1F170}", None, Some(Kind::TextSymbol)),
        // ... and with VS16 they are emoji.
        ("\u{2764}\u{FE0F}", Some(Kind::Selector), Some(Kind::Selector)),
        ("\u{26A0}\u{FE0F}", Some(Kind::Selector), Some(Kind::Selector)),
        ("\u{00A9}\u{FE0F}", Some(Kind::Selector), Some(Kind::Selector)),
        ("\u{2714}\u{FE0F}", Some(Kind::Selector), Some(Kind::Selector)),
        // Keycaps.
        ("1\u{FE0F}\u{20E3}", Some(Kind::Keycap), Some(Kind::Keycap)),
        ("#\u{20E3}", Some(Kind::Keycap), Some(Kind::Keycap)),
        ("*\u{FE0F}\u{20E3}", Some(Kind::Keycap), Some(Kind::Keycap)),
        ("a\u{20E3}", None, None),
        // Flags.
        ("\u{1F1EA}\u{1F1F8}", Some(Kind::Flag), Some(Kind::Flag)),
        ("\u{1F1FA}\u{1F1F8}", Some(Kind::Flag), Some(Kind::Flag)),
        ("\u{1F1EA}", Some(Kind::Presentation), Some(Kind::Presentation)),
        ("\u{1F3F4}\u{E0067}\u{E0062}\u{E0065}\u{E006E}\u{E0067}\u{E007F}", Some(Kind::TagFlag), Some(Kind::TagFlag)),
        // ZWJ sequences.
        ("\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}", Some(Kind::Zwj), Some(Kind::Zwj)),
        ("\u{1F3F3}\u{FE0F}\u{200D}\u{1F308}", Some(Kind::Zwj), Some(Kind::Zwj)),
        ("\u{2764}\u{FE0F}\u{200D}\u{1F525}", Some(Kind::Zwj), Some(Kind::Zwj)),
        ("\u{1F469}\u{1F3FD}\u{200D}\u{1F4BB}", Some(Kind::Zwj), Some(Kind::Zwj)),
        // Skin tones.
        ("\u{1F44D}\u{1F3FD}", Some(Kind::SkinTone), Some(Kind::SkinTone)),
        ("\u{261D}\u{1F3FB}", Some(Kind::SkinTone), Some(Kind::SkinTone)),
        ("\u{1F3FF}", Some(Kind::Presentation), Some(Kind::Presentation)),
        // Never emoji.
        ("a", None, None),
        ("#", None, None),
        ("7", None, None),
        ("1\u{FE0F}", None, None),
        ("\u{00E9}", None, None),
        ("e\u{0301}", None, None),
        ("\u{00F1}", None, None),
        ("\u{00BF}", None, None),
        ("\u{00A1}", None, None),
        ("\u{00AB}", None, None),
        ("\u{00B0}", None, None),
        ("\u{00A0}", None, None),
        ("\u{2014}", None, None),
        ("\u{201C}", None, None),
        ("\u{2026}", None, None),
        ("\u{2192}", None, None),
        ("\u{2190}\u{FE0F}", None, None),
        ("\u{2500}", None, None),
        ("\u{2554}", None, None),
        ("\u{2588}", None, None),
        ("\u{2211}", None, None),
        ("\u{221E}", None, None),
        ("\u{2264}", None, None),
        ("\u{00D7}", None, None),
        ("\u{03BB}", None, None),
        ("\u{4E2D}", None, None),
        ("\u{3042}", None, None),
        ("\u{30AB}", None, None),
        ("\u{3001}", None, None),
        ("\u{AC00}", None, None),
        ("\u{0915}\u{094D}\u{200D}", None, None),
        ("\u{0645}\u{200C}", None, None),
        ("\u{200D}", None, None),
        ("\u{20AC}", None, None),
        ("\u{1F000}", None, None),
        ("\u{1D11E}", None, None),
    ];

    #[test]
    fn clusters_are_classified_by_property() {
        for (text, default, strict) in CLUSTERS {
            let clusters: Vec<&str> = text.graphemes(true).collect();
            assert_eq!(clusters.len(), 1, "{text:?} is one cluster");
            assert_eq!(classify(text, false), *default, "default mode, {text:?}");
            assert_eq!(classify(text, true), *strict, "strict mode, {text:?}");
        }
    }

    #[test]
    fn every_cluster_is_found_inside_text_at_its_column() {
        for (text, default, strict) in CLUSTERS {
            for (mode, expected) in [(false, default), (true, strict)] {
                let line = format!("ab {text} cd");
                let source = format!("first line\n{line}\n");
                let found = find(source.as_bytes(), mode);
                match expected {
                    Some(kind) => {
                        assert_eq!(found.len(), 1, "{text:?} strict={mode}: {found:?}");
                        // A skin-tone modifier extends whatever precedes it, even a space.
                        let extends_space = format!(" {text}").graphemes(true).count() == 1;
                        let column = if extends_space { 3 } else { 4 };
                        assert_eq!((found[0].line, found[0].column, found[0].kind), (2, column, *kind), "{text:?}");
                        if !extends_space {
                            assert_eq!(found[0].code_points, text.chars().collect::<Vec<_>>());
                        }
                    }
                    None => assert!(found.is_empty(), "{text:?} strict={mode}: {found:?}"),
                }
            }
        }
    }

    #[test]
    fn one_finding_per_cluster_with_lines_and_columns() {
        let text = "# T\u{00ED}tulo \u{00A9} 2026\r\nok \u{1F600}\u{1F600} y \u{1F1EA}\u{1F1F8}\n\n\u{2500}\u{2500} \u{201C}x\u{201D}\n\u{00BF}qu\u{00E9}? \u{1F44D}\u{1F3FD}";
        let found: Vec<(u32, u32, Kind)> =
            find(text.as_bytes(), false).iter().map(|f| (f.line, f.column, f.kind)).collect();
        assert_eq!(
            found,
            vec![(2, 4, Kind::Presentation), (2, 5, Kind::Presentation), (2, 9, Kind::Flag), (5, 7, Kind::SkinTone),]
        );
        let strict: Vec<(u32, u32)> = find(text.as_bytes(), true).iter().map(|f| (f.line, f.column)).collect();
        assert_eq!(strict[0], (1, 10));
        assert_eq!(strict.len(), 5);
    }

    #[test]
    fn twenty_thousand_emoji_on_a_line_give_short_excerpts_at_their_columns() {
        // Each finding used to carry a copy of the whole line (1.75 GB for this one).
        let text = format!("x\n'{}'\n", "\u{1F600} ".repeat(20_000));
        let diagnostics = findings(&ScanItem::new("faces.py", text.into_bytes()), false);
        assert_eq!(diagnostics.len(), 20_000);
        for (i, d) in diagnostics.iter().enumerate() {
            assert_eq!(d.position, Position::new(2, 2 + 2 * i), "finding {i}");
            let excerpt = d.source_line.as_deref().unwrap();
            assert!(excerpt.chars().count() < 200, "{excerpt}");
            assert_eq!(excerpt.chars().nth(d.excerpt_column.unwrap() - 1), Some('\u{1F600}'));
        }
    }

    #[test]
    fn line_numbers_stay_right_across_many_non_candidate_hits() {
        let mut text = "\u{00BF}s\u{00ED}? \u{201C}no\u{201D}\n".repeat(1000);
        text.push_str("x \u{1F600}\n");
        text.push_str(&"\u{2014}\u{3042}\n".repeat(10));
        text.push_str("\u{00A0}\u{2705}");
        let found: Vec<(u32, u32)> = find(text.as_bytes(), false).iter().map(|f| (f.line, f.column)).collect();
        assert_eq!(found, vec![(1001, 3), (1012, 2)]);
    }

    #[test]
    fn keycap_cluster_starts_at_the_ascii_digit() {
        let found = find("call 1\u{FE0F}\u{20E3} now".as_bytes(), false);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].column, found[0].offset), (6, 5));
        assert_eq!(found[0].code_points_text(), "U+0031 U+FE0F U+20E3");
    }

    #[test]
    fn invalid_utf8_and_lone_lead_bytes_do_not_panic() {
        let cases: &[&[u8]] = &[b"\xF0", b"\xE2\x82", b"x\xC2", b"\xF0\x9F\x98", b"\xFF\xE2\x9C\x85\xFF", b""];
        for bytes in cases {
            let _ = find(bytes, true);
        }
        let found = find(b"\xFF bad \xE2\x9C\x85", false);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].kind, found[0].column), (Kind::Presentation, 7));
        let item = ScanItem::new("x", b"ok\n\xFF\xFF\xFF\xFF \xE2\x9C\x85".to_vec());
        let diagnostics = findings(&item, false);
        assert_eq!(diagnostics[0].position, Position::new(2, 6));
        assert!(diagnostics[0].source_line.as_deref().is_some_and(|l| l.ends_with("\u{2705}")));
    }

    #[test]
    fn findings_carry_code_path_position_and_code_points() {
        let item = ScanItem::new("docs/a.md", "x\n  \u{2705} done\n".as_bytes().to_vec());
        let diagnostics = findings(&item, false);
        assert_eq!(diagnostics.len(), 1);
        let d = &diagnostics[0];
        assert_eq!((d.code, d.path.as_str(), d.position), ("emoji-found", "docs/a.md", Position::new(2, 3)));
        assert!(d.message.contains("U+2705"), "{}", d.message);
        assert_eq!(d.source_line.as_deref(), Some("  \u{2705} done"));
    }

    #[test]
    fn config_validates_globs_and_cap() {
        let config: RawEmojiConfig =
            toml::from_str("strict = true\nallow-paths = [\"docs/**\"]\nmax-file-bytes = 10\n").unwrap();
        let config = config.validate().unwrap();
        assert!(config.strict && config.allow_paths.is_match("docs/x.md") && config.max_file_bytes == 10);
        let bad: RawEmojiConfig = toml::from_str("allow-paths = [\"a/[\"]\n").unwrap();
        let error = bad.validate().unwrap_err();
        assert!(error.message.contains("emoji.allow-paths"), "{error}");
        assert_eq!(error.at, KeyPath::new("emoji.allow-paths").index(0));
        assert!(toml::from_str::<RawEmojiConfig>("stric = true\n").is_err());
    }
}
