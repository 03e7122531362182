//! The pre-commit framework itself (PyPI `pre-commit`) running this repository's
//! .pre-commit-hooks.yaml with `pre-commit try-repo` in a scratch repository, for both stages.
//! End-to-end: the framework builds specgate with `cargo install`, which takes minutes, so the
//! test is ignored by a plain `cargo test` and run by `make test` (`--ignored`).
//!
//! spec[verify SPEC_INFRA_001#CA-006]

use std::path::PathBuf;
use std::process::Command;

use crate::common::{run, Run, TestContext};

/// A cache outside the clone so repeated runs reuse compiled dependencies.
fn cache_dir() -> PathBuf {
    let dir = std::env::var_os("SPECGATE_E2E_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/var/tmp/specgate-e2e"));
    std::fs::create_dir_all(&dir).expect("cache dir");
    dir
}

fn real_home() -> PathBuf {
    PathBuf::from(std::env::var("HOME").expect("HOME is set"))
}

fn try_repo(ctx: &TestContext, args: &[&str]) -> Run {
    let cache = cache_dir();
    let mut command = Command::new("pre-commit");
    command.arg("try-repo").arg(env!("CARGO_MANIFEST_DIR")).args(args);
    command
        .current_dir(&ctx.root)
        .env("HOME", ctx.home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("PRE_COMMIT_HOME", ctx.dir.path().join("pre-commit-home"))
        .env("CARGO_TARGET_DIR", cache.join("pre-commit-target"))
        .env("CARGO_HOME", std::env::var_os("CARGO_HOME").map_or_else(|| real_home().join(".cargo"), PathBuf::from))
        .env("RUSTUP_HOME", std::env::var_os("RUSTUP_HOME").map_or_else(|| real_home().join(".rustup"), PathBuf::from));
    for (key, _) in std::env::vars() {
        if key.starts_with("SPECGATE_") || key.starts_with("GIT_DIR") || key.starts_with("PRE_COMMIT_FROM") {
            command.env_remove(key);
        }
    }
    run(&mut command)
}

#[test]
#[ignore = "end-to-end: the pre-commit framework builds specgate (minutes); `make test` runs it"]
fn pre_commit_framework_runs_the_hooks_for_both_stages() {
    let ctx = TestContext::new();
    ctx.write(
        "docs/adr/ADR_001.md",
        "---\nid: ADR_001\ntipo: adr\ncategoria: x\nversion: 1.0.0\nfecha_creacion: 2025-11-06\npropietario: p\nrelacionados: []\n---\n",
    );
    let base = ctx.commit("base");

    // pre-commit stage: a broken link and an emoji in the files passed are refused.
    ctx.write(
        "docs/adr/ADR_002.md",
        "---\nid: ADR_002\ntipo: adr\ncategoria: x\nversion: 1.0.0\nfecha_creacion: 2025-11-06\npropietario: p\nrelacionados: [\"ADR_404\"]\n---\nlisto \u{2705}\n",
    );
    ctx.git(&["add", "-A"]);
    let result = try_repo(&ctx, &["specgate-spec", "--files", "docs/adr/ADR_002.md"]);
    assert_eq!(result.code, 1, "{}{}", result.stdout, result.stderr);
    assert!(result.stdout.contains("link-unresolved"), "{}", result.stdout);
    let result = try_repo(&ctx, &["specgate-emoji", "--files", "docs/adr/ADR_002.md"]);
    assert_eq!(result.code, 1, "{}{}", result.stdout, result.stderr);
    assert!(result.stdout.contains("emoji-found"), "{}", result.stdout);

    // A clean file passes.
    let result = try_repo(&ctx, &["specgate-spec", "--files", "docs/adr/ADR_001.md"]);
    assert_eq!(result.code, 0, "{}{}", result.stdout, result.stderr);

    // pre-push stage: the framework hands over one ref range; specgate says so and checks it.
    let head = ctx.commit("bad adr");
    let result =
        try_repo(&ctx, &["specgate-pre-push", "--hook-stage", "pre-push", "--from-ref", &base, "--to-ref", &head]);
    assert_eq!(result.code, 1, "{}{}", result.stdout, result.stderr);
    assert!(result.stdout.contains("only the one ref it names is checked"), "{}", result.stdout);
    assert!(result.stdout.contains("link-unresolved"), "{}", result.stdout);
    assert!(result.stdout.contains("emoji-found"), "{}", result.stdout);
}
