//! `specgate check ledger`: the ledger tells the truth about the artifacts (CA-008).
//!
//! Rows are well formed and unique; every artifact in the artifacts folder has a row, a sidecar
//! that names it, and a real SHA-256 equal to both; every tarball holds the PSF LICENSE (BR-003);
//! at most `max-active` builds per version line and distro are Activo (BR-005). With `--remote`,
//! each published Activo row's URL is downloaded (streamed, with retries) and hashed.
//!
//! Wheelhouses (`wheelhouse-NAME-cpXY-D-buildN.tgz`) are held to the same rules against the
//! ledger's wheelhouse table, with `wheelhouse-NAME/requirements.lock` in place of the LICENSE
//! and retention per name, line and distro; the staleness rule (BR-004) is CPython's only.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::shared::artifact::ledger::{self, column, Entry, Kind, Ledger, Record, Status, WheelhouseEntry, HEADERS};
use crate::shared::artifact::name::{ArtifactName, Compression, WheelhouseName};
use crate::shared::artifact::sidecar::{self, Sidecar};
use crate::shared::artifact::unpack;
use crate::shared::artifact::Digest;
use crate::shared::context::CheckContext;
use crate::shared::diag::{Diagnostic, Position, Report, SourceFile};
use crate::shared::http;

/// Options of `specgate check ledger`.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Also download each published Activo row's URL and compare its SHA-256.
    pub remote: bool,
    pub http: http::Options,
    /// Today, in days since 1970-01-01, for `ledger-stale`; `None` reads the system clock.
    pub today: Option<i64>,
}

/// A row of the ledger with where its cells are.
struct Located<'a, R = Entry> {
    row: &'a ledger::Row,
    entry: R,
}

/// What the checks say about a record beyond `Record`: the retention finding's words.
trait Checked: Record {
    /// `3.12.6 build 1 is Activo, but so are the 3 newer builds of 3.12 for debian12`.
    fn too_many_active(&self, max_active: u32) -> String;
}

impl Checked for Entry {
    fn too_many_active(&self, max_active: u32) -> String {
        format!(
            "{} build {} is Activo, but so are the {max_active} newer builds of {} for {} (at most {max_active} may be Activo, BR-005)",
            self.version,
            self.build,
            self.version.line(),
            self.distro
        )
    }
}

impl Checked for WheelhouseEntry {
    fn too_many_active(&self, max_active: u32) -> String {
        format!(
            "build {} of wheelhouse {} for {} is Activo, but so are {max_active} newer builds of it for {} (at most {max_active} may be Activo, BR-005)",
            self.build,
            self.name,
            self.line(),
            self.distro
        )
    }
}

/// The files of the artifacts folder, by kind.
#[derive(Default)]
struct Folder {
    cpython: Vec<(String, ArtifactName)>,
    wheelhouses: Vec<(String, WheelhouseName)>,
}

impl Folder {
    fn len(&self) -> usize {
        self.cpython.len() + self.wheelhouses.len()
    }

    /// Each file with its compression and the member it must hold.
    fn required(&self) -> Vec<(&str, Compression, Required)> {
        let cpython = self.cpython.iter().map(|(f, n)| (f.as_str(), n.compression, Required::license(n)));
        cpython.chain(self.wheelhouses.iter().map(|(f, n)| (f.as_str(), n.compression, Required::lock(n)))).collect()
    }

    fn first(&self) -> Option<&str> {
        let first = self.cpython.first().map(|(f, _)| f.as_str());
        first.or_else(|| self.wheelhouses.first().map(|(f, _)| f.as_str()))
    }
}

/// The member a tarball must hold, and the finding when it does not.
struct Required {
    member: String,
    code: &'static str,
    message: String,
    help: &'static str,
}

impl Required {
    fn license(name: &ArtifactName) -> Required {
        Required {
            member: name.license_path(),
            code: "artifact-license-missing",
            message: format!("the tarball has no `{}` (BR-003)", name.license_path()),
            help: "repackage with `specgate package`, which adds the PSF LICENSE, or pass `--license FILE`",
        }
    }

    fn lock(name: &WheelhouseName) -> Required {
        Required {
            member: name.lock_path(),
            code: "artifact-lock-missing",
            message: format!("the wheelhouse has no `{}`; nothing could be installed from it", name.lock_path()),
            help: "rebuild it with `specgate wheelhouse build`, which writes the lock",
        }
    }
}

/// A row's SHA-256 and its cell, for the digest comparison of `check_files`.
struct RowDigest<'a> {
    sha256: Digest,
    cell: &'a ledger::Cell,
    file: &'a SourceFile,
}

fn at_cell(code: &'static str, file: &SourceFile, cell: &ledger::Cell, message: String) -> Diagnostic {
    Diagnostic::new(code, file.path.clone(), file.position(cell.start), message).source(file, cell.text.chars().count())
}

/// Run every ledger and artifact rule.
pub fn check(ctx: &CheckContext, options: &CheckOptions, report: &mut Report) {
    let config = &ctx.config.artifacts;
    let root = &ctx.workspace.root;
    let folder = root.join(&config.folder);
    let artifacts = list_folder(&folder, &config.folder, &config.ledger, report);

    // The ledger is read from the snapshot (the pushed commit, the staged index or the disk);
    // the artifacts themselves are never committed, so they are read from the folder.
    let text = match ctx.read(&config.ledger) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(_) => {
                report.push(
                    Diagnostic::new(
                        "ledger-unreadable",
                        config.ledger.clone(),
                        Position::new(1, 1),
                        "the ledger is not UTF-8 text",
                    )
                    .help("save the file as UTF-8"),
                );
                return;
            }
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            report.push(Diagnostic::new(
                "ledger-unreadable",
                config.ledger.clone(),
                Position::new(1, 1),
                format!("could not read the ledger: {error}"),
            ));
            return;
        }
    };
    let Some(text) = text else {
        if let Some(first) = artifacts.first() {
            report.push(
                Diagnostic::new(
                    "ledger-missing",
                    config.ledger.clone(),
                    Position::new(1, 1),
                    format!("`{}` holds artifacts but there is no ledger", config.folder),
                )
                .help(format!("run `specgate ledger add {}/{}` to create it", config.folder, first)),
            );
            for (file_name, compression, required) in artifacts.required() {
                check_files(&folder, &config.folder, file_name, compression, &required, None, &config.limits, report);
            }
        } else {
            report.note(format!("no ledger at `{}` and no artifacts in `{}`", config.ledger, config.folder));
        }
        return;
    };

    let ledger = Ledger::parse(text.clone());
    let file = SourceFile::new(config.ledger.clone(), text);
    if ledger.table.is_none() && ledger.wheelhouses.is_none() {
        report.push(
            Diagnostic::new(
                "ledger-no-table",
                file.path.clone(),
                Position::new(1, 1),
                "the ledger has no table whose first column is `Versión`",
            )
            .help(format!("add the team's table: `| {} |` and a `|---|` separator line", HEADERS.join(" | "))),
        );
    }
    let rows: Vec<Located<'_, Entry>> = check_table(&ledger, &file, config.max_active, report);
    let wheel_rows: Vec<Located<'_, WheelhouseEntry>> = check_table(&ledger, &file, config.max_active, report);
    let today = options.today.unwrap_or_else(crate::shared::artifact::stale::today);
    check_stale(&rows, &file, config.rebuild_after, today, report);

    let mut by_key: HashMap<(crate::shared::artifact::PythonVersion, u32, String), &Located<'_>> = HashMap::new();
    for located in &rows {
        let e = &located.entry;
        by_key.entry((e.version, e.build, e.distro.clone())).or_insert(located);
    }
    for (file_name, name) in &artifacts.cpython {
        let row = by_key.get(&(name.version, name.build, name.distro.clone())).copied();
        let row = listed(row, file_name, name.compression, config, report);
        let row = row.map(|r| RowDigest { sha256: r.entry.sha256, cell: &r.row.cells[column::SHA256], file: &file });
        let required = Required::license(name);
        check_files(&folder, &config.folder, file_name, name.compression, &required, row, &config.limits, report);
    }
    for (file_name, name) in &artifacts.wheelhouses {
        let row = wheel_rows.iter().find(|l| l.entry.describes(name));
        let row = listed(row, file_name, name.compression, config, report);
        let column = Kind::Wheelhouse.sha256_column();
        let row = row.map(|r| RowDigest { sha256: r.entry.sha256, cell: &r.row.cells[column], file: &file });
        let required = Required::lock(name);
        check_files(&folder, &config.folder, file_name, name.compression, &required, row, &config.limits, report);
    }

    if options.remote {
        let client = http::Client::new(options.http.clone());
        let cpython = rows.iter().map(|l| (Kind::Cpython, l.row, l.entry.sha256, l.entry.url.as_str(), l.entry.status));
        let wheelhouses =
            wheel_rows.iter().map(|l| (Kind::Wheelhouse, l.row, l.entry.sha256, l.entry.url.as_str(), l.entry.status));
        let targets = cpython
            .chain(wheelhouses)
            .filter(|(_, _, _, url, status)| *status == Status::Active && *url != ledger::UNPUBLISHED);
        let mut checked = 0;
        for (kind, row, expected, url, _) in targets {
            checked += 1;
            let cell = &row.cells[kind.url_column()];
            match client.fetch(url, |body| sidecar::sha256_reader(body)) {
                Ok((digest, _)) if digest == expected => {}
                Ok((digest, bytes)) => report.push(
                    at_cell("ledger-remote-mismatch", &file, cell, format!("the file at this URL ({bytes} bytes) has SHA-256 {digest}, the row says {expected}"))
                        .help("the published asset is not the artifact this row records; republish it with `specgate publish`, or mark the row `Retirado`"),
                ),
                Err(error) => {
                    let mut message = format!("could not download the release URL: {error}");
                    if let Some(cause) = std::error::Error::source(&error) {
                        message.push_str(&format!(" ({cause})"));
                    }
                    report.push(at_cell("ledger-remote-unreachable", &file, cell, message).help(error.hint().unwrap_or_default()));
                }
            }
        }
        report.note(format!("downloaded {checked} Activo release URL{}", if checked == 1 { "" } else { "s" }));
    }
    let row_count = rows.len() + wheel_rows.len();
    report.note(format!(
        "{} well-formed ledger row{}, {} artifact{} in `{}`",
        row_count,
        if row_count == 1 { "" } else { "s" },
        artifacts.len(),
        if artifacts.len() == 1 { "" } else { "s" },
        config.folder
    ));
}

/// The row of an artifact file, or the `artifact-unlisted` finding: no row, or a row whose URL
/// names the other compression.
fn listed<'r, R>(
    row: Option<&'r Located<'_, R>>,
    file_name: &str,
    compression: Compression,
    config: &crate::shared::config::artifacts::ArtifactsConfig,
    report: &mut Report,
) -> Option<&'r Located<'r, R>>
where
    R: Record,
{
    match row {
        Some(located) if url_compression(located.entry.url()).is_some_and(|c| c != compression) => {
            report.push(
                Diagnostic::new(
                    "artifact-unlisted",
                    format!("{}/{file_name}", config.folder),
                    Position::new(1, 1),
                    format!(
                        "`{file_name}` has no ledger row; the row at line {} is for the other compression",
                        located.row.line
                    ),
                )
                .help("remove the file, or record it under its own build number"),
            );
            None
        }
        Some(located) => Some(located),
        None => {
            report.push(
                Diagnostic::new(
                    "artifact-unlisted",
                    format!("{}/{file_name}", config.folder),
                    Position::new(1, 1),
                    format!("`{file_name}` has no row in `{}`", config.ledger),
                )
                .help(format!("run `specgate ledger add {}/{file_name}`, or remove the file", config.folder)),
            );
            None
        }
    }
}

/// The compression a row's URL names, if its last segment is an artifact or wheelhouse name.
fn url_compression(url: &str) -> Option<Compression> {
    let last = url.rsplit('/').next()?;
    let cpython = ArtifactName::parse(last).ok().map(|n| n.compression);
    cpython.or_else(|| WheelhouseName::parse(last).ok().map(|n| n.compression))
}

/// The artifacts and wheelhouses in the folder (parsed names, sorted); bad names and orphan
/// sidecars are findings.
fn list_folder(folder: &Path, shown: &str, ledger: &str, report: &mut Report) -> Folder {
    let Ok(read) = std::fs::read_dir(folder) else {
        return Folder::default();
    };
    let mut names: Vec<String> = read
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut found = Folder::default();
    for file_name in &names {
        let path = format!("{shown}/{file_name}");
        if path == ledger || file_name.starts_with('.') {
            continue;
        }
        if let Some(artifact) = file_name.strip_suffix(".sha256") {
            if !names.iter().any(|n| n == artifact) {
                report.push(
                    Diagnostic::new(
                        "artifact-sidecar-orphan",
                        path,
                        Position::new(1, 1),
                        format!("the artifact `{artifact}` of this sidecar is not in `{shown}`"),
                    )
                    .help("remove the sidecar, or put the artifact back"),
                );
            }
            continue;
        }
        if file_name.starts_with("wheelhouse") {
            match WheelhouseName::parse(file_name) {
                Ok(name) => found.wheelhouses.push((file_name.clone(), name)),
                Err(error) => report.push(
                    Diagnostic::new("artifact-bad-name", path, Position::new(1, 1), error.to_string())
                        .help("rename the file; `specgate wheelhouse build` names wheelhouses itself"),
                ),
            }
            continue;
        }
        let looks_like_artifact = file_name.starts_with("cpython") || Compression::from_file_name(file_name).is_some();
        if !looks_like_artifact {
            continue;
        }
        match ArtifactName::parse(file_name) {
            Ok(name) => found.cpython.push((file_name.clone(), name)),
            Err(error) => report.push(
                Diagnostic::new("artifact-bad-name", path, Position::new(1, 1), error.to_string())
                    .help("rename the file; `specgate package` names artifacts itself"),
            ),
        }
    }
    found
}

/// Header, row format, duplicates and retention of the table of `R`; returns the well-formed
/// rows. A missing table is the caller's finding.
fn check_table<'a, R: Checked>(
    ledger: &'a Ledger,
    file: &SourceFile,
    max_active: u32,
    report: &mut Report,
) -> Vec<Located<'a, R>> {
    let Some(table) = ledger.table_of(R::KIND) else {
        return Vec::new();
    };
    let headers = R::KIND.headers();
    if let Some(problem) = &table.header_problem {
        report.push(
            Diagnostic::new("ledger-header", file.path.clone(), Position::new(table.header.line, 1), problem.clone())
                .source(file, 1)
                .help(format!("the header must be `| {} |` followed by a `|---|` separator line", headers.join(" | "))),
        );
    }
    let mut rows = Vec::new();
    for row in &table.rows {
        if row.cells.len() != headers.len() {
            report.push(
                Diagnostic::new(
                    "ledger-row-columns",
                    file.path.clone(),
                    Position::new(row.line, 1),
                    format!("the row has {} cells; the table has {} columns", row.cells.len(), headers.len()),
                )
                .source(file, 1)
                .help(format!("each row needs the cells {}, in that order", headers.join(", "))),
            );
            continue;
        }
        match R::from_row(row) {
            Ok(entry) => rows.push(Located { row, entry }),
            Err(problems) => {
                for problem in problems {
                    report.push(
                        at_cell("ledger-invalid-field", file, &row.cells[problem.column], problem.message)
                            .help(problem.help),
                    );
                }
            }
        }
    }
    // `describe()` names the unique key: two rows with the same description are one build.
    let mut first: HashMap<String, usize> = HashMap::new();
    for located in &rows {
        let described = located.entry.describe();
        if let Some(line) = first.get(&described) {
            report.push(
                Diagnostic::new(
                    "ledger-duplicate",
                    file.path.clone(),
                    Position::new(located.row.line, 1),
                    format!("{described} is already recorded at line {line}"),
                )
                .source(file, 1)
                .help("remove one of the rows; a rebuild gets the next build number"),
            );
        } else {
            first.insert(described, located.row.line);
        }
    }
    let indexed: Vec<(usize, R)> = rows.iter().enumerate().map(|(i, l)| (i, l.entry.clone())).collect();
    let mut over: BTreeMap<usize, ()> = BTreeMap::new();
    for index in ledger::rows_to_deprecate(&indexed, max_active as usize) {
        over.insert(index, ());
    }
    for index in over.keys() {
        let located = &rows[*index];
        report.push(
            at_cell(
                "ledger-too-many-active",
                file,
                &located.row.cells[R::KIND.status_column()],
                located.entry.too_many_active(max_active),
            )
            .help(format!("run `specgate ledger prune --keep {max_active}` to mark older builds `Deprecado`")),
        );
    }
    rows
}

/// BR-004: the newest Activo build of each version line and distro is younger than the
/// rebuild period.
fn check_stale(
    rows: &[Located<'_>],
    file: &SourceFile,
    period: crate::shared::artifact::stale::Period,
    today: i64,
    report: &mut Report,
) {
    let entries: Vec<(usize, Entry)> = rows.iter().enumerate().map(|(i, l)| (i, l.entry.clone())).collect();
    for stale in crate::shared::artifact::stale::stale(&entries, period, today) {
        let located = &rows[stale.index];
        let e = &located.entry;
        report.push(
            at_cell(
                "ledger-stale",
                file,
                &located.row.cells[column::DATE],
                format!(
                    "the newest Activo build of {} for {} ({} build {}) dates from {}; BR-004 asks for a rebuild every {period}, due since {}",
                    e.version.line(),
                    e.distro,
                    e.version,
                    e.build,
                    e.date,
                    stale.due
                ),
            )
            .help(format!(
                "run `specgate outdated` for newer patch releases and advisories, then rebuild (`specgate update --python {}` pins the newest patch; docs/updating-python.md)",
                e.version.line()
            )),
        );
    }
}

/// Sidecar, real digest against the row and the sidecar, and the required member (the LICENSE
/// of a CPython artifact, the lock of a wheelhouse) of one file.
#[expect(
    clippy::too_many_arguments,
    reason = "each is one fact about the file checked; a struct would only rename them"
)]
fn check_files(
    folder: &Path,
    shown: &str,
    file_name: &str,
    compression: Compression,
    required: &Required,
    row: Option<RowDigest<'_>>,
    limits: &unpack::Limits,
    report: &mut Report,
) {
    let path = folder.join(file_name);
    let shown_path = format!("{shown}/{file_name}");
    let actual = match sidecar::sha256_file(&path) {
        Ok(digest) => digest,
        Err(error) => {
            report.push(Diagnostic::new(
                "artifact-corrupt",
                shown_path,
                Position::new(1, 1),
                format!("{error}: {}", std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default()),
            ));
            return;
        }
    };
    if let Some(row) = row {
        if row.sha256 != actual {
            report.push(
                at_cell("ledger-sha256-mismatch", row.file, row.cell, format!("`{shown_path}` has SHA-256 {actual}, the row says {}", row.sha256))
                    .help("the file changed after the row was written, or the row belongs to another build; rebuild or fix the row from the file with `specgate ledger add`"),
            );
        }
    }
    let sidecar_path = Sidecar::path_for(&path);
    let sidecar_shown = format!("{shown_path}.sha256");
    match crate::shared::readfile::text(&sidecar_path, sidecar::MAX_BYTES) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => report.push(
            Diagnostic::new("artifact-sidecar-missing", shown_path.clone(), Position::new(1, 1), format!("`{file_name}` has no sidecar `{file_name}.sha256`"))
                .help(format!("run `sha256sum {file_name} > {file_name}.sha256` in `{shown}`")),
        ),
        Err(error) => report.push(
            Diagnostic::new("artifact-sidecar-invalid", sidecar_shown, Position::new(1, 1), format!("the sidecar could not be read: {error}"))
                .help(format!("a sidecar is a regular file of one line; replace it with `sha256sum {file_name} > {file_name}.sha256` in `{shown}`")),
        ),
        Ok(text) => match Sidecar::parse(&text) {
            Err(reason) => report.push(
                Diagnostic::new("artifact-sidecar-invalid", sidecar_shown, Position::new(1, 1), reason)
                    .help(format!("the sidecar must be one line `<sha256>  {file_name}`, as `sha256sum` writes it")),
            ),
            Ok(sidecar) if sidecar.file_name != file_name => report.push(
                Diagnostic::new("artifact-sidecar-invalid", sidecar_shown, Position::new(1, 1), format!("the sidecar is for `{}`, not for `{file_name}`", sidecar.file_name))
                    .help(format!("`sha256sum -c` would check the wrong file; regenerate it with `sha256sum {file_name} > {file_name}.sha256`")),
            ),
            Ok(sidecar) if sidecar.digest != actual => report.push(
                Diagnostic::new("artifact-sidecar-mismatch", sidecar_shown, Position::new(1, 1), format!("the sidecar says {}, `{file_name}` has {actual}", sidecar.digest))
                    .help("the artifact or its sidecar changed; rebuild the artifact instead of editing the sidecar"),
            ),
            Ok(_) => {}
        },
    }
    match unpack::contains_member(&path, compression, &required.member, limits) {
        Ok(true) => {}
        Ok(false) => report.push(
            Diagnostic::new(required.code, shown_path, Position::new(1, 1), required.message.clone())
                .help(required.help),
        ),
        Err(error) => report.push(
            Diagnostic::new("artifact-corrupt", shown_path, Position::new(1, 1), error.to_string())
                .help("build or download the artifact again"),
        ),
    }
}
