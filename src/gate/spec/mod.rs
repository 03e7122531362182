//! Governed documents: which files they are, loading them in parallel, and `check spec`
//! (schema, ids, links, spec bodies, code markers, component traceability).

pub mod body;
pub mod check;
pub mod document;
pub mod frontmatter;
pub mod markdown;
pub mod trace;

use std::collections::BTreeSet;

use rayon::prelude::*;

use crate::shared::config::SpecConfig;
use crate::shared::context::CheckContext;
use crate::shared::diag::{Diagnostic, Position, Report, SourceFile};
use document::Document;
use trace::{Malformed, Marker};

/// Is this repository-relative path a governed Markdown document?
pub fn is_governed(path: &str, config: &SpecConfig) -> bool {
    path.ends_with(".md")
        && config.roots.iter().any(|root| root.is_empty() || path.starts_with(&format!("{root}/")))
        && !config.exclude.is_match(path)
}

/// Must a document at this path have front-matter (a folder of its path is named in
/// `require-front-matter`)?
pub fn requires_front_matter(path: &str, config: &SpecConfig) -> bool {
    let mut folders = path.split('/').collect::<Vec<_>>();
    folders.pop();
    folders.iter().any(|f| config.require_front_matter.iter().any(|r| r == f))
}

/// What loading a document gave: a parsed document, or a finding about the file itself.
enum Loaded {
    Document(Box<Document>),
    Finding(Diagnostic),
}

fn load_document(ctx: &CheckContext, path: &str) -> Option<Loaded> {
    let config = &ctx.config.spec;
    let unreadable = |error: std::io::Error| {
        Some(Loaded::Finding(
            Diagnostic::new(
                "spec-unreadable",
                path,
                Position::new(1, 1),
                format!("could not read the document: {error}"),
            )
            .help("check that the file is a regular file and not a broken or looping symlink"),
        ))
    };
    // The size is checked before reading, so a huge file never enters memory.
    let size = match ctx.size(path) {
        Ok(size) => size,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => return unreadable(error),
    };
    if size > config.max_document_bytes {
        return Some(Loaded::Finding(
            Diagnostic::new(
                "spec-too-large",
                path,
                Position::new(1, 1),
                format!(
                    "document is {size} bytes, over the limit of {}; it was not checked",
                    config.max_document_bytes
                ),
            )
            .help("split the document, or raise `spec.max-document-bytes` in specgate.toml"),
        ));
    }
    let bytes = match ctx.read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return None,
        Err(error) => return unreadable(error),
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let valid = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let prefix = String::from_utf8_lossy(&bytes[..valid]).into_owned();
            let position = SourceFile::new(path, prefix).position(valid);
            return Some(Loaded::Finding(
                Diagnostic::new(
                    "spec-not-utf8",
                    path,
                    position,
                    format!("document is not valid UTF-8 (byte 0x{:02x} at offset {valid})", bytes[valid]),
                )
                .help("save the file as UTF-8; `iconv -f latin1 -t utf-8` converts Latin-1 text"),
            ));
        }
    };
    Some(Loaded::Document(Box::new(Document::parse(SourceFile::new(path, text), &config.any_id))))
}

/// The loaded repository: every governed document and every marker.
pub struct Corpus {
    pub documents: Vec<Document>,
    pub markers: Vec<Marker>,
    pub malformed: Vec<Malformed>,
    /// Findings about unreadable documents.
    pub file_findings: Vec<Diagnostic>,
    /// Per component folder: does any file under it mention a specification id?
    component_mentions: Vec<(String, bool, bool)>,
}

/// Files larger than this are not scanned for markers (generated data, archives).
const MAX_MARKER_FILE: u64 = 4 * 1024 * 1024;

/// Load every governed document of the repository plus `extra` documents, and scan `files`
/// for markers.
pub fn load(ctx: &CheckContext, extra_documents: &[String], marker_files: &[String]) -> Corpus {
    let config = &ctx.config.spec;
    let mut document_paths: BTreeSet<&str> =
        ctx.files.iter().map(String::as_str).filter(|p| is_governed(p, config)).collect();
    document_paths.extend(extra_documents.iter().map(String::as_str).filter(|p| p.ends_with(".md")));
    let document_paths: Vec<&str> = document_paths.into_iter().collect();

    let loaded: Vec<Loaded> = document_paths.par_iter().filter_map(|path| load_document(ctx, path)).collect();
    let mut documents = Vec::new();
    let mut file_findings = Vec::new();
    for item in loaded {
        match item {
            Loaded::Document(document) => documents.push(*document),
            Loaded::Finding(finding) => file_findings.push(finding),
        }
    }

    let spec_ids: BTreeSet<String> = documents
        .iter()
        .filter_map(|d| d.front_matter())
        .filter(|f| f.text("tipo").is_some_and(|t| config.types.get(&t.text).is_some_and(|t| t.body_checks)))
        .filter_map(|f| f.text("id").map(|s| s.text.clone()))
        .collect();
    let in_component = |path: &str| config.components.iter().any(|c| path.starts_with(&format!("{c}/")));

    // Per file: its markers, and for component files whether they name a specification.
    let loaded_text: std::collections::HashMap<&str, &str> =
        documents.iter().map(|d| (d.path(), d.source.text.as_str())).collect();
    type Scanned = (Vec<Marker>, Vec<Malformed>, Option<(String, bool)>);
    let scanned: Vec<Scanned> = marker_files
        .par_iter()
        .filter_map(|path| {
            // Documents are already in memory; read only the other files.
            let bytes: std::borrow::Cow<'_, [u8]> = match loaded_text.get(path.as_str()) {
                Some(text) => std::borrow::Cow::Borrowed(text.as_bytes()),
                None => std::borrow::Cow::Owned(ctx.read_limited(path, MAX_MARKER_FILE)?),
            };
            if bytes[..bytes.len().min(8000)].contains(&0) {
                return None;
            }
            let (mut markers, mut malformed) = (Vec::new(), Vec::new());
            trace::scan_markers(path, &bytes, &mut markers, &mut malformed);
            let mention = in_component(path).then(|| {
                let text = String::from_utf8_lossy(&bytes);
                let names_spec = config.any_id.find_iter(&text).any(|m| spec_ids.contains(m.as_str()));
                (path.clone(), names_spec)
            });
            Some((markers, malformed, mention))
        })
        .collect();

    let mut markers = Vec::new();
    let mut malformed = Vec::new();
    let mut mentions = Vec::new();
    for (path_markers, path_malformed, mention) in scanned {
        markers.extend(path_markers);
        malformed.extend(path_malformed);
        mentions.extend(mention);
    }
    let component_mentions = config
        .components
        .iter()
        .map(|component| {
            let prefix = format!("{component}/");
            let present = ctx.files.iter().any(|f| f.starts_with(&prefix));
            let mentioned = mentions.iter().any(|(path, names_spec)| *names_spec && path.starts_with(&prefix));
            (component.clone(), present, mentioned)
        })
        .collect();

    Corpus { documents, markers, malformed, file_findings, component_mentions }
}

/// `specgate check spec`: with `paths`, only those files are checked (against the whole
/// repository's id graph); without, every governed document, every marker, coverage and
/// components.
pub fn check(ctx: &CheckContext, paths: Option<&[String]>, report: &mut Report) {
    let config = &ctx.config.spec;
    let (extra, marker_files): (Vec<String>, Vec<String>) = match paths {
        Some(paths) => (paths.to_vec(), paths.to_vec()),
        None => (Vec::new(), ctx.files.clone()),
    };
    let corpus = load(ctx, &extra, &marker_files);
    let graph = check::Graph::new(&corpus.documents);
    let selected = |path: &str| paths.is_none_or(|paths| paths.iter().any(|p| p == path));

    for finding in &corpus.file_findings {
        if selected(&finding.path) {
            report.push(finding.clone());
        }
    }
    let mut checked = 0;
    for document in corpus.documents.iter().filter(|d| selected(d.path())) {
        checked += 1;
        check::check_document(document, requires_front_matter(document.path(), config), config, &graph, report);
    }
    trace::check_markers(&corpus.markers, &corpus.malformed, &graph, report);
    // The links of the documents checked (issue 17), against the snapshot's files.
    let checked_documents: Vec<&Document> = corpus.documents.iter().filter(|d| selected(d.path())).collect();
    let links = crate::gate::links::check_documents(ctx, &checked_documents, &corpus.documents, report);

    if paths.is_none() {
        // A configured root, exclude, component or folder name that matches nothing.
        crate::gate::config_paths::check(ctx, &[crate::gate::config_paths::Section::Spec], report);
        let specs: Vec<&Document> = specifications(&corpus.documents, ctx);
        trace::check_coverage(&specs, &corpus.markers, report);
        for (component, present, mentioned) in &corpus.component_mentions {
            if *present && !mentioned {
                report.push(
                    Diagnostic::new("spec-component-untraced", format!("{component}/"), Position::new(1, 1), format!("no file under `{component}/` mentions the id of the spec that governs it"))
                        .help("name the governing spec (for example SPEC_INFRA_001) in the component's README or in a `spec[impl ...]` marker"),
                );
            }
        }
    }
    report.note(format!(
        "spec: {checked} document{} checked, {} marker{}{}",
        if checked == 1 { "" } else { "s" },
        corpus.markers.len(),
        if corpus.markers.len() == 1 { "" } else { "s" },
        match links.links {
            0 => String::new(),
            1 => ", 1 link".to_owned(),
            n => format!(", {n} links"),
        }
    ));
}

/// The documents whose `tipo` runs body checks (the specifications).
pub fn specifications<'a>(documents: &'a [Document], ctx: &CheckContext) -> Vec<&'a Document> {
    documents
        .iter()
        .filter(|d| {
            d.front_matter()
                .and_then(|f| f.text("tipo"))
                .is_some_and(|t| ctx.config.spec.types.get(&t.text).is_some_and(|t| t.body_checks))
        })
        .collect()
}

/// The specifications under `folders` that pass every error-level rule, and those that do not
/// (CA-006: a feature branch needs a valid spec).
pub fn valid_specifications(ctx: &CheckContext, folders: &[String]) -> (Vec<String>, Vec<String>) {
    let corpus = load(ctx, &[], &[]);
    let graph = check::Graph::new(&corpus.documents);
    let config = &ctx.config.spec;
    let (mut valid, mut invalid) = (Vec::new(), Vec::new());
    for document in specifications(&corpus.documents, ctx) {
        let path = document.path();
        if !folders.iter().any(|folder| path.starts_with(&format!("{folder}/"))) {
            continue;
        }
        let mut scratch = Report::new(ctx.config.levels.clone());
        check::check_document(document, requires_front_matter(path, config), config, &graph, &mut scratch);
        if scratch.has_errors() {
            invalid.push(path.to_owned());
        } else {
            valid.push(path.to_owned());
        }
    }
    (valid, invalid)
}

/// The normative items of a specification (BR, CA and CP definitions with the lines up to the
/// next definition or heading), by id.
pub fn normative_items(document: &Document) -> std::collections::BTreeMap<String, String> {
    use document::BodyIdKind;
    let body = &document.body;
    let mut boundaries: Vec<usize> =
        body.definitions.iter().map(|d| d.position.line).chain(body.headings.iter().map(|h| h.line)).collect();
    boundaries.sort_unstable();
    body.definitions
        .iter()
        .filter(|d| matches!(d.kind, BodyIdKind::Rule | BodyIdKind::Criterion | BodyIdKind::TestCase))
        .map(|definition| {
            let start = definition.position.line;
            let end = boundaries.iter().copied().find(|line| *line > start).unwrap_or(document.source.line_count() + 1);
            let text: Vec<&str> =
                (start..end).filter_map(|line| document.source.line_text(line)).map(str::trim_end).collect();
            (definition.id.clone(), text.join("\n").trim_end().to_owned())
        })
        .collect()
}

/// Pre-commit rule: a staged spec whose normative items differ from HEAD's must change its
/// `version`.
pub fn check_version_bump(old_text: &str, new: &Document, ctx: &CheckContext, report: &mut Report) {
    let old = Document::parse(SourceFile::new(new.path(), old_text.to_owned()), &ctx.config.spec.any_id);
    let version = |d: &Document| d.front_matter().and_then(|f| f.text("version")).cloned();
    let (Some(old_version), Some(new_version)) = (version(&old), version(new)) else {
        return;
    };
    if old_version.text != new_version.text {
        return;
    }
    let (before, after) = (normative_items(&old), normative_items(new));
    let changed: Vec<&str> = before
        .keys()
        .chain(after.keys())
        .filter(|id| before.get(*id) != after.get(*id))
        .map(String::as_str)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if changed.is_empty() {
        return;
    }
    report.push(
        Diagnostic::new(
            "spec-version-not-bumped",
            new.path(),
            new_version.position,
            format!("{} changed but `version` is still `{}`", changed.join(", "), new_version.text),
        )
        .source(&new.source, new_version.text.chars().count())
        .help("raise the version: MAJOR when a criterion or rule changes meaning, MINOR when one is added, PATCH for wording; add a line to the change history"),
    );
}
