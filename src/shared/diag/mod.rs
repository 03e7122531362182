//! The report model: findings (`Diagnostic`), their codes and severities, the `Report` that
//! collects them, and its three renderings (human, JSON, SARIF 2.1.0).
//!
//! Checks push findings here and never print. Which severity a code has is decided once, when
//! the finding is pushed, from the configuration (`[severity]` in specgate.toml and `--deny`).

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

pub mod codes;

/// How much a finding matters. `Allow` findings are dropped when pushed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Allow,
    Warn,
    Deny,
}

impl Level {
    /// The word shown to users and written to JSON: `error` or `warning`.
    pub fn label(self) -> &'static str {
        match self {
            Level::Deny => "error",
            Level::Warn => "warning",
            Level::Allow => "allowed",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "allow" => Some(Level::Allow),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }
}

/// A stable finding code with its default level and a one-line summary.
/// Every code is documented under its own heading in docs/diagnostics.md.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    pub name: &'static str,
    pub default: Level,
    pub summary: &'static str,
}

/// A line and column, both 1-based; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    pub fn new(line: usize, column: usize) -> Position {
        Position { line: line.max(1), column: column.max(1) }
    }
}

/// One finding: the repository breaks a rule at a place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub level: Level,
    /// Path relative to the repository root, with `/` separators.
    pub path: String,
    pub position: Position,
    /// How many characters the marker under the source line covers (at least 1).
    pub width: usize,
    pub message: String,
    pub help: Option<String>,
    /// The source line the finding points at, for the human rendering.
    pub source_line: Option<String>,
    /// Where the marker goes in `source_line` when that text differs from the file's line (a
    /// masked secret); else `position.column`.
    pub excerpt_column: Option<usize>,
}

impl Diagnostic {
    /// A finding at a place; the level is filled in by `Report::push` from the configuration.
    pub fn new(
        code: &'static str,
        path: impl Into<String>,
        position: Position,
        message: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            code,
            level: Level::Deny,
            path: path.into(),
            position,
            width: 1,
            message: message.into(),
            help: None,
            source_line: None,
            excerpt_column: None,
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Attach the excerpt of the source line around the finding, and the marker width, from a
    /// file's text.
    pub fn source(mut self, file: &SourceFile, width: usize) -> Diagnostic {
        if let (Some(line), Some(offset)) = (file.line_text(self.position.line), file.offset(self.position)) {
            let line_start = file.line_start(self.position.line).unwrap_or(0);
            self = self.excerpt(Excerpt::of(line.as_bytes(), offset - line_start));
        }
        self.width = width.max(1);
        self
    }

    /// Attach an excerpt of the source line, for the human rendering.
    pub fn excerpt(mut self, excerpt: Excerpt) -> Diagnostic {
        self.source_line = Some(excerpt.text);
        self.excerpt_column = Some(excerpt.column);
        self
    }
}

/// Bytes of a line shown before and after a finding's place. A finding costs the same on a
/// 16 MB minified line as on a short one: the excerpt is a window, never the whole line.
pub const EXCERPT_BEFORE: usize = 80;
pub const EXCERPT_AFTER: usize = 110;

/// The window of a line of `len` bytes shown around byte `at`: `(start, end)` byte offsets.
/// The caller moves them to character boundaries.
pub fn excerpt_window(len: usize, at: usize) -> (usize, usize) {
    let at = at.min(len);
    (at.saturating_sub(EXCERPT_BEFORE), at.saturating_add(EXCERPT_AFTER).min(len))
}

/// The text of a line around a place in it (`...` where the line goes on), and the place's
/// 1-based character column in that text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Excerpt {
    pub text: String,
    pub column: usize,
}

impl Excerpt {
    /// The excerpt of `line` (one line's bytes, without `\n`; a trailing `\r` is dropped)
    /// around byte `at`.
    pub fn of(line: &[u8], at: usize) -> Excerpt {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let at = at.min(line.len());
        let (start, end) = excerpt_window(line.len(), at);
        let (start, end) = whole_characters(line, (start, end), (0, line.len()));
        let mut text = String::new();
        if start > 0 {
            text.push_str("...");
        }
        text.push_str(&String::from_utf8_lossy(&line[start..at]));
        let column = text.chars().count() + 1;
        text.push_str(&String::from_utf8_lossy(&line[at..end]));
        if end < line.len() {
            text.push_str("...");
        }
        Excerpt { text, column }
    }
}

/// The window `(start, end)` of `bytes`, each edge that falls inside a UTF-8 sequence moved
/// outwards, never past `bounds`.
pub fn whole_characters(bytes: &[u8], (mut start, mut end): (usize, usize), bounds: (usize, usize)) -> (usize, usize) {
    let is_continuation = |byte: u8| byte & 0xC0 == 0x80;
    while start > bounds.0 && is_continuation(bytes[start]) {
        start -= 1;
    }
    while end < bounds.1 && is_continuation(bytes[end]) {
        end += 1;
    }
    (start, end)
}

/// Line and column of byte offsets visited in ascending order, in time linear in the text:
/// each step counts only the bytes since the previous one. Going back starts over.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cursor {
    offset: usize,
    line: usize,
    line_start: usize,
    /// 0-based character column of `offset`.
    column: usize,
    /// Where the line ends, once asked for.
    line_end: Option<usize>,
}

impl Cursor {
    /// The position of byte `offset` of `bytes`.
    pub fn position(&mut self, bytes: &[u8], offset: usize) -> Position {
        self.advance(bytes, offset);
        Position::new(self.line + 1, self.column + 1)
    }

    /// The byte offsets where the line holding the last visited offset starts and ends
    /// (before its `\n`); the end is searched once per line.
    pub fn line_bounds(&mut self, bytes: &[u8]) -> (usize, usize) {
        let end = *self.line_end.get_or_insert_with(|| {
            memchr::memchr(b'\n', &bytes[self.offset..]).map_or(bytes.len(), |i| self.offset + i)
        });
        (self.line_start, end)
    }

    fn advance(&mut self, bytes: &[u8], offset: usize) {
        let offset = offset.min(bytes.len());
        if offset < self.offset {
            *self = Cursor::default();
        }
        let skipped = &bytes[self.offset..offset];
        match memchr::memrchr(b'\n', skipped) {
            Some(last) => {
                self.line_end = None;
                self.line += memchr::memchr_iter(b'\n', skipped).count();
                self.line_start = self.offset + last + 1;
                self.column = char_count(&bytes[self.line_start..offset]);
            }
            None => self.column += char_count(skipped),
        }
        self.offset = offset;
    }
}

/// Characters in `bytes` as `String::from_utf8_lossy` counts them (no copy for valid UTF-8).
fn char_count(bytes: &[u8]) -> usize {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.chars().count(),
        Err(_) => String::from_utf8_lossy(bytes).chars().count(),
    }
}

/// A text file with its line starts, so byte offsets become line:column.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
    /// The last offset asked for: findings come in file order, so the next one counts only the
    /// characters in between (a long line with many findings stays linear).
    cursor: Cell<Cursor>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceFile { path: path.into(), text, line_starts, cursor: Cell::default() }
    }

    /// The 1-based line and character column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(index) => index,
            Err(index) => index - 1,
        };
        let mut cursor = self.cursor.get();
        if cursor.line != line_index || cursor.offset > offset {
            // Start at the line, not at the top of the file.
            let start = self.line_starts[line_index];
            cursor = Cursor { offset: start, line: line_index, line_start: start, ..Cursor::default() };
        }
        let position = cursor.position(self.text.as_bytes(), offset);
        self.cursor.set(cursor);
        position
    }

    /// The byte offset of a position (the inverse of `position`; the end of the line when the
    /// column lies beyond it).
    pub fn offset(&self, position: Position) -> Option<usize> {
        let start = self.line_start(position.line)?;
        let line = self.line_text(position.line)?;
        let mut cursor = self.cursor.get();
        // Walk from the last place asked for when it lies before this one on the same line.
        let usable = cursor.line + 1 == position.line
            && cursor.column < position.column
            && line.is_char_boundary(cursor.offset - start);
        if !usable {
            cursor = Cursor { offset: start, line: position.line - 1, line_start: start, ..Cursor::default() };
        }
        let from = cursor.offset - start;
        let steps = position.column - 1 - cursor.column;
        let offset = start + line[from..].char_indices().nth(steps).map_or(line.len(), |(i, _)| from + i);
        let offset_column = cursor.column + line[from..offset - start].chars().count();
        self.cursor.set(Cursor { offset, column: offset_column, ..cursor });
        Some(offset)
    }

    /// The byte offset where a 1-based line starts.
    pub fn line_start(&self, line: usize) -> Option<usize> {
        self.line_starts.get(line.checked_sub(1)?).copied()
    }

    /// The text of a 1-based line, without its line ending.
    pub fn line_text(&self, line: usize) -> Option<&str> {
        let start = self.line_start(line)?;
        if start > self.text.len() {
            return None;
        }
        let end = self.line_starts.get(line).map_or(self.text.len(), |next| next - 1);
        let text = self.text.get(start..end.max(start))?;
        Some(text.strip_suffix('\r').unwrap_or(text))
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// Per-code levels from the configuration and `--deny`.
#[derive(Debug, Clone, Default)]
pub struct Levels {
    overrides: BTreeMap<String, Level>,
}

impl Levels {
    pub fn set(&mut self, code: &str, level: Level) {
        self.overrides.insert(code.to_owned(), level);
    }

    pub fn level_of(&self, code: &str) -> Level {
        if let Some(level) = self.overrides.get(code) {
            return *level;
        }
        lookup(code).map_or(Level::Deny, |c| c.default)
    }
}

/// A file a check looked at but did not scan, with the reason (binary, too large, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// Findings of one code listed per file; the rest are counted in one summary finding. A
/// minified bundle or generated file with 20,000 findings on a line stays readable and small.
pub const MAX_LISTED_PER_FILE: usize = 100;

/// Every finding of one run, in the order found; sorted before rendering.
#[derive(Debug, Default)]
pub struct Report {
    levels: Levels,
    pub diagnostics: Vec<Diagnostic>,
    pub skipped: Vec<Skipped>,
    /// Short lines about what was checked ("12 documents, 3 markers"), shown in human output.
    pub notes: Vec<String>,
    /// Findings pushed per (path, code), to cap what is listed.
    counts: HashMap<(String, &'static str), usize>,
    /// Where the summary finding of each capped (path, code) is in `diagnostics`, until `sort`.
    summaries: HashMap<(String, &'static str), usize>,
}

impl Report {
    pub fn new(levels: Levels) -> Report {
        Report { levels, ..Report::default() }
    }

    /// Add a finding with the level the configuration gives its code; `allow` drops it. Past
    /// `MAX_LISTED_PER_FILE` findings of one code in one file, one summary finding (at the
    /// first one not listed) counts the rest.
    pub fn push(&mut self, mut diagnostic: Diagnostic) {
        debug_assert!(lookup(diagnostic.code).is_some(), "unregistered code {}", diagnostic.code);
        diagnostic.level = self.levels.level_of(diagnostic.code);
        if diagnostic.level == Level::Allow {
            return;
        }
        let key = (diagnostic.path.clone(), diagnostic.code);
        let count = self.counts.entry(key.clone()).or_default();
        *count += 1;
        if *count <= MAX_LISTED_PER_FILE {
            self.diagnostics.push(diagnostic);
            return;
        }
        let unlisted = *count - MAX_LISTED_PER_FILE;
        let message = format!(
            "{unlisted} more `{}` finding{} in this file {} not listed (the first {MAX_LISTED_PER_FILE} are)",
            diagnostic.code,
            if unlisted == 1 { "" } else { "s" },
            if unlisted == 1 { "is" } else { "are" },
        );
        match self.summaries.get(&key) {
            Some(&index) => self.diagnostics[index].message = message,
            None => {
                self.summaries.insert(key, self.diagnostics.len());
                self.diagnostics.push(Diagnostic {
                    message,
                    help: Some(
                        "fix the findings listed and run the check again to see the next ones; a generated or \
                         minified file usually belongs outside the check (docs/configuration.md)"
                            .to_owned(),
                    ),
                    source_line: None,
                    excerpt_column: None,
                    ..diagnostic
                });
            }
        }
    }

    pub fn skip(&mut self, path: impl Into<String>, reason: impl Into<String>) {
        self.skipped.push(Skipped { path: path.into(), reason: reason.into() });
    }

    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.level == Level::Deny).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.level == Level::Warn).count()
    }

    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// Stable order: path, line, column, code.
    pub fn sort(&mut self) {
        // Summaries move with the sort; a later push past the cap starts a new one.
        self.summaries.clear();
        self.diagnostics
            .sort_by(|a, b| (&a.path, a.position, a.code, &a.message).cmp(&(&b.path, b.position, b.code, &b.message)));
        self.diagnostics.dedup();
        // Several checks over one file set skip the same binary or oversized file.
        self.skipped.sort_by(|a, b| (&a.path, &a.reason).cmp(&(&b.path, &b.reason)));
        self.skipped.dedup();
    }
}

/// The output formats of `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Human,
    Json,
    Sarif,
}

/// Human rendering: one block per finding, the source line with a marker, the help line,
/// then a summary.
pub fn render_human(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut text = String::new();
    for d in &report.diagnostics {
        let _ = writeln!(
            text,
            "{}:{}:{}: {}[{}]: {}",
            d.path,
            d.position.line,
            d.position.column,
            d.level.label(),
            d.code,
            d.message
        );
        if let Some(line) = &d.source_line {
            let gutter = d.position.line.to_string();
            let pad = " ".repeat(gutter.len());
            let shown: String = line.chars().take(200).collect();
            let _ = writeln!(text, "{pad} |");
            let _ = writeln!(text, "{gutter} | {shown}");
            let indent: String = line
                .chars()
                .take(d.excerpt_column.unwrap_or(d.position.column).saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            let _ = writeln!(text, "{pad} | {indent}{}", "^".repeat(d.width.min(120)));
        }
        if let Some(help) = &d.help {
            let _ = writeln!(text, "  = help: {help}");
        }
        text.push('\n');
    }
    for note in &report.notes {
        let _ = writeln!(text, "note: {note}");
    }
    let errors = report.error_count();
    let warnings = report.warning_count();
    let _ = writeln!(
        text,
        "{}: {} error{}, {} warning{}",
        if errors > 0 { "failed" } else { "ok" },
        errors,
        if errors == 1 { "" } else { "s" },
        warnings,
        if warnings == 1 { "" } else { "s" },
    );
    out.write_all(text.as_bytes())
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    severity: &'a str,
    path: &'a str,
    line: usize,
    column: usize,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
}

#[derive(Serialize)]
struct JsonReport<'a> {
    findings: Vec<JsonFinding<'a>>,
    skipped: &'a [Skipped],
    summary: JsonSummary,
}

#[derive(Serialize)]
struct JsonSummary {
    errors: usize,
    warnings: usize,
}

/// JSON rendering: one document with a `findings` array.
pub fn render_json(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let document = JsonReport {
        findings: report
            .diagnostics
            .iter()
            .map(|d| JsonFinding {
                code: d.code,
                severity: d.level.label(),
                path: &d.path,
                line: d.position.line,
                column: d.position.column,
                message: &d.message,
                help: d.help.as_deref(),
            })
            .collect(),
        skipped: &report.skipped,
        summary: JsonSummary { errors: report.error_count(), warnings: report.warning_count() },
    };
    serde_json::to_writer_pretty(&mut *out, &document)?;
    out.write_all(b"\n")
}

/// SARIF 2.1.0 rendering, the subset GitHub code scanning reads: one run, the tool's rules
/// (only codes that occur), and results with a physical location relative to the repository root.
/// No `informationUri` or `helpUri` (both optional): the project has no public home to link to,
/// so each rule's `help` names its section of docs/diagnostics.md instead.
pub fn render_sarif(report: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    for d in &report.diagnostics {
        if !rule_index.contains_key(d.code) {
            rule_index.insert(d.code, rules.len());
            let summary = lookup(d.code).map_or("", |c| c.summary);
            rules.push(serde_json::json!({
                "id": d.code,
                "name": d.code,
                "shortDescription": { "text": summary },
                "help": { "text": format!("docs/diagnostics.md, section `{}`, says what it means and how to fix it", d.code) },
                "defaultConfiguration": { "level": sarif_level(lookup(d.code).map_or(Level::Deny, |c| c.default)) },
            }));
        }
    }
    let results: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| {
            let mut message = d.message.clone();
            if let Some(help) = &d.help {
                message.push_str("\nhelp: ");
                message.push_str(help);
            }
            serde_json::json!({
                "ruleId": d.code,
                "ruleIndex": rule_index[d.code],
                "level": sarif_level(d.level),
                "message": { "text": message },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": d.path, "uriBaseId": "%SRCROOT%" },
                        "region": { "startLine": d.position.line, "startColumn": d.position.column },
                    }
                }],
            })
        })
        .collect();
    let document = serde_json::json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "specgate",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    serde_json::to_writer_pretty(&mut *out, &document)?;
    out.write_all(b"\n")
}

fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Deny => "error",
        Level::Warn => "warning",
        Level::Allow => "none",
    }
}

pub fn render(report: &Report, format: Format, out: &mut dyn Write) -> io::Result<()> {
    match format {
        Format::Human => render_human(report, out),
        Format::Json => render_json(report, out),
        Format::Sarif => render_sarif(report, out),
    }
}

/// Every code of every check (`codes::TABLES`).
pub fn all_codes() -> impl Iterator<Item = &'static Code> {
    codes::TABLES.iter().flat_map(|table| table.iter())
}

pub fn lookup(code: &str) -> Option<&'static Code> {
    all_codes().find(|c| c.name == code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in all_codes() {
            assert!(seen.insert(code.name), "duplicate code {}", code.name);
            assert!(
                code.name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "code {} is not kebab-case",
                code.name
            );
            assert!(!code.summary.is_empty(), "code {} has no summary", code.name);
        }
    }

    #[test]
    fn every_code_has_a_heading_in_diagnostics_md() {
        let doc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/diagnostics.md"))
            .expect("docs/diagnostics.md exists");
        let headings: std::collections::BTreeSet<&str> =
            doc.lines().filter_map(|l| l.strip_prefix("### ")).map(str::trim).collect();
        for code in all_codes() {
            assert!(headings.contains(code.name), "docs/diagnostics.md has no `### {}` heading", code.name);
        }
        for heading in &headings {
            assert!(lookup(heading).is_some(), "docs/diagnostics.md documents unknown code `{heading}`");
        }
    }

    #[test]
    fn position_counts_characters_and_lines_from_one() {
        let file = SourceFile::new("a.md", "ab\nñx\r\nlast".to_owned());
        assert_eq!(file.position(0), Position::new(1, 1));
        assert_eq!(file.position(3), Position::new(2, 1));
        // 'ñ' is two bytes but one column.
        assert_eq!(file.position(5), Position::new(2, 2));
        assert_eq!(file.line_text(2), Some("ñx"));
        assert_eq!(file.line_text(3), Some("last"));
        assert_eq!(file.line_text(4), None);
    }

    /// Line and column of every byte offset, counted the slow obvious way.
    fn naive_position(text: &str, offset: usize) -> Position {
        let before = String::from_utf8_lossy(&text.as_bytes()[..offset]).into_owned();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        Position::new(line, column)
    }

    #[test]
    fn positions_and_offsets_agree_with_counting_in_any_order() {
        let text = "ab\n\u{f1}x\u{1F600}y\r\n\nlast \u{e9}\u{e9} line";
        let file = SourceFile::new("a.md", text.to_owned());
        let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
        // Forwards (the cursor walks), backwards and jumping (it starts over): same answers.
        let mut order = boundaries.clone();
        order.extend(boundaries.iter().rev());
        order.extend(boundaries.iter().step_by(3));
        for offset in order {
            let position = file.position(offset);
            assert_eq!(position, naive_position(text, offset), "offset {offset}");
            let line_end = file.line_start(position.line).unwrap() + file.line_text(position.line).unwrap().len();
            if offset <= line_end {
                assert_eq!(file.offset(position), Some(offset), "{position:?}");
            }
        }
        let mut cursor = Cursor::default();
        for &offset in &boundaries {
            assert_eq!(cursor.position(text.as_bytes(), offset), naive_position(text, offset));
        }
    }

    #[test]
    fn an_excerpt_is_a_window_of_whole_characters_around_the_place() {
        // A short line is shown whole, without its carriage return.
        assert_eq!(Excerpt::of(b"let x = 1;\r", 4), Excerpt { text: "let x = 1;".to_owned(), column: 5 });
        // A long line of two-byte characters: cut on both sides, never inside a character,
        // the column still under the same character.
        let line = "\u{e9}".repeat(10_000) + "X" + &"\u{e9}".repeat(10_000);
        let at = line.find('X').unwrap();
        let excerpt = Excerpt::of(line.as_bytes(), at);
        assert!(excerpt.text.starts_with("...") && excerpt.text.ends_with("..."), "{excerpt:?}");
        assert!(excerpt.text.chars().count() < 200, "{excerpt:?}");
        assert_eq!(excerpt.text.chars().nth(excerpt.column - 1), Some('X'));
        assert!(!excerpt.text.contains('\u{fffd}'), "a character was cut: {excerpt:?}");
        // A place near the start keeps the line's start.
        let excerpt = Excerpt::of(line.as_bytes(), 4);
        assert!(!excerpt.text.starts_with("...") && excerpt.column == 3, "{excerpt:?}");
    }

    #[test]
    fn a_file_lists_a_hundred_findings_of_a_code_then_counts_the_rest() {
        let mut report = Report::default();
        for column in 1..=250 {
            report.push(Diagnostic::new("emoji-found", "bundle.js", Position::new(1, column), "x"));
        }
        report.push(Diagnostic::new("emoji-found", "other.js", Position::new(1, 1), "x"));
        report.push(Diagnostic::new("secret-detected", "bundle.js", Position::new(1, 1), "x"));
        report.sort();
        let listed =
            |path: &str, code: &str| report.diagnostics.iter().filter(|d| d.path == path && d.code == code).count();
        assert_eq!(listed("bundle.js", "emoji-found"), MAX_LISTED_PER_FILE + 1);
        assert_eq!((listed("other.js", "emoji-found"), listed("bundle.js", "secret-detected")), (1, 1));
        let summary = report.diagnostics.iter().find(|d| d.message.contains("more")).expect("a summary finding");
        assert_eq!(summary.position, Position::new(1, MAX_LISTED_PER_FILE + 1));
        assert!(summary.message.starts_with("150 more `emoji-found` findings"), "{}", summary.message);
        assert_eq!(summary.level, Level::Deny);
        assert_eq!(report.error_count(), MAX_LISTED_PER_FILE + 3);
    }

    #[test]
    fn sort_lists_a_file_skipped_by_two_checks_once() {
        let mut report = Report::default();
        report.skip("b.bin", "binary");
        report.skip("a.bin", "binary");
        report.skip("b.bin", "binary");
        report.sort();
        let paths: Vec<&str> = report.skipped.iter().map(|s| s.path.as_str()).collect();
        assert_eq!(paths, ["a.bin", "b.bin"]);
    }

    #[test]
    fn allow_drops_and_override_changes_level() {
        let mut levels = Levels::default();
        levels.set("spec-missing-field", Level::Allow);
        levels.set("link-unresolved-body", Level::Deny);
        let mut report = Report::new(levels);
        report.push(Diagnostic::new("spec-missing-field", "a.md", Position::new(1, 1), "x"));
        report.push(Diagnostic::new("link-unresolved-body", "a.md", Position::new(2, 1), "y"));
        assert_eq!(report.diagnostics.len(), 1);
        assert_eq!(report.error_count(), 1);
    }
}
