//! The ARTIFACTS.md ledger: the team's Markdown table
//! `| Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |` for CPython artifacts,
//! and a second table `| Nombre | Python | Build | Distro | Fecha | SHA256 | URL Release | Estado |`
//! for wheelhouses, under its own heading after the first.
//!
//! Parsing keeps the byte offset of every cell, so findings point at `file:line:column`, and so
//! edits touch only the bytes they change: adding a row inserts one line, changing a status
//! replaces one cell's text; every other byte of the file (text around the tables, padding,
//! CRLF line endings, a missing final newline) stays as it was. Both tables are read and edited
//! by the same code, told apart by `Kind`. Writing is the caller's job, through
//! `crate::shared::atomic::write`.

use std::fmt;

use super::name::{
    is_distro, is_wheelhouse_name, parse_python_line, ArtifactName, Compression, PythonVersion, WheelhouseName,
};
use super::sidecar::Digest;

/// The columns of the team's table, in order, as written in the spec.
pub const HEADERS: [&str; 7] = ["Versión", "Build", "Distro", "Fecha", "SHA256", "URL Release", "Estado"];

/// The columns of the wheelhouse table, in order, in the team's language like the first.
pub const WHEELHOUSE_HEADERS: [&str; 8] =
    ["Nombre", "Python", "Build", "Distro", "Fecha", "SHA256", "URL Release", "Estado"];

/// The heading written above the wheelhouse table when the first wheelhouse row is added.
pub const WHEELHOUSE_HEADING: &str = "## Wheelhouses";

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

/// Column indexes into `WHEELHOUSE_HEADERS`.
pub mod wheelhouse_column {
    pub const NAME: usize = 0;
    pub const PYTHON: usize = 1;
    pub const BUILD: usize = 2;
    pub const DISTRO: usize = 3;
    pub const DATE: usize = 4;
    pub const SHA256: usize = 5;
    pub const URL: usize = 6;
    pub const STATUS: usize = 7;
}

/// What a URL cell holds before the artifact is published.
pub const UNPUBLISHED: &str = "-";

/// Which of the ledger's two tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// CPython artifacts, the first column `Versión`.
    Cpython,
    /// Wheelhouses, the first column `Nombre`.
    Wheelhouse,
}

impl Kind {
    /// The header cells of this table.
    pub fn headers(self) -> &'static [&'static str] {
        match self {
            Kind::Cpython => &HEADERS,
            Kind::Wheelhouse => &WHEELHOUSE_HEADERS,
        }
    }

    /// The index of a column both tables have (`SHA256`, `URL Release`, `Estado`...) in
    /// this one.
    fn column(self, header: &str) -> usize {
        self.headers().iter().position(|h| *h == header).expect("both tables have the column")
    }

    pub fn sha256_column(self) -> usize {
        self.column("SHA256")
    }

    pub fn url_column(self) -> usize {
        self.column("URL Release")
    }

    pub fn status_column(self) -> usize {
        self.column("Estado")
    }
}

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
            table_safe(&self.url),
            self.status.to_string(),
        ]
    }
}

/// A well-formed row of the wheelhouse table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WheelhouseEntry {
    /// The wheelhouse's NAME, as in `wheelhouse-NAME-cpXY-...`.
    pub name: String,
    /// The Python line `X.Y` the wheels are for.
    pub major: u32,
    pub minor: u32,
    pub build: u32,
    pub distro: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub sha256: Digest,
    /// The release URL, or `-` before publishing.
    pub url: String,
    pub status: Status,
}

impl WheelhouseEntry {
    /// The wheelhouse this row describes, with the given compression.
    pub fn wheelhouse_name(&self, compression: Compression) -> WheelhouseName {
        WheelhouseName {
            name: self.name.clone(),
            major: self.major,
            minor: self.minor,
            distro: self.distro.clone(),
            build: self.build,
            compression,
        }
    }

    /// The (name, line, build, distro) that must be unique.
    pub fn key(&self) -> (&str, (u32, u32), u32, &str) {
        (&self.name, (self.major, self.minor), self.build, &self.distro)
    }

    /// Whether this row records the wheelhouse of that file name (any compression).
    pub fn describes(&self, name: &WheelhouseName) -> bool {
        self.key() == (name.name.as_str(), (name.major, name.minor), name.build, name.distro.as_str())
    }

    /// The Python line `X.Y`.
    pub fn line(&self) -> String {
        format!("{}.{}", self.major, self.minor)
    }

    /// The cells of this entry, in column order.
    pub fn cells(&self) -> [String; 8] {
        [
            self.name.clone(),
            self.line(),
            self.build.to_string(),
            self.distro.clone(),
            self.date.clone(),
            self.sha256.to_hex(),
            table_safe(&self.url),
            self.status.to_string(),
        ]
    }
}

/// A row of either table, for the code both share: parsing, adding, retention.
pub trait Record: Clone + fmt::Debug {
    /// The table this record lives in.
    const KIND: Kind;
    /// The record a row holds, or every problem of its cells.
    fn from_row(row: &Row) -> Result<Self, Vec<FieldProblem>>;
    /// The cells, in column order.
    fn to_cells(&self) -> Vec<String>;
    /// Whether both records name the same build (the unique key).
    fn same_build(&self, other: &Self) -> bool;
    fn digest(&self) -> Digest;
    fn status(&self) -> Status;
    fn url(&self) -> &str;
    /// `3.12.6 build 1 for debian12`, `wheelhouse web for 3.11 build 1 for debian12`.
    fn describe(&self) -> String;
    /// Retention counts Activo builds per group, newest (greatest order) first.
    fn retention_group(&self) -> String;
    fn retention_order(&self) -> (u32, u32, u32, u32);
}

/// The `Record` methods both entries answer from fields of the same names.
macro_rules! same_fields {
    () => {
        fn to_cells(&self) -> Vec<String> {
            self.cells().to_vec()
        }
        fn same_build(&self, other: &Self) -> bool {
            self.key() == other.key()
        }
        fn digest(&self) -> Digest {
            self.sha256
        }
        fn status(&self) -> Status {
            self.status
        }
        fn url(&self) -> &str {
            &self.url
        }
    };
}

impl Record for Entry {
    const KIND: Kind = Kind::Cpython;
    same_fields!();
    fn from_row(row: &Row) -> Result<Entry, Vec<FieldProblem>> {
        row.entry()
    }
    fn describe(&self) -> String {
        format!("{} build {} for {}", self.version, self.build, self.distro)
    }
    fn retention_group(&self) -> String {
        format!("{} {}", self.version.line(), self.distro)
    }
    fn retention_order(&self) -> (u32, u32, u32, u32) {
        (self.version.major, self.version.minor, self.version.patch, self.build)
    }
}

impl Record for WheelhouseEntry {
    const KIND: Kind = Kind::Wheelhouse;
    same_fields!();
    fn from_row(row: &Row) -> Result<WheelhouseEntry, Vec<FieldProblem>> {
        row.wheelhouse_entry()
    }
    fn describe(&self) -> String {
        format!("wheelhouse {} for {} build {} for {}", self.name, self.line(), self.build, self.distro)
    }
    fn retention_group(&self) -> String {
        format!("{} {} {}", self.name, self.line(), self.distro)
    }
    fn retention_order(&self) -> (u32, u32, u32, u32) {
        (0, 0, 0, self.build)
    }
}

/// A cell that breaks the format, for a finding at that cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub column: usize,
    pub message: String,
    pub help: String,
}

/// The cells both tables share (Build, Distro, Fecha, SHA256, URL Release, Estado), checked
/// the same way whatever their column.
struct Common {
    build: Option<u32>,
    distro: String,
    date: String,
    sha256: Option<Digest>,
    url: String,
    status: Option<Status>,
}

impl Row {
    fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", |c| c.text.as_str())
    }

    /// Check the shared cells; columns in the order Build, Distro, Fecha, SHA256, URL, Estado.
    fn common(&self, columns: [usize; 6], problems: &mut Vec<FieldProblem>) -> Common {
        let [build_column, distro_column, date_column, sha_column, url_column, status_column] = columns;
        let mut problem = |column: usize, message: String, help: &str| {
            problems.push(FieldProblem { column, message, help: help.to_owned() })
        };
        let build = self.cell(build_column);
        let build_number = build
            .parse::<u32>()
            .ok()
            .filter(|b| *b > 0 && !build.starts_with('0') && build.bytes().all(|c| c.is_ascii_digit()));
        if build_number.is_none() {
            problem(
                build_column,
                format!("`Build` is `{build}`, not a build number"),
                "write the build number from the artifact name, 1 or more, without leading zeros",
            );
        }
        let distro = self.cell(distro_column);
        if !is_distro(distro) {
            problem(
                distro_column,
                format!("`Distro` is `{distro}`, not a distro tag"),
                "write the distro and its version as in the artifact name, for example `ubuntu20.04` or `debian12`",
            );
        }
        let date = self.cell(date_column);
        if !is_iso_date(date) {
            problem(
                date_column,
                format!("`Fecha` is `{date}`, not a date `YYYY-MM-DD`"),
                "write the build date as `YYYY-MM-DD`, for example `2025-11-06`",
            );
        }
        let sha = self.cell(sha_column);
        let digest = Digest::from_hex(sha);
        if digest.is_none() {
            let hex = sha.bytes().all(|b| b.is_ascii_hexdigit());
            let what = if hex {
                format!("{} hex characters instead of 64", sha.len())
            } else {
                "characters that are not hex".to_owned()
            };
            problem(
                sha_column,
                format!("`SHA256` has {what}"),
                "copy the digest from the artifact's `.sha256` sidecar, or run `specgate ledger add <artifact>`",
            );
        }
        let url = self.cell(url_column);
        if !(url == UNPUBLISHED || is_url(url)) {
            problem(
                url_column,
                format!("`URL Release` is `{url}`, not an http(s) URL"),
                "write the release asset URL, or `-` while the artifact is not published",
            );
        }
        let status = Status::parse(self.cell(status_column));
        if status.is_none() {
            problem(
                status_column,
                format!("`Estado` is `{}`", self.cell(status_column)),
                "write `Activo`, `Deprecado` or `Retirado`",
            );
        }
        Common {
            build: build_number,
            distro: distro.to_owned(),
            date: date.to_owned(),
            sha256: digest,
            url: url.to_owned(),
            status,
        }
    }

    /// Check every cell of a CPython row; all problems at once, so one run shows everything
    /// to fix.
    pub fn entry(&self) -> Result<Entry, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let version = PythonVersion::parse(self.cell(column::VERSION));
        if version.is_none() {
            problems.push(FieldProblem {
                column: column::VERSION,
                message: format!("`Versión` is `{}`, not a version `X.Y.Z`", self.cell(column::VERSION)),
                help: "write the CPython version, for example `3.12.6`".to_owned(),
            });
        }
        let common = self.common(
            [column::BUILD, column::DISTRO, column::DATE, column::SHA256, column::URL, column::STATUS],
            &mut problems,
        );
        match (version, common.build, common.sha256, common.status) {
            (Some(version), Some(build), Some(sha256), Some(status)) if problems.is_empty() => {
                Ok(Entry { version, build, distro: common.distro, date: common.date, sha256, url: common.url, status })
            }
            _ => Err(problems),
        }
    }

    /// Check every cell of a wheelhouse row, as `entry` does for CPython.
    pub fn wheelhouse_entry(&self) -> Result<WheelhouseEntry, Vec<FieldProblem>> {
        use wheelhouse_column as col;
        let mut problems = Vec::new();
        let name = self.cell(col::NAME);
        if !is_wheelhouse_name(name) {
            problems.push(FieldProblem {
                column: col::NAME,
                message: format!("`Nombre` is `{name}`, not a wheelhouse name"),
                help: "write NAME of `wheelhouse-NAME-cpXY-...`: lowercase letters, digits, `-` and `_`".to_owned(),
            });
        }
        let line = parse_python_line(self.cell(col::PYTHON));
        if line.is_none() {
            problems.push(FieldProblem {
                column: col::PYTHON,
                message: format!("`Python` is `{}`, not a Python line `X.Y`", self.cell(col::PYTHON)),
                help: "write the line the wheels are for, for example `3.11`".to_owned(),
            });
        }
        let common =
            self.common([col::BUILD, col::DISTRO, col::DATE, col::SHA256, col::URL, col::STATUS], &mut problems);
        match (line, common.build, common.sha256, common.status) {
            (Some((major, minor)), Some(build), Some(sha256), Some(status)) if problems.is_empty() => {
                Ok(WheelhouseEntry {
                    name: name.to_owned(),
                    major,
                    minor,
                    build,
                    distro: common.distro,
                    date: common.date,
                    sha256,
                    url: common.url,
                    status,
                })
            }
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

/// A table found in a ledger.
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
    /// The line ending of the header line.
    eol: &'static str,
}

/// A parsed ledger file.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub text: String,
    /// The CPython table.
    pub table: Option<Table>,
    /// The wheelhouse table.
    pub wheelhouses: Option<Table>,
    /// The line ending of the file (`\r\n` when the CPython table's header line ends so, or,
    /// without that table, when any line does), for a table appended.
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

/// The length of a line without its line ending.
fn content_len(piece: &str) -> usize {
    let without = piece.strip_suffix('\n').unwrap_or(piece);
    without.strip_suffix('\r').unwrap_or(without).len()
}

/// The first table of `kind`: its header's first cell names the kind's first column.
fn find_table(lines: &[(usize, &str)], kind: Kind) -> Option<Table> {
    let headers = kind.headers();
    let first = fold(headers[0]);
    for (index, &(line_start, piece)) in lines.iter().enumerate() {
        let Some(cells) = split_cells(&piece[..content_len(piece)], line_start) else {
            continue;
        };
        if cells.first().is_none_or(|c| fold(&c.text) != first) {
            continue;
        }
        let eol = if piece.ends_with("\r\n") { "\r\n" } else { "\n" };
        let header = Row { line: index + 1, start: line_start, cells };
        let folded: Vec<String> = header.cells.iter().map(|c| fold(&c.text)).collect();
        let expected: Vec<String> = headers.iter().map(|h| fold(h)).collect();
        let mut header_problem = (folded != expected).then(|| {
            let missing: Vec<&str> =
                headers.iter().zip(&expected).filter(|(_, e)| !folded.contains(e)).map(|(h, _)| *h).collect();
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
                if split_cells(&sep_piece[..content_len(sep_piece)], *sep_start).is_some_and(|c| is_separator(&c)) =>
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
            let Some(cells) = split_cells(&row_piece[..content_len(row_piece)], *row_start) else {
                break;
            };
            rows.push(Row { line: next + 1, start: *row_start, cells });
            next += 1;
        }
        return Some(Table { header, header_problem, rows, insert_at, insert_needs_newline, eol });
    }
    None
}

impl Ledger {
    /// Parse a ledger. A file with no table is a `Ledger` whose `table` is `None`; the same
    /// for `wheelhouses`.
    pub fn parse(text: String) -> Ledger {
        let mut lines = Vec::new();
        let mut start = 0;
        for piece in text.split_inclusive('\n') {
            lines.push((start, piece));
            start += piece.len();
        }
        let table = find_table(&lines, Kind::Cpython);
        let wheelhouses = find_table(&lines, Kind::Wheelhouse);
        let eol = match &table {
            Some(table) => table.eol,
            None if text.contains("\r\n") => "\r\n",
            None => "\n",
        };
        Ledger { text, table, wheelhouses, eol }
    }

    /// The table of one kind.
    pub fn table_of(&self, kind: Kind) -> Option<&Table> {
        match kind {
            Kind::Cpython => self.table.as_ref(),
            Kind::Wheelhouse => self.wheelhouses.as_ref(),
        }
    }

    /// The 1-based line of a row of one table (0 when there is no such row).
    pub fn line_of(&self, kind: Kind, row: usize) -> usize {
        self.table_of(kind).and_then(|t| t.rows.get(row)).map_or(0, |r| r.line)
    }

    /// The well-formed rows of a record's table, with their index into its `rows`.
    pub fn records<R: Record>(&self) -> Vec<(usize, R)> {
        let width = R::KIND.headers().len();
        self.table_of(R::KIND)
            .iter()
            .flat_map(|t| t.rows.iter().enumerate())
            .filter(|(_, row)| row.cells.len() == width)
            .filter_map(|(i, row)| R::from_row(row).ok().map(|e| (i, e)))
            .collect()
    }

    /// The well-formed CPython rows, with their index into `table.rows`.
    pub fn entries(&self) -> Vec<(usize, Entry)> {
        self.records()
    }

    /// The well-formed wheelhouse rows, with their index into `wheelhouses.rows`.
    pub fn wheelhouse_entries(&self) -> Vec<(usize, WheelhouseEntry)> {
        self.records()
    }

    /// The wheelhouse row of a wheelhouse file, if the ledger has one.
    pub fn wheelhouse_row(&self, name: &WheelhouseName) -> Option<(usize, WheelhouseEntry)> {
        self.wheelhouse_entries().into_iter().find(|(_, e)| e.describes(name))
    }

    /// The text with one more row, inserted first under the header (newest first); every
    /// other byte is kept. A file with no table gets the table appended.
    pub fn with_row_added(&self, entry: &Entry) -> String {
        self.with_record_added(entry)
    }

    /// The same for a row of either table. A file without the wheelhouse table gets it
    /// appended at the end, under `WHEELHOUSE_HEADING`.
    pub fn with_record_added<R: Record>(&self, record: &R) -> String {
        let row = format_row(&record.to_cells());
        let mut text = String::with_capacity(self.text.len() + row.len() + 200);
        match self.table_of(R::KIND) {
            Some(table) => {
                let eol = table.eol;
                text.push_str(&self.text[..table.insert_at]);
                if table.insert_needs_newline {
                    text.push_str(eol);
                }
                text.push_str(&row);
                text.push_str(eol);
                text.push_str(&self.text[table.insert_at..]);
            }
            None => {
                let eol = self.eol;
                text.push_str(&self.text);
                if self.text.is_empty() {
                    text.push_str(&format!("# Artifacts{eol}{eol}"));
                } else if !self.text.ends_with('\n') {
                    text.push_str(eol);
                    text.push_str(eol);
                } else if !self.text.ends_with(&format!("{eol}{eol}")) {
                    text.push_str(eol);
                }
                let headers = R::KIND.headers();
                if R::KIND == Kind::Wheelhouse {
                    text.push_str(WHEELHOUSE_HEADING);
                    text.push_str(eol);
                    text.push_str(eol);
                }
                text.push_str(&format_row(&headers.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()));
                text.push_str(eol);
                text.push_str(&format_row(
                    &headers.iter().map(|h| "-".repeat(h.chars().count().max(3))).collect::<Vec<_>>(),
                ));
                text.push_str(eol);
                text.push_str(&row);
                text.push_str(eol);
            }
        }
        text
    }

    /// The text with one cell of one CPython row replaced; every other byte is kept.
    pub fn with_cell(&self, row: usize, column: usize, value: &str) -> Option<String> {
        self.with_cell_in(Kind::Cpython, row, column, value)
    }

    /// The text with one cell of one row of either table replaced; every other byte is kept.
    pub fn with_cell_in(&self, kind: Kind, row: usize, column: usize, value: &str) -> Option<String> {
        let cell = self.table_of(kind)?.rows.get(row)?.cells.get(column)?;
        let value = &table_safe(value);
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

    /// The text with the `Estado` of one CPython row changed.
    pub fn with_status(&self, row: usize, status: Status) -> Option<String> {
        self.with_cell(row, column::STATUS, status.as_str())
    }

    /// The text with the `Estado` of one row of either table changed.
    pub fn with_status_in(&self, kind: Kind, row: usize, status: Status) -> Option<String> {
        self.with_cell_in(kind, row, kind.status_column(), status.as_str())
    }
}

/// A value as one table cell: `|` and line breaks, which would end the cell or the row and
/// break the ledger, are percent-encoded (`%7C`, `%0D`, `%0A`; the same URL for any client).
fn table_safe(value: &str) -> String {
    value.replace('|', "%7C").replace('\r', "%0D").replace('\n', "%0A")
}

fn format_row(cells: &[String]) -> String {
    let mut line = String::from("|");
    for cell in cells {
        line.push(' ');
        line.push_str(cell);
        line.push_str(" |");
    }
    line
}

/// Retention (BR-005): for each group (CPython: version line `X.Y` and distro; wheelhouses:
/// name, line and distro), the Activo rows beyond the newest `keep` builds, as indexes into
/// the table's rows.
pub fn rows_to_deprecate<R: Record>(entries: &[(usize, R)], keep: usize) -> Vec<usize> {
    let mut groups: std::collections::BTreeMap<String, Vec<&(usize, R)>> = std::collections::BTreeMap::new();
    for item in entries.iter().filter(|(_, e)| e.status() == Status::Active) {
        groups.entry(item.1.retention_group()).or_default().push(item);
    }
    let mut out = Vec::new();
    for mut rows in groups.into_values() {
        rows.sort_by_key(|row| std::cmp::Reverse(row.1.retention_order()));
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

/// Add a row (CPython or wheelhouse) to the ledger file (created if missing), atomically. The
/// same build with the same digest is a no-op; the same build with another digest is refused.
pub fn add_entry<R: Record>(path: &std::path::Path, entry: &R) -> Result<Added, super::Error> {
    let ledger = read(path)?;
    if let Some(table) = ledger.table_of(R::KIND) {
        if let Some(problem) = &table.header_problem {
            return Err(super::Error::Ledger {
                path: path.to_path_buf(),
                reason: format!("line {}: {problem}; fix the header before adding rows", table.header.line),
            });
        }
    }
    for (index, existing) in ledger.records::<R>() {
        if existing.same_build(entry) {
            let line = ledger.line_of(R::KIND, index);
            if existing.digest() == entry.digest() {
                return Ok(Added::AlreadyPresent { line });
            }
            return Err(super::Error::Ledger {
                path: path.to_path_buf(),
                reason: format!(
                    "line {line} already records {} with SHA-256 {}, not {}; a rebuild gets the next build number",
                    entry.describe(),
                    existing.digest(),
                    entry.digest()
                ),
            });
        }
    }
    let text = ledger.with_record_added(entry);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|source| super::Error::io("create", parent, source))?;
    }
    crate::shared::atomic::write(path, text.as_bytes()).map_err(|source| super::Error::io("write", path, source))?;
    let reparsed = Ledger::parse(text);
    let line = reparsed
        .records::<R>()
        .into_iter()
        .find(|(_, e)| e.same_build(entry))
        .map_or(0, |(index, _)| reparsed.line_of(R::KIND, index));
    Ok(Added::Row { line })
}

/// The rows `prune` marked Deprecado, with their lines.
#[derive(Debug, Clone, Default)]
pub struct Pruned {
    pub cpython: Vec<(usize, Entry)>,
    pub wheelhouses: Vec<(usize, WheelhouseEntry)>,
}

impl Pruned {
    pub fn is_empty(&self) -> bool {
        self.cpython.is_empty() && self.wheelhouses.is_empty()
    }

    /// Each changed row as (line, `describe()`), CPython first.
    pub fn described(&self) -> Vec<(usize, String)> {
        let cpython = self.cpython.iter().map(|(line, e)| (*line, e.describe()));
        cpython.chain(self.wheelhouses.iter().map(|(line, e)| (*line, e.describe()))).collect()
    }
}

/// Mark the rows of one table beyond retention Deprecado in `ledger`; the changed rows.
fn prune_table<R: Record>(ledger: &mut Ledger, keep: usize) -> Vec<(usize, R)> {
    let targets: Vec<(usize, R)> = {
        let entries = ledger.records::<R>();
        let indexes = rows_to_deprecate(&entries, keep);
        entries.into_iter().filter(|(i, _)| indexes.contains(i)).collect()
    };
    let mut changed = Vec::new();
    for (index, entry) in targets {
        let line = ledger.line_of(R::KIND, index);
        let text =
            ledger.with_status_in(R::KIND, index, Status::Deprecated).expect("the index comes from this ledger's rows");
        *ledger = Ledger::parse(text);
        changed.push((line, entry));
    }
    changed
}

/// Retention: mark Activo rows beyond the newest `keep` per group (CPython: version line and
/// distro; wheelhouses: name, line and distro) `Deprecado`, atomically. Returns the rows
/// changed (with their lines).
pub fn prune(path: &std::path::Path, keep: usize) -> Result<Pruned, super::Error> {
    let mut ledger = read(path)?;
    let cpython = prune_table::<Entry>(&mut ledger, keep);
    let wheelhouses = prune_table::<WheelhouseEntry>(&mut ledger, keep);
    let pruned = Pruned { cpython, wheelhouses };
    if !pruned.is_empty() {
        crate::shared::atomic::write(path, ledger.text.as_bytes())
            .map_err(|source| super::Error::io("write", path, source))?;
    }
    Ok(pruned)
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
    fn a_url_with_a_pipe_or_a_line_break_stays_in_its_cell() {
        let hostile = "https://example.test/a|b\n| 9.9.9 | 1 | debian12 |\r\nc";
        let encoded = "https://example.test/a%7Cb%0A%7C 9.9.9 %7C 1 %7C debian12 %7C%0D%0Ac";
        let ledger = Ledger::parse(sample("\n"));
        let rows = ledger.table.as_ref().unwrap().rows.len();
        let mut new = entry("3.13.1", 1);
        new.url = hostile.to_owned();
        // The new row goes first; the changed cell is in row 0 too.
        for (text, expected_rows) in
            [(ledger.with_row_added(&new), rows + 1), (ledger.with_cell(0, column::URL, hostile).unwrap(), rows)]
        {
            let reparsed = Ledger::parse(text);
            let table = reparsed.table.as_ref().unwrap();
            assert_eq!(table.rows.len(), expected_rows);
            assert!(table.rows.iter().all(|r| r.cells.len() == 7), "{:?}", table.rows);
            assert_eq!(table.rows[0].cells[column::URL].text, encoded);
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

    fn wheelhouse(name: &str, build: u32, sha: &str) -> WheelhouseEntry {
        WheelhouseEntry {
            name: name.into(),
            major: 3,
            minor: 11,
            build,
            distro: "debian12".into(),
            date: "2026-01-03".into(),
            sha256: Digest::from_hex(sha).unwrap(),
            url: UNPUBLISHED.into(),
            status: Status::Active,
        }
    }

    /// The sample with a wheelhouse table after the CPython one.
    fn sample_with_wheelhouses(eol: &str) -> String {
        let mut text = sample(eol);
        text.push_str(
            &[
                "## Wheelhouses",
                "",
                "| Nombre | Python | Build | Distro | Fecha | SHA256 | URL Release | Estado |",
                "|--------|--------|-------|--------|-------|--------|-------------|--------|",
                &format!("| web    | 3.11   | 2     | debian12 | 2026-01-01 | {SHA_B} | -  | Activo |"),
                "",
                "Fin.",
                "",
            ]
            .join(eol),
        );
        text
    }

    #[test]
    fn wheelhouse_table_is_parsed_beside_the_cpython_table() {
        for eol in ["\n", "\r\n"] {
            let ledger = Ledger::parse(sample_with_wheelhouses(eol));
            assert_eq!(ledger.entries().len(), 2);
            let table = ledger.wheelhouses.as_ref().unwrap();
            assert!(table.header_problem.is_none());
            assert_eq!(table.rows.len(), 1);
            assert_eq!(table.rows[0].line, 15);
            let entries = ledger.wheelhouse_entries();
            assert_eq!(entries.len(), 1);
            let (index, entry) = &entries[0];
            assert_eq!((entry.name.as_str(), entry.line(), entry.build), ("web", "3.11".to_owned(), 2));
            assert_eq!(
                entry.wheelhouse_name(Compression::Gzip).to_string(),
                "wheelhouse-web-cp311-debian12-build2.tgz"
            );
            let sha = &table.rows[*index].cells[wheelhouse_column::SHA256];
            assert_eq!(&ledger.text[sha.start..sha.end], SHA_B);
            let name = WheelhouseName::parse("wheelhouse-web-cp311-debian12-build2.tar.zst").unwrap();
            assert_eq!(ledger.wheelhouse_row(&name).map(|(i, _)| i), Some(0));
            let other = WheelhouseName::parse("wheelhouse-web-cp312-debian12-build2.tgz").unwrap();
            assert!(ledger.wheelhouse_row(&other).is_none());
        }
    }

    #[test]
    fn wheelhouse_row_added_is_byte_stable_lf_and_crlf() {
        for eol in ["\n", "\r\n"] {
            let text = sample_with_wheelhouses(eol);
            let ledger = Ledger::parse(text.clone());
            let added = ledger.with_record_added(&wheelhouse("api", 1, SHA_A));
            let row = format!("| api | 3.11 | 1 | debian12 | 2026-01-03 | {SHA_A} | - | Activo |{eol}");
            assert_only_inserted(&text, &added, &row);
            let reparsed = Ledger::parse(added);
            assert_eq!(reparsed.entries(), ledger.entries());
            let names: Vec<String> = reparsed.wheelhouse_entries().into_iter().map(|(_, e)| e.name).collect();
            assert_eq!(names, ["api", "web"]);
        }
    }

    #[test]
    fn first_wheelhouse_row_appends_heading_and_table_at_the_end() {
        for eol in ["\n", "\r\n"] {
            let text = sample(eol);
            let ledger = Ledger::parse(text.clone());
            assert!(ledger.wheelhouses.is_none());
            let added = ledger.with_record_added(&wheelhouse("web", 1, SHA_A));
            assert!(added.starts_with(&text), "the CPython table and the text around it stay");
            let tail = &added[text.len()..];
            let expected = [
                "",
                "## Wheelhouses",
                "",
                "| Nombre | Python | Build | Distro | Fecha | SHA256 | URL Release | Estado |",
                "| ------ | ------ | ----- | ------ | ----- | ------ | ----------- | ------ |",
                &format!("| web | 3.11 | 1 | debian12 | 2026-01-03 | {SHA_A} | - | Activo |"),
                "",
            ]
            .join(eol);
            assert_eq!(tail, expected);
            let reparsed = Ledger::parse(added);
            assert_eq!(reparsed.entries(), ledger.entries());
            assert!(reparsed.wheelhouses.as_ref().unwrap().header_problem.is_none());
            assert_eq!(reparsed.wheelhouse_entries().len(), 1);
        }
        // A ledger with neither table: the wheelhouse table alone, and a CPython row later
        // still finds its own table missing and appends it.
        let only = Ledger::parse(Ledger::parse(String::new()).with_record_added(&wheelhouse("web", 1, SHA_A)));
        assert!(only.table.is_none());
        let both = Ledger::parse(only.with_row_added(&entry("3.12.6", 1)));
        assert_eq!((both.entries().len(), both.wheelhouse_entries().len()), (1, 1));
    }

    #[test]
    fn wheelhouse_status_and_cell_edits_touch_one_cell() {
        for eol in ["\n", "\r\n"] {
            let text = sample_with_wheelhouses(eol);
            let ledger = Ledger::parse(text.clone());
            let changed = ledger.with_status_in(Kind::Wheelhouse, 0, Status::Retired).unwrap();
            let cell = &ledger.wheelhouses.as_ref().unwrap().rows[0].cells[wheelhouse_column::STATUS];
            assert_eq!(&changed[..cell.start], &text[..cell.start]);
            assert_eq!(&changed[cell.start + "Retirado".len()..], &text[cell.end..]);
            let reparsed = Ledger::parse(changed);
            assert_eq!(reparsed.wheelhouse_entries()[0].1.status, Status::Retired);
            assert_eq!(reparsed.entries(), ledger.entries());
            let url = "https://example.org/wheelhouse-web-cp311-debian12-build2.tgz";
            let published =
                Ledger::parse(ledger.with_cell_in(Kind::Wheelhouse, 0, wheelhouse_column::URL, url).unwrap());
            assert_eq!(published.wheelhouse_entries()[0].1.url, url);
        }
    }

    #[test]
    fn malformed_wheelhouse_rows_report_each_cell() {
        use wheelhouse_column as col;
        let good = ["web", "3.11", "1", "debian12", "2026-01-01", SHA_A, "-", "Activo"];
        let short = &SHA_A[..10];
        let bad = [
            (col::NAME, "Web", "wheelhouse name"),
            (col::PYTHON, "3.11.2", "not a Python line"),
            (col::PYTHON, "10.1", "not a Python line"),
            (col::BUILD, "0", "not a build"),
            (col::DISTRO, "Debian", "distro"),
            (col::SHA256, short, "10 hex"),
            (col::STATUS, "activo", "`activo`"),
        ];
        let header = WHEELHOUSE_HEADERS.join(" | ");
        for (column, value, message) in bad {
            let mut cells = good;
            cells[column] = value;
            let line = cells.join(" | ");
            let ledger = Ledger::parse(format!("| {header} |\n|-|-|-|-|-|-|-|-|\n| {line} |\n"));
            assert!(ledger.table.is_none());
            let problems = ledger.wheelhouses.as_ref().unwrap().rows[0].wheelhouse_entry().unwrap_err();
            assert_eq!(problems.len(), 1, "{line}: {problems:?}");
            assert_eq!((problems[0].column, problems[0].message.contains(message)), (column, true), "{problems:?}");
        }
        let missing = Ledger::parse("| Nombre | Build |\n|-|-|\n".to_owned());
        let problem = missing.wheelhouses.unwrap().header_problem.unwrap();
        assert!(problem.contains("missing `Python`"), "{problem}");
    }

    #[test]
    fn wheelhouse_retention_counts_per_name_line_and_distro() {
        let mut entries: Vec<(usize, WheelhouseEntry)> = [("web", 1), ("web", 3), ("web", 2), ("api", 1), ("web", 4)]
            .iter()
            .enumerate()
            .map(|(i, (n, b))| (i, wheelhouse(n, *b, SHA_A)))
            .collect();
        assert_eq!(rows_to_deprecate(&entries, 3), vec![0]);
        entries[4].1.minor = 12;
        assert!(rows_to_deprecate(&entries, 3).is_empty());
        assert_eq!(rows_to_deprecate(&entries, 1), vec![0, 2]);
    }

    #[test]
    fn add_and_prune_wheelhouse_rows_in_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ARTIFACTS.md");
        std::fs::write(&path, sample("\r\n")).unwrap();
        assert_eq!(add_entry(&path, &wheelhouse("web", 1, SHA_A)).unwrap(), Added::Row { line: 16 });
        assert_eq!(add_entry(&path, &wheelhouse("web", 1, SHA_A)).unwrap(), Added::AlreadyPresent { line: 16 });
        let refused = add_entry(&path, &wheelhouse("web", 1, SHA_B)).unwrap_err().to_string();
        assert!(refused.contains("already records wheelhouse web for 3.11 build 1 for debian12"), "{refused}");
        // Another line, distro or name is another key.
        let mut other = wheelhouse("web", 1, SHA_B);
        other.minor = 12;
        assert!(matches!(add_entry(&path, &other).unwrap(), Added::Row { .. }));
        for build in 2..=4 {
            add_entry(&path, &wheelhouse("web", build, SHA_A)).unwrap();
        }
        let pruned = prune(&path, 3).unwrap();
        assert!(pruned.cpython.is_empty());
        assert_eq!(pruned.wheelhouses.iter().map(|(_, e)| e.build).collect::<Vec<_>>(), [1]);
        assert_eq!(pruned.described()[0].1, "wheelhouse web for 3.11 build 1 for debian12");
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with(&sample("\r\n")));
        assert!(!text.replace("\r\n", "").contains('\n'), "CRLF kept in the appended table");
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
