//! The ARTIFACTS.md ledger (`artifact::ledger`): parsing with byte offsets, and the writer's
//! byte-stable edits (a row added, a cell changed), which must parse back to the same rows.

use proptest::prelude::*;
use specgate::shared::artifact::ledger::{
    self, column, wheelhouse_column, Entry, Kind, Ledger, Status, WheelhouseEntry, HEADERS, UNPUBLISHED,
    WHEELHOUSE_HEADERS,
};
use specgate::shared::artifact::{Digest, PythonVersion};

use crate::{config, text_from};

const LEDGER_PIECES: &[&str] = &[
    "| Versi\u{f3}n | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n",
    "| version | build | distro | fecha | sha256 | url release | estado |\n",
    "| VERSI\u{d3}N | Build |\n",
    "|---|---|---|---|---|---|---|\n",
    "|:--|--:|\n",
    "| 3.12.6 | 1 | ubuntu20.04 | 2025-11-06 | 9c1f0000000000000000000000000000000000000000000000000000000000aa | - | Activo |\n",
    "| 3.12.6 | 0 | Ubuntu | 2025-02-30 | zz | ftp://x | activo |\n",
    "| ",
    " |",
    "|",
    "||",
    " ",
    "\u{feff}",
    "\u{3000}",
    "# Artefactos\n",
    "\n",
    "\r\n",
];

/// The CPython pieces and the wheelhouse table's, so both tables (and near misses) appear in
/// any order.
const BOTH_TABLES_PIECES: &[&str] = &[
    "| Versi\u{f3}n | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n",
    "| Nombre | Python | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n",
    "| NOMBRE | python |\n",
    "## Wheelhouses\n",
    "|---|---|---|---|---|---|---|\n",
    "|---|---|---|---|---|---|---|---|\n",
    "| 3.12.6 | 1 | ubuntu20.04 | 2025-11-06 | 9c1f0000000000000000000000000000000000000000000000000000000000aa | - | Activo |\n",
    "| web | 3.11 | 1 | debian12 | 2025-11-06 | 9c1f0000000000000000000000000000000000000000000000000000000000aa | - | Activo |\n",
    "| Web | 3.11.2 | 0 | Debian | 2025-02-30 | zz | ftp://x | activo |\n",
    "| ",
    " |",
    "|",
    " ",
    "\u{feff}",
    "\n",
    "\r\n",
];

fn version() -> impl Strategy<Value = PythonVersion> {
    (0u32..=999_999, 0u32..=999_999, 0u32..=999_999)
        .prop_map(|(a, b, c)| PythonVersion::parse(&format!("{a}.{b}.{c}")).expect("three numbers make a version"))
}

fn date() -> impl Strategy<Value = String> {
    (1000u32..=9999, 1u32..=12, 1u32..=28).prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
}

fn status() -> impl Strategy<Value = Status> {
    prop_oneof![Just(Status::Active), Just(Status::Deprecated), Just(Status::Retired)]
}

/// A release URL as the ledger accepts it. No `|`: a Markdown table cell cannot hold one
/// unescaped, and the writer does not escape (release URLs are percent-encoded).
fn url() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just(UNPUBLISHED.to_owned()),
        3 => ("https?", "[a-z0-9.-]{1,20}", "[A-Za-z0-9/._~%?=&+-]{0,60}")
            .prop_map(|(scheme, host, path)| format!("{scheme}://{host}/{path}")),
    ]
}

pub fn entry() -> impl Strategy<Value = Entry> {
    (
        version(),
        1u32..=u32::MAX,
        "[a-z]{1,10}[0-9]{1,3}(\\.[0-9]{1,3}){0,2}",
        date(),
        any::<[u8; 32]>(),
        url(),
        status(),
    )
        .prop_map(|(version, build, distro, date, sha, url, status)| {
            let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
            Entry { version, build, distro, date, sha256: Digest::from_hex(&hex).expect("64 hex digits"), url, status }
        })
}

/// A wheelhouse row: a name and a line, the other cells as a CPython row's.
pub fn wheelhouse_entry() -> impl Strategy<Value = WheelhouseEntry> {
    ("[a-z0-9][a-z0-9_-]{0,10}[a-z0-9_]", 1u32..=9, entry()).prop_map(|(name, major, e)| WheelhouseEntry {
        name,
        major,
        minor: e.version.minor % 100,
        build: e.build,
        distro: e.distro,
        date: e.date,
        sha256: e.sha256,
        url: e.url,
        status: e.status,
    })
}

/// The ledger with one row's `Estado` changed through the writer, checked to touch only that
/// cell's bytes.
fn status_edited(ledger: &Ledger, kind: Kind, row: usize, status: Status) -> Result<Ledger, TestCaseError> {
    let table = ledger.table_of(kind).expect("a table");
    let cell = table.rows[row].cells[kind.status_column()].clone();
    let edited = ledger.with_status_in(kind, row, status).expect("the row exists");
    prop_assert_eq!(&edited[..cell.start], &ledger.text[..cell.start]);
    prop_assert_eq!(&edited[cell.start + status.as_str().len()..], &ledger.text[cell.end..]);
    Ok(Ledger::parse(edited))
}

/// Whether `added` is `before` with only the line `row` inserted, with its line ending (and
/// one before it when the table's last line had none).
fn only_row_inserted(before: &str, added: &str, row: &str) -> bool {
    let Some(at) = added.find(row) else { return false };
    let (head, tail) = (&added[..at], &added[at + row.len()..]);
    let tail = tail.strip_prefix("\r\n").or_else(|| tail.strip_prefix('\n')).unwrap_or(tail);
    [head, head.strip_suffix("\r\n").unwrap_or(head), head.strip_suffix('\n').unwrap_or(head)]
        .iter()
        .any(|head| format!("{head}{tail}") == before)
}

/// The well-formed wheelhouse rows of a ledger, without their indexes.
fn wheelhouses(ledger: &Ledger) -> Vec<WheelhouseEntry> {
    ledger.wheelhouse_entries().into_iter().map(|(_, entry)| entry).collect()
}

/// The well-formed rows of a ledger, without their indexes.
fn entries(ledger: &Ledger) -> Vec<Entry> {
    ledger.entries().into_iter().map(|(_, entry)| entry).collect()
}

/// A cell value that stays one cell: no `|`, no line break, no surrounding space, not a
/// separator made only of `-`, `:` and spaces.
fn cell_value() -> impl Strategy<Value = String> {
    "[A-Za-z0-9._/:-]([A-Za-z0-9 ._/:-]{0,20}[A-Za-z0-9._/:-])?"
        .prop_filter("not a separator cell", |v| !v.bytes().all(|b| matches!(b, b'-' | b':' | b' ')))
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text: parsing never panics, every cell's offsets slice its text out of the file, and
    /// there are no more rows than lines.
    #[test]
    fn cells_point_at_their_text(text in text_from(LEDGER_PIECES)) {
        let ledger = Ledger::parse(text.clone());
        let Some(table) = &ledger.table else {
            return Ok(());
        };
        prop_assert!(table.rows.len() <= text.split_inclusive('\n').count());
        for row in std::iter::once(&table.header).chain(&table.rows) {
            prop_assert!(row.cells.len() <= text.len());
            for cell in &row.cells {
                prop_assert!(cell.start <= cell.end && cell.end <= text.len(), "{:?}", cell);
                prop_assert_eq!(text.get(cell.start..cell.end), Some(cell.text.as_str()), "{:?} in {:?}", cell, text);
            }
        }
        // Every well-formed row names its own index and has the seven columns.
        for (index, entry) in ledger.entries() {
            prop_assert_eq!(table.rows[index].cells.len(), HEADERS.len());
            prop_assert_eq!(&table.rows[index].cells[column::SHA256].text, &entry.sha256.to_hex());
        }
    }

    /// Rows added through the writer onto any text parse back: the new row first, then the
    /// rows that were there, and nothing but the row's line (and the table, if none was there)
    /// is added.
    #[test]
    fn added_rows_parse_back(text in text_from(LEDGER_PIECES), new in proptest::collection::vec(entry(), 1..6)) {
        let mut ledger = Ledger::parse(text.clone());
        let mut expected = entries(&ledger);
        for entry in &new {
            let had_table = ledger.table.is_some();
            let before = ledger.text.clone();
            let added = ledger.with_row_added(entry);
            if had_table {
                // Only the new line went in, with its line ending (and one before it when the
                // table's last line had none).
                let row = format!("| {} |", entry.cells().join(" | "));
                prop_assert!(only_row_inserted(&before, &added, &row), "{:?} -> {:?}", before, added);
            } else {
                prop_assert!(added.starts_with(&before));
            }
            ledger = Ledger::parse(added);
            expected.insert(0, entry.clone());
            prop_assert_eq!(&entries(&ledger), &expected, "after adding {:?} to {:?}", entry, text);
        }
    }

    /// Status and cell edits through the writer change that one cell, byte-stable, and the rows
    /// parse back to the same entries but for the edit.
    #[test]
    fn edited_cells_parse_back(
        preamble in text_from(LEDGER_PIECES),
        rows in proptest::collection::vec(entry(), 1..8),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), status()), 1..8),
        crlf in any::<bool>(),
    ) {
        let preamble = if crlf { preamble.replace('\n', "\r\n").replace("\r\r\n", "\r\n") } else { preamble };
        // No table in the preamble, so the rows added are the only ones.
        let mut ledger = Ledger::parse(preamble.replace('|', "!"));
        for entry in rows.iter().rev() {
            ledger = Ledger::parse(ledger.with_row_added(entry));
        }
        let mut expected = rows.clone();
        prop_assert_eq!(&entries(&ledger), &expected);
        for (index, status) in edits {
            let row = index.index(expected.len());
            ledger = status_edited(&ledger, Kind::Cpython, row, status)?;
            expected[row].status = status;
            prop_assert_eq!(&entries(&ledger), &expected);
        }
    }

    /// Any cell of any row of any table set to a one-cell value reads back as that value, and
    /// every other cell keeps its text.
    #[test]
    fn any_cell_edit_reads_back(
        text in text_from(LEDGER_PIECES),
        row in any::<proptest::sample::Index>(),
        cell in any::<proptest::sample::Index>(),
        value in cell_value(),
    ) {
        let ledger = Ledger::parse(text);
        let Some(table) = &ledger.table else {
            return Ok(());
        };
        if table.rows.is_empty() {
            prop_assert!(ledger.with_cell(0, 0, &value).is_none());
            return Ok(());
        }
        let row = row.index(table.rows.len());
        if table.rows[row].cells.is_empty() {
            return Ok(());
        }
        let cell = cell.index(table.rows[row].cells.len());
        let edited = Ledger::parse(ledger.with_cell(row, cell, &value).expect("the cell exists"));
        let texts = |ledger: &Ledger| -> Vec<Vec<String>> {
            ledger.table.iter().flat_map(|t| &t.rows).map(|r| r.cells.iter().map(|c| c.text.clone()).collect()).collect()
        };
        let mut expected = texts(&ledger);
        expected[row][cell] = value;
        prop_assert_eq!(texts(&edited), expected);
    }

    /// Retention keeps, per version line and distro, the newest `keep` Activo builds and
    /// deprecates the rest; applied through the writer, it leaves exactly that.
    #[test]
    fn retention_leaves_the_newest_builds(
        rows in proptest::collection::vec(
            (prop_oneof![Just("3.12"), Just("3.11")], 0u32..5, 1u32..4, prop_oneof![Just("debian12"), Just("ubuntu20.04")], status()),
            0..12,
        ),
        keep in 1usize..4,
    ) {
        let mut ledger = Ledger::parse(String::new());
        for (line, patch, build, distro, status) in &rows {
            let entry = Entry {
                version: PythonVersion::parse(&format!("{line}.{patch}")).expect("a version"),
                build: *build,
                distro: (*distro).to_owned(),
                date: "2025-01-01".to_owned(),
                sha256: Digest::from_hex(&"ab".repeat(32)).expect("64 hex digits"),
                url: UNPUBLISHED.to_owned(),
                status: *status,
            };
            ledger = Ledger::parse(ledger.with_row_added(&entry));
        }
        let before = ledger.entries();
        let deprecate = ledger::rows_to_deprecate(&before, keep);
        for &row in &deprecate {
            ledger = Ledger::parse(ledger.with_status(row, Status::Deprecated).expect("the row exists"));
        }
        let after = ledger.entries();
        let same_group = |a: &Entry, b: &Entry| a.version.line() == b.version.line() && a.distro == b.distro;
        for (index, entry) in &before {
            let active_before = before.iter().filter(|(_, e)| e.status == Status::Active && same_group(e, entry)).count();
            let active_after: Vec<&Entry> =
                after.iter().map(|(_, e)| e).filter(|e| e.status == Status::Active && same_group(e, entry)).collect();
            prop_assert_eq!(active_after.len(), active_before.min(keep));
            if deprecate.contains(index) {
                // Only an Activo row is deprecated, and only behind `keep` builds at least as new.
                prop_assert_eq!(entry.status, Status::Active);
                prop_assert!(active_after.iter().all(|e| (e.version, e.build) >= (entry.version, entry.build)));
            }
        }
        prop_assert_eq!(after.len(), rows.len());
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text with pieces of both tables: parsing never panics, the cells of both tables
    /// point at their text, and every well-formed wheelhouse row has the eight columns.
    #[test]
    fn both_tables_point_at_their_text(text in text_from(BOTH_TABLES_PIECES)) {
        let ledger = Ledger::parse(text.clone());
        for kind in [Kind::Cpython, Kind::Wheelhouse] {
            let Some(table) = ledger.table_of(kind) else { continue };
            for row in std::iter::once(&table.header).chain(&table.rows) {
                for cell in &row.cells {
                    prop_assert_eq!(text.get(cell.start..cell.end), Some(cell.text.as_str()), "{:?} in {:?}", cell, text);
                }
            }
        }
        let table = ledger.wheelhouses.as_ref();
        for (index, entry) in ledger.wheelhouse_entries() {
            let row = &table.expect("rows come from the table").rows[index];
            prop_assert_eq!(row.cells.len(), WHEELHOUSE_HEADERS.len());
            prop_assert_eq!(&row.cells[wheelhouse_column::SHA256].text, &entry.sha256.to_hex());
        }
    }

    /// CPython and wheelhouse rows added in any order onto any text parse back: each table
    /// gets its rows newest first, the other table's rows stay as they were, and the text
    /// that was there is kept (a row inserted, or a table appended at the end).
    #[test]
    fn rows_of_both_tables_round_trip(
        text in text_from(BOTH_TABLES_PIECES),
        new in proptest::collection::vec(prop_oneof![entry().prop_map(Ok), wheelhouse_entry().prop_map(Err)], 1..8),
        crlf in any::<bool>(),
    ) {
        let text = if crlf { text.replace('\n', "\r\n").replace("\r\r\n", "\r\n") } else { text };
        let mut ledger = Ledger::parse(text.clone());
        let (mut cpython, mut wheel) = (entries(&ledger), wheelhouses(&ledger));
        for item in &new {
            let before = ledger.text.clone();
            let (added, had_table, row) = match item {
                Ok(entry) => (ledger.with_row_added(entry), ledger.table.is_some(), entry.cells().join(" | ")),
                Err(entry) => (ledger.with_record_added(entry), ledger.wheelhouses.is_some(), entry.cells().join(" | ")),
            };
            if had_table {
                let row = format!("| {row} |");
                prop_assert!(only_row_inserted(&before, &added, &row), "{:?} -> {:?}", before, added);
            } else {
                prop_assert!(added.starts_with(&before));
            }
            ledger = Ledger::parse(added);
            match item {
                Ok(entry) => cpython.insert(0, entry.clone()),
                Err(entry) => wheel.insert(0, entry.clone()),
            }
            prop_assert_eq!(&entries(&ledger), &cpython, "after adding {:?} to {:?}", item, text);
            prop_assert_eq!(&wheelhouses(&ledger), &wheel, "after adding {:?} to {:?}", item, text);
        }
    }

    /// A status edit in the wheelhouse table changes that one cell and no CPython row.
    #[test]
    fn wheelhouse_status_edits_are_byte_stable(
        rows in proptest::collection::vec(wheelhouse_entry(), 1..6),
        cpython in proptest::collection::vec(entry(), 0..3),
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), status()), 1..6),
    ) {
        let ledger = cpython.iter().rev().fold(Ledger::parse(String::new()), |l, e| Ledger::parse(l.with_row_added(e)));
        let mut ledger = rows.iter().rev().fold(ledger, |l, e| Ledger::parse(l.with_record_added(e)));
        prop_assert_eq!(&wheelhouses(&ledger), &rows);
        let mut expected = rows;
        for (index, status) in edits {
            let row = index.index(expected.len());
            expected[row].status = status;
            ledger = status_edited(&ledger, Kind::Wheelhouse, row, status)?;
        }
        // Only the edited cells changed: every wheelhouse row reads back, no CPython row moved.
        prop_assert_eq!((wheelhouses(&ledger), entries(&ledger)), (expected, cpython));
    }
}

/// A ledger written from scratch by the writer is the team's table: header, separator, rows.
#[test]
fn a_new_ledger_has_the_documented_header() {
    let sha = Digest::from_hex(&"0f".repeat(32)).expect("64 hex digits");
    let entry = Entry {
        version: PythonVersion::parse("3.12.6").expect("a version"),
        build: 1,
        distro: "debian12".to_owned(),
        date: "2025-11-06".to_owned(),
        sha256: sha,
        url: UNPUBLISHED.to_owned(),
        status: Status::Active,
    };
    let text = Ledger::parse(String::new()).with_row_added(&entry);
    let ledger = Ledger::parse(text);
    let table = ledger.table.as_ref().expect("a table");
    assert!(table.header_problem.is_none(), "{:?}", table.header_problem);
    let header: Vec<&str> = table.header.cells.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(header, HEADERS);
}
