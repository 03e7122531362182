//! A temporary git repository to run `specgate` in, isolated from the user's configuration.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestContext {
    _dir: tempfile::TempDir,
    /// The work tree (a real git repository on branch `main`).
    pub root: PathBuf,
    home: PathBuf,
}

impl TestContext {
    /// A fresh repository with `user.name` and `user.email` set.
    pub fn new() -> TestContext {
        let dir = tempfile::tempdir().expect("a temporary directory can be created");
        let base = dir.path().canonicalize().expect("the temporary directory exists");
        let root = base.join("repo");
        let home = base.join("home");
        std::fs::create_dir_all(&root).expect("repo folder");
        std::fs::create_dir_all(&home).expect("home folder");
        let ctx = TestContext { _dir: dir, root, home };
        ctx.git(&["init", "-q", "-b", "main"]);
        ctx.git(&["config", "user.name", "Test"]);
        ctx.git(&["config", "user.email", "test@example.invalid"]);
        ctx.git(&["config", "commit.gpgsign", "false"]);
        ctx
    }

    fn isolate(&self, command: &mut Command) {
        for (key, _) in std::env::vars() {
            if key.starts_with("SPECGATE_") || key.starts_with("GIT_") {
                command.env_remove(key);
            }
        }
        command
            .current_dir(&self.root)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("NO_COLOR", "1");
    }

    /// Run git in the work tree; panics with its output when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let mut command = Command::new("git");
        self.isolate(&mut command);
        let output = command.args(args).output().expect("git runs");
        assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// Write a file of the work tree (parent folders are created).
    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let full = self.root.join(path);
        if let Some(parent) = full.parent() {
            std::fs::create_dir_all(parent).expect("parent folder");
        }
        std::fs::write(&full, content).expect("file is written");
        full
    }

    /// Stage everything and commit; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The `specgate` binary, started in the work tree.
    pub fn specgate(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_specgate"));
        self.isolate(&mut command);
        command
    }
}

/// Exit code, stdout and stderr of a finished command.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

pub fn run(command: &mut Command) -> Run {
    Run::from(command.output().expect("specgate runs"))
}
