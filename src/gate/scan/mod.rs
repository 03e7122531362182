//! Content scanning shared by `check emoji` and `check secrets`: which bytes are looked at
//! (`fileset`: explicit paths, every tracked file, staged blobs, lines added by a range of
//! commits, members of archives) and the driver that runs a scanner over them in parallel.
//! The rules themselves live in the submodules (`emoji`, and `secrets` beside it).

pub mod baseline;
pub mod emoji;
pub mod fileset;
pub mod secrets;
pub mod upstream;

pub use fileset::{scan, Error, Event, Options, ScanItem, Selection, Summary};
