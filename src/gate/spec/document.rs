//! The document model: a governed Markdown file read into its front-matter and the parts of
//! its body that traceability needs (headings, ids defined in the body, Gherkin blocks, the
//! test-case table, ids mentioned in prose). A line scanner, not a full CommonMark parser:
//! it tracks fenced code blocks, ATX headings and pipe tables, which is all the team's
//! template uses, and it runs in one pass.

use std::sync::LazyLock;

use regex::Regex;

use super::frontmatter::{self, Block, FrontMatter, YamlError};
use crate::shared::diag::{Position, SourceFile};

/// Ids defined in a spec body: use cases, business rules, acceptance criteria, test cases.
static BODY_ID: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(UC-[0-9]+|BR-[0-9]{3}|CA-[0-9]{3}|CP-[0-9]{3})(?-u:\b)").expect("valid regex")
});

/// The kind of a body id, from its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BodyIdKind {
    UseCase,
    Rule,
    Criterion,
    TestCase,
}

impl BodyIdKind {
    pub fn of(id: &str) -> Option<BodyIdKind> {
        Some(match id.split('-').next()? {
            "UC" => BodyIdKind::UseCase,
            "BR" => BodyIdKind::Rule,
            "CA" => BodyIdKind::Criterion,
            "CP" => BodyIdKind::TestCase,
            _ => return None,
        })
    }
}

/// An id defined in the body (a heading, the first cell of a table row, or a bold lead).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    pub id: String,
    pub kind: BodyIdKind,
    pub position: Position,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub level: usize,
    /// Heading text with its numbering ("3.3 ", "1. ") removed.
    pub title: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeBlock {
    pub info: String,
    /// 1-based line of the opening fence.
    pub line: usize,
    /// Number of content lines (between the fences).
    pub length: usize,
}

impl CodeBlock {
    /// The content lines, read from the document's text.
    pub fn lines<'a>(&self, source: &'a SourceFile) -> impl Iterator<Item = &'a str> {
        (self.line + 1..=self.line + self.length).filter_map(|line| source.line_text(line))
    }
}

/// A row of a table whose first cell is a test case id (CP-nnn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCaseRow {
    pub id: String,
    pub position: Position,
    /// Criteria named in the other cells, with their positions.
    pub criteria: Vec<(String, Position)>,
}

/// An id of another document mentioned in the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    pub id: String,
    pub position: Position,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    pub headings: Vec<Heading>,
    pub definitions: Vec<Definition>,
    pub code_blocks: Vec<CodeBlock>,
    pub test_cases: Vec<TestCaseRow>,
    pub mentions: Vec<Mention>,
    /// A `---` line followed by `key: value` lines after the start: a front-matter in the wrong place.
    pub misplaced_front_matter: Option<usize>,
}

/// What reading the front-matter gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Front {
    Absent,
    Unclosed,
    Invalid(YamlError),
    TooLarge { bytes: usize },
    Present(FrontMatter),
}

#[derive(Debug, Clone)]
pub struct Document {
    pub source: SourceFile,
    pub front: Front,
    pub body: Body,
}

impl Document {
    pub fn path(&self) -> &str {
        &self.source.path
    }

    pub fn front_matter(&self) -> Option<&FrontMatter> {
        match &self.front {
            Front::Present(front) => Some(front),
            _ => None,
        }
    }

    /// Read a document; `any_id` finds ids of other documents in prose.
    pub fn parse(source: SourceFile, any_id: &Regex) -> Document {
        let (front, body_offset) = match frontmatter::locate(&source.text) {
            Block::Absent => (Front::Absent, 0),
            Block::Unclosed => (Front::Unclosed, source.text.len()),
            Block::Closed { yaml, first_line, body_offset, .. } => {
                let front = if yaml.len() > frontmatter::MAX_BYTES {
                    Front::TooLarge { bytes: yaml.len() }
                } else {
                    match frontmatter::parse(yaml, first_line) {
                        Ok(front) => Front::Present(front),
                        Err(error) => Front::Invalid(error),
                    }
                };
                (front, body_offset)
            }
        };
        let body = parse_body(&source, body_offset, any_id);
        Document { source, front, body }
    }
}

/// Remove the numbering in front of a heading ("3.3 ", "1. ", "12.") and surrounding space.
fn heading_title(text: &str) -> String {
    let trimmed = text.trim().trim_end_matches('#').trim();
    let rest = trimmed.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    if rest.len() != trimmed.len() && rest.starts_with(' ') {
        rest.trim().to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The fence of a code block line (```` ``` ```` or `~~~`, three or more), if it is one.
fn fence(line: &str) -> Option<(char, usize, &str)> {
    let trimmed = line.trim_start();
    if line.len() - trimmed.len() > 3 {
        return None;
    }
    let mark = trimmed.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let count = trimmed.chars().take_while(|c| *c == mark).count();
    (count >= 3).then(|| (mark, count, trimmed[count..].trim()))
}

/// The id a line defines, if it starts with one: `#### UC-1: ...`, `| BR-001 | ...`,
/// `**CA-001**: ...`, `- **CP-001**`.
fn defined_id(line: &str) -> Option<(usize, &str)> {
    let trimmed = line.trim_start();
    let lead = line.len() - trimmed.len();
    let (skip, rest) = if let Some(rest) = trimmed.strip_prefix('#') {
        let rest = rest.trim_start_matches('#');
        (trimmed.len() - rest.len(), rest)
    } else if let Some(rest) = trimmed.strip_prefix('|') {
        (1, rest)
    } else if let Some(rest) = trimmed.strip_prefix("- **").or_else(|| trimmed.strip_prefix("* **")) {
        (4, rest)
    } else if let Some(rest) = trimmed.strip_prefix("**") {
        (2, rest)
    } else {
        return None;
    };
    let rest_trimmed = rest.trim_start().trim_start_matches("**");
    let offset = lead + skip + (rest.len() - rest_trimmed.len());
    let found = BODY_ID.find(rest_trimmed)?;
    (found.start() == 0).then(|| (offset, found.as_str()))
}

fn parse_body(source: &SourceFile, body_offset: usize, any_id: &Regex) -> Body {
    let mut body = Body::default();
    let text = &source.text;
    let first_line = source.position(body_offset).line;
    let mut open_fence: Option<(char, usize, usize)> = None; // mark, count, index into code_blocks
    let mut previous_blank = true;

    for (index, line) in text[body_offset..].lines().enumerate() {
        let number = first_line + index;
        if let Some((mark, count, block)) = open_fence {
            if let Some((m, c, rest)) = fence(line) {
                if m == mark && c >= count && rest.is_empty() {
                    open_fence = None;
                    continue;
                }
            }
            body.code_blocks[block].length += 1;
            continue;
        }
        if let Some((mark, count, info)) = fence(line) {
            body.code_blocks.push(CodeBlock {
                info: info.split_whitespace().next().unwrap_or("").to_ascii_lowercase(),
                line: number,
                length: 0,
            });
            open_fence = Some((mark, count, body.code_blocks.len() - 1));
            continue;
        }

        let trimmed = line.trim_start();
        if trimmed.starts_with('#') {
            let level = trimmed.chars().take_while(|c| *c == '#').count();
            if level <= 6 && trimmed[level..].starts_with([' ', '\t']) {
                body.headings.push(Heading { level, title: heading_title(&trimmed[level..]), line: number });
            }
        }

        if let Some((column, id)) = defined_id(line) {
            let kind = BodyIdKind::of(id).expect("BODY_ID only matches known prefixes");
            let position = Position::new(number, line[..column].chars().count() + 1);
            body.definitions.push(Definition { id: id.to_owned(), kind, position });
            if kind == BodyIdKind::TestCase && trimmed.starts_with('|') {
                let mut criteria = Vec::new();
                for found in BODY_ID.find_iter(line).skip(1) {
                    if found.as_str().starts_with("CA-") {
                        criteria.push((
                            found.as_str().to_owned(),
                            Position::new(number, line[..found.start()].chars().count() + 1),
                        ));
                    }
                }
                body.test_cases.push(TestCaseRow { id: id.to_owned(), position, criteria });
            }
        }

        if trimmed == "---" && previous_blank && body.misplaced_front_matter.is_none() {
            // A thematic break is fine; one followed by `id:`/`tipo:` lines is a lost front-matter.
            // The next line from the line table: walking the body again from its start made a
            // run of `---` lines quadratic.
            let next = source.line_text(number + 1).unwrap_or("");
            if next.starts_with("id:") || next.starts_with("tipo:") {
                body.misplaced_front_matter = Some(number);
            }
        }

        previous_blank = trimmed.is_empty() || trimmed == "---";
    }

    // Ids of other documents mentioned in the body, outside code blocks: one regex pass over
    // the whole body is much cheaper than one per line.
    let mut blocks = body.code_blocks.iter().map(|b| (b.line, b.line + b.length + 1)).peekable();
    for found in any_id.find_iter(&text[body_offset..]) {
        let position = source.position(body_offset + found.start());
        while blocks.peek().is_some_and(|(_, end)| *end < position.line) {
            blocks.next();
        }
        if blocks.peek().is_some_and(|(start, end)| (*start..=*end).contains(&position.line)) {
            continue;
        }
        body.mentions.push(Mention { id: found.as_str().to_owned(), position });
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::config::Config;

    fn doc(text: &str) -> Document {
        Document::parse(SourceFile::new("specs/X.md", text.to_owned()), &Config::defaults().spec.any_id)
    }

    #[test]
    fn definitions_come_from_headings_table_rows_and_bold_leads() {
        let d = doc(concat!(
            "---\nid: X\n---\n",
            "#### UC-1: Compilar\n",
            "| BR-001 | Regla | Alta |\n",
            "**CA-001**: Criterio\n",
            "```gherkin\nGiven a\nWhen b\nThen c\n```\n",
            "| CP-001 | Build | CA-001 |\n",
            "texto que menciona CA-001 y BR-001 sin definirlos\n",
        ));
        let ids: Vec<_> = d.body.definitions.iter().map(|x| (x.id.as_str(), x.position.line)).collect();
        assert_eq!(ids, [("UC-1", 4), ("BR-001", 5), ("CA-001", 6), ("CP-001", 12)]);
        assert_eq!(d.body.test_cases[0].criteria[0].0, "CA-001");
        assert_eq!(d.body.test_cases[0].criteria[0].1, Position::new(12, 20));
        assert_eq!(d.body.code_blocks[0].info, "gherkin");
        assert_eq!(d.body.code_blocks[0].lines(&d.source).collect::<Vec<_>>(), ["Given a", "When b", "Then c"]);
    }

    #[test]
    fn ids_inside_code_blocks_are_not_definitions() {
        let d = doc("---\nid: X\n---\n```\n| CP-001 | x | CA-001 |\n```\n");
        assert!(d.body.definitions.is_empty());
    }

    #[test]
    fn headings_lose_their_numbering() {
        let d = doc("# 1. Resumen Ejecutivo\n## 3.3 Criterios de Aceptación\n### Metadata ##\n#nope\n");
        let titles: Vec<_> = d.body.headings.iter().map(|h| h.title.as_str()).collect();
        assert_eq!(titles, ["Resumen Ejecutivo", "Criterios de Aceptación", "Metadata"]);
    }

    #[test]
    fn mentions_and_misplaced_front_matter() {
        let d = doc("# T\n\n---\nid: SPEC_A_001\ntipo: adr\n---\nver ADR_008 y PLAN-INFRA-001\n");
        assert_eq!(d.front, Front::Absent);
        assert_eq!(d.body.misplaced_front_matter, Some(3));
        let ids: Vec<_> = d.body.mentions.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["SPEC_A_001", "ADR_008", "PLAN-INFRA-001"]);
    }
}
