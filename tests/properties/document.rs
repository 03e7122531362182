//! The document scanner (`spec::document`): front-matter plus the body's headings, fenced
//! blocks, body ids, test-case rows and mentions of other documents.

use std::sync::LazyLock;

use proptest::prelude::*;
use regex::Regex;
use specgate::gate::spec::document::{BodyIdKind, Document, Front};
use specgate::gate::spec::frontmatter;
use specgate::shared::config::Config;
use specgate::shared::diag::SourceFile;

use crate::{config, text_from};

const MARKDOWN_PIECES: &[&str] = &[
    "---\n",
    "id: SPEC_X_001\n",
    "tipo: adr\n",
    "# ",
    "#### UC-1: title\n",
    "## 3.3 Criterios\n",
    "####### seven\n",
    "| BR-001 | rule |\n",
    "| CP-001 | build | CA-001, CA-002 |\n",
    "|---|---|\n",
    "**CA-001**: criterion\n",
    "- **CP-002** case\n",
    "```gherkin\n",
    "```\n",
    "~~~~\n",
    "    ```\n",
    "Given a\n",
    "see SPEC_INFRA_001 and ADR_008, PLAN-INFRA-001\n",
    "REQ-UC-X-001",
    "\n",
    "\r\n",
    "\u{e1}\u{f1}",
];

/// The default id pattern, compiled once: building `Config::defaults()` compiles every rule.
static ANY_ID: LazyLock<Regex> = LazyLock::new(|| Config::defaults().spec.any_id);

fn parse(text: String) -> Document {
    Document::parse(SourceFile::new("specs/X.md", text), &ANY_ID)
}

/// Lines that hold no id, fence, heading, table or front-matter marker.
fn prose() -> impl Strategy<Value = String> {
    "[a-z][a-z ,.]{0,30}"
}

/// One line of a generated body and the definition it makes, if any.
#[derive(Debug, Clone)]
enum Line {
    Prose(String),
    Definition {
        text: String,
        id: String,
        column: usize,
    },
    /// A fenced block of `lines` lines, each naming an id that must not count.
    Fenced {
        lines: usize,
        tilde: bool,
    },
}

fn body_id() -> impl Strategy<Value = String> {
    prop_oneof![
        (1u32..500).prop_map(|n| format!("UC-{n}")),
        (0u32..1000).prop_map(|n| format!("BR-{n:03}")),
        (0u32..1000).prop_map(|n| format!("CA-{n:03}")),
        (0u32..1000).prop_map(|n| format!("CP-{n:03}")),
    ]
}

fn line() -> impl Strategy<Value = Line> {
    prop_oneof![
        3 => prose().prop_map(Line::Prose),
        3 => (body_id(), 0usize..4, prose()).prop_map(|(id, form, title)| {
            let (lead, tail) = match form {
                0 => ("#### ", format!(": {title}")),
                1 => ("| ", " | x |".to_owned()),
                2 => ("**", format!("**: {title}")),
                _ => ("- **", "**".to_owned()),
            };
            // The column of the id itself, after the heading marks, pipe or bold marks.
            let column = lead.len() + 1;
            Line::Definition { text: format!("{lead}{id}{tail}"), id, column }
        }),
        1 => (0usize..4, any::<bool>()).prop_map(|(lines, tilde)| Line::Fenced { lines, tilde }),
    ]
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text: parsing never panics and every position it reports is inside the text; no
    /// definition or mention comes from inside a fenced block.
    #[test]
    fn positions_stay_inside_the_text(text in text_from(MARKDOWN_PIECES)) {
        let document = parse(text.clone());
        let lines = document.source.line_count();
        let body = &document.body;
        let in_range = |line: usize| (1..=lines).contains(&line);
        for heading in &body.headings {
            prop_assert!(in_range(heading.line) && (1..=6).contains(&heading.level), "{:?}", heading);
        }
        for block in &body.code_blocks {
            prop_assert!(in_range(block.line) && block.line + block.length <= lines, "{:?} of {} lines", block, lines);
        }
        let fenced = |line: usize| body.code_blocks.iter().any(|b| b.line < line && line <= b.line + b.length);
        for definition in &body.definitions {
            prop_assert!(in_range(definition.position.line) && definition.position.column >= 1);
            prop_assert!(!fenced(definition.position.line), "{:?} inside a fenced block", definition);
            prop_assert_eq!(BodyIdKind::of(&definition.id), Some(definition.kind));
        }
        for row in &body.test_cases {
            prop_assert!(in_range(row.position.line));
            prop_assert!(row.criteria.iter().all(|(id, p)| id.starts_with("CA-") && p.line == row.position.line));
        }
        for mention in &body.mentions {
            prop_assert!(in_range(mention.position.line) && !fenced(mention.position.line), "{:?}", mention);
        }
        prop_assert!(body.mentions.len() <= text.len() && body.definitions.len() <= lines);
        if let Some(line) = body.misplaced_front_matter {
            prop_assert!(in_range(line));
        }
        match &document.front {
            Front::Absent => {
                let rest = text.strip_prefix('\u{feff}').unwrap_or(&text);
                prop_assert!(!rest.starts_with("---\n") && !rest.starts_with("---\r\n"));
            }
            Front::TooLarge { bytes } => prop_assert!(*bytes > frontmatter::MAX_BYTES),
            Front::Unclosed | Front::Invalid(_) | Front::Present(_) => {}
        }
    }

    /// A generated body: the definitions found are exactly those written outside fenced
    /// blocks, at their lines and columns, whatever the front-matter and line endings.
    #[test]
    fn definitions_are_found_where_written(
        lines in proptest::collection::vec(line(), 0..40),
        front in any::<bool>(),
        crlf in any::<bool>(),
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = String::new();
        let mut number = 1;
        if front {
            text.push_str(&format!("---{eol}id: SPEC_X_001{eol}---{eol}"));
            number += 3;
        }
        let mut expected = Vec::new();
        for line in &lines {
            match line {
                Line::Prose(prose) => {
                    text.push_str(&format!("{prose}{eol}"));
                    number += 1;
                }
                Line::Definition { text: line, id, column } => {
                    text.push_str(&format!("{line}{eol}"));
                    expected.push((id.clone(), number, *column));
                    number += 1;
                }
                Line::Fenced { lines, tilde } => {
                    let fence = if *tilde { "~~~" } else { "```" };
                    text.push_str(&format!("{fence}text{eol}"));
                    for _ in 0..*lines {
                        text.push_str(&format!("| CP-001 | CA-001 | SPEC_X_001 |{eol}"));
                    }
                    text.push_str(&format!("{fence}{eol}"));
                    number += lines + 2;
                }
            }
        }
        let document = parse(text.clone());
        if front {
            prop_assert!(matches!(document.front, Front::Present(_)), "{:?}", document.front);
        }
        let found: Vec<(String, usize, usize)> = document
            .body
            .definitions
            .iter()
            .map(|d| (d.id.clone(), d.position.line, d.position.column))
            .collect();
        prop_assert_eq!(found, expected, "{:?}", text);
        prop_assert!(document.body.mentions.is_empty(), "{:?}", document.body.mentions);
    }

    /// An id of another document written in prose is a mention at its line and column.
    #[test]
    fn mentions_are_found_where_written(
        lines in proptest::collection::vec(prose(), 1..20),
        at in any::<proptest::sample::Index>(),
        split in any::<proptest::sample::Index>(),
        id in prop_oneof![
            (0u32..1000).prop_map(|n| format!("ADR_{n:03}")),
            ("[A-Z][A-Z0-9]{0,6}", 0u32..1000).prop_map(|(area, n)| format!("SPEC_{area}_{n:03}")),
            ("[A-Z][A-Z0-9]{0,6}", 0u32..1000).prop_map(|(area, n)| format!("PLAN-{area}-{n:03}")),
        ],
    ) {
        let index = at.index(lines.len());
        let mut lines = lines;
        let target = &lines[index];
        let cut = target.char_indices().map(|(i, _)| i).chain([target.len()]).nth(split.index(target.len() + 1)).unwrap_or(0);
        let column = target[..cut].chars().count() + 2;
        lines[index] = format!("{} {id} {}", &target[..cut], &target[cut..]);
        let document = parse(lines.join("\n"));
        let mentions: Vec<(String, usize, usize)> =
            document.body.mentions.iter().map(|m| (m.id.clone(), m.position.line, m.position.column)).collect();
        prop_assert_eq!(mentions, vec![(id, index + 1, column)]);
    }

    /// A `---` line after a blank line, followed by `id:` or `tipo:`, is a misplaced
    /// front-matter at the first such line; thematic breaks elsewhere are not.
    #[test]
    fn a_misplaced_front_matter_is_found_at_its_line(
        lines in proptest::collection::vec(prop_oneof![3 => prose(), 1 => Just(String::new()), 1 => Just("---".to_owned())], 1..40),
        at in any::<proptest::sample::Index>(),
        key in prop_oneof![Just("id"), Just("tipo")],
    ) {
        let index = at.index(lines.len() + 1);
        let mut lines = lines;
        lines.splice(index..index, [String::new(), "---".to_owned(), format!("{key}: SPEC_X_001")]);
        let document = parse(format!("# Title\n{}\n", lines.join("\n")));
        // The first `---` line that follows a blank or `---` line and precedes the key line.
        let expected = (0..lines.len())
            .find(|&i| {
                // Line 1 is the title, so the first generated line follows no blank line.
                let previous_blank = i > 0 && (lines[i - 1].is_empty() || lines[i - 1] == "---");
                lines[i] == "---" && previous_blank && lines.get(i + 1).is_some_and(|n| n.starts_with("id:") || n.starts_with("tipo:"))
            })
            .map(|i| i + 2);
        prop_assert_eq!(document.body.misplaced_front_matter, expected);
        prop_assert!(expected.is_some());
    }
}

proptest! {
    #![proptest_config(config(6))]

    /// A front-matter is read up to `frontmatter::MAX_BYTES` and refused above, by its size.
    #[test]
    fn large_front_matter_is_refused_by_size(extra in 0usize..2048, above in any::<bool>()) {
        let size = if above { frontmatter::MAX_BYTES + 1 + extra } else { frontmatter::MAX_BYTES - extra };
        // `id: X\n` then a comment filling the rest: a valid YAML block of exactly `size` bytes.
        let filler = size - "id: X\n".len() - "#\n".len();
        let text = format!("---\nid: X\n#{}\n---\nbody\n", "c".repeat(filler));
        let document = parse(text);
        if above {
            prop_assert_eq!(document.front, Front::TooLarge { bytes: size });
        } else {
            prop_assert!(matches!(document.front, Front::Present(_)), "{:?}", document.front);
        }
    }
}
