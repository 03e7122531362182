//! The document model: a governed Markdown file read into its front-matter and the parts of
//! its body that traceability and link checking need (headings, ids defined in the body,
//! Gherkin blocks, the test-case table, ids mentioned in prose, links, explicit anchors). The
//! body is read by `spec::markdown` (pulldown-cmark), the front-matter by `spec::frontmatter`.

use regex::Regex;

pub use super::body::{Body, BodyIdKind, CodeBlock, Definition, Heading, Link, Mention, TestCaseRow};
use super::frontmatter::{self, Block, FrontMatter, YamlError};
use crate::shared::diag::SourceFile;

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
        let body = super::markdown::read_body(&source, body_offset, any_id);
        Document { source, front, body }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::config::Config;
    use crate::shared::diag::Position;

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
    fn a_test_case_table_may_have_no_outer_pipes() {
        let d = doc("ID | Caso | Criterio\n---|---|---\nCP-001 | Build | CA-001, CA-002\n");
        let rows: Vec<_> = d.body.test_cases.iter().map(|r| (r.id.as_str(), r.position, r.criteria.len())).collect();
        assert_eq!(rows, [("CP-001", Position::new(3, 1), 2)]);
        assert_eq!(d.body.test_cases[0].criteria[1].1, Position::new(3, 26));
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

    // The rows of issue 17's table: where CommonMark and the old line scanner disagreed.

    #[test]
    fn a_criterion_inside_an_html_comment_is_not_a_definition() {
        let d = doc("<!--\n**CA-099**: borrador\n```gherkin\nGiven a\nWhen b\nThen c\n```\n-->\n**CA-001**: real\n");
        let ids: Vec<_> = d.body.definitions.iter().map(|x| (x.id.as_str(), x.position.line)).collect();
        assert_eq!(ids, [("CA-001", 9)]);
        assert!(d.body.code_blocks.is_empty(), "{:?}", d.body.code_blocks);
    }

    #[test]
    fn a_line_indented_four_spaces_after_a_blank_line_is_code() {
        let d = doc("texto\n\n    **CA-097**: ejemplo\n    CP-001\n\nfin\n");
        assert!(d.body.definitions.is_empty(), "{:?}", d.body.definitions);
        assert_eq!(d.body.code_blocks.len(), 1);
        assert_eq!((d.body.code_blocks[0].line, d.body.code_blocks[0].info.as_str()), (3, ""));
        assert_eq!(d.body.code_blocks[0].lines(&d.source).count(), 2);
    }

    #[test]
    fn a_setext_heading_is_a_heading() {
        let d = doc("Criterios de Aceptación\n-----\n\nResumen\n===\n");
        let headings: Vec<_> = d.body.headings.iter().map(|h| (h.level, h.title.as_str(), h.line)).collect();
        assert_eq!(headings, [(2, "Criterios de Aceptación", 1), (1, "Resumen", 4)]);
    }

    #[test]
    fn tilde_and_long_fences_hold_their_content() {
        let d = doc("~~~text\n**CA-001**: no\n```\n~~~\n````gherkin\n```\nGiven a\n````\n**CA-002**: si\n");
        let ids: Vec<_> = d.body.definitions.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["CA-002"]);
        let blocks: Vec<_> = d.body.code_blocks.iter().map(|b| (b.info.as_str(), b.line, b.length)).collect();
        assert_eq!(blocks, [("text", 1, 2), ("gherkin", 5, 2)]);
    }

    #[test]
    fn links_images_and_anchors_are_read_with_positions() {
        let d = doc(concat!(
            "Ver [el plan](../plans/P.md#x) y ![img](a.png \"t\").\n",
            "[ref][r] <https://example.com/a> <a@b.c>\n",
            "<a id=\"aqui\"></a>\n\n",
            "[r]: docs/R.md\n",
        ));
        let links: Vec<_> = d
            .body
            .links
            .iter()
            .map(|l| (l.destination.as_str(), l.position.line, l.position.column, l.image))
            .collect();
        assert_eq!(
            links,
            [
                ("../plans/P.md#x", 1, 5, false),
                ("a.png", 1, 34, true),
                ("docs/R.md", 2, 1, false),
                ("https://example.com/a", 2, 10, false),
            ]
        );
        assert_eq!(d.body.anchors, ["aqui"]);
    }
}
