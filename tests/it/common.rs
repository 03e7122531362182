//! Shared setup for integration tests: a temporary folder with a real git repository, `HOME`
//! inside it, system git config ignored, and the `specgate` binary under test.

#![allow(dead_code, reason = "each test module uses a different subset")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestContext {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    home: PathBuf,
}

impl TestContext {
    /// A new repository on branch `main` with a user name and email.
    pub fn new() -> TestContext {
        let dir = tempfile::tempdir().expect("temp dir");
        let base = dir.path().canonicalize().expect("canonical temp dir");
        let root = base.join("repo");
        let home = base.join("home");
        std::fs::create_dir_all(&root).expect("repo dir");
        std::fs::create_dir_all(&home).expect("home dir");
        let ctx = TestContext { _dir: dir, root, home };
        ctx.git(&["init", "-q", "-b", "main"]);
        ctx.git(&["config", "user.name", "Test"]);
        ctx.git(&["config", "user.email", "test@example.org"]);
        ctx.git(&["config", "commit.gpgsign", "false"]);
        ctx
    }

    fn env(&self, command: &mut Command) {
        command
            .current_dir(&self.root)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1");
        for (key, _) in std::env::vars() {
            if key.starts_with("SPECGATE_") || key.starts_with("GIT_") && key != "GIT_CONFIG_NOSYSTEM" {
                command.env_remove(key);
            }
        }
    }

    /// Run git in the repository; panics when it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let mut command = Command::new("git");
        command.args(args);
        self.env(&mut command);
        let output = command.output().expect("git runs");
        assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    /// The `specgate` binary, started in the repository.
    pub fn specgate(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_specgate"));
        self.env(&mut command);
        command
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }

    /// Write a file (creating folders).
    pub fn write(&self, relative: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let path = self.root.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dir");
        }
        std::fs::write(&path, content).expect("write file");
        path
    }

    /// `git add -A` and commit; returns the commit id.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }
}

/// Exit code, stdout and stderr of a finished command.
pub fn run(command: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = command.output().expect("specgate runs");
    (
        status.code().unwrap_or(-1),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}
