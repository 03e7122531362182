//! Traceability from code and tests back to specs: the markers `spec[impl SPEC_ID]` and
//! `spec[verify SPEC_ID#CA-nnn]` (optionally pinned to a major version, `@1`) in any tracked
//! file, the coverage of acceptance criteria by verifying markers, and the matrix printed by
//! `specgate trace`.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::bytes::Regex;
use serde::Serialize;

use super::check::Graph;
use super::document::{BodyIdKind, Document};
use crate::shared::diag::{Cursor, Diagnostic, Excerpt, Position, Report};

/// A marker: `spec[` kind, a spec id, an optional `#item`, an optional `@major`, `]`.
static MARKER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u)spec\[(impl|verify)[ \t]+([A-Za-z0-9_.-]+)(?:#([A-Za-z]+-[0-9]+))?(?:@([0-9]+))?\]")
        .expect("valid regex")
});
/// Anything that starts like a marker, to report malformed ones.
static MARKER_START: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?-u)spec\[[a-z]+[ \t]").expect("valid regex"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkerKind {
    Impl,
    Verify,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Marker {
    pub kind: MarkerKind,
    pub spec: String,
    pub item: Option<String>,
    pub major: Option<u64>,
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// The line around the marker, for the finding's excerpt.
    #[serde(skip)]
    pub excerpt: Excerpt,
}

/// A marker-like text that does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub excerpt: Excerpt,
}

/// Find the markers in one file's bytes. A marker inside backticks is an example in
/// documentation, not a claim, and is skipped.
pub fn scan_markers(path: &str, content: &[u8], markers: &mut Vec<Marker>, malformed: &mut Vec<Malformed>) {
    let finder = memchr::memmem::Finder::new(b"spec[");
    if finder.find(content).is_none() {
        return;
    }
    for (index, line) in content.split(|b| *b == b'\n').enumerate() {
        let line_number = index + 1;
        if finder.find(line).is_none() {
            continue;
        }
        let quoted = |start: usize| start > 0 && line[start - 1] == b'`';
        // Columns are counted from the previous match, so a line of many markers stays linear.
        let mut cursor = Cursor::default();
        let mut column = |start: usize| cursor.position(line, start).column;
        let mut parsed_starts = Vec::new();
        let mut starts = Vec::new();
        for captures in MARKER.captures_iter(line) {
            let whole = captures.get(0).expect("group 0 always matches");
            parsed_starts.push(whole.start());
            if !quoted(whole.start()) {
                starts.push((whole.start(), Some(captures)));
            }
        }
        // Both searches go left to right, so the parsed starts are sorted.
        for start in MARKER_START.find_iter(line).map(|m| m.start()) {
            if parsed_starts.binary_search(&start).is_err() && !quoted(start) {
                starts.push((start, None));
            }
        }
        starts.sort_by_key(|(start, _)| *start);
        for (start, captures) in starts {
            let column = column(start);
            let excerpt = Excerpt::of(line, start);
            let Some(captures) = captures else {
                malformed.push(Malformed { path: path.to_owned(), line: line_number, column, excerpt });
                continue;
            };
            let text_of = |i: usize| captures.get(i).map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned());
            markers.push(Marker {
                kind: if &captures[1] == b"impl" { MarkerKind::Impl } else { MarkerKind::Verify },
                spec: text_of(2).unwrap_or_default(),
                item: text_of(3),
                major: text_of(4).and_then(|m| m.parse().ok()),
                path: path.to_owned(),
                line: line_number,
                column,
                excerpt,
            });
        }
    }
}

fn marker_finding(marker: &Marker, code: &'static str, message: String) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(code, &marker.path, Position::new(marker.line, marker.column), message)
        .excerpt(marker.excerpt.clone());
    diagnostic.width = 5;
    diagnostic
}

/// Report markers that point nowhere, and criteria no marker verifies.
pub fn check_markers(markers: &[Marker], malformed: &[Malformed], graph: &Graph<'_>, report: &mut Report) {
    for bad in malformed {
        let diagnostic = Diagnostic::new("trace-malformed-marker", &bad.path, Position::new(bad.line, bad.column), "text looks like a traceability marker but does not parse")
            .help("write `spec[impl SPEC_ID]` or `spec[verify SPEC_ID#CA-nnn]`; put an example in backticks so it is not read as a marker");
        report.push(diagnostic.excerpt(bad.excerpt.clone()));
    }
    for marker in markers {
        let Some(document) = graph.get(&marker.spec) else {
            report.push(
                marker_finding(
                    marker,
                    "trace-unknown-spec",
                    format!("marker points to `{}`, but no document has that id", marker.spec),
                )
                .help("fix the id, or create the spec it refers to"),
            );
            continue;
        };
        if let Some(pinned) = marker.major {
            let current = document
                .front_matter()
                .and_then(|f| f.text("version"))
                .and_then(|v| v.text.split('.').next()?.parse::<u64>().ok());
            if let Some(current) = current.filter(|current| *current > pinned) {
                report.push(
                    marker_finding(
                        marker,
                        "trace-outdated-marker",
                        format!(
                            "marker is pinned to version {pinned} of `{}`, which is now at major version {current}",
                            marker.spec
                        ),
                    )
                    .help(format!("review the test against the current spec, then change the pin to `@{current}`")),
                );
            }
        }
        if let Some(item) = &marker.item {
            if !document.body.definitions.iter().any(|d| &d.id == item) {
                report.push(
                    marker_finding(
                        marker,
                        "trace-unknown-criterion",
                        format!(
                            "marker points to `{}#{item}`, but `{}` defines no `{item}`",
                            marker.spec,
                            document.path()
                        ),
                    )
                    .help("fix the item id; `specgate trace` lists the criteria of each spec"),
                );
            }
        }
    }
}

/// Markers by what they point to, so coverage and the matrix are linear in the number of
/// criteria and markers.
struct MarkerIndex<'a> {
    verify: HashMap<&'a str, HashMap<&'a str, Vec<&'a Marker>>>,
    implement: HashMap<&'a str, Vec<&'a Marker>>,
}

impl<'a> MarkerIndex<'a> {
    fn new(markers: &'a [Marker]) -> MarkerIndex<'a> {
        let mut index = MarkerIndex { verify: HashMap::new(), implement: HashMap::new() };
        for marker in markers {
            match (marker.kind, &marker.item) {
                (MarkerKind::Verify, Some(item)) => {
                    index.verify.entry(marker.spec.as_str()).or_default().entry(item.as_str()).or_default().push(marker)
                }
                (MarkerKind::Impl, _) => index.implement.entry(marker.spec.as_str()).or_default().push(marker),
                (MarkerKind::Verify, None) => {}
            }
        }
        index
    }

    fn verifying(&self, spec: &str, item: &str) -> &[&'a Marker] {
        self.verify.get(spec).and_then(|items| items.get(item)).map_or(&[], Vec::as_slice)
    }
}

/// Criteria that no `verify` marker covers.
pub fn check_coverage(documents: &[&Document], markers: &[Marker], report: &mut Report) {
    let index = MarkerIndex::new(markers);
    for document in documents {
        let Some(id) = document.front_matter().and_then(|f| f.text("id")) else {
            continue;
        };
        for criterion in document.body.definitions.iter().filter(|d| d.kind == BodyIdKind::Criterion) {
            if index.verifying(&id.text, &criterion.id).is_empty() {
                report.push(
                    Diagnostic::new(
                        "trace-unverified-criterion",
                        document.path(),
                        criterion.position,
                        format!("no test verifies `{}#{}`", id.text, criterion.id),
                    )
                    .source(&document.source, criterion.id.len())
                    .help(format!(
                        "add a comment `spec[verify {}#{}]` to the test that checks it",
                        id.text, criterion.id
                    )),
                );
            }
        }
    }
}

/// The traceability matrix: spec -> criterion -> test cases -> verifying markers.
#[derive(Debug, Serialize)]
pub struct Matrix {
    pub specs: Vec<SpecRow>,
}

#[derive(Debug, Serialize)]
pub struct SpecRow {
    pub id: String,
    pub path: String,
    pub implemented_by: Vec<Location>,
    pub criteria: Vec<CriterionRow>,
}

#[derive(Debug, Serialize)]
pub struct CriterionRow {
    pub id: String,
    pub line: usize,
    pub test_cases: Vec<String>,
    pub verified_by: Vec<Location>,
}

#[derive(Debug, Serialize)]
pub struct Location {
    pub path: String,
    pub line: usize,
}

pub fn matrix(documents: &[&Document], markers: &[Marker]) -> Matrix {
    let index = MarkerIndex::new(markers);
    let location = |m: &Marker| Location { path: m.path.clone(), line: m.line };
    let mut specs = Vec::new();
    for document in documents {
        let Some(id) = document.front_matter().and_then(|f| f.text("id")) else {
            continue;
        };
        let criteria = document
            .body
            .definitions
            .iter()
            .filter(|d| d.kind == BodyIdKind::Criterion)
            .map(|criterion| CriterionRow {
                id: criterion.id.clone(),
                line: criterion.position.line,
                test_cases: document
                    .body
                    .test_cases
                    .iter()
                    .filter(|row| row.criteria.iter().any(|(c, _)| *c == criterion.id))
                    .map(|row| row.id.clone())
                    .collect(),
                verified_by: index.verifying(&id.text, &criterion.id).iter().map(|m| location(m)).collect(),
            })
            .collect();
        specs.push(SpecRow {
            id: id.text.clone(),
            path: document.path().to_owned(),
            implemented_by: index
                .implement
                .get(id.text.as_str())
                .map_or_else(Vec::new, |ms| ms.iter().map(|m| location(m)).collect()),
            criteria,
        });
    }
    specs.sort_by(|a, b| a.id.cmp(&b.id));
    Matrix { specs }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> (Vec<Marker>, Vec<Malformed>) {
        let (mut markers, mut malformed) = (Vec::new(), Vec::new());
        scan_markers("src/x.rs", text.as_bytes(), &mut markers, &mut malformed);
        (markers, malformed)
    }

    #[test]
    fn a_line_of_twenty_thousand_markers_keeps_columns_and_short_excerpts() {
        // Each marker used to carry a copy of its 220 KB line (8.4 GB for this line).
        // Built at run time, so the project's own gate does not read them as markers.
        let open = "spec".to_owned() + "[";
        let line =
            format!("\u{e9} {open}verfy ").repeat(10_000) + &format!("{open}impl SPEC_INFRA_001] ").repeat(10_000);
        let (markers, malformed) = scan(&format!("first\n{line}\n"));
        assert_eq!((markers.len(), malformed.len()), (10_000, 10_000));
        for (i, bad) in malformed.iter().enumerate() {
            assert_eq!((bad.line, bad.column), (2, 3 + 13 * i), "malformed {i}");
            assert!(bad.excerpt.text.len() < 300, "{:?}", bad.excerpt);
            assert!(bad.excerpt.text[..]
                .chars()
                .skip(bad.excerpt.column - 1)
                .collect::<String>()
                .starts_with(&format!("{open}verfy")));
        }
        let last = markers.last().unwrap();
        assert_eq!(last.column, 13 * 10_000 + 1 + 26 * 9_999);
        assert!(last.excerpt.text.starts_with("...") && last.excerpt.text.len() < 300);
    }

    // The markers below are assembled at run time so this file does not carry them itself.
    fn m(body: &str) -> String {
        format!("spec[{body}]")
    }

    #[test]
    fn markers_parse_with_item_and_major() {
        let text = format!(
            "// {}\n  # {} and {}\n",
            m("impl SPEC_INFRA_001"),
            m("verify SPEC_INFRA_001#CA-003"),
            m("verify SPEC_X_001#CA-001@2")
        );
        let (markers, malformed) = scan(&text);
        assert!(malformed.is_empty());
        let got: Vec<_> =
            markers.iter().map(|m| (m.kind, m.spec.as_str(), m.item.as_deref(), m.major, m.line, m.column)).collect();
        assert_eq!(
            got,
            [
                (MarkerKind::Impl, "SPEC_INFRA_001", None, None, 1, 4),
                (MarkerKind::Verify, "SPEC_INFRA_001", Some("CA-003"), None, 2, 5),
                (MarkerKind::Verify, "SPEC_X_001", Some("CA-001"), Some(2), 2, 44),
            ]
        );
    }

    #[test]
    fn quoted_markers_are_examples_and_typos_are_malformed() {
        let text = format!("write `{}` in a test\n// {}\n", m("verify SPEC_A_001#CA-001"), m("verfy SPEC_A_001"));
        let (markers, malformed) = scan(&text);
        assert!(markers.is_empty());
        assert_eq!(malformed.len(), 1);
        assert_eq!((malformed[0].line, malformed[0].column), (2, 4));
    }
}
