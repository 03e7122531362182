//! The rules of `specgate check spec` over a set of parsed documents: front-matter schema per
//! `tipo`, ids (format, uniqueness, file name), links between documents, and the body of
//! specifications (sections, body ids, Gherkin criteria, test-case coverage).

use std::collections::{BTreeMap, HashMap};

use super::document::{BodyIdKind, Document, Front};
use super::frontmatter::{Value, YamlErrorKind};
use crate::shared::config::{FieldKind, SpecConfig};
use crate::shared::diag::{Diagnostic, Position, Report};
pub use crate::shared::formats::{is_iso_date, is_semver};

/// The documents of the repository, indexed by id.
pub struct Graph<'a> {
    pub by_id: HashMap<&'a str, Vec<&'a Document>>,
}

impl<'a> Graph<'a> {
    pub fn new(documents: &'a [Document]) -> Graph<'a> {
        let mut by_id: HashMap<&str, Vec<&Document>> = HashMap::new();
        for document in documents {
            if let Some(id) = document.front_matter().and_then(|f| f.text("id")) {
                by_id.entry(id.text.as_str()).or_default().push(document);
            }
        }
        Graph { by_id }
    }

    pub fn resolves(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// The one document with this id (the first, when the id is duplicated).
    pub fn get(&self, id: &str) -> Option<&'a Document> {
        self.by_id.get(id).and_then(|docs| docs.first().copied())
    }
}

fn finding(document: &Document, code: &'static str, position: Position, width: usize, message: String) -> Diagnostic {
    Diagnostic::new(code, document.path(), position, message).source(&document.source, width)
}

/// Check one document against the schema and the graph; `requires_front_matter` says whether
/// its folder demands a front-matter.
pub fn check_document(
    document: &Document,
    requires_front_matter: bool,
    config: &SpecConfig,
    graph: &Graph<'_>,
    report: &mut Report,
) {
    let front = match &document.front {
        Front::Present(front) => front,
        Front::Absent => {
            if let Some(line) = document.body.misplaced_front_matter {
                report.push(
                    finding(document, "spec-front-matter-misplaced", Position::new(line, 1), 3, "front-matter found after the start of the file".into())
                        .help("move the `---` block to the very first line; anything before it (a title, a blank line) hides it"),
                );
            } else if requires_front_matter {
                report.push(
                    Diagnostic::new("spec-front-matter-missing", document.path(), Position::new(1, 1), "document has no front-matter")
                        .help("start the file with a `---` line, the fields `id`, `tipo`, `categoria`, `version`, `fecha_creacion`, `propietario`, `relacionados`, then a closing `---` line; specs/SPEC_INFRA_001.md is an example"),
                );
            }
            return;
        }
        Front::Unclosed => {
            report.push(
                finding(
                    document,
                    "spec-front-matter-unclosed",
                    Position::new(1, 1),
                    3,
                    "front-matter opened with `---` is never closed".into(),
                )
                .help("add a line with `---` after the last field"),
            );
            return;
        }
        Front::TooLarge { bytes } => {
            report.push(
                finding(
                    document,
                    "spec-yaml-invalid",
                    Position::new(2, 1),
                    1,
                    format!("front-matter is {bytes} bytes; the limit is 256 KiB"),
                )
                .help("keep the front-matter to metadata fields; long text belongs in the body"),
            );
            return;
        }
        Front::Invalid(error) => {
            let help = match error.kind {
                YamlErrorKind::DuplicateKey => "remove one of the two keys",
                YamlErrorKind::NotMapping => "write the front-matter as `key: value` lines",
                YamlErrorKind::TooComplex => "front-matter fields are scalars or short lists; remove the nesting or aliases",
                YamlErrorKind::Syntax => "fix the YAML at this line; indent with spaces, never tabs, and quote values that contain `: ` or `#`",
            };
            report.push(
                finding(
                    document,
                    "spec-yaml-invalid",
                    error.position,
                    1,
                    format!("invalid YAML in front-matter: {}", error.message),
                )
                .help(help),
            );
            return;
        }
    };

    let tipo = front.text("tipo").map(|s| s.text.as_str());
    let doc_type = match tipo {
        None => {
            report.push(
                finding(
                    document,
                    "spec-missing-field",
                    Position::new(1, 1),
                    3,
                    "front-matter has no `tipo` field".into(),
                )
                .help(format!("add `tipo: <{}>` between the `---` lines", known_types(config))),
            );
            None
        }
        Some(name) => match config.types.get(name) {
            Some(doc_type) => Some(doc_type),
            None => {
                let scalar = front.text("tipo").expect("matched above");
                report.push(
                    finding(
                        document,
                        "spec-unknown-tipo",
                        scalar.position,
                        name.chars().count(),
                        format!("unknown `tipo` `{name}`"),
                    )
                    .help(format!(
                        "use one of: {}; or declare it under `[spec.types.{name}]` in specgate.toml",
                        known_types(config)
                    )),
                );
                None
            }
        },
    };

    // Required fields of this tipo.
    if let Some(doc_type) = doc_type {
        for required in &doc_type.required {
            match front.get(required) {
                None => report.push(
                    finding(
                        document,
                        "spec-missing-field",
                        Position::new(1, 1),
                        3,
                        format!("front-matter has no `{required}` field"),
                    )
                    .help(format!(
                        "add `{required}: {}` between the `---` lines",
                        example_value(config.fields.get(required))
                    )),
                ),
                Some(field) if field.value.is_null() => report.push(
                    finding(
                        document,
                        "spec-missing-field",
                        field.key_position,
                        required.chars().count(),
                        format!("field `{required}` is empty"),
                    )
                    .help(format!(
                        "give `{required}` a value, for example `{}`",
                        example_value(config.fields.get(required))
                    )),
                ),
                Some(_) => {}
            }
        }
    }

    // Field kinds, for every field present.
    for field in &front.fields {
        let Some(kind) = config.fields.get(&field.key) else {
            continue;
        };
        if field.value.is_null() {
            continue;
        }
        check_field_kind(document, &field.key, &field.value, *kind, graph, report);
    }

    // Id: format per tipo, equal to the file name, unique.
    if let Some(id) = front.text("id") {
        if let Some(doc_type) = doc_type {
            if !doc_type.id_pattern.is_match(&id.text) {
                report.push(
                    finding(
                        document,
                        "spec-id-format",
                        id.position,
                        id.text.chars().count(),
                        format!("id `{}` does not match the pattern of `tipo: {}`", id.text, doc_type.name),
                    )
                    .help(format!("ids of `{}` documents match `{}`", doc_type.name, doc_type.id_pattern_source)),
                );
            }
        }
        let stem = document.path().rsplit('/').next().unwrap_or("").trim_end_matches(".md");
        if stem != id.text {
            report.push(
                finding(
                    document,
                    "spec-id-filename",
                    id.position,
                    id.text.chars().count(),
                    format!("id `{}` differs from the file name `{stem}.md`", id.text),
                )
                .help(format!("rename the file to `{}.md` or change the id to `{stem}`", id.text)),
            );
        }
        if let Some(others) = graph.by_id.get(id.text.as_str()) {
            if others.len() > 1 {
                let elsewhere: Vec<&str> = others.iter().map(|d| d.path()).filter(|p| *p != document.path()).collect();
                report.push(
                    finding(
                        document,
                        "spec-id-duplicate",
                        id.position,
                        id.text.chars().count(),
                        format!(
                            "id `{}` is also used by {}",
                            id.text,
                            elsewhere.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .help("every document needs its own id; give one of them the next free number"),
                );
            }
        }
    }

    // Ids mentioned in the body that resolve nowhere.
    let own_id = front.text("id").map(|s| s.text.as_str());
    for mention in &document.body.mentions {
        if Some(mention.id.as_str()) != own_id && !graph.resolves(&mention.id) {
            report.push(
                finding(
                    document,
                    "link-unresolved-body",
                    mention.position,
                    mention.id.chars().count(),
                    format!("`{}` is mentioned but no document has that id", mention.id),
                )
                .help("create the document with that id, or fix the id if it is misspelled"),
            );
        }
    }

    if doc_type.is_some_and(|t| t.body_checks) {
        check_spec_body(document, doc_type.map(|t| t.sections.as_slice()).unwrap_or(&[]), report);
    }
}

fn known_types(config: &SpecConfig) -> String {
    config.types.keys().cloned().collect::<Vec<_>>().join(" | ")
}

fn example_value(kind: Option<&FieldKind>) -> &'static str {
    match kind {
        Some(FieldKind::Semver) => "1.0.0",
        Some(FieldKind::Date) => "2025-11-06",
        Some(FieldKind::IdList) => "[\"ADR_008\"]",
        Some(FieldKind::List) => "[\"valor\"]",
        Some(FieldKind::Text) | None => "<valor>",
    }
}

fn check_field_kind(
    document: &Document,
    key: &str,
    value: &Value,
    kind: FieldKind,
    graph: &Graph<'_>,
    report: &mut Report,
) {
    let scalar = match (kind, value) {
        (FieldKind::IdList | FieldKind::List, Value::List { items, .. }) => {
            for item in items {
                match item {
                    None => report.push(
                        finding(
                            document,
                            "spec-field-type",
                            value.position(),
                            1,
                            format!("`{key}` holds a nested structure; it must be a list of ids"),
                        )
                        .help(format!("write `{key}: [\"ADR_008\", \"PLAN-INFRA-001\"]`")),
                    ),
                    Some(item) if kind == FieldKind::IdList && !graph.resolves(&item.text) => report.push(
                        finding(
                            document,
                            "link-unresolved",
                            item.position,
                            item.text.chars().count().max(1),
                            format!("`{key}` names `{}`, but no document has that id", item.text),
                        )
                        .help("create the document, or fix the id; ids are case-sensitive and match the file name"),
                    ),
                    Some(_) => {}
                }
            }
            return;
        }
        (FieldKind::IdList | FieldKind::List, _) => {
            report.push(
                finding(document, "spec-field-type", value.position(), 1, format!("`{key}` must be a list"))
                    .help(format!("write `{key}: [\"ADR_008\"]`, or `{key}: []` when there is nothing to name")),
            );
            return;
        }
        (_, Value::Scalar(scalar)) => scalar,
        (_, _) => {
            report.push(
                finding(
                    document,
                    "spec-field-type",
                    value.position(),
                    1,
                    format!("`{key}` must be a single value, not a list or mapping"),
                )
                .help(format!("write `{key}: {}`", example_value(Some(&kind)))),
            );
            return;
        }
    };
    let text = scalar.text.as_str();
    let width = text.chars().count().max(1);
    match kind {
        FieldKind::Text => {
            if text.trim().is_empty() {
                report.push(
                    finding(document, "spec-missing-field", scalar.position, width, format!("field `{key}` is empty"))
                        .help(format!("give `{key}` a value")),
                );
            }
        }
        FieldKind::Semver => {
            if !is_semver(text) {
                let mut help = "write the version as MAJOR.MINOR.PATCH, for example `1.0.0`".to_owned();
                if scalar.plain && text.matches('.').count() == 1 {
                    help.push_str(&format!(
                        "; note that other YAML tools read a plain `{text}` as a number, so quote versions"
                    ));
                }
                report.push(
                    finding(
                        document,
                        "spec-field-type",
                        scalar.position,
                        width,
                        format!("`{key}` is `{text}`, which is not a semantic version"),
                    )
                    .help(help),
                );
            }
        }
        FieldKind::Date => {
            if !is_iso_date(text) {
                report.push(
                    finding(
                        document,
                        "spec-field-type",
                        scalar.position,
                        width,
                        format!("`{key}` is `{text}`, which is not an ISO date"),
                    )
                    .help("write the date as YYYY-MM-DD, for example `2025-11-06`"),
                );
            }
        }
        FieldKind::IdList | FieldKind::List => unreachable!("lists handled above"),
    }
}

/// Which Gherkin keywords a block has (English, or Spanish under `# language: es`).
fn gherkin_steps<'a>(lines: impl Iterator<Item = &'a str>) -> (bool, bool, bool) {
    let (mut given, mut when, mut then) = (false, false, false);
    for line in lines {
        let word = line.split_whitespace().next().unwrap_or("");
        match word {
            "Given" | "Dado" | "Dada" | "Dados" | "Dadas" => given = true,
            "When" | "Cuando" => when = true,
            "Then" | "Entonces" => then = true,
            _ => {}
        }
    }
    (given, when, then)
}

fn check_spec_body(document: &Document, sections: &[String], report: &mut Report) {
    let body = &document.body;
    let titles: std::collections::HashSet<String> = body.headings.iter().map(|h| h.title.to_lowercase()).collect();
    for section in sections {
        if !titles.contains(&section.to_lowercase()) {
            report.push(
                Diagnostic::new("spec-missing-section", document.path(), Position::new(1, 1), format!("spec has no `{section}` section"))
                    .help(format!("add a heading `## {section}` as in the template (specs/SPEC_INFRA_001.md), or change `sections` for this tipo in specgate.toml")),
            );
        }
    }

    // Body ids defined once.
    let mut first: BTreeMap<&str, Position> = BTreeMap::new();
    for definition in &body.definitions {
        if let Some(previous) = first.get(definition.id.as_str()) {
            report.push(
                finding(
                    document,
                    "spec-body-id-duplicate",
                    definition.position,
                    definition.id.len(),
                    format!("`{}` is defined twice (first on line {})", definition.id, previous.line),
                )
                .help("give this item the next free number"),
            );
        } else {
            first.insert(&definition.id, definition.position);
        }
    }

    // Each criterion has a Gherkin block with Given/When/Then before the next heading or definition.
    let criteria: Vec<_> = body.definitions.iter().filter(|d| d.kind == BodyIdKind::Criterion).collect();
    for criterion in &criteria {
        let line = criterion.position.line;
        let limit = body
            .definitions
            .iter()
            .map(|d| d.position.line)
            .chain(body.headings.iter().map(|h| h.line))
            .filter(|l| *l > line)
            .min()
            .unwrap_or(usize::MAX);
        let block = body
            .code_blocks
            .iter()
            .find(|b| b.line > line && b.line < limit && matches!(b.info.as_str(), "gherkin" | "feature" | "cucumber"));
        match block {
            None => report.push(
                finding(
                    document,
                    "spec-criterion-no-gherkin",
                    criterion.position,
                    criterion.id.len(),
                    format!("acceptance criterion `{}` has no Gherkin block", criterion.id),
                )
                .help("follow the criterion with a ```gherkin block holding Given, When and Then steps"),
            ),
            Some(block) => {
                let (given, when, then) = gherkin_steps(block.lines(&document.source));
                let missing: Vec<&str> = [("Given", given), ("When", when), ("Then", then)]
                    .iter()
                    .filter(|(_, present)| !present)
                    .map(|(name, _)| *name)
                    .collect();
                if !missing.is_empty() {
                    report.push(
                        finding(document, "spec-criterion-incomplete-gherkin", Position::new(block.line, 1), 3, format!("the Gherkin block of `{}` has no {} step", criterion.id, missing.join(", no ")))
                            .help("a criterion states its context (Given), action (When) and outcome (Then); Spanish keywords Dado, Cuando, Entonces also count"),
                    );
                }
            }
        }
    }

    // Test cases name criteria that exist; every criterion has a test case.
    for row in &body.test_cases {
        if row.criteria.is_empty() {
            report.push(
                finding(
                    document,
                    "spec-test-case-without-criterion",
                    row.position,
                    row.id.len(),
                    format!("test case `{}` names no acceptance criterion", row.id),
                )
                .help("name the CA-nnn it verifies in the row, or add a criterion it covers"),
            );
        }
        for (criterion, position) in &row.criteria {
            if !criteria.iter().any(|c| &c.id == criterion) {
                report.push(
                    finding(
                        document,
                        "spec-test-case-unknown-criterion",
                        *position,
                        criterion.len(),
                        format!("test case `{}` names `{criterion}`, which this spec does not define", row.id),
                    )
                    .help("fix the criterion id, or define it under the acceptance criteria"),
                );
            }
        }
    }
    for criterion in &criteria {
        if !body.test_cases.iter().any(|row| row.criteria.iter().any(|(c, _)| *c == criterion.id)) {
            report.push(
                finding(
                    document,
                    "spec-criterion-untested",
                    criterion.position,
                    criterion.id.len(),
                    format!("acceptance criterion `{}` has no test case", criterion.id),
                )
                .help(format!("add a row `| CP-nnn | ... | {} |` to the test-case table", criterion.id)),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_cases() {
        for ok in ["1.0.0", "0.10.3", "1.2.3-rc.1", "1.2.3+build.5", "10.20.30-alpha-1+x"] {
            assert!(is_semver(ok), "{ok}");
        }
        for bad in ["1.10", "1", "01.0.0", "1.0.0-", "1.0.0+", "v1.0.0", "1.0.x", "", "1..0"] {
            assert!(!is_semver(bad), "{bad}");
        }
    }

    #[test]
    fn date_cases() {
        for ok in ["2025-11-06", "2024-02-29", "2000-02-29"] {
            assert!(is_iso_date(ok), "{ok}");
        }
        for bad in
            ["2025-13-01", "2025-02-29", "1900-02-29", "2025-11-6", "06/11/2025", "2025-11-06T10:00", "2025-00-10"]
        {
            assert!(!is_iso_date(bad), "{bad}");
        }
    }
}
