//! specgate: the gate (spec traceability, ledger, secrets, emoji, critical tests) and the
//! prebuilt-CPython pipeline of SPEC_INFRA_001, as a library; `main.rs` only parses arguments
//! and maps the result to an exit code.
//!
//! spec[impl SPEC_INFRA_001]

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod cli;
pub mod commands;
pub mod gate;
pub mod pipeline;
pub mod registry;
pub mod shared;

use std::io::Write;

use gate::{critical_tests, hooks, scan};
use pipeline::{build, gpg, install, publish, sigstore};
use shared::{artifact, config, http, workspace};

/// How a run ended; the only place exit codes are decided (DESIGN.md "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// No error-level finding.
    Success,
    /// Error-level findings: the hook blocks, CI fails, the stage stops.
    Findings,
    /// specgate could not do its job.
    Failure,
}

impl ExitStatus {
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Findings => 1,
            ExitStatus::Failure => 2,
        }
    }
}

/// Where commands write: stdout for machine-readable output and products (json, sarif,
/// trace), stderr for human reports and status lines.
pub struct Output<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
}

/// Run one command line.
pub fn run(cli: cli::Cli, output: &mut Output<'_>) -> anyhow::Result<ExitStatus> {
    commands::dispatch(cli, output)
}

/// The hint of the first error in the chain that has one.
pub fn hint(error: &anyhow::Error) -> Option<String> {
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<config::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<workspace::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<artifact::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<install::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<http::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<hooks::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<critical_tests::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<scan::secrets::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<scan::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<publish::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<build::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<gpg::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<sigstore::Error>() {
            return e.hint();
        }
        if let Some(e) = cause.downcast_ref::<commands::UsageError>() {
            return e.hint.clone();
        }
    }
    None
}
