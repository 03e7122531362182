//! The pre-commit framework itself (PyPI `pre-commit`) running this repository's
//! .pre-commit-hooks.yaml with `pre-commit try-repo` in a scratch repository, for both stages,
//! and the hook repository of pre-commit/ (`language: python`) installing the specgate wheel of
//! `make wheel` from a local folder, with no index and no compiler; and that wheel installed
//! into a fresh venv. End-to-end: the framework builds specgate with `cargo install`, which
//! takes minutes, so these tests are ignored by a plain `cargo test` and run by `make test`
//! (`--ignored`, after `make wheel`).
//!
//! spec[verify SPEC_INFRA_001#CA-006]

use std::path::{Path, PathBuf};
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

/// The hooks of a .pre-commit-hooks.yaml without comments, with `language:` lines blanked.
fn hooks_without_language(path: &str) -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).expect("hooks file");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| if l.trim_start().starts_with("language:") { "  language: -" } else { l })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_wheel_hooks_match_the_source_hooks_and_pin_this_version() {
    assert_eq!(
        hooks_without_language(".pre-commit-hooks.yaml"),
        hooks_without_language("pre-commit/.pre-commit-hooks.yaml"),
        "the two hook files must define the same hooks (only `language` differs)"
    );
    let python =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pre-commit/.pre-commit-hooks.yaml"))
            .unwrap();
    assert!(python.lines().filter(|l| l.trim_start().starts_with("language:")).all(|l| l.trim() == "language: python"));
    let project =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("pre-commit/pyproject.toml")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(project.contains(&format!("version = \"{version}\"")), "pre-commit/pyproject.toml: version {version}");
    assert!(
        project.contains(&format!("\"specgate=={version}\"")),
        "pre-commit/pyproject.toml must pin specgate=={version}"
    );
}

/// The folder `make wheel` writes, holding this version's wheel.
fn wheel_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/wheels");
    let prefix = format!("specgate-{}-", env!("CARGO_PKG_VERSION"));
    let found = std::fs::read_dir(&dir).into_iter().flatten().flatten().any(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        name.starts_with(&prefix) && name.ends_with(".whl")
    });
    assert!(found, "no `{prefix}*.whl` in {}: run `make wheel` first", dir.display());
    dir
}

/// A folder of build requirements (setuptools) for pip with no index, filled once from PyPI.
fn build_requirements() -> PathBuf {
    let dir = cache_dir().join("pypi-build-requirements");
    let has_setuptools = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().starts_with("setuptools-"));
    if !has_setuptools {
        let fetched = run(Command::new("python3")
            .args(["-m", "pip", "download", "--quiet", "--only-binary", ":all:", "--dest"])
            .arg(&dir)
            .arg("setuptools>=61"));
        assert_eq!(fetched.code, 0, "pip download setuptools: {}", fetched.stderr);
    }
    dir
}

#[test]
#[ignore = "end-to-end: needs the wheel of `make wheel`; `make test` runs it"]
fn the_wheel_installs_into_a_fresh_venv_with_no_index_and_runs_the_gate() {
    let ctx = TestContext::new();
    let venv = ctx.dir.path().join("venv");
    let made = run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    assert_eq!(made.code, 0, "{}", made.stderr);
    let installed = run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--no-index", "--find-links"])
        .arg(wheel_dir())
        .arg(format!("specgate=={}", env!("CARGO_PKG_VERSION"))));
    assert_eq!(installed.code, 0, "{}{}", installed.stdout, installed.stderr);
    let version = run(Command::new(venv.join("bin/specgate")).arg("--version"));
    assert_eq!(version.stdout.trim(), format!("specgate {}", env!("CARGO_PKG_VERSION")));
    // The gate on a repository, from the venv's binary: a clean file passes, an emoji fails.
    ctx.write("notes.md", "plain text\n");
    ctx.commit("base");
    let clean = run(Command::new(venv.join("bin/specgate")).arg("check").current_dir(&ctx.root));
    assert_eq!(clean.code, 0, "{}", clean.stderr);
    ctx.write("notes.md", "done \u{2705}\n");
    ctx.git(&["add", "-A"]);
    let dirty = run(Command::new(venv.join("bin/specgate")).args(["check", "emoji"]).current_dir(&ctx.root));
    assert_eq!(dirty.code, 1, "{}", dirty.stderr);
    assert!(dirty.stderr.contains("emoji-found"), "{}", dirty.stderr);
}

#[test]
#[ignore = "end-to-end: needs the wheel of `make wheel`; `make test` runs it"]
fn pre_commit_runs_the_wheel_hooks_without_a_compiler() {
    // The hook repository of pre-commit/, as its own git repository.
    let ctx = TestContext::new();
    let hooks = ctx.dir.path().join("hook-repository");
    std::fs::create_dir_all(&hooks).unwrap();
    for name in [".pre-commit-hooks.yaml", "pyproject.toml", "README.md"] {
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join("pre-commit").join(name), hooks.join(name)).unwrap();
    }
    for args in [
        &["init", "-q"][..],
        &["add", "-A"],
        &["-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "hooks"],
    ] {
        assert_eq!(run(Command::new("git").args(args).current_dir(&hooks)).code, 0);
    }
    ctx.write("docs/notes.md", "listo \u{2705}\n");
    ctx.git(&["add", "-A"]);
    let find_links = format!("{} {}", wheel_dir().display(), build_requirements().display());
    let mut command = Command::new(which("pre-commit"));
    command
        .arg("try-repo")
        .arg(&hooks)
        .args(["specgate-emoji", "--files", "docs/notes.md"])
        .current_dir(&ctx.root)
        .env("HOME", ctx.home())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("PRE_COMMIT_HOME", ctx.dir.path().join("pre-commit-home"))
        // The wheel from the local folder, nothing from an index, and no Rust: cargo is not
        // on this PATH, so a hook that tried to compile would fail.
        .env("PIP_NO_INDEX", "1")
        .env("PIP_FIND_LINKS", find_links)
        .env("PATH", path_without_cargo())
        .env_remove("CARGO_HOME")
        .env_remove("RUSTUP_HOME");
    for (key, _) in std::env::vars() {
        if key.starts_with("SPECGATE_") || key.starts_with("GIT_DIR") || key.starts_with("PRE_COMMIT_FROM") {
            command.env_remove(key);
        }
    }
    let result = run(&mut command);
    assert_eq!(result.code, 1, "{}{}", result.stdout, result.stderr);
    assert!(result.stdout.contains("emoji-found"), "{}", result.stdout);
    // try-repo keeps its environments in a temporary store; its log says one was installed.
    assert!(result.stdout.contains("Installing environment"), "{}", result.stdout);
}

/// This PATH without the folders that hold `cargo`.
fn path_without_cargo() -> std::ffi::OsString {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::env::split_paths(&path).filter(|dir| !dir.join("cargo").exists())).unwrap()
}

/// A program's path, found on this PATH.
fn which(program: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file()).unwrap_or_else(|| program.into())
}
