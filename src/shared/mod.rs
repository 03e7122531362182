//! What the gate and the pipeline both stand on: the report model and its codes, the
//! configuration, the workspace and the snapshots checks read, file, process and HTTP I/O, and
//! the artifact format (names, sidecars, the ledger, the Feature's index, the upstream record,
//! the reproducible tarball and its safe unpacking). Nothing here depends on `gate`,
//! `pipeline` or `commands`.

pub mod artifact;
pub mod atomic;
pub mod config;
pub mod context;
pub mod diag;
pub mod env;
pub mod formats;
pub mod http;
pub mod process;
pub mod readfile;
pub mod workspace;
