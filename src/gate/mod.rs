//! The gate: the checks that turn repository content into findings (spec front-matter and
//! traceability, the ledger against the real files, secrets, emoji, the Feature's manifest,
//! configured paths, the critical tests) and the git hooks that run them on the snapshot being
//! committed or pushed. Checks push findings into a `Report`; they never print or exit.

pub mod config_paths;
pub mod critical_tests;
pub mod feature;
pub mod hooks;
pub mod ledger;
pub mod links;
pub mod scan;
pub mod spec;
