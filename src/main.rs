//! The `specgate` binary: parse arguments, run, print an error chain with its hint, exit.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = specgate::cli::Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let mut stdout = stdout.lock();
    let mut stderr = stderr.lock();
    let mut output = specgate::Output { stdout: &mut stdout, stderr: &mut stderr };
    let status = match specgate::run(cli, &mut output) {
        Ok(status) => status,
        Err(error) => {
            // A closed stdout (`specgate trace | head`) is not a failure.
            if error.is_broken_pipe() {
                return ExitCode::SUCCESS;
            }
            let mut chain = error.chain();
            let mut text = format!("error: {}\n", chain.next().expect("an error is the first link of its chain"));
            for cause in chain {
                text.push_str(&format!("  caused by: {cause}\n"));
            }
            if let Some(hint) = error.hint() {
                text.push_str(&format!("hint: {hint}\n"));
            }
            let _ = stderr.write_all(text.as_bytes());
            specgate::ExitStatus::Failure
        }
    };
    let _ = stdout.flush();
    ExitCode::from(status.code() as u8)
}
