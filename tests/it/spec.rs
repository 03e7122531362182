//! `specgate check spec` and `specgate trace` over real files in temporary git repositories.
//!
//! spec[verify SPEC_INFRA_001#CA-009]

use crate::common::{findings, TestContext};

/// The sections the default schema requires of a specification, as in the team's template.
const SECTIONS: &str = "## Metadata\n\n## Trazabilidad\n\n## 1. Resumen Ejecutivo\n\n## 2. Contexto y Motivación\n\n\
## 3. Requisitos Funcionales\n\n### 3.1 Casos de Uso\n\n#### UC-1: Usar\n\n### 3.2 Reglas de Negocio\n\n\
| ID | Regla |\n|----|-------|\n| BR-001 | Una regla |\n\n### 3.3 Criterios de Aceptación\n\n{CRITERIA}\n\
## 4. Requisitos No Funcionales\n\n## 5. Diseño de Solución\n\n## 6. Dependencias\n\n## 7. Plan de Testing\n\n\
### 7.2 Casos de Prueba\n\n| ID | Descripción | Criterio Aceptación |\n|----|----|----|\n{CASES}\n\
## 10. Riesgos e Impacto\n\n## 14. Historial de Cambios\n";

const CRITERION: &str = "**CA-001**: Algo funciona\n```gherkin\nGiven un estado\nWhen hago algo\nThen pasa algo\n```\n";

fn front(id: &str, tipo: &str, related: &str) -> String {
    format!(
        "---\nid: {id}\ntipo: {tipo}\ncategoria: infraestructura\nversion: 1.0.0\nfecha_creacion: 2025-11-06\npropietario: equipo\nrelacionados: [{related}]\n---\n"
    )
}

fn spec(id: &str, related: &str, criteria: &str, cases: &str) -> String {
    format!(
        "{}\n# {id}\n\n{}",
        front(id, "especificacion", related),
        SECTIONS.replace("{CRITERIA}", criteria).replace("{CASES}", cases)
    )
}

/// A repository with one valid spec, one ADR and a test that verifies the criterion.
fn valid_repo() -> TestContext {
    let ctx = TestContext::new();
    ctx.write(
        "specs/SPEC_DEMO_001.md",
        spec("SPEC_DEMO_001", "\"ADR_001\"", CRITERION, "| CP-001 | Prueba | CA-001 |"),
    );
    ctx.write(
        "docs/adr/ADR_001.md",
        format!("{}\n# ADR_001\n\nDecisión sobre SPEC_DEMO_001.\n", front("ADR_001", "adr", "\"SPEC_DEMO_001\"")),
    );
    ctx.write(
        "tests/demo_test.py",
        format!("# spec[{} SPEC_DEMO_001#CA-001]\ndef test_x():\n    assert True\n", "verify"),
    );
    ctx.commit("initial");
    ctx
}

#[test]
fn clean_repository_passes_with_no_findings() {
    let ctx = valid_repo();
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(findings(&report), vec![], "{report:#}");
    assert_eq!(code, 0);
    // The bare `check` runs the same checks on the whole repository.
    let run = ctx.run(&["check"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("ok: 0 errors, 0 warnings"), "{run}");
}

#[test]
fn front_matter_schema_errors_point_at_their_lines() {
    let ctx = valid_repo();
    ctx.write(
        "specs/SPEC_DEMO_002.md",
        "---\nid: SPEC_DEMO_002\ntipo: especificacion\ncategoria: infraestructura\nversion: 1.10\nfecha_creacion: 2025-13-01\nrelacionados: [\"ADR_404\"]\n---\n# x\n",
    );
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(code, 1);
    let got = findings(&report);
    let path = "specs/SPEC_DEMO_002.md".to_owned();
    for expected in [
        ("spec-field-type".to_owned(), path.clone(), 5),
        ("spec-field-type".to_owned(), path.clone(), 6),
        ("link-unresolved".to_owned(), path.clone(), 7),
        ("spec-missing-field".to_owned(), path.clone(), 1),
        ("spec-missing-section".to_owned(), path.clone(), 1),
    ] {
        assert!(got.contains(&expected), "missing {expected:?} in {got:?}");
    }
    // `version: 1.10` is reported as written, not as the float 1.1.
    let messages: Vec<&str> =
        report["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(messages.iter().any(|m| m.contains("`1.10`")), "{messages:?}");
    assert!(messages.iter().any(|m| m.contains("no `propietario` field")), "{messages:?}");
}

#[test]
fn human_output_shows_the_source_line_and_help() {
    let ctx = valid_repo();
    ctx.write(
        "docs/adr/ADR_002.md",
        format!("{}\n# ADR_002\n", front("ADR_002", "adr", "\"ADR_001\", \"PLAN-X-404\"")),
    );
    let run = ctx.run(&["check", "spec"]);
    insta::assert_snapshot!(run.to_string(), @r#"
    exit: 1
    --- stdout
    --- stderr
    docs/adr/ADR_002.md:8:28: error[link-unresolved]: `relacionados` names `PLAN-X-404`, but no document has that id
      |
    8 | relacionados: ["ADR_001", "PLAN-X-404"]
      |                            ^^^^^^^^^^
      = help: create the document, or fix the id; ids are case-sensitive and match the file name

    note: spec: 3 documents checked, 1 marker
    failed: 1 error, 0 warnings
    "#);
}

#[test]
fn ids_are_checked_for_format_file_name_and_uniqueness() {
    let ctx = valid_repo();
    ctx.write("docs/adr/ADR_1.md", format!("{}\n# x\n", front("ADR_1", "adr", "")));
    ctx.write("docs/other/ADR_001.md", format!("{}\n# x\n", front("ADR_001", "adr", "")));
    ctx.write("docs/adr/ADR_003.md", format!("{}\n# x\n", front("ADR_004", "adr", "")));
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(code, 1);
    let got = findings(&report);
    assert!(got.contains(&("spec-id-format".into(), "docs/adr/ADR_1.md".into(), 2)), "{got:?}");
    assert!(got.contains(&("spec-id-filename".into(), "docs/adr/ADR_003.md".into(), 2)), "{got:?}");
    // A duplicate names both files, each pointing at the other.
    let duplicates: Vec<_> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "spec-id-duplicate")
        .map(|f| (f["path"].as_str().unwrap().to_owned(), f["message"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(duplicates.len(), 2, "{duplicates:?}");
    assert!(duplicates[0].1.contains("docs/other/ADR_001.md") || duplicates[1].1.contains("docs/other/ADR_001.md"));
    assert!(duplicates
        .iter()
        .any(|(path, message)| path == "docs/other/ADR_001.md" && message.contains("docs/adr/ADR_001.md")));
}

#[test]
fn unknown_tipo_and_misplaced_or_unclosed_front_matter() {
    let ctx = valid_repo();
    ctx.write("specs/X_001.md", "---\nid: X_001\ntipo: receta\n---\n");
    ctx.write("specs/Y.md", "---\nid: Y\ntipo: adr\n");
    ctx.write("specs/Z.md", "# Titulo\n\n---\nid: Z\ntipo: adr\n---\n");
    ctx.write("specs/EMPTY.md", "");
    let (_, report) = ctx.json(&["check", "spec", "--format", "json"]);
    let got = findings(&report);
    assert!(got.contains(&("spec-unknown-tipo".into(), "specs/X_001.md".into(), 3)), "{got:?}");
    assert!(got.contains(&("spec-front-matter-unclosed".into(), "specs/Y.md".into(), 1)), "{got:?}");
    assert!(got.contains(&("spec-front-matter-misplaced".into(), "specs/Z.md".into(), 3)), "{got:?}");
    assert!(got.contains(&("spec-front-matter-missing".into(), "specs/EMPTY.md".into(), 1)), "{got:?}");
}

#[test]
fn yaml_errors_are_reported_at_their_line_in_the_markdown_file() {
    let ctx = valid_repo();
    // Line 4 of the file is the tab-indented key; line 3 the duplicate key.
    ctx.write("specs/TAB.md", "---\nid: TAB\nmapa:\n\tclave: 1\n---\n");
    ctx.write("specs/DUP.md", "---\nid: DUP\nid: DUP2\n---\n");
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(code, 1);
    let got = findings(&report);
    assert!(got.contains(&("spec-yaml-invalid".into(), "specs/TAB.md".into(), 4)), "{got:?}");
    assert!(got.contains(&("spec-yaml-invalid".into(), "specs/DUP.md".into(), 3)), "{got:?}");
}

#[test]
fn hostile_inputs_give_findings_not_crashes() {
    let ctx = valid_repo();
    ctx.write("specs/LATIN1.md", b"---\nid: LATIN1\n---\nacci\xf3n\n".as_slice());
    // Alias expansion would need 9^9 items; it must be recorded, not expanded.
    let mut bomb = String::from("---\nid: BOMB\na: &a [x, x, x, x, x, x, x, x, x]\n");
    let names = ["b", "c", "d", "e", "f", "g", "h", "i"];
    for (i, name) in names.iter().enumerate() {
        let prev = if i == 0 { "a" } else { names[i - 1] };
        bomb.push_str(&format!(
            "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        ));
    }
    bomb.push_str("---\n");
    ctx.write("specs/BOMB.md", bomb);
    ctx.write("specs/DEEP.md", format!("---\nid: DEEP\nx: {}{}\n---\n", "[".repeat(5000), "]".repeat(5000)));
    std::os::unix::fs::symlink("LOOP.md", ctx.path("specs/LOOP.md")).unwrap();
    let run = ctx.run(&["check", "spec", "--format", "json"]);
    assert_eq!(run.code, 1, "{run}");
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let got = findings(&report);
    assert!(got.contains(&("spec-not-utf8".into(), "specs/LATIN1.md".into(), 4)), "{got:?}");
    assert!(got.contains(&("spec-yaml-invalid".into(), "specs/DEEP.md".into(), 3)), "{got:?}");
    assert!(got.contains(&("spec-unreadable".into(), "specs/LOOP.md".into(), 1)), "{got:?}");
    assert!(got.iter().any(|(code, path, _)| path == "specs/BOMB.md" && code != "spec-yaml-invalid"), "{got:?}");
}

#[test]
fn oversized_document_is_skipped_with_a_warning() {
    let ctx = valid_repo();
    ctx.write("specgate.toml", "[spec]\nmax-document-bytes = 1000\n");
    ctx.write("docs/BIG.md", "x".repeat(5000));
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(findings(&report), vec![("spec-too-large".into(), "docs/BIG.md".into(), 1)]);
    assert_eq!(report["findings"][0]["severity"], "warning");

    // A 50 MB document under the default limit of 8 MiB: a warning, and it is never read.
    std::fs::remove_file(ctx.path("specgate.toml")).unwrap();
    let big = std::fs::File::create(ctx.path("specs/HUGE.md")).unwrap();
    big.set_len(50 * 1024 * 1024).unwrap();
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(code, 0, "{report:#}");
    assert!(findings(&report).contains(&("spec-too-large".into(), "specs/HUGE.md".into(), 1)));
}

#[test]
fn spec_bodies_need_gherkin_and_test_case_coverage() {
    let ctx = valid_repo();
    let criteria = "**CA-001**: Sin gherkin\n\n**CA-002**: Incompleto\n```gherkin\nGiven algo\nThen otra cosa\n```\n\n**CA-003**: Sin prueba\n```gherkin\n# language: es\nDado algo\nCuando pasa\nEntonces ocurre\n```\n\n**CA-002**: Repetido\n```gherkin\nGiven a\nWhen b\nThen c\n```\n";
    let cases = "| CP-001 | a | CA-001 |\n| CP-002 | b | CA-002 |\n| CP-003 | c | CA-009 |\n| CP-004 | d | N/A |";
    ctx.write("specs/SPEC_DEMO_002.md", spec("SPEC_DEMO_002", "", criteria, cases));
    let (code, report) = ctx.json(&["check", "spec", "specs/SPEC_DEMO_002.md", "--format", "json"]);
    assert_eq!(code, 1);
    let codes: Vec<String> = findings(&report).into_iter().map(|(code, _, _)| code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "spec-body-id-duplicate",
            "spec-criterion-incomplete-gherkin",
            "spec-criterion-no-gherkin",
            "spec-criterion-untested",
            "spec-test-case-unknown-criterion",
            "spec-test-case-without-criterion",
        ],
        "{report:#}"
    );
}

#[test]
fn markers_must_point_to_existing_specs_and_criteria() {
    let ctx = valid_repo();
    let (verify, typo) = ("verify", "verfy");
    ctx.write(
        "src/lib.rs",
        format!("// spec[{verify} SPEC_DEMO_001#CA-404]\n// spec[{verify} SPEC_NOPE_001]\n// spec[{typo} SPEC_DEMO_001]\n/// `spec[{verify} SPEC_NOPE_002]` is an example\n"),
    );
    ctx.commit("markers");
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(
        findings(&report),
        vec![
            ("trace-unknown-criterion".into(), "src/lib.rs".into(), 1),
            ("trace-unknown-spec".into(), "src/lib.rs".into(), 2),
            ("trace-malformed-marker".into(), "src/lib.rs".into(), 3),
        ]
    );
}

#[test]
fn unverified_criteria_warn_and_deny_turns_them_into_errors() {
    let ctx = valid_repo();
    std::fs::remove_file(ctx.path("tests/demo_test.py")).unwrap();
    ctx.commit("drop the test");
    let (code, report) = ctx.json(&["check", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(findings(&report), vec![("trace-unverified-criterion".into(), "specs/SPEC_DEMO_001.md".into(), 35)]);
    assert_eq!(report["findings"][0]["severity"], "warning");
    let (code, _) = ctx.json(&["check", "--format", "json", "--deny", "trace-unverified-criterion"]);
    assert_eq!(code, 1);
    // The same through the configuration file.
    ctx.write("specgate.toml", "[severity]\ntrace-unverified-criterion = \"allow\"\n");
    let (code, report) = ctx.json(&["check", "--format", "json"]);
    assert_eq!((code, findings(&report)), (0, vec![]));
}

#[test]
fn components_must_name_their_spec() {
    let ctx = valid_repo();
    ctx.write("vagrant/Vagrantfile", "# builds CPython\n");
    ctx.commit("vagrant");
    let (code, report) = ctx.json(&["check", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report), vec![("spec-component-untraced".into(), "vagrant/".into(), 1)]);
    ctx.write("vagrant/Vagrantfile", "# builds CPython (SPEC_DEMO_001)\n");
    let (code, _) = ctx.json(&["check", "--format", "json"]);
    assert_eq!(code, 0);
}

#[test]
fn explicit_paths_limit_findings_but_links_use_the_whole_repository() {
    let ctx = valid_repo();
    ctx.write("specs/BAD.md", "no front matter\n");
    // The ADR links to the spec, which is not among the given paths: still resolves.
    let (code, report) = ctx.json(&["check", "spec", "docs/adr/ADR_001.md", "--format", "json"]);
    assert_eq!((code, findings(&report)), (0, vec![]));
    let run = ctx.run(&["check", "spec", "specs/NOPE.md"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("`specs/NOPE.md` does not exist"), "{run}");
}

#[test]
fn untracked_new_documents_are_checked_before_git_add() {
    let ctx = valid_repo();
    ctx.write("docs/adr/ADR_005.md", "---\nid: ADR_005\ntipo: adr\n---\n");
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(code, 1);
    assert!(findings(&report).iter().all(|(_, path, _)| path == "docs/adr/ADR_005.md"));
}

#[test]
fn works_outside_git() {
    let ctx = TestContext::without_git();
    ctx.write("specs/ADR_001.md", format!("{}\n# x\n", front("ADR_001", "adr", "\"ADR_404\"")));
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!((code, findings(&report)), (1, vec![("link-unresolved".into(), "specs/ADR_001.md".into(), 8)]));
}

#[test]
fn bad_configuration_is_an_error_with_its_line() {
    let ctx = valid_repo();
    ctx.write("specgate.toml", "[spec]\nroots = [\"docs\"]\nrequire-frontmatter = [\"specs\"]\n");
    let run = ctx.run(&["check", "spec"]);
    assert_eq!(run.code, 2, "{run}");
    insta::assert_snapshot!(run.stderr, @r"
    error: `[REPO]/specgate.toml:3:1`: unknown field `require-frontmatter`, expected one of `roots`, `require-front-matter`, `exclude`, `components`, `max-document-bytes`, `fields`, `types`
    hint: fix the key or value named above; docs/configuration.md lists every key and its default
    ");
}

#[test]
fn configured_schema_changes_required_fields_and_id_patterns() {
    let ctx = valid_repo();
    ctx.write(
        "specgate.toml",
        "[spec.types.runbook]\nid-pattern = '^RB-[0-9]{2}$'\nrequired = [\"id\", \"tipo\", \"responsable\"]\n",
    );
    ctx.write("docs/RB-01.md", "---\nid: RB-01\ntipo: runbook\n---\n");
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(findings(&report), vec![("spec-missing-field".into(), "docs/RB-01.md".into(), 1)]);
    assert!(report["findings"][0]["message"].as_str().unwrap().contains("responsable"));
}

#[test]
fn sarif_output_is_version_2_1_0_with_rules_and_locations() {
    let ctx = valid_repo();
    ctx.write(
        "specs/SPEC_DEMO_001.md",
        spec("SPEC_DEMO_001", "\"ADR_404\"", CRITERION, "| CP-001 | Prueba | CA-001 |"),
    );
    let (code, sarif) = ctx.json(&["check", "spec", "--format", "sarif"]);
    assert_eq!(code, 1);
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "specgate");
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "link-unresolved");
    // No placeholder home: the optional informationUri and helpUri are left out.
    assert!(run["tool"]["driver"].get("informationUri").is_none(), "{sarif}");
    assert!(run["tool"]["driver"]["rules"][0].get("helpUri").is_none(), "{sarif}");
    assert!(run["tool"]["driver"]["rules"][0]["help"]["text"].as_str().unwrap().contains("docs/diagnostics.md"));
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "link-unresolved");
    assert_eq!(result["level"], "error");
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "specs/SPEC_DEMO_001.md");
    assert_eq!(location["region"]["startLine"], 8);
}

#[test]
fn json_output_snapshot() {
    let ctx = valid_repo();
    ctx.write("docs/adr/ADR_002.md", "---\nid: ADR_002\ntipo: adr\ncategoria: x\nversion: 1.0\nfecha_creacion: 2025-11-06\npropietario: p\nrelacionados: []\n---\nVer ADR_077.\n");
    let run = ctx.run(&["check", "spec", "--format", "json"]);
    insta::assert_snapshot!(run.stdout, @r#"
    {
      "findings": [
        {
          "code": "spec-field-type",
          "severity": "error",
          "path": "docs/adr/ADR_002.md",
          "line": 5,
          "column": 10,
          "message": "`version` is `1.0`, which is not a semantic version",
          "help": "write the version as MAJOR.MINOR.PATCH, for example `1.0.0`; note that other YAML tools read a plain `1.0` as a number, so quote versions"
        },
        {
          "code": "link-unresolved-body",
          "severity": "warning",
          "path": "docs/adr/ADR_002.md",
          "line": 10,
          "column": 5,
          "message": "`ADR_077` is mentioned but no document has that id",
          "help": "create the document with that id, or fix the id if it is misspelled"
        }
      ],
      "skipped": [],
      "summary": {
        "errors": 1,
        "warnings": 1
      }
    }
    "#);
}

#[test]
fn trace_prints_the_matrix_in_human_and_json() {
    let ctx = valid_repo();
    let run = ctx.run(&["trace"]);
    assert_eq!(run.code, 0);
    insta::assert_snapshot!(run.stdout, @r"
    SPEC_DEMO_001 (specs/SPEC_DEMO_001.md)
      CA-001 (line 35) -> CP-001
        verified by tests/demo_test.py:1
    ");
    let (_, matrix) = ctx.json(&["trace", "--format", "json"]);
    assert_eq!(matrix["specs"][0]["criteria"][0]["test_cases"][0], "CP-001");
    assert_eq!(matrix["specs"][0]["criteria"][0]["verified_by"][0]["path"], "tests/demo_test.py");
}

/// A fixture in the seed's own format: its front-matter and its test-case table, including
/// the row that names no criterion (`N/A`).
#[test]
fn seed_format_fixture_is_understood() {
    let ctx = valid_repo();
    let fixture =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/seed-format/SPEC_INFRA_001.md"))
            .unwrap();
    ctx.write("docs/specs/SPEC_INFRA_001.md", fixture);
    ctx.write("docs/adr/ADR_008.md", format!("{}\n", front("ADR_008", "adr", "")));
    ctx.write("docs/adr/ADR_009.md", format!("{}\n", front("ADR_009", "adr", "")));
    ctx.write("docs/plans/PLAN-INFRA-001.md", format!("{}\n", front("PLAN-INFRA-001", "plan", "")));
    let (code, report) = ctx.json(&["check", "spec", "docs/specs/SPEC_INFRA_001.md", "--format", "json"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        findings(&report),
        vec![
            ("link-unresolved-body".into(), "docs/specs/SPEC_INFRA_001.md".into(), 24),
            ("spec-test-case-without-criterion".into(), "docs/specs/SPEC_INFRA_001.md".into(), 123),
        ]
    );
    let (_, matrix) = ctx.json(&["trace", "--format", "json"]);
    let spec = matrix["specs"].as_array().unwrap().iter().find(|s| s["id"] == "SPEC_INFRA_001").unwrap().clone();
    let ca002: Vec<&str> =
        spec["criteria"][1]["test_cases"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(ca002, ["CP-002", "CP-005", "CP-006"]);
}

#[test]
fn a_configured_root_that_holds_nothing_is_an_error_not_a_silent_pass() {
    let ctx = TestContext::new();
    ctx.write("specs/SPEC_DEMO_001.md", "---\nid: SPEC_DEMO_001\n---\n");
    ctx.write("specgate.toml", "[spec]\n# a typo\nroots = [\"spces\", \"docs\"]\n");
    ctx.commit("start");
    let checked = ctx.run(&["check", "spec"]);
    assert_eq!(checked.code, 1, "{checked}");
    assert!(
        checked.stderr.contains(
            "specgate.toml:3:10: error[spec-root-empty]: `[spec] roots` names `spces`, which holds no file: nothing there is checked"
        ),
        "{checked}"
    );
    // `docs` is written in the file too, and holds nothing here either.
    assert!(checked.stderr.contains("names `docs`, which holds no file"), "{checked}");
    // The right name: the document is checked (and its missing fields found), no empty root.
    ctx.write("specgate.toml", "[spec]\nroots = [\"specs\"]\n");
    let checked = ctx.run(&["check", "spec"]);
    assert!(!checked.stderr.contains("spec-root-empty"), "{checked}");
    assert!(checked.stderr.contains("spec-missing-field"), "{checked}");
    // The defaults may be absent: a repository without docs/ or specs/ is not an error.
    let plain = TestContext::new();
    plain.write("README.md", "x\n");
    plain.commit("start");
    let checked = plain.run(&["check", "spec"]);
    assert!(!checked.stderr.contains("spec-root-empty"), "{checked}");
}
