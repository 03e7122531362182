//! `specgate update --python X.Y`: the `[build.sources."X.Y.Z"]` pin of the newest patch release
//! of a line, from python.org's release files, and the byte-stable edit of specgate.toml that
//! adds it.
//!
//! Owns the choice of signature (the release manager of each line, as python.org publishes them
//! under /downloads/metadata/pgp and /downloads/metadata/sigstore) and the text of the pin. A
//! release specgate could not verify at build time (no SHA-256, no signature it knows the
//! signer of) is refused here rather than pinned.

use super::releases::SourceFile;
use super::Error;
use crate::shared::artifact::PythonVersion;

/// The signers of a version line.
struct Signer {
    line: (u32, u32),
    /// The release manager's OpenPGP fingerprint (none from 3.14: Sigstore only).
    openpgp: Option<&'static str>,
    /// Sigstore identity and issuer.
    sigstore: (&'static str, &'static str),
}

const GOOGLE: &str = "https://accounts.google.com";
const GITHUB: &str = "https://github.com/login/oauth";

/// python.org/downloads/metadata/pgp and /sigstore. A line missing here is refused: its signer
/// must be checked by a person once, then added.
const SIGNERS: &[Signer] = &[
    Signer {
        line: (3, 10),
        openpgp: Some("A035C8C19219BA821ECEA86B64E628F8D684696D"),
        sigstore: ("pablogsal@python.org", GOOGLE),
    },
    Signer {
        line: (3, 11),
        openpgp: Some("A035C8C19219BA821ECEA86B64E628F8D684696D"),
        sigstore: ("pablogsal@python.org", GOOGLE),
    },
    Signer {
        line: (3, 12),
        openpgp: Some("7169605F62C751356D054A26A821E680E5FA6305"),
        sigstore: ("thomas@python.org", GOOGLE),
    },
    Signer {
        line: (3, 13),
        openpgp: Some("7169605F62C751356D054A26A821E680E5FA6305"),
        sigstore: ("thomas@python.org", GOOGLE),
    },
    Signer { line: (3, 14), openpgp: None, sigstore: ("hugo@python.org", GITHUB) },
    Signer { line: (3, 15), openpgp: None, sigstore: ("hugo@python.org", GITHUB) },
];

/// The signature a pin requires.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signature {
    OpenPgp { fingerprint: String, public_key: String, signature_url: Option<String> },
    Sigstore { identity: String, issuer: String },
}

/// A pin ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    pub version: PythonVersion,
    pub sha256: String,
    pub url: String,
    pub signature: Signature,
}

/// Where a line's OpenPGP key is kept in the repository.
pub fn key_path(fingerprint: &str) -> String {
    format!("keys/python-release-{fingerprint}.asc")
}

/// The pin of `version` from its source file. `key_exists` says whether a key file (relative
/// to the repository root) is present: an OpenPGP pin needs the release manager's key in
/// `keys/`; without it, the Sigstore bundle is used when python.org publishes one.
pub fn choose(version: PythonVersion, file: &SourceFile, key_exists: impl Fn(&str) -> bool) -> Result<Pin, Error> {
    let refuse = |reason: String| Error::Unverifiable { version, reason };
    if file.sha256.is_empty() {
        return Err(refuse(format!("python.org publishes no SHA-256 for `{}`", file.url)));
    }
    if file.sha256.len() != 64 || !file.sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(refuse(format!(
            "the SHA-256 python.org lists for `{}` is not 64 hexadecimal digits (`{}`)",
            file.url,
            file.sha256.chars().take(80).collect::<String>()
        )));
    }
    let Some(signer) = SIGNERS.iter().find(|s| s.line == (version.major, version.minor)) else {
        return Err(refuse(format!(
            "specgate does not know the release manager who signs {}; it knows {}",
            version.line(),
            SIGNERS.iter().map(|s| format!("{}.{}", s.line.0, s.line.1)).collect::<Vec<_>>().join(", ")
        )));
    };
    let sigstore_at = format!("{}.sigstore", file.url);
    let sigstore = || {
        (file.sigstore_bundle == sigstore_at).then(|| Signature::Sigstore {
            identity: signer.sigstore.0.to_owned(),
            issuer: signer.sigstore.1.to_owned(),
        })
    };
    let openpgp = signer.openpgp.filter(|_| !file.gpg_signature.is_empty()).and_then(|fingerprint| {
        let public_key = key_path(fingerprint);
        key_exists(&public_key).then(|| Signature::OpenPgp {
            fingerprint: fingerprint.to_owned(),
            signature_url: (file.gpg_signature != format!("{}.asc", file.url)).then(|| file.gpg_signature.clone()),
            public_key,
        })
    });
    let signature = openpgp.or_else(sigstore).ok_or_else(|| {
        let mut missing = Vec::new();
        match signer.openpgp {
            Some(_) if file.gpg_signature.is_empty() => missing.push("python.org lists no `.asc` signature".to_owned()),
            Some(fingerprint) => {
                missing.push(format!("the release manager's key `{}` is not in the repository", key_path(fingerprint)))
            }
            None => missing.push(format!("{} is signed with Sigstore only", version.line())),
        }
        if file.sigstore_bundle.is_empty() {
            missing.push("python.org lists no Sigstore bundle".to_owned());
        } else if file.sigstore_bundle != sigstore_at {
            missing.push(format!(
                "its Sigstore bundle is at `{}`, not at `{sigstore_at}` where the build looks for it",
                file.sigstore_bundle
            ));
        }
        refuse(missing.join("; "))
    })?;
    Ok(Pin { version, sha256: file.sha256.clone(), url: file.url.clone(), signature })
}

/// The TOML of a pin, preceded by a comment saying where it came from.
pub fn pin_block(pin: &Pin, today: &str) -> String {
    let mut text = format!(
        "# Pinned by `specgate update --python {}` on {today} from python.org's release files.\n[build.sources.\"{}\"]\nsha256 = \"{}\"\nurl = \"{}\"\n",
        pin.version.line(),
        pin.version,
        pin.sha256,
        toml_escape(&pin.url)
    );
    match &pin.signature {
        Signature::OpenPgp { fingerprint, public_key, signature_url } => {
            if let Some(url) = signature_url {
                text.push_str(&format!("signature-url = \"{}\"\n", toml_escape(url)));
            }
            text.push_str(&format!("public-key = \"{public_key}\"\nfingerprint = \"{fingerprint}\"\n"));
        }
        Signature::Sigstore { identity, issuer } => {
            text.push_str(&format!("sigstore-identity = \"{identity}\"\nsigstore-issuer = \"{issuer}\"\n"));
        }
    }
    text
}

fn toml_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            c if c.is_control() => format!("\\u{:04X}", c as u32).chars().collect(),
            c => vec![c],
        })
        .collect()
}

/// `text` with `block` inserted after the last `[build.sources."..."]` table (before the
/// comments that lead into the next table), or at the end; every other byte is kept.
pub fn insert_block(text: &str, block: &str) -> String {
    // A file written with CRLF line ends gets a block with CRLF too.
    let converted;
    let block = if text.contains("\r\n") {
        converted = block.replace('\n', "\r\n");
        converted.as_str()
    } else {
        block
    };
    let lines: Vec<(usize, &str)> = line_starts(text);
    let is_header = |line: &str| line.trim_start().starts_with('[');
    let last_pin = lines.iter().rposition(|(_, line)| line.trim_start().starts_with("[build.sources."));
    let at = last_pin.and_then(|pin| {
        let next = (pin + 1..lines.len()).find(|&i| is_header(lines[i].1))?;
        // Keep the comments and blank lines above the next header with it.
        let mut end = next;
        while end > pin + 1 && {
            let line = lines[end - 1].1.trim();
            line.is_empty() || line.starts_with('#')
        } {
            end -= 1;
        }
        Some(lines[end].0)
    });
    match at {
        Some(offset) => {
            let (before, after) = text.split_at(offset);
            let gap = if before.ends_with("\n\n") || before.ends_with("\n\r\n") { "" } else { line_end(text) };
            let tail = if after.starts_with('\n') || after.starts_with("\r\n") { "" } else { line_end(text) };
            format!("{before}{gap}{block}{tail}{after}")
        }
        None => {
            let gap = if text.is_empty() || text.ends_with("\n\n") {
                ""
            } else if text.ends_with('\n') {
                "\n"
            } else {
                "\n\n"
            };
            format!("{text}{gap}{block}")
        }
    }
}

fn line_end(text: &str) -> &'static str {
    if text.contains("\r\n") {
        "\r\n"
    } else {
        "\n"
    }
}

/// Each line's byte offset and text (without its line break).
fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        out.push((offset, line.trim_end_matches(['\n', '\r'])));
        offset += line.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn file(version: &str, sha: &str, asc: bool, sigstore: bool) -> SourceFile {
        let url = format!("https://www.python.org/ftp/python/{version}/Python-{version}.tar.xz");
        SourceFile {
            sha256: sha.to_owned(),
            gpg_signature: if asc { format!("{url}.asc") } else { String::new() },
            sigstore_bundle: if sigstore { format!("{url}.sigstore") } else { String::new() },
            url,
        }
    }

    fn v(text: &str) -> PythonVersion {
        PythonVersion::parse(text).unwrap()
    }

    #[test]
    fn the_signature_follows_the_line_and_the_keys_at_hand() {
        let sha = "ab".repeat(32);
        let with_key = |_: &str| true;
        let without_key = |_: &str| false;
        let pin = choose(v("3.13.7"), &file("3.13.7", &sha, true, true), with_key).unwrap();
        assert_eq!(
            pin.signature,
            Signature::OpenPgp {
                fingerprint: "7169605F62C751356D054A26A821E680E5FA6305".to_owned(),
                public_key: "keys/python-release-7169605F62C751356D054A26A821E680E5FA6305.asc".to_owned(),
                signature_url: None
            }
        );
        let pin = choose(v("3.11.9"), &file("3.11.9", &sha, true, true), without_key).unwrap();
        assert_eq!(
            pin.signature,
            Signature::Sigstore { identity: "pablogsal@python.org".to_owned(), issuer: GOOGLE.to_owned() }
        );
        let pin = choose(v("3.14.2"), &file("3.14.2", &sha, false, true), with_key).unwrap();
        assert_eq!(
            pin.signature,
            Signature::Sigstore { identity: "hugo@python.org".to_owned(), issuer: GITHUB.to_owned() }
        );
    }

    #[test]
    fn a_pin_that_cannot_be_verified_is_refused() {
        let sha = "ab".repeat(32);
        for (version, source, needle) in [
            ("3.11.9", file("3.11.9", "", true, true), "publishes no SHA-256"),
            ("3.11.9", file("3.11.9", "xyz", true, true), "not 64 hexadecimal"),
            ("3.11.9", file("3.11.9", &sha, true, false), "key `keys/python-release-A035C8C19219BA821ECEA86B64E628F8D684696D.asc` is not in the repository; python.org lists no Sigstore bundle"),
            ("3.14.1", file("3.14.1", &sha, true, false), "signed with Sigstore only; python.org lists no Sigstore bundle"),
            ("3.9.20", file("3.9.20", &sha, true, true), "does not know the release manager who signs 3.9"),
        ] {
            let error = choose(v(version), &source, |_| false).unwrap_err();
            assert!(error.to_string().contains(needle), "{version}: {error}");
            assert!(error.hint().unwrap().contains("Manual fallback"));
        }
        let mut moved = file("3.14.1", &sha, false, true);
        moved.sigstore_bundle = "https://elsewhere.example/b.sigstore".to_owned();
        assert!(choose(v("3.14.1"), &moved, |_| true).unwrap_err().to_string().contains("where the build looks"));
    }

    #[test]
    fn the_pin_goes_after_the_last_source_and_every_other_byte_stays() {
        let text = "# top comment\n[build]\nallowed-os = [\"debian12\"]  # BR-001\n\n# the old pin\n[build.sources.\"3.11.2\"]\nsha256 = \"aa\"\n\n# limits follow\n[limits]\ngpg-timeout-seconds = 60\n";
        let block = "[build.sources.\"3.11.9\"]\nsha256 = \"bb\"\n";
        let edited = insert_block(text, block);
        assert_eq!(
            edited,
            "# top comment\n[build]\nallowed-os = [\"debian12\"]  # BR-001\n\n# the old pin\n[build.sources.\"3.11.2\"]\nsha256 = \"aa\"\n\n[build.sources.\"3.11.9\"]\nsha256 = \"bb\"\n\n# limits follow\n[limits]\ngpg-timeout-seconds = 60\n"
        );
        assert_eq!(insert_block("", block), block);
        let crlf = "[build.sources.\"3.11.2\"]\r\nsha256 = \"aa\"\r\n\r\n[limits]\r\n";
        assert_eq!(
            insert_block(crlf, block),
            "[build.sources.\"3.11.2\"]\r\nsha256 = \"aa\"\r\n\r\n[build.sources.\"3.11.9\"]\r\nsha256 = \"bb\"\r\n\r\n[limits]\r\n"
        );
        assert_eq!(
            insert_block("[build.sources.\"3.11.2\"]\nsha256 = \"aa\"\n[limits]\n", block),
            format!("[build.sources.\"3.11.2\"]\nsha256 = \"aa\"\n\n{block}\n[limits]\n")
        );
        assert_eq!(insert_block("[spec]\nroots = [\"docs\"]", block), format!("[spec]\nroots = [\"docs\"]\n\n{block}"));
        assert_eq!(
            insert_block("[build.sources.\"3.11.2\"]\nsha256 = \"aa\"\n", block),
            format!("[build.sources.\"3.11.2\"]\nsha256 = \"aa\"\n\n{block}")
        );
    }

    #[test]
    fn the_written_pin_is_a_valid_source() {
        let sha = "ab".repeat(32);
        for (version, key) in [("3.13.7", true), ("3.14.2", false)] {
            let pin = choose(v(version), &file(version, &sha, key, true), |_| key).unwrap();
            let text = insert_block("[build]\nallowed-os = [\"debian12\"]\n", &pin_block(&pin, "2026-01-05"));
            let config = crate::shared::config::Config::parse(&text, Path::new("specgate.toml")).unwrap();
            assert_eq!(config.build.sources[version].sha256, sha);
            assert!(text.contains("# Pinned by `specgate update --python"), "{text}");
        }
    }
}
