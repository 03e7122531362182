//! `--remote`: external links requested through the one HTTP client (`crate::http`).

use crate::context::CheckContext;
use crate::diag::Report;
use crate::spec::document::Document;

use super::RemoteUse;

/// Request every external URL once; returns how many were requested.
pub fn check(_ctx: &CheckContext, _documents: &[&Document], _uses: &[RemoteUse], _report: &mut Report) -> usize {
    0
}
