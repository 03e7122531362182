//! The ARTIFACTS.md ledger: the team's Markdown table
//! `| Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |`.
//!
//! Parsing keeps the byte offset of every cell, so findings point at `file:line:column`, and so
//! edits touch only the bytes they change: adding a row inserts one line, changing a status
//! replaces one cell's text; every other byte of the file (text around the table, padding,
//! CRLF line endings, a missing final newline) stays as it was. Writing is the caller's job,
//! through `crate::shared::atomic::write`.

use std::fmt;

use super::name::{is_distro, ArtifactName, Compression, PythonVersion};
use super::sidecar::Digest;

/// The columns of the team's table, in order, as written in the spec.
pub const HEADERS: [&str; 7] = ["Versión", "Build", "Distro", "Fecha", "SHA256", "URL Release", "Estado"];

/// Column indexes into `HEADERS`.
pub mod column {
    pub const VERSION: usize = 0;
    pub const BUILD: usize = 1;
    pub const DISTRO: usize = 2;
    pub const DATE: usize = 3;
    pub const SHA256: usize = 4;
    pub const URL: usize = 5;
    pub const STATUS: usize = 6;
}

/// What a URL cell holds before the artifact is published.
pub const UNPUBLISHED: &str = "-";

/// The state of a build (Estado).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Activo: installable, kept by retention.
    Active,
    /// Deprecado: superseded; its files may be removed.
    Deprecated,
    /// Retirado: must not be installed any more.
    Retired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "Activo",
            Status::Deprecated => "Deprecado",
            Status::Retired => "Retirado",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "Activo" => Some(Status::Active),
            "Deprecado" => Some(Status::Deprecated),
            "Retirado" => Some(Status::Retired),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One cell: its trimmed text and where that text sits in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    /// Byte offset of the trimmed text (for an empty cell: just after the opening `|`).
    pub start: usize,
    pub end: usize,
}

/// One table line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line number.
    pub line: usize,
    /// Byte offset of the line's first byte.
    pub start: usize,
    pub cells: Vec<Cell>,
}

/// A well-formed row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub version: PythonVersion,
    pub build: u32,
    pub distro: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub sha256: Digest,
    /// The release URL, or `-` before publishing.
    pub url: String,
    pub status: Status,
}

impl Entry {
    /// The artifact this row describes, with the given compression.
    pub fn artifact_name(&self, compression: Compression) -> ArtifactName {
        ArtifactName { version: self.version, distro: self.distro.clone(), build: self.build, compression }
    }

    /// The (version, build, distro) triple that must be unique.
    pub fn key(&self) -> (PythonVersion, u32, &str) {
        (self.version, self.build, &self.distro)
    }

    pub fn is_published(&self) -> bool {
        self.url != UNPUBLISHED
    }

    /// The cells of this entry, in column order.
    pub fn cells(&self) -> [String; 7] {
        [
            self.version.to_string(),
            self.build.to_string(),
            self.distro.clone(),
            self.date.clone(),
            self.sha256.to_hex(),
            self.url.clone(),
            self.status.to_string(),
        ]
    }
}

/// A cell that breaks the format, for a finding at that cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub column: usize,
    pub message: String,
    pub help: String,
}

impl Row {
    /// Check every cell; all problems at once, so one run shows everything to fix.
    pub fn entry(&self) -> Result<Entry, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let cell = |i: usize| self.cells.get(i).map_or("", |c| c.text.as_str());
        let mut problem = |column: usize, message: String, help: &str| {
            problems.push(FieldProblem { column, message, help: help.to_owned() })
        };
        let version = PythonVersion::parse(cell(column::VERSION));
        if version.is_none() {
            problem(
                column::VERSION,
                format!("`Versión` is `{}`, not a version `X.Y.Z`", cell(column::VERSION)),
                "write the CPython version, for example `3.12.6`",
            );
        }
        let build = cell(column::BUILD);
        let build_number = build
            .parse::<u32>()
            .ok()
            .filter(|b| *b > 0 && !build.starts_with('0') && build.bytes().all(|c| c.is_ascii_digit()));
        if build_number.is_none() {
            problem(
                column::BUILD,
                format!("`Build` is `{build}`, not a build number"),
                "write the build number from the artifact name, 1 or more, without leading zeros",
            );
        }
        let distro = cell(column::DISTRO);
        if !is_distro(distro) {
            problem(
                column::DISTRO,
                format!("`Distro` is `{distro}`, not a distro tag"),
                "write the distro and its version as in the artifact name, for example `ubuntu20.04` or `debian12`",
            );
        }
        let date = cell(column::DATE);
        if !is_iso_date(date) {
            problem(
                column::DATE,
                format!("`Fecha` is `{date}`, not a date `YYYY-MM-DD`"),
                "write the build date as `YYYY-MM-DD`, for example `2025-11-06`",
            );
        }
        let sha = cell(column::SHA256);
        let digest = Digest::from_hex(sha);
        if digest.is_none() {
            let hex = sha.bytes().all(|b| b.is_ascii_hexdigit());
            let what = if hex {
                format!("{} hex characters instead of 64", sha.len())
            } else {
                "characters that are not hex".to_owned()
            };
            problem(
                column::SHA256,
                format!("`SHA256` has {what}"),
                "copy the digest from the artifact's `.sha256` sidecar, or run `specgate ledger add <artifact>`",
            );
        }
        let url = cell(column::URL);
        if !(url == UNPUBLISHED || is_url(url)) {
            problem(
                column::URL,
                format!("`URL Release` is `{url}`, not an http(s) URL"),
                "write the release asset URL, or `-` while the artifact is not published",
            );
        }
        let status = Status::parse(cell(column::STATUS));
        if status.is_none() {
            problem(
                column::STATUS,
                format!("`Estado` is `{}`", cell(column::STATUS)),
                "write `Activo`, `Deprecado` or `Retirado`",
            );
        }
        match (version, build_number, digest, status) {
            (Some(version), Some(build), Some(sha256), Some(status)) if problems.is_empty() => Ok(Entry {
                version,
                build,
                distro: distro.to_owned(),
                date: date.to_owned(),
                sha256,
                url: url.to_owned(),
                status,
            }),
            _ => Err(problems),
        }
    }
}

fn is_url(text: &str) -> bool {
    let rest = text.strip_prefix("https://").or_else(|| text.strip_prefix("http://"));
    rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/') && !r.contains(char::is_whitespace))
}

pub use crate::shared::formats::is_iso_date;

/// The UTC date of a Unix time, `YYYY-MM-DD` (the civil-from-days algorithm).
pub fn date_from_unix(seconds: u64) -> String {
    let (year, month, day) = crate::shared::formats::civil_from_days((seconds / 86_400) as i64);
    format!("{year:04}-{month:02}-{day:02}")
}

/// The table found in a ledger.
#[derive(Debug, Clone)]
pub struct Table {
    pub header: Row,
    /// A problem with the header (wrong columns) or the separator line, if any.
    pub header_problem: Option<String>,
    pub rows: Vec<Row>,
    /// Byte offset just after the separator line (where new rows go: newest first, as in the
    /// spec's example).
    insert_at: usize,
    /// The separator (or header) line is the file's last line and has no line ending.
    insert_needs_newline: bool,
}

/// A parsed ledger file.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub text: String,
    pub table: Option<Table>,
    /// The line ending the table uses (`\r\n` when its header line ends so).
    eol: &'static str,
}

/// Fold a header cell for comparison: lowercase, accents removed.
fn fold(text: &str) -> String {
    text.trim()
        .chars()
        .map(|c| match c {
            'á' | 'Á' => 'a',
            'é' | 'É' => 'e',
            'í' | 'Í' => 'i',
            'ó' | 'Ó' => 'o',
            'ú' | 'Ú' => 'u',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Split a table line into cells, or `None` if it is not a table line.
fn split_cells(text: &str, line_start: usize) -> Option<Vec<Cell>> {
    // A byte-order mark (Windows editors) counts as indentation, like spaces.
    let indent = text.len() - text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}').len();
    let body = &text[indent..];
    let body = body.strip_prefix('|')?;
    let mut cells = Vec::new();
    let mut offset = line_start + indent + 1;
    let trimmed_end = body.trim_end();
    let has_closing = trimmed_end.ends_with('|');
    let content = if has_closing { &trimmed_end[..trimmed_end.len() - 1] } else { trimmed_end };
    for raw in content.split('|') {
        let lead = raw.len() - raw.trim_start().len();
        let text = raw.trim();
        let start = if text.is_empty() { offset } else { offset + lead };
        cells.push(Cell { text: text.to_owned(), start, end: start + text.len() });
        offset += raw.len() + 1;
    }
    Some(cells)
}

fn is_separator(cells: &[Cell]) -> bool {
    !cells.is_empty()
        && cells.iter().all(|c| {
            let t = c.text.as_str();
            t.contains('-') && t.bytes().all(|b| matches!(b, b'-' | b':' | b' '))
        })
}

impl Ledger {
    /// Parse a ledger. A file with no table is a `Ledger` whose `table` is `None`.
    pub fn parse(text: String) -> Ledger {
        let mut lines = Vec::new();
        let mut start = 0;
        for piece in text.split_inclusive('\n') {
            lines.push((start, piece));
            start += piece.len();
        }
        let mut table = None;
        let mut eol = "\n";
        let content = |piece: &'_ str| -> usize {
            let without = piece.strip_suffix('\n').unwrap_or(piece);
            without.strip_suffix('\r').unwrap_or(without).len()
        };
        let mut index = 0;
        while index < lines.len() {
            let (line_start, piece) = lines[index];
            let line_text = &piece[..content(piece)];
            let Some(cells) = split_cells(line_text, line_start) else {
                index += 1;
                continue;
            };
            if cells.first().is_none_or(|c| fold(&c.text) != "version") {
                index += 1;
                continue;
            }
            if piece.ends_with("\r\n") {
                eol = "\r\n";
            }
            let header = Row { line: index + 1, start: line_start, cells };
            let folded: Vec<String> = header.cells.iter().map(|c| fold(&c.text)).collect();
            let expected: Vec<String> = HEADERS.iter().map(|h| fold(h)).collect();
            let mut header_problem = (folded != expected).then(|| {
                let missing: Vec<&str> =
                    HEADERS.iter().zip(&expected).filter(|(_, e)| !folded.contains(e)).map(|(h, _)| *h).collect();
                let mut message = format!("the header has {} columns", header.cells.len());
                if !missing.is_empty() {
                    message.push_str(&format!(", missing `{}`", missing.join("`, `")));
                } else {
                    message.push_str(", in another order");
                }
                message
            });
            let mut insert_at = line_start + piece.len();
            let mut insert_needs_newline = !piece.ends_with('\n');
            let mut next = index + 1;
            match lines.get(next) {
                Some((sep_start, sep_piece))
                    if split_cells(&sep_piece[..content(sep_piece)], *sep_start).is_some_and(|c| is_separator(&c)) =>
                {
                    insert_at = sep_start + sep_piece.len();
                    insert_needs_newline = !sep_piece.ends_with('\n');
                    next += 1;
                }
                _ => {
                    header_problem
                        .get_or_insert_with(|| "the header is not followed by a `|---|---|` separator line".to_owned());
                }
            }
            let mut rows = Vec::new();
            while let Some((row_start, row_piece)) = lines.get(next) {
                let Some(cells) = split_cells(&row_piece[..content(row_piece)], *row_start) else {
                    break;
                };
                rows.push(Row { line: next + 1, start: *row_start, cells });
                next += 1;
            }
            table = Some(Table { header, header_problem, rows, insert_at, insert_needs_newline });
            break;
        }
        if table.is_none() && text.contains("\r\n") {
            eol = "\r\n";
        }
        Ledger { text, table, eol }
    }

    /// The well-formed rows, with their index into `table.rows`.
    pub fn entries(&self) -> Vec<(usize, Entry)> {
        self.table
            .iter()
            .flat_map(|t| t.rows.iter().enumerate())
            .filter(|(_, row)| row.cells.len() == HEADERS.len())
            .filter_map(|(i, row)| row.entry().ok().map(|e| (i, e)))
            .collect()
    }

    /// The text with one more row, inserted first under the header (newest first); every
    /// other byte is kept. A file with no table gets the table appended.
    pub fn with_row_added(&self, entry: &Entry) -> String {
        let row = format_row(&entry.cells());
        let eol = self.eol;
        let mut text = String::with_capacity(self.text.len() + row.len() + 200);
        match &self.table {
            Some(table) => {
                text.push_str(&self.text[..table.insert_at]);
                if table.insert_needs_newline {
                    text.push_str(eol);
                }
                text.push_str(&row);
                text.push_str(eol);
                text.push_str(&self.text[table.insert_at..]);
            }
            None => {
                text.push_str(&self.text);
                if self.text.is_empty() {
                    text.push_str(&format!("# Artifacts{eol}{eol}"));
                } else if !self.text.ends_with('\n') {
                    text.push_str(eol);
                    text.push_str(eol);
                } else if !self.text.ends_with(&format!("{eol}{eol}")) {
                    text.push_str(eol);
                }
                text.push_str(&format_row(&HEADERS.map(str::to_owned)));
                text.push_str(eol);
                text.push_str(&format_row(&HEADERS.map(|h| "-".repeat(h.chars().count().max(3)))));
                text.push_str(eol);
                text.push_str(&row);
                text.push_str(eol);
            }
        }
        text
    }

    /// The text with one cell of one row replaced; every other byte is kept.
    pub fn with_cell(&self, row: usize, column: usize, value: &str) -> Option<String> {
        let cell = self.table.as_ref()?.rows.get(row)?.cells.get(column)?;
        let mut text = String::with_capacity(self.text.len() + value.len());
        text.push_str(&self.text[..cell.start]);
        if cell.text.is_empty() {
            // An empty cell `||` or `|  |`: keep one space on each side of the new text.
            let before = self.text[..cell.start].ends_with(' ');
            let after = self.text[cell.end..].starts_with(' ');
            text.push_str(if before { "" } else { " " });
            text.push_str(value);
            text.push_str(if after { "" } else { " " });
        } else {
            text.push_str(value);
        }
        text.push_str(&self.text[cell.end..]);
        Some(text)
    }

    /// The text with the `Estado` of one row changed.
    pub fn with_status(&self, row: usize, status: Status) -> Option<String> {
        self.with_cell(row, column::STATUS, status.as_str())
    }
}

fn format_row(cells: &[String; 7]) -> String {
    let mut line = String::from("|");
    for cell in cells {
        line.push(' ');
        line.push_str(cell);
        line.push_str(" |");
    }
    line
}

/// Retention (BR-005): for each version line (`X.Y`) and distro, the Activo rows beyond the
/// newest `keep` builds (by version, then build), as indexes into `table.rows`.
pub fn rows_to_deprecate(entries: &[(usize, Entry)], keep: usize) -> Vec<usize> {
    let mut groups: std::collections::BTreeMap<(String, &str), Vec<&(usize, Entry)>> =
        std::collections::BTreeMap::new();
    for item in entries.iter().filter(|(_, e)| e.status == Status::Active) {
        groups.entry((item.1.version.line(), item.1.distro.as_str())).or_default().push(item);
    }
    let mut out = Vec::new();
    for mut rows in groups.into_values() {
        rows.sort_by_key(|row| std::cmp::Reverse((row.1.version, row.1.build)));
        out.extend(rows.iter().skip(keep).map(|(i, _)| *i));
    }
    out.sort_unstable();
    out
}

// ---------------------------------------------------------------- file operations

/// What `add_entry` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// The row was written; its 1-based line.
    Row { line: usize },
    /// The same row (same build and SHA-256) was already there; nothing was written.
    AlreadyPresent { line: usize },
}

/// Read a ledger file; a missing file is an empty ledger.
pub fn read(path: &std::path::Path) -> Result<Ledger, super::Error> {
    match crate::shared::readfile::regular(path, MAX_BYTES) {
        Ok(bytes) => String::from_utf8(bytes)
            .map(Ledger::parse)
            .map_err(|_| super::Error::Ledger { path: path.to_path_buf(), reason: "it is not UTF-8 text".to_owned() }),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Ledger::parse(String::new())),
        Err(source) => Err(super::Error::io("read", path, source)),
    }
}

/// A ledger larger than this is refused (a row is about 200 bytes).
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Add a row to the ledger file (created if missing), atomically. The same build with the same
/// digest is a no-op; the same build with another digest is refused.
pub fn add_entry(path: &std::path::Path, entry: &Entry) -> Result<Added, super::Error> {
    let ledger = read(path)?;
    if let Some(table) = &ledger.table {
        if let Some(problem) = &table.header_problem {
            return Err(super::Error::Ledger {
                path: path.to_path_buf(),
                reason: format!("line {}: {problem}; fix the header before adding rows", table.header.line),
            });
        }
    }
    for (index, existing) in ledger.entries() {
        if existing.key() == entry.key() {
            let line = ledger.table.as_ref().map_or(0, |t| t.rows[index].line);
            if existing.sha256 == entry.sha256 {
                return Ok(Added::AlreadyPresent { line });
            }
            return Err(super::Error::Ledger {
                path: path.to_path_buf(),
                reason: format!(
                    "line {line} already records {} build {} for {} with SHA-256 {}, not {}; a rebuild gets the next build number",
                    entry.version, entry.build, entry.distro, existing.sha256, entry.sha256
                ),
            });
        }
    }
    let text = ledger.with_row_added(entry);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| super::Error::io("create", parent, source))?;
    }
    crate::shared::atomic::write(path, text.as_bytes()).map_err(|source| super::Error::io("write", path, source))?;
    let line = Ledger::parse(text)
        .table
        .and_then(|t| t.rows.into_iter().find(|r| r.entry().is_ok_and(|e| e.key() == entry.key())))
        .map_or(0, |r| r.line);
    Ok(Added::Row { line })
}

/// Retention: mark Activo rows beyond the newest `keep` per version line and distro
/// `Deprecado`, atomically. Returns the rows changed (with their lines).
pub fn prune(path: &std::path::Path, keep: usize) -> Result<Vec<(usize, Entry)>, super::Error> {
    let mut ledger = read(path)?;
    let targets: Vec<(usize, Entry)> = {
        let entries = ledger.entries();
        let indexes = rows_to_deprecate(&entries, keep);
        entries.into_iter().filter(|(i, _)| indexes.contains(i)).collect()
    };
    let mut changed = Vec::new();
    for (index, entry) in targets {
        let line = ledger.table.as_ref().map_or(0, |t| t.rows[index].line);
        let text = ledger.with_status(index, Status::Deprecated).expect("the index comes from this ledger's rows");
        ledger = Ledger::parse(text);
        changed.push((line, entry));
    }
    if !changed.is_empty() {
        crate::shared::atomic::write(path, ledger.text.as_bytes())
            .map_err(|source| super::Error::io("write", path, source))?;
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA_A: &str = "9c1f0000000000000000000000000000000000000000000000000000000000aa";
    const SHA_B: &str = "04ab0000000000000000000000000000000000000000000000000000000000bb";

    fn sample(eol: &str) -> String {
        [
            "# Artefactos",
            "",
            "Texto antes de la tabla.",
            "",
            "| Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |",
            "|---------|-------|--------|-------|--------|-------------|--------|",
            &format!("| 3.12.6  | 1     | ubuntu20.04 | 2025-11-06 | {SHA_A} | https://example.org/a.tgz | Activo |"),
            &format!(
                "| 3.12.5  | 2     | ubuntu20.04 | 2025-09-15 | {SHA_B} | https://example.org/b.tgz | Deprecado |"
            ),
            "",
            "Notas después.",
            "",
        ]
        .join(eol)
    }

    fn entry(version: &str, build: u32) -> Entry {
        Entry {
            version: PythonVersion::parse(version).unwrap(),
            build,
            distro: "debian12".into(),
            date: "2026-01-02".into(),
            sha256: Digest::from_hex(SHA_A).unwrap(),
            url: UNPUBLISHED.into(),
            status: Status::Active,
        }
    }

    #[test]
    fn parses_rows_with_positions() {
        let ledger = Ledger::parse(sample("\n"));
        let table = ledger.table.as_ref().unwrap();
        assert!(table.header_problem.is_none());
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].line, 7);
        let sha = &table.rows[0].cells[column::SHA256];
        assert_eq!(&ledger.text[sha.start..sha.end], SHA_A);
        let entries = ledger.entries();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[1].1.status, Status::Deprecated);
        assert_eq!(entries[0].1.artifact_name(Compression::Gzip).to_string(), "cpython-3.12.6-ubuntu20.04-build1.tgz");
    }

    /// A row added or a status changed leaves every other byte as it was.
    fn assert_only_inserted(before: &str, after: &str, inserted: &str) {
        let at = after.find(inserted).expect("the new text is present");
        assert_eq!(format!("{}{}", &after[..at], &after[at + inserted.len()..]), before);
    }

    #[test]
    fn add_row_is_byte_stable_lf_and_crlf() {
        for eol in ["\n", "\r\n"] {
            let text = sample(eol);
            let ledger = Ledger::parse(text.clone());
            let added = ledger.with_row_added(&entry("3.13.1", 1));
            let row = format!("| 3.13.1 | 1 | debian12 | 2026-01-02 | {SHA_A} | - | Activo |{eol}");
            assert_only_inserted(&text, &added, &row);
            // The new row sits first under the separator and parses back.
            let reparsed = Ledger::parse(added);
            assert_eq!(reparsed.entries().len(), 3);
            assert_eq!(reparsed.entries()[0].1.version.to_string(), "3.13.1");
        }
    }

    #[test]
    fn status_change_replaces_one_cell_only() {
        for eol in ["\n", "\r\n"] {
            let text = sample(eol);
            let ledger = Ledger::parse(text.clone());
            let changed = ledger.with_status(0, Status::Deprecated).unwrap();
            let cell = &ledger.table.as_ref().unwrap().rows[0].cells[column::STATUS];
            assert_eq!(&changed[..cell.start], &text[..cell.start]);
            assert_eq!(&changed[cell.start + "Deprecado".len()..], &text[cell.end..]);
            assert_eq!(Ledger::parse(changed).entries()[0].1.status, Status::Deprecated);
        }
    }

    #[test]
    fn byte_order_mark_before_the_header_is_accepted_and_kept() {
        let text = format!("\u{feff}{}", sample("\r\n").split_once("Texto antes de la tabla.\r\n\r\n").unwrap().1);
        let ledger = Ledger::parse(text.clone());
        assert_eq!(ledger.entries().len(), 2);
        let added = ledger.with_row_added(&entry("3.13.1", 1));
        assert!(added.starts_with('\u{feff}'));
        assert_eq!(Ledger::parse(added).entries().len(), 3);
    }

    #[test]
    fn table_at_end_of_file_without_newline() {
        let text =
            "| Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n|---|---|---|---|---|---|---|"
                .to_owned();
        let ledger = Ledger::parse(text.clone());
        let added = ledger.with_row_added(&entry("3.12.6", 1));
        assert!(added.starts_with(&text));
        assert_eq!(Ledger::parse(added).entries().len(), 1);
    }

    #[test]
    fn file_without_table_gets_one_appended() {
        for before in ["", "# Ledger\n", "# Ledger\r\nsome text"] {
            let ledger = Ledger::parse(before.to_owned());
            assert!(ledger.table.is_none());
            let added = ledger.with_row_added(&entry("3.12.6", 1));
            assert!(added.starts_with(before));
            let reparsed = Ledger::parse(added);
            assert!(reparsed.table.as_ref().unwrap().header_problem.is_none());
            assert_eq!(reparsed.entries().len(), 1);
        }
    }

    #[test]
    fn malformed_rows_report_each_cell() {
        let table = [
            (
                format!("| 3.12.6 | 1 | ubuntu20.04 | 2025-11-06 | {} | https://x/a | Activo |", &SHA_A[..63]),
                column::SHA256,
                "63 hex characters",
            ),
            (
                format!("| 3.12 | 1 | ubuntu20.04 | 2025-11-06 | {SHA_A} | https://x/a | Activo |"),
                column::VERSION,
                "not a version",
            ),
            (
                format!("| 3.12.6 | x | ubuntu20.04 | 2025-11-06 | {SHA_A} | https://x/a | Activo |"),
                column::BUILD,
                "not a build",
            ),
            (
                format!("| 3.12.6 | 1 | Ubuntu | 2025-11-06 | {SHA_A} | https://x/a | Activo |"),
                column::DISTRO,
                "distro",
            ),
            (
                format!("| 3.12.6 | 1 | ubuntu20.04 | 2025-02-30 | {SHA_A} | https://x/a | Activo |"),
                column::DATE,
                "not a date",
            ),
            (
                format!("| 3.12.6 | 1 | ubuntu20.04 | 2025-11-06 | {SHA_A} | ftp://x/a | Activo |"),
                column::URL,
                "not an http",
            ),
            (
                format!("| 3.12.6 | 1 | ubuntu20.04 | 2025-11-06 | {SHA_A} | https://x/a | activo |"),
                column::STATUS,
                "`activo`",
            ),
        ];
        for (line, col, message) in table {
            let text = format!(
                "| Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n|-|-|-|-|-|-|-|\n{line}\n"
            );
            let ledger = Ledger::parse(text);
            let problems = ledger.table.as_ref().unwrap().rows[0].entry().unwrap_err();
            assert_eq!(problems.len(), 1, "{line}: {problems:?}");
            assert_eq!(problems[0].column, col);
            assert!(problems[0].message.contains(message), "{}", problems[0].message);
        }
    }

    #[test]
    fn missing_column_in_header_is_reported() {
        let ledger =
            Ledger::parse("| Versión | Build | Distro | Fecha | SHA256 | Estado |\n|-|-|-|-|-|-|\n".to_owned());
        let problem = ledger.table.unwrap().header_problem.unwrap();
        assert!(problem.contains("missing `URL Release`"), "{problem}");
    }

    #[test]
    fn retention_keeps_newest_builds_per_line_and_distro() {
        let mut entries: Vec<(usize, Entry)> =
            [("3.12.4", 1), ("3.12.6", 1), ("3.12.6", 2), ("3.12.5", 1), ("3.11.9", 1)]
                .iter()
                .enumerate()
                .map(|(i, (v, b))| (i, entry(v, *b)))
                .collect();
        entries[4].1.distro = "ubuntu20.04".into();
        assert_eq!(rows_to_deprecate(&entries, 3), vec![0]);
        assert_eq!(rows_to_deprecate(&entries, 1), vec![0, 1, 3]);
    }

    #[test]
    fn dates() {
        assert!(is_iso_date("2024-02-29"));
        assert!(!is_iso_date("2023-02-29"));
        assert!(!is_iso_date("2023-13-01"));
        assert!(!is_iso_date("2023-1-01"));
        assert_eq!(date_from_unix(0), "1970-01-01");
        assert_eq!(date_from_unix(1_709_164_800), "2024-02-29");
    }
}
