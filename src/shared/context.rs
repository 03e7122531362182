//! What every check receives: the workspace, the validated configuration, the file set, and
//! which version of the files to read (the work tree, the staged index, or a commit), so the
//! hooks check exactly what is committed or pushed and never the working copy.

use std::io;

use crate::shared::config::Config;
use crate::shared::workspace::Workspace;

/// Which version of the repository's files a check reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Snapshot {
    /// The files on disk.
    WorkTree,
    /// The staged blobs of the git index (what `git commit` would record).
    Index,
    /// The tree of a commit (what `git push` sends).
    Commit(git2::Oid),
}

pub struct CheckContext {
    pub workspace: Workspace,
    pub config: Config,
    /// Every file of the snapshot (repository-relative, sorted).
    pub files: Vec<String>,
    pub snapshot: Snapshot,
}

fn git_error(error: git2::Error) -> io::Error {
    let kind = if error.code() == git2::ErrorCode::NotFound { io::ErrorKind::NotFound } else { io::ErrorKind::Other };
    io::Error::new(kind, error.message().to_owned())
}

impl CheckContext {
    /// The work tree: the git index plus untracked files under the document roots.
    pub fn new(workspace: Workspace, config: Config) -> Result<CheckContext, crate::shared::workspace::Error> {
        let files = workspace.files(&config.spec.roots)?;
        Ok(CheckContext { workspace, config, files, snapshot: Snapshot::WorkTree })
    }

    /// A snapshot held by git: the index or a commit's tree.
    pub fn at(
        workspace: Workspace,
        config: Config,
        snapshot: Snapshot,
    ) -> Result<CheckContext, crate::shared::workspace::Error> {
        let files = match snapshot {
            Snapshot::WorkTree => return CheckContext::new(workspace, config),
            Snapshot::Index => workspace.files(&[])?,
            Snapshot::Commit(oid) => workspace.commit_files(oid)?,
        };
        Ok(CheckContext { workspace, config, files, snapshot })
    }

    fn blob<T>(&self, path: &str, with: impl FnOnce(&git2::Blob<'_>) -> T) -> io::Result<T> {
        let repo = self
            .workspace
            .repository()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "not a git repository"))?;
        let id = match self.snapshot {
            Snapshot::WorkTree => unreachable!("work-tree reads go to the file system"),
            Snapshot::Index => {
                let index = repo.index().map_err(git_error)?;
                index
                    .get_path(std::path::Path::new(path), 0)
                    .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("`{path}` is not staged")))?
                    .id
            }
            Snapshot::Commit(oid) => {
                let tree = repo.find_commit(oid).and_then(|c| c.tree()).map_err(git_error)?;
                tree.get_path(std::path::Path::new(path)).map_err(git_error)?.id()
            }
        };
        let blob = repo.find_blob(id).map_err(git_error)?;
        Ok(with(&blob))
    }

    /// Read a file by its repository-relative path.
    pub fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        match self.snapshot {
            Snapshot::WorkTree => self.workspace.read(path),
            _ => self.blob(path, |blob| blob.content().to_vec()),
        }
    }

    /// The size of a file (following symlinks on disk), without reading it.
    pub fn size(&self, path: &str) -> io::Result<u64> {
        match self.snapshot {
            Snapshot::WorkTree => Ok(std::fs::metadata(self.workspace.root.join(path))?.len()),
            _ => self.blob(path, |blob| blob.size() as u64),
        }
    }

    /// Read a file of at most `limit` bytes: on disk only a regular file (a FIFO or device is
    /// refused, never waited on), in git a blob no larger than the limit.
    pub fn read_within(&self, path: &str, limit: u64) -> io::Result<Vec<u8>> {
        match self.snapshot {
            Snapshot::WorkTree => crate::shared::readfile::regular(&self.workspace.root.join(path), limit),
            _ => match self.size(path)? {
                size if size > limit => Err(crate::shared::readfile::too_large(size, limit)),
                _ => self.read(path),
            },
        }
    }

    /// Read at most `limit` bytes of a file; `None` when it is larger, missing or unreadable.
    pub fn read_limited(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        if self.snapshot != Snapshot::WorkTree {
            return (self.size(path).ok()? <= limit).then(|| self.read(path).ok()).flatten();
        }
        crate::shared::readfile::regular(&self.workspace.root.join(path), limit).ok()
    }
}
