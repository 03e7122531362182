//! A loopback stand-in for the GitHub REST API of releases, strict about what GitHub documents:
//!
//! - every request needs a `User-Agent` (403 without), `Authorization: Bearer <token>` (or
//!   `token <token>`), `Accept: application/vnd.github+json` and `X-GitHub-Api-Version:
//!   2022-11-28`; otherwise 401, 415 or 400 with GitHub's error body `{"message",
//!   "documentation_url", "status"}`;
//! - `GET /repos/{owner}/{repo}/releases/tags/{tag}` (published releases only: drafts are
//!   invisible there), `GET /repos/{owner}/{repo}/releases` (drafts included, paginated),
//!   `POST /repos/{owner}/{repo}/releases` (JSON with `tag_name`, `draft`, `target_commitish`;
//!   422 `already_exists` for a tag a published release has), `PATCH
//!   /repos/{owner}/{repo}/releases/{id}` (`draft: false` publishes, `make_latest` recorded),
//!   `DELETE /repos/{owner}/{repo}/releases/{id}`,
//!   `GET /repos/{owner}/{repo}/releases/{id}/assets?per_page&page` (paginated with a `Link`
//!   header), `DELETE /repos/{owner}/{repo}/releases/assets/{id}` (204) on the API host;
//! - an asset's bytes (`Accept: application/octet-stream`) answer 302 to a storage URL on the
//!   other host, which refuses a request that still carries `Authorization`;
//! - immutable releases (`State::immutable`): a release published then is immutable, and
//!   uploads to it and deletes of its assets answer 422 "Cannot upload assets to an immutable
//!   release" (the release itself can be deleted);
//! - a renamed repository (`State::moved`): every request under the old name answers a
//!   redirect to the new name, on the same host;
//! - draft assets' download URLs name `untagged-<id>`, as GitHub's do until publication;
//! - uploads only on a second host (the `upload_url` of the release), `POST
//!   /repos/{owner}/{repo}/releases/{id}/assets?name=N` with `Content-Type` and
//!   `Content-Length` (411 without it; 422 for a name already there); the asset gets
//!   `digest: "sha256:<hex>"` computed from the bytes received;
//! - a read-only token gets 403 "Resource not accessible by personal access token" on writes;
//! - anything else is 404 `Not Found`.
//!
//! Faults are injected one-shot per (method, path fragment): a status (500), a secondary rate
//! limit (403 with `Retry-After`), 429 with `Retry-After`, a dropped upload (the connection
//! closes halfway through the body), an upload that fails with 502 and leaves a `starter`
//! asset, a wrong digest reported after an upload.
//!
//! Used by tests/it/publish.rs and, through examples/github_fake.rs, by bench/publish.sh.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use sha2::{Digest as _, Sha256};

pub const API_VERSION: &str = "2022-11-28";
const DOCS: &str = "https://docs.github.com/rest/releases";
/// Asset bodies up to this size are kept, so tests can read them back.
const KEEP_CONTENT: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answer with this status and a GitHub error body.
    Status(u16),
    /// 403 with `Retry-After` and the secondary-rate-limit message.
    SecondaryRateLimit { retry_after: u64 },
    /// 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` `seconds` from now.
    PrimaryRateLimit { seconds: u64 },
    /// Read half of an upload's body, then close the connection without answering.
    DropUpload,
    /// Accept the upload but report a digest of other bytes.
    WrongDigest,
    /// 429 Too Many Requests with `Retry-After`.
    TooManyRequests { retry_after: u64 },
    /// Read the upload, keep an asset in state `starter` (no digest), answer 502.
    Starter,
}

#[derive(Debug, Clone)]
pub struct FakeAsset {
    pub id: u64,
    pub name: String,
    pub size: u64,
    pub sha256: String,
    pub content_type: String,
    pub content: Option<Vec<u8>>,
    /// `uploaded`, or `starter` for an upload that never finished.
    pub state: String,
    /// Report no digest (as for assets uploaded before GitHub computed them).
    pub hide_digest: bool,
}

#[derive(Debug, Clone)]
pub struct FakeRelease {
    pub id: u64,
    pub tag: String,
    pub name: String,
    pub assets: Vec<FakeAsset>,
    pub draft: bool,
    pub immutable: bool,
    /// As sent when the release was created.
    pub target_commitish: Option<String>,
    /// As sent when the release was published (`"true"`, `"false"`, `"legacy"`).
    pub make_latest: Option<String>,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub upload_host: bool,
    pub method: String,
    pub target: String,
    pub status: u16,
    pub content_length: Option<u64>,
    /// When the server read its request line.
    pub at: std::time::Instant,
}

#[derive(Debug, Default)]
pub struct State {
    pub repo: String,
    /// Tokens and whether each may write.
    pub tokens: Vec<(String, bool)>,
    pub releases: Vec<FakeRelease>,
    pub next_id: u64,
    pub faults: Vec<(String, String, Fault)>,
    pub log: Vec<Logged>,
    /// The largest page the server hands out, whatever `per_page` asks (to force pagination).
    pub page_max: usize,
    pub api: String,
    pub uploads: String,
    /// Print one line per request on stderr (the bench reads it).
    pub verbose: bool,
    /// Releases published from now on are immutable (the repository setting).
    pub immutable: bool,
    /// The repository's former name, the status its requests answer (301, 302 or 307), and
    /// the host the redirect names (this one when `None`).
    pub moved: Option<(String, u16, Option<String>)>,
}

#[derive(Clone)]
pub struct FakeGitHub {
    /// `http://127.0.0.1:PORT`, the REST root (`--api-url`).
    pub api: String,
    /// `http://127.0.0.1:PORT` of the upload host.
    pub uploads: String,
    pub state: Arc<Mutex<State>>,
}

impl FakeGitHub {
    /// A server for `repo` (`owner/name`) that accepts `token` for reads and writes.
    pub fn start(repo: &str, token: &str) -> FakeGitHub {
        let api_listener = TcpListener::bind("127.0.0.1:0").expect("bind the API port");
        let upload_listener = TcpListener::bind("127.0.0.1:0").expect("bind the upload port");
        let api = format!("http://{}", api_listener.local_addr().expect("address"));
        let uploads = format!("http://{}", upload_listener.local_addr().expect("address"));
        let state = Arc::new(Mutex::new(State {
            repo: repo.to_owned(),
            tokens: vec![(token.to_owned(), true)],
            next_id: 1,
            page_max: 100,
            api: api.clone(),
            uploads: uploads.clone(),
            ..State::default()
        }));
        for (listener, upload_host) in [(api_listener, false), (upload_listener, true)] {
            let state = state.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let state = state.clone();
                    std::thread::spawn(move || serve(stream, upload_host, &state));
                }
            });
        }
        FakeGitHub { api, uploads, state }
    }

    pub fn with<T>(&self, f: impl FnOnce(&mut State) -> T) -> T {
        f(&mut self.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Inject a one-shot fault for the next request whose method matches and whose path
    /// contains `fragment`.
    pub fn inject(&self, method: &str, fragment: &str, fault: Fault) {
        self.with(|s| s.faults.push((method.to_owned(), fragment.to_owned(), fault)));
    }

    pub fn add_token(&self, token: &str, write: bool) {
        self.with(|s| s.tokens.push((token.to_owned(), write)));
    }

    pub fn log(&self) -> Vec<Logged> {
        self.with(|s| s.log.clone())
    }

    /// Successful uploads so far.
    pub fn upload_count(&self) -> usize {
        self.with(|s| s.log.iter().filter(|l| l.upload_host && l.method == "POST" && l.status == 201).count())
    }

    pub fn release(&self, tag: &str) -> Option<FakeRelease> {
        self.with(|s| s.releases.iter().find(|r| r.tag == tag).cloned())
    }

    /// Create a release with assets directly (state that exists before a test runs).
    pub fn seed_release(&self, tag: &str, assets: &[(&str, &[u8])]) {
        self.seed(tag, assets, false);
    }

    /// Like `seed_release`, with assets that report no `digest` (uploaded before GitHub
    /// computed them, or on a server that does not).
    pub fn seed_release_without_digests(&self, tag: &str, assets: &[(&str, &[u8])]) {
        self.seed(tag, assets, true);
    }

    /// A draft release with assets, as a run cut off before publishing leaves it.
    pub fn seed_draft(&self, tag: &str, assets: &[(&str, &[u8])]) {
        self.seed(tag, assets, false);
        self.with(|s| {
            let release = s.releases.last_mut().expect("just seeded");
            release.draft = true;
            release.immutable = false;
        });
    }

    fn seed(&self, tag: &str, assets: &[(&str, &[u8])], hide_digest: bool) {
        self.with(|s| {
            let id = s.next_id;
            s.next_id += 1;
            let mut release = FakeRelease {
                id,
                tag: tag.to_owned(),
                name: tag.to_owned(),
                assets: Vec::new(),
                draft: false,
                immutable: s.immutable,
                target_commitish: None,
                make_latest: None,
            };
            for (name, content) in assets {
                let asset_id = s.next_id;
                s.next_id += 1;
                release.assets.push(FakeAsset {
                    id: asset_id,
                    name: (*name).to_owned(),
                    size: content.len() as u64,
                    sha256: hex(&Sha256::digest(content)),
                    content_type: "application/octet-stream".to_owned(),
                    content: Some(content.to_vec()),
                    state: "uploaded".to_owned(),
                    hide_digest,
                });
            }
            s.releases.push(release);
        });
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

struct Request {
    method: String,
    target: String,
    path: String,
    query: HashMap<String, String>,
    headers: HashMap<String, String>,
}

struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn answer(status: u16, body: serde_json::Value) -> Answer {
    Answer { status, headers: Vec::new(), body: body.to_string().into_bytes() }
}

fn error(status: u16, message: &str) -> Answer {
    answer(status, serde_json::json!({"message": message, "documentation_url": DOCS, "status": status.to_string()}))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        411 => "Length Required",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        500 => "Internal Server Error",
        _ => "Status",
    }
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Serve one connection (keep-alive) until the client closes it or a fault drops it.
fn serve(stream: TcpStream, upload_host: bool, state: &Arc<Mutex<State>>) {
    let mut writer = match stream.try_clone() {
        Ok(writer) => writer,
        Err(_) => return,
    };
    let mut reader = BufReader::with_capacity(1024 * 1024, stream);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let received = std::time::Instant::now();
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next()) else {
            return;
        };
        if version != "HTTP/1.1" {
            return;
        }
        let mut headers = HashMap::new();
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let (path, query_text) = target.split_once('?').unwrap_or((target, ""));
        let query = query_text
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect();
        let request =
            Request { method: method.to_owned(), target: target.to_owned(), path: path.to_owned(), query, headers };
        let content_length: Option<u64> = request.headers.get("content-length").and_then(|v| v.parse().ok());
        let chunked = request.headers.get("transfer-encoding").is_some_and(|v| v.contains("chunked"));
        let fault = {
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            let position = s
                .faults
                .iter()
                .position(|(m, fragment, _)| *m == request.method && request.path.contains(fragment.as_str()));
            position.map(|i| s.faults.remove(i).2)
        };
        let outcome = handle(&request, upload_host, content_length, chunked, fault, &mut reader, state);
        let Some(answer) = outcome else {
            // A dropped connection.
            let _ = writer.shutdown(Shutdown::Both);
            return;
        };
        {
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            if s.verbose {
                eprintln!(
                    "fake-github: {} {} {} -> {} ({} bytes)",
                    if upload_host { "upload" } else { "api" },
                    request.method,
                    request.target,
                    answer.status,
                    content_length.unwrap_or(0)
                );
            }
            s.log.push(Logged {
                upload_host,
                method: request.method.clone(),
                target: request.target.clone(),
                status: answer.status,
                content_length,
                at: received,
            });
        }
        let mut head = format!("HTTP/1.1 {} {}\r\n", answer.status, reason(answer.status));
        head.push_str("Server: fake-github\r\n");
        head.push_str(&format!("X-GitHub-Api-Version-Selected: {API_VERSION}\r\n"));
        for (name, value) in &answer.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if answer.status == 204 {
            head.push_str("\r\n");
        } else {
            if !answer.headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("content-type")) {
                head.push_str("Content-Type: application/json; charset=utf-8\r\n");
            }
            head.push_str(&format!("Content-Length: {}\r\n\r\n", answer.body.len()));
        }
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&answer.body);
        if writer.write_all(&bytes).and_then(|()| writer.flush()).is_err() {
            return;
        }
        if answer.headers.iter().any(|(n, v)| n == "Connection" && v == "close") {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

/// Read (and discard or keep) a body of `length` bytes; `None` when the client went away.
fn read_body(reader: &mut impl Read, length: u64, keep: bool) -> Option<(Vec<u8>, String, u64)> {
    let mut hasher = Sha256::new();
    let mut kept = Vec::new();
    let mut buf = vec![0u8; 1024 * 1024];
    let mut left = length;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        let n = reader.read(&mut buf[..want]).ok()?;
        if n == 0 {
            return None;
        }
        hasher.update(&buf[..n]);
        if keep {
            kept.extend_from_slice(&buf[..n]);
        }
        left -= n as u64;
    }
    Some((kept, hex(&hasher.finalize()), length))
}

fn release_json(s: &State, release: &FakeRelease) -> serde_json::Value {
    let repo = &s.repo;
    serde_json::json!({
        "url": format!("{}/repos/{repo}/releases/{}", s.api, release.id),
        "html_url": format!("https://github.com/{repo}/releases/tag/{}", release.tag),
        "assets_url": format!("{}/repos/{repo}/releases/{}/assets", s.api, release.id),
        "upload_url": format!("{}/repos/{repo}/releases/{}/assets{{?name,label}}", s.uploads, release.id),
        "tarball_url": format!("{}/repos/{repo}/tarball/{}", s.api, release.tag),
        "zipball_url": format!("{}/repos/{repo}/zipball/{}", s.api, release.tag),
        "id": release.id,
        "node_id": format!("RE_{}", release.id),
        "tag_name": release.tag,
        "target_commitish": release.target_commitish.as_deref().unwrap_or("main"),
        "name": release.name,
        "body": "",
        "draft": release.draft,
        "prerelease": false,
        "immutable": release.immutable,
        "created_at": "2026-01-01T00:00:00Z",
        "published_at": if release.draft { serde_json::Value::Null } else { "2026-01-01T00:00:00Z".into() },
        "author": {"login": "octocat", "id": 1, "type": "User"},
        "assets": release.assets.iter().map(|a| asset_json(s, release, a)).collect::<Vec<_>>(),
    })
}

fn asset_json(s: &State, release: &FakeRelease, asset: &FakeAsset) -> serde_json::Value {
    serde_json::json!({
        "url": format!("{}/repos/{}/releases/assets/{}", s.api, s.repo, asset.id),
        "browser_download_url": if release.draft {
            format!("https://github.com/{}/releases/download/untagged-{}/{}", s.repo, release.id, asset.name)
        } else {
            format!("https://github.com/{}/releases/download/{}/{}", s.repo, release.tag, asset.name)
        },
        "id": asset.id,
        "node_id": format!("RA_{}", asset.id),
        "name": asset.name,
        "label": "",
        "state": asset.state,
        "content_type": asset.content_type,
        "size": asset.size,
        "digest": if asset.hide_digest { serde_json::Value::Null } else { serde_json::Value::String(format!("sha256:{}", asset.sha256)) },
        "download_count": 0,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": "2026-01-01T00:00:00Z",
        "uploader": {"login": "octocat", "id": 1, "type": "User"},
    })
}

fn handle(
    request: &Request,
    upload_host: bool,
    content_length: Option<u64>,
    chunked: bool,
    fault: Option<Fault>,
    reader: &mut BufReader<TcpStream>,
    state: &Arc<Mutex<State>>,
) -> Option<Answer> {
    let is_upload = upload_host && request.method == "POST";
    // Bodies of anything but an upload are small JSON; read them first so the connection stays
    // usable whatever the answer.
    let mut json_body = Vec::new();
    if !is_upload {
        if chunked {
            return Some(error(400, "Problems parsing JSON"));
        }
        let length = content_length.unwrap_or(0);
        if length > 1024 * 1024 {
            return Some(error(413, "Payload too large"));
        }
        json_body = read_body(reader, length, true)?.0;
    }
    // Faults that answer before anything else is looked at.
    match &fault {
        Some(Fault::Status(status)) => {
            if is_upload {
                read_body(reader, content_length.unwrap_or(0), false)?;
            }
            return Some(error(*status, "Server Error"));
        }
        Some(Fault::SecondaryRateLimit { retry_after }) => {
            if is_upload {
                read_body(reader, content_length.unwrap_or(0), false)?;
            }
            let mut a =
                error(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.");
            a.headers.push(("Retry-After".to_owned(), retry_after.to_string()));
            return Some(a);
        }
        Some(Fault::TooManyRequests { retry_after }) => {
            if is_upload {
                read_body(reader, content_length.unwrap_or(0), false)?;
            }
            let mut a = error(429, "Too many requests");
            a.headers.push(("Retry-After".to_owned(), retry_after.to_string()));
            return Some(a);
        }
        Some(Fault::PrimaryRateLimit { seconds }) => {
            if is_upload {
                read_body(reader, content_length.unwrap_or(0), false)?;
            }
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            let mut a = error(403, "API rate limit exceeded for user ID 1.");
            a.headers.push(("x-ratelimit-limit".to_owned(), "5000".to_owned()));
            a.headers.push(("x-ratelimit-remaining".to_owned(), "0".to_owned()));
            a.headers.push(("x-ratelimit-reset".to_owned(), (now + seconds).to_string()));
            return Some(a);
        }
        _ => {}
    }

    if !request.headers.contains_key("user-agent") {
        let a = error(
            403,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
        );
        if is_upload && !chunked {
            read_body(reader, content_length.unwrap_or(0), false)?;
        }
        return Some(a);
    }
    // The storage host an asset's bytes redirect to: no token may follow the redirect.
    if upload_host && request.method == "GET" {
        if let Some(id) = request.path.strip_prefix("/storage/") {
            if request.headers.contains_key("authorization") {
                return Some(error(400, "Only one auth mechanism allowed; the token must not follow the redirect"));
            }
            let s = state.lock().unwrap_or_else(|p| p.into_inner());
            let id: u64 = id.parse().unwrap_or(0);
            let content =
                s.releases.iter().flat_map(|r| &r.assets).find(|a| a.id == id).and_then(|a| a.content.clone());
            return Some(match content {
                Some(body) => Answer {
                    status: 200,
                    headers: vec![("Content-Type".to_owned(), "application/octet-stream".to_owned())],
                    body,
                },
                None => error(404, "Not Found"),
            });
        }
    }
    // A renamed repository: every request under the old name is redirected, same host.
    let moved = state.lock().unwrap_or_else(|p| p.into_inner()).moved.clone();
    if let Some((old, status, elsewhere)) = moved {
        let prefix = format!("/repos/{old}/");
        if let Some(rest) = request.target.strip_prefix(&prefix) {
            if is_upload && !chunked {
                read_body(reader, content_length.unwrap_or(0), false)?;
            }
            let s = state.lock().unwrap_or_else(|p| p.into_inner());
            let host = elsewhere.as_ref().unwrap_or(if upload_host { &s.uploads } else { &s.api });
            let mut a = error(status, "Moved Permanently");
            a.headers.push(("Location".to_owned(), format!("{host}/repos/{}/{rest}", s.repo)));
            return Some(a);
        }
    }

    // Authentication and the documented headers.
    let (auth_ok, may_write) = {
        let s = state.lock().unwrap_or_else(|p| p.into_inner());
        let given = request.headers.get("authorization").map(String::as_str).unwrap_or("");
        let token = given.strip_prefix("Bearer ").or_else(|| given.strip_prefix("token ")).unwrap_or("");
        match s.tokens.iter().find(|(t, _)| !token.is_empty() && t == token) {
            Some((_, write)) => (true, *write),
            None => (false, false),
        }
    };
    let reject = |a: Answer, reader: &mut BufReader<TcpStream>| -> Option<Answer> {
        if is_upload && !chunked {
            read_body(reader, content_length.unwrap_or(0), false)?;
        }
        Some(a)
    };
    if !request.headers.contains_key("authorization") {
        return reject(error(401, "Requires authentication"), reader);
    }
    if !auth_ok {
        return reject(error(401, "Bad credentials"), reader);
    }
    // `application/octet-stream` only where GitHub serves bytes: an asset's download.
    let downloads = request.method == "GET" && request.path.contains("/releases/assets/");
    let accept = request.headers.get("accept").map(String::as_str);
    if accept != Some("application/vnd.github+json") && !(downloads && accept == Some("application/octet-stream")) {
        return reject(error(415, "Unsupported 'Accept' header: use application/vnd.github+json"), reader);
    }
    if request.headers.get("x-github-api-version").map(String::as_str) != Some(API_VERSION) {
        return reject(error(400, "Invalid API version; supported: 2022-11-28"), reader);
    }

    let repo = state.lock().unwrap_or_else(|p| p.into_inner()).repo.clone();
    let Some(rest) = request.path.strip_prefix(&format!("/repos/{repo}/releases")) else {
        return reject(error(404, "Not Found"), reader);
    };
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let writes = matches!(request.method.as_str(), "POST" | "DELETE" | "PATCH");
    if writes && !may_write {
        return reject(error(403, "Resource not accessible by personal access token"), reader);
    }

    if upload_host {
        // Uploads only: POST /repos/{o}/{r}/releases/{id}/assets?name=...
        let (true, [id, "assets"]) = (request.method == "POST", segments.as_slice()) else {
            return reject(error(404, "Not Found"), reader);
        };
        if chunked || content_length.is_none() {
            let mut a = error(411, "Length Required");
            a.headers.push(("Connection".to_owned(), "close".to_owned()));
            return Some(a);
        }
        let length = content_length.unwrap_or(0);
        let Some(content_type) = request.headers.get("content-type").cloned() else {
            return reject(error(422, "Validation Failed: Content-Type header is required"), reader);
        };
        let Some(name) = request.query.get("name").filter(|n| !n.is_empty()).cloned() else {
            return reject(error(422, "Validation Failed: name is required"), reader);
        };
        let id: u64 = id.parse().unwrap_or(0);
        {
            let s = state.lock().unwrap_or_else(|p| p.into_inner());
            match s.releases.iter().find(|r| r.id == id) {
                None => return reject(error(404, "Not Found"), reader),
                Some(release) if release.immutable => {
                    drop(s);
                    return reject(error(422, "Cannot upload assets to an immutable release."), reader);
                }
                Some(release) if release.assets.iter().any(|a| a.name == name) => {
                    drop(s);
                    return reject(
                        answer(
                            422,
                            serde_json::json!({"message": "Validation Failed", "errors": [{"resource": "ReleaseAsset", "code": "already_exists", "field": "name"}], "documentation_url": DOCS, "status": "422"}),
                        ),
                        reader,
                    );
                }
                Some(_) => {}
            }
        }
        if fault == Some(Fault::DropUpload) {
            let mut half = vec![0u8; (length / 2) as usize];
            let _ = reader.read_exact(&mut half);
            return None;
        }
        let (content, sha256, size) = read_body(reader, length, length <= KEEP_CONTENT)?;
        let sha256 = if fault == Some(Fault::WrongDigest) { hex(&Sha256::digest(b"other bytes")) } else { sha256 };
        let starter = fault == Some(Fault::Starter);
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        let asset_id = s.next_id;
        s.next_id += 1;
        let asset = FakeAsset {
            id: asset_id,
            name,
            size,
            sha256,
            content_type,
            content: (length <= KEEP_CONTENT && !starter).then_some(content),
            state: if starter { "starter" } else { "uploaded" }.to_owned(),
            hide_digest: starter,
        };
        let index = s.releases.iter().position(|r| r.id == id).expect("checked above");
        s.releases[index].assets.push(asset.clone());
        if starter {
            return Some(error(502, "Bad Gateway"));
        }
        let release = s.releases[index].clone();
        return Some(answer(201, asset_json(&s, &release, &asset)));
    }

    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    match (request.method.as_str(), segments.as_slice()) {
        ("GET", ["tags", tag]) => {
            let tag = decode(tag);
            match s.releases.iter().find(|r| r.tag == tag && !r.draft) {
                Some(release) => Some(answer(200, release_json(&s, release))),
                None => Some(error(404, "Not Found")),
            }
        }
        ("GET", []) => {
            // Newest first, drafts included (the token may push), paginated like assets.
            let per_page: usize =
                request.query.get("per_page").and_then(|v| v.parse().ok()).unwrap_or(30).clamp(1, 100).min(s.page_max);
            let page: usize = request.query.get("page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
            let last = s.releases.len().div_ceil(per_page).max(1);
            let items: Vec<serde_json::Value> = s
                .releases
                .iter()
                .rev()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|r| release_json(&s, r))
                .collect();
            let mut a = answer(200, serde_json::Value::Array(items));
            if page < last {
                a.headers.push((
                    "Link".to_owned(),
                    format!(
                        "<{}/repos/{}/releases?per_page={per_page}&page={}>; rel=\"next\"",
                        s.api,
                        s.repo,
                        page + 1
                    ),
                ));
            }
            Some(a)
        }
        ("PATCH", [id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let Ok(body) = serde_json::from_slice::<serde_json::Value>(&json_body) else {
                return Some(error(400, "Problems parsing JSON"));
            };
            let Some(index) = s.releases.iter().position(|r| r.id == id) else {
                return Some(error(404, "Not Found"));
            };
            if let Some(latest) = body.get("make_latest") {
                let Some(latest) = latest.as_str().filter(|l| ["true", "false", "legacy"].contains(l)) else {
                    return Some(error(
                        422,
                        "Validation Failed: make_latest must be \"true\", \"false\" or \"legacy\"",
                    ));
                };
                s.releases[index].make_latest = Some(latest.to_owned());
            }
            if body.get("draft") == Some(&serde_json::Value::Bool(false)) && s.releases[index].draft {
                let tag = s.releases[index].tag.clone();
                if s.releases.iter().any(|r| r.tag == tag && !r.draft) {
                    return Some(error(422, "Validation Failed: tag_name already_exists"));
                }
                let immutable = s.immutable;
                let release = &mut s.releases[index];
                release.draft = false;
                release.immutable = immutable;
            }
            let release = s.releases[index].clone();
            Some(answer(200, release_json(&s, &release)))
        }
        ("DELETE", [id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            match s.releases.iter().position(|r| r.id == id) {
                Some(index) => {
                    s.releases.remove(index);
                    Some(Answer { status: 204, headers: Vec::new(), body: Vec::new() })
                }
                None => Some(error(404, "Not Found")),
            }
        }
        ("POST", []) => {
            if request.headers.get("content-type").is_none_or(|c| !c.starts_with("application/json")) {
                return Some(error(415, "Unsupported Media Type: send JSON"));
            }
            let Ok(body) = serde_json::from_slice::<serde_json::Value>(&json_body) else {
                return Some(error(400, "Problems parsing JSON"));
            };
            let Some(tag) = body.get("tag_name").and_then(|t| t.as_str()).filter(|t| !t.is_empty()) else {
                return Some(answer(
                    422,
                    serde_json::json!({"message": "Validation Failed", "errors": [{"resource": "Release", "code": "missing_field", "field": "tag_name"}], "documentation_url": DOCS, "status": "422"}),
                ));
            };
            if s.releases.iter().any(|r| r.tag == tag && !r.draft) {
                return Some(answer(
                    422,
                    serde_json::json!({"message": "Validation Failed", "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}], "documentation_url": DOCS, "status": "422"}),
                ));
            }
            let id = s.next_id;
            s.next_id += 1;
            let draft = body.get("draft").and_then(|d| d.as_bool()).unwrap_or(false);
            let release = FakeRelease {
                id,
                tag: tag.to_owned(),
                name: body.get("name").and_then(|n| n.as_str()).unwrap_or(tag).to_owned(),
                assets: Vec::new(),
                draft,
                immutable: !draft && s.immutable,
                target_commitish: body.get("target_commitish").and_then(|t| t.as_str()).map(str::to_owned),
                make_latest: None,
            };
            s.releases.push(release.clone());
            Some(answer(201, release_json(&s, &release)))
        }
        ("GET", [id, "assets"]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let Some(release) = s.releases.iter().find(|r| r.id == id) else {
                return Some(error(404, "Not Found"));
            };
            let per_page: usize =
                request.query.get("per_page").and_then(|v| v.parse().ok()).unwrap_or(30).clamp(1, 100).min(s.page_max);
            let page: usize = request.query.get("page").and_then(|v| v.parse().ok()).unwrap_or(1).max(1);
            let total = release.assets.len();
            let last = total.div_ceil(per_page).max(1);
            let items: Vec<serde_json::Value> = release
                .assets
                .iter()
                .skip((page - 1) * per_page)
                .take(per_page)
                .map(|a| asset_json(&s, release, a))
                .collect();
            let mut a = answer(200, serde_json::Value::Array(items));
            let link = |p: usize, rel: &str| {
                format!("<{}/repos/{}/releases/{id}/assets?per_page={per_page}&page={p}>; rel=\"{rel}\"", s.api, s.repo)
            };
            let mut links = Vec::new();
            if page < last {
                links.push(link(page + 1, "next"));
                links.push(link(last, "last"));
            }
            if page > 1 {
                links.push(link(1, "first"));
                links.push(link(page - 1, "prev"));
            }
            if !links.is_empty() {
                a.headers.push(("Link".to_owned(), links.join(", ")));
            }
            Some(a)
        }
        ("GET", ["assets", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let found = s.releases.iter().find_map(|r| r.assets.iter().find(|a| a.id == id).map(|a| (r, a)));
            match found {
                Some((_, asset))
                    if request.headers.get("accept").map(String::as_str) == Some("application/octet-stream") =>
                {
                    // GitHub sends the bytes from its storage, on another host.
                    let mut a = Answer { status: 302, headers: Vec::new(), body: Vec::new() };
                    a.headers.push(("Location".to_owned(), format!("{}/storage/{}", s.uploads, asset.id)));
                    Some(a)
                }
                Some((release, asset)) => Some(answer(200, asset_json(&s, release, asset))),
                None => Some(error(404, "Not Found")),
            }
        }
        ("DELETE", ["assets", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            for release in &mut s.releases {
                if let Some(index) = release.assets.iter().position(|a| a.id == id) {
                    if release.immutable {
                        return Some(error(422, "Cannot delete assets of an immutable release."));
                    }
                    release.assets.remove(index);
                    return Some(Answer { status: 204, headers: Vec::new(), body: Vec::new() });
                }
            }
            Some(error(404, "Not Found"))
        }
        _ => Some(error(404, "Not Found")),
    }
}
