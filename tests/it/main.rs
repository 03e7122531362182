//! The integration test binary: one module per capability, sharing `common::TestContext`.

mod artifact;
mod build;
mod common;
mod commonmark;
mod config;
mod emoji;
mod feature;
mod github_fake;
mod hooks;
mod httpserver;
mod install;
mod journey;
mod layout;
mod ledger;
mod links;
mod outdated;
mod precommit;
pub mod publish;
mod secrets;
/// The Sigstore test PKI and log of the library's unit tests, shared as one source file.
#[path = "../../src/pipeline/sigstore/testing.rs"]
mod sigstore_fixture;
mod spec;
mod wheelhouse;
