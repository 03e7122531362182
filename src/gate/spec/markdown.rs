//! The one Markdown reader of governed documents: pulldown-cmark (CommonMark plus GitHub's
//! tables and footnotes) over the body that follows the front-matter, its byte offsets mapped to
//! line:column of the whole file. It turns the parser's events into the document model of
//! `spec::document` (headings, definitions, code blocks, test-case rows, mentions, links,
//! anchors); the rules that judge them live in `spec::check` and `links`.
//!
//! What CommonMark decides here: an HTML block or comment holds no definitions, a line indented
//! four spaces after a blank line is code, a setext underline makes a heading, and a fence closes
//! only with its own character at least as long as it opened.

use std::ops::Range;
use std::sync::LazyLock;

use pulldown_cmark::{CodeBlockKind, Event, LinkType, Options, Parser, Tag, TagEnd};
use regex::Regex;

use super::body::{Body, BodyIdKind, CodeBlock, Definition, Heading, Link, Mention, TestCaseRow, BODY_ID};
use crate::shared::diag::SourceFile;

/// `<a id="...">` or `<a name="...">`: an explicit anchor a link fragment may point to.
static HTML_ANCHOR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<a\s[^>]*?\b(?:id|name)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))"#).expect("valid regex")
});

/// The parser options: GitHub's tables (the test-case table) and footnotes (so `[^1]: text` is
/// not read as a link definition whose destination is `text`).
fn options() -> Options {
    Options::ENABLE_TABLES | Options::ENABLE_FOOTNOTES | Options::ENABLE_TASKLISTS | Options::ENABLE_STRIKETHROUGH
}

/// The id a block line defines, read from the source at the first inline of a heading, table
/// cell, paragraph line or list item: `UC-1: ...`, `**CA-001**: ...`, and, in a paragraph, a
/// pipe-led row of a table without a delimiter row (`| BR-001 | ...`). Returns the id's offset
/// within `rest` and whether a pipe led it.
fn defined_id(rest: &str) -> Option<(usize, &str, bool)> {
    let line = &rest[..memchr::memchr(b'\n', rest.as_bytes()).unwrap_or(rest.len())];
    let (piped, after_pipe) = match line.strip_prefix('|') {
        Some(after) => (true, after),
        None => (false, line),
    };
    let trimmed = after_pipe.trim_start().trim_start_matches("**");
    let found = BODY_ID.find(trimmed)?;
    (found.start() == 0).then(|| (line.len() - trimmed.len(), found.as_str(), piped))
}

/// The first word of a fence's info string, lowercased (`gherkin`, `text`).
fn info_word(info: &str) -> String {
    info.split_whitespace().next().unwrap_or("").to_ascii_lowercase()
}

/// Remove the numbering in front of a heading ("3.3 ", "1. ", "12.") and surrounding space.
pub fn heading_title(text: &str) -> String {
    let trimmed = text.trim();
    let rest = trimmed.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    if rest.len() != trimmed.len() && rest.starts_with(' ') {
        rest.trim().to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// Where the next inline event may start a definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineStart {
    No,
    /// A paragraph line, list item or heading.
    Block,
    /// The first cell of a table row.
    Cell,
}

struct OpenCode {
    info: String,
    start: usize,
    content: Option<Range<usize>>,
}

/// Read the body (from `body_offset` to the end) of a document.
pub fn read_body(source: &SourceFile, body_offset: usize, any_id: &Regex) -> Body {
    let mut body = Body::default();
    let text = &source.text;
    let first_line = source.position(body_offset).line;

    let mut line_start = LineStart::No;
    let mut code: Option<OpenCode> = None;
    let mut heading: Option<(usize, usize, String)> = None; // level, start, text
    let mut image_depth = 0usize;
    // Offsets of prose (text and code spans outside code and HTML blocks), merged when adjacent.
    let mut prose: Vec<Range<usize>> = Vec::new();
    let mut last_definition_line = 0;
    let mut slugger = crate::gate::links::slug::Slugger::default();

    let parser = Parser::new_ext(&text[body_offset..], options()).into_offset_iter();
    for (event, range) in parser {
        let range = range.start + body_offset..range.end + body_offset;
        // The first inline of a line start: a definition may begin here.
        let inline = matches!(
            event,
            Event::Text(_)
                | Event::Code(_)
                | Event::InlineHtml(_)
                | Event::Start(Tag::Strong | Tag::Emphasis | Tag::Link { .. } | Tag::Image { .. })
        );
        if inline && line_start != LineStart::No && code.is_none() {
            let kind = line_start;
            line_start = LineStart::No;
            if let Some((at, id, piped)) = defined_id(&text[range.start..]) {
                let offset = range.start + at;
                let position = source.position(offset);
                let is_row = kind == LineStart::Cell || piped;
                if position.line != last_definition_line {
                    last_definition_line = position.line;
                    let kind = BodyIdKind::of(id).expect("BODY_ID only matches known prefixes");
                    body.definitions.push(Definition { id: id.to_owned(), kind, position });
                    if kind == BodyIdKind::TestCase && is_row {
                        let after = offset + id.len();
                        let end = memchr::memchr(b'\n', &text.as_bytes()[after..]).map_or(text.len(), |i| after + i);
                        let criteria = BODY_ID
                            .find_iter(&text[after..end])
                            .filter(|found| found.as_str().starts_with("CA-"))
                            .map(|found| (found.as_str().to_owned(), source.position(after + found.start())))
                            .collect();
                        body.test_cases.push(TestCaseRow { id: id.to_owned(), position, criteria });
                    }
                }
            }
        }

        match event {
            Event::Start(Tag::Paragraph | Tag::Item) => line_start = LineStart::Block,
            Event::SoftBreak | Event::HardBreak => {
                if heading.is_none() {
                    line_start = LineStart::Block;
                } else if let Some((_, _, text)) = heading.as_mut() {
                    text.push(' ');
                }
            }
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level as usize, range.start, String::new()));
                line_start = LineStart::Block;
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, start, raw)) = heading.take() {
                    let mut anchor = slugger.next(&raw);
                    anchor.shrink_to_fit();
                    body.anchors.push(anchor);
                    body.headings.push(Heading {
                        level,
                        title: heading_title(&raw),
                        line: source.position(start).line,
                    });
                }
                line_start = LineStart::No;
            }
            Event::Start(Tag::TableHead | Tag::TableRow) => line_start = LineStart::Cell,
            Event::Start(Tag::TableCell) => {}
            Event::End(TagEnd::TableCell) => line_start = LineStart::No,
            Event::End(TagEnd::Paragraph | TagEnd::Item) => line_start = LineStart::No,
            Event::Start(Tag::CodeBlock(kind)) => {
                let info = match kind {
                    CodeBlockKind::Fenced(info) => info_word(&info),
                    CodeBlockKind::Indented => String::new(),
                };
                code = Some(OpenCode { info, start: range.start, content: None });
                line_start = LineStart::No;
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some(open) = code.take() {
                    let line = source.position(open.start).line;
                    let content = open.content.unwrap_or(range.end..range.end);
                    let length =
                        if content.is_empty() { 0 } else { source.position(content.end - 1).line.saturating_sub(line) };
                    body.code_blocks.push(CodeBlock { info: open.info, line, length, content });
                }
            }
            Event::Text(_) if code.is_some() => {
                if let Some(open) = code.as_mut() {
                    open.content = Some(match open.content.take() {
                        Some(content) => content.start.min(range.start)..content.end.max(range.end),
                        None => range.clone(),
                    });
                }
            }
            Event::Text(ref content) | Event::Code(ref content) => {
                if let Some((_, _, text)) = heading.as_mut() {
                    if image_depth == 0 {
                        text.push_str(content);
                    }
                }
                match prose.last_mut() {
                    Some(last) if last.end == range.start => last.end = range.end,
                    _ => prose.push(range.clone()),
                }
            }
            Event::Html(ref html) | Event::InlineHtml(ref html) => {
                for captures in HTML_ANCHOR.captures_iter(html) {
                    if let Some(name) = captures.get(1).or_else(|| captures.get(2)).or_else(|| captures.get(3)) {
                        body.anchors.push(name.as_str().to_owned());
                    }
                }
            }
            Event::Start(Tag::Image { link_type, dest_url, .. }) => {
                image_depth += 1;
                push_link(&mut body, source, link_type, &dest_url, range, true);
            }
            Event::End(TagEnd::Image) => image_depth = image_depth.saturating_sub(1),
            Event::Start(Tag::Link { link_type, dest_url, .. }) => {
                push_link(&mut body, source, link_type, &dest_url, range, false);
            }
            Event::Rule if body.misplaced_front_matter.is_none() => {
                body.misplaced_front_matter = misplaced_front_matter(source, first_line, range.start);
            }
            _ => {}
        }
    }

    // Sorted, so link checking finds an anchor by binary search.
    body.anchors.sort_unstable();
    body.anchors.dedup();

    // Ids of other documents mentioned in prose: one regex pass over the whole body is much
    // cheaper than one per text event; a match counts when it lies inside a prose range.
    let mut ranges = prose.iter().peekable();
    for found in any_id.find_iter(&text[body_offset..]) {
        let (start, end) = (body_offset + found.start(), body_offset + found.end());
        while ranges.peek().is_some_and(|r| r.end < end) {
            ranges.next();
        }
        if ranges.peek().is_some_and(|r| r.start <= start && end <= r.end) {
            body.mentions.push(Mention { id: found.as_str().to_owned(), position: source.position(start) });
        }
    }
    // Ten thousand documents stay in memory together: no spare capacity per list.
    body.headings.shrink_to_fit();
    body.definitions.shrink_to_fit();
    body.code_blocks.shrink_to_fit();
    body.test_cases.shrink_to_fit();
    body.mentions.shrink_to_fit();
    body.links.shrink_to_fit();
    body.anchors.shrink_to_fit();
    body
}

/// The line of a thematic break that opens a lost front-matter: a `---` after a blank line (or
/// another `---`, or at the body's start) whose next line is `id:` or `tipo:`. A plain thematic
/// break is fine. The lines come from the line table, so a run of `---` lines stays linear.
fn misplaced_front_matter(source: &SourceFile, first_line: usize, offset: usize) -> Option<usize> {
    let line = source.position(offset).line;
    let is_dashes = source.line_text(line).is_some_and(|l| l.trim_start() == "---");
    let previous_blank = line == first_line
        || source.line_text(line - 1).is_some_and(|l| {
            let l = l.trim_start();
            l.is_empty() || l == "---"
        });
    let next = source.line_text(line + 1).unwrap_or("");
    (is_dashes && previous_blank && (next.starts_with("id:") || next.starts_with("tipo:"))).then_some(line)
}

fn push_link(body: &mut Body, source: &SourceFile, link_type: LinkType, dest: &str, range: Range<usize>, image: bool) {
    if matches!(link_type, LinkType::Email) {
        return;
    }
    let position = source.position(range.start);
    let line_end = memchr::memchr(b'\n', &source.text.as_bytes()[range.start..]).map_or(range.end, |i| range.start + i);
    let width = source.text.get(range.start..range.end.min(line_end)).map_or(1, |s| s.chars().count().max(1));
    body.links.push(Link { destination: dest.to_owned(), position, width, image });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defined_id_reads_the_lead_forms() {
        assert_eq!(defined_id("UC-1: Compilar"), Some((0, "UC-1", false)));
        assert_eq!(defined_id("**CA-001**: x"), Some((2, "CA-001", false)));
        assert_eq!(defined_id("| BR-001 | x |"), Some((2, "BR-001", true)));
        assert_eq!(defined_id("| **CP-001** | x |"), Some((4, "CP-001", true)));
        assert_eq!(defined_id("ver CA-001"), None);
        assert_eq!(defined_id("`CA-001`"), None);
        assert_eq!(defined_id("\nCA-001"), None);
    }

    #[test]
    fn headings_lose_their_numbering() {
        assert_eq!(heading_title("3.3 Criterios de Aceptación"), "Criterios de Aceptación");
        assert_eq!(heading_title("1. Resumen"), "Resumen");
        assert_eq!(heading_title("2025 plan"), "plan");
        assert_eq!(heading_title("v1.2"), "v1.2");
    }
}
