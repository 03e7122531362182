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

/// At most this many bytes of a child's stdout, and as many of its stderr, are kept: enough for
/// every output specgate reads, while a child that prints without end cannot fill the memory.
pub const MAX_CAPTURE: usize = 4 * 1024 * 1024;

/// The first `MAX_CAPTURE` bytes of a stream, as text (invalid UTF-8 replaced); the rest is
/// read and dropped, so the child never blocks on a full pipe.
fn capture(stream: &mut dyn Read) -> String {
    let mut kept = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = MAX_CAPTURE - kept.len();
                kept.extend_from_slice(&buffer[..n.min(room)]);
            }
        }
    }
    String::from_utf8_lossy(&kept).into_owned()
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
    let out = std::thread::spawn(move || capture(&mut stdout));
    let err = std::thread::spawn(move || capture(&mut stderr));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut command = Command::new("sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn endless_output_is_cut_at_the_cap_and_the_child_still_finishes() {
        // 16 MiB on stdout, more than the cap; the child must not block on a full pipe.
        let limit = TimeLimit::new(Duration::from_secs(60), "`test`");
        let (status, stdout, stderr) =
            output_within(sh("head -c 16777216 /dev/zero | tr '\\0' x; echo done >&2"), limit).unwrap();
        assert!(status.success());
        assert_eq!(stdout.len(), MAX_CAPTURE);
        assert!(stdout.bytes().all(|b| b == b'x'));
        assert_eq!(stderr, "done\n");
    }

    #[test]
    fn output_that_is_not_utf8_is_kept_with_replacement_characters() {
        let limit = TimeLimit::new(Duration::from_secs(60), "`test`");
        let (_, stdout, _) = output_within(sh("printf 'caf\\351 ok'"), limit).unwrap();
        assert_eq!(stdout, "caf\u{FFFD} ok");
    }
}
