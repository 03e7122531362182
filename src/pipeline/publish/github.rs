//! A small GitHub REST client for releases: get a release by tag, create one, list its assets
//! (following `Link` pagination), upload an asset to the `upload_url` host with
//! `Content-Length`, delete an asset.
//!
//! Every request carries `Authorization: Bearer <token>`, `Accept: application/vnd.github+json`
//! and `X-GitHub-Api-Version`. Transient failures (connection errors, 5xx) are retried with
//! backoff; rate limits (403/429 with `Retry-After` or `x-ratelimit-reset`, or a "secondary rate
//! limit" message) are waited out with a message through `notify`. The token is never part of
//! any value this module returns or prints.
//!
//! spec[impl SPEC_INFRA_001]

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::Error;
use crate::shared::http;

/// The API version this client was written against (GitHub's `X-GitHub-Api-Version`).
pub const API_VERSION: &str = "2022-11-28";
/// The media type GitHub recommends for every REST request.
pub const ACCEPT: &str = "application/vnd.github+json";
/// Page size for listings (GitHub's maximum).
pub const PER_PAGE: u32 = 100;
/// Rate-limit waits accepted per request before giving up.
const MAX_RATE_LIMIT_WAITS: u32 = 5;
/// Redirects of one request followed (same method, same host) before giving up.
const MAX_REDIRECTS: u32 = 5;
/// GitHub asks integrators to leave at least a second between mutating requests.
pub const WRITE_INTERVAL: Duration = Duration::from_secs(1);

/// A release, with the fields publish uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Release {
    pub id: u64,
    pub tag_name: String,
    /// A URI template such as `https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}`.
    pub upload_url: String,
    #[serde(default)]
    pub html_url: String,
    /// Drafts are seen only by those who may push; `release_by_tag` never returns one.
    #[serde(default)]
    pub draft: bool,
    /// A published release of a repository with immutable releases on: its assets can no
    /// longer be added, replaced or deleted (the release itself can be deleted).
    #[serde(default)]
    pub immutable: bool,
    /// The assets, as a release's JSON lists them (the first page).
    #[serde(default)]
    pub assets: Vec<Asset>,
}

/// A release asset, with the fields publish uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Asset {
    pub id: u64,
    pub name: String,
    pub size: u64,
    /// `sha256:<hex>` (GitHub computes it on upload); absent on old assets and some servers.
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub browser_download_url: String,
    #[serde(default)]
    pub state: Option<String>,
}

impl Asset {
    /// The hex SHA-256 of `digest`, when the server reported one.
    pub fn sha256_hex(&self) -> Option<&str> {
        self.digest.as_deref().and_then(|d| d.strip_prefix("sha256:"))
    }
}

/// The GitHub error body `{"message": ..., "documentation_url": ...}`.
#[derive(Debug, Default, Deserialize)]
struct ErrorBody {
    #[serde(default)]
    message: String,
    #[serde(default)]
    documentation_url: Option<String>,
}

/// What one request sends.
enum Payload<'p> {
    None,
    Json(&'p [u8]),
    File {
        path: &'p Path,
        length: u64,
        content_type: &'p str,
    },
    Raw {
        bytes: &'p [u8],
        content_type: &'p str,
    },
    /// No body; ask for the asset's bytes (`Accept: application/octet-stream`).
    Download,
}

/// One attempt's outcome.
enum Attempt {
    Done(http::Reply),
    Retry { wait: Duration, why: String, limit: Option<Limit> },
    Fail(Error),
}

/// Which rate limit answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Limit {
    /// The hourly quota (`x-ratelimit-remaining: 0`): wait until its reset.
    Primary,
    /// A secondary limit (too fast, too many writes, or 429): wait, longer at each repeat.
    Secondary,
}

/// The client of one repository.
pub struct GitHub<'n> {
    http: http::Client,
    api: String,
    repo: String,
    token: String,
    notify: &'n dyn Fn(&str),
    /// The longest rate-limit wait accepted; a longer one is an error that says when to retry.
    pub max_wait: Duration,
    /// The least time between two mutating requests (`WRITE_INTERVAL`).
    pub write_interval: Duration,
    last_write: std::cell::Cell<Option<std::time::Instant>>,
}

impl<'n> GitHub<'n> {
    /// `api` is the REST root (`https://api.github.com`, or `https://HOST/api/v3` for GitHub
    /// Enterprise Server); `repo` is `OWNER/NAME`.
    pub fn new(
        http: http::Client,
        api: &str,
        repo: &str,
        token: String,
        notify: &'n dyn Fn(&str),
    ) -> Result<GitHub<'n>, Error> {
        check_repo(repo)?;
        let api = api.trim_end_matches('/').to_owned();
        if !(api.starts_with("https://") || api.starts_with("http://")) {
            return Err(Error::BadApiUrl { url: api });
        }
        Ok(GitHub {
            http,
            api,
            repo: repo.to_owned(),
            token,
            notify,
            max_wait: Duration::from_secs(900),
            write_interval: WRITE_INTERVAL,
            last_write: std::cell::Cell::new(None),
        })
    }

    pub fn repo(&self) -> &str {
        &self.repo
    }

    /// `GET /repos/{repo}/releases/tags/{tag}`; `None` on 404.
    pub fn release_by_tag(&self, tag: &str) -> Result<Option<Release>, Error> {
        let url = self.release_by_tag_url(tag);
        match self.call("GET", &url, Payload::None) {
            Ok(reply) => Ok(Some(parse_json(&url, reply)?)),
            Err(Error::Api { status: 404, .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    pub fn release_by_tag_url(&self, tag: &str) -> String {
        format!("{}/repos/{}/releases/tags/{}", self.api, self.repo, encode(tag))
    }

    pub fn releases_url(&self) -> String {
        format!("{}/repos/{}/releases", self.api, self.repo)
    }

    /// Every release of the repository, drafts included (the token may push, so it sees them),
    /// following `Link` pagination.
    pub fn releases(&self) -> Result<Vec<Release>, Error> {
        self.pages(format!("{}?per_page={PER_PAGE}", self.releases_url()), "releases")
    }

    /// The draft release of `tag`, if a run left one (`GET .../releases/tags/{tag}` never
    /// shows drafts).
    pub fn draft_by_tag(&self, tag: &str) -> Result<Option<Release>, Error> {
        Ok(self.releases()?.into_iter().find(|r| r.draft && r.tag_name == tag))
    }

    /// `POST /repos/{repo}/releases` as a draft: invisible, and open to uploads even where
    /// releases become immutable once published. `target` is the commit the tag will name when
    /// the release is published (GitHub's default branch when `None`).
    pub fn create_draft(&self, tag: &str, name: &str, body: &str, target: Option<&str>) -> Result<Release, Error> {
        let url = self.releases_url();
        let mut json = serde_json::json!({
            "tag_name": tag,
            "name": name,
            "body": body,
            "draft": true,
            "prerelease": false,
        });
        if let Some(target) = target {
            json["target_commitish"] = serde_json::Value::String(target.to_owned());
        }
        parse_json(&url, self.call("POST", &url, Payload::Json(json.to_string().as_bytes()))?)
    }

    pub fn release_url(&self, release_id: u64) -> String {
        format!("{}/repos/{}/releases/{release_id}", self.api, self.repo)
    }

    /// `PATCH /repos/{repo}/releases/{id}` with `draft: false`: the tag is created and the
    /// release (with every asset already attached) becomes visible; `make_latest` says whether
    /// it becomes the repository's Latest release.
    pub fn publish_draft(&self, release_id: u64, make_latest: bool) -> Result<Release, Error> {
        let url = self.release_url(release_id);
        let json = serde_json::json!({ "draft": false, "make_latest": make_latest.to_string() }).to_string();
        parse_json(&url, self.call("PATCH", &url, Payload::Json(json.as_bytes()))?)
    }

    /// `DELETE /repos/{repo}/releases/{id}` (allowed for immutable releases too; their tag
    /// stays); a release already gone counts as deleted.
    pub fn delete_release(&self, release_id: u64) -> Result<(), Error> {
        match self.call("DELETE", &self.release_url(release_id), Payload::None) {
            Ok(_) | Err(Error::Api { status: 404, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    pub fn assets_url(&self, release_id: u64) -> String {
        format!("{}/repos/{}/releases/{release_id}/assets?per_page={PER_PAGE}", self.api, self.repo)
    }

    /// Every asset of a release.
    pub fn assets(&self, release_id: u64) -> Result<Vec<Asset>, Error> {
        self.pages(self.assets_url(release_id), "assets")
    }

    /// Every item of a listing, following `Link: <...>; rel="next"` on the API host only.
    fn pages<T: serde::de::DeserializeOwned>(&self, first: String, what: &str) -> Result<Vec<T>, Error> {
        let mut url = first;
        let mut all = Vec::new();
        for _ in 0..10_000 {
            let reply = self.call("GET", &url, Payload::None)?;
            let next = reply.header("link").and_then(next_link);
            let page: Vec<T> = parse_json(&url, reply)?;
            all.extend(page);
            match next {
                Some(next) if next.starts_with(&self.api) => url = next,
                Some(next) => {
                    return Err(Error::Response {
                        url,
                        reason: format!("the next page `{next}` is not on the API host `{}`", self.api),
                    })
                }
                None => return Ok(all),
            }
        }
        Err(Error::Response { url, reason: format!("more than 10,000 pages of {what}") })
    }

    /// The SHA-256 (hex) and size of an asset's bytes, downloaded through
    /// `GET /repos/{repo}/releases/assets/{id}` with `Accept: application/octet-stream` (GitHub
    /// redirects to its storage; the token is not sent along). For assets GitHub reports no
    /// `digest` for.
    pub fn asset_sha256(&self, asset_id: u64) -> Result<(String, u64), Error> {
        let url = self.delete_asset_url(asset_id);
        let reply = self.call("GET", &url, Payload::Download)?;
        let (digest, size) = crate::shared::artifact::sidecar::sha256_reader(reply)
            .map_err(|e| Error::Response { url, reason: format!("the download broke off ({e})") })?;
        Ok((digest.to_hex(), size))
    }

    pub fn delete_asset_url(&self, asset_id: u64) -> String {
        format!("{}/repos/{}/releases/assets/{asset_id}", self.api, self.repo)
    }

    /// `DELETE /repos/{repo}/releases/assets/{id}`; an asset already gone counts as deleted.
    pub fn delete_asset(&self, asset_id: u64) -> Result<(), Error> {
        match self.call("DELETE", &self.delete_asset_url(asset_id), Payload::None) {
            Ok(_) | Err(Error::Api { status: 404, .. }) => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// The upload URL of one asset: the release's `upload_url` template with `?name=`.
    pub fn upload_url(release: &Release, name: &str) -> String {
        let base = release.upload_url.split('{').next().unwrap_or(&release.upload_url);
        format!("{base}?name={}", encode(name))
    }

    /// Upload a file as an asset. When an attempt fails in a way worth retrying (the
    /// connection dropped, a 5xx), the release's assets are read again before the next attempt:
    /// an asset of that name that is complete and equal is taken as the result, a partial one
    /// is deleted.
    pub fn upload(&self, release: &Release, asset: &super::LocalAsset) -> Result<Asset, Error> {
        let name = asset.name.as_str();
        let payload = match &asset.source {
            super::Source::File(path) => Payload::File { path, length: asset.size, content_type: asset.content_type },
            super::Source::Bytes(bytes) => Payload::Raw { bytes, content_type: asset.content_type },
        };
        let url = GitHub::upload_url(release, name);
        let mut attempt = 0;
        let mut rate_waits = 0;
        loop {
            attempt += 1;
            match self.attempt("POST", &url, &payload) {
                Attempt::Done(reply) => return parse_json(&url, reply),
                // 422 `already_exists`: another run uploaded it meanwhile; equal is done.
                Attempt::Fail(error @ Error::Api { status: 422, .. }) => {
                    return match self.assets(release.id)?.into_iter().find(|a| a.name == name) {
                        Some(existing)
                            if existing.size == asset.size && existing.sha256_hex() == Some(asset.sha256.as_str()) =>
                        {
                            Ok(existing)
                        }
                        _ => Err(error),
                    }
                }
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { wait, why, limit } => {
                    self.before_retry(&url, &mut attempt, &mut rate_waits, wait, &why, limit)?;
                    if let Some(existing) = self.assets(release.id)?.into_iter().find(|a| a.name == name) {
                        if existing.size == asset.size && existing.sha256_hex() == Some(asset.sha256.as_str()) {
                            return Ok(existing);
                        }
                        (self.notify)(&format!("removing the incomplete asset `{name}` before uploading it again"));
                        self.delete_asset(existing.id)?;
                    }
                }
            }
        }
    }

    /// Run one request with retries and rate-limit waits; a non-2xx answer that is not worth
    /// retrying becomes `Error::Api` with GitHub's message.
    fn call(&self, method: &str, url: &str, payload: Payload<'_>) -> Result<http::Reply, Error> {
        let mut attempt = 0;
        let mut rate_waits = 0;
        loop {
            attempt += 1;
            match self.attempt(method, url, &payload) {
                Attempt::Done(reply) => return Ok(reply),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry { wait, why, limit } => {
                    self.before_retry(url, &mut attempt, &mut rate_waits, wait, &why, limit)?
                }
            }
        }
    }

    /// Count the attempt, say why we wait, and sleep; an error when attempts are used up.
    fn before_retry(
        &self,
        url: &str,
        attempt: &mut u32,
        rate_waits: &mut u32,
        wait: Duration,
        why: &str,
        limit: Option<Limit>,
    ) -> Result<(), Error> {
        if let Some(limit) = limit {
            *rate_waits += 1;
            *attempt -= 1;
            // GitHub: after a secondary limit, wait longer at each repeat (exponentially).
            let wait = match limit {
                Limit::Primary => wait,
                Limit::Secondary => wait.saturating_mul(1 << (*rate_waits - 1).min(16)),
            };
            if *rate_waits > MAX_RATE_LIMIT_WAITS || wait > self.max_wait {
                return Err(Error::RateLimited { url: url.to_owned(), wait_secs: wait.as_secs() });
            }
            (self.notify)(&format!("{why}; waiting {} s as GitHub asks, then retrying", wait.as_secs().max(1)));
            std::thread::sleep(wait);
            return Ok(());
        }
        if *attempt > self.http.options().retries {
            return Err(Error::GaveUp { url: url.to_owned(), attempts: *attempt, last: why.to_owned() });
        }
        let delay = self.http.backoff(*attempt, None);
        (self.notify)(&format!(
            "{why}; retrying in {:.1} s (attempt {} of {})",
            delay.as_secs_f64(),
            *attempt + 1,
            self.http.options().retries + 1
        ));
        std::thread::sleep(delay);
        Ok(())
    }

    /// One request, following redirects with the same method. On the same host (a renamed or
    /// transferred repository) the token goes along; an asset's download goes on to another host
    /// (GitHub's storage) without the token; any other request to another host is refused.
    fn attempt(&self, method: &str, url: &str, payload: &Payload<'_>) -> Attempt {
        let mut url = url.to_owned();
        let mut authorized = true;
        for _ in 0..=MAX_REDIRECTS {
            match self.attempt_at(method, &url, payload, authorized) {
                Sent::Answer(attempt) => return attempt,
                Sent::Redirect { status, location } => {
                    let location = absolute(&url, &location);
                    if origin(&location) == origin(&url) {
                        if !matches!(payload, Payload::Download) {
                            (self.notify)(&format!(
                                "`{url}` moved to `{location}` (HTTP {status}); sending the {method} there (the \
                                 repository may have been renamed or transferred: pass its current name with `--repo`)"
                            ));
                        }
                    } else if matches!(payload, Payload::Download) {
                        authorized = false;
                    } else {
                        return Attempt::Fail(Error::Redirect { method: method.to_owned(), url, status, location });
                    }
                    url = location;
                }
            }
        }
        Attempt::Fail(Error::Response { url, reason: format!("more than {MAX_REDIRECTS} redirects") })
    }

    fn attempt_at(&self, method: &str, url: &str, payload: &Payload<'_>, authorized: bool) -> Sent {
        // `write_interval` from the end of the previous mutating request to the start of this one.
        let writes = !matches!(method, "GET" | "HEAD");
        if let Some(last) = self.last_write.get().filter(|_| writes) {
            std::thread::sleep(self.write_interval.saturating_sub(last.elapsed()));
        }
        let sent = self.send(method, url, payload, authorized);
        if writes {
            self.last_write.set(Some(std::time::Instant::now()));
        }
        sent
    }

    fn send(&self, method: &str, url: &str, payload: &Payload<'_>, authorized: bool) -> Sent {
        let authorization = format!("Bearer {}", self.token);
        let accept = if matches!(payload, Payload::Download) { "application/octet-stream" } else { ACCEPT };
        let mut headers: Vec<(&str, &str)> = vec![("accept", accept), ("x-github-api-version", API_VERSION)];
        if authorized {
            headers.push(("authorization", &authorization));
        }
        let result = match payload {
            Payload::None | Payload::Download => self.http.send_once(method, url, &headers, http::Body::Empty),
            Payload::Json(bytes) => {
                headers.push(("content-type", "application/json"));
                self.http.send_once(method, url, &headers, http::Body::Bytes(bytes))
            }
            Payload::Raw { bytes, content_type } => {
                headers.push(("content-type", content_type));
                self.http.send_once(method, url, &headers, http::Body::Bytes(bytes))
            }
            Payload::File { path, length, content_type } => {
                headers.push(("content-type", content_type));
                let mut file = match std::fs::File::open(path) {
                    Ok(file) => file,
                    Err(source) => return Sent::Answer(Attempt::Fail(Error::io("open", path, source))),
                };
                let mut reader = (&mut file).take(*length);
                self.http.send_once(method, url, &headers, http::Body::Reader { reader: &mut reader, length: *length })
            }
        };
        let reply = match result {
            Ok(reply) => reply,
            Err(error) if http::is_retryable(&error) => {
                return Sent::Answer(Attempt::Retry {
                    wait: Duration::ZERO,
                    why: format!("{method} `{url}` failed ({})", http::error_chain(&error)),
                    limit: None,
                })
            }
            Err(error) => return Sent::Answer(Attempt::Fail(Error::Http(error))),
        };
        let status = reply.status;
        if (200..300).contains(&status) {
            return Sent::Answer(Attempt::Done(reply));
        }
        if matches!(status, 301 | 302 | 303 | 307 | 308) {
            if let Some(location) = reply.header("location") {
                return Sent::Redirect { status, location: location.to_owned() };
            }
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let server_wait = reply.retry_wait(now);
        let primary = reply.header("x-ratelimit-remaining") == Some("0");
        let body = reply.text(64 * 1024).unwrap_or_default();
        let parsed: ErrorBody = serde_json::from_str(&body).unwrap_or_default();
        let mentions_limit = parsed.message.to_ascii_lowercase().contains("rate limit");
        if status == 429 || (status == 403 && (server_wait.is_some() || mentions_limit)) {
            return Sent::Answer(Attempt::Retry {
                // GitHub: without a header, wait at least a minute after a secondary limit.
                wait: server_wait.unwrap_or(Duration::from_secs(60)),
                why: format!("GitHub rate limit on {method} `{url}` (HTTP {status}: {})", parsed.message),
                limit: Some(if primary { Limit::Primary } else { Limit::Secondary }),
            });
        }
        if status >= 500 {
            return Sent::Answer(Attempt::Retry {
                wait: Duration::ZERO,
                why: format!("{method} `{url}` answered HTTP {status}"),
                limit: None,
            });
        }
        if status == 422 && parsed.message.to_ascii_lowercase().contains("immutable") {
            return Sent::Answer(Attempt::Fail(Error::Immutable {
                method: method.to_owned(),
                url: url.to_owned(),
                message: parsed.message,
            }));
        }
        Sent::Answer(Attempt::Fail(Error::Api {
            method: method.to_owned(),
            url: url.to_owned(),
            status,
            message: if parsed.message.is_empty() { body.chars().take(200).collect() } else { parsed.message },
            documentation_url: parsed.documentation_url,
            repo: self.repo.clone(),
        }))
    }
}

/// What one request got: an answer, or a redirect for the caller to judge.
enum Sent {
    Answer(Attempt),
    Redirect { status: u16, location: String },
}

/// `scheme://host[:port]` of a URL.
fn origin(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let end = url[after_scheme..].find('/').map_or(url.len(), |i| after_scheme + i);
    &url[..end]
}

/// A `Location` made absolute against the URL it answered.
fn absolute(url: &str, location: &str) -> String {
    if location.contains("://") {
        location.to_owned()
    } else if location.starts_with('/') {
        format!("{}{location}", origin(url))
    } else {
        let base = url.split('?').next().unwrap_or(url);
        format!("{}/{location}", base.rsplit_once('/').map_or(base, |(dir, _)| dir))
    }
}

/// `OWNER/NAME` with GitHub's allowed characters.
pub fn check_repo(repo: &str) -> Result<(), Error> {
    let ok = |part: &str| {
        !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) && part != ".."
    };
    match repo.split_once('/') {
        Some((owner, name)) if ok(owner) && ok(name) => Ok(()),
        _ => Err(Error::BadRepo { repo: repo.to_owned() }),
    }
}

/// The `rel="next"` target of a `Link` header.
pub fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let is_next = params.split(';').any(|p| matches!(p.trim(), "rel=\"next\"" | "rel=next"));
        is_next.then(|| target.trim().trim_start_matches('<').trim_end_matches('>').to_owned())
    })
}

/// Percent-encode a path segment or query value (RFC 3986 unreserved characters kept).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn parse_json<T: serde::de::DeserializeOwned>(url: &str, reply: http::Reply) -> Result<T, Error> {
    let text = reply
        .text(64 * 1024 * 1024)
        .map_err(|e| Error::Response { url: url.to_owned(), reason: format!("the body could not be read ({e})") })?;
    serde_json::from_str(&text).map_err(|e| Error::Response {
        url: url.to_owned(),
        reason: format!("the JSON is not what GitHub documents ({e})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_header_next() {
        let link = "<https://api.github.com/repositories/1/releases/2/assets?per_page=2&page=2>; rel=\"next\", \
                    <https://api.github.com/repositories/1/releases/2/assets?per_page=2&page=5>; rel=\"last\"";
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/repositories/1/releases/2/assets?per_page=2&page=2")
        );
        assert_eq!(next_link("<https://x/?page=1>; rel=\"prev\""), None);
    }

    #[test]
    fn repos_and_encoding() {
        assert!(check_repo("python/cpython").is_ok());
        assert!(check_repo("a.b-c_d/e.f").is_ok());
        for bad in ["python", "/x", "x/", "a/b/c", "a b/c", "../x"] {
            assert!(check_repo(bad).is_err(), "{bad}");
        }
        assert_eq!(encode("cpython-3.12.6-x.tgz"), "cpython-3.12.6-x.tgz");
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn redirect_locations_are_made_absolute_and_compared_by_origin() {
        let url = "https://api.github.com/repos/o/r/releases?per_page=100";
        assert_eq!(origin(url), "https://api.github.com");
        assert_eq!(origin("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(absolute(url, "/repositories/7/releases"), "https://api.github.com/repositories/7/releases");
        assert_eq!(absolute(url, "https://x.example/y"), "https://x.example/y");
        assert_eq!(absolute("https://h/a/b/c?q", "d"), "https://h/a/b/d");
        assert_ne!(origin("https://api.github.com.evil.example/x"), origin(url));
        assert_ne!(origin("http://api.github.com/x"), origin(url), "another scheme is another origin");
    }

    #[test]
    fn upload_url_drops_the_template() {
        let release = Release {
            id: 1,
            tag_name: "t".into(),
            upload_url: "https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}".into(),
            html_url: String::new(),
            draft: true,
            immutable: false,
            assets: Vec::new(),
        };
        assert_eq!(
            GitHub::upload_url(&release, "a.tgz"),
            "https://uploads.github.com/repos/o/r/releases/1/assets?name=a.tgz"
        );
    }
}
