//! The upstream record: which files of an artifact are byte-identical to files of the pinned
//! CPython source tarball it was built from.
//!
//! The standard library carries text that looks like secrets to any scanner (a docstring's
//! sample password in `urllib/request.py`, the test suite's private keys). That text is
//! public by construction when the file is exactly a file of the upstream release whose SHA-256
//! the repository pins. `specgate build` (and `specgate package --source`) hash every file of
//! the verified source, hash every file of the installed tree, and write the matches to
//! `opt/python-X.Y.Z/.specgate-upstream`:
//!
//! ```text
//! specgate-upstream 1
//! python 3.11.2
//! source-sha256 2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849
//! 0f3c...e1  lib/python3.11/urllib/request.py
//! ```
//!
//! The secret scan before publishing skips a member only when the record's `source-sha256` is
//! the pin of `[build.sources."X.Y.Z"]` in specgate.toml and the member's own SHA-256, computed
//! while it is read, equals the recorded one for that path. A file the team added or changed
//! (a `team_settings.py` in site-packages, an edited stdlib module) is scanned as always.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::sidecar::{sha256_reader, Digest};
use super::{Error, PythonVersion};

/// The record's file name, at the root of the prefix.
pub const FILE: &str = ".specgate-upstream";

/// The first line of a record of this format.
const HEADER: &str = "specgate-upstream 1";

/// A record larger than this is refused (CPython 3.11 records about 2,000 lines, 200 KB).
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Which files of a tree are byte-identical to files of the source tarball.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub python: String,
    /// SHA-256 of the source tarball, lowercase hex.
    pub source_sha256: String,
    /// Prefix-relative path (`lib/python3.11/urllib/request.py`) to the file's SHA-256.
    pub files: BTreeMap<String, Digest>,
}

impl Record {
    /// The record's text: header lines, then one `<sha256>  <path>` line per file, sorted.
    pub fn to_text(&self) -> String {
        let mut text = format!("{HEADER}\npython {}\nsource-sha256 {}\n", self.python, self.source_sha256);
        for (path, digest) in &self.files {
            text.push_str(&format!("{}  {path}\n", digest.to_hex()));
        }
        text
    }

    /// Read a record; anything unexpected is an error naming the line.
    pub fn parse(bytes: &[u8]) -> Result<Record, String> {
        if bytes.len() as u64 > MAX_BYTES {
            return Err(format!("it is {} bytes, over the limit of {MAX_BYTES}", bytes.len()));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8".to_owned())?;
        let mut lines = text.lines().enumerate().map(|(index, line)| (index + 1, line));
        let mut field = |name: &str| -> Result<String, String> {
            match lines.next() {
                Some((_, line)) if name == "header" && line == HEADER => Ok(String::new()),
                Some((n, line)) if name != "header" => line
                    .strip_prefix(name)
                    .and_then(|rest| rest.strip_prefix(' '))
                    .map(str::to_owned)
                    .ok_or_else(|| format!("line {n} should start with `{name} `")),
                Some((n, _)) => Err(format!("line {n} is not `{HEADER}`")),
                None => Err(format!("it ends before the `{name}` line")),
            }
        };
        field("header")?;
        let python = field("python")?;
        python.parse::<PythonVersion>().map_err(|e| format!("line 2: {e}"))?;
        let source_sha256 = field("source-sha256")?;
        Digest::from_hex(&source_sha256).ok_or_else(|| "line 3: the source SHA-256 is not 64 hex digits".to_owned())?;
        let mut files = BTreeMap::new();
        for (n, line) in lines {
            let (hex, path) = line.split_once("  ").ok_or_else(|| format!("line {n} is not `<sha256>  <path>`"))?;
            let digest = Digest::from_hex(hex).ok_or_else(|| format!("line {n}: `{hex}` is not 64 hex digits"))?;
            if path.is_empty()
                || path.starts_with('/')
                || path.split('/').any(|c| c.is_empty() || c == "." || c == "..")
            {
                return Err(format!("line {n}: `{path}` is not a relative path inside the prefix"));
            }
            if files.insert(path.to_owned(), digest).is_some() {
                return Err(format!("line {n}: `{path}` is listed twice"));
            }
        }
        Ok(Record { python, source_sha256: source_sha256.to_ascii_lowercase(), files })
    }

    /// The members this record exempts from the secret scan, as archive paths
    /// (`opt/python-3.11.2/lib/...`), when its source is the one `pin` names. `Err` says why the
    /// record cannot be trusted.
    pub fn exemption(&self, version: PythonVersion, pin: Option<&str>) -> Result<HashMap<String, Digest>, String> {
        if self.python != version.to_string() {
            return Err(format!("the record is for Python {}, the artifact is {version}", self.python));
        }
        match pin {
            None => Err(format!(
                "specgate.toml pins no source for {version} (`[build.sources.\"{version}\"] sha256`), so nothing proves the recorded source is the upstream release"
            )),
            Some(pin) if !pin.eq_ignore_ascii_case(&self.source_sha256) => Err(format!(
                "the record names source {}, but specgate.toml pins {pin} for {version}",
                self.source_sha256
            )),
            Some(_) => {
                let prefix = format!("opt/python-{version}");
                Ok(self.files.iter().map(|(path, digest)| (format!("{prefix}/{path}"), *digest)).collect())
            }
        }
    }
}

/// SHA-256 of every regular file under `root` (symlinks not followed), keyed by digest, with
/// one root-relative path per digest (the first in sorted order).
pub fn tree_digests(root: &Path) -> Result<HashMap<Digest, String>, Error> {
    let hashed = hash_all(regular_files(root)?)?;
    let mut map = HashMap::with_capacity(hashed.len());
    for (relative, digest) in hashed {
        map.entry(digest).or_insert(relative);
    }
    Ok(map)
}

/// The record of `prefix` against the source files' digests: every regular file of the prefix
/// whose content is exactly a file of the source.
pub fn record(
    prefix: &Path,
    version: PythonVersion,
    source_sha256: &str,
    source: &HashMap<Digest, String>,
) -> Result<Record, Error> {
    let installed = regular_files(prefix)?.into_iter().filter(|(relative, _)| relative != FILE).collect();
    let files = hash_all(installed)?.into_iter().filter(|(_, digest)| source.contains_key(digest)).collect();
    Ok(Record { python: version.to_string(), source_sha256: source_sha256.to_ascii_lowercase(), files })
}

/// The SHA-256 of each `(relative path, full path)`, on every core.
fn hash_all(files: Vec<(String, PathBuf)>) -> Result<Vec<(String, Digest)>, Error> {
    files
        .into_par_iter()
        .map(|(relative, path)| {
            let file = fs::File::open(&path).map_err(|e| Error::io("read", &path, e))?;
            let (digest, _) = sha256_reader(file).map_err(|e| Error::io("read", &path, e))?;
            Ok((relative, digest))
        })
        .collect()
}

/// Write the record to `prefix/.specgate-upstream`.
pub fn write(prefix: &Path, record: &Record) -> Result<(), Error> {
    let path = prefix.join(FILE);
    crate::shared::atomic::write(&path, record.to_text().as_bytes()).map_err(|e| Error::io("write", &path, e))
}

/// Read a record from a member's bytes, at most `MAX_BYTES`.
pub fn read_member(read: &mut dyn Read) -> std::io::Result<Result<Record, String>> {
    let mut bytes = Vec::new();
    read.take(MAX_BYTES + 1).read_to_end(&mut bytes)?;
    Ok(Record::parse(&bytes))
}

/// The members a secret scan skips, with the SHA-256 each must have (`scan::Options::upstream`).
pub type Members = std::sync::Arc<HashMap<String, [u8; 32]>>;

/// What an artifact's upstream record allows the secret scan to skip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exemption {
    /// No record in the artifact (or not an artifact name): every member is scanned.
    None,
    /// The record is for the pinned source: these members, with these digests, are upstream.
    Trusted { members: HashMap<String, [u8; 32]>, source_sha256: String },
    /// There is a record, but it does not count; the reason says why.
    Untrusted(String),
}

impl Exemption {
    /// The map the scan takes (`scan::Options::upstream`).
    pub fn members(&self) -> Option<Members> {
        match self {
            Exemption::Trusted { members, .. } => Some(std::sync::Arc::new(members.clone())),
            _ => None,
        }
    }

    /// One line for the report: what the record did.
    pub fn note(&self) -> Option<String> {
        match self {
            Exemption::None => None,
            Exemption::Trusted { members, source_sha256 } => Some(format!(
                "secrets: members byte-identical to the pinned source {source_sha256} were not scanned ({} recorded in `{FILE}`; any other byte is scanned)",
                members.len()
            )),
            Exemption::Untrusted(reason) => {
                Some(format!("secrets: the artifact's `{FILE}` was not used, every member was scanned: {reason}"))
            }
        }
    }
}

/// Root-relative `/`-separated paths and full paths of the regular files under `root`, sorted.
fn regular_files(root: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let mut found = Vec::new();
    let mut pending = vec![(String::new(), root.to_path_buf())];
    while let Some((relative, dir)) = pending.pop() {
        for entry in fs::read_dir(&dir).map_err(|e| Error::io("list", &dir, e))? {
            let entry = entry.map_err(|e| Error::io("list", &dir, e))?;
            let kind = entry.file_type().map_err(|e| Error::io("read", &entry.path(), e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let child = if relative.is_empty() { name } else { format!("{relative}/{name}") };
            if kind.is_dir() {
                pending.push((child, entry.path()));
            } else if kind.is_file() {
                found.push((child, entry.path()));
            }
        }
    }
    found.sort();
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> PythonVersion {
        text.parse().unwrap()
    }

    #[test]
    fn a_record_of_identical_files_round_trips_and_leaves_changed_files_out() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().join("src");
        let prefix = dir.path().join("prefix");
        fs::create_dir_all(source.join("Lib/urllib")).unwrap();
        fs::create_dir_all(prefix.join("lib/python3.11/urllib")).unwrap();
        fs::create_dir_all(prefix.join("lib/python3.11/site-packages")).unwrap();
        let docstring = format!("{}='sample'\n", "passwd").into_bytes();
        fs::write(source.join("Lib/urllib/request.py"), &docstring).unwrap();
        fs::write(source.join("Lib/os.py"), b"import sys\n").unwrap();
        fs::write(prefix.join("lib/python3.11/urllib/request.py"), &docstring).unwrap();
        // Same name as a source file, other bytes: not upstream.
        fs::write(prefix.join("lib/python3.11/os.py"), b"import sys\nKEY = 1\n").unwrap();
        fs::write(prefix.join("lib/python3.11/site-packages/team_settings.py"), b"x = 1\n").unwrap();
        std::os::unix::fs::symlink("urllib/request.py", prefix.join("lib/python3.11/link.py")).unwrap();

        let digests = tree_digests(&source).unwrap();
        assert_eq!(digests.len(), 2);
        let record = record(&prefix, v("3.11.2"), &"A".repeat(64), &digests).unwrap();
        assert_eq!(record.files.keys().collect::<Vec<_>>(), ["lib/python3.11/urllib/request.py"]);
        assert_eq!(record.source_sha256, "a".repeat(64));
        write(&prefix, &record).unwrap();
        let text = fs::read(prefix.join(FILE)).unwrap();
        assert_eq!(Record::parse(&text).unwrap(), record);
        // The record never lists itself.
        assert_eq!(super::record(&prefix, v("3.11.2"), &"a".repeat(64), &digests).unwrap(), record);
    }

    #[test]
    fn the_exemption_needs_the_pinned_source_and_the_same_version() {
        let mut files = BTreeMap::new();
        files.insert("lib/python3.11/a.py".to_owned(), Digest([7; 32]));
        let record = Record { python: "3.11.2".to_owned(), source_sha256: "b".repeat(64), files };
        let exempt = record.exemption(v("3.11.2"), Some(&"B".repeat(64))).unwrap();
        assert_eq!(exempt.get("opt/python-3.11.2/lib/python3.11/a.py"), Some(&Digest([7; 32])));
        let other = record.exemption(v("3.11.2"), Some(&"c".repeat(64))).unwrap_err();
        assert!(other.contains("but specgate.toml pins"), "{other}");
        let none = record.exemption(v("3.11.2"), None).unwrap_err();
        assert!(none.contains("pins no source for 3.11.2"), "{none}");
        let version = record.exemption(v("3.11.3"), Some(&"b".repeat(64))).unwrap_err();
        assert!(version.contains("is for Python 3.11.2"), "{version}");
    }

    #[test]
    fn malformed_records_are_refused_with_the_line() {
        let good = format!("{HEADER}\npython 3.11.2\nsource-sha256 {}\n", "a".repeat(64));
        assert!(Record::parse(good.as_bytes()).is_ok());
        let cases = [
            ("specgate-upstream 2\n".to_owned(), "line 1"),
            (format!("{HEADER}\npython x\n"), "line 2"),
            (format!("{HEADER}\npython 3.11.2\nsource-sha256 zz\n"), "line 3"),
            (format!("{good}{}  ../etc/passwd\n", "a".repeat(64)), "line 4"),
            (format!("{good}{}  /abs\n", "a".repeat(64)), "line 4"),
            (format!("{good}{0}  a.py\n{0}  a.py\n", "a".repeat(64)), "listed twice"),
            (format!("{good}nohash\n"), "line 4"),
            (format!("{HEADER}\n"), "ends before"),
        ];
        for (text, expected) in cases {
            let error = Record::parse(text.as_bytes()).unwrap_err();
            assert!(error.contains(expected), "{text:?}: {error}");
        }
        assert!(Record::parse(&[0xff, 0xfe]).unwrap_err().contains("not UTF-8"));
    }
}
