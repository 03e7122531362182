//! The single integration-test binary: one module per capability.

mod common;
mod secrets;
