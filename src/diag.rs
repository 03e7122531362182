//! The report model: findings (`Diagnostic`), their codes and severities, the `Report` that
//! collects them, and its three renderings (human, JSON, SARIF 2.1.0).
//!
//! Checks push findings here and never print. Which severity a code has is decided once, when
//! the finding is pushed, from the configuration (`[severity]` in specgate.toml and `--deny`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use serde::{Deserialize, Serialize};

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

    /// Attach the source line and marker width from a file's text.
    pub fn source(mut self, file: &SourceFile, width: usize) -> Diagnostic {
        self.source_line = file.line_text(self.position.line).map(str::to_owned);
        self.width = width.max(1);
        self
    }
}

/// A text file with its line starts, so byte offsets become line:column.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: String) -> SourceFile {
        let mut line_starts = vec![0];
        line_starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        SourceFile { path: path.into(), text, line_starts }
    }

    /// The 1-based line and character column of a byte offset.
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(index) => index,
            Err(index) => index - 1,
        };
        let start = self.line_starts[line_index];
        let column = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        Position::new(line_index + 1, column + 1)
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

/// Every finding of one run, in the order found; sorted before rendering.
#[derive(Debug, Default)]
pub struct Report {
    levels: Levels,
    pub diagnostics: Vec<Diagnostic>,
    pub skipped: Vec<Skipped>,
    /// Short lines about what was checked ("12 documents, 3 markers"), shown in human output.
    pub notes: Vec<String>,
}

impl Report {
    pub fn new(levels: Levels) -> Report {
        Report { levels, ..Report::default() }
    }

    /// Add a finding with the level the configuration gives its code; `allow` drops it.
    pub fn push(&mut self, mut diagnostic: Diagnostic) {
        debug_assert!(lookup(diagnostic.code).is_some(), "unregistered code {}", diagnostic.code);
        diagnostic.level = self.levels.level_of(diagnostic.code);
        if diagnostic.level != Level::Allow {
            self.diagnostics.push(diagnostic);
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

/// Every code of every capability; each module owns its slice.
pub fn all_codes() -> impl Iterator<Item = &'static Code> {
    crate::registry::CODE_TABLES.iter().flat_map(|table| table.iter())
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
