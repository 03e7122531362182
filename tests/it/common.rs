//! `TestContext`: a temporary folder with a real git repository, an isolated HOME and git
//! configuration, and a `specgate()` command for the binary under test.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub struct TestContext {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
}

/// Exit code, stdout and stderr of a run, printable for snapshots.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit: {}\n--- stdout\n{}--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

impl TestContext {
    /// A new repository with branch `main` and a committer identity.
    pub fn new() -> TestContext {
        let dir = tempfile::Builder::new().prefix("specgate-it").tempdir().expect("temp dir");
        let root = dir.path().join("repo");
        std::fs::create_dir_all(&root).expect("create repo dir");
        let ctx = TestContext { dir, root };
        ctx.git(&["init", "-q", "-b", "main"]);
        ctx.git(&["config", "user.name", "Test User"]);
        ctx.git(&["config", "user.email", "test@example.com"]);
        ctx.git(&["config", "commit.gpgsign", "false"]);
        ctx
    }

    /// A folder that is not a git repository.
    pub fn without_git() -> TestContext {
        let dir = tempfile::Builder::new().prefix("specgate-it").tempdir().expect("temp dir");
        let root = dir.path().join("plain");
        std::fs::create_dir_all(&root).expect("create dir");
        TestContext { dir, root }
    }

    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn isolate(&self, command: &mut Command) {
        let home = self.home();
        std::fs::create_dir_all(&home).expect("create home");
        for (key, _) in std::env::vars() {
            if key.starts_with("SPECGATE_") || key.starts_with("GIT_") || key.starts_with("PRE_COMMIT") {
                command.env_remove(key);
            }
        }
        command
            .current_dir(&self.root)
            .env("NO_COLOR", "1")
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
            .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");
    }

    /// Run git in the repository and panic with its output on failure; returns stdout, trimmed.
    /// A new empty bare repository `remote.git` beside the work tree, added as `origin`.
    pub fn add_bare_remote(&self) -> PathBuf {
        let remote = self.dir.path().join("remote.git");
        let status = Command::new("git").args(["init", "-q", "--bare", "-b", "main"]).arg(&remote).status().unwrap();
        assert!(status.success(), "git init --bare {}", remote.display());
        self.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
        remote
    }

    pub fn git(&self, args: &[&str]) -> String {
        let mut command = Command::new("git");
        command.args(args);
        self.isolate(&mut command);
        let output = command.output().expect("run git");
        assert!(output.status.success(), "git {args:?} failed: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    }

    pub fn write(&self, path: &str, content: impl AsRef<[u8]>) -> PathBuf {
        let full = self.root.join(path);
        std::fs::create_dir_all(full.parent().expect("has parent")).expect("create parent");
        std::fs::write(&full, content).expect("write file");
        full
    }

    /// Stage everything and commit; returns the commit id. Setup commits skip hooks; the hook
    /// tests run `git commit` themselves.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--no-verify", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn specgate(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_specgate"));
        self.isolate(&mut command);
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let output = self.specgate().args(args).output().expect("run specgate");
        self.to_run(output)
    }

    /// Run `specgate ARGS`, killed after 60 s so a reader that blocks (a FIFO) fails the test
    /// instead of hanging it.
    pub fn run_bounded(&self, args: &[&str]) -> Run {
        let mut child = self
            .specgate()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run specgate");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while child.try_wait().expect("wait for specgate").is_none() {
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                panic!("`specgate {}` did not finish within 60 s", args.join(" "));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        self.to_run(child.wait_with_output().expect("specgate's output"))
    }

    /// Make a FIFO at `path` (nobody writes to it: a reader that opens it blocks).
    pub fn mkfifo(&self, path: &str) -> PathBuf {
        let full = self.root.join(path);
        let _ = std::fs::remove_file(&full);
        let made = Command::new("mkfifo").arg(&full).status().expect("run mkfifo");
        assert!(made.success(), "mkfifo {}", full.display());
        full
    }

    pub fn to_run(&self, output: Output) -> Run {
        let filter = |text: &[u8]| {
            let text = String::from_utf8_lossy(text).into_owned();
            let root = self.root.canonicalize().unwrap_or_else(|_| self.root.clone());
            text.replace(&root.display().to_string(), "[REPO]")
                .replace(&self.dir.path().display().to_string(), "[TEMP]")
        };
        Run { code: output.status.code().unwrap_or(-1), stdout: filter(&output.stdout), stderr: filter(&output.stderr) }
    }

    /// Run and parse stdout as JSON.
    pub fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let run = self.run(args);
        let value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{run}"));
        (run.code, value)
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root.join(relative)
    }
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

/// Run a prepared command (usually `ctx.specgate().args(..)`).
pub fn run(command: &mut Command) -> Run {
    Run::from(command.output().expect("the command runs"))
}

/// `(code, path, line)` of every finding in a JSON report.
pub fn findings(report: &serde_json::Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            (
                f["code"].as_str().expect("code").to_owned(),
                f["path"].as_str().expect("path").to_owned(),
                f["line"].as_u64().expect("line"),
            )
        })
        .collect()
}

/// `(code, line, column)` of every finding in a JSON report.
pub fn findings_at(report: &serde_json::Value) -> Vec<(String, u64, u64)> {
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_owned(), f["line"].as_u64().unwrap(), f["column"].as_u64().unwrap()))
        .collect()
}

/// The version of the system's /usr/bin/python3, which test artifacts wrap as their interpreter.
pub fn system_version() -> String {
    let out = Command::new("/usr/bin/python3")
        .args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
        .output()
        .expect("/usr/bin/python3 runs (.ci/setup installs python3)");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}

/// Mount a small tmpfs at `dir` (root only; CI runs as root). `None` when mounting is not allowed.
pub fn tmpfs(dir: &Path, size: &str) -> Option<Mounted> {
    std::fs::create_dir_all(dir).unwrap();
    let ok = Command::new("mount").args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"]).arg(dir).status();
    ok.ok().filter(|s| s.success()).map(|_| Mounted(dir.to_path_buf()))
}

/// A mount, unmounted on drop.
pub struct Mounted(PathBuf);

impl Drop for Mounted {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}
