//! Publishing artifacts (component 2 of SPEC_INFRA_001, UC-3, BR-003, BR-005): the gate before
//! any upload, GitHub Releases through the REST API (`github`), a mirror folder (`mirror`),
//! detached signatures (`sign`) and retention of release assets. A wheelhouse is published the
//! same way (`Published` says which kind a file is), with its lock in place of the LICENSE.
//!
//! Owns deciding what to upload, skip, replace or refuse, and checking what the server
//! reports after an upload. Leaves transport to `http`, the ledger format to `artifact::ledger`,
//! and printing to `commands/publish.rs`.
//!
//! spec[impl SPEC_INFRA_001]

pub mod feature;
pub mod github;
pub mod mirror;
pub mod sign;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::shared::artifact::ledger::{self, Entry, Kind, Ledger, Status, WheelhouseEntry};
use crate::shared::artifact::name::NameError;
use crate::shared::artifact::sidecar::{self, Digest, Sidecar};
use crate::shared::artifact::{unpack, ArtifactName, Compression, PythonVersion, WheelhouseName};
use crate::shared::context::CheckContext;
use crate::shared::diag::{Diagnostic, Position, Report};
use crate::shared::http;

pub use github::{Asset, GitHub, Release};

/// Why publishing could not run; findings (a gate that fails, a conflict) are not errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("no GitHub token: neither `GH_TOKEN` nor `GITHUB_TOKEN` is set")]
    NoToken,
    #[error("`{repo}` is not a repository `OWNER/NAME`")]
    BadRepo { repo: String },
    #[error("`{url}` is not an API URL (it must start with `https://` or `http://`)")]
    BadApiUrl { url: String },
    #[error("GitHub refused {method} `{url}`: HTTP {status}: {message}")]
    Api { method: String, url: String, status: u16, message: String, documentation_url: Option<String>, repo: String },
    #[error("GitHub answered {method} `{url}` with HTTP {status} to `{location}`, on another host; specgate sends neither the request nor its token there")]
    Redirect { method: String, url: String, status: u16, location: String },
    #[error("GitHub refused {method} `{url}`: the release is immutable ({message})")]
    Immutable { method: String, url: String, message: String },
    #[error("the release `{tag}` of `{repo}` is published and immutable, and {reason}")]
    ReleaseImmutable { tag: String, repo: String, reason: String },
    #[error("GitHub's rate limit asks for a wait of {wait_secs} s on `{url}`, longer than specgate waits")]
    RateLimited { url: String, wait_secs: u64 },
    #[error("gave up on `{url}` after {attempts} attempts: {last}")]
    GaveUp { url: String, attempts: u32, last: String },
    #[error("unexpected answer from `{url}`: {reason}")]
    Response { url: String, reason: String },
    #[error(transparent)]
    Http(#[from] http::Error),
    #[error("could not {action} `{}`", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the Feature folder `{}` cannot be published: {reason}", dir.display())]
    Feature { dir: PathBuf, reason: String },
    #[error("could not sign the artifact: {reason}")]
    Sign { reason: String, hint: String },
    #[error(transparent)]
    Artifact(#[from] crate::shared::artifact::Error),
    #[error(transparent)]
    Scan(#[from] crate::gate::scan::secrets::Error),
}

impl Error {
    pub(crate) fn io(action: &'static str, path: &Path, source: std::io::Error) -> Error {
        Error::Io { action, path: path.to_path_buf(), source }
    }

    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::NoToken => "export a token in `GH_TOKEN` (or `GITHUB_TOKEN`, as GitHub Actions provides it) with `contents: write` on the repository; specgate never takes a token on the command line".to_owned(),
            Error::BadRepo { .. } => "pass `--repo OWNER/NAME`, for example `--repo acme/cpython-builds`".to_owned(),
            Error::BadApiUrl { .. } => "pass `--api-url https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server".to_owned(),
            Error::Api { status: 401, .. } => "the token in `GH_TOKEN`/`GITHUB_TOKEN` is invalid, expired or revoked; create a new one and export it again".to_owned(),
            Error::Api { status: 403, repo, .. } => format!("the token may not write releases of `{repo}`: a fine-grained token needs the `Contents: Read and write` permission on it, a classic token the `repo` scope (`public_repo` for a public repository); in GitHub Actions set `permissions: contents: write`"),
            Error::Api { status: 404, repo, .. } => format!("the repository `{repo}` does not exist, or the token cannot see it (a private repository needs a token with access to it); check `--repo` and `--api-url`"),
            Error::Api { status: 422, documentation_url, .. } => format!("GitHub rejected the request's content{}", documentation_url.as_ref().map(|d| format!("; see {d}")).unwrap_or_default()),
            Error::Api { documentation_url, .. } => format!("see {}", documentation_url.as_deref().unwrap_or("https://docs.github.com/rest/releases")),
            Error::Redirect { .. } => "the repository may have moved to another host or owner; pass its current `--repo` (and `--api-url`), as its page on GitHub shows".to_owned(),
            Error::Immutable { .. } | Error::ReleaseImmutable { .. } => "with immutable releases on (repository or organization settings, Releases), a published release takes no new, replaced or deleted files. specgate attaches every file to a draft and publishes it last, so this happens only to a release published some other way or before a run was cut off after publishing: publish the artifact under a new build number (`specgate build --build N+1`), or delete the release on GitHub (its tag name cannot be reused) and publish again".to_owned(),
            Error::RateLimited { .. } => "wait until the rate limit resets (`gh api rate_limit` or the `x-ratelimit-reset` header tells when), then run the same command again; what is already uploaded is skipped".to_owned(),
            Error::GaveUp { .. } => "the network or GitHub kept failing; run the same command again later: finished uploads are skipped, a partial one is replaced".to_owned(),
            Error::Response { .. } => "`--api-url` may not point at a GitHub REST API; check it".to_owned(),
            Error::Http(error) => return error.hint(),
            Error::Io { .. } => "check that the path exists and that you may read and write it".to_owned(),
            Error::Feature { .. } => "run `make feature` in the specgate repository first: it puts the static specgate and the index artifacts.json into feature/cpython-prebuilt/; then `specgate publish --feature feature/cpython-prebuilt`".to_owned(),
            Error::Sign { hint, .. } => hint.clone(),
            Error::Artifact(error) => return error.hint(),
            Error::Scan(error) => return error.hint(),
        })
    }
}

/// The token from `GH_TOKEN`, else `GITHUB_TOKEN` (never from the command line).
pub fn token_from_env() -> Result<String, Error> {
    for name in [crate::shared::env::GH_TOKEN, crate::shared::env::GITHUB_TOKEN] {
        if let Ok(value) = std::env::var(name) {
            let value = value.trim().to_owned();
            if !value.is_empty() {
                return Ok(value);
            }
        }
    }
    Err(Error::NoToken)
}

/// The folder of a build in a mirror, and the tag of the releases of earlier specgate versions
/// (one release per version and build, holding every distro): `cpython-X.Y.Z-buildN`.
pub fn tag_for(name: &ArtifactName) -> String {
    format!("cpython-{}-build{}", name.version, name.build)
}

/// What a file to publish is, by its name: a CPython artifact or a wheelhouse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    Cpython(ArtifactName),
    Wheelhouse(WheelhouseName),
}

/// The ledger row of a published file: where it is and what it records.
#[derive(Debug, Clone)]
pub struct RowOf {
    pub kind: Kind,
    /// Index into the rows of the kind's table.
    pub index: usize,
    pub line: usize,
    pub sha256: Digest,
    pub status: Status,
    pub url: String,
}

impl Published {
    /// A file name: `wheelhouse-...` is a wheelhouse; anything else must be a CPython
    /// artifact name.
    pub fn parse(file_name: &str) -> Result<Published, NameError> {
        if file_name.starts_with("wheelhouse-") {
            WheelhouseName::parse(file_name).map(Published::Wheelhouse)
        } else {
            ArtifactName::parse(file_name).map(Published::Cpython)
        }
    }

    pub fn compression(&self) -> Compression {
        match self {
            Published::Cpython(name) => name.compression,
            Published::Wheelhouse(name) => name.compression,
        }
    }

    pub fn sidecar_name(&self) -> String {
        format!("{self}.sha256")
    }

    /// The folder every member must be under: `opt/python-X.Y.Z/`, `wheelhouse-NAME/`.
    pub fn prefix(&self) -> String {
        match self {
            Published::Cpython(name) => name.prefix(),
            Published::Wheelhouse(name) => name.prefix(),
        }
    }

    /// The GitHub release: the file name without its extension (`release_tag` for CPython).
    pub fn release_tag(&self) -> String {
        match self {
            Published::Cpython(name) => release_tag(name),
            Published::Wheelhouse(name) => wheelhouse_release_tag(name),
        }
    }

    /// The tag the mirror names a release's LICENSE after (`tag_for` for CPython); a
    /// wheelhouse has no LICENSE, its tag is its release's.
    pub fn mirror_tag(&self) -> String {
        match self {
            Published::Cpython(name) => tag_for(name),
            Published::Wheelhouse(name) => wheelhouse_release_tag(name),
        }
    }

    /// The ledger row of this file (CPython table or wheelhouse table), if there is one.
    pub fn row(&self, ledger: &Ledger) -> Option<RowOf> {
        let (kind, index, sha256, status, url) = match self {
            Published::Cpython(name) => {
                let (index, e) = ledger
                    .entries()
                    .into_iter()
                    .find(|(_, e)| e.key() == (name.version, name.build, name.distro.as_str()))?;
                (Kind::Cpython, index, e.sha256, e.status, e.url)
            }
            Published::Wheelhouse(name) => {
                let (index, e) = ledger.wheelhouse_row(name)?;
                (Kind::Wheelhouse, index, e.sha256, e.status, e.url)
            }
        };
        Some(RowOf { kind, index, line: ledger.line_of(kind, index), sha256, status, url })
    }
}

impl std::fmt::Display for Published {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Published::Cpython(name) => name.fmt(f),
            Published::Wheelhouse(name) => name.fmt(f),
        }
    }
}

/// The release of one wheelhouse: its file name without the extension,
/// `wheelhouse-web-cp311-debian12-build1`, as `release_tag` is for CPython.
pub fn wheelhouse_release_tag(name: &WheelhouseName) -> String {
    let file = name.to_string();
    file.strip_suffix(name.compression.extension()).unwrap_or(&file).to_owned()
}

/// The asset name of the PSF LICENSE inside a release.
pub const LICENSE_ASSET: &str = "LICENSE";

/// Where an asset's bytes come from.
#[derive(Debug, Clone)]
pub enum Source {
    File(PathBuf),
    Bytes(Vec<u8>),
}

/// A file to publish, with its size and SHA-256.
#[derive(Debug, Clone)]
pub struct LocalAsset {
    pub name: String,
    pub source: Source,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
    pub content_type: &'static str,
}

impl LocalAsset {
    fn bytes(name: String, bytes: Vec<u8>, content_type: &'static str) -> LocalAsset {
        let (digest, size) = sidecar::sha256_reader(bytes.as_slice()).expect("reading a slice cannot fail");
        LocalAsset { name, source: Source::Bytes(bytes), size, sha256: digest.to_hex(), content_type }
    }
}

/// What the gate found out about an artifact that passed it.
#[derive(Debug, Clone)]
pub struct Gated {
    pub path: PathBuf,
    pub name: Published,
    pub digest: Digest,
    pub size: u64,
    pub license: Option<Vec<u8>>,
}

/// The gate before any upload: the sidecar and the ledger row agree with the file, the row is
/// Activo, the tarball holds the LICENSE and only members under `opt/python-X.Y.Z/` (a
/// wheelhouse: its `requirements.lock` and only members under `wheelhouse-NAME/`), and a
/// secrets scan of its members (wheels, which are zip files, included) is clean. Problems are
/// findings in `report`.
pub fn gate(ctx: &CheckContext, artifact: &Path, report: &mut Report) -> Result<Gated, Error> {
    let file_name = artifact.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name = Published::parse(&file_name).map_err(crate::shared::artifact::Error::from)?;
    let shown = ctx.workspace.relative(artifact).unwrap_or_else(|| artifact.display().to_string());
    let at = |code, message: String| Diagnostic::new(code, shown.clone(), Position::new(1, 1), message);

    let size = std::fs::metadata(artifact).map_err(|source| Error::io("read", artifact, source))?.len();
    let digest = sidecar::sha256_file(artifact)?;
    let sidecar_path = Sidecar::path_for(artifact);
    match Sidecar::read_for(artifact) {
        Ok(found) if found.file_name != file_name => report.push(
            at("artifact-sidecar-invalid", format!("the sidecar names `{}`, not `{file_name}`", found.file_name))
                .help("recreate it with `sha256sum <artifact> > <artifact>.sha256` in the artifact's folder"),
        ),
        Ok(found) if found.digest != digest => report.push(
            at(
                "artifact-sidecar-mismatch",
                format!("the file's SHA-256 is {digest}, its sidecar says {}", found.digest),
            )
            .help("the file changed after packaging; package it again rather than editing the sidecar"),
        ),
        Ok(_) => {}
        Err(crate::shared::artifact::Error::Io { .. }) => report.push(
            at("artifact-sidecar-missing", format!("`{}` does not exist", sidecar_path.display()))
                .help("publish needs the sidecar beside the artifact; `specgate package` writes it"),
        ),
        Err(error) => report.push(at("artifact-sidecar-invalid", error.to_string())),
    }

    let ledger_path = ctx.workspace.root.join(&ctx.config.artifacts.ledger);
    let ledger_shown = ctx.config.artifacts.ledger.clone();
    let ledger = ledger::read(&ledger_path)?;
    match name.row(&ledger) {
        None => report.push(
            at(
                "artifact-unlisted",
                format!("`{file_name}` has no row in `{ledger_shown}`; only recorded artifacts are published"),
            )
            .help(format!("run `specgate ledger add {shown}` first")),
        ),
        Some(entry) => {
            let line = entry.line.max(1);
            let in_ledger =
                |code, message: String| Diagnostic::new(code, ledger_shown.clone(), Position::new(line, 1), message);
            if entry.sha256 != digest {
                report.push(
                    in_ledger(
                        "ledger-sha256-mismatch",
                        format!("the row of `{file_name}` records SHA-256 {}, the file has {digest}", entry.sha256),
                    )
                    .help("publish exactly the file the ledger records; a rebuild gets the next build number"),
                );
            }
            if entry.status != Status::Active {
                report.push(
                    in_ledger(
                        "publish-not-active",
                        format!("the row of `{file_name}` is `{}`; only Activo builds are published", entry.status),
                    )
                    .help("publish a newer build, or set the row back to Activo if retiring it was a mistake"),
                );
            }
        }
    }

    // The required member (LICENSE or lock) and the member prefix in one pass over the tarball.
    let prefix = name.prefix();
    let required_path = match &name {
        Published::Cpython(name) => name.license_path(),
        Published::Wheelhouse(name) => name.lock_path(),
    };
    let mut required = None;
    let mut outside = Vec::new();
    let walked = unpack::for_each_file(artifact, name.compression(), &ctx.config.artifacts.limits, |member, read| {
        if member == required_path {
            let mut bytes = Vec::new();
            read.take(16 * 1024 * 1024).read_to_end(&mut bytes)?;
            required = Some(bytes);
        } else if !member.starts_with(&prefix) && outside.len() < 5 {
            outside.push(member.to_owned());
        }
        Ok(())
    });
    let (rebuild, missing_code, missing) = match &name {
        Published::Cpython(_) => (
            "the name's version must be the version inside; package it again with `specgate package`",
            "artifact-license-missing",
            (
                format!("the tarball has no `{required_path}` (BR-003)"),
                "package it again with `specgate package --license FILE`",
            ),
        ),
        Published::Wheelhouse(_) => (
            "the name's NAME must be the folder inside; build it again with `specgate wheelhouse build`",
            "artifact-lock-missing",
            (
                format!("the wheelhouse has no `{required_path}`; nothing could be installed from it"),
                "build it again with `specgate wheelhouse build`, which writes the lock",
            ),
        ),
    };
    match walked {
        Err(crate::shared::artifact::Error::Io { action, path, source }) => {
            return Err(Error::Io { action, path, source })
        }
        Err(error) => report.push(at("artifact-corrupt", error.to_string()).help("package the artifact again")),
        Ok(()) => {
            if required.is_none() {
                report.push(at(missing_code, missing.0).help(missing.1));
            }
            for member in outside {
                report.push(
                    at(
                        "publish-name-mismatch",
                        format!("member `{member}` is outside `{prefix}`, the folder the name `{file_name}` promises"),
                    )
                    .help(rebuild),
                );
            }
        }
    }
    // A wheelhouse's release has no LICENSE asset: its lock stays inside.
    let license = match name {
        Published::Cpython(_) => required,
        Published::Wheelhouse(_) => None,
    };

    // Secrets in the members, as `check secrets --archive` scans them: members byte-identical
    // to the pinned upstream source are public by construction (artifact::upstream).
    let upstream = crate::gate::scan::upstream::scan_exemption(artifact, &ctx.config, report)?;
    crate::gate::scan::secrets::check(
        ctx,
        &crate::gate::scan::Selection::Archive(artifact.to_path_buf()),
        &crate::gate::scan::secrets::RunOptions { upstream, ..Default::default() },
        report,
    )?;

    Ok(Gated { path: artifact.to_path_buf(), name, digest, size, license })
}

use std::io::Read as _;

/// The files of a release for one artifact: the tarball, its sidecar, the LICENSE, and the
/// signature when there is one.
pub fn local_assets(gated: &Gated, signature: Option<&Path>) -> Result<Vec<LocalAsset>, Error> {
    let content_type = match gated.name.compression() {
        Compression::Gzip => "application/gzip",
        Compression::Zstd => "application/zstd",
    };
    let mut assets = vec![LocalAsset {
        name: gated.name.to_string(),
        source: Source::File(gated.path.clone()),
        size: gated.size,
        sha256: gated.digest.to_hex(),
        content_type,
    }];
    let sidecar_path = Sidecar::path_for(&gated.path);
    let bytes = crate::shared::readfile::regular(&sidecar_path, crate::shared::artifact::sidecar::MAX_BYTES)
        .map_err(|source| Error::io("read", &sidecar_path, source))?;
    assets.push(LocalAsset::bytes(gated.name.sidecar_name(), bytes, "text/plain"));
    if let Some(license) = &gated.license {
        assets.push(LocalAsset::bytes(LICENSE_ASSET.to_owned(), license.clone(), "text/plain"));
    }
    if let Some(signature) = signature {
        let bytes = crate::shared::readfile::regular(signature, 1 << 20)
            .map_err(|source| Error::io("read", signature, source))?;
        assets.push(LocalAsset::bytes(format!("{}.asc", gated.name), bytes, "application/pgp-signature"));
    }
    Ok(assets)
}

/// What happened (or would happen) to one asset.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Uploaded or copied now: bytes and seconds.
    Sent { bytes: u64, seconds: f64, replaced: bool },
    /// Already there with the same size and SHA-256.
    Skipped,
    /// A different file has this name and `--replace` was not given.
    Conflict { size: u64, sha256: Option<String> },
    /// The server reports another size or digest after the upload (the asset was removed).
    Mismatch { size: u64, sha256: Option<String> },
}

/// The plan for one asset against what the release holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Upload,
    Skip,
    /// Delete this remote asset, then upload.
    Replace(u64),
    Conflict,
}

/// Compare local assets with a release's assets. An asset with the same size and digest is
/// skipped; an incomplete upload (`state` other than `uploaded`) is replaced; any other asset
/// of the same name is a conflict unless `replace`. An asset without a digest (the caller
/// fills in digests it could compute) cannot be proven equal, so it counts as different.
pub fn plan(local: &[LocalAsset], remote: &[Asset], replace: bool) -> Vec<Action> {
    local
        .iter()
        .map(|asset| match remote.iter().find(|r| r.name == asset.name) {
            None => Action::Upload,
            Some(r) if r.state.as_deref().is_some_and(|s| s != "uploaded") => Action::Replace(r.id),
            Some(r) if r.size == asset.size && r.sha256_hex() == Some(asset.sha256.as_str()) => Action::Skip,
            Some(r) if replace => Action::Replace(r.id),
            Some(_) => Action::Conflict,
        })
        .collect()
}

/// The result of publishing to a release.
#[derive(Debug, Clone)]
pub struct RemoteResult {
    pub release_url: String,
    /// `(asset name, outcome)` in the order of the local assets.
    pub outcomes: Vec<(String, Outcome)>,
    /// The tarball's `browser_download_url`, once it is there and verified.
    pub tarball_url: Option<String>,
}

/// Whether a published release becomes the repository's Latest (GitHub's `make_latest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Latest {
    /// Latest unless a published release of a newer CPython version exists: a 3.11 rebuild
    /// published after 3.12 leaves 3.12 Latest.
    #[default]
    Auto,
    /// Always Latest.
    Yes,
    /// Never Latest.
    No,
}

/// The GitHub release an artifact goes to.
#[derive(Debug, Clone)]
pub struct ReleaseSpec {
    pub tag: String,
    pub title: String,
    /// The CPython version, for `--latest auto`; `None` (a Feature) is never Latest by `auto`.
    pub version: Option<PythonVersion>,
    /// The commit the tag names when the release is published (`--target`, else
    /// `GITHUB_SHA`); GitHub's default branch when `None`.
    pub target: Option<String>,
    pub latest: Latest,
}

/// The release of one artifact: `cpython-X.Y.Z-<distro>-buildN` (the artifact's name without
/// its extension). One release per artifact, so every file of a release is attached, as a
/// draft, in the run that publishes it: nothing is added to a published release, which
/// repositories with immutable releases refuse.
pub fn release_tag(name: &ArtifactName) -> String {
    format!("cpython-{}-{}-build{}", name.version, name.distro, name.build)
}

/// Publish the assets as the release `spec.tag`: into a draft (a new one, or the one an
/// interrupted run left), every asset uploaded and checked against the draft's listing, then
/// published. A release already published is only completed (when it takes files) or found
/// equal. Conflicts are detected for every asset before anything is uploaded.
pub fn publish_github(
    gh: &GitHub<'_>,
    spec: &ReleaseSpec,
    assets: &[LocalAsset],
    replace: bool,
) -> Result<RemoteResult, Error> {
    if let Some(release) = gh.release_by_tag(&spec.tag)? {
        let remote = remote_assets(gh, &release, assets)?;
        let actions = plan(assets, &remote, replace);
        let changes: Vec<&str> = assets
            .iter()
            .zip(&actions)
            .filter(|(_, action)| **action != Action::Skip)
            .map(|(asset, _)| asset.name.as_str())
            .collect();
        if release.immutable && !changes.is_empty() {
            return Err(Error::ReleaseImmutable {
                tag: spec.tag.clone(),
                repo: gh.repo().to_owned(),
                reason: format!("it lacks or holds other bytes under {}", changes.join(", ")),
            });
        }
        let (outcomes, tarball_url) = upload_all(gh, &release, &remote, &actions, assets)?;
        return Ok(RemoteResult { release_url: release.html_url, outcomes, tarball_url });
    }
    // One listing serves both the draft an interrupted run left and the Latest decision.
    let releases = gh.releases()?;
    let (draft, remote) = match releases.iter().find(|r| r.draft && r.tag_name == spec.tag).cloned() {
        Some(draft) => {
            let remote = remote_assets(gh, &draft, assets)?;
            (draft, remote)
        }
        None => {
            let body = match spec.version {
                Some(version) => format!(
                    "Prebuilt CPython {version}, published by specgate. The tarball has a `.sha256` sidecar (sha256sum format); the ledger ARTIFACTS.md records every build.\n\nTag `{}`.",
                    spec.tag
                ),
                None => format!("{}, published by specgate, with its `.sha256` sidecar.\n\nTag `{}`.", spec.title, spec.tag),
            };
            (gh.create_draft(&spec.tag, &spec.title, &body, spec.target.as_deref())?, Vec::new())
        }
    };
    let actions = plan(assets, &remote, replace);
    let (mut outcomes, _) = upload_all(gh, &draft, &remote, &actions, assets)?;
    if outcomes.iter().any(|(_, o)| matches!(o, Outcome::Conflict { .. } | Outcome::Mismatch { .. })) {
        return Ok(RemoteResult { release_url: draft.html_url, outcomes, tarball_url: None });
    }
    // The draft's own listing, not the upload answers, decides that every file is there.
    let listed = gh.assets(draft.id)?;
    for (name, outcome) in &mut outcomes {
        let asset = assets.iter().find(|a| &a.name == name).expect("outcomes follow the assets");
        match listed.iter().find(|r| &r.name == name) {
            Some(r) if r.size == asset.size && r.sha256_hex().is_none_or(|d| d == asset.sha256) => {}
            other => {
                *outcome = Outcome::Mismatch {
                    size: other.map_or(0, |r| r.size),
                    sha256: other.and_then(|r| r.sha256_hex().map(str::to_owned)),
                };
                return Ok(RemoteResult { release_url: draft.html_url, outcomes, tarball_url: None });
            }
        }
    }
    let latest = match spec.latest {
        Latest::Yes => true,
        Latest::No => false,
        Latest::Auto => match spec.version {
            Some(version) => !releases.iter().any(|r| !r.draft && tag_version(&r.tag_name) > Some(version)),
            None => false,
        },
    };
    let published = gh.publish_draft(draft.id, latest)?;
    // Download URLs change when a draft is published (a draft's name its files `untagged-...`).
    let tarball = &assets[0].name;
    let tarball_url = match published.assets.iter().find(|a| &a.name == tarball) {
        Some(asset) => Some(asset.browser_download_url.clone()),
        None => gh.assets(published.id)?.into_iter().find(|a| &a.name == tarball).map(|a| a.browser_download_url),
    };
    Ok(RemoteResult { release_url: published.html_url, outcomes, tarball_url })
}

/// The CPython version a release tag names (`cpython-X.Y.Z-...`).
fn tag_version(tag: &str) -> Option<PythonVersion> {
    PythonVersion::parse(tag.strip_prefix("cpython-")?.split('-').next()?)
}

/// A release's assets. Those without a reported digest (older assets, some GitHub Enterprise
/// versions) are downloaded and hashed when their name and size match a local file.
fn remote_assets(gh: &GitHub<'_>, release: &Release, assets: &[LocalAsset]) -> Result<Vec<Asset>, Error> {
    let mut remote = gh.assets(release.id)?;
    for asset in &mut remote {
        let same_size = assets.iter().any(|l| l.name == asset.name && l.size == asset.size);
        if asset.digest.is_none() && same_size && asset.state.as_deref().is_none_or(|s| s == "uploaded") {
            let (sha256, size) = gh.asset_sha256(asset.id)?;
            if size == asset.size {
                asset.digest = Some(format!("sha256:{sha256}"));
            }
        }
    }
    Ok(remote)
}

/// `(asset name, outcome)` in the order of the local assets.
type Outcomes = Vec<(String, Outcome)>;

/// Carry out a plan: upload, replace or skip each asset; on a conflict, upload nothing and
/// list the conflicts; stop at the first upload the server reports other bytes for (that
/// asset is removed). Returns the outcomes and the tarball's download URL.
fn upload_all(
    gh: &GitHub<'_>,
    release: &Release,
    remote: &[Asset],
    actions: &[Action],
    assets: &[LocalAsset],
) -> Result<(Outcomes, Option<String>), Error> {
    let mut outcomes = Vec::new();
    if actions.contains(&Action::Conflict) {
        for (asset, action) in assets.iter().zip(actions) {
            if *action == Action::Conflict {
                let r = remote.iter().find(|r| r.name == asset.name).expect("a conflict has a remote asset");
                outcomes.push((
                    asset.name.clone(),
                    Outcome::Conflict { size: r.size, sha256: r.sha256_hex().map(str::to_owned) },
                ));
            }
        }
        return Ok((outcomes, None));
    }
    let mut tarball_url = None;
    for (index, (asset, action)) in assets.iter().zip(actions).enumerate() {
        let outcome = match action {
            Action::Skip => {
                let r = remote.iter().find(|r| r.name == asset.name).expect("a skip has a remote asset");
                if index == 0 {
                    tarball_url = Some(r.browser_download_url.clone());
                }
                Outcome::Skipped
            }
            Action::Conflict => unreachable!("conflicts return above"),
            Action::Upload | Action::Replace(_) => {
                if let Action::Replace(id) = action {
                    gh.delete_asset(*id)?;
                }
                let started = Instant::now();
                let uploaded = gh.upload(release, asset)?;
                let seconds = started.elapsed().as_secs_f64();
                if uploaded.size != asset.size || uploaded.sha256_hex().is_some_and(|d| d != asset.sha256) {
                    gh.delete_asset(uploaded.id)?;
                    Outcome::Mismatch { size: uploaded.size, sha256: uploaded.sha256_hex().map(str::to_owned) }
                } else {
                    if index == 0 {
                        tarball_url = Some(uploaded.browser_download_url.clone());
                    }
                    Outcome::Sent { bytes: asset.size, seconds, replaced: matches!(action, Action::Replace(_)) }
                }
            }
        };
        let stop = matches!(outcome, Outcome::Mismatch { .. });
        outcomes.push((asset.name.clone(), outcome));
        if stop {
            break;
        }
    }
    Ok((outcomes, tarball_url))
}

/// The requests a publish to GitHub makes, for `--dry-run`; nothing is sent.
pub fn dry_run_requests(gh: &GitHub<'_>, spec: &ReleaseSpec, assets: &[LocalAsset]) -> Vec<String> {
    let tag = &spec.tag;
    let target = spec.target.as_deref().map_or(String::new(), |t| format!(", target_commitish `{t}`"));
    let mut lines = vec![
        format!("GET {}  (a published release of the tag: only completed, or found equal)", gh.release_by_tag_url(tag)),
        format!(
            "GET {}?per_page={}  (and each `Link: rel=\"next\"` page: a draft an earlier run left)",
            gh.releases_url(),
            github::PER_PAGE
        ),
        format!("POST {}  (only if there is none: draft true, tag_name `{tag}`{target})", gh.releases_url()),
        format!("GET {}  (and each `Link: rel=\"next\"` page)", gh.assets_url(0).replace("/0/", "/{release_id}/")),
    ];
    for asset in assets {
        lines.push(format!(
            "POST {{upload_url}}?name={}  (Content-Type: {}, Content-Length: {}, sha256 {}; skipped when an asset with this size and digest is there)",
            github::encode(&asset.name),
            asset.content_type,
            asset.size,
            asset.sha256
        ));
    }
    let latest = match spec.latest {
        Latest::Auto => "\"true\" unless a newer CPython version is published",
        Latest::Yes => "\"true\"",
        Latest::No => "\"false\"",
    };
    lines.push(format!(
        "PATCH {}  (draft false, make_latest {latest}: the release and its tag appear with every file)",
        gh.release_url(0).replace("/0", "/{release_id}")
    ));
    lines
}

/// The result of publishing into a mirror folder.
pub fn publish_mirror(
    root: &Path,
    tag: &str,
    assets: &[LocalAsset],
    replace: bool,
) -> Result<Vec<(String, Outcome)>, Error> {
    let mut states = Vec::new();
    for asset in assets {
        states.push(mirror::state(&mirror::path_of(root, tag, &asset.name), asset)?);
    }
    let conflicts: Vec<(String, Outcome)> = assets
        .iter()
        .zip(&states)
        .filter_map(|(asset, state)| match state {
            mirror::State::Different { size, sha256 } if !replace => {
                Some((asset.name.clone(), Outcome::Conflict { size: *size, sha256: Some(sha256.clone()) }))
            }
            _ => None,
        })
        .collect();
    if !conflicts.is_empty() {
        return Ok(conflicts);
    }
    let mut outcomes = Vec::new();
    for (asset, state) in assets.iter().zip(&states) {
        let outcome = match state {
            mirror::State::Same => Outcome::Skipped,
            _ => {
                let started = Instant::now();
                mirror::place(&mirror::path_of(root, tag, &asset.name), asset)?;
                Outcome::Sent {
                    bytes: asset.size,
                    seconds: started.elapsed().as_secs_f64(),
                    replaced: matches!(state, mirror::State::Different { .. }),
                }
            }
        };
        outcomes.push((asset.name.clone(), outcome));
    }
    Ok(outcomes)
}

/// How the ledger row's URL changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlChange {
    Unchanged,
    /// From the old value (`-` before the first publish).
    Set {
        line: usize,
        old: String,
    },
}

/// Fill in the release URL of the artifact's (or wheelhouse's) ledger row, atomically; other
/// bytes stay.
pub fn fill_url(ledger_path: &Path, name: &Published, url: &str) -> Result<UrlChange, Error> {
    let ledger = ledger::read(ledger_path)?;
    let Some(row) = name.row(&ledger) else {
        return Err(crate::shared::artifact::Error::Ledger {
            path: ledger_path.to_path_buf(),
            reason: format!("the row of `{name}` disappeared while publishing"),
        }
        .into());
    };
    if row.url == url {
        return Ok(UrlChange::Unchanged);
    }
    let text = ledger
        .with_cell_in(row.kind, row.index, row.kind.url_column(), url)
        .expect("the index comes from this ledger's rows");
    crate::shared::atomic::write(ledger_path, text.as_bytes())
        .map_err(|source| Error::io("write", ledger_path, source))?;
    Ok(UrlChange::Set { line: row.line, old: row.url })
}

/// The release assets that belong to rows no longer Activo, per tag: the tarball (either
/// compression), its sidecar and signature, and the LICENSE when no Activo row shares the tag.
/// Never a name of an Activo row.
pub fn retired_assets(entries: &[(usize, Entry)]) -> Vec<(String, Vec<String>)> {
    let active: Vec<&Entry> = entries.iter().map(|(_, e)| e).filter(|e| e.status == Status::Active).collect();
    let active_names: Vec<String> = active
        .iter()
        .flat_map(|e| [Compression::Gzip, Compression::Zstd].map(|c| e.artifact_name(c).to_string()))
        .collect();
    let mut by_tag: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
    for (_, entry) in entries.iter().filter(|(_, e)| e.status != Status::Active) {
        let tag = tag_for(&entry.artifact_name(Compression::Gzip));
        let names = by_tag.entry(tag.clone()).or_default();
        for compression in [Compression::Gzip, Compression::Zstd] {
            let name = entry.artifact_name(compression).to_string();
            if active_names.contains(&name) {
                continue;
            }
            names.push(format!("{name}.sha256"));
            names.push(format!("{name}.asc"));
            names.push(name);
        }
        let tag_active = active.iter().any(|e| tag_for(&e.artifact_name(Compression::Gzip)) == tag);
        if !tag_active && !names.iter().any(|n| n == LICENSE_ASSET) {
            names.push(LICENSE_ASSET.to_owned());
        }
    }
    by_tag.into_iter().filter(|(_, names)| !names.is_empty()).collect()
}

/// The releases of wheelhouse rows no longer Activo, with the files each put in a mirror: the
/// wheelhouse (either compression), its sidecar and signature. One release per wheelhouse
/// build, so a release here is deleted whole.
pub fn retired_wheelhouses(entries: &[(usize, WheelhouseEntry)]) -> Vec<(String, Vec<String>)> {
    let retired = entries.iter().filter(|(_, e)| e.status != Status::Active);
    let files = |e: &WheelhouseEntry| -> Vec<String> {
        [Compression::Gzip, Compression::Zstd]
            .into_iter()
            .flat_map(|c| {
                let name = e.wheelhouse_name(c).to_string();
                [format!("{name}.sha256"), format!("{name}.asc"), name]
            })
            .collect()
    };
    retired.map(|(_, e)| (wheelhouse_release_tag(&e.wheelhouse_name(Compression::Gzip)), files(e))).collect()
}

/// The release tags of the artifacts whose rows are no longer Activo (never one an Activo row
/// has).
pub fn retired_releases(entries: &[(usize, Entry)]) -> Vec<String> {
    let tag = |e: &Entry| release_tag(&e.artifact_name(Compression::Gzip));
    let active: Vec<String> = entries.iter().filter(|(_, e)| e.status == Status::Active).map(|(_, e)| tag(e)).collect();
    let mut tags: Vec<String> = entries
        .iter()
        .filter(|(_, e)| e.status != Status::Active)
        .map(|(_, e)| tag(e))
        .filter(|t| !active.contains(t))
        .collect();
    tags.sort();
    tags.dedup();
    tags
}

/// Delete the release of `tag`, published or a draft; `false` when there is none.
pub fn delete_release_of(gh: &GitHub<'_>, tag: &str) -> Result<bool, Error> {
    let release = match gh.release_by_tag(tag)? {
        Some(release) => Some(release),
        None => gh.draft_by_tag(tag)?,
    };
    match release {
        Some(release) => gh.delete_release(release.id).map(|()| true),
        None => Ok(false),
    }
}

/// Delete the named assets of a release; returns the names deleted.
pub fn delete_remote(gh: &GitHub<'_>, tag: &str, names: &[String]) -> Result<Vec<String>, Error> {
    let Some(release) = gh.release_by_tag(tag)? else {
        return Ok(Vec::new());
    };
    let mut deleted = Vec::new();
    for asset in gh.assets(release.id)? {
        if names.contains(&asset.name) {
            gh.delete_asset(asset.id)?;
            deleted.push(asset.name);
        }
    }
    Ok(deleted)
}

/// Delete the named files of a release from the mirror; returns the paths deleted.
pub fn delete_mirror(root: &Path, tag: &str, names: &[String]) -> Result<Vec<PathBuf>, Error> {
    let mut deleted = Vec::new();
    for name in names {
        let path = mirror::path_of(root, tag, name);
        match std::fs::remove_file(&path) {
            Ok(()) => deleted.push(path),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => return Err(Error::io("remove", &path, source)),
        }
    }
    Ok(deleted)
}

/// A short human size.
pub fn human_bytes(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.1} KiB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// The HTTP options of publish: the defaults, with a longer read timeout for uploads of large
/// artifacts (the server answers only after the whole body).
pub fn http_options() -> http::Options {
    http::Options { read_timeout: Duration::from_secs(300), ..http::Options::default() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::artifact::PythonVersion;

    fn local(name: &str, sha: &str, size: u64) -> LocalAsset {
        LocalAsset {
            name: name.into(),
            source: Source::Bytes(Vec::new()),
            size,
            sha256: sha.into(),
            content_type: "text/plain",
        }
    }

    fn remote(id: u64, name: &str, digest: Option<&str>, size: u64, state: &str) -> Asset {
        Asset {
            id,
            name: name.into(),
            size,
            digest: digest.map(|d| format!("sha256:{d}")),
            browser_download_url: String::new(),
            state: Some(state.into()),
        }
    }

    #[test]
    fn plan_skips_equal_refuses_different_and_replaces_partial() {
        let locals =
            [local("a", "aa", 1), local("b", "bb", 2), local("c", "cc", 3), local("d", "dd", 4), local("e", "ee", 5)];
        let remotes = [
            remote(1, "a", Some("aa"), 1, "uploaded"),
            remote(2, "b", Some("xx"), 2, "uploaded"),
            remote(3, "c", Some("cc"), 3, "starter"),
            remote(4, "d", None, 4, "uploaded"),
        ];
        assert_eq!(
            plan(&locals, &remotes, false),
            [Action::Skip, Action::Conflict, Action::Replace(3), Action::Conflict, Action::Upload]
        );
        assert_eq!(
            plan(&locals, &remotes, true),
            [Action::Skip, Action::Replace(2), Action::Replace(3), Action::Replace(4), Action::Upload]
        );
    }

    fn entry(version: &str, build: u32, distro: &str, status: Status) -> Entry {
        Entry {
            version: PythonVersion::parse(version).unwrap(),
            build,
            distro: distro.into(),
            date: "2026-01-01".into(),
            sha256: Digest([0; 32]),
            url: "-".into(),
            status,
        }
    }

    #[test]
    fn retired_assets_never_name_an_active_build_and_keep_a_shared_license() {
        let entries = vec![
            (0, entry("3.12.6", 1, "debian12", Status::Active)),
            (1, entry("3.12.6", 1, "ubuntu20.04", Status::Deprecated)),
            (2, entry("3.12.5", 1, "debian12", Status::Deprecated)),
        ];
        let retired = retired_assets(&entries);
        assert_eq!(retired.len(), 2);
        let (tag, names) = &retired[0];
        assert_eq!(tag, "cpython-3.12.5-build1");
        assert!(names.contains(&"cpython-3.12.5-debian12-build1.tgz".to_owned()));
        assert!(names.contains(&LICENSE_ASSET.to_owned()));
        let (tag, names) = &retired[1];
        assert_eq!(tag, "cpython-3.12.6-build1");
        assert!(names.contains(&"cpython-3.12.6-ubuntu20.04-build1.tgz".to_owned()));
        assert!(!names.iter().any(|n| n.contains("debian12")), "{names:?}");
        assert!(!names.contains(&LICENSE_ASSET.to_owned()), "the LICENSE is shared with an Activo build");
    }

    #[test]
    fn tags_name_version_and_build() {
        let name = ArtifactName::parse("cpython-3.12.6-ubuntu20.04-build2.tgz").unwrap();
        assert_eq!(tag_for(&name), "cpython-3.12.6-build2");
    }

    #[test]
    fn published_names_say_their_kind_and_release() {
        let cpython = Published::parse("cpython-3.12.6-ubuntu20.04-build2.tgz").unwrap();
        assert_eq!(cpython.release_tag(), "cpython-3.12.6-ubuntu20.04-build2");
        assert_eq!(cpython.mirror_tag(), "cpython-3.12.6-build2");
        assert_eq!(cpython.prefix(), "opt/python-3.12.6/");
        let wheelhouse = Published::parse("wheelhouse-web-cp311-debian12-build3.tar.zst").unwrap();
        assert!(matches!(wheelhouse, Published::Wheelhouse(_)));
        assert_eq!(wheelhouse.release_tag(), "wheelhouse-web-cp311-debian12-build3");
        assert_eq!(wheelhouse.mirror_tag(), "wheelhouse-web-cp311-debian12-build3");
        assert_eq!(wheelhouse.prefix(), "wheelhouse-web/");
        assert_eq!(wheelhouse.sidecar_name(), "wheelhouse-web-cp311-debian12-build3.tar.zst.sha256");
        assert_eq!(wheelhouse.compression(), Compression::Zstd);
        let bad = Published::parse("wheelhouse-Web-cp311-debian12-build3.tgz").unwrap_err();
        assert_eq!(bad.expected, crate::shared::artifact::name::WHEELHOUSE_FORM);
    }
}
