//! The integration test binary: one module per capability, sharing `common::TestContext`.

mod common;
mod emoji;
mod secrets;
