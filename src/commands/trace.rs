//! `specgate trace`: the traceability matrix, human (stdout) or JSON.

use std::fmt::Write as _;

use crate::error::Context as _;

use crate::cli::{GlobalArgs, TraceArgs};
use crate::gate::spec;
use crate::shared::diag::Format;
use crate::{ExitStatus, Output};

pub fn run(global: &GlobalArgs, _args: &TraceArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let ctx = super::context(global)?;
    let corpus = spec::load(&ctx, &[], &ctx.files);
    let specs = spec::specifications(&corpus.documents, &ctx);
    let matrix = spec::trace::matrix(&specs, &corpus.markers);
    match global.format.unwrap_or_default() {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *output.stdout, &matrix).context("could not write the matrix")?;
            output.stdout.write_all(b"\n")?;
        }
        Format::Sarif => {
            return Err(super::UsageError {
                message: "`specgate trace` prints a matrix, not findings; SARIF does not apply".to_owned(),
                hint: Some("use `--format json` or `--format human`".to_owned()),
            }
            .into())
        }
        Format::Human => {
            let mut text = String::new();
            for row in &matrix.specs {
                let _ = writeln!(text, "{} ({})", row.id, row.path);
                for location in &row.implemented_by {
                    let _ = writeln!(text, "  impl {}:{}", location.path, location.line);
                }
                for criterion in &row.criteria {
                    let cases = if criterion.test_cases.is_empty() {
                        "no test case".to_owned()
                    } else {
                        criterion.test_cases.join(", ")
                    };
                    let _ = writeln!(text, "  {} (line {}) -> {}", criterion.id, criterion.line, cases);
                    if criterion.verified_by.is_empty() {
                        let _ = writeln!(text, "    not verified by any marker");
                    }
                    for location in &criterion.verified_by {
                        let _ = writeln!(text, "    verified by {}:{}", location.path, location.line);
                    }
                }
            }
            if matrix.specs.is_empty() {
                text.push_str("no specifications found\n");
            }
            output.stdout.write_all(text.as_bytes())?;
        }
    }
    Ok(ExitStatus::Success)
}
