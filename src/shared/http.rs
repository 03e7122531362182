//! The one HTTP client: user agent, timeouts, retries with exponential backoff and jitter on
//! connection errors, timeouts, 5xx and 429 (honouring `Retry-After`), and streaming bodies.
//!
//! Owns transport only. What a body means (a digest to compare, a file to cache) is the
//! caller's; a hash mismatch is never retried here because this module never sees one.

use std::hash::{BuildHasher, Hasher};
use std::io::{self, Read};
use std::time::Duration;

/// Timeouts and retry policy.
#[derive(Debug, Clone)]
pub struct Options {
    pub connect_timeout: Duration,
    /// Longest wait for any single read; a server that stalls longer fails the attempt.
    pub read_timeout: Duration,
    /// Attempts after the first.
    pub retries: u32,
    /// The first backoff; each retry doubles it, with jitter, up to `max_backoff`.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(30),
            retries: 3,
            backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{url}` answered HTTP {status}")]
    Status { url: String, status: u16, attempts: u32 },
    #[error("could not reach `{url}` ({attempts} attempts)")]
    Transport {
        url: String,
        attempts: u32,
        #[source]
        source: ureq::Error,
    },
    #[error("the download of `{url}` failed while reading the body ({attempts} attempts)")]
    Body {
        url: String,
        attempts: u32,
        #[source]
        source: io::Error,
    },
    #[error("`{}` (from {}) cannot serve as the HTTPS root certificates: {reason}", path.display(), crate::shared::env::SSL_CERT_FILE)]
    Certificates { path: std::path::PathBuf, reason: String },
    #[error("`{url}` answered a request for its bytes from {asked} on with a part that is not that range (`Content-Range: {answer}`; {attempts} attempts)")]
    Range { url: String, asked: u64, answer: String, attempts: u32 },
    #[error("could not store the download of `{url}`")]
    Sink {
        url: String,
        #[source]
        source: io::Error,
    },
}

/// Where `Client::download` writes: a file that may already hold the first bytes.
pub trait Sink {
    /// Bytes already held; a retry asks the server for the rest with `Range`.
    fn offset(&self) -> u64;
    /// Drop what is held: the server ignored `Range` and sends the whole body again.
    fn restart(&mut self) -> io::Result<()>;
    fn append(&mut self, chunk: &[u8]) -> io::Result<()>;
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::Status { status: 404, .. } => {
                "the URL names nothing on the server; check it for typos and that the release asset was uploaded"
                    .to_owned()
            }
            Error::Status { status: 401 | 403, .. } => {
                "the server refused access; check the token or the repository's visibility".to_owned()
            }
            Error::Status { .. } => "the server failed; try again later".to_owned(),
            Error::Sink { .. } => {
                "check the free space and the permissions of the download cache (`--cache`)".to_owned()
            }
            Error::Range { .. } => "the server, or a proxy on the way, mishandles byte ranges; each time specgate \
                                    dropped the part and started again from the first byte. Try again later, or \
                                    download the file with another tool and give its path instead of the URL"
                .to_owned(),
            Error::Certificates { .. } => format!(
                "point {} at a PEM file of CA certificates (for example /etc/ssl/certs/ca-certificates.crt), or unset it to use the built-in web PKI roots",
                crate::shared::env::SSL_CERT_FILE
            ),
            Error::Transport { source, .. } if is_tls_failure(source) => format!(
                "the server's TLS certificate is not trusted; if a proxy inspects TLS with a private CA, set {} to a PEM bundle that includes that CA",
                crate::shared::env::SSL_CERT_FILE
            ),
            Error::Transport { .. } | Error::Body { .. } => {
                "check the network, a proxy (`HTTPS_PROXY`), or whether the server is up; then run the command again"
                    .to_owned()
            }
        })
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A successful (2xx) response with its body still to read.
pub struct Response {
    pub status: u16,
    pub content_length: Option<u64>,
    /// A 206 answer's `Content-Range` header, as sent.
    pub content_range: Option<String>,
    body: ureq::BodyReader<'static>,
}

impl Read for Response {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read(buf)
    }
}

/// A blocking client; cheap to clone (connections are pooled and shared).
#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    options: Options,
    /// Why `SSL_CERT_FILE` could not be used; every request then fails with it.
    certificates: Option<(std::path::PathBuf, String)>,
}

impl Client {
    pub fn new(options: Options) -> Client {
        let (roots, certificates) = match std::env::var_os(crate::shared::env::SSL_CERT_FILE).filter(|v| !v.is_empty())
        {
            None => (ureq::tls::RootCerts::WebPki, None),
            Some(path) => match load_roots(std::path::Path::new(&path)) {
                Ok(roots) => (roots, None),
                Err(reason) => (ureq::tls::RootCerts::WebPki, Some((path.into(), reason))),
            },
        };
        let config = ureq::Agent::config_builder()
            .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
            .http_status_as_error(false)
            .user_agent(concat!("specgate/", env!("CARGO_PKG_VERSION")))
            .timeout_connect(Some(options.connect_timeout))
            .timeout_per_read(Some(options.read_timeout))
            .timeout_recv_response(Some(options.read_timeout))
            .max_redirects(10)
            .build();
        Client { agent: config.into(), options, certificates }
    }

    fn check_certificates(&self) -> Result<(), Error> {
        match &self.certificates {
            Some((path, reason)) => Err(Error::Certificates { path: path.clone(), reason: reason.clone() }),
            None => Ok(()),
        }
    }

    /// GET with retries until the server answers 2xx; the body streams from the result.
    pub fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Response, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.get_once(url, headers, attempt) {
                Ok(response) => return Ok(response),
                Err((error, retry_after)) => {
                    if attempt > self.options.retries || !is_retryable(&error) {
                        return Err(error);
                    }
                    std::thread::sleep(self.backoff(attempt, retry_after));
                }
            }
        }
    }

    /// GET and hand the body to `consume`. A transient failure (including a connection that
    /// drops mid-body) restarts the whole GET; an error of `consume` itself is returned as is.
    pub fn fetch<T>(&self, url: &str, mut consume: impl FnMut(&mut dyn Read) -> io::Result<T>) -> Result<T, Error> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let outcome = match self.get_once(url, &[], attempt) {
                Ok(mut response) => consume(&mut response)
                    .map_err(|source| (Error::Body { url: url.to_owned(), attempts: attempt, source }, None)),
                Err(failure) => Err(failure),
            };
            match outcome {
                Ok(value) => return Ok(value),
                Err((error, retry_after)) => {
                    if attempt > self.options.retries || !is_retryable(&error) {
                        return Err(error);
                    }
                    std::thread::sleep(self.backoff(attempt, retry_after));
                }
            }
        }
    }

    /// GET into `sink`. A body cut short is resumed with `Range: bytes=N-` when the server
    /// answers 206 from byte N, and restarted from byte 0 when it answers 200; each resume counts
    /// as a retry. Errors writing the sink (a full disk) are never retried.
    pub fn download(&self, url: &str, sink: &mut dyn Sink) -> Result<(), Error> {
        let mut attempt = 0;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            attempt += 1;
            let offset = sink.offset();
            let range = format!("bytes={offset}-");
            let headers: &[(&str, &str)] = if offset > 0 { &[("Range", &range)] } else { &[] };
            let outcome = match self.get_once(url, headers, attempt) {
                Ok(response)
                    if response.status == 206 && range_first(response.content_range.as_deref()) != Some(offset) =>
                {
                    // A part, but not the one asked for (or none was asked for): appending it
                    // would corrupt the file. Drop what is held and start again from byte 0.
                    sink.restart().map_err(|source| Error::Sink { url: url.to_owned(), source })?;
                    let answer = response.content_range.unwrap_or_else(|| "(none)".to_owned());
                    Err((Error::Range { url: url.to_owned(), asked: offset, answer, attempts: attempt }, None))
                }
                Ok(mut response) => {
                    if offset > 0 && response.status != 206 {
                        // The server ignored `Range` and sends the whole body again.
                        sink.restart().map_err(|source| Error::Sink { url: url.to_owned(), source })?;
                    }
                    loop {
                        match response.read(&mut buf) {
                            Ok(0) => break Ok(()),
                            Ok(n) => {
                                sink.append(&buf[..n]).map_err(|source| Error::Sink { url: url.to_owned(), source })?
                            }
                            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                            Err(source) => {
                                break Err((Error::Body { url: url.to_owned(), attempts: attempt, source }, None))
                            }
                        }
                    }
                }
                Err(failure) => Err(failure),
            };
            match outcome {
                Ok(()) => return Ok(()),
                Err((error, retry_after)) => {
                    if attempt > self.options.retries || !is_retryable(&error) {
                        return Err(error);
                    }
                    std::thread::sleep(self.backoff(attempt, retry_after));
                }
            }
        }
    }

    fn get_once(
        &self,
        url: &str,
        headers: &[(&str, &str)],
        attempt: u32,
    ) -> Result<Response, (Error, Option<Duration>)> {
        self.check_certificates().map_err(|e| (e, None))?;
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request
            .call()
            .map_err(|source| (Error::Transport { url: url.to_owned(), attempts: attempt, source }, None))?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
            let retry_after = retry_wait(|name| response.headers().get(name).and_then(|v| v.to_str().ok()), now);
            return Err((Error::Status { url: url.to_owned(), status, attempts: attempt }, retry_after));
        }
        let content_length =
            response.headers().get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
        let content_range = response
            .headers()
            .get("content-range")
            .map(|v| String::from_utf8_lossy(v.as_bytes()).chars().take(200).collect());
        let body = response.into_body().into_with_config().limit(u64::MAX).reader();
        Ok(Response { status, content_length, content_range, body })
    }

    /// The wait before retry number `attempt` (from 1): exponential backoff with jitter (50% to
    /// 100% of the step), or the server's wait when it asks for longer, capped by `max_backoff`.
    pub fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let step = self.options.backoff.saturating_mul(1u32 << (attempt.max(1) - 1).min(16));
        let jitter = std::collections::hash_map::RandomState::new().build_hasher().finish() % 1000;
        let jittered = step / 2 + step.mul_f64(jitter as f64 / 2000.0);
        jittered.max(retry_after.unwrap_or_default()).min(self.options.max_backoff)
    }
}

/// The body of a `Client::send_once` request.
pub enum Body<'a> {
    Empty,
    Bytes(&'a [u8]),
    /// A stream of exactly `length` bytes, sent with `Content-Length: length` (not chunked).
    Reader {
        reader: &'a mut dyn Read,
        length: u64,
    },
}

/// Any answer of the server (2xx or not) to `Client::send_once`, with its headers; the body
/// streams from it.
pub struct Reply {
    pub status: u16,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    body: ureq::BodyReader<'static>,
}

impl Reply {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Read the body as text, at most `limit` bytes (a larger body is cut).
    pub fn text(mut self, limit: u64) -> io::Result<String> {
        let mut bytes = Vec::new();
        (&mut self.body).take(limit).read_to_end(&mut bytes)?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// How long the server asks us to wait before the next attempt: `Retry-After` in seconds,
    /// or, when `x-ratelimit-remaining` is 0, until `x-ratelimit-reset` (Unix seconds).
    pub fn retry_wait(&self, now_unix: u64) -> Option<Duration> {
        retry_wait(|name| self.header(name), now_unix)
    }
}

impl Read for Reply {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.body.read(buf)
    }
}

/// `Retry-After` (seconds), else the time until `x-ratelimit-reset` when `x-ratelimit-remaining`
/// is `0` (GitHub's primary rate limit).
pub fn retry_wait<'h>(header: impl Fn(&str) -> Option<&'h str>, now_unix: u64) -> Option<Duration> {
    if let Some(seconds) = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok()) {
        return Some(Duration::from_secs(seconds));
    }
    let remaining = header("x-ratelimit-remaining").and_then(|v| v.trim().parse::<u64>().ok());
    let reset = header("x-ratelimit-reset").and_then(|v| v.trim().parse::<u64>().ok());
    match (remaining, reset) {
        (Some(0), Some(reset)) => Some(Duration::from_secs(reset.saturating_sub(now_unix).max(1))),
        _ => None,
    }
}

impl Client {
    /// The timeouts and retry policy of this client.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Send one request of any method, once: no retries, and every status is an answer (the
    /// caller reads 4xx/5xx bodies and decides). Only a transport failure is an `Err`.
    pub fn send_once(&self, method: &str, url: &str, headers: &[(&str, &str)], body: Body<'_>) -> Result<Reply, Error> {
        self.check_certificates()?;
        let transport = |source| Error::Transport { url: url.to_owned(), attempts: 1, source };
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        // A redirect of a write is the caller's to decide: ureq would turn a POST after a 301
        // or 302 into a GET (and a DELETE could then "succeed" without deleting anything). So is
        // one of an authorized request: whether the token goes along depends on where it leads.
        let authorized = headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("authorization"));
        let redirects = if matches!(method, "GET" | "HEAD") && !authorized { 10 } else { 0 };
        let result = match body {
            Body::Empty => {
                let request = builder.body(()).map_err(|e| transport(ureq::Error::Http(e)))?;
                self.agent.run(self.agent.configure_request(request).max_redirects(redirects).build())
            }
            Body::Bytes(bytes) => {
                let request = builder
                    .header("content-length", bytes.len().to_string())
                    .body(bytes)
                    .map_err(|e| transport(ureq::Error::Http(e)))?;
                self.agent.run(self.agent.configure_request(request).max_redirects(redirects).build())
            }
            Body::Reader { reader, length } => {
                let request = builder
                    .header("content-length", length.to_string())
                    .body(ureq::SendBody::from_reader(reader))
                    .map_err(|e| transport(ureq::Error::Http(e)))?;
                self.agent.run(self.agent.configure_request(request).max_redirects(redirects).build())
            }
        };
        let response = result.map_err(transport)?;
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(n, v)| Some((n.as_str().to_ascii_lowercase(), v.to_str().ok()?.to_owned())))
            .collect();
        let body = response.into_body().into_with_config().limit(u64::MAX).reader();
        Ok(Reply { status, headers, body })
    }
}

/// The CA certificates of a PEM file, as the only TLS roots.
fn load_roots(path: &std::path::Path) -> Result<ureq::tls::RootCerts, String> {
    // A system bundle is about 200 KiB; a FIFO or device named here is refused at once.
    let pem =
        crate::shared::readfile::regular(path, 16 * 1024 * 1024).map_err(|e| format!("it cannot be read ({e})"))?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(format!("it is not valid PEM ({e})")),
        }
    }
    if certs.is_empty() {
        return Err("it holds no `BEGIN CERTIFICATE` block".to_owned());
    }
    Ok(ureq::tls::RootCerts::new_with_certs(&certs))
}

/// A TLS handshake failure (an untrusted or invalid certificate): rustls reports it as
/// invalid data on the connection.
fn is_tls_failure(error: &ureq::Error) -> bool {
    match error {
        ureq::Error::Rustls(_) => true,
        ureq::Error::Io(io) => io.kind() == io::ErrorKind::InvalidData,
        _ => false,
    }
}

/// Connection errors, timeouts, 5xx, 429 and bodies cut short are worth another attempt;
/// 4xx answers, bad URLs and TLS failures are not.
/// The first byte of a well-formed `Content-Range: bytes FIRST-LAST/SIZE` (SIZE may be `*`);
/// `None` for anything else.
pub fn range_first(header: Option<&str>) -> Option<u64> {
    let (range, size) = header?.trim().strip_prefix("bytes ")?.split_once('/')?;
    let (first, last) = range.split_once('-')?;
    let number = |text: &str| text.bytes().all(|b| b.is_ascii_digit()).then(|| text.parse::<u64>().ok()).flatten();
    let (first, last) = (number(first)?, number(last)?);
    let size_ok = size == "*" || number(size).is_some_and(|size| last < size);
    (first <= last && size_ok).then_some(first)
}

pub fn is_retryable(error: &Error) -> bool {
    match error {
        Error::Range { .. } => true,
        Error::Status { status, .. } => *status == 429 || *status >= 500,
        Error::Certificates { .. } => false,
        Error::Transport { source, .. } if is_tls_failure(source) => false,
        Error::Transport { source, .. } => matches!(
            source,
            ureq::Error::Io(_)
                | ureq::Error::Timeout(_)
                | ureq::Error::ConnectionFailed
                | ureq::Error::HostNotFound
                | ureq::Error::Protocol(_)
        ),
        Error::Body { source, .. } => {
            matches!(
                source.kind(),
                io::ErrorKind::UnexpectedEof
                    | io::ErrorKind::ConnectionReset
                    | io::ErrorKind::ConnectionAborted
                    | io::ErrorKind::TimedOut
                    | io::ErrorKind::BrokenPipe
                    | io::ErrorKind::WouldBlock
            ) || source.get_ref().is_some_and(|inner| inner.downcast_ref::<ureq::Error>().is_some())
        }
        Error::Sink { .. } => false,
    }
}

/// An error and its causes on one line, `a: b: c`, for a message about a request that failed.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_is_read_only_when_well_formed() {
        assert_eq!(range_first(Some("bytes 200-999/1000")), Some(200));
        assert_eq!(range_first(Some("bytes 0-0/*")), Some(0));
        for bad in [
            "bytes 200-999/999",
            "bytes 9-3/10",
            "bytes */1000",
            "bytes -5/10",
            "items 1-2/3",
            "bytes 1-2",
            "bytes +1-2/3",
            "",
        ] {
            assert_eq!(range_first(Some(bad)), None, "{bad}");
        }
        assert_eq!(range_first(None), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let client = Client::new(Options {
            backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..Options::default()
        });
        let first = client.backoff(1, None);
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100), "{first:?}");
        let third = client.backoff(3, None);
        assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(350), "{third:?}");
        assert_eq!(client.backoff(1, Some(Duration::from_secs(10))), Duration::from_millis(350));
    }

    #[test]
    fn server_waits_come_from_retry_after_or_the_rate_limit_reset() {
        fn from(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<&'static str> {
            move |name| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
        }
        assert_eq!(retry_wait(from(&[("retry-after", "7")]), 100), Some(Duration::from_secs(7)));
        let reset = from(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "160")]);
        assert_eq!(retry_wait(reset, 100), Some(Duration::from_secs(60)));
        let past = from(&[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", "90")]);
        assert_eq!(retry_wait(past, 100), Some(Duration::from_secs(1)));
        let left = from(&[("x-ratelimit-remaining", "5"), ("x-ratelimit-reset", "160")]);
        assert_eq!(retry_wait(left, 100), None);
        assert_eq!(retry_wait(from(&[]), 100), None);
    }

    #[test]
    fn transient_statuses() {
        let status = |status| Error::Status { url: String::new(), status, attempts: 1 };
        assert!(is_retryable(&status(500)));
        assert!(is_retryable(&status(503)));
        assert!(is_retryable(&status(429)));
        assert!(!is_retryable(&status(404)));
        assert!(!is_retryable(&status(403)));
    }
}
