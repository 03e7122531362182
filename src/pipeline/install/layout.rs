//! The installed layout under a root (`/` in a container, a folder in tests and chroots):
//! `opt/python-X.Y.Z/` with its receipt, the links in `usr/local/bin`, the ld.so.conf.d entry,
//! the lock file and the staging folders beside the prefixes.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::Error;
use crate::shared::artifact::PythonVersion;

/// The receipt's file name inside a prefix. A prefix without it is stale, not installed.
pub const RECEIPT: &str = ".specgate-receipt.json";
/// Staging folders start with this, beside the prefixes, so the final rename stays on one file system.
const STAGING_PREFIX: &str = ".specgate-staging-";
const LOCK: &str = ".specgate-install.lock";

/// What was installed, written last inside the tree before it is renamed into place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub version: String,
    pub build: Option<u32>,
    pub distro: Option<String>,
    pub artifact: String,
    pub sha256: String,
    pub source: String,
    pub installed_at: String,
    pub installed_by: String,
}

/// Paths under one root.
#[derive(Debug, Clone)]
pub struct Layout {
    pub root: PathBuf,
}

impl Layout {
    pub fn new(root: &Path) -> Layout {
        Layout { root: root.to_path_buf() }
    }

    pub fn opt(&self) -> PathBuf {
        self.root.join("opt")
    }

    pub fn prefix(&self, version: PythonVersion) -> PathBuf {
        self.opt().join(format!("python-{version}"))
    }

    /// The prefix as the installed system sees it (what links and ld.so.conf.d name).
    pub fn system_prefix(version: PythonVersion) -> String {
        format!("/opt/python-{version}")
    }

    pub fn bin(&self) -> PathBuf {
        self.root.join("usr/local/bin")
    }

    pub fn ld_conf(&self, version: PythonVersion) -> PathBuf {
        self.root.join(format!("etc/ld.so.conf.d/specgate-python-{version}.conf"))
    }

    pub fn read_receipt(&self, version: PythonVersion) -> Option<Receipt> {
        let text = crate::shared::readfile::regular(&self.prefix(version).join(RECEIPT), 1 << 20).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// A fresh staging folder beside the prefixes.
    pub fn new_staging(&self) -> Result<PathBuf, Error> {
        let opt = self.opt();
        fs::create_dir_all(&opt).map_err(|source| Error::fs("create", &opt, source))?;
        let dir = opt.join(format!("{STAGING_PREFIX}{}", std::process::id()));
        if dir.exists() {
            remove_tree(&dir).map_err(|source| Error::fs("remove", &dir, source))?;
        }
        fs::create_dir(&dir).map_err(|source| Error::fs("create", &dir, source))?;
        Ok(dir)
    }

    /// Remove the staging folders that killed runs left. Call only with the lock held.
    pub fn remove_stale_staging(&self) -> Vec<PathBuf> {
        let mut removed = Vec::new();
        let Ok(entries) = fs::read_dir(self.opt()) else { return removed };
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(STAGING_PREFIX) && remove_tree(&entry.path()).is_ok() {
                removed.push(entry.path());
            }
        }
        removed
    }

    /// The links for a version: `(link name, target relative to usr/local/bin)`. Relative targets
    /// resolve the same under `--root` and in the real system.
    pub fn links(version: PythonVersion, default: bool) -> Vec<(String, PathBuf)> {
        let line = format!("{}.{}", version.major, version.minor);
        let to = |program: &str| PathBuf::from(format!("../../../opt/python-{version}/bin/{program}"));
        let mut links = vec![
            (format!("python{line}"), to(&format!("python{line}"))),
            (format!("pip{line}"), to(&format!("pip{line}"))),
        ];
        if default {
            links.push(("python3".to_owned(), to(&format!("python{line}"))));
            links.push(("pip3".to_owned(), to(&format!("pip{line}"))));
        }
        links
    }

    /// Links that are missing or point elsewhere.
    pub fn links_to_fix(&self, version: PythonVersion, default: bool) -> Vec<(String, PathBuf)> {
        Layout::links(version, default)
            .into_iter()
            .filter(|(name, target)| fs::read_link(self.bin().join(name)).ok().as_deref() != Some(target.as_path()))
            .collect()
    }

    /// Make or swap the links, each atomically.
    pub fn write_links(&self, links: &[(String, PathBuf)]) -> Result<(), Error> {
        let bin = self.bin();
        fs::create_dir_all(&bin).map_err(|source| Error::fs("create", &bin, source))?;
        for (name, target) in links {
            let link = bin.join(name);
            crate::shared::atomic::replace_symlink(target, &link).map_err(|source| Error::fs("link", &link, source))?;
        }
        Ok(())
    }

    /// The version `python3` points at, if it is one of ours.
    pub fn active(&self) -> Option<PythonVersion> {
        let target = fs::read_link(self.bin().join("python3")).ok()?;
        let text = target.to_string_lossy();
        let rest = text.split("opt/python-").nth(1)?;
        rest.split('/').next()?.parse().ok()
    }

    /// Every `opt/python-X.Y.Z` folder, with its receipt when it has one.
    pub fn installed(&self) -> Vec<(PythonVersion, Option<Receipt>)> {
        let mut found = Vec::new();
        if let Ok(entries) = fs::read_dir(self.opt()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if let Some(version) = name.strip_prefix("python-").and_then(|v| v.parse().ok()) {
                    found.push((version, self.read_receipt(version)));
                }
            }
        }
        found.sort_by_key(|(v, _)| *v);
        found
    }

    /// Take the install lock, waiting at most `wait`; `waiting` is called once if it is held.
    pub fn lock(&self, wait: Duration, waiting: &mut dyn FnMut(&Path)) -> Result<File, Error> {
        let opt = self.opt();
        fs::create_dir_all(&opt).map_err(|source| Error::fs("create", &opt, source))?;
        lock_file(&opt.join(LOCK), wait, waiting)
    }
}

/// An exclusive flock on `path` (created if needed), waiting at most `wait`; `waiting` is called
/// once if another process holds it. The lock goes with the returned file (and with a killed
/// process).
pub fn lock_file(path: &Path, wait: Duration, waiting: &mut dyn FnMut(&Path)) -> Result<File, Error> {
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|source| Error::fs("open the lock file", path, source))?;
    let start = Instant::now();
    let mut told = false;
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(fs::TryLockError::WouldBlock) => {
                if !told {
                    waiting(path);
                    told = true;
                }
                if start.elapsed() >= wait {
                    return Err(Error::LockTimeout { path: path.to_path_buf(), waited: wait });
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(fs::TryLockError::Error(source)) => return Err(Error::fs("lock", path, source)),
        }
    }
}

/// Remove a tree, making read-only folders writable first.
pub fn remove_tree(path: &Path) -> io::Result<()> {
    match fs::remove_dir_all(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(_) => {
            crate::shared::artifact::unpack::make_writable(path);
            fs::remove_dir_all(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_relative_and_default_adds_python3() {
        let v: PythonVersion = "3.11.2".parse().unwrap();
        let names: Vec<_> = Layout::links(v, false).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["python3.11", "pip3.11"]);
        let all = Layout::links(v, true);
        assert_eq!(all[2].0, "python3");
        assert_eq!(all[2].1, Path::new("../../../opt/python-3.11.2/bin/python3.11"));
    }

    #[test]
    fn active_version_is_read_from_the_python3_link() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        assert_eq!(layout.active(), None);
        let v: PythonVersion = "3.12.6".parse().unwrap();
        layout.write_links(&Layout::links(v, true)).unwrap();
        assert_eq!(layout.active(), Some(v));
        assert!(layout.links_to_fix(v, true).is_empty());
        assert_eq!(layout.links_to_fix("3.11.2".parse().unwrap(), false).len(), 2);
    }

    #[test]
    fn second_lock_waits_then_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::new(dir.path());
        let _held = layout.lock(Duration::from_secs(1), &mut |_| {}).unwrap();
        let mut told = 0;
        let error = layout.lock(Duration::from_millis(120), &mut |_| told += 1).unwrap_err();
        assert_eq!(told, 1);
        assert!(error.to_string().contains("lock"), "{error}");
    }
}
