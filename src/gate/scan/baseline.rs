//! The secrets baseline: findings a team has accepted, stored by content (rule, path, SHA-256
//! of the secret), sorted, with no line numbers and no timestamps, so moving code does not
//! invalidate it, a new secret on an accepted line is still found, and two branches that
//! accept different findings merge line by line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The format version written in the file.
pub const VERSION: u32 = 1;

/// A baseline is read only when it is a regular file of at most this size (an entry takes
/// about 150 bytes: 100,000 accepted findings fit).
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not read the secrets baseline `{path}`")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the secrets baseline `{path}` is not valid: {message}")]
    Invalid { path: String, message: String },
    #[error("could not write the secrets baseline `{path}`")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::Read { .. } => format!(
                "check the path given with `--baseline` or `[secrets] baseline`: it must be a regular UTF-8 file of at most {} MiB (rewrite it with `specgate check secrets --all --write-baseline`)",
                MAX_BYTES >> 20
            ),
            Error::Invalid { .. } => {
                "fix the file by hand, or rewrite it with `specgate check secrets --all --write-baseline`".to_owned()
            }
            Error::Write { .. } => "check that the folder exists and is writable".to_owned(),
        })
    }
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub path: String,
    pub rule: String,
    pub sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    version: u32,
    entries: Vec<BaselineEntry>,
}

/// A loaded baseline, with its text kept to point stale entries at their line.
#[derive(Debug, Default)]
pub struct Baseline {
    entries: BTreeSet<BaselineEntry>,
    text: String,
}

impl Baseline {
    /// Load `path`; `Ok(None)` when it does not exist.
    pub fn load(path: &Path) -> Result<Option<Baseline>, Error> {
        let shown = path.display().to_string();
        let text = match crate::shared::readfile::text(path, MAX_BYTES) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::Read { path: shown, source }),
        };
        Baseline::parse(&text, &shown).map(Some)
    }

    pub fn parse(text: &str, shown: &str) -> Result<Baseline, Error> {
        let file: BaselineFile = serde_json::from_str(text)
            .map_err(|e| Error::Invalid { path: shown.to_owned(), message: e.to_string() })?;
        if file.version != VERSION {
            return Err(Error::Invalid {
                path: shown.to_owned(),
                message: format!("version {} is not supported (this specgate writes version {VERSION})", file.version),
            });
        }
        for entry in &file.entries {
            if entry.sha256.len() != 64 || !entry.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::Invalid {
                    path: shown.to_owned(),
                    message: format!("entry for `{}` has a `sha256` that is not 64 hex digits", entry.path),
                });
            }
        }
        Ok(Baseline { entries: file.entries.into_iter().collect(), text: text.to_owned() })
    }

    pub fn contains(&self, entry: &BaselineEntry) -> bool {
        self.entries.contains(entry)
    }

    /// Entries in their stored (sorted) order.
    pub fn entries(&self) -> Vec<&BaselineEntry> {
        self.entries.iter().collect()
    }

    /// The 1-based line of the file where an entry's digest appears (1 if not found).
    pub fn line_of(&self, entry: &BaselineEntry) -> usize {
        self.text
            .find(&entry.sha256)
            .map_or(1, |offset| self.text[..offset].bytes().filter(|&b| b == b'\n').count() + 1)
    }
}

/// The text of a baseline file: sorted, deduplicated entries, one field per line, so merges
/// are line-wise and stable.
pub fn render(entries: &[BaselineEntry]) -> String {
    let sorted: BTreeSet<&BaselineEntry> = entries.iter().collect();
    let file = BaselineFile { version: VERSION, entries: sorted.into_iter().cloned().collect() };
    let mut text = serde_json::to_string_pretty(&file).expect("a baseline always serializes");
    text.push('\n');
    text
}

/// Write a baseline file (through a temporary file and a rename).
pub fn write(path: &Path, entries: &[BaselineEntry]) -> Result<(), Error> {
    let shown = path.display().to_string();
    let mut temporary = PathBuf::from(path);
    temporary.set_extension("json.tmp");
    std::fs::write(&temporary, render(entries))
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|source| Error::Write { path: shown, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, rule: &str, digit: char) -> BaselineEntry {
        BaselineEntry { path: path.to_owned(), rule: rule.to_owned(), sha256: digit.to_string().repeat(64) }
    }

    #[test]
    fn render_sorts_dedups_and_has_no_lines_or_times() {
        let text = render(&[entry("b.py", "jwt", 'b'), entry("a.py", "jwt", 'a'), entry("b.py", "jwt", 'b')]);
        let a = text.find("a.py").unwrap();
        let b = text.find("b.py").unwrap();
        assert!(a < b);
        assert_eq!(text.matches("b.py").count(), 1);
        assert!(!text.contains("line") && !text.contains("time") && !text.contains("date"));
        let parsed = Baseline::parse(&text, "x").unwrap();
        assert!(parsed.contains(&entry("a.py", "jwt", 'a')));
        assert_eq!(
            parsed.line_of(&entry("b.py", "jwt", 'b')),
            text[..text.find(&"b".repeat(64)).unwrap()].lines().count()
        );
    }

    #[test]
    fn invalid_files_are_errors() {
        for text in [
            "",
            "{}",
            "{\"version\": 2, \"entries\": []}",
            "{\"version\":1,\"entries\":[{\"path\":\"a\",\"rule\":\"r\",\"sha256\":\"zz\"}]}",
        ] {
            assert!(Baseline::parse(text, "b.json").is_err(), "{text}");
        }
    }

    #[test]
    fn a_baseline_is_read_only_as_a_regular_file_within_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("baseline.json");
        assert!(Baseline::load(&path).unwrap().is_none());
        assert!(std::process::Command::new("mkfifo").arg(&path).status().unwrap().success());
        let error = Baseline::load(&path).unwrap_err();
        let cause = std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default();
        assert!(cause.contains("FIFO"), "{error}: {cause}");
        assert!(error.hint().unwrap().contains("at most 16 MiB"), "{error:?}");
    }
}
