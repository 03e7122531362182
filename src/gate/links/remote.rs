//! `--remote`: the external links of the checked documents, each URL requested once per run
//! through the one HTTP client (`shared::http`): HEAD first, GET when the server refuses HEAD,
//! redirects followed, at most `[links] concurrency` requests in flight, rate limits (429 with
//! `Retry-After`) and server errors retried with the client's backoff, `[links] exclude`
//! patterns never requested. A URL's `#fragment` is not sent and not checked in the page.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use crate::gate::spec::document::Document;
use crate::shared::context::CheckContext;
use crate::shared::diag::{Diagnostic, Report};
use crate::shared::http::{self, Body, Client, Options};

use super::RemoteUse;

/// The longest wait a `Retry-After` may ask for before the link counts as unreachable.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// What requesting one URL found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// The final answer was an error status.
    Broken(u16),
    /// No usable answer: the reason.
    Unreachable(String),
}

/// The URL as requested: without its fragment.
pub fn request_url(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

/// Request `url` (HEAD, then GET when HEAD is refused), retrying 429 and 5xx answers and
/// transport failures with the client's backoff, waiting what `Retry-After` asks up to a limit.
pub fn probe(client: &Client, url: &str) -> Outcome {
    let retries = client.options().retries;
    let mut attempt = 0;
    loop {
        let answer = match client.send_once("HEAD", url, &[], Body::Empty) {
            // Many servers answer HEAD with 403, 404, 405 or 501 and GET with 200.
            Ok(reply) if reply.status >= 400 && reply.status != 429 => {
                drop(reply);
                client.send_once("GET", url, &[], Body::Empty)
            }
            other => other,
        };
        let (outcome, wait) = match answer {
            Ok(reply) if reply.status < 400 => return Outcome::Ok,
            Ok(reply) if reply.status == 429 || reply.status >= 500 => {
                let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
                let asked = reply.retry_wait(now);
                if asked.is_some_and(|wait| wait > MAX_WAIT) {
                    let seconds = asked.map_or(0, |w| w.as_secs());
                    return Outcome::Unreachable(format!(
                        "HTTP {} asks to wait {seconds} s, over the limit of {} s",
                        reply.status,
                        MAX_WAIT.as_secs()
                    ));
                }
                let outcome = if reply.status == 429 {
                    Outcome::Unreachable("rate limited (HTTP 429)".to_owned())
                } else {
                    Outcome::Broken(reply.status)
                };
                (outcome, asked)
            }
            Ok(reply) => return Outcome::Broken(reply.status),
            Err(error) => {
                let retryable = crate::shared::http::is_retryable(&error);
                let reason = http::error_chain(&error);
                if !retryable {
                    return Outcome::Unreachable(reason);
                }
                (Outcome::Unreachable(reason), None)
            }
        };
        attempt += 1;
        if attempt > retries {
            return outcome;
        }
        std::thread::sleep(client.backoff(attempt, wait));
    }
}

/// Request every distinct URL of `uses` once, `concurrency` at a time.
pub fn probe_all(client: &Client, urls: &[String], concurrency: usize) -> BTreeMap<String, Outcome> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..concurrency.clamp(1, urls.len().max(1)) {
            scope.spawn(|| loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(url) = urls.get(index) else { break };
                let outcome = probe(client, url);
                results.lock().expect("no worker panics while holding the lock").insert(url.clone(), outcome);
            });
        }
    });
    results.into_inner().expect("no worker panicked while holding the lock")
}

/// Check the external links `uses` of `documents`; returns how many distinct URLs were requested.
pub fn check(ctx: &CheckContext, documents: &[&Document], uses: &[RemoteUse], report: &mut Report) -> usize {
    let config = &ctx.config.links;
    let excluded = |url: &str| config.exclude.iter().any(|pattern| pattern.is_match(url));
    let urls: Vec<String> = uses
        .iter()
        .map(|u| request_url(&u.url))
        .filter(|url| !excluded(url))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(str::to_owned)
        .collect();
    let client = Client::new(Options {
        connect_timeout: config.timeout,
        read_timeout: config.timeout,
        retries: 2,
        backoff: Duration::from_millis(500),
        max_backoff: MAX_WAIT,
    });
    let outcomes = probe_all(&client, &urls, config.concurrency);
    for found in uses {
        let Some(outcome) = outcomes.get(request_url(&found.url)) else { continue };
        let document = documents[found.document];
        let link = &document.body.links[found.link];
        let finding = |code: &'static str, message: String| {
            Diagnostic::new(code, document.path(), link.position, message).source(&document.source, link.width)
        };
        match outcome {
            Outcome::Ok => {}
            Outcome::Broken(status) => report.push(
                finding("link-remote-broken", format!("`{}` answered HTTP {status}", found.url))
                    .help("fix or remove the link; if the site refuses automated requests, add a pattern for it to `[links] exclude`"),
            ),
            Outcome::Unreachable(reason) => report.push(
                finding("link-remote-unreachable", format!("could not check `{}`: {reason}", found.url))
                    .help("run again later; a site that always times out or rate-limits can be left out with `[links] exclude`"),
            ),
        }
    }
    urls.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_are_not_requested() {
        assert_eq!(request_url("https://example.com/a#b"), "https://example.com/a");
        assert_eq!(request_url("https://example.com/a"), "https://example.com/a");
    }
}
