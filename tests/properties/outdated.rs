//! The answers `specgate outdated` and `update` read from the network (`pipeline::outdated`):
//! python.org's release list and release files, OSV advisories, release numbers and the
//! rebuild period. Whatever a server sends, parsing never panics, and what it keeps is what the
//! rules promise: only final releases, sorted; a fix that comes after the affected version.

use proptest::prelude::*;
use specgate::pipeline::outdated::releases::{self, Index};
use specgate::pipeline::outdated::version::Version;
use specgate::pipeline::outdated::{update, Advisories, Verdict};
use specgate::shared::artifact::stale::Period;
use specgate::shared::artifact::PythonVersion;

use crate::{bytes_from, config, text_from};

const JSON_PIECES: &[&str] = &[
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"",
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1e999",
    "\"name\": \"Python 3.11.9\"",
    "\"name\": \"Python 3.12.0rc2\"",
    "\"name\": \"Python 3.11.x\"",
    "\"pre_release\": false",
    "\"pre_release\": true",
    "\"is_published\": false",
    "\"release_date\": \"2024-04-02T12:00:00Z\"",
    "\"resource_uri\": \"https://www.python.org/api/v2/downloads/release/877/\"",
    "\"id\": \"PSF-2099-1\"",
    "\"withdrawn\": \"2099-01-01T00:00:00Z\"",
    "\"aliases\": [\"CVE-2099-1\"]",
    "\"affected\": [",
    "\"versions\": [\"3.11.2\"]",
    "\"ranges\": [",
    "\"type\": \"ECOSYSTEM\"",
    "\"type\": \"GIT\"",
    "\"events\": [",
    "{\"introduced\": \"0\"}",
    "{\"introduced\": \"3.11.0\"}",
    "{\"fixed\": \"3.11.5\"}",
    "{\"last_affected\": \"3.11.3\"}",
    "{\"limit\": \"*\"}",
    "\"package\": {\"name\": \"pip\"}",
    "\"is_source\": true",
    "\"url\": \"https://www.python.org/ftp/python/3.11.9/Python-3.11.9.tar.xz\"",
    "\"sha256_sum\": \"\"",
    "\"gpg_signature_file\": \"x.asc\"",
    "\"sigstore_bundle_file\": \"\"",
];

const VERSION_PIECES: &[&str] = &["3", "11", ".", "0", "00", "a", "b", "rc", "1", "999999", "9999999", "-", " ", "c"];

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_release_index_never_panics_and_keeps_only_final_releases(bytes in bytes_from(JSON_PIECES)) {
        if let Ok(index) = Index::parse(&bytes) {
            prop_assert!(!index.releases.is_empty());
            prop_assert!(index.releases.windows(2).all(|w| w[0].version < w[1].version));
        }
        let _ = releases::source_file(&bytes, PythonVersion::parse("3.11.9").unwrap());
    }

    #[test]
    fn advisories_never_panic_and_a_fix_comes_after_the_version(bytes in bytes_from(JSON_PIECES)) {
        let mut advisories = Advisories::default();
        advisories.add_document("fuzz.json", &bytes);
        advisories.finish();
        prop_assert!(advisories.unreadable.len() <= 5);
        for record in &advisories.records {
            prop_assert!(!record.id.is_empty() && record.summary.chars().count() <= 160);
            let verdict = record.verdict(PythonVersion::parse("3.11.2").unwrap());
            if let Verdict::Affected { fixed_in: Some(fix) } = verdict {
                prop_assert!(fix > Version::final_release(PythonVersion::parse("3.11.2").unwrap()));
            }
        }
    }

    #[test]
    fn versions_print_back_as_parsed(text in text_from(VERSION_PIECES)) {
        if let Some(version) = Version::parse(&text) {
            prop_assert_eq!(version.to_string(), text.clone());
        }
        if let Some(period) = Period::parse(&text) {
            let _ = period.after(20_000);
        }
    }

    #[test]
    fn a_pin_inserted_anywhere_keeps_every_other_byte(text in text_from(&["[build]\n", "[build.sources.\"3.11.2\"]\n", "# c\n", "\n", "sha256 = \"aa\"\n", "[limits]\n", "x = 1"])) {
        let block = "[build.sources.\"3.11.9\"]\nsha256 = \"bb\"\n";
        let edited = update::insert_block(&text, block);
        // A CRLF file gets the block with CRLF line ends.
        let block = if text.contains("\r\n") { block.replace('\n', "\r\n") } else { block.to_owned() };
        let block = block.as_str();
        prop_assert!(edited.contains(block));
        // Removing the block (and the blank lines added around it) gives the text back.
        let at = edited.find(block).unwrap();
        let (before, after) = (&edited[..at], &edited[at + block.len()..]);
        let rebuilt = format!("{}{}", before, after);
        let squeeze = |s: &str| s.split('\n').map(|l| l.trim_end_matches('\r')).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("\n");
        prop_assert_eq!(squeeze(&rebuilt), squeeze(&text));
    }
}
