//! The critical tests (SPEC_INFRA_001 7.1, BR-007, CA-006): the command configured in
//! `[tests] critical`, run with a timeout, its output's tail kept for the report. Decides
//! nothing about hooks; `hooks` and `commands` call it.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub use crate::shared::config::critical_tests::{RawTestsConfig, TestsConfig};
use crate::shared::diag::{Diagnostic, Position, Report};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not start the critical tests `{}`", crate::shared::config::shorten(command))]
    Spawn {
        command: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        Some("check that `sh` exists and that the command in `[tests] critical` of specgate.toml is right".to_owned())
    }
}

/// What one run of the critical tests gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed { duration: Duration },
    Failed { status: String, tail: String, duration: Duration },
    TimedOut { after: Duration, tail: String },
}

/// Run `command` with `sh -c` in `dir`, merging stdout and stderr, keeping the last
/// `tail_lines` lines. On timeout the whole process group is killed.
pub fn run(command: &str, dir: &Path, timeout: Duration, tail_lines: usize) -> Result<Outcome, Error> {
    use std::os::unix::process::CommandExt;

    let started = Instant::now();
    let (reader, writer) = std::io::pipe().map_err(|source| Error::Spawn { command: command.to_owned(), source })?;
    let writer_clone = writer.try_clone().map_err(|source| Error::Spawn { command: command.to_owned(), source })?;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(writer)
        .stderr(writer_clone)
        // Its own process group, so a timeout stops the test runner's children too.
        .process_group(0)
        .spawn()
        .map_err(|source| Error::Spawn { command: command.to_owned(), source })?;

    let collector = std::thread::spawn(move || {
        let mut tail: VecDeque<String> = VecDeque::with_capacity(tail_lines + 1);
        for line in BufReader::new(reader).split(b'\n') {
            let Ok(line) = line else { break };
            if tail.len() == tail_lines {
                tail.pop_front();
            }
            tail.push_back(String::from_utf8_lossy(&line).into_owned());
        }
        tail.into_iter().collect::<Vec<_>>().join("\n")
    });

    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() >= timeout => break None,
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(_) => break None,
        }
    };
    let Some(status) = status else {
        // Kill the group (negative pid), then reap; the pipe closes when every member is gone.
        let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
        let _ = child.kill();
        let _ = child.wait();
        let tail = collector.join().unwrap_or_default();
        return Ok(Outcome::TimedOut { after: timeout, tail });
    };
    let tail = collector.join().unwrap_or_default();
    let duration = started.elapsed();
    Ok(if status.success() {
        Outcome::Passed { duration }
    } else {
        Outcome::Failed {
            status: status.code().map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit code {c}")),
            tail,
            duration,
        }
    })
}

/// Does a change touch anything the tests depend on? `None` paths: always.
pub fn touches_dependencies(config: &TestsConfig, changed: &[String]) -> bool {
    config.paths.as_ref().is_none_or(|globs| changed.iter().any(|p| globs.is_match(p)))
}

/// Run the critical tests and report the outcome as findings and a note.
pub fn check(config: &TestsConfig, dir: &Path, report: &mut Report) -> Result<(), Error> {
    let Some(full) = &config.critical else {
        report.note("tests: no critical tests configured (`[tests] critical` in specgate.toml)");
        return Ok(());
    };
    // The command as messages show it: a long one is cut.
    let command = crate::shared::config::shorten(full);
    match run(full, dir, config.timeout, config.tail_lines)? {
        Outcome::Passed { duration } => {
            report.note(format!("tests: `{command}` passed in {:.1} s", duration.as_secs_f64()));
        }
        Outcome::Failed { status, tail, duration } => report.push(
            Diagnostic::new(
                "tests-failed",
                "specgate.toml",
                Position::new(1, 1),
                format!(
                    "critical tests `{command}` failed ({status}) after {:.1} s; last lines of output:\n{}",
                    duration.as_secs_f64(),
                    indent(&tail)
                ),
            )
            .help("fix the failing tests and run `specgate check tests` to confirm"),
        ),
        Outcome::TimedOut { after, tail } => report.push(
            Diagnostic::new(
                "tests-timeout",
                "specgate.toml",
                Position::new(1, 1),
                format!(
                    "critical tests `{command}` did not finish within {} s and were stopped; last lines of output:\n{}",
                    after.as_secs(),
                    indent(&tail)
                ),
            )
            .help(
                "make the tests finish (a hang waiting for input or the network?) or raise `[tests] timeout-seconds`",
            ),
        ),
    }
    Ok(())
}

fn indent(text: &str) -> String {
    if text.is_empty() {
        return "    (no output)".to_owned();
    }
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passing_failing_and_hanging_commands() {
        let dir = std::env::temp_dir();
        assert!(matches!(run("true", &dir, Duration::from_secs(10), 5).unwrap(), Outcome::Passed { .. }));
        match run("for i in 1 2 3 4 5 6; do echo line$i; done; echo oops >&2; exit 3", &dir, Duration::from_secs(10), 3)
            .unwrap()
        {
            Outcome::Failed { status, tail, .. } => {
                assert_eq!(status, "exit code 3");
                assert_eq!(tail, "line5\nline6\noops");
            }
            other => panic!("{other:?}"),
        }
        // A hang, including a child that keeps the output pipe open, is stopped.
        match run("echo started; sleep 30 & sleep 30", &dir, Duration::from_millis(500), 5).unwrap() {
            Outcome::TimedOut { tail, .. } => assert_eq!(tail, "started"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_long_command_is_cut_in_the_messages_that_name_it() {
        let command = format!("exit 3 # {}", "x".repeat(10_000));
        let config = RawTestsConfig { critical: Some(command), ..RawTestsConfig::default() }.validate().unwrap();
        let mut report = Report::new(crate::shared::diag::Levels::default());
        check(&config, &std::env::temp_dir(), &mut report).unwrap();
        let message = &report.diagnostics[0].message;
        assert!(message.starts_with("critical tests `exit 3 # xxx"), "{message}");
        assert!(message.contains("... (10009 bytes)` failed (exit code 3)"), "{message}");
        assert!(message.len() < 300, "{message}");
    }

    #[test]
    fn dependency_paths_decide_whether_tests_run() {
        let config = RawTestsConfig {
            critical: Some("true".into()),
            paths: Some(vec!["src/**".into(), "Cargo.toml".into()]),
            ..RawTestsConfig::default()
        }
        .validate()
        .unwrap();
        assert!(touches_dependencies(&config, &["src/lib.rs".into()]));
        assert!(!touches_dependencies(&config, &["docs/x.md".into()]));
        let always = RawTestsConfig::default().validate().unwrap();
        assert!(touches_dependencies(&always, &["docs/x.md".into()]));
    }
}
