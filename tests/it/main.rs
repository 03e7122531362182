//! The integration test binary: one module per capability, sharing `common::TestContext`.

mod artifact;
mod build;
mod common;
mod emoji;
mod feature;
mod github_fake;
mod hooks;
mod httpserver;
mod install;
mod ledger;
mod precommit;
pub mod publish;
mod secrets;
mod spec;
