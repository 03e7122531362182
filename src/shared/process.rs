//! Child processes that cannot hang the caller: each runs in its own process group under a
//! time limit that names the setting raising it, and the whole group is killed at the limit.
//! The interpreter probe, the venv check, gpg, signing and the hooks' `--version` check use it.

use std::io::Read;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A time limit on a child process, with the setting that raises it, so the message at the
/// limit says what to change: `[limits] probe-timeout-seconds` for a build, `--probe-timeout`
/// for an install, which runs without a repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLimit {
    pub duration: Duration,
    /// The key or flag, in backticks, with where it lives.
    pub setting: &'static str,
}

impl TimeLimit {
    pub const fn new(duration: Duration, setting: &'static str) -> TimeLimit {
        TimeLimit { duration, setting }
    }
}

impl std::fmt::Display for TimeLimit {
    /// `120 s`, or `0.2 s` for the short limits of tests.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.duration.subsec_millis() == 0 {
            write!(f, "{} s", self.duration.as_secs())
        } else {
            write!(f, "{:.1} s", self.duration.as_secs_f64())
        }
    }
}

/// Why a child process gave no result.
#[derive(Debug)]
pub enum RunError {
    /// It could not be started.
    Start(std::io::Error),
    /// It ran past its limit; it and its process group were killed.
    TimedOut(TimeLimit),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Start(error) => write!(f, "{error}"),
            RunError::TimedOut(limit) => write!(
                f,
                "it did not finish within {limit} and was stopped with its child processes ({} sets this limit)",
                limit.setting
            ),
        }
    }
}

/// Run `command` with stdout and stderr captured, killing it after `limit`. It runs in its own
/// process group, and the whole group is killed at the limit and when it exits: a script that
/// left a child behind (`sleep 1000 &`, or a shell waiting on `sleep`) cannot keep the pipes,
/// and so the caller and any lock it holds, waiting.
pub fn output_within(mut command: Command, limit: TimeLimit) -> Result<(ExitStatus, String, String), RunError> {
    use std::os::unix::process::CommandExt as _;
    command.stdout(Stdio::piped()).stderr(Stdio::piped()).process_group(0);
    let mut child = command.spawn().map_err(RunError::Start)?;
    let group = rustix::process::Pid::from_raw(child.id() as i32);
    let kill_group = || {
        if let Some(group) = group {
            let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        }
    };
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait().map_err(RunError::Start)? {
            Some(status) => break status,
            None if start.elapsed() > limit.duration => {
                kill_group();
                let _ = child.kill();
                let _ = child.wait();
                let _ = (out.join(), err.join());
                return Err(RunError::TimedOut(limit));
            }
            None => std::thread::sleep(Duration::from_millis(10)),
        }
    };
    kill_group();
    Ok((status, out.join().unwrap_or_default(), err.join().unwrap_or_default()))
}

/// No process `pid` runs in this process-id namespace.
pub fn process_gone(pid: u32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}
