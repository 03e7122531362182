//! The loopback GitHub of the integration tests (tests/it/github_fake.rs) as a standalone
//! server, for bench/publish.sh: `github_fake OWNER/NAME` with the accepted token in
//! `FAKE_GITHUB_TOKEN`; prints `API_URL UPLOAD_URL` on stdout, then one line per request on
//! stderr, and serves until killed.

#[path = "../tests/it/github_fake.rs"]
mod github_fake;

use std::io::Write;

fn main() {
    let repo = std::env::args().nth(1).unwrap_or_else(|| "acme/cpython-builds".to_owned());
    let token = std::env::var("FAKE_GITHUB_TOKEN").unwrap_or_default();
    if token.is_empty() {
        eprintln!("error: set FAKE_GITHUB_TOKEN to the token the server accepts");
        std::process::exit(2);
    }
    let fake = github_fake::FakeGitHub::start(&repo, &token);
    fake.with(|s| s.verbose = true);
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "{} {}", fake.api, fake.uploads);
    let _ = stdout.flush();
    loop {
        std::thread::park();
    }
}
