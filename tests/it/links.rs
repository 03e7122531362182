//! Link checking (issue 17): `check spec` checks the links of governed documents, `check links`
//! those of every Markdown file, against the snapshot being checked; the pre-push hook refuses
//! a pushed commit that adds a broken link.
//!
//! spec[verify SPEC_INFRA_001#CA-009]

use crate::common::{findings, TestContext};

fn front(id: &str, tipo: &str) -> String {
    format!(
        "---\nid: {id}\ntipo: {tipo}\ncategoria: x\nversion: 1.0.0\nfecha_creacion: 2025-11-06\npropietario: p\nrelacionados: []\n---\n"
    )
}

/// A repository with an ADR and a plan whose headings links may point to.
fn repo() -> TestContext {
    let ctx = TestContext::new();
    ctx.write(
        "docs/plans/PLAN-INFRA-001.md",
        format!(
            "{}\n# Plan\n\n## 3.3 Criterios de Aceptación\n\n## Notas\n\n## Notas\n\n<a id=\"ancla\"></a>\n",
            front("PLAN-INFRA-001", "plan")
        ),
    );
    ctx.write("src/tool.py", "uno\ndos\ntres\n");
    ctx.write("README.md", "# Demo\n");
    ctx
}

fn adr(body: &str) -> String {
    format!("{}\n# ADR\n\n{body}", front("ADR_001", "adr"))
}

#[test]
fn good_links_of_every_kind_pass() {
    let ctx = repo();
    ctx.write(
        "docs/adr/ADR_001.md",
        adr(concat!(
            "Ver [el plan](../plans/PLAN-INFRA-001.md), [criterios](../plans/PLAN-INFRA-001.md#33-criterios-de-aceptación),\n",
            "[codificado](../plans/PLAN-INFRA-001.md#33-criterios-de-aceptaci%C3%B3n), [notas](/docs/plans/PLAN-INFRA-001.md#notas-1),\n",
            "[ancla](../plans/PLAN-INFRA-001.md#ancla), [aquí](#adr), [carpeta](../plans/), [raíz](../../README.md),\n",
            "[líneas](../../src/tool.py#L2-L3), ![imagen](../../src/tool.py), [ref][plan], <https://example.com/x>,\n",
            "[correo](mailto:equipo@example.com).\n\n",
            "[plan]: ../plans/PLAN-INFRA-001.md#plan\n",
        )),
    );
    ctx.commit("docs");
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(findings(&report), vec![], "{report:#}");
    assert_eq!(code, 0);
    let run = ctx.run(&["check", "spec"]);
    assert!(run.stderr.contains("note: spec: 2 documents checked, 0 markers, 13 links"), "{run}");
}

#[test]
fn broken_links_are_findings_at_their_line_and_column() {
    let ctx = repo();
    ctx.write(
        "docs/adr/ADR_001.md",
        adr(concat!(
            "Ver [el plan](../plans/PLAN-INFRA-999.md) y\n",
            "[x](../plans/PLAN-INFRA-001.md#no-existe), [y](#tampoco), ![img](falta.png)\n",
            "[z](../../src/tool.py#L4) [fuera](../../../x.md) [ref][r]\n\n",
            "[r]: ../nada/\n",
        )),
    );
    ctx.commit("docs");
    let (code, report) = ctx.json(&["check", "spec", "--format", "json"]);
    assert_eq!(code, 1, "{report:#}");
    let got = crate::common::findings_at(&report);
    assert_eq!(
        got,
        [
            ("link-broken".to_owned(), 13, 5),
            ("link-broken-anchor".to_owned(), 14, 1),
            ("link-broken-anchor".to_owned(), 14, 44),
            ("link-broken".to_owned(), 14, 59),
            ("link-broken-anchor".to_owned(), 15, 1),
            ("link-broken".to_owned(), 15, 27),
            ("link-broken".to_owned(), 15, 50),
        ],
        "{report:#}"
    );
    let messages: Vec<&str> =
        report["findings"].as_array().unwrap().iter().map(|f| f["message"].as_str().unwrap()).collect();
    assert!(messages[0].contains("`docs/plans/PLAN-INFRA-999.md` does not exist"), "{messages:?}");
    assert!(
        messages[1].contains("`docs/plans/PLAN-INFRA-001.md` has no heading or anchor `#no-existe`"),
        "{messages:?}"
    );
    assert!(messages[4].contains("`src/tool.py` has 3 lines; `#L4` points past its end"), "{messages:?}");
    assert!(messages[5].contains("leaves the repository"), "{messages:?}");
    // The id-shaped mention in the link's destination is no longer a `link-unresolved-body`.
    assert!(!got.iter().any(|(code, _, _)| code == "link-unresolved-body"));

    // SARIF carries the new codes as rules.
    let run = ctx.run(&["check", "spec", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let rules: Vec<&str> =
        sarif["runs"][0]["results"].as_array().unwrap().iter().map(|r| r["ruleId"].as_str().unwrap()).collect();
    assert!(rules.contains(&"link-broken") && rules.contains(&"link-broken-anchor"), "{rules:?}");
}

#[test]
fn human_output_points_at_the_link() {
    let ctx = repo();
    ctx.write("docs/adr/ADR_001.md", adr("Ver [x](../plans/PLAN-INFRA-001.md#criterios-de-aceptacion).\n"));
    ctx.commit("docs");
    let run = ctx.run(&["check", "spec"]);
    insta::assert_snapshot!(run.to_string(), @r#"
    exit: 1
    --- stdout
    --- stderr
    docs/adr/ADR_001.md:13:5: error[link-broken-anchor]: `docs/plans/PLAN-INFRA-001.md` has no heading or anchor `#criterios-de-aceptacion`
       |
    13 | Ver [x](../plans/PLAN-INFRA-001.md#criterios-de-aceptacion).
       |     ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
      = help: did you mean `#33-criterios-de-aceptación`? GitHub makes a heading's anchor from its text: lowercase, punctuation removed, each space a `-`, accents kept (`## 3.3 Criterios de Aceptación` is `#33-criterios-de-aceptación`); a repeated heading gets `-1`, `-2`

    note: spec: 2 documents checked, 0 markers, 1 link
    failed: 1 error, 0 warnings
    "#);
}

#[test]
fn check_links_covers_the_rest_of_the_markdown_and_reads_the_snapshot() {
    let ctx = repo();
    ctx.write("README.md", "# Demo\n\nVer [guía](docs/guia.md) y [plan](docs/plans/PLAN-INFRA-001.md#notas).\n");
    ctx.write("feature/x/README.md", "[arriba](../../README.md#demo) [mal](../../README.md#nada)\n");
    ctx.write("tests/fixtures/roto.md", "[roto](nada.md)\n");
    ctx.write("specgate.toml", "[links]\nexclude-paths = [\"tests/fixtures/**\"]\n");
    ctx.commit("docs");
    // docs/guia.md exists on disk but is neither committed nor staged, and lies outside the
    // document roots: not part of the snapshot.
    ctx.write("notes/guia.md", "x\n");
    let (code, report) = ctx.json(&["check", "links", "--format", "json"]);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        findings(&report),
        vec![
            ("link-broken".into(), "README.md".into(), 3),
            ("link-broken-anchor".into(), "feature/x/README.md".into(), 1),
        ]
    );
    // The bare `check` runs the same link check (and `check spec` the governed documents').
    let (code, report) = ctx.json(&["check", "--format", "json"]);
    assert_eq!(code, 1);
    let codes: Vec<String> = findings(&report).into_iter().map(|(code, _, _)| code).collect();
    assert_eq!(codes.iter().filter(|c| c.starts_with("link-broken")).count(), 2, "{report:#}");
    let run = ctx.run(&["check", "links"]);
    assert!(run.stderr.contains("note: links: 4 links checked in 3 files"), "{run}");
}

#[test]
fn a_staged_file_satisfies_a_link_in_the_pre_commit_snapshot() {
    let ctx = repo();
    ctx.commit("initial");
    ctx.write("README.md", "[nuevo](docs/nuevo.md)\n");
    ctx.git(&["add", "README.md"]);
    // Not staged yet: the commit would carry a broken link.
    ctx.write("docs/nuevo.md", "# Nuevo\n");
    let run = ctx.run(&["hook", "pre-commit"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("error[link-broken]"), "{run}");
    ctx.git(&["add", "docs/nuevo.md"]);
    let run = ctx.run(&["hook", "pre-commit"]);
    assert_eq!(run.code, 0, "{run}");
}

/// `git push` with the installed hooks to a real bare remote: a pushed commit that adds a broken
/// link is refused, and the remote does not move; the fix is accepted.
#[test]
fn a_push_that_adds_a_broken_link_is_refused() {
    let ctx = repo();
    ctx.commit("initial");
    ctx.add_bare_remote();
    ctx.git(&["push", "-q", "origin", "main"]);
    let run = ctx.run(&["hooks", "install", "--binary", env!("CARGO_BIN_EXE_specgate")]);
    assert_eq!(run.code, 0, "{run}");

    ctx.write("docs/guide.md", "# Guía\n\nVer [el plan](plans/PLAN-INFRA-001.md#no-existe).\n");
    ctx.write("README.md", "# Demo\n\n[guía](docs/guia.md)\n");
    ctx.commit("docs with broken links");
    let push = |ctx: &TestContext| {
        let mut command = std::process::Command::new("git");
        command
            .args(["push", "origin", "main"])
            .current_dir(ctx.root())
            .env("HOME", ctx.home())
            .env("GIT_CONFIG_NOSYSTEM", "1");
        for (key, _) in std::env::vars() {
            if key.starts_with("SPECGATE_") {
                command.env_remove(key);
            }
        }
        let output = command.output().unwrap();
        (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
    };
    let (ok, stderr) = push(&ctx);
    assert!(!ok, "push was accepted:\n{stderr}");
    assert!(stderr.contains("docs/guide.md:3:5: error[link-broken-anchor]"), "{stderr}");
    assert!(stderr.contains("README.md:3:1: error[link-broken]"), "{stderr}");
    assert!(stderr.contains("push refused: 2 errors"), "{stderr}");
    let remote_tip = ctx.git(&["rev-parse", "origin/main"]);
    assert_eq!(remote_tip, ctx.git(&["rev-parse", "HEAD~1"]));

    // Deleting a file that an unchanged document links to breaks that link too.
    ctx.write("docs/guide.md", "# Guía\n\nVer [el plan](plans/PLAN-INFRA-001.md#notas).\n");
    ctx.write("README.md", "# Demo\n\n[guía](docs/guide.md)\n");
    ctx.commit("fix");
    let (ok, stderr) = push(&ctx);
    assert!(ok, "{stderr}");
    std::fs::remove_file(ctx.path("docs/guide.md")).unwrap();
    ctx.commit("remove the guide");
    let (ok, stderr) = push(&ctx);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("README.md:3:1: error[link-broken]"), "{stderr}");
}

/// `check links --remote` against the loopback server: each URL once, HEAD then GET, redirect
/// chains, 429 with `Retry-After`, a timeout, and `[links] exclude`; without `--remote`, nothing
/// is requested.
#[test]
fn remote_links_are_requested_once_each_only_with_remote() {
    use crate::httpserver::{Fault, Server};
    use std::time::Duration;

    let server = Server::start();
    for path in ["/ok", "/a", "/b", "/c", "/moved", "/limited", "/head-refused", "/slow", "/skip"] {
        server.put(path, b"page".to_vec());
    }
    let url = &server.url;
    server.faults("/a", vec![Fault::Redirect(format!("{url}/b"))]);
    server.faults("/b", vec![Fault::Redirect(format!("{url}/c"))]);
    // Twice: HEAD ends at a 404, so GET asks again.
    server.faults("/moved", vec![Fault::Redirect(format!("{url}/gone")); 2]);
    server.faults("/limited", vec![Fault::StatusWith(429, vec![("Retry-After", "1".to_owned())])]);
    server.faults("/head-refused", vec![Fault::Status(405)]);
    server.faults("/slow", vec![Fault::Stall(Duration::from_secs(3)); 3]);

    let ctx = TestContext::new();
    ctx.write(
        "README.md",
        format!(
            "# Demo\n\n[ok]({url}/ok) [ok otra vez]({url}/ok#seccion) <{url}/missing>\n\
             [cadena]({url}/a) [movida]({url}/moved) [limitada]({url}/limited)\n\
             [sin head]({url}/head-refused) [lenta]({url}/slow) [excluida]({url}/skip)\n"
        ),
    );
    ctx.write("specgate.toml", "[links]\nexclude = ['/skip$']\ntimeout-seconds = 1\nconcurrency = 4\n");
    ctx.commit("readme");

    let run = ctx.run(&["check", "links"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("9 links checked in 1 file; 8 external URLs not requested (use `--remote`)"), "{run}");
    assert!(server.log().is_empty(), "nothing is requested without --remote");

    let (code, report) = ctx.json(&["check", "links", "--remote", "--format", "json"]);
    assert_eq!(code, 1, "{report:#}");
    // Columns depend on the server's port; each finding starts where its link does.
    let readme = std::fs::read_to_string(ctx.path("README.md")).unwrap();
    let column = |line: usize, text: &str| readme.lines().nth(line - 1).unwrap().find(text).unwrap() as u64 + 1;
    let got = crate::common::findings_at(&report);
    assert_eq!(
        got,
        [
            ("link-remote-broken".to_owned(), 3, column(3, "<http")),
            ("link-remote-broken".to_owned(), 4, column(4, "[movida]")),
            ("link-remote-unreachable".to_owned(), 5, column(5, "[lenta]")),
        ],
        "{report:#}"
    );
    assert_eq!(report["findings"][1]["message"], format!("`{url}/moved` answered HTTP 404"));
    assert_eq!(report["findings"][2]["severity"], "warning");
    // One request per URL, whatever the number of links to it; the fragment is not sent.
    assert_eq!(server.hits("/ok"), 1);
    assert_eq!(server.hits("/skip"), 0);
    let methods =
        |path: &str| server.log().iter().filter(|l| l.path == path).map(|l| l.method.clone()).collect::<Vec<_>>();
    assert_eq!(methods("/head-refused"), ["HEAD", "GET"]);
    assert_eq!(methods("/limited"), ["HEAD", "HEAD"]);
    assert_eq!(methods("/moved"), ["HEAD", "GET"]);
    assert_eq!((server.hits("/b"), server.hits("/c")), (1, 1));
    assert_eq!(server.hits("/slow"), 3);
}
