//! The ARTIFACTS.md ledger: parse any UTF-8 text, then edit it through the ledger's own writer.
//! Every cell's offsets must slice its text; a row added must parse back as the first entry,
//! the entries that were there after it; a cell set to a one-cell value must read back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specgate::shared::artifact::ledger::{Entry, Ledger, Status, UNPUBLISHED};
use specgate::shared::artifact::{Digest, PythonVersion};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let ledger = Ledger::parse(text.to_owned());
    let before: Vec<Entry> = ledger.entries().into_iter().map(|(_, e)| e).collect();
    if let Some(table) = &ledger.table {
        for row in std::iter::once(&table.header).chain(&table.rows) {
            for cell in &row.cells {
                assert_eq!(text.get(cell.start..cell.end), Some(cell.text.as_str()), "{cell:?}");
            }
        }
        // Every cell of every row set to a one-cell value reads back as that value.
        for (index, row) in table.rows.iter().enumerate().take(8) {
            for column in 0..row.cells.len().min(8) {
                let edited = Ledger::parse(ledger.with_cell(index, column, "v1.x").expect("the cell exists"));
                let cell = &edited.table.as_ref().expect("still a table").rows[index].cells[column];
                assert_eq!(cell.text, "v1.x");
            }
        }
    }

    let entry = Entry {
        version: PythonVersion::parse("3.12.6").expect("a version"),
        build: 7,
        distro: "debian12".to_owned(),
        date: "2025-11-06".to_owned(),
        sha256: Digest::from_hex(&"5a".repeat(32)).expect("64 hex digits"),
        url: UNPUBLISHED.to_owned(),
        status: Status::Active,
    };
    let added = Ledger::parse(ledger.with_row_added(&entry));
    let after: Vec<Entry> = added.entries().into_iter().map(|(_, e)| e).collect();
    assert_eq!(after.first(), Some(&entry), "the new row is not first");
    assert_eq!(&after[1..], &before[..], "the rows that were there changed");
});
