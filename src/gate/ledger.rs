//! `specgate check ledger`: the ledger tells the truth about the artifacts (CA-008).
//!
//! Rows are well formed and unique; every artifact in the artifacts folder has a row, a sidecar
//! that names it, and a real SHA-256 equal to both; every tarball holds the PSF LICENSE (BR-003);
//! at most `max-active` builds per version line and distro are Activo (BR-005). With `--remote`,
//! each published Activo row's URL is downloaded (streamed, with retries) and hashed.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::shared::artifact::ledger::{self, column, Entry, Ledger, Status, HEADERS};
use crate::shared::artifact::name::{ArtifactName, Compression};
use crate::shared::artifact::sidecar::{self, Sidecar};
use crate::shared::artifact::unpack;
use crate::shared::context::CheckContext;
use crate::shared::diag::{Diagnostic, Position, Report, SourceFile};
use crate::shared::http;

/// Options of `specgate check ledger`.
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Also download each published Activo row's URL and compare its SHA-256.
    pub remote: bool,
    pub http: http::Options,
}

/// A row of the ledger with where its cells are.
struct Located<'a> {
    row: &'a ledger::Row,
    entry: Entry,
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
                .help(format!("run `specgate ledger add {}/{}` to create it", config.folder, first.0)),
            );
            for (file_name, name) in &artifacts {
                check_files(&folder, &config.folder, file_name, name, None, &config.limits, report);
            }
        } else {
            report.note(format!("no ledger at `{}` and no artifacts in `{}`", config.ledger, config.folder));
        }
        return;
    };

    let ledger = Ledger::parse(text.clone());
    let file = SourceFile::new(config.ledger.clone(), text);
    let rows = check_table(&ledger, &file, config.max_active, report);

    let mut by_key: HashMap<(crate::shared::artifact::PythonVersion, u32, String), &Located<'_>> = HashMap::new();
    for located in &rows {
        let e = &located.entry;
        by_key.entry((e.version, e.build, e.distro.clone())).or_insert(located);
    }
    for (file_name, name) in &artifacts {
        let row = by_key.get(&(name.version, name.build, name.distro.clone())).copied();
        let row = match row {
            Some(located) if row_compression(&located.entry).is_some_and(|c| c != name.compression) => {
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
        };
        check_files(&folder, &config.folder, file_name, name, row.map(|r| (r, &file)), &config.limits, report);
    }

    if options.remote {
        let client = http::Client::new(options.http.clone());
        let mut checked = 0;
        for located in rows.iter().filter(|l| l.entry.status == Status::Active && l.entry.is_published()) {
            checked += 1;
            let cell = &located.row.cells[column::URL];
            match client.fetch(&located.entry.url, |body| sidecar::sha256_reader(body)) {
                Ok((digest, _)) if digest == located.entry.sha256 => {}
                Ok((digest, bytes)) => report.push(
                    at_cell("ledger-remote-mismatch", &file, cell, format!("the file at this URL ({bytes} bytes) has SHA-256 {digest}, the row says {}", located.entry.sha256))
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
    report.note(format!(
        "{} well-formed ledger row{}, {} artifact{} in `{}`",
        rows.len(),
        if rows.len() == 1 { "" } else { "s" },
        artifacts.len(),
        if artifacts.len() == 1 { "" } else { "s" },
        config.folder
    ));
}

/// The compression a row's URL names, if its last segment is an artifact name.
fn row_compression(entry: &Entry) -> Option<Compression> {
    let last = entry.url.rsplit('/').next()?;
    ArtifactName::parse(last).ok().map(|n| n.compression)
}

/// The artifacts in the folder (parsed names, sorted); bad names and orphan sidecars are findings.
fn list_folder(folder: &Path, shown: &str, ledger: &str, report: &mut Report) -> Vec<(String, ArtifactName)> {
    let Ok(read) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut names: Vec<String> = read
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut artifacts = Vec::new();
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
        let looks_like_artifact = file_name.starts_with("cpython") || Compression::from_file_name(file_name).is_some();
        if !looks_like_artifact {
            continue;
        }
        match ArtifactName::parse(file_name) {
            Ok(name) => artifacts.push((file_name.clone(), name)),
            Err(error) => report.push(
                Diagnostic::new("artifact-bad-name", path, Position::new(1, 1), error.to_string())
                    .help("rename the file; `specgate package` names artifacts itself"),
            ),
        }
    }
    artifacts
}

/// Header, row format, duplicates and retention; returns the well-formed rows.
fn check_table<'a>(ledger: &'a Ledger, file: &SourceFile, max_active: u32, report: &mut Report) -> Vec<Located<'a>> {
    let Some(table) = &ledger.table else {
        report.push(
            Diagnostic::new(
                "ledger-no-table",
                file.path.clone(),
                Position::new(1, 1),
                "the ledger has no table whose first column is `Versión`",
            )
            .help(format!("add the team's table: `| {} |` and a `|---|` separator line", HEADERS.join(" | "))),
        );
        return Vec::new();
    };
    if let Some(problem) = &table.header_problem {
        report.push(
            Diagnostic::new("ledger-header", file.path.clone(), Position::new(table.header.line, 1), problem.clone())
                .source(file, 1)
                .help(format!("the header must be `| {} |` followed by a `|---|` separator line", HEADERS.join(" | "))),
        );
    }
    let mut rows = Vec::new();
    for row in &table.rows {
        if row.cells.len() != HEADERS.len() {
            report.push(
                Diagnostic::new(
                    "ledger-row-columns",
                    file.path.clone(),
                    Position::new(row.line, 1),
                    format!("the row has {} cells; the table has {} columns", row.cells.len(), HEADERS.len()),
                )
                .source(file, 1)
                .help(format!("each row needs the cells {}, in that order", HEADERS.join(", "))),
            );
            continue;
        }
        match row.entry() {
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
    let mut first: HashMap<(crate::shared::artifact::PythonVersion, u32, &str), usize> = HashMap::new();
    for located in &rows {
        if let Some(line) = first.get(&located.entry.key()) {
            report.push(
                Diagnostic::new(
                    "ledger-duplicate",
                    file.path.clone(),
                    Position::new(located.row.line, 1),
                    format!(
                        "{} build {} for {} is already recorded at line {line}",
                        located.entry.version, located.entry.build, located.entry.distro
                    ),
                )
                .source(file, 1)
                .help("remove one of the rows; a rebuild gets the next build number"),
            );
        } else {
            first.insert(located.entry.key(), located.row.line);
        }
    }
    let indexed: Vec<(usize, Entry)> = rows.iter().enumerate().map(|(i, l)| (i, l.entry.clone())).collect();
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
                &located.row.cells[column::STATUS],
                format!(
                    "{} build {} is Activo, but so are the {max_active} newer builds of {} for {} (at most {max_active} may be Activo, BR-005)",
                    located.entry.version,
                    located.entry.build,
                    located.entry.version.line(),
                    located.entry.distro
                ),
            )
            .help(format!("run `specgate ledger prune --keep {max_active}` to mark older builds `Deprecado`")),
        );
    }
    rows
}

/// Sidecar, real digest against the row and the sidecar, and the LICENSE of one artifact.
fn check_files(
    folder: &Path,
    shown: &str,
    file_name: &str,
    name: &ArtifactName,
    row: Option<(&Located<'_>, &SourceFile)>,
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
    if let Some((located, file)) = row {
        if located.entry.sha256 != actual {
            report.push(
                at_cell("ledger-sha256-mismatch", file, &located.row.cells[column::SHA256], format!("`{shown_path}` has SHA-256 {actual}, the row says {}", located.entry.sha256))
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
    match unpack::contains_member(&path, name.compression, &name.license_path(), limits) {
        Ok(true) => {}
        Ok(false) => report.push(
            Diagnostic::new(
                "artifact-license-missing",
                shown_path,
                Position::new(1, 1),
                format!("the tarball has no `{}` (BR-003)", name.license_path()),
            )
            .help("repackage with `specgate package`, which adds the PSF LICENSE, or pass `--license FILE`"),
        ),
        Err(error) => report.push(
            Diagnostic::new("artifact-corrupt", shown_path, Position::new(1, 1), error.to_string())
                .help("build or download the artifact again"),
        ),
    }
}
