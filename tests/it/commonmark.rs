//! `check spec` reads governed Markdown as CommonMark (issue 17): the rows of the issue's table,
//! each an edit to a copy of the project's own specification that must still pass.
//!
//! spec[verify SPEC_INFRA_001#CA-009]

use crate::common::{findings, TestContext};

const CRITERIA_HEADING: &str = "### 3.3 Criterios de Aceptación\n";

/// A repository holding copies of the project's own spec, ADRs and plan, the spec edited by `edit`.
fn own_spec_with(edit: impl Fn(&str) -> String) -> TestContext {
    let ctx = TestContext::new();
    let root = env!("CARGO_MANIFEST_DIR");
    for path in ["docs/adr/ADR_008.md", "docs/adr/ADR_009.md", "docs/plans/PLAN-INFRA-001.md"] {
        ctx.write(path, std::fs::read_to_string(format!("{root}/{path}")).unwrap());
    }
    let spec = std::fs::read_to_string(format!("{root}/specs/SPEC_INFRA_001.md")).unwrap();
    assert!(spec.contains(CRITERIA_HEADING), "the spec keeps its criteria heading");
    ctx.write("specs/SPEC_INFRA_001.md", edit(&spec));
    ctx.commit("spec");
    ctx
}

fn passes(ctx: &TestContext) {
    let (code, report) = ctx.json(&["check", "spec", "specs/SPEC_INFRA_001.md", "--format", "json"]);
    assert_eq!(findings(&report), vec![], "{report:#}");
    assert_eq!(code, 0, "{report:#}");
}

#[test]
fn the_unedited_copy_passes() {
    passes(&own_spec_with(str::to_owned));
}

#[test]
fn a_criterion_inside_an_html_comment_is_not_a_criterion() {
    let comment = "<!--\n**CA-099**: borrador\n```gherkin\nGiven a\nWhen b\nThen c\n```\n-->\n\n";
    passes(&own_spec_with(|spec| spec.replace(CRITERIA_HEADING, &format!("{CRITERIA_HEADING}\n{comment}"))));
}

#[test]
fn a_criterion_indented_four_spaces_after_a_blank_line_is_code() {
    let indented = "Un ejemplo:\n\n    **CA-097**: ejemplo de criterio\n\n";
    passes(&own_spec_with(|spec| spec.replace(CRITERIA_HEADING, &format!("{CRITERIA_HEADING}\n{indented}"))));
}

#[test]
fn a_setext_heading_names_the_criteria_section() {
    passes(&own_spec_with(|spec| spec.replace(CRITERIA_HEADING, "Criterios de Aceptación\n-----------------------\n")));
}

#[test]
fn tilde_fences_and_longer_fences_stay_code_blocks() {
    let blocks =
        "~~~text\n**CA-096**: no es un criterio\n~~~\n\n````markdown\n```gherkin\n**CA-095**: tampoco\n```\n````\n\n";
    passes(&own_spec_with(|spec| spec.replace(CRITERIA_HEADING, &format!("{CRITERIA_HEADING}\n{blocks}"))));
}
