//! The model of a governed document's body: what `spec::markdown` reads out of it (headings,
//! ids defined in the body, code blocks, the test-case table, ids mentioned in prose, links)
//! and what the checks and the link checker read. Data only, so the reader and the document
//! both depend on it and not on each other.

use std::sync::LazyLock;

use regex::Regex;

use crate::shared::diag::{Position, SourceFile};

/// Ids defined in a spec body: use cases, business rules, acceptance criteria, test cases.
pub(crate) static BODY_ID: LazyLock<Regex> = LazyLock::new(|| {
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
    /// The first word of a fence's info string, lowercased; empty for an indented block.
    pub info: String,
    /// 1-based line where the block starts (the opening fence, or an indented block's first line).
    pub line: usize,
    /// Lines after `line` the content reaches (a fenced block: its number of content lines).
    pub length: usize,
    /// Byte offsets of the content in the document's text.
    pub content: std::ops::Range<usize>,
}

impl CodeBlock {
    /// The content lines, read from the document's text.
    pub fn lines<'a>(&self, source: &'a SourceFile) -> impl Iterator<Item = &'a str> {
        source.text.get(self.content.clone()).unwrap_or("").lines()
    }
}

/// A link or image in the body: inline, reference-style or autolink, its destination as
/// CommonMark reads it (a reference's definition resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub destination: String,
    /// Where the link starts (its `[`, `![` or `<`).
    pub position: Position,
    /// Characters of the link on its first line, for the excerpt.
    pub width: usize,
    pub image: bool,
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
    pub links: Vec<Link>,
    /// Every anchor a link may name (sorted): the headings' GitHub slugs (`-1`, `-2` for
    /// repeats) and explicit anchors (`<a id="...">`, `<a name="...">`) in the body's HTML.
    pub anchors: Vec<String>,
    /// A `---` line followed by `key: value` lines after the start: a front-matter in the wrong place.
    pub misplaced_front_matter: Option<usize>,
}
