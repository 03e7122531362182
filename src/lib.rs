//! specgate: the gate (spec traceability, ledger, secrets, emoji, critical tests) and the
//! prebuilt-CPython pipeline of SPEC_INFRA_001, as a library; `main.rs` only parses arguments
//! and maps the result to an exit code.
//!
//! spec[impl SPEC_INFRA_001]

#![forbid(unsafe_code)]
#![warn(clippy::print_stdout, clippy::print_stderr, clippy::dbg_macro)]

pub mod cli;
pub mod commands;
pub mod error;
pub mod gate;
pub mod pipeline;
pub mod shared;

use std::io::Write;

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
pub fn run(cli: cli::Cli, output: &mut Output<'_>) -> error::Result<ExitStatus> {
    commands::dispatch(cli, output)
}
