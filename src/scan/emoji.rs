//! Emoji detection (placeholder until the detector lands).

use crate::diag::Code;

pub const CODES: &[Code] = &[];
