//! The integration test binary: one module per capability, sharing `common::TestContext`.

mod artifact;
mod common;
mod emoji;
mod feature;
mod hooks;
mod httpserver;
mod install;
mod ledger;
mod precommit;
mod secrets;
mod spec;
