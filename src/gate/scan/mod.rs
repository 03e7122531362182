//! Content scanning shared by `check emoji` and `check secrets`: which bytes are looked at
//! (`fileset`: explicit paths, every tracked file, staged blobs, lines added by a range of
//! commits, members of archives) and the driver that runs a scanner over them in parallel.
//! The rules themselves live in the submodules (`emoji`, and `secrets` beside it).

pub mod baseline;
pub mod emoji;
pub mod fileset;
pub mod secrets;
pub mod secrets_rules;

pub use fileset::{scan, Error, Event, Options, ScanItem, Selection, Summary};

use crate::shared::diag::{Code, Level};

/// Codes that belong to scanning itself rather than to one rule set.
pub const CODES: &[Code] = &[
    Code {
        name: "scan-file-too-large",
        default: Level::Warn,
        summary: "a file or archive member is larger than the scan size cap and was not scanned",
    },
    Code {
        name: "scan-archive-unreadable",
        default: Level::Warn,
        summary: "a file named like an archive could not be read as one; its bytes were scanned as a plain file",
    },
    Code {
        name: "scan-unreadable",
        default: Level::Deny,
        summary: "a file, blob or archive member could not be read, so its content was not checked",
    },
];
