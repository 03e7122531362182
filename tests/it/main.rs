//! The integration test binary: one module per capability, sharing `common::TestContext`.

mod artifact;
mod build;
mod common;
mod emoji;
mod hooks;
mod ledger;
mod precommit;
mod secrets;
mod spec;
