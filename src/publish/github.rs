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
use crate::http;

/// The API version this client was written against (GitHub's `X-GitHub-Api-Version`).
pub const API_VERSION: &str = "2022-11-28";
/// The media type GitHub recommends for every REST request.
pub const ACCEPT: &str = "application/vnd.github+json";
/// Page size for listings (GitHub's maximum).
pub const PER_PAGE: u32 = 100;
/// Rate-limit waits accepted per request before giving up.
const MAX_RATE_LIMIT_WAITS: u32 = 5;

/// A release, with the fields publish uses.
#[derive(Debug, Clone, Deserialize)]
pub struct Release {
    pub id: u64,
    pub tag_name: String,
    /// A URI template such as `https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}`.
    pub upload_url: String,
    #[serde(default)]
    pub html_url: String,
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
    Retry { wait: Duration, why: String, rate_limit: bool },
    Fail(Error),
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
        Ok(GitHub { http, api, repo: repo.to_owned(), token, notify, max_wait: Duration::from_secs(900) })
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

    /// `POST /repos/{repo}/releases`. A 422 "already_exists" (someone created it meanwhile)
    /// falls back to reading the release by its tag.
    pub fn create_release(&self, tag: &str, name: &str, body: &str) -> Result<Release, Error> {
        let url = self.releases_url();
        let json = serde_json::json!({
            "tag_name": tag,
            "name": name,
            "body": body,
            "draft": false,
            "prerelease": false,
        })
        .to_string();
        match self.call("POST", &url, Payload::Json(json.as_bytes())) {
            Ok(reply) => parse_json(&url, reply),
            Err(Error::Api { status: 422, .. }) => match self.release_by_tag(tag)? {
                Some(release) => Ok(release),
                None => self.call("POST", &url, Payload::Json(json.as_bytes())).and_then(|r| parse_json(&url, r)),
            },
            Err(error) => Err(error),
        }
    }

    pub fn assets_url(&self, release_id: u64) -> String {
        format!("{}/repos/{}/releases/{release_id}/assets?per_page={PER_PAGE}", self.api, self.repo)
    }

    /// Every asset of a release, following `Link: <...>; rel="next"` on the API host only.
    pub fn assets(&self, release_id: u64) -> Result<Vec<Asset>, Error> {
        let mut url = self.assets_url(release_id);
        let mut all = Vec::new();
        for _ in 0..10_000 {
            let reply = self.call("GET", &url, Payload::None)?;
            let next = reply.header("link").and_then(next_link);
            let page: Vec<Asset> = parse_json(&url, reply)?;
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
        Err(Error::Response { url, reason: "more than 10,000 pages of assets".to_owned() })
    }

    /// The SHA-256 (hex) and size of an asset's bytes, downloaded through
    /// `GET /repos/{repo}/releases/assets/{id}` with `Accept: application/octet-stream` (GitHub
    /// redirects to its storage; the token is not sent along). For assets GitHub reports no
    /// `digest` for.
    pub fn asset_sha256(&self, asset_id: u64) -> Result<(String, u64), Error> {
        let url = self.delete_asset_url(asset_id);
        let reply = self.call("GET", &url, Payload::Download)?;
        let (digest, size) = crate::artifact::sidecar::sha256_reader(reply)
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
                Attempt::Retry { wait, why, rate_limit } => {
                    self.before_retry(&url, &mut attempt, &mut rate_waits, wait, &why, rate_limit)?;
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
                Attempt::Retry { wait, why, rate_limit } => {
                    self.before_retry(url, &mut attempt, &mut rate_waits, wait, &why, rate_limit)?
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
        rate_limit: bool,
    ) -> Result<(), Error> {
        if rate_limit {
            *rate_waits += 1;
            *attempt -= 1;
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

    fn attempt(&self, method: &str, url: &str, payload: &Payload<'_>) -> Attempt {
        let authorization = format!("Bearer {}", self.token);
        let accept = if matches!(payload, Payload::Download) { "application/octet-stream" } else { ACCEPT };
        let mut headers: Vec<(&str, &str)> =
            vec![("authorization", &authorization), ("accept", accept), ("x-github-api-version", API_VERSION)];
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
                    Err(source) => return Attempt::Fail(Error::io("open", path, source)),
                };
                let mut reader = (&mut file).take(*length);
                self.http.send_once(method, url, &headers, http::Body::Reader { reader: &mut reader, length: *length })
            }
        };
        let reply = match result {
            Ok(reply) => reply,
            Err(error) if http::is_retryable(&error) => {
                return Attempt::Retry {
                    wait: Duration::ZERO,
                    why: format!("{method} `{url}` failed ({})", error_chain(&error)),
                    rate_limit: false,
                }
            }
            Err(error) => return Attempt::Fail(Error::Http(error)),
        };
        let status = reply.status;
        if (200..300).contains(&status) {
            return Attempt::Done(reply);
        }
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let server_wait = reply.retry_wait(now);
        let body = reply.text(64 * 1024).unwrap_or_default();
        let parsed: ErrorBody = serde_json::from_str(&body).unwrap_or_default();
        let secondary = parsed.message.to_ascii_lowercase().contains("rate limit");
        if status == 429 || (status == 403 && (server_wait.is_some() || secondary)) {
            return Attempt::Retry {
                // GitHub: without a header, wait at least a minute after a secondary limit.
                wait: server_wait.unwrap_or(Duration::from_secs(60)),
                why: format!("GitHub rate limit on {method} `{url}` (HTTP {status}: {})", parsed.message),
                rate_limit: true,
            };
        }
        if status >= 500 {
            return Attempt::Retry {
                wait: Duration::ZERO,
                why: format!("{method} `{url}` answered HTTP {status}"),
                rate_limit: false,
            };
        }
        Attempt::Fail(Error::Api {
            method: method.to_owned(),
            url: url.to_owned(),
            status,
            message: if parsed.message.is_empty() { body.chars().take(200).collect() } else { parsed.message },
            documentation_url: parsed.documentation_url,
            repo: self.repo.clone(),
        })
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

fn error_chain(error: &dyn std::error::Error) -> String {
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
    fn upload_url_drops_the_template() {
        let release = Release {
            id: 1,
            tag_name: "t".into(),
            upload_url: "https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}".into(),
            html_url: String::new(),
        };
        assert_eq!(
            GitHub::upload_url(&release, "a.tgz"),
            "https://uploads.github.com/repos/o/r/releases/1/assets?name=a.tgz"
        );
    }
}
