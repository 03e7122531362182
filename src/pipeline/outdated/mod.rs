//! `specgate outdated`: whether the CPython builds in use are still fit to use (BR-004, section
//! 4.2 of SPEC_INFRA_001): newer patch releases of their line on python.org, PSF advisories
//! (OSV) that affect them, and builds older than the rebuild period.
//!
//! Owns where the two indexes are read from (`https://`, loopback `http://`, `file://`, a
//! path or a folder), the bounds on what is read, and the `outdated-` findings. Parsing lives in
//! `releases` and `advisories`, the rebuild period in `artifact::stale`, the codes in
//! `diag::codes::OUTDATED`, the pin that
//! `specgate update` writes in `update`. Transport is `http`'s; printing is `commands/`'.

pub mod advisories;
pub mod releases;
pub mod update;
pub mod version;

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::shared::artifact::ledger::{column, Ledger, Status};
use crate::shared::artifact::stale::{self, Period};
use crate::shared::artifact::PythonVersion;
use crate::shared::diag::{Diagnostic, Position, Report, SourceFile};
use crate::shared::http;
pub use advisories::{Advisories, Verdict};
pub use releases::Index;

/// python.org's list of releases.
pub const DEFAULT_INDEX: &str = "https://www.python.org/api/v2/downloads/release/?is_published=true";
/// The PSF advisory database, as GitHub serves a snapshot of its main branch.
pub const DEFAULT_ADVISORIES: &str = "https://github.com/psf/advisory-database/archive/refs/heads/main.tar.gz";

/// The release index is a few hundred KiB; a release's files a few KiB.
pub const MAX_INDEX_BYTES: u64 = 16 * 1024 * 1024;
/// The advisory database snapshot is about 1 MiB compressed.
pub const MAX_ADVISORIES_BYTES: u64 = 64 * 1024 * 1024;
/// One OSV record is a few KiB.
pub const MAX_RECORD_BYTES: u64 = 1024 * 1024;
/// Files of an advisories folder or members of its tarball.
pub const MAX_RECORDS: usize = 50_000;
/// Bytes the members of an advisories tarball may declare in all (a gzip bomb stops here).
pub const MAX_TARBALL_CONTENT: u64 = 1024 * 1024 * 1024;

/// Which index a problem is about, for messages and hints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Releases,
    ReleaseFiles,
    Advisories,
}

impl Source {
    fn describe(self) -> &'static str {
        match self {
            Source::Releases => "python.org's release index",
            Source::ReleaseFiles => "python.org's list of the release's files",
            Source::Advisories => "the PSF advisories",
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read {source_kind} from `{location}`: {reason}")]
    Location { source_kind: Source, location: String, reason: String },
    #[error("could not read {source_kind} from `{location}`")]
    Fetch {
        source_kind: Source,
        location: String,
        #[source]
        source: http::Error,
    },
    #[error("could not read {source_kind} from `{location}`")]
    Read {
        source_kind: Source,
        location: String,
        #[source]
        source: std::io::Error,
    },
    #[error("could not use {source_kind} at `{location}`: it is larger than {limit} bytes (not read further)")]
    TooLarge { source_kind: Source, location: String, limit: u64 },
    #[error("could not use {source_kind} at `{location}`: {reason}")]
    Unusable { source_kind: Source, location: String, reason: String },
    #[error("python.org's release index lists no published final release of {line}")]
    NoRelease { line: String },
    #[error("refused to pin CPython {version}: {reason}")]
    Unverifiable { version: PythonVersion, reason: String },
    #[error("could not write `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the new pin would make `{}` invalid: {reason}", path.display())]
    Edit { path: PathBuf, reason: String },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        let mirror = |source: Source| {
            match source {
            Source::Releases | Source::ReleaseFiles => "python.org may be down, blocked or answering oddly: point `--index` at a mirror or a local copy of the release list (`--index file:///srv/python-org/release.json`, a folder holding `release.json` and `release_file-<id>.json`, or a loopback `http://127.0.0.1:PORT/...`); docs/updating-python.md shows how to record one".to_owned(),
            Source::Advisories => "GitHub may be down or blocked: point `--advisories` at a clone of github.com/psf/advisory-database (`--advisories advisory-database/advisories/python`), a `.tar.gz` snapshot of it, a JSON file of OSV records, or a loopback `http://127.0.0.1:PORT/...` mirror".to_owned(),
        }
        };
        Some(match self {
            Error::Location { source_kind, .. } => format!("pass an https:// URL, a loopback http:// URL, a file:// URL, a file or a folder. {}", mirror(*source_kind)),
            Error::Fetch { source_kind, source, .. } => match source.hint() {
                Some(transport) => format!("{transport}. {}", mirror(*source_kind)),
                None => mirror(*source_kind),
            },
            Error::Read { source_kind, .. } | Error::TooLarge { source_kind, .. } | Error::Unusable { source_kind, .. } => mirror(*source_kind),
            Error::NoRelease { .. } => "check the version line (`--python 3.13`); python.org lists a line once its first final release is out".to_owned(),
            Error::Unverifiable { .. } => "specgate pins only what a build can verify (a published SHA-256 and a signature it knows the signer of); pin it by hand after checking the release another way (docs/updating-python.md, \"Manual fallback\")".to_owned(),
            Error::Write { .. } => "check the permissions of specgate.toml and its folder".to_owned(),
            Error::Edit { .. } => "fix specgate.toml first (`specgate check` names the line), then run the update again".to_owned(),
        })
    }
}

// ---------------------------------------------------------------- reading

/// Where an index is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Http(String),
    /// A file or a folder.
    Path(PathBuf),
}

impl Location {
    /// `https://`, loopback `http://`, `file:///...` or a path (relative to `base`).
    pub fn parse(text: &str, base: &Path, source: Source) -> Result<Location, Error> {
        match crate::pipeline::install::fetch::Location::parse(text, false) {
            Ok(crate::pipeline::install::fetch::Location::Http(url)) => Ok(Location::Http(url)),
            Ok(crate::pipeline::install::fetch::Location::File(path)) => Ok(Location::Path(base.join(path))),
            Err(crate::pipeline::install::Error::Url { reason, .. }) => {
                Err(Error::Location { source_kind: source, location: text.to_owned(), reason })
            }
            Err(other) => {
                Err(Error::Location { source_kind: source, location: text.to_owned(), reason: other.to_string() })
            }
        }
    }

    pub fn display(&self) -> String {
        match self {
            Location::Http(url) => url.clone(),
            Location::Path(path) => path.display().to_string(),
        }
    }
}

/// Read a whole body or file, at most `limit` bytes.
fn read_bounded(client: &http::Client, location: &Location, limit: u64, source: Source) -> Result<Vec<u8>, Error> {
    let shown = location.display();
    let too_large = || Error::TooLarge { source_kind: source, location: shown.clone(), limit };
    match location {
        Location::Http(url) => {
            let body = client
                .fetch(url, |body| {
                    let mut bytes = Vec::new();
                    body.take(limit + 1).read_to_end(&mut bytes)?;
                    Ok(bytes)
                })
                .map_err(|e| Error::Fetch { source_kind: source, location: shown.clone(), source: e })?;
            if body.len() as u64 > limit {
                return Err(too_large());
            }
            Ok(body)
        }
        Location::Path(path) => crate::shared::readfile::regular(path, limit).map_err(|e| {
            if e.to_string().contains("over the limit of") {
                too_large()
            } else {
                Error::Read { source_kind: source, location: shown.clone(), source: e }
            }
        }),
    }
}

/// The release index: the document at an URL or file, or `release.json` in a folder.
pub fn read_index(client: &http::Client, location: &Location) -> Result<Index, Error> {
    let location = match location {
        Location::Path(path) if path.is_dir() => Location::Path(path.join("release.json")),
        other => other.clone(),
    };
    let bytes = read_bounded(client, &location, MAX_INDEX_BYTES, Source::Releases)?;
    Index::parse(&bytes).map_err(|reason| Error::Unusable {
        source_kind: Source::Releases,
        location: location.display(),
        reason,
    })
}

/// Where python.org lists the files of release `id`, beside the release index: its API's
/// `release_file/?release=<id>` for an URL, `release_file-<id>.json` beside a file (or in a
/// folder).
pub fn release_files_location(index: &Location, id: u64) -> Location {
    match index {
        Location::Http(url) => {
            let base = match url.rfind("/release/") {
                Some(at) => &url[..at],
                None => url.split('?').next().unwrap_or(url).trim_end_matches('/'),
            };
            Location::Http(format!("{base}/release_file/?release={id}"))
        }
        Location::Path(path) => {
            let folder =
                if path.is_dir() { path.clone() } else { path.parent().unwrap_or(Path::new(".")).to_path_buf() };
            Location::Path(folder.join(format!("release_file-{id}.json")))
        }
    }
}

/// The source tarball of a release, from its list of files.
pub fn read_source_file(
    client: &http::Client,
    index: &Location,
    release: &releases::Release,
) -> Result<releases::SourceFile, Error> {
    let Some(id) = release.id else {
        return Err(Error::Unusable {
            source_kind: Source::Releases,
            location: index.display(),
            reason: format!("the entry of {} has no `resource_uri` ending in its numeric id", release.version),
        });
    };
    let location = release_files_location(index, id);
    let bytes = read_bounded(client, &location, MAX_INDEX_BYTES, Source::ReleaseFiles)?;
    releases::source_file(&bytes, release.version).map_err(|reason| Error::Unusable {
        source_kind: Source::ReleaseFiles,
        location: location.display(),
        reason,
    })
}

/// The advisories: a JSON document (one OSV record or a list), a `.tar.gz` snapshot of the
/// database (its `advisories/` members), or a folder of `.json` records.
pub fn read_advisories(client: &http::Client, location: &Location) -> Result<Advisories, Error> {
    let mut advisories = Advisories::default();
    let shown = location.display();
    if let Location::Path(path) = location {
        if path.is_dir() {
            read_folder(path, &mut advisories).map_err(|source| Error::Read {
                source_kind: Source::Advisories,
                location: shown.clone(),
                source,
            })?;
            advisories.finish();
            return usable(advisories, &shown);
        }
    }
    let bytes = read_bounded(client, location, MAX_ADVISORIES_BYTES, Source::Advisories)?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        read_tarball(&bytes, &mut advisories).map_err(|reason| Error::Unusable {
            source_kind: Source::Advisories,
            location: shown.clone(),
            reason,
        })?;
    } else {
        advisories.add_document(&shown, &bytes);
    }
    advisories.finish();
    usable(advisories, &shown)
}

/// No record at all means the source is not the advisory database: an error, never "nothing
/// affects you".
fn usable(advisories: Advisories, shown: &str) -> Result<Advisories, Error> {
    if advisories.records.is_empty() && advisories.withdrawn == 0 && advisories.other_packages == 0 {
        let reason = match advisories.unreadable.first() {
            Some(first) => format!(
                "it holds no OSV record for CPython ({} unreadable, first: {first})",
                advisories.unreadable_count
            ),
            None => "it holds no OSV record for CPython".to_owned(),
        };
        return Err(Error::Unusable { source_kind: Source::Advisories, location: shown.to_owned(), reason });
    }
    Ok(advisories)
}

fn read_folder(folder: &Path, advisories: &mut Advisories) -> std::io::Result<()> {
    let mut pending = vec![(folder.to_path_buf(), 0)];
    let mut seen = 0;
    while let Some((dir, depth)) = pending.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)?.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            // Never follow links: a link out of the folder is not part of the database.
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() && depth < 8 {
                pending.push((path, depth + 1));
            } else if kind.is_file() && name.ends_with(".json") {
                seen += 1;
                if seen > MAX_RECORDS {
                    return Err(std::io::Error::other(format!("the folder holds more than {MAX_RECORDS} records")));
                }
                let shown = path.strip_prefix(folder).unwrap_or(&path).display().to_string();
                match crate::shared::readfile::regular(&path, MAX_RECORD_BYTES) {
                    Ok(bytes) => advisories.add_document(&shown, &bytes),
                    Err(error) => advisories.unreadable_file(&shown, &error.to_string()),
                }
            }
        }
    }
    Ok(())
}

fn read_tarball(bytes: &[u8], advisories: &mut Advisories) -> Result<(), String> {
    let mut archive = tar::Archive::new(flate2::read::MultiGzDecoder::new(bytes));
    let entries = archive.entries().map_err(|e| format!("it is not a tar.gz archive ({e})"))?;
    let (mut members, mut declared) = (0usize, 0u64);
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("the archive is truncated or corrupt ({e})"))?;
        members += 1;
        declared = declared.saturating_add(entry.size());
        if members > MAX_RECORDS || declared > MAX_TARBALL_CONTENT {
            return Err(format!(
                "the archive holds more than {MAX_RECORDS} members or {MAX_TARBALL_CONTENT} bytes; it is not the advisory database"
            ));
        }
        let path = entry.path().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        if entry.header().entry_type() != tar::EntryType::Regular
            || !path.ends_with(".json")
            || !path.split('/').any(|p| p == "advisories")
        {
            continue;
        }
        if entry.size() > MAX_RECORD_BYTES {
            advisories.unreadable_file(&path, &format!("larger than {MAX_RECORD_BYTES} bytes"));
            continue;
        }
        let mut record = Vec::new();
        entry.read_to_end(&mut record).map_err(|e| format!("the archive is truncated or corrupt ({e})"))?;
        advisories.add_document(&path, &record);
    }
    Ok(())
}

// ---------------------------------------------------------------- the assessment

/// A CPython version in use, and where the finding about it points.
#[derive(Debug, Clone)]
pub struct Subject {
    pub version: PythonVersion,
    pub path: String,
    pub position: Position,
    /// "Activo in the ledger", "pinned in specgate.toml".
    pub what: String,
}

/// What `assess` compares.
pub struct Inputs<'a> {
    pub subjects: &'a [Subject],
    pub index: &'a Index,
    pub advisories: &'a Advisories,
}

/// The versions in use: each version with an Activo ledger row (at its first such row), and the
/// newest `[build.sources]` pin of each line that no Activo row holds yet (at its table).
pub fn subjects(ledger: Option<(&SourceFile, &Ledger)>, pins: &[(PythonVersion, String, Position)]) -> Vec<Subject> {
    let mut out: Vec<Subject> = Vec::new();
    if let Some((file, ledger)) = ledger {
        if let Some(table) = &ledger.table {
            for row in &table.rows {
                let Ok(entry) = row.entry() else { continue };
                if entry.status != Status::Active || out.iter().any(|s| s.version == entry.version) {
                    continue;
                }
                let cell = &row.cells[column::VERSION];
                out.push(Subject {
                    version: entry.version,
                    path: file.path.clone(),
                    position: file.position(cell.start),
                    what: format!("Activo in `{}`", file.path),
                });
            }
        }
    }
    let mut newest: Vec<&(PythonVersion, String, Position)> = Vec::new();
    for pin in pins {
        match newest.iter_mut().find(|p| p.0.major == pin.0.major && p.0.minor == pin.0.minor) {
            Some(held) if held.0 < pin.0 => *held = pin,
            Some(_) => {}
            None => newest.push(pin),
        }
    }
    for (version, path, position) in newest {
        if !out.iter().any(|s| s.version == *version) {
            out.push(Subject {
                version: *version,
                path: path.clone(),
                position: *position,
                what: format!("pinned in `{path}`"),
            });
        }
    }
    out.sort_by_key(|s| s.version);
    out
}

/// Newer patches and advisories of every subject; notes for newer lines and what could not be
/// evaluated.
pub fn assess(inputs: &Inputs<'_>, report: &mut Report) {
    let index = inputs.index;
    let mut unknown: Vec<&str> = Vec::new();
    for subject in inputs.subjects {
        let version = subject.version;
        let line = version.line();
        let newer = index.newer_patches(version);
        if let Some(newest) = newer.last() {
            let listed: Vec<String> = newer.iter().rev().take(5).map(|r| r.version.to_string()).collect();
            let more = if newer.len() > 5 { format!(" and {} more", newer.len() - 5) } else { String::new() };
            let dated = newest.date.as_deref().map(|d| format!(" of {d}")).unwrap_or_default();
            report.push(
                Diagnostic::new(
                    "outdated-patch",
                    subject.path.clone(),
                    subject.position,
                    format!(
                        "CPython {version} ({}) has {} newer patch release{} of {line}: {}{more}; the newest is {}{dated}",
                        subject.what,
                        newer.len(),
                        if newer.len() == 1 { "" } else { "s" },
                        listed.join(", "),
                        newest.version
                    ),
                )
                .help(format!(
                    "run `specgate update --python {line}` to pin {}, then build, publish and switch (docs/updating-python.md)",
                    newest.version
                )),
            );
        }
        for advisory in &inputs.advisories.records {
            match advisory.verdict(version) {
                Verdict::Affected { fixed_in } => {
                    let aliases = if advisory.cves.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", advisory.cves.join(", "))
                    };
                    let fix = match fixed_in {
                        Some(fix) => format!("; fixed in {fix}"),
                        None => "; no fixed release is recorded".to_owned(),
                    };
                    let summary =
                        if advisory.summary.is_empty() { "no summary".to_owned() } else { advisory.summary.clone() };
                    let help = match fixed_in {
                        Some(fix) if fix.is_final() && fix.release.line() == line => format!(
                            "update to {fix} or later: `specgate update --python {line}` pins the newest {line} release"
                        ),
                        Some(fix) => {
                            format!("no {line} release fixes it; the fix is in {fix}: plan the move to a newer line")
                        }
                        None => format!("read the advisory ({}) and decide whether the build must change", advisory.id),
                    };
                    report.push(
                        Diagnostic::new(
                            "outdated-advisory",
                            subject.path.clone(),
                            subject.position,
                            format!(
                                "{}{aliases} affects CPython {version} ({}): {summary}{fix}",
                                advisory.id, subject.what
                            ),
                        )
                        .help(help),
                    );
                }
                Verdict::Unknown if !unknown.contains(&advisory.id.as_str()) => unknown.push(&advisory.id),
                _ => {}
            }
        }
        let lines = index.newer_lines(version);
        if !lines.is_empty() {
            let names: Vec<String> = lines.iter().map(|r| format!("{} ({})", r.version.line(), r.version)).collect();
            report.note(format!(
                "newer version lines than {line} exist: {} (information: a new line is a decision, not an update)",
                names.join(", ")
            ));
        }
    }
    let advisories = inputs.advisories;
    report.note(format!(
        "{} version{} in use; {} release{} in the index ({} pre-release{} or unpublished skipped); {} advisor{} read ({} withdrawn)",
        inputs.subjects.len(),
        if inputs.subjects.len() == 1 { "" } else { "s" },
        index.releases.len(),
        if index.releases.len() == 1 { "" } else { "s" },
        index.pre_releases,
        if index.pre_releases == 1 { "" } else { "s" },
        advisories.records.len(),
        if advisories.records.len() == 1 { "y" } else { "ies" },
        advisories.withdrawn
    ));
    if index.unreadable_count > 0 {
        report.note(format!(
            "{} release name{} of the index {} not `Python X.Y.Z` and {} skipped: {}",
            index.unreadable_count,
            if index.unreadable_count == 1 { "" } else { "s" },
            if index.unreadable_count == 1 { "is" } else { "are" },
            if index.unreadable_count == 1 { "was" } else { "were" },
            index.unreadable.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ));
    }
    if advisories.unreadable_count > 0 {
        report.note(format!(
            "{} advisory file{} could not be read: {}",
            advisories.unreadable_count,
            if advisories.unreadable_count == 1 { "" } else { "s" },
            advisories.unreadable.join("; ")
        ));
    }
    if !unknown.is_empty() {
        report.note(format!(
            "{} advisor{} only git commit ranges and could not be compared with a release number: {}",
            unknown.len(),
            if unknown.len() == 1 { "y gives" } else { "ies give" },
            unknown.iter().take(10).copied().collect::<Vec<_>>().join(", ")
        ));
    }
}

/// `outdated-rebuild` for each version line and distro whose newest Activo build is older than
/// `period` (BR-004).
pub fn assess_age(file: &SourceFile, ledger: &Ledger, period: Period, today: i64, report: &mut Report) {
    let Some(table) = &ledger.table else { return };
    let entries: Vec<(usize, crate::shared::artifact::Entry)> =
        table.rows.iter().enumerate().filter_map(|(i, row)| Some((i, row.entry().ok()?))).collect();
    for due in stale::stale(&entries, period, today) {
        let Some((row_index, entry)) = entries.iter().find(|(i, _)| *i == due.index) else { continue };
        let cell = &table.rows[*row_index].cells[column::DATE];
        report.push(
            Diagnostic::new(
                "outdated-rebuild",
                file.path.clone(),
                file.position(cell.start),
                format!(
                    "the newest Activo build of {} for {} ({} build {}) dates from {}; BR-004 asks for a rebuild every {period}, due since {}",
                    entry.version.line(),
                    entry.distro,
                    entry.version,
                    entry.build,
                    entry.date,
                    due.due
                ),
            )
            .help(format!(
                "rebuild {} on the newest patch release (`specgate update --python {}`, then the build; docs/updating-python.md)",
                entry.version.line(),
                entry.version.line()
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::diag::Levels;

    #[test]
    fn release_files_sit_beside_the_index() {
        let http = Location::Http("https://www.python.org/api/v2/downloads/release/?is_published=true".to_owned());
        assert_eq!(
            release_files_location(&http, 877),
            Location::Http("https://www.python.org/api/v2/downloads/release_file/?release=877".to_owned())
        );
        let file = Location::Path(PathBuf::from("/srv/python-org/release.json"));
        assert_eq!(
            release_files_location(&file, 877),
            Location::Path(PathBuf::from("/srv/python-org/release_file-877.json"))
        );
    }

    #[test]
    fn locations_refuse_plain_http_to_other_hosts() {
        let base = Path::new("/repo");
        assert_eq!(
            Location::parse("fixtures/x.json", base, Source::Releases).unwrap(),
            Location::Path(PathBuf::from("/repo/fixtures/x.json"))
        );
        assert!(matches!(
            Location::parse("http://127.0.0.1:8080/r", base, Source::Releases).unwrap(),
            Location::Http(_)
        ));
        let error = Location::parse("http://mirror.example/r", base, Source::Advisories).unwrap_err();
        assert!(error.to_string().contains("only loopback"), "{error}");
        assert!(error.hint().unwrap().contains("--advisories"));
        assert!(Location::parse("ftp://x/y", base, Source::Releases).unwrap_err().hint().unwrap().contains("--index"));
    }

    #[test]
    fn pins_count_only_when_no_active_row_holds_the_newest_of_their_line() {
        let v = |t| PythonVersion::parse(t).unwrap();
        let at = Position::new(3, 1);
        let pins = [
            (v("3.11.2"), "specgate.toml".to_owned(), at),
            (v("3.11.9"), "specgate.toml".to_owned(), at),
            (v("3.13.5"), "specgate.toml".to_owned(), at),
        ];
        let subjects = subjects(None, &pins);
        let versions: Vec<String> = subjects.iter().map(|s| s.version.to_string()).collect();
        assert_eq!(versions, ["3.11.9", "3.13.5"]);
    }

    #[test]
    fn assess_reports_patches_and_affecting_advisories_only() {
        let index = Index::parse(
            br#"[{"name": "Python 3.11.2", "pre_release": false}, {"name": "Python 3.11.5", "pre_release": false, "release_date": "2023-08-24"},
                {"name": "Python 3.12.1", "pre_release": false}, {"name": "Python 3.12.2rc1", "pre_release": true}]"#,
        )
        .unwrap();
        let mut advisories = Advisories::default();
        advisories.add_document(
            "a.json",
            br#"[{"id": "PSF-2023-8", "aliases": ["CVE-2023-40217"], "summary": "s", "affected": [{"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.11.0"}, {"fixed": "3.11.5"}]}]}]},
                {"id": "PSF-2023-9", "affected": [{"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.12.0"}, {"fixed": "3.12.1"}]}]}]}]"#,
        );
        advisories.finish();
        let subjects = [
            Subject {
                version: PythonVersion::parse("3.11.2").unwrap(),
                path: "specgate.toml".to_owned(),
                position: Position::new(4, 1),
                what: "pinned in `specgate.toml`".to_owned(),
            },
            Subject {
                version: PythonVersion::parse("3.12.1").unwrap(),
                path: "specgate.toml".to_owned(),
                position: Position::new(9, 1),
                what: "pinned in `specgate.toml`".to_owned(),
            },
        ];
        let mut report = Report::new(Levels::default());
        assess(&Inputs { subjects: &subjects, index: &index, advisories: &advisories }, &mut report);
        let found: Vec<(&str, usize)> = report.diagnostics.iter().map(|d| (d.code, d.position.line)).collect();
        assert_eq!(found, [("outdated-patch", 4), ("outdated-advisory", 4)]);
        assert!(report.diagnostics[0]
            .message
            .contains("1 newer patch release of 3.11: 3.11.5; the newest is 3.11.5 of 2023-08-24"));
        assert!(report.diagnostics[1].message.contains("PSF-2023-8 (CVE-2023-40217) affects CPython 3.11.2"));
        assert!(report.diagnostics[1].message.ends_with("fixed in 3.11.5"));
        assert!(report.notes.iter().any(|n| n.contains("3.12 (3.12.1)")), "{:?}", report.notes);
    }
}
