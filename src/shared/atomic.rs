//! Changing the file system so that a reader never sees half a file: write to a temporary file
//! in the same folder, fsync it, rename it over the target, fsync the folder.
//!
//! Owns the write-then-rename helpers (`write`, `AtomicFile`), the symlink swap
//! (`replace_symlink`) and the directory swap (`replace_dir`, `renameat2` exchange) install uses.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A counter so two temp files of one process never share a name.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// The temp path beside `target`: `.<name>.tmp-<pid>-<n>`, hidden and in the same folder, so the
/// final rename stays on one file system and is atomic.
fn temp_path(target: &Path) -> PathBuf {
    let name = target.file_name().map_or_else(|| OsString::from("file"), OsString::from);
    let mut temp = OsString::from(".");
    temp.push(name);
    temp.push(format!(".tmp-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    target.with_file_name(temp)
}

/// The folder holding `path` (`.` for a bare file name).
fn parent_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// fsync a folder so a rename inside it survives a crash.
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Replace `path` with `bytes` atomically; an existing file keeps its permissions.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)?;
    file.commit()
}

/// Replace `to` with a copy of `from` atomically: an interrupted copy leaves `to` as it was.
pub fn copy(from: &Path, to: &Path) -> io::Result<()> {
    let mut source = File::open(from)?;
    let mut file = AtomicFile::create(to)?;
    io::copy(&mut source, &mut file)?;
    file.commit()
}

/// A file being written beside its final path; `commit` renames it into place, dropping it
/// without `commit` removes the temp file and leaves the target untouched.
pub struct AtomicFile {
    file: Option<File>,
    temp: PathBuf,
    target: PathBuf,
}

impl AtomicFile {
    /// Start writing the new content of `target`.
    pub fn create(target: &Path) -> io::Result<AtomicFile> {
        let temp = temp_path(target);
        let file = OpenOptions::new().write(true).create_new(true).open(&temp)?;
        if let Ok(metadata) = fs::metadata(target) {
            // Keep the mode of the file we replace (a ledger made group-writable stays so).
            let _ = file.set_permissions(metadata.permissions());
        }
        Ok(AtomicFile { file: Some(file), temp, target: target.to_path_buf() })
    }

    /// The open temp file, for callers that need `File` itself (set_len, metadata).
    pub fn file(&mut self) -> &mut File {
        self.file.as_mut().expect("the file is open until commit")
    }

    /// Flush to disk and rename over the target.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self.file.take().expect("the file is open until commit");
        file.sync_all()?;
        drop(file);
        fs::rename(&self.temp, &self.target)?;
        sync_dir(parent_of(&self.target))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file().write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file().flush()
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Point the symlink `link` at `target`: a new link beside it, renamed over the old one, so
/// `link` always resolves to the old or the new target and never to nothing.
pub fn replace_symlink(target: &Path, link: &Path) -> io::Result<()> {
    let temp = temp_path(link);
    std::os::unix::fs::symlink(target, &temp)?;
    if let Err(error) = fs::rename(&temp, link) {
        let _ = fs::remove_file(&temp);
        return Err(error);
    }
    sync_dir(parent_of(link))
}

/// Swap two existing paths in one step (`renameat2` with `RENAME_EXCHANGE`). File systems that
/// cannot (`EINVAL`, `ENOSYS`) get `Unsupported`, so the caller can fall back to two renames.
pub fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{renameat_with, RenameFlags, CWD};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => sync_dir(parent_of(b)),
        Err(errno) if errno == rustix::io::Errno::INVAL || errno == rustix::io::Errno::NOSYS => {
            Err(io::Error::new(io::ErrorKind::Unsupported, "the file system cannot exchange two paths atomically"))
        }
        Err(errno) => Err(errno.into()),
    }
}

/// Put `new` at `target`, which may exist: an existing `target` is swapped out atomically and
/// returned at `new`'s old path for the caller to delete. Where the file system cannot swap,
/// the old one is renamed aside first and put back if the second rename fails, so `target` is
/// never lost. Returns the path now holding the old tree, if there was one.
pub fn replace_dir(new: &Path, target: &Path) -> io::Result<Option<PathBuf>> {
    if fs::symlink_metadata(target).is_err() {
        fs::rename(new, target)?;
        sync_dir(parent_of(target))?;
        return Ok(None);
    }
    match exchange(new, target) {
        Ok(()) => Ok(Some(new.to_path_buf())),
        Err(error) if error.kind() == io::ErrorKind::Unsupported => {
            let aside = temp_path(target);
            fs::rename(target, &aside)?;
            if let Err(error) = fs::rename(new, target) {
                let _ = fs::rename(&aside, target);
                return Err(error);
            }
            sync_dir(parent_of(target))?;
            Ok(Some(aside))
        }
        Err(error) => Err(error),
    }
}

/// A folder removed when this goes out of scope, on success and on every error path.
pub struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_replaces_content_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ledger.md");
        fs::write(&path, "old").unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![OsString::from("ledger.md")]);
    }

    #[test]
    fn copy_replaces_the_target_and_a_missing_source_leaves_it() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("from"), dir.path().join("to"));
        fs::write(&from, "copied").unwrap();
        fs::write(&to, "old").unwrap();
        copy(&from, &to).unwrap();
        assert_eq!(fs::read(&to).unwrap(), b"copied");
        assert!(copy(&dir.path().join("missing"), &to).is_err());
        assert_eq!(fs::read(&to).unwrap(), b"copied");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2, "no temp file left");
    }

    #[test]
    fn dropped_file_keeps_target_and_removes_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tgz");
        fs::write(&path, "kept").unwrap();
        {
            let mut file = AtomicFile::create(&path).unwrap();
            file.write_all(b"half").unwrap();
        }
        assert_eq!(fs::read(&path).unwrap(), b"kept");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn permissions_of_replaced_file_are_kept() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, "x").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        write(&path, b"y").unwrap();
        assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    }

    #[test]
    fn symlink_is_replaced_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("python3");
        replace_symlink(Path::new("a"), &link).unwrap();
        replace_symlink(Path::new("b"), &link).unwrap();
        assert_eq!(fs::read_link(&link).unwrap(), Path::new("b"));
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn replace_dir_swaps_and_hands_back_the_old_tree() {
        let dir = tempfile::tempdir().unwrap();
        let (new, target) = (dir.path().join("new"), dir.path().join("target"));
        fs::create_dir(&new).unwrap();
        fs::write(new.join("v"), "2").unwrap();
        assert_eq!(replace_dir(&new, &target).unwrap(), None);
        fs::create_dir(&new).unwrap();
        fs::write(new.join("v"), "3").unwrap();
        let old = replace_dir(&new, &target).unwrap().unwrap();
        assert_eq!(fs::read_to_string(target.join("v")).unwrap(), "3");
        assert_eq!(fs::read_to_string(old.join("v")).unwrap(), "2");
    }
}
