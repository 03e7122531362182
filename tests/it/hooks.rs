//! The git hooks through git itself: a real bare remote, `specgate hooks install`, and real
//! `git push` / `git commit` runs that the installed shims accept or refuse.
//!
//! spec[verify SPEC_INFRA_001#CA-006]

use std::process::Output;

use crate::common::TestContext;

const SPEC_FRONT: &str = "---\nid: SPEC_DEMO_001\ntipo: especificacion\ncategoria: demo\nversion: 1.0.0\nfecha_creacion: 2025-11-06\npropietario: equipo\nrelacionados: []\n---\n";

/// A valid specification with every section of the default template.
fn valid_spec(version: &str, criterion_text: &str) -> String {
    let front = SPEC_FRONT.replace("version: 1.0.0", &format!("version: {version}"));
    format!(
        "{front}\n## Metadata\n\n## Trazabilidad\n\n## Resumen Ejecutivo\n\n## Contexto y Motivación\n\n## Requisitos Funcionales\n\n### Casos de Uso\n\n### Reglas de Negocio\n\n### Criterios de Aceptación\n\n**CA-001**: {criterion_text}\n```gherkin\nGiven a\nWhen b\nThen c\n```\n\n## Requisitos No Funcionales\n\n## Diseño de Solución\n\n## Dependencias\n\n## Plan de Testing\n\n### Casos de Prueba\n\n| ID | Descripción | Criterio |\n|----|----|----|\n| CP-001 | x | CA-001 |\n\n## Riesgos e Impacto\n\n## Historial de Cambios\n"
    )
}

/// A repository with a valid spec on `main`, a bare remote `origin` that has it, and the hooks
/// installed.
fn repo_with_remote() -> TestContext {
    let ctx = repo_with_bare_remote();
    ctx.git(&["push", "-q", "origin", "main"]);
    let run = install_hooks(&ctx, &[]);
    assert_eq!(run.code, 0, "{run}");
    ctx
}

/// A repository with a valid spec committed on `main` and an empty bare remote `origin`.
fn repo_with_bare_remote() -> TestContext {
    let ctx = TestContext::new();
    ctx.write("specs/SPEC_DEMO_001.md", valid_spec("1.0.0", "Algo funciona"));
    ctx.write("README.md", "demo\n");
    ctx.commit("initial");
    ctx.add_bare_remote();
    ctx
}

/// The binary under test lies in cargo's build folder, which `hooks install` refuses to record
/// by itself (`cargo clean` deletes it): the tests name it with `--binary`.
const BINARY: &str = env!("CARGO_BIN_EXE_specgate");

/// `specgate hooks install --binary <the binary under test>` plus `extra`.
fn install_hooks(ctx: &TestContext, extra: &[&str]) -> crate::common::Run {
    let mut args = vec!["hooks", "install", "--binary", BINARY];
    args.extend_from_slice(extra);
    ctx.run(&args)
}

fn git_output(ctx: &TestContext, args: &[&str]) -> Output {
    let mut command = std::process::Command::new("git");
    command.args(args).current_dir(&ctx.root).env("HOME", ctx.home()).env("GIT_CONFIG_NOSYSTEM", "1");
    for (key, _) in std::env::vars() {
        if key.starts_with("SPECGATE_") || key.starts_with("PRE_COMMIT") {
            command.env_remove(key);
        }
    }
    command.output().unwrap()
}

/// Run `git push` and return (success, stderr).
fn push(ctx: &TestContext, args: &[&str]) -> (bool, String) {
    let mut full = vec!["push"];
    full.extend_from_slice(args);
    let output = git_output(ctx, &full);
    (output.status.success(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn remote_has(ctx: &TestContext, branch: &str) -> bool {
    let output = git_output(ctx, &["ls-remote", "origin", &format!("refs/heads/{branch}")]);
    !String::from_utf8_lossy(&output.stdout).trim().is_empty()
}

#[test]
fn clean_push_is_accepted() {
    let ctx = repo_with_remote();
    ctx.write("docs/notes.md", "Notas sobre SPEC_DEMO_001.\n");
    ctx.commit("notes");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("refs/heads/main: 1 new commit, 1 file changed"), "{stderr}");
}

#[test]
fn broken_link_refuses_the_push_with_a_fix_and_the_bypass() {
    let ctx = repo_with_remote();
    ctx.write("docs/adr/ADR_001.md", "---\nid: ADR_001\ntipo: adr\ncategoria: x\nversion: 1.0.0\nfecha_creacion: 2025-11-06\npropietario: p\nrelacionados: [\"ADR_404\"]\n---\n");
    ctx.commit("adr");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "push was accepted:\n{stderr}");
    assert!(stderr.contains("error[link-unresolved]"), "{stderr}");
    assert!(stderr.contains("push refused: 1 error"), "{stderr}");
    assert!(stderr.contains("git push --no-verify"), "{stderr}");
    // The remote did not move.
    let remote_tip = git_output(&ctx, &["rev-parse", "origin/main"]);
    let local_parent = git_output(&ctx, &["rev-parse", "HEAD~1"]);
    assert_eq!(remote_tip.stdout, local_parent.stdout);
}

#[test]
fn files_are_read_at_the_pushed_commit_not_the_working_tree() {
    let ctx = repo_with_remote();
    ctx.write("docs/adr/ADR_001.md", "---\nid: ADR_001\ntipo: adr\n---\n");
    ctx.commit("incomplete adr");
    // Fixed on disk but not committed: the push still carries the broken file.
    ctx.write("docs/adr/ADR_001.md", "---\nid: ADR_001\ntipo: adr\ncategoria: x\nversion: 1.0.0\nfecha_creacion: 2025-11-06\npropietario: p\nrelacionados: []\n---\n");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("spec-missing-field"), "{stderr}");
}

#[test]
fn feature_branch_needs_a_valid_spec_even_without_new_commits() {
    let ctx = repo_with_remote();
    // Remove the spec on a branch: a feature branch without a spec is refused.
    ctx.git(&["checkout", "-q", "-b", "feature/sin-spec"]);
    ctx.git(&["rm", "-q", "specs/SPEC_DEMO_001.md"]);
    ctx.commit("drop spec");
    let (ok, stderr) = push(&ctx, &["origin", "feature/sin-spec"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("error[hook-spec-required]"), "{stderr}");
    assert!(stderr.contains("`docs/specs/` or `specs/`"), "{stderr}");
    assert!(stderr.contains("specs/SPEC_INFRA_001.md"), "{stderr}");
    assert!(!remote_has(&ctx, "feature/sin-spec"));

    // A new feature branch pointing at a commit the remote has already (no new commits) is
    // still checked, and passes because that commit has a valid spec.
    let (ok, stderr) = push(&ctx, &["origin", "main:refs/heads/feature/con-spec"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("refs/heads/feature/con-spec: 0 new commits"), "{stderr}");
    assert!(stderr.contains("governed by specs/SPEC_DEMO_001.md"), "{stderr}");
}

#[test]
fn every_ref_of_a_multi_ref_push_is_checked() {
    let ctx = repo_with_remote();
    ctx.git(&["checkout", "-q", "-b", "topic"]);
    ctx.write("docs/adr/ADR_002.md", "---\nid: ADR_002\n---\n");
    ctx.commit("bad adr on topic");
    ctx.git(&["checkout", "-q", "main"]);
    ctx.write("docs/ok.md", "fine\n");
    ctx.commit("good change on main");
    let (ok, stderr) = push(&ctx, &["origin", "main", "topic"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("refs/heads/main: 1 new commit,"), "{stderr}");
    assert!(stderr.contains("refs/heads/topic: 1 new commit,"), "{stderr}");
    assert!(stderr.contains("docs/adr/ADR_002.md"), "{stderr}");
}

#[test]
fn deletions_check_nothing_and_force_pushes_check_only_new_commits() {
    let ctx = repo_with_remote();
    ctx.git(&["checkout", "-q", "-b", "topic"]);
    ctx.write("docs/adr/ADR_003.md", "---\nid: ADR_003\n---\n");
    ctx.commit("bad adr");
    let (ok, _) = push(&ctx, &["--no-verify", "origin", "topic"]);
    assert!(ok);
    // Rewrite the branch without the bad commit: the force push checks the new commit only.
    ctx.git(&["reset", "-q", "--hard", "main"]);
    ctx.write("docs/good.md", "fine\n");
    ctx.commit("good");
    let (ok, stderr) = push(&ctx, &["--force", "origin", "topic"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("refs/heads/topic: 1 new commit,"), "{stderr}");
    // Deleting the branch checks nothing.
    let (ok, stderr) = push(&ctx, &["origin", ":topic"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("refs/heads/topic: deleted; nothing to check"), "{stderr}");
    assert!(!remote_has(&ctx, "topic"));
}

#[test]
fn failing_or_hanging_critical_tests_refuse_the_push() {
    let ctx = repo_with_remote();
    ctx.write("specgate.toml", "[tests]\ncritical = \"echo checking; echo broken >&2; exit 3\"\n");
    ctx.commit("config");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("error[tests-failed]"), "{stderr}");
    assert!(stderr.contains("exit code 3"), "{stderr}");
    assert!(stderr.contains("    broken"), "{stderr}");

    ctx.write("specgate.toml", "[tests]\ncritical = \"sleep 30\"\ntimeout-seconds = 1\n");
    ctx.commit("hanging tests");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("error[tests-timeout]"), "{stderr}");

    // A `[tests] paths` glob that matches no file of the pushed tree would skip the tests on
    // every push: the push is refused until it names something.
    ctx.write("specgate.toml", "[tests]\ncritical = \"exit 1\"\npaths = [\"src/**\"]\n");
    ctx.commit("scoped tests");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "{stderr}");
    assert!(
        stderr.contains(
            "specgate.toml:3:10: error[config-path-unmatched]: `[tests] paths` names `src/**`, which matches no file"
        ),
        "{stderr}"
    );
    ctx.write("src/lib.py", "x = 1\n");
    ctx.commit("code");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("tests-failed"), "{stderr}");
    assert!(!stderr.contains("config-path-unmatched"), "{stderr}");
    // Tests that depend on `src/` are skipped, with the reason, when nothing there changed.
    let (ok, _) = push(&ctx, &["--no-verify", "origin", "main"]);
    assert!(ok);
    ctx.write("docs/notes.md", "notes\n");
    ctx.commit("docs");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("tests: skipped, no changed file matches `[tests] paths` (src/**)"), "{stderr}");
}

#[test]
fn check_tests_runs_the_critical_tests_by_hand() {
    let ctx = TestContext::new();
    let run = ctx.run(&["check", "tests"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("no critical tests configured"), "{run}");
    ctx.write("specgate.toml", "[tests]\ncritical = \"test -f marker\"\n");
    assert_eq!(ctx.run(&["check", "tests"]).code, 1);
    ctx.write("marker", "");
    let run = ctx.run(&["check", "tests"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("passed"), "{run}");
}

#[test]
fn broken_configuration_blocks_instead_of_passing_silently() {
    let ctx = repo_with_remote();
    ctx.write("specgate.toml", "[tests\n");
    ctx.commit("broken config");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("specgate.toml:1:"), "{stderr}");
}

#[test]
fn foreign_hooks_are_refused_or_chained_and_restored() {
    let ctx = TestContext::new();
    ctx.commit("initial");
    let hook = ctx.path(".git/hooks/pre-push");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    std::fs::write(&hook, "#!/bin/sh\ntouch \"$(git rev-parse --show-toplevel)/foreign-ran\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();

    let run = install_hooks(&ctx, &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("is a hook that specgate did not write"), "{run}");
    assert!(run.stderr.contains("--force"), "{run}");
    assert!(!ctx.path(".git/hooks/pre-commit").exists(), "a refusal changes nothing");

    let run = install_hooks(&ctx, &["--force"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("pre-push.specgate-chained"), "{run}");

    // The chained hook runs on a real push, before specgate.
    ctx.add_bare_remote();
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(ok, "{stderr}");
    assert!(ctx.path("foreign-ran").exists());

    let run = ctx.run(&["hooks", "uninstall"]);
    assert_eq!(run.code, 0, "{run}");
    let restored = std::fs::read_to_string(&hook).unwrap();
    assert!(restored.contains("foreign-ran"), "{restored}");
    assert!(!ctx.path(".git/hooks/pre-commit").exists());
}

#[test]
fn hooks_record_a_specgate_that_survives_cargo_clean() {
    let ctx = TestContext::new();
    ctx.commit("initial");
    let bin = ctx.dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path_var = |first: &std::path::Path| format!("{}:/usr/bin:/bin", first.display());

    // The binary under test runs from cargo's build folder and no specgate is on PATH: refused,
    // with what to do, and nothing written.
    let run = ctx.to_run(ctx.specgate().args(["hooks", "install"]).env("PATH", path_var(&bin)).output().unwrap());
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("runs from cargo's build folder"), "{run}");
    assert!(run.stderr.contains("`cargo clean` deletes"), "{run}");
    assert!(run.stderr.contains("there is no specgate on PATH"), "{run}");
    assert!(run.stderr.contains("make install"), "{run}");
    assert!(run.stderr.contains("--binary PATH"), "{run}");
    assert!(!ctx.path(".git/hooks/pre-push").exists(), "a refusal writes nothing");
    assert!(!ctx.path(".git/hooks/pre-commit").exists(), "a refusal writes nothing");

    // The same specgate installed on PATH (as `make install` does): the hooks record that one.
    let installed = bin.join("specgate");
    std::fs::copy(BINARY, &installed).unwrap();
    let run = ctx.to_run(ctx.specgate().args(["hooks", "install"]).env("PATH", path_var(&bin)).output().unwrap());
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains("the hooks run `[TEMP]/bin/specgate`, the same specgate version found on PATH"),
        "{run}"
    );
    for hook in ["pre-push", "pre-commit"] {
        let text = std::fs::read_to_string(ctx.path(&format!(".git/hooks/{hook}"))).unwrap();
        assert!(text.contains(&format!("specgate='{}'", installed.display())), "{hook}:\n{text}");
    }
    // It runs: a commit with an emoji is refused by the installed copy.
    ctx.write("docs/nota.md", "listo \u{2705}\n");
    ctx.git(&["add", "-A"]);
    let output = git_output(&ctx, &["commit", "-q", "-m", "nota"]);
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("emoji-found"));

    // Run from the installed copy, it records itself.
    let run = ctx.to_run(
        std::process::Command::new(&installed)
            .args(["hooks", "install"])
            .current_dir(&ctx.root)
            .env("HOME", ctx.home())
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("updated `"), "{run}");
    assert!(run.stderr.contains("the hooks run `[TEMP]/bin/specgate`\n"), "{run}");

    // Another version on PATH is not taken for this one.
    std::fs::write(&installed, "#!/bin/sh\necho 'specgate 0.0.1'\n").unwrap();
    let run = ctx.to_run(ctx.specgate().args(["hooks", "install"]).env("PATH", path_var(&bin)).output().unwrap());
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("the specgate on PATH (`[TEMP]/bin/specgate`) is `specgate 0.0.1`"), "{run}");

    // --binary records the path given, and warns when it lies in the build folder.
    let run = ctx.to_run(
        ctx.specgate().args(["hooks", "install", "--binary", BINARY]).env("PATH", path_var(&bin)).output().unwrap(),
    );
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("(--binary)\nnote: it lies in cargo's build folder"), "{run}");
    let run = ctx.run(&["hooks", "install", "--binary", "no/such/specgate"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("cannot be run by the hooks: it does not exist"), "{run}");
}

#[test]
fn core_hooks_path_is_respected() {
    let ctx = TestContext::new();
    ctx.commit("initial");
    ctx.git(&["config", "core.hooksPath", "githooks"]);
    let run = install_hooks(&ctx, &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(ctx.path("githooks/pre-push").exists());
    assert!(!ctx.path(".git/hooks/pre-push").exists());
}

#[test]
fn pre_commit_checks_the_staged_content() {
    let ctx = repo_with_remote();
    ctx.write("docs/adr/ADR_004.md", "---\nid: ADR_004\ntipo: adr\n---\n");
    ctx.git(&["add", "docs/adr/ADR_004.md"]);
    // Fix the working copy only: the staged blob is still broken.
    std::fs::remove_file(ctx.path("docs/adr/ADR_004.md")).unwrap();
    let output = git_output(&ctx, &["commit", "-m", "adr"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("spec-missing-field"), "{stderr}");
    assert!(stderr.contains("commit refused"), "{stderr}");
    assert!(stderr.contains("git commit --no-verify"), "{stderr}");
}

#[test]
fn pre_commit_requires_a_version_bump_when_criteria_change() {
    let ctx = repo_with_remote();
    ctx.write("specs/SPEC_DEMO_001.md", valid_spec("1.0.0", "Algo distinto funciona"));
    ctx.git(&["add", "-A"]);
    let output = git_output(&ctx, &["commit", "-m", "change criterion"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("error[spec-version-not-bumped]"), "{stderr}");
    assert!(stderr.contains("CA-001 changed but `version` is still `1.0.0`"), "{stderr}");

    ctx.write("specs/SPEC_DEMO_001.md", valid_spec("1.1.0", "Algo distinto funciona"));
    ctx.git(&["add", "-A"]);
    let output = git_output(&ctx, &["commit", "-m", "change criterion, bump"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn markers_pinned_to_an_older_major_are_reported_as_outdated() {
    let ctx = repo_with_remote();
    ctx.write("specs/SPEC_DEMO_001.md", valid_spec("2.0.0", "Algo funciona"));
    ctx.write("tests/test_demo.py", format!("# spec[{} SPEC_DEMO_001#CA-001@1]\n", "verify"));
    ctx.git(&["add", "-A"]);
    let run = ctx.run(&["check", "spec", "--format", "json"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains("\"code\": \"trace-outdated-marker\""), "{run}");
    assert!(run.stdout.contains("now at major version 2"), "{run}");
}

#[test]
fn emoji_on_an_added_line_refuses_the_push_and_the_commit() {
    let ctx = repo_with_remote();
    ctx.write("docs/notes.md", "listo \u{2705}\n");
    ctx.commit("notes with an emoji");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("error[emoji-found]"), "{stderr}");
    assert!(stderr.contains("docs/notes.md:1:7"), "{stderr}");

    // Removed in a later commit of the same push: the added line is still in the pushed history.
    ctx.write("docs/notes.md", "listo\n");
    ctx.commit("remove it");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("emoji-found"), "{stderr}");

    // The pre-commit hook sees the staged blob.
    ctx.git(&["reset", "-q", "--hard", "origin/main"]);
    ctx.write("docs/otra.md", "hecho \u{1F680}\n");
    ctx.git(&["add", "docs/otra.md"]);
    let output = git_output(&ctx, &["commit", "-m", "rocket"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("emoji-found"), "{stderr}");
}

#[test]
fn a_ledger_change_is_checked_at_the_pushed_commit() {
    let ctx = repo_with_remote();
    let short_hash = "a".repeat(63);
    ctx.write(
        "artifacts/ARTIFACTS.md",
        format!(
            "# Artefactos\n\n| Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n|---|---|---|---|---|---|---|\n| 3.11.2 | 1 | debian12 | 2026-11-29 | {short_hash} | - | Activo |\n"
        ),
    );
    ctx.commit("ledger row with a 63-hex digest");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("artifacts/ARTIFACTS.md:5:"), "{stderr}");
    assert!(stderr.contains("ledger-"), "{stderr}");
}

#[test]
fn a_secret_in_the_pushed_commits_refuses_the_push_without_showing_it() {
    let ctx = repo_with_remote();
    // Built at run time so this file carries no key of its own.
    let key = format!("AKIA{}", "Q3ZJ7XK2LMNP4RSW");
    ctx.write("config/deploy.env", format!("AWS_ACCESS_KEY_ID={key}\n"));
    ctx.commit("deploy settings");
    ctx.write("config/deploy.env", "AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID}\n");
    ctx.commit("read the key from the environment instead");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("secret-detected"), "{stderr}");
    assert!(stderr.contains("config/deploy.env:1:"), "{stderr}");
    assert!(!stderr.contains(&key), "the secret leaked into the output:\n{stderr}");
}

/// Append `count` commits to `main` with `git fast-import` (each rewrites one small file).
fn fast_import_commits(ctx: &TestContext, count: usize) {
    let mut stream = String::new();
    for i in 1..=count {
        let message = format!("commit {i}");
        let content = format!("linea {i}\n");
        let from = if i == 1 { "from refs/heads/main^0\n" } else { "" };
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter Test <test@example.com> {} +0000\ndata {}\n{message}\n{from}M 100644 inline docs/historial.md\ndata {}\n{content}\n",
            1_700_000_000 + i,
            message.len(),
            content.len()
        ));
    }
    let mut child = std::process::Command::new("git")
        .args(["fast-import", "--quiet", "--force"])
        .current_dir(&ctx.root)
        .env("HOME", ctx.home())
        .stdin(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(stream.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    ctx.git(&["reset", "-q", "--hard", "main"]);
}

#[test]
fn a_push_of_ten_thousand_commits_is_checked_and_accepted() {
    let ctx = repo_with_remote();
    fast_import_commits(&ctx, 10_000);
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("refs/heads/main: 10000 new commits, 1 file changed"), "{stderr}");
}

#[test]
fn detached_head_shallow_clones_and_unusual_ref_names_are_checked() {
    let ctx = repo_with_remote();
    // A detached HEAD pushed to a new branch with an unusual name.
    ctx.git(&["checkout", "-q", "--detach"]);
    ctx.write("docs/adr/ADR_005.md", "---\nid: ADR_005\n---\n");
    ctx.commit("bad adr on a detached head");
    let (ok, stderr) = push(&ctx, &["origin", "HEAD:refs/heads/fix/ñandú#1@x"]);
    assert!(!ok, "{stderr}");
    assert!(stderr.contains("refs/heads/fix/ñandú#1@x: 1 new commit,"), "{stderr}");
    assert!(stderr.contains("spec-missing-field"), "{stderr}");

    // A shallow clone (history cut at depth 1) pushes a new commit: checked, then accepted.
    let remote = ctx.dir.path().join("remote.git");
    let shallow = ctx.dir.path().join("shallow");
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--depth", "1"])
        .arg(format!("file://{}", remote.display()))
        .arg(&shallow)
        .env("HOME", ctx.home())
        .status()
        .unwrap();
    assert!(status.success());
    let output = std::process::Command::new(BINARY)
        .args(["hooks", "install", "--binary", BINARY])
        .current_dir(&shallow)
        .env("HOME", ctx.home())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    std::fs::write(shallow.join("docs-nota.md"), "nota\n").unwrap();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
            .args(args)
            .current_dir(&shallow)
            .env("HOME", ctx.home())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap()
    };
    assert!(git(&["add", "-A"]).status.success());
    assert!(git(&["commit", "-q", "--no-verify", "-m", "nota"]).status.success());
    let output = git(&["push", "origin", "main"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("refs/heads/main: 1 new commit,"), "{stderr}");
}

#[test]
fn a_push_with_a_submodule_and_a_binary_file_is_accepted() {
    let ctx = repo_with_remote();
    let library = TestContext::new();
    library.write("lib.txt", "biblioteca\n");
    library.commit("library");
    ctx.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        library.root.to_str().unwrap(),
        "vendor/lib",
    ]);
    ctx.write("assets/logo.bin", [0u8, 159, 146, 150, 0, 1, 2, 3]);
    ctx.commit("submodule and a binary file");
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(ok, "{stderr}");
    assert!(stderr.contains("refs/heads/main: 1 new commit,"), "{stderr}");
}

#[test]
fn an_empty_or_wrong_binary_in_the_hook_blocks_instead_of_passing() {
    let ctx = repo_with_bare_remote();
    // The hooks record a copy, which then gets emptied, replaced or broken.
    let copy = ctx.dir.path().join("bin/specgate");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(BINARY, &copy).unwrap();
    let run = ctx.run(&["hooks", "install", "--binary", copy.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run}");
    let key = format!("AKIA{}", "Q3ZJ7XK2LMNP4RSW");
    ctx.write("deploy.py", format!("AWS_ACCESS_KEY_ID = \"{key}\"\n"));
    ctx.commit("a key");
    let cases: [(&str, &[u8]); 3] = [
        ("an empty file", b""),
        ("another program", b"#!/bin/sh\nexit 0\n"),
        ("a binary that crashes", b"#!/bin/sh\nkill -SEGV $$\n"),
    ];
    for (what, content) in cases {
        std::fs::write(&copy, content).unwrap();
        let (ok, stderr) = push(&ctx, &["origin", "main"]);
        assert!(!ok, "{what}: the push went through:\n{stderr}");
        assert!(stderr.contains(&format!("`{}` is not a working specgate", copy.display())), "{what}: {stderr}");
        assert!(stderr.contains("git push --no-verify"), "{what}: {stderr}");
        assert!(!remote_has(&ctx, "main"), "{what}");
        // The pre-commit shim holds to the same rule.
        ctx.write("other.txt", what);
        ctx.git(&["add", "other.txt"]);
        let output = git_output(&ctx, &["commit", "-q", "-m", what]);
        assert!(!output.status.success(), "{what}: the commit went through");
        assert!(String::from_utf8_lossy(&output.stderr).contains("is not a working specgate"), "{what}");
    }
    // The real binary back: the push is refused for the key, by specgate itself.
    std::fs::copy(BINARY, &copy).unwrap();
    let (ok, stderr) = push(&ctx, &["origin", "main"]);
    assert!(!ok && stderr.contains("secret-detected"), "{stderr}");
}
