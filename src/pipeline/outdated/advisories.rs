//! The PSF's security advisories for CPython in OSV format (github.com/psf/advisory-database,
//! https://ossf.github.io/osv-schema/): which records affect a version, and the release that
//! fixes it.
//!
//! Read as untrusted JSON. A record is used when it has an `id`, is not `withdrawn`, and its
//! `affected` entries are for CPython (no `package`, or a package named `cpython`). A version is
//! affected when an entry lists it in `versions`, or when an `ECOSYSTEM` or `SEMVER` range's
//! events (sorted by version, as OSV evaluates them) leave it inside a range. `GIT` ranges name
//! commits, which cannot be compared with a release number without the CPython history; a
//! record that gives nothing else is counted as not evaluated, never taken as "not affected"
//! silently.

use serde_json::Value;

use super::version::Version;
use crate::shared::artifact::PythonVersion;

/// One advisory, reduced to what `specgate outdated` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    /// `PSF-2023-8`.
    pub id: String,
    /// CVE ids among the aliases.
    pub cves: Vec<String>,
    /// The summary, one line, at most 160 characters.
    pub summary: String,
    affected: Vec<Affected>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Affected {
    versions: Vec<String>,
    /// Evaluable ranges: events sorted by version.
    ranges: Vec<Vec<Event>>,
    /// Ranges that could not be evaluated (GIT, or versions that do not parse).
    opaque_ranges: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Event {
    /// `introduced: "0"` is `Introduced(None)`: from the first release.
    Introduced(Option<Version>),
    Fixed(Version),
    LastAffected(Version),
    Limit(Version),
}

impl Event {
    fn version(&self) -> Option<Version> {
        match *self {
            Event::Introduced(v) => v,
            Event::Fixed(v) | Event::LastAffected(v) | Event::Limit(v) => Some(v),
        }
    }
}

/// What an advisory says about one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Affected {
        /// The first release that fixes it on the version's own line, else the first after it.
        fixed_in: Option<Version>,
    },
    NotAffected,
    /// Only ranges specgate cannot evaluate (git commits).
    Unknown,
}

/// A set of advisories and what was passed over while reading them.
#[derive(Debug, Clone, Default)]
pub struct Advisories {
    pub records: Vec<Advisory>,
    pub withdrawn: usize,
    /// Files or members that are not an OSV record (with the first few reasons).
    pub unreadable: Vec<String>,
    pub unreadable_count: usize,
    /// Records about another package (pip, for example).
    pub other_packages: usize,
}

impl Advisories {
    /// Add the records of one JSON document: one OSV record, or a list of them. `origin` names
    /// the file for the reasons kept in `unreadable`.
    pub fn add_document(&mut self, origin: &str, bytes: &[u8]) {
        let value: Value = match serde_json::from_slice(bytes) {
            Ok(value) => value,
            Err(error) => return self.unreadable(origin, &format!("not JSON ({error})")),
        };
        match value {
            Value::Array(items) => {
                for (index, item) in items.iter().enumerate() {
                    self.add_record(&format!("{origin}[{index}]"), item);
                }
            }
            item => self.add_record(origin, &item),
        }
    }

    /// Count a file that could not be read at all (too large, not a regular file).
    pub fn unreadable_file(&mut self, origin: &str, reason: &str) {
        self.unreadable(origin, reason);
    }

    fn unreadable(&mut self, origin: &str, reason: &str) {
        self.unreadable_count += 1;
        if self.unreadable.len() < 5 {
            let origin: String = origin.chars().take(120).collect();
            self.unreadable.push(format!("`{origin}`: {reason}"));
        }
    }

    fn add_record(&mut self, origin: &str, value: &Value) {
        let Value::Object(object) = value else {
            return self.unreadable(origin, "not a JSON object");
        };
        let Some(id) = object.get("id").and_then(Value::as_str).filter(|id| is_identifier(id)) else {
            return self.unreadable(origin, "no usable `id`");
        };
        // OSV: `withdrawn` is the time the record was withdrawn; any value means it no longer
        // applies.
        if object.get("withdrawn").is_some_and(|w| !w.is_null()) {
            self.withdrawn += 1;
            return;
        }
        let Some(Value::Array(entries)) = object.get("affected") else {
            return self.unreadable(origin, "no `affected` list");
        };
        let mut affected = Vec::new();
        let mut foreign = false;
        for entry in entries {
            let Value::Object(entry) = entry else { continue };
            if let Some(package) = entry.get("package") {
                let name = package.get("name").and_then(Value::as_str).unwrap_or("");
                if !name.eq_ignore_ascii_case("cpython") {
                    foreign = true;
                    continue;
                }
            }
            affected.push(Affected::read(entry));
        }
        if affected.is_empty() {
            if foreign {
                self.other_packages += 1;
            } else {
                self.unreadable(origin, "no `affected` entry for CPython");
            }
            return;
        }
        let cves = match object.get("aliases") {
            Some(Value::Array(aliases)) => aliases
                .iter()
                .filter_map(Value::as_str)
                .filter(|a| a.starts_with("CVE-") && is_identifier(a))
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let summary = object
            .get("summary")
            .and_then(Value::as_str)
            .or_else(|| object.get("details").and_then(Value::as_str))
            .unwrap_or("")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let summary = if summary.chars().count() > 160 {
            format!("{}...", summary.chars().take(157).collect::<String>())
        } else {
            summary
        };
        self.records.push(Advisory { id: id.to_owned(), cves, summary, affected });
    }

    /// Sort by id and drop repeated ids (a folder and a list may both hold a record).
    pub fn finish(&mut self) {
        self.records.sort_by(|a, b| a.id.cmp(&b.id));
        self.records.dedup_by(|a, b| a.id == b.id);
    }
}

/// Ids and aliases are printed in findings: letters, digits, `-`, `_`, `.`, `:` only.
fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

impl Affected {
    fn read(entry: &serde_json::Map<String, Value>) -> Affected {
        let versions = match entry.get("versions") {
            Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        let mut ranges = Vec::new();
        let mut opaque_ranges = 0;
        if let Some(Value::Array(list)) = entry.get("ranges") {
            for range in list {
                let kind = range.get("type").and_then(Value::as_str).unwrap_or("");
                let events = match range.get("events") {
                    Some(Value::Array(events)) if matches!(kind, "ECOSYSTEM" | "SEMVER") => read_events(events),
                    _ => None,
                };
                match events {
                    Some(events) => ranges.push(events),
                    None => opaque_ranges += 1,
                }
            }
        }
        Affected { versions, ranges, opaque_ranges }
    }
}

/// The events of a range sorted by version; `None` when one of them cannot be read.
fn read_events(events: &[Value]) -> Option<Vec<Event>> {
    let mut out = Vec::new();
    for event in events {
        let Value::Object(event) = event else { return None };
        if event.len() != 1 {
            return None;
        }
        let (key, value) = event.iter().next()?;
        let text = value.as_str()?;
        let event = match key.as_str() {
            "introduced" if text == "0" => Event::Introduced(None),
            "introduced" => Event::Introduced(Some(Version::parse(text)?)),
            "fixed" => Event::Fixed(Version::parse(text)?),
            "last_affected" => Event::LastAffected(Version::parse(text)?),
            "limit" if text == "*" => continue,
            "limit" => Event::Limit(Version::parse(text)?),
            _ => return None,
        };
        out.push(event);
    }
    // `None` (introduced "0") sorts first; at one version, an introduction comes first.
    out.sort_by_key(|e| (e.version(), !matches!(e, Event::Introduced(_))));
    (!out.is_empty()).then_some(out)
}

impl Advisory {
    /// Whether this advisory affects `version`, and which release fixes it.
    pub fn verdict(&self, version: PythonVersion) -> Verdict {
        let target = Version::final_release(version);
        let mut evaluated = false;
        for affected in &self.affected {
            if affected.versions.iter().any(|v| Version::parse(v) == Some(target)) {
                return Verdict::Affected { fixed_in: fixed_in(&affected.ranges, target) };
            }
            evaluated |= !affected.versions.is_empty();
            for events in &affected.ranges {
                evaluated = true;
                if in_range(events, target) {
                    return Verdict::Affected { fixed_in: fixed_in(&affected.ranges, target) };
                }
            }
        }
        let opaque = self.affected.iter().any(|a| a.opaque_ranges > 0);
        if evaluated || !opaque {
            Verdict::NotAffected
        } else {
            Verdict::Unknown
        }
    }
}

/// OSV's evaluation: walk the sorted events; `introduced` opens a range, `fixed` and `limit`
/// close it before their version, `last_affected` after it.
fn in_range(events: &[Event], target: Version) -> bool {
    let mut affected = false;
    for event in events {
        match *event {
            Event::Introduced(None) => affected = true,
            Event::Introduced(Some(v)) if target >= v => affected = true,
            Event::Fixed(v) | Event::Limit(v) if target >= v => affected = false,
            Event::LastAffected(v) if target > v => affected = false,
            _ => {}
        }
    }
    affected
}

/// The first final `fixed` release after `target` on its own line, else the first after it.
fn fixed_in(ranges: &[Vec<Event>], target: Version) -> Option<Version> {
    let fixes = ranges.iter().flatten().filter_map(|e| match *e {
        Event::Fixed(v) if v > target => Some(v),
        _ => None,
    });
    let mut fixes: Vec<Version> = fixes.collect();
    fixes.sort();
    let same_line = |v: &Version| v.release.major == target.release.major && v.release.minor == target.release.minor;
    fixes.iter().copied().find(|v| same_line(v) && v.is_final()).or_else(|| fixes.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(text: &str) -> PythonVersion {
        PythonVersion::parse(text).unwrap()
    }

    const TLS: &str = r#"{
      "id": "PSF-2023-8", "aliases": ["CVE-2023-40217"], "summary": "TLS handshake bypass\non closed sockets",
      "affected": [{"ranges": [
        {"type": "GIT", "repo": "https://github.com/python/cpython", "events": [{"introduced": "0"}, {"fixed": "b4bcc06a"}]},
        {"type": "ECOSYSTEM", "events": [
          {"introduced": "0"}, {"fixed": "3.8.18"}, {"introduced": "3.9.0"}, {"fixed": "3.9.18"},
          {"introduced": "3.11.0"}, {"fixed": "3.11.5"}, {"introduced": "3.12.0a1"}, {"fixed": "3.12.0rc2"}
        ]}
      ]}]
    }"#;

    fn read(json: &str) -> Advisories {
        let mut advisories = Advisories::default();
        advisories.add_document("test.json", json.as_bytes());
        advisories.finish();
        advisories
    }

    #[test]
    fn ecosystem_ranges_decide_and_name_the_fix_on_the_same_line() {
        let advisories = read(TLS);
        let advisory = &advisories.records[0];
        assert_eq!(advisory.cves, ["CVE-2023-40217"]);
        assert_eq!(advisory.summary, "TLS handshake bypass on closed sockets");
        let fixed = |text: &str| Verdict::Affected { fixed_in: Version::parse(text) };
        assert_eq!(advisory.verdict(v("3.11.2")), fixed("3.11.5"));
        assert_eq!(advisory.verdict(v("3.11.5")), Verdict::NotAffected);
        assert_eq!(advisory.verdict(v("3.9.17")), fixed("3.9.18"));
        // 3.10 is between the 3.9 fix and the 3.11 introduction in this (shortened) record.
        assert_eq!(advisory.verdict(v("3.10.4")), Verdict::NotAffected);
        assert_eq!(advisory.verdict(v("3.12.0")), Verdict::NotAffected);
        assert_eq!(advisory.verdict(v("3.7.1")), fixed("3.8.18"));
    }

    #[test]
    fn listed_versions_last_affected_and_limits_count() {
        let listed = read(r#"{"id": "PSF-2024-1", "affected": [{"versions": ["3.11.2", "3.11.3"]}]}"#);
        assert_eq!(listed.records[0].verdict(v("3.11.2")), Verdict::Affected { fixed_in: None });
        assert_eq!(listed.records[0].verdict(v("3.11.4")), Verdict::NotAffected);
        let last = read(
            r#"{"id": "X-1", "affected": [{"package": {"ecosystem": "GIT", "name": "CPython"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "3.11.0"}, {"last_affected": "3.11.3"}]}]}]}"#,
        );
        assert_eq!(last.records[0].verdict(v("3.11.3")), Verdict::Affected { fixed_in: None });
        assert_eq!(last.records[0].verdict(v("3.11.4")), Verdict::NotAffected);
        let limit = read(
            r#"{"id": "X-2", "affected": [{"ranges": [{"type": "ECOSYSTEM", "events": [{"limit": "3.11.6"}, {"introduced": "3.11.0"}]}]}]}"#,
        );
        assert_eq!(limit.records[0].verdict(v("3.11.5")), Verdict::Affected { fixed_in: None });
        assert_eq!(limit.records[0].verdict(v("3.11.6")), Verdict::NotAffected);
    }

    #[test]
    fn withdrawn_foreign_git_only_and_broken_records_are_counted_not_used() {
        let mut advisories = Advisories::default();
        advisories.add_document(
            "list.json",
            br#"[
              {"id": "PSF-2023-1", "withdrawn": "2023-09-01T00:00:00Z", "affected": [{"versions": ["3.11.2"]}]},
              {"id": "PSF-2023-2", "affected": [{"package": {"ecosystem": "PyPI", "name": "pip"}, "versions": ["23.0"]}]},
              {"id": "PSF-2019-13", "affected": [{"ranges": [{"type": "GIT", "events": [{"introduced": "0"}, {"fixed": "070fae6d"}]}]}]},
              {"id": "PSF-2023-3", "affected": [{"ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "3.11.x"}]}]}]},
              {"id": "bad id with spaces", "affected": []},
              {"id": "PSF-2023-4"},
              42
            ]"#,
        );
        advisories.add_document("broken.json", b"{\"id\": ");
        advisories.finish();
        assert_eq!(advisories.withdrawn, 1);
        assert_eq!(advisories.other_packages, 1);
        assert_eq!(advisories.unreadable_count, 4, "{:?}", advisories.unreadable);
        let ids: Vec<&str> = advisories.records.iter().map(|a| a.id.as_str()).collect();
        assert_eq!(ids, ["PSF-2019-13", "PSF-2023-3"]);
        for record in &advisories.records {
            assert_eq!(record.verdict(v("3.11.2")), Verdict::Unknown, "{}", record.id);
        }
    }
}
