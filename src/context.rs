//! What every check receives: the workspace, the validated configuration and the file set.

use std::io::{self, Read};

use crate::config::Config;
use crate::workspace::Workspace;

pub struct CheckContext {
    pub workspace: Workspace,
    pub config: Config,
    /// Every file of the repository (repository-relative, sorted).
    pub files: Vec<String>,
}

impl CheckContext {
    pub fn new(
        workspace: Workspace,
        config: Config,
    ) -> Result<CheckContext, crate::workspace::Error> {
        let files = workspace.files(&config.spec.roots)?;
        Ok(CheckContext {
            workspace,
            config,
            files,
        })
    }

    /// Read a file by its repository-relative path.
    pub fn read(&self, path: &str) -> io::Result<Vec<u8>> {
        self.workspace.read(path)
    }

    /// The size of a file (following symlinks), without reading it.
    pub fn size(&self, path: &str) -> io::Result<u64> {
        Ok(std::fs::metadata(self.workspace.root.join(path))?.len())
    }

    /// Read at most `limit` bytes of a file; `None` when it is larger, missing or unreadable.
    pub fn read_limited(&self, path: &str, limit: u64) -> Option<Vec<u8>> {
        let file = std::fs::File::open(self.workspace.root.join(path)).ok()?;
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        let mut bytes = Vec::new();
        file.take(limit + 1).read_to_end(&mut bytes).ok()?;
        (bytes.len() as u64 <= limit).then_some(bytes)
    }
}
