//! File sets for content checks, and the parallel driver that scans them.
//!
//! A `Selection` names what to look at; `for_each` produces it as `Event`s (one `ScanItem` per
//! file, blob or archive member, plus what was skipped and why); `scan` runs a scanner closure
//! over the items on rayon's threads and pushes the findings into a `Report`.
//!
//! libgit2 handles are not `Sync`, so every git read (index, blobs, diffs) happens on the
//! calling thread; only plain bytes and file-system reads cross into rayon. Archives are read
//! as streams, member by member, and never extracted to disk; items are scanned in bounded
//! batches so a large archive is never held in memory whole.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use sha2::Digest as _;

use crate::shared::diag::{Diagnostic, Position, Report};
use crate::shared::workspace::Workspace;

/// Archives inside archives are opened this many levels deep (a wheel inside a tarball).
const MAX_ARCHIVE_DEPTH: usize = 3;
/// A batch is scanned once it holds this many bytes or items.
const BATCH_BYTES: usize = 64 * 1024 * 1024;
const BATCH_ITEMS: usize = 4096;
/// Git's own heuristic: a NUL byte in the first 8000 bytes makes a file binary.
const BINARY_PROBE: usize = 8000;

/// Why a file set could not be produced. Problems with one file are findings, not errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{root}` is not a git work tree, so `{mode}` has nothing to read")]
    NotARepository { root: String, mode: &'static str },
    #[error("could not read the git index of `{root}`")]
    Index {
        root: String,
        #[source]
        source: git2::Error,
    },
    #[error("could not resolve the commit range `{range}`")]
    Range {
        range: String,
        #[source]
        source: git2::Error,
    },
    #[error("could not compute what changed in `{what}`")]
    Diff {
        what: String,
        #[source]
        source: git2::Error,
    },
    #[error("could not list the files of `{root}`")]
    Listing {
        root: String,
        #[source]
        source: crate::shared::workspace::Error,
    },
    #[error("could not read the archive `{path}`")]
    Archive {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("`{path}` is not an archive specgate can read")]
    ArchiveKind { path: String },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::NotARepository { .. } => "run inside a git work tree, or pass file paths instead".to_owned(),
            Error::Index { .. } | Error::Diff { .. } => {
                "run `git status` to see whether the repository is healthy".to_owned()
            }
            Error::Range { .. } => {
                "pass `--range <base>..<head>` with revisions that exist here (fetch them first)".to_owned()
            }
            Error::Archive { .. } => "check that the file exists and is a complete archive".to_owned(),
            Error::Listing { source, .. } => return source.hint(),
            Error::ArchiveKind { .. } => {
                "supported archives end in .tgz, .tar.gz, .tar.zst, .tzst, .tar, .whl or .zip".to_owned()
            }
        })
    }
}

/// Which content to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Repository-relative paths from the command line; folders expand to their tracked files.
    Paths(Vec<String>),
    /// Every tracked file in the git index, and the members of tracked archives.
    All,
    /// The staged blobs of the files whose index entry differs from `HEAD`.
    Staged,
    /// Only the lines added by the commits of a range `A..B` (or every commit reachable
    /// from a single revision).
    Range(String),
    /// Only the lines added by exactly these commits (what a push brings, as the pre-push hook
    /// computes it).
    Commits(Vec<git2::Oid>),
    /// Every member of one archive file, read as a stream.
    Archive(PathBuf),
}

/// Limits and filters of one scan.
#[derive(Debug, Clone)]
pub struct Options {
    /// Files and members larger than this are skipped with a `scan-file-too-large` warning.
    pub max_file_bytes: u64,
    /// Paths (or archive member paths) matching these globs are not scanned at all.
    pub allow_paths: globset::GlobSet,
    /// Look inside archives found in the file set.
    pub archives: bool,
    /// Members of a `Selection::Archive` (archive paths, `opt/python-3.11.2/lib/...`) that are
    /// not scanned when their content has exactly this SHA-256: files of the pinned upstream
    /// source (`artifact::upstream`). A member with other bytes is scanned as usual.
    pub upstream: Option<Arc<HashMap<String, [u8; 32]>>>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_file_bytes: 16 * 1024 * 1024,
            allow_paths: globset::GlobSet::empty(),
            archives: true,
            upstream: None,
        }
    }
}

/// Why a member identical to the upstream source was not scanned (the `skipped` reason).
pub const UPSTREAM_REASON: &str = "identical to the pinned upstream source";

impl Options {
    /// Whether a path (`dir/file`, or `archive.tgz!member/path`) is allowlisted.
    pub fn is_allowed(&self, path: &str) -> bool {
        if self.allow_paths.is_empty() {
            return false;
        }
        self.allow_paths.is_match(path) || path.split('!').skip(1).any(|member| self.allow_paths.is_match(member))
    }
}

/// One unit of content to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanItem {
    /// Repository-relative path; archive members are `archive.tgz!member/path`.
    pub path: String,
    pub content: Vec<u8>,
    /// With `--range`: the 1-based line numbers this content gained in the commit, sorted.
    /// Findings on other lines are dropped by `scan`. `None` means every line counts.
    pub added_lines: Option<Vec<u32>>,
    /// With `--range`: the abbreviated id of the commit the content comes from.
    pub commit: Option<String>,
}

impl ScanItem {
    /// A whole file: every line counts.
    pub fn new(path: impl Into<String>, content: Vec<u8>) -> ScanItem {
        ScanItem { path: path.into(), content, added_lines: None, commit: None }
    }

    /// Whether findings on this 1-based line are reported.
    pub fn is_added(&self, line: u32) -> bool {
        self.added_lines.as_ref().is_none_or(|lines| lines.binary_search(&line).is_ok())
    }
}

/// What producing a file set yields, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Item(ScanItem),
    /// Not scanned, on purpose (symlink, allowlisted path).
    Skipped {
        path: String,
        reason: String,
    },
    /// Larger than `max_file_bytes`.
    TooLarge {
        path: String,
        size: u64,
    },
    /// Named like an archive but not readable as one; its bytes are scanned as a plain file.
    NotAnArchive {
        path: String,
        message: String,
    },
    /// Could not be read (I/O error, corrupt archive member).
    Unreadable {
        path: String,
        message: String,
    },
}

/// What a scan looked at, for the report's note.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub items: usize,
    pub bytes: u64,
}

/// Whether content looks binary (a NUL byte near the start, as git decides).
pub fn is_binary(content: &[u8]) -> bool {
    memchr::memchr(0, &content[..content.len().min(BINARY_PROBE)]).is_some()
}

/// The UTF-8 form of UTF-16 text that starts with a byte-order mark; `None` for anything else.
/// Lines and character columns are the same in both forms.
pub fn utf16_to_utf8(content: &[u8]) -> Option<Vec<u8>> {
    let (little_endian, body) = match content {
        [0xFF, 0xFE, rest @ ..] => (true, rest),
        [0xFE, 0xFF, rest @ ..] => (false, rest),
        _ => return None,
    };
    if body.len() % 2 != 0 {
        return None;
    }
    let units = body.chunks_exact(2).map(|pair| {
        let pair = [pair[0], pair[1]];
        if little_endian {
            u16::from_le_bytes(pair)
        } else {
            u16::from_be_bytes(pair)
        }
    });
    let text: String = char::decode_utf16(units).map(|unit| unit.unwrap_or(char::REPLACEMENT_CHARACTER)).collect();
    Some(text.into_bytes())
}

/// Archive formats specgate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveKind {
    TarGz,
    TarZst,
    Tar,
    Zip,
}

impl ArchiveKind {
    /// The kind of an archive from its file name, if it is one.
    pub fn from_path(path: &str) -> Option<ArchiveKind> {
        let name = path.rsplit(['/', '!']).next().unwrap_or(path).to_ascii_lowercase();
        if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
            Some(ArchiveKind::TarGz)
        } else if name.ends_with(".tar.zst") || name.ends_with(".tzst") {
            Some(ArchiveKind::TarZst)
        } else if name.ends_with(".tar") {
            Some(ArchiveKind::Tar)
        } else if name.ends_with(".zip") || name.ends_with(".whl") {
            Some(ArchiveKind::Zip)
        } else {
            None
        }
    }
}

// ---------------------------------------------------------------- producing

/// Work for the parallel phase: content already read, or a work-tree file read there.
enum Pending {
    Item(ScanItem),
    /// A work-tree file; `blob` is its index entry, read instead when the file is missing.
    File {
        path: String,
        blob: Option<git2::Oid>,
    },
}

impl Pending {
    fn weight(&self) -> usize {
        match self {
            Pending::Item(item) => item.content.len(),
            Pending::File { .. } => 64 * 1024,
        }
    }
}

/// Produce a selection as events, reading every item's content (work-tree files included).
/// `scan` is the faster way to scan: it reads work-tree files on rayon's threads.
pub fn for_each(
    workspace: &Workspace,
    selection: &Selection,
    options: &Options,
    sink: &mut dyn FnMut(Event),
) -> Result<(), Error> {
    let mut forward = |produced: Produced| match produced {
        Produced::Pending(Pending::Item(item)) => sink(Event::Item(item)),
        Produced::Pending(Pending::File { path, blob }) => sink(load_file(workspace, &path, blob, options)),
        Produced::Event(event) => sink(event),
    };
    produce(workspace, selection, options, &mut forward)
}

enum Produced {
    Pending(Pending),
    Event(Event),
}

fn load_file(workspace: &Workspace, path: &str, blob: Option<git2::Oid>, options: &Options) -> Event {
    match read_work_file(&workspace.root, path, options.max_file_bytes) {
        FileRead::Content(content) => Event::Item(ScanItem::new(path, content)),
        FileRead::TooLarge(size) => Event::TooLarge { path: path.to_owned(), size },
        FileRead::Missing => match blob {
            Some(id) => read_blob(workspace, path, id, options),
            None => Event::Unreadable { path: path.to_owned(), message: "the file does not exist".to_owned() },
        },
        FileRead::Failed(message) => Event::Unreadable { path: path.to_owned(), message },
    }
}

enum FileRead {
    Content(Vec<u8>),
    TooLarge(u64),
    Missing,
    Failed(String),
}

/// Read a work-tree file without following a symlink out of the tree.
fn read_work_file(root: &Path, path: &str, cap: u64) -> FileRead {
    let full = root.join(path);
    let metadata = match std::fs::symlink_metadata(&full) {
        Ok(metadata) => metadata,
        Err(error) if error.kind() == io::ErrorKind::NotFound => return FileRead::Missing,
        Err(error) => return FileRead::Failed(error.to_string()),
    };
    if !metadata.is_file() {
        return FileRead::Failed("not a regular file".to_owned());
    }
    if metadata.len() > cap {
        return FileRead::TooLarge(metadata.len());
    }
    match File::open(&full).and_then(|file| {
        let mut content = Vec::with_capacity(metadata.len() as usize);
        file.take(cap + 1).read_to_end(&mut content)?;
        Ok(content)
    }) {
        Ok(content) if content.len() as u64 > cap => FileRead::TooLarge(content.len() as u64),
        Ok(content) => FileRead::Content(content),
        Err(error) => FileRead::Failed(error.to_string()),
    }
}

fn read_blob(workspace: &Workspace, path: &str, id: git2::Oid, options: &Options) -> Event {
    let Some(repo) = workspace.repository() else {
        return Event::Unreadable {
            path: path.to_owned(),
            message: "no git repository to read the blob from".to_owned(),
        };
    };
    blob_event(&repo, path, id, options)
}

fn blob_event(repo: &git2::Repository, path: &str, id: git2::Oid, options: &Options) -> Event {
    if let Ok((size, _)) = repo.odb().and_then(|odb| odb.read_header(id)) {
        if size as u64 > options.max_file_bytes {
            return Event::TooLarge { path: path.to_owned(), size: size as u64 };
        }
    }
    match repo.find_blob(id) {
        Ok(blob) => Event::Item(ScanItem::new(path, blob.content().to_vec())),
        Err(error) => Event::Unreadable {
            path: path.to_owned(),
            message: format!("could not read blob {id}: {}", error.message()),
        },
    }
}

fn produce(
    workspace: &Workspace,
    selection: &Selection,
    options: &Options,
    sink: &mut dyn FnMut(Produced),
) -> Result<(), Error> {
    match selection {
        Selection::Paths(paths) => produce_paths(workspace, paths, options, sink),
        Selection::All => produce_all(workspace, options, sink),
        Selection::Staged => produce_staged(workspace, options, sink),
        Selection::Range(range) => produce_range(workspace, range, options, sink),
        Selection::Commits(commits) => produce_commits(workspace, commits, "the pushed commits", options, sink),
        Selection::Archive(path) => produce_archive_file(path, options, sink),
    }
}

/// Route one whole piece of content: archives are opened, everything else becomes an item.
/// Content named like an archive that does not parse as one (a deliberately broken test
/// fixture, a truncated download) gets a warning and is scanned as plain bytes instead.
fn emit_content(item: ScanItem, options: &Options, depth: usize, sink: &mut dyn FnMut(Produced)) {
    if options.archives && depth < MAX_ARCHIVE_DEPTH {
        if let Some(kind) = ArchiveKind::from_path(&item.path) {
            let mut emit = |event: Event| sink(Produced::Event(event));
            let result =
                read_archive(kind, Cursor::new(item.content.as_slice()), &item.path, options, depth + 1, &mut emit);
            match result {
                Ok(()) => return,
                Err(error) => emit(not_an_archive(&item.path, &error)),
            }
        }
    }
    sink(Produced::Pending(Pending::Item(item)));
}

fn not_an_archive(path: &str, error: &io::Error) -> Event {
    Event::NotAnArchive { path: path.to_owned(), message: error.to_string() }
}

/// A work-tree file: archives are streamed from disk now, others are read in the parallel phase.
fn emit_work_file(
    workspace: &Workspace,
    path: String,
    blob: Option<git2::Oid>,
    options: &Options,
    sink: &mut dyn FnMut(Produced),
) {
    if options.is_allowed(&path) {
        sink(Produced::Event(Event::Skipped { path, reason: "allow-paths".to_owned() }));
        return;
    }
    if options.archives {
        if let Some(kind) = ArchiveKind::from_path(&path) {
            let full = workspace.root.join(&path);
            let mut emit = |event: Event| sink(Produced::Event(event));
            match File::open(&full) {
                Ok(file) => match read_archive(kind, BufReader::new(file), &path, options, 1, &mut emit) {
                    Ok(()) => {}
                    Err(error) => {
                        emit(not_an_archive(&path, &error));
                        sink(Produced::Pending(Pending::File { path, blob }));
                    }
                },
                Err(error) if error.kind() == io::ErrorKind::NotFound && blob.is_some() => {
                    if let Event::Item(item) = read_blob(workspace, &path, blob.expect("checked above"), options) {
                        emit_content(item, options, 0, sink);
                    }
                }
                Err(error) => emit(Event::Unreadable { path, message: error.to_string() }),
            }
            return;
        }
    }
    sink(Produced::Pending(Pending::File { path, blob }));
}

fn produce_paths(
    workspace: &Workspace,
    paths: &[String],
    options: &Options,
    sink: &mut dyn FnMut(Produced),
) -> Result<(), Error> {
    let mut tracked: Option<Vec<String>> = None;
    let mut seen = BTreeSet::new();
    for path in paths {
        let full = workspace.root.join(path);
        if full.is_dir() {
            if tracked.is_none() {
                tracked = Some(workspace.files(&[]).map_err(listing_error(workspace))?);
            }
            let prefix =
                if path.is_empty() || path == "." { String::new() } else { format!("{}/", path.trim_end_matches('/')) };
            for file in tracked.as_deref().unwrap_or_default() {
                if file.starts_with(&prefix) && seen.insert(file.clone()) {
                    emit_work_file(workspace, file.clone(), None, options, sink);
                }
            }
        } else if seen.insert(path.clone()) {
            emit_work_file(workspace, path.clone(), None, options, sink);
        }
    }
    Ok(())
}

const MODE_SYMLINK: u32 = 0o120000;
const MODE_GITLINK: u32 = 0o160000;

fn listing_error(workspace: &Workspace) -> impl Fn(crate::shared::workspace::Error) -> Error + '_ {
    move |source| Error::Listing { root: workspace.root.display().to_string(), source }
}

fn index_error(workspace: &Workspace) -> impl Fn(git2::Error) -> Error + '_ {
    move |source| Error::Index { root: workspace.root.display().to_string(), source }
}

fn produce_all(workspace: &Workspace, options: &Options, sink: &mut dyn FnMut(Produced)) -> Result<(), Error> {
    let entries: Vec<(String, u32, git2::Oid)> = {
        let Some(repo) = workspace.repository() else {
            // Outside git, the file set is a walk of the folder.
            let files = workspace.files(&[]).map_err(listing_error(workspace))?;
            for path in files {
                emit_work_file(workspace, path, None, options, sink);
            }
            return Ok(());
        };
        let index = repo.index().map_err(index_error(workspace))?;
        index
            .iter()
            .filter(|entry| (entry.flags >> 12) & 3 == 0)
            .filter_map(|entry| Some((String::from_utf8(entry.path).ok()?, entry.mode, entry.id)))
            .collect()
    };
    for (path, mode, id) in entries {
        match mode {
            MODE_GITLINK => {}
            MODE_SYMLINK => sink(Produced::Event(Event::Skipped { path, reason: "symlink".to_owned() })),
            _ => emit_work_file(workspace, path, Some(id), options, sink),
        }
    }
    Ok(())
}

fn produce_staged(workspace: &Workspace, options: &Options, sink: &mut dyn FnMut(Produced)) -> Result<(), Error> {
    let Some(repo) = workspace.repository() else {
        return Err(Error::NotARepository { root: workspace.root.display().to_string(), mode: "--staged" });
    };
    let index = repo.index().map_err(index_error(workspace))?;
    let head_tree = match repo.head() {
        Ok(head) => Some(head.peel_to_tree().map_err(index_error(workspace))?),
        // An unborn branch: everything in the index is staged.
        Err(_) => None,
    };
    let mut diff_options = git2::DiffOptions::new();
    diff_options.ignore_submodules(true);
    let diff = repo
        .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(&mut diff_options))
        .map_err(|source| Error::Diff { what: "the index".to_owned(), source })?;
    let mut items = Vec::new();
    for delta in diff.deltas() {
        let new = delta.new_file();
        if matches!(delta.status(), git2::Delta::Deleted) || new.id().is_zero() {
            continue;
        }
        let Some(path) = new.path().and_then(Path::to_str).map(|p| p.replace('\\', "/")) else {
            continue;
        };
        items.push((path, u32::from(new.mode()), new.id()));
    }
    for (path, mode, id) in items {
        if mode == MODE_GITLINK {
            continue;
        }
        if mode == MODE_SYMLINK {
            sink(Produced::Event(Event::Skipped { path, reason: "symlink".to_owned() }));
            continue;
        }
        if options.is_allowed(&path) {
            sink(Produced::Event(Event::Skipped { path, reason: "allow-paths".to_owned() }));
            continue;
        }
        match blob_event(&repo, &path, id, options) {
            Event::Item(item) => emit_content(item, options, 0, sink),
            other => sink(Produced::Event(other)),
        }
    }
    Ok(())
}

/// Per new path of a commit: its blob, its file mode and the 1-based lines it gained.
type AddedLines = BTreeMap<String, (git2::Oid, u32, BTreeSet<u32>)>;

/// Added lines per path of one commit, against one parent (or the empty tree).
fn added_lines(
    repo: &git2::Repository,
    parent: Option<&git2::Tree<'_>>,
    tree: &git2::Tree<'_>,
    commit: &str,
) -> Result<AddedLines, Error> {
    let diff_error = |source| Error::Diff { what: format!("commit {commit}"), source };
    let mut diff_options = git2::DiffOptions::new();
    diff_options.context_lines(0).ignore_submodules(true);
    let mut diff = repo.diff_tree_to_tree(parent, Some(tree), Some(&mut diff_options)).map_err(diff_error)?;
    // Renames keep their old lines: a moved file only counts what its move changed.
    let mut find = git2::DiffFindOptions::new();
    find.renames(true).copies(false);
    diff.find_similar(Some(&mut find)).map_err(diff_error)?;
    let mut out = BTreeMap::new();
    for index in 0..diff.deltas().len() {
        let Some(delta) = diff.get_delta(index) else {
            continue;
        };
        if matches!(delta.status(), git2::Delta::Deleted) {
            continue;
        }
        let new = delta.new_file();
        let Some(path) = new.path().and_then(Path::to_str).map(|p| p.replace('\\', "/")) else {
            continue;
        };
        let mut lines = BTreeSet::new();
        if let Some(patch) = git2::Patch::from_diff(&diff, index).map_err(diff_error)? {
            for hunk in 0..patch.num_hunks() {
                let count = patch.num_lines_in_hunk(hunk).map_err(diff_error)?;
                for line in 0..count {
                    let line = patch.line_in_hunk(hunk, line).map_err(diff_error)?;
                    if line.origin() == '+' {
                        if let Some(number) = line.new_lineno() {
                            lines.insert(number);
                        }
                    }
                }
            }
        }
        out.insert(path, (new.id(), u32::from(new.mode()), lines));
    }
    Ok(out)
}

fn produce_range(
    workspace: &Workspace,
    range: &str,
    options: &Options,
    sink: &mut dyn FnMut(Produced),
) -> Result<(), Error> {
    // The repository lock is released before the commits are produced.
    let commits = {
        let Some(repo) = workspace.repository() else {
            return Err(Error::NotARepository { root: workspace.root.display().to_string(), mode: "--range" });
        };
        commits_in_range(&repo, range)?
    };
    produce_commits(workspace, &commits, range, options, sink)
}

/// The commits of `A..B` (or every commit reachable from a single revision), oldest first.
fn commits_in_range(repo: &git2::Repository, range: &str) -> Result<Vec<git2::Oid>, Error> {
    let range_error = |source| Error::Range { range: range.to_owned(), source };
    let spec = repo.revparse(range).map_err(range_error)?;
    let mut walk = repo.revwalk().map_err(range_error)?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE).map_err(range_error)?;
    if spec.mode().contains(git2::RevparseMode::MERGE_BASE) {
        return Err(Error::Range {
            range: range.to_owned(),
            source: git2::Error::from_str("symmetric ranges (`A...B`) are not supported; use `A..B`"),
        });
    }
    match (spec.from(), spec.to()) {
        (Some(from), Some(to)) => {
            walk.hide(from.id()).map_err(range_error)?;
            walk.push(to.id()).map_err(range_error)?;
        }
        (Some(single), None) | (None, Some(single)) => walk.push(single.id()).map_err(range_error)?,
        (None, None) => return Ok(Vec::new()),
    }
    walk.collect::<Result<_, _>>().map_err(range_error)
}

/// The content each commit adds: for every changed path, the blob with the lines the commit
/// added (for a merge, only lines none of its parents had).
fn produce_commits(
    workspace: &Workspace,
    commits: &[git2::Oid],
    range: &str,
    options: &Options,
    sink: &mut dyn FnMut(Produced),
) -> Result<(), Error> {
    let Some(repo) = workspace.repository() else {
        return Err(Error::NotARepository { root: workspace.root.display().to_string(), mode: "--range" });
    };
    let range_error = |source| Error::Range { range: range.to_owned(), source };
    for &id in commits {
        let commit = repo.find_commit(id).map_err(range_error)?;
        let short = id.to_string()[..10].to_owned();
        let tree = commit.tree().map_err(range_error)?;
        let parents: Vec<git2::Tree<'_>> =
            commit.parents().map(|parent| parent.tree()).collect::<Result<_, _>>().map_err(range_error)?;
        // A merge adds only what none of its parents had: intersect the added lines per parent.
        let mut changes = match parents.first() {
            None => added_lines(&repo, None, &tree, &short)?,
            Some(first) => added_lines(&repo, Some(first), &tree, &short)?,
        };
        for parent in parents.iter().skip(1) {
            let other = added_lines(&repo, Some(parent), &tree, &short)?;
            changes.retain(|path, (_, _, lines)| match other.get(path) {
                Some((_, _, other_lines)) => {
                    lines.retain(|line| other_lines.contains(line));
                    true
                }
                None => false,
            });
        }
        for (path, (blob, mode, lines)) in changes {
            if mode == MODE_GITLINK || mode == MODE_SYMLINK {
                continue;
            }
            if options.is_allowed(&path) {
                sink(Produced::Event(Event::Skipped { path, reason: "allow-paths".to_owned() }));
                continue;
            }
            let is_archive = options.archives && ArchiveKind::from_path(&path).is_some();
            // A text file whose commit added no line (a pure rename or deletion of lines) has nothing new.
            if lines.is_empty() && !is_archive {
                let binary_or_empty = match repo.find_blob(blob) {
                    Ok(found) => found.is_binary() || found.content().is_empty(),
                    Err(_) => false,
                };
                if !binary_or_empty {
                    continue;
                }
            }
            match blob_event(&repo, &path, blob, options) {
                Event::Item(mut item) => {
                    item.commit = Some(short.clone());
                    if is_archive {
                        // Every member of an archive a commit touched is new content.
                        emit_content(item, options, 0, sink);
                    } else {
                        if !lines.is_empty() {
                            item.added_lines = Some(lines.into_iter().collect());
                        }
                        sink(Produced::Pending(Pending::Item(item)));
                    }
                }
                other => sink(Produced::Event(other)),
            }
        }
    }
    Ok(())
}

fn produce_archive_file(path: &Path, options: &Options, sink: &mut dyn FnMut(Produced)) -> Result<(), Error> {
    let shown = path.display().to_string();
    let kind = ArchiveKind::from_path(&shown).ok_or_else(|| Error::ArchiveKind { path: shown.clone() })?;
    let file = File::open(path).map_err(|source| Error::Archive { path: shown.clone(), source })?;
    let mut emit = |event: Event| sink(Produced::Event(event));
    read_archive(kind, BufReader::new(file), &shown, options, 1, &mut emit)
        .map_err(|source| Error::Archive { path: shown, source })
}

/// Stream the members of an archive into `sink`; nested archives are opened up to
/// `MAX_ARCHIVE_DEPTH`. Members are read one at a time and never written to disk.
fn read_archive<R: BufRead + Seek>(
    kind: ArchiveKind,
    reader: R,
    display: &str,
    options: &Options,
    depth: usize,
    sink: &mut dyn FnMut(Event),
) -> io::Result<()> {
    match kind {
        ArchiveKind::TarGz => read_tar(flate2::bufread::MultiGzDecoder::new(reader), display, options, depth, sink),
        // One zstd library for packing, unpacking and scanning; its decoder reads every frame of a
        // multi-frame stream (`zstd -T0` writes several).
        ArchiveKind::TarZst => {
            read_tar(zstd::stream::read::Decoder::with_buffer(reader)?, display, options, depth, sink)
        }
        ArchiveKind::Tar => read_tar(reader, display, options, depth, sink),
        ArchiveKind::Zip => read_zip(reader, display, options, depth, sink),
    }
}

/// A member's content: nested archives are opened, the rest goes to the sink.
fn emit_member(path: String, content: Vec<u8>, options: &Options, depth: usize, sink: &mut dyn FnMut(Event)) {
    if options.archives && depth < MAX_ARCHIVE_DEPTH {
        if let Some(kind) = ArchiveKind::from_path(&path) {
            match read_archive(kind, Cursor::new(content.as_slice()), &path, options, depth + 1, sink) {
                Ok(()) => return,
                Err(error) => sink(not_an_archive(&path, &error)),
            }
        }
    }
    sink(Event::Item(ScanItem::new(path, content)));
}

fn read_tar<R: Read>(
    reader: R,
    display: &str,
    options: &Options,
    depth: usize,
    sink: &mut dyn FnMut(Event),
) -> io::Result<()> {
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries()? {
        let mut entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let member = entry.path()?.to_string_lossy().trim_start_matches("./").to_owned();
        let path = format!("{display}!{member}");
        if options.is_allowed(&path) {
            sink(Event::Skipped { path, reason: "allow-paths".to_owned() });
            continue;
        }
        let size = entry.size();
        if size > options.max_file_bytes {
            sink(Event::TooLarge { path, size });
            continue;
        }
        let mut content = Vec::with_capacity(size as usize);
        entry.read_to_end(&mut content)?;
        if depth == 1 && is_upstream(options, &member, &content) {
            sink(Event::Skipped { path, reason: UPSTREAM_REASON.to_owned() });
            continue;
        }
        emit_member(path, content, options, depth, sink);
    }
    Ok(())
}

/// Whether a member of the scanned archive is byte-identical to its upstream record.
fn is_upstream(options: &Options, member: &str, content: &[u8]) -> bool {
    let Some(expected) = options.upstream.as_ref().and_then(|upstream| upstream.get(member)) else {
        return false;
    };
    let digest: [u8; 32] = sha2::Sha256::digest(content).into();
    digest == *expected
}

fn read_zip<R: Read + Seek>(
    reader: R,
    display: &str,
    options: &Options,
    depth: usize,
    sink: &mut dyn FnMut(Event),
) -> io::Result<()> {
    let mut archive = zip::ZipArchive::new(reader).map_err(io::Error::other)?;
    for index in 0..archive.len() {
        let mut file = match archive.by_index(index) {
            Ok(file) => file,
            Err(error) => {
                sink(Event::Unreadable { path: format!("{display}!#{index}"), message: error.to_string() });
                continue;
            }
        };
        if !file.is_file() {
            continue;
        }
        let path = format!("{display}!{}", file.name().trim_start_matches("./"));
        if options.is_allowed(&path) {
            sink(Event::Skipped { path, reason: "allow-paths".to_owned() });
            continue;
        }
        let size = file.size();
        if size > options.max_file_bytes {
            sink(Event::TooLarge { path, size });
            continue;
        }
        let mut content = Vec::with_capacity(size as usize);
        // Read at most the declared size plus one byte, so a lying header cannot exhaust memory.
        match (&mut file).take(options.max_file_bytes + 1).read_to_end(&mut content) {
            Ok(_) if content.len() as u64 > options.max_file_bytes => {
                sink(Event::TooLarge { path, size: content.len() as u64 })
            }
            Ok(_) => {
                drop(file);
                emit_member(path, content, options, depth, sink);
            }
            Err(error) => sink(Event::Unreadable { path, message: error.to_string() }),
        }
    }
    Ok(())
}

// ---------------------------------------------------------------- scanning

enum Outcome {
    Scanned(Vec<Diagnostic>),
    Binary,
    TooLarge(u64),
    /// A tracked file missing from the work tree: its index blob is scanned instead.
    Missing(Option<git2::Oid>),
    Unreadable(String),
}

/// Run `scanner` over a selection on rayon's threads and push its findings into `report`.
///
/// Binary content is recorded with `report.skip(path, "binary")`; content over the size cap
/// gets a `scan-file-too-large` warning; unreadable content a `scan-unreadable` finding.
/// With `--range`, findings on lines the commit did not add are dropped and the commit is
/// named in the message.
pub fn scan<F>(
    workspace: &Workspace,
    selection: &Selection,
    options: &Options,
    report: &mut Report,
    scanner: F,
) -> Result<Summary, Error>
where
    F: Fn(&ScanItem) -> Vec<Diagnostic> + Sync,
{
    let mut summary = Summary::default();
    let mut batch: Vec<Pending> = Vec::new();
    let mut weight = 0;
    let mut sink = |produced: Produced| {
        let pending = match produced {
            Produced::Event(Event::Item(item)) => Pending::Item(item),
            Produced::Event(event) => return record_event(report, event, options),
            Produced::Pending(pending) => pending,
        };
        weight += pending.weight();
        batch.push(pending);
        if weight >= BATCH_BYTES || batch.len() >= BATCH_ITEMS {
            scan_batch(workspace, std::mem::take(&mut batch), options, &scanner, report, &mut summary);
            weight = 0;
        }
    };
    produce(workspace, selection, options, &mut sink)?;
    scan_batch(workspace, batch, options, &scanner, report, &mut summary);
    Ok(summary)
}

/// Scan one batch in parallel, then record the outcomes in production order.
fn scan_batch<F>(
    workspace: &Workspace,
    batch: Vec<Pending>,
    options: &Options,
    scanner: &F,
    report: &mut Report,
    summary: &mut Summary,
) where
    F: Fn(&ScanItem) -> Vec<Diagnostic> + Sync,
{
    let results: Vec<(String, Outcome, u64)> =
        batch.into_par_iter().map(|pending| run_one(&workspace.root, pending, options, scanner)).collect();
    for (path, outcome, bytes) in results {
        let Outcome::Missing(blob) = outcome else {
            record(report, summary, path, outcome, bytes, options);
            continue;
        };
        let event = match blob {
            Some(id) => read_blob(workspace, &path, id, options),
            None => Event::Unreadable { path: path.clone(), message: "the file does not exist".to_owned() },
        };
        match event {
            Event::Item(item) => {
                let (path, outcome, bytes) = run_one(&workspace.root, Pending::Item(item), options, scanner);
                record(report, summary, path, outcome, bytes, options);
            }
            other => record_event(report, other, options),
        }
    }
}

fn run_one<F>(root: &Path, pending: Pending, options: &Options, scanner: &F) -> (String, Outcome, u64)
where
    F: Fn(&ScanItem) -> Vec<Diagnostic> + Sync,
{
    let mut item = match pending {
        Pending::Item(item) => item,
        Pending::File { path, blob } => match read_work_file(root, &path, options.max_file_bytes) {
            FileRead::Content(content) => ScanItem::new(path, content),
            FileRead::TooLarge(size) => return (path, Outcome::TooLarge(size), 0),
            FileRead::Missing => return (path, Outcome::Missing(blob), 0),
            FileRead::Failed(message) => return (path, Outcome::Unreadable(message), 0),
        },
    };
    let bytes = item.content.len() as u64;
    // UTF-16 text (Windows tools write it) is full of NUL bytes but is text: scan it as UTF-8.
    if let Some(utf8) = utf16_to_utf8(&item.content) {
        item.content = utf8;
    }
    if is_binary(&item.content) {
        return (item.path, Outcome::Binary, bytes);
    }
    let mut found = scanner(&item);
    if item.added_lines.is_some() {
        found.retain(|d| u32::try_from(d.position.line).is_ok_and(|line| item.is_added(line)));
    }
    if let Some(commit) = &item.commit {
        for diagnostic in &mut found {
            diagnostic.message.push_str(&format!(" (added in commit {commit})"));
        }
    }
    (item.path, Outcome::Scanned(found), bytes)
}

fn record(report: &mut Report, summary: &mut Summary, path: String, outcome: Outcome, bytes: u64, options: &Options) {
    match outcome {
        Outcome::Scanned(found) => {
            summary.items += 1;
            summary.bytes += bytes;
            for diagnostic in found {
                report.push(diagnostic);
            }
        }
        Outcome::Binary => report.skip(path, "binary"),
        Outcome::TooLarge(size) => record_event(report, Event::TooLarge { path, size }, options),
        Outcome::Unreadable(message) => record_event(report, Event::Unreadable { path, message }, options),
        Outcome::Missing(_) => {
            record_event(report, Event::Unreadable { path, message: "the file does not exist".to_owned() }, options)
        }
    }
}

fn record_event(report: &mut Report, event: Event, options: &Options) {
    match event {
        Event::Item(_) => {}
        Event::Skipped { path, reason } => report.skip(path, reason),
        Event::TooLarge { path, size } => {
            report.push(
                Diagnostic::new(
                    "scan-file-too-large",
                    path.clone(),
                    Position::new(1, 1),
                    format!("{size} bytes is over the scan limit of {} bytes; not scanned", options.max_file_bytes),
                )
                .help("raise `max-file-bytes` in the check's section of specgate.toml, or list the path in `allow-paths`"),
            );
            report.skip(path, "too large");
        }
        Event::NotAnArchive { path, message } => report.push(
            Diagnostic::new(
                "scan-archive-unreadable",
                path,
                Position::new(1, 1),
                format!("named like an archive but not readable as one ({message}); scanned as a plain file"),
            )
            .help("if it is a real archive, it is truncated or corrupt: rebuild it; members read before the error were scanned"),
        ),
        Event::Unreadable { path, message } => report.push(
            Diagnostic::new(
                "scan-unreadable",
                path,
                Position::new(1, 1),
                format!("could not read the content: {message}"),
            )
            .help("make the file readable (or the archive complete), then run the check again"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn archive_kinds_come_from_names() {
        let cases = [
            ("dist/x-1.0.tgz", Some(ArchiveKind::TarGz)),
            ("X.TAR.GZ", Some(ArchiveKind::TarGz)),
            ("a/b.tar.zst", Some(ArchiveKind::TarZst)),
            ("b.tzst", Some(ArchiveKind::TarZst)),
            ("b.tar", Some(ArchiveKind::Tar)),
            ("pkg-1.0-py3-none-any.whl", Some(ArchiveKind::Zip)),
            ("outer.tgz!inner.zip", Some(ArchiveKind::Zip)),
            ("notes.txt", None),
            ("archive.tgz!notes.txt", None),
            ("tar", None),
        ];
        for (path, expected) in cases {
            assert_eq!(ArchiveKind::from_path(path), expected, "{path}");
        }
    }

    #[test]
    fn binary_means_a_nul_byte_near_the_start() {
        assert!(is_binary(b"abc\0def"));
        assert!(!is_binary(b"plain text\n"));
        let mut late = vec![b'a'; BINARY_PROBE + 10];
        late.push(0);
        assert!(!is_binary(&late));
    }

    #[test]
    fn utf16_with_a_bom_becomes_utf8() {
        let text = "a\u{1F600}\nb";
        let little: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        let big: Vec<u8> = [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(utf16_to_utf8(&little).as_deref(), Some(text.as_bytes()));
        assert_eq!(utf16_to_utf8(&big).as_deref(), Some(text.as_bytes()));
        assert_eq!(utf16_to_utf8(b"plain"), None);
        assert_eq!(utf16_to_utf8(&[0xFF, 0xFE, 0x41]), None);
    }

    #[test]
    fn added_lines_filter_findings() {
        let mut item = ScanItem::new("a.txt", b"x\ny\n".to_vec());
        assert!(item.is_added(7));
        item.added_lines = Some(vec![2, 5]);
        assert!(item.is_added(2) && item.is_added(5));
        assert!(!item.is_added(1) && !item.is_added(3));
    }

    #[test]
    fn allow_paths_match_paths_and_archive_members() {
        let mut builder = globset::GlobSetBuilder::new();
        builder.add(globset::Glob::new("vendor/**").unwrap());
        builder.add(globset::Glob::new("**/*.svg").unwrap());
        let options = Options { allow_paths: builder.build().unwrap(), ..Options::default() };
        assert!(options.is_allowed("vendor/lib.js"));
        assert!(options.is_allowed("dist/x.tgz!vendor/lib.js"));
        assert!(options.is_allowed("docs/logo.svg"));
        assert!(!options.is_allowed("src/main.rs"));
        assert!(!Options::default().is_allowed("vendor/lib.js"));
    }

    fn tar_gz(members: &[(&str, &[u8])]) -> Vec<u8> {
        let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut builder = tar::Builder::new(encoder);
        for (name, content) in members {
            let mut header = tar::Header::new_gnu();
            header.set_size(content.len() as u64);
            header.set_mode(0o644);
            header.set_cksum();
            builder.append_data(&mut header, name, *content).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap()
    }

    fn zip_bytes(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, content) in members {
            writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn events_of(kind: ArchiveKind, bytes: Vec<u8>, options: &Options) -> Vec<Event> {
        let mut events = Vec::new();
        read_archive(kind, Cursor::new(bytes), "a", options, 1, &mut |e| events.push(e)).unwrap();
        events
    }

    #[test]
    fn tar_gz_members_are_streamed_with_bang_paths() {
        let bytes = tar_gz(&[("./pkg/a.txt", b"hello"), ("pkg/b.bin", b"\0\x01")]);
        let events = events_of(ArchiveKind::TarGz, bytes, &Options::default());
        assert_eq!(
            events,
            vec![
                Event::Item(ScanItem::new("a!pkg/a.txt", b"hello".to_vec())),
                Event::Item(ScanItem::new("a!pkg/b.bin", b"\0\x01".to_vec())),
            ]
        );
    }

    #[test]
    fn nested_wheel_inside_tarball_is_opened() {
        let wheel = zip_bytes(&[("pkg/__init__.py", b"x = 1\n")]);
        let bytes = tar_gz(&[("dist/pkg-1.0-py3-none-any.whl", &wheel)]);
        let events = events_of(ArchiveKind::TarGz, bytes, &Options::default());
        assert_eq!(
            events,
            vec![Event::Item(ScanItem::new("a!dist/pkg-1.0-py3-none-any.whl!pkg/__init__.py", b"x = 1\n".to_vec()))]
        );
    }

    #[test]
    fn oversized_members_are_reported_not_read() {
        let options = Options { max_file_bytes: 4, ..Options::default() };
        let events =
            events_of(ArchiveKind::Zip, zip_bytes(&[("big.txt", b"0123456789"), ("ok.txt", b"0123")]), &options);
        assert_eq!(
            events,
            vec![
                Event::TooLarge { path: "a!big.txt".into(), size: 10 },
                Event::Item(ScanItem::new("a!ok.txt", b"0123".to_vec())),
            ]
        );
    }

    #[test]
    fn multi_frame_zstd_tarball_is_read_whole() {
        let tar_bytes = {
            let mut builder = tar::Builder::new(Vec::new());
            for (name, content) in [("one.txt", b"first".as_slice()), ("two.txt", b"second".as_slice())] {
                let mut header = tar::Header::new_gnu();
                header.set_size(content.len() as u64);
                header.set_cksum();
                builder.append_data(&mut header, name, content).unwrap();
            }
            builder.into_inner().unwrap()
        };
        // Two independent frames, as a multi-threaded zstd writes them.
        let (head, tail) = tar_bytes.split_at(700);
        let mut bytes = zstd::encode_all(head, 1).unwrap();
        bytes.extend(zstd::encode_all(tail, 1).unwrap());
        let events = events_of(ArchiveKind::TarZst, bytes, &Options::default());
        assert_eq!(
            events,
            vec![
                Event::Item(ScanItem::new("a!one.txt", b"first".to_vec())),
                Event::Item(ScanItem::new("a!two.txt", b"second".to_vec())),
            ]
        );
    }

    #[test]
    fn corrupt_archive_is_an_error() {
        let mut events = Vec::new();
        let result = read_archive(
            ArchiveKind::TarGz,
            Cursor::new(b"not gzip".to_vec()),
            "a",
            &Options::default(),
            1,
            &mut |e| events.push(e),
        );
        assert!(result.is_err());
        assert!(read_archive(
            ArchiveKind::Zip,
            Cursor::new(b"PK nope".to_vec()),
            "a",
            &Options::default(),
            1,
            &mut |e| events.push(e)
        )
        .is_err());
    }

    /// A repository with one commit per `(path, content)` step; returns the workspace and the
    /// commit ids in order.
    fn repository(steps: &[&[(&str, &str)]]) -> (tempfile::TempDir, Workspace, Vec<git2::Oid>) {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let signature = git2::Signature::now("t", "t@example.invalid").unwrap();
        let mut ids = Vec::new();
        for step in steps {
            for (path, content) in *step {
                std::fs::write(dir.path().join(path), content).unwrap();
            }
            let mut index = repo.index().unwrap();
            index.add_all(["*"], git2::IndexAddOption::DEFAULT, None).unwrap();
            index.write().unwrap();
            let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
            let parents: Vec<git2::Commit<'_>> =
                ids.last().map(|id| repo.find_commit(*id).unwrap()).into_iter().collect();
            let parent_refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
            ids.push(repo.commit(Some("HEAD"), &signature, &signature, "step", &tree, &parent_refs).unwrap());
        }
        let workspace = Workspace::discover(dir.path()).unwrap();
        (dir, workspace, ids)
    }

    fn items(workspace: &Workspace, selection: &Selection) -> Vec<ScanItem> {
        let mut out = Vec::new();
        for_each(workspace, selection, &Options::default(), &mut |event| {
            if let Event::Item(item) = event {
                out.push(item);
            }
        })
        .unwrap();
        out
    }

    #[test]
    fn range_yields_lines_added_by_each_commit_even_if_removed_later() {
        let (_dir, workspace, ids) =
            repository(&[&[("a.txt", "one\n")], &[("a.txt", "one\nadded\n")], &[("a.txt", "one\n"), ("b.txt", "b\n")]]);
        let range = format!("{}..{}", ids[0], ids[2]);
        let found = items(&workspace, &Selection::Range(range));
        let summary: Vec<(String, Option<Vec<u32>>)> =
            found.iter().map(|i| (i.path.clone(), i.added_lines.clone())).collect();
        assert_eq!(summary, vec![("a.txt".to_owned(), Some(vec![2])), ("b.txt".to_owned(), Some(vec![1]))]);
        assert_eq!(found[0].content, b"one\nadded\n");
        assert_eq!(found[0].commit.as_deref(), Some(&ids[1].to_string()[..10]));
    }

    #[test]
    fn staged_reads_the_index_blob_not_the_work_tree() {
        let (dir, workspace, _) = repository(&[&[("a.txt", "one\n"), ("b.txt", "b\n")]]);
        std::fs::write(dir.path().join("a.txt"), "staged\n").unwrap();
        {
            let repo = workspace.repository().unwrap();
            let mut index = repo.index().unwrap();
            index.add_path(Path::new("a.txt")).unwrap();
            index.write().unwrap();
        }
        std::fs::remove_file(dir.path().join("a.txt")).unwrap();
        let found = items(&workspace, &Selection::Staged);
        assert_eq!(found, vec![ScanItem::new("a.txt", b"staged\n".to_vec())]);
    }

    #[test]
    fn all_lists_the_index_and_falls_back_to_blobs() {
        let (dir, workspace, _) = repository(&[&[("a.txt", "one\n"), ("b.txt", "b\n")]]);
        std::fs::write(dir.path().join("untracked.txt"), "u\n").unwrap();
        std::fs::remove_file(dir.path().join("b.txt")).unwrap();
        let found = items(&workspace, &Selection::All);
        assert_eq!(found, vec![ScanItem::new("a.txt", b"one\n".to_vec()), ScanItem::new("b.txt", b"b\n".to_vec())]);
    }
}
