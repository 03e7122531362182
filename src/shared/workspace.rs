//! The repository a check runs on: root discovery (git2), the set of files to look at, and
//! reading their content. Outside a git work tree the root is the start folder and the file set
//! comes from a directory walk that never follows symlinks.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{path}` does not exist or is not a folder")]
    NoSuchDirectory { path: String },
    #[error("could not read the git index of `{root}`")]
    Index {
        root: String,
        #[source]
        source: git2::Error,
    },
    #[error("could not list `{path}`")]
    Walk {
        path: String,
        #[source]
        source: io::Error,
    },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::NoSuchDirectory { .. } => Some("pass an existing folder with `-C`".to_owned()),
            Error::Index { .. } => Some("run `git status` to see whether the repository is healthy".to_owned()),
            Error::Walk { .. } => None,
        }
    }
}

/// The repository (or plain folder) specgate runs on.
pub struct Workspace {
    pub root: PathBuf,
    /// Behind a mutex because libgit2 handles are `Send` but not `Sync`, and checks run on
    /// rayon's threads.
    repo: Option<Mutex<git2::Repository>>,
}

/// Folders a directory walk never enters.
const SKIPPED_DIRS: &[&str] = &[".git", "target", "node_modules", ".venv", "__pycache__"];

impl Workspace {
    /// Find the work tree that contains `start`; a folder outside git is its own root.
    pub fn discover(start: &Path) -> Result<Workspace, Error> {
        if !start.is_dir() {
            return Err(Error::NoSuchDirectory { path: start.display().to_string() });
        }
        let start = start.canonicalize().map_err(|_| Error::NoSuchDirectory { path: start.display().to_string() })?;
        match git2::Repository::discover(&start) {
            Ok(repo) if repo.workdir().is_some() => {
                let root = repo.workdir().expect("checked above").to_path_buf();
                let root = root.canonicalize().unwrap_or(root);
                Ok(Workspace { root, repo: Some(Mutex::new(repo)) })
            }
            _ => Ok(Workspace { root: start, repo: None }),
        }
    }

    /// The git repository, if the root is a work tree.
    pub fn repository(&self) -> Option<MutexGuard<'_, git2::Repository>> {
        self.repo.as_ref().map(|r| r.lock().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Every file of the repository: the git index plus untracked, not-ignored files under
    /// `extra_dirs` (so a new spec is checked before `git add`); outside git, a walk of the root.
    pub fn files(&self, extra_dirs: &[String]) -> Result<Vec<String>, Error> {
        let mut files = Vec::new();
        match self.repository() {
            Some(repo) => {
                let index =
                    repo.index().map_err(|source| Error::Index { root: self.root.display().to_string(), source })?;
                for entry in index.iter() {
                    // Skip gitlinks (submodules): their content is another repository.
                    if entry.mode == 0o160000 {
                        continue;
                    }
                    if let Ok(path) = String::from_utf8(entry.path) {
                        files.push(path);
                    }
                }
                // Untracked files under the document roots; only those not in the index need
                // the (costly) ignore lookup.
                let tracked: std::collections::HashSet<&str> = files.iter().map(String::as_str).collect();
                let mut untracked = Vec::new();
                for dir in extra_dirs {
                    let mut found = Vec::new();
                    self.walk(&self.root.join(dir), &mut found)?;
                    for path in found {
                        if !tracked.contains(path.as_str()) && !repo.is_path_ignored(Path::new(&path)).unwrap_or(false)
                        {
                            untracked.push(path);
                        }
                    }
                }
                files.extend(untracked);
            }
            None => self.walk(&self.root, &mut files)?,
        }
        files.sort();
        files.dedup();
        Ok(files)
    }

    /// Every file of a commit's tree (submodules skipped), sorted.
    pub fn commit_files(&self, commit: git2::Oid) -> Result<Vec<String>, Error> {
        let repo = self.repository().ok_or_else(|| Error::NoSuchDirectory {
            path: format!("{} (not a git repository)", self.root.display()),
        })?;
        let index_error = |source| Error::Index { root: self.root.display().to_string(), source };
        let tree = repo.find_commit(commit).and_then(|c| c.tree()).map_err(index_error)?;
        let mut files = Vec::new();
        tree.walk(git2::TreeWalkMode::PreOrder, |dir, entry| {
            if entry.kind() == Some(git2::ObjectType::Blob) {
                if let Some(name) = entry.name() {
                    files.push(format!("{dir}{name}"));
                }
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(index_error)?;
        files.sort();
        Ok(files)
    }

    fn walk(&self, dir: &Path, out: &mut Vec<String>) -> Result<(), Error> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(source) => return Err(Error::Walk { path: dir.display().to_string(), source }),
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                let name = entry.file_name();
                if !SKIPPED_DIRS.iter().any(|s| name == *s) {
                    self.walk(&path, out)?;
                }
            } else if kind.is_file() || kind.is_symlink() {
                // The walk starts under the root, so the prefix strips without canonicalizing.
                if let Some(relative) = path.strip_prefix(&self.root).ok().and_then(Path::to_str) {
                    out.push(relative.replace('\\', "/"));
                }
            }
        }
        Ok(())
    }

    /// The repository-relative `/`-separated form of a path (absolute or relative to the
    /// current directory), if it lies inside the root.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let absolute = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
        let absolute = normalize(&absolute);
        let relative = absolute.strip_prefix(&self.root).ok()?;
        let text = relative.to_str()?.replace('\\', "/");
        Some(text)
    }

    /// Read a regular file of the work tree by its repository-relative path, at most
    /// `readfile::DEFAULT_LIMIT` bytes (a FIFO or device is refused, never waited on).
    pub fn read(&self, relative: &str) -> io::Result<Vec<u8>> {
        crate::shared::readfile::regular(&self.root.join(relative), crate::shared::readfile::DEFAULT_LIMIT)
    }
}

/// Resolve `.` and `..` without touching the file system (the file may not exist yet), but
/// resolve the existing parent through symlinks so it compares with the canonical root.
fn normalize(path: &Path) -> PathBuf {
    if let Ok(canonical) = path.canonicalize() {
        return canonical;
    }
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    match (out.parent(), out.file_name()) {
        (Some(parent), Some(name)) => parent.canonicalize().map_or(out.clone(), |p| p.join(name)),
        _ => out,
    }
}
