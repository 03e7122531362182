//! Links between documents: every inline, reference-style and autolink (images too) of a
//! Markdown file, checked against the snapshot the check reads (work tree, staged index or a
//! pushed commit; never the disk when the snapshot is git's). A relative link must name a file or
//! folder of the snapshot; a `#fragment` must be a heading anchor (GitHub's slugs) or explicit
//! anchor of its target; `#L10` and `#L10-L20` must be lines of the target. External links are
//! collected and, with `--remote`, requested by `links::remote`.
//!
//! `check spec` runs this on the governed documents it loaded; `check links` on every other
//! Markdown file (README.md, component READMEs, docs/ outside the roots).

pub mod remote;
pub mod slug;

use std::collections::{BTreeSet, HashMap, HashSet};

use rayon::prelude::*;

use crate::gate::spec::document::{Document, Link};
use crate::shared::context::CheckContext;
use crate::shared::diag::{Diagnostic, Report, SourceFile};

/// Files larger than this are not read to count their lines for `#L` anchors.
const MAX_LINE_TARGET: u64 = 16 * 1024 * 1024;

/// What a link's destination names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Nothing to check: `mailto:`, `tel:`, an empty destination, another scheme.
    Skip,
    /// `#fragment` of the same file.
    Fragment(String),
    /// A path relative to the file's folder (or to the repository root with a leading `/`),
    /// percent-decoded, with its fragment.
    Local { path: String, fragment: Option<String> },
    /// An `http(s)` URL.
    Remote(String),
}

/// Classify a destination as written (after CommonMark's reference resolution).
pub fn classify(destination: &str) -> Destination {
    let destination = destination.trim();
    if destination.is_empty() {
        return Destination::Skip;
    }
    let scheme_end = destination.find(':').filter(|&colon| {
        let scheme = &destination[..colon];
        scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    if let Some(colon) = scheme_end {
        let scheme = destination[..colon].to_ascii_lowercase();
        return if scheme == "http" || scheme == "https" {
            Destination::Remote(destination.to_owned())
        } else {
            Destination::Skip
        };
    }
    if destination.starts_with("//") {
        return Destination::Remote(format!("https:{destination}"));
    }
    let (rest, fragment) = match destination.split_once('#') {
        Some((rest, fragment)) => (rest, Some(percent_decode(fragment))),
        None => (destination, None),
    };
    let path = rest.split('?').next().unwrap_or("");
    if path.is_empty() {
        return match fragment {
            Some(fragment) => Destination::Fragment(fragment),
            None => Destination::Skip,
        };
    }
    Destination::Local { path: percent_decode(path), fragment }
}

/// Decode `%XX` escapes (UTF-8); anything else is kept as written.
pub fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(high * 16 + low);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    (byte as char).to_digit(16).map(|d| d as u8)
}

/// The repository-relative path a relative link names from the file `from`; `None` when it
/// climbs above the repository root. An empty result is the root itself.
pub fn resolve(from: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    if !path.starts_with('/') {
        parts.extend(from.split('/'));
        parts.pop();
    }
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            segment => parts.push(segment),
        }
    }
    Some(parts.join("/"))
}

/// `L10` or `L10-L20`: the last line a line anchor needs.
pub fn line_anchor(fragment: &str) -> Option<usize> {
    let rest = fragment.strip_prefix('L')?;
    let (first, last) = match rest.split_once('-') {
        Some((first, last)) => (first, Some(last.strip_prefix('L')?)),
        None => (rest, None),
    };
    let number = |text: &str| text.parse::<usize>().ok().filter(|n| *n > 0 && text.bytes().all(|b| b.is_ascii_digit()));
    let first = number(first)?;
    match last {
        Some(last) => Some(number(last)?.max(first)),
        None => Some(first),
    }
}

/// What the snapshot holds, for resolving links: its files (sorted) and folders.
struct Tree<'a> {
    files: &'a [String],
}

impl Tree<'_> {
    fn is_file(&self, path: &str) -> bool {
        self.files.binary_search_by(|f| f.as_str().cmp(path)).is_ok()
    }

    fn is_folder(&self, path: &str) -> bool {
        if path.is_empty() {
            return true;
        }
        let prefix = format!("{path}/");
        let at = self.files.partition_point(|f| f.as_str() < prefix.as_str());
        self.files.get(at).is_some_and(|f| f.starts_with(&prefix))
    }
}

/// An external link found in a document, for `--remote`.
#[derive(Debug, Clone)]
pub struct RemoteUse {
    pub url: String,
    pub document: usize,
    pub link: usize,
}

/// What checking the links of some documents found besides the findings.
#[derive(Debug, Default)]
pub struct Summary {
    pub links: usize,
    pub files: usize,
    pub remote: Vec<RemoteUse>,
}

fn is_markdown(path: &str) -> bool {
    path.ends_with(".md") || path.ends_with(".markdown")
}

/// What was read of a link target that is not among the parsed documents.
#[derive(Debug)]
enum Target {
    /// A Markdown file's anchors, sorted.
    Anchors(Vec<String>),
    Lines(usize),
}

/// The anchors and lines link targets offer: parsed documents' anchors by path, and the other
/// targets read once from the snapshot.
struct Targets<'a> {
    parsed: HashMap<&'a str, &'a [String]>,
    read: HashMap<String, Option<Target>>,
}

impl Targets<'_> {
    fn anchors(&self, path: &str) -> Option<&[String]> {
        match self.parsed.get(path) {
            Some(anchors) => Some(anchors),
            None => match self.read.get(path) {
                Some(Some(Target::Anchors(anchors))) => Some(anchors),
                _ => None,
            },
        }
    }

    fn lines(&self, path: &str) -> Option<usize> {
        match self.read.get(path) {
            Some(Some(Target::Lines(lines))) => Some(*lines),
            _ => None,
        }
    }
}

/// Check the links of `documents`; `known` are documents already parsed (their anchors are not
/// read again). External links are returned in the summary, not requested.
pub fn check_documents(
    ctx: &CheckContext,
    documents: &[&Document],
    known: &[Document],
    report: &mut Report,
) -> Summary {
    let tree = Tree { files: &ctx.files };
    let parsed: HashMap<&str, &[String]> =
        known.iter().chain(documents.iter().copied()).map(|d| (d.path(), d.body.anchors.as_slice())).collect();

    // The other targets whose anchors or lines are needed, read in parallel.
    let mut needs: HashSet<String> = HashSet::new();
    for document in documents {
        for link in &document.body.links {
            if let Destination::Local { path, fragment: Some(fragment) } = classify(&link.destination) {
                let Some(target) = resolve(document.path(), &path) else { continue };
                if parsed.contains_key(target.as_str()) || !tree.is_file(&target) {
                    continue;
                }
                if is_markdown(&target) || line_anchor(&fragment).is_some() {
                    needs.insert(target);
                }
            }
        }
    }
    let any_id = &ctx.config.spec.any_id;
    let max_bytes = ctx.config.spec.max_document_bytes;
    let read: HashMap<String, Option<Target>> = needs
        .into_par_iter()
        .map(|path| {
            let target = if is_markdown(&path) {
                ctx.read_limited(&path, max_bytes).and_then(|bytes| String::from_utf8(bytes).ok()).map(|text| {
                    Target::Anchors(Document::parse(SourceFile::new(path.as_str(), text), any_id).body.anchors)
                })
            } else {
                ctx.read_limited(&path, MAX_LINE_TARGET).map(|bytes| Target::Lines(line_count(&bytes)))
            };
            (path, target)
        })
        .collect();
    let targets = Targets { parsed, read };

    let mut summary = Summary { files: documents.len(), ..Summary::default() };
    for (index, document) in documents.iter().enumerate() {
        for (link_index, link) in document.body.links.iter().enumerate() {
            summary.links += 1;
            let finding = match classify(&link.destination) {
                Destination::Skip => None,
                Destination::Remote(url) => {
                    summary.remote.push(RemoteUse { url, document: index, link: link_index });
                    None
                }
                Destination::Fragment(fragment) => {
                    check_fragment(document, link, document.path(), &fragment, Some(&document.body.anchors), true)
                }
                Destination::Local { path, fragment } => {
                    check_local(document, link, &tree, &targets, &path, fragment.as_deref())
                }
            };
            if let Some(finding) = finding {
                report.push(finding);
            }
        }
    }
    summary
}

fn line_count(bytes: &[u8]) -> usize {
    let newlines = memchr::memchr_iter(b'\n', bytes).count();
    newlines + usize::from(!bytes.is_empty() && !bytes.ends_with(b"\n"))
}

fn finding(document: &Document, link: &Link, code: &'static str, message: String) -> Diagnostic {
    Diagnostic::new(code, document.path(), link.position, message).source(&document.source, link.width)
}

fn check_local(
    document: &Document,
    link: &Link,
    tree: &Tree<'_>,
    targets: &Targets<'_>,
    path: &str,
    fragment: Option<&str>,
) -> Option<Diagnostic> {
    let what = if link.image { "image" } else { "link" };
    let Some(target) = resolve(document.path(), path) else {
        return Some(
            finding(document, link, "link-broken", format!("{what} `{path}` leaves the repository"))
                .help("link to files of this repository by a path relative to this file, or use the file's https URL"),
        );
    };
    let is_file = tree.is_file(&target);
    if !is_file && !tree.is_folder(&target) {
        let shown = if target.is_empty() { "/".to_owned() } else { target.clone() };
        return Some(
            finding(document, link, "link-broken", format!("{what} target `{shown}` does not exist"))
                .help("a relative link is read from this file's folder (a leading `/` from the repository root); fix the path, or add the file; a file that is not committed or staged does not count"),
        );
    }
    let fragment = fragment?;
    if !is_file {
        return None;
    }
    if is_markdown(&target) {
        return check_fragment(document, link, &target, fragment, targets.anchors(&target), false);
    }
    let last = line_anchor(fragment)?;
    match targets.lines(&target) {
        Some(lines) if last > lines => Some(
            finding(
                document,
                link,
                "link-broken-anchor",
                format!("`{target}` has {lines} line{}; `#{fragment}` points past its end", if lines == 1 { "" } else { "s" }),
            )
            .help("point the link at lines the file has; line anchors go stale when the file changes, so a heading or a permalink lasts longer"),
        ),
        _ => None,
    }
}

fn check_fragment(
    document: &Document,
    link: &Link,
    target: &str,
    fragment: &str,
    anchors: Option<&[String]>,
    same_file: bool,
) -> Option<Diagnostic> {
    let anchors = anchors?;
    let has = |name: &str| anchors.binary_search_by(|a| a.as_str().cmp(name)).is_ok();
    if fragment.is_empty() || has(fragment) || has(&fragment.to_lowercase()) {
        return None;
    }
    let place = if same_file { "this file".to_owned() } else { format!("`{target}`") };
    let mut help = "GitHub makes a heading's anchor from its text: lowercase, punctuation removed, each space a `-`, accents kept (`## 3.3 Criterios de Aceptación` is `#33-criterios-de-aceptación`); a repeated heading gets `-1`, `-2`".to_owned();
    if let Some(close) = closest(fragment, anchors) {
        help = format!("did you mean `#{close}`? {help}");
    }
    Some(
        finding(document, link, "link-broken-anchor", format!("{place} has no heading or anchor `#{fragment}`"))
            .help(help),
    )
}

/// The anchor closest to `fragment`: the longest common start once numbering (`33-`) is set
/// aside, when it covers at least half of the fragment.
fn closest<'a>(fragment: &str, anchors: &'a [String]) -> Option<&'a str> {
    let unnumbered = |text: &str| text.trim_start_matches(|c: char| c.is_ascii_digit() || c == '-').to_lowercase();
    let wanted = unnumbered(fragment);
    let common = |anchor: &str| unnumbered(anchor).chars().zip(wanted.chars()).take_while(|(x, y)| x == y).count();
    anchors
        .iter()
        .map(|anchor| (common(anchor), anchor))
        .filter(|(n, _)| *n > 0 && *n * 2 >= wanted.chars().count())
        .max_by(|(n, a), (m, b)| n.cmp(m).then_with(|| b.cmp(a)))
        .map(|(_, anchor)| anchor.as_str())
}

/// Options of `specgate check links`.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Request external links (`--remote`).
    pub remote: bool,
    /// Only these files (the hooks: the Markdown a commit changes; the bare `specgate check`:
    /// those `check spec` does not govern); `None`: every Markdown file.
    pub paths: Option<Vec<String>>,
}

/// `specgate check links`: the links of the repository's Markdown files (those `[links]
/// exclude-paths` leaves), and with `--remote` its external links.
pub fn check(ctx: &CheckContext, options: &Options, report: &mut Report) {
    let spec = &ctx.config.spec;
    let links = &ctx.config.links;
    let only: Option<HashSet<&str>> = options.paths.as_ref().map(|paths| paths.iter().map(String::as_str).collect());
    let paths: Vec<&str> = ctx
        .files
        .iter()
        .map(String::as_str)
        .filter(|p| is_markdown(p) && !links.exclude_paths.is_match(p))
        .filter(|p| only.as_ref().is_none_or(|only| only.contains(p)))
        .collect();
    let documents: Vec<Document> = paths
        .par_iter()
        .filter_map(|path| {
            let bytes = ctx.read_limited(path, spec.max_document_bytes)?;
            let text = String::from_utf8(bytes).ok()?;
            Some(Document::parse(SourceFile::new(*path, text), &spec.any_id))
        })
        .collect();
    let refs: Vec<&Document> = documents.iter().collect();
    let summary = check_documents(ctx, &refs, &[], report);
    let fetched = if options.remote { remote::check(ctx, &refs, &summary.remote, report) } else { 0 };
    report.note(note(&summary, options.remote, fetched));
}

/// The status line of a link check: links checked, files, external links.
pub fn note(summary: &Summary, remote: bool, fetched: usize) -> String {
    let external: BTreeSet<&str> = summary.remote.iter().map(|r| remote::request_url(&r.url)).collect();
    let plural = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let tail = if external.is_empty() {
        String::new()
    } else if remote {
        format!("; {} requested", plural(fetched, "external URL", "external URLs"))
    } else {
        format!("; {} not requested (use `--remote`)", plural(external.len(), "external URL", "external URLs"))
    };
    format!(
        "links: {} checked in {}{tail}",
        plural(summary.links, "link", "links"),
        plural(summary.files, "file", "files")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_are_classified() {
        let local = |path: &str, fragment: Option<&str>| Destination::Local {
            path: path.to_owned(),
            fragment: fragment.map(str::to_owned),
        };
        assert_eq!(classify("../plans/P.md"), local("../plans/P.md", None));
        assert_eq!(classify("a%20b.md#Secci%C3%B3n"), local("a b.md", Some("Sección")));
        assert_eq!(classify("x.md?plain=1#L3"), local("x.md", Some("L3")));
        assert_eq!(classify("#33-criterios"), Destination::Fragment("33-criterios".into()));
        assert_eq!(classify("https://example.com/a"), Destination::Remote("https://example.com/a".into()));
        assert_eq!(classify("HTTP://example.com"), Destination::Remote("HTTP://example.com".into()));
        assert_eq!(classify("//example.com/x"), Destination::Remote("https://example.com/x".into()));
        for skip in ["mailto:a@b.c", "tel:123", "", "  ", "ftp://x", "data:text/plain,x"] {
            assert_eq!(classify(skip), Destination::Skip, "{skip}");
        }
        // A Windows-looking drive letter is a path, not a scheme.
        assert!(matches!(classify("c:/x"), Destination::Local { .. }));
    }

    #[test]
    fn paths_resolve_from_the_file_folder_or_the_root() {
        assert_eq!(resolve("docs/adr/A.md", "../plans/P.md").as_deref(), Some("docs/plans/P.md"));
        assert_eq!(resolve("docs/adr/A.md", "./B.md").as_deref(), Some("docs/adr/B.md"));
        assert_eq!(resolve("docs/adr/A.md", "/README.md").as_deref(), Some("README.md"));
        assert_eq!(resolve("README.md", "docs/").as_deref(), Some("docs"));
        assert_eq!(resolve("README.md", "..").as_deref(), None);
        assert_eq!(resolve("docs/A.md", "../..").as_deref(), None);
        assert_eq!(resolve("docs/A.md", "..").as_deref(), Some(""));
    }

    #[test]
    fn line_anchors() {
        assert_eq!(line_anchor("L10"), Some(10));
        assert_eq!(line_anchor("L10-L20"), Some(20));
        assert_eq!(line_anchor("L20-L10"), Some(20));
        for not in ["L", "L0", "l10", "L1-20", "L+1", "Lx", "10", "L1-L"] {
            assert_eq!(line_anchor(not), None, "{not}");
        }
    }

    #[test]
    fn percent_decoding_keeps_what_is_not_an_escape() {
        assert_eq!(percent_decode("a%2"), "a%2");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
    }

    #[test]
    fn line_counts() {
        assert_eq!(line_count(b""), 0);
        assert_eq!(line_count(b"a"), 1);
        assert_eq!(line_count(b"a\nb\n"), 2);
        assert_eq!(line_count(b"a\nb"), 2);
    }
}
