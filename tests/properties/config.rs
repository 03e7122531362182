//! The configuration loader (`config`): any text, TOML or not, is a `Config` or an error that
//! names the file (with a line and column when the TOML itself is wrong), never a panic.

use std::path::Path;

use proptest::prelude::*;
use specgate::gate::scan::secrets::{scan_file, Scanner};
use specgate::shared::config::{Config, Error};

use crate::{config, text_from};

const TOML_PIECES: &[&str] = &[
    "[spec]\n",
    "[emoji]\n",
    "[severity]\n",
    "[artifacts]\n",
    "[tests]\n",
    "[hooks]\n",
    "[secrets]\n",
    "[build]\n",
    "[spec.types.adr]\n",
    "[spec.types.x]\n",
    "[spec.fields]\n",
    "[build.sources.\"3.12.6\"]\n",
    "[build.sources.\"3.15.0\"]\n",
    "[[secrets.rules]]\n",
    "[[secrets.rules]]\nid = \"x\"\nregex = \"k=([a-z]+)\"\nkeywords = [\"k=\"]\n",
    "roots = [\"docs\", \"./specs/\"]\n",
    "exclude = [\"**/*.md\", \"[\"]\n",
    "id-pattern = \"^X_[0-9]{3}$\"\n",
    "id-pattern = \"((\"\n",
    "required = [\"id\"]\n",
    "body-checks = true\n",
    "max-document-bytes = 0\n",
    "strict = true\n",
    "allow-paths = [\"tests/**\"]\n",
    "max-file-bytes = 18446744073709551615\n",
    "spec-missing-field = \"warn\"\n",
    "emoji-found = \"loud\"\n",
    "folder = \"../x\"\n",
    "ledger = \"/abs\"\n",
    "max-active = 0\n",
    "unpack-max-entries = 10\n",
    "critical = \" \"\n",
    "timeout-seconds = -1\n",
    "paths = [\"src/**\", \"{\"]\n",
    "spec-required-branches = [\"feature/*\"]\n",
    "allowed-os = [\"debian12\", \"Ubuntu\"]\n",
    "configure-flags = [\"--prefix={prefix}\"]\n",
    "modules = [\"a.b\", \"\"]\n",
    "sha256 = \"ab\"\n",
    "fingerprint = \"7169 605F\"\n",
    "public-key = \"k.asc\"\n",
    "sigstore-identity = \"a\"\n",
    "allow-unsigned = true\n",
    "regex = \"[\"\n",
    "keywords = [\"\"]\n",
    "entropy = nan\n",
    "secret-group = 7\n",
    "disable = [\"jwt\", \"nope\"]\n",
    "fields = { a = \"text\", b = \"nope\" }\n",
    "x = { y = [1, 2.5, true, \"s\", 1979-05-27] }\n",
    "\"quoted key\" = 1\n",
    "= \n",
    "[",
    "]",
    "\"",
    "'''",
    "\"\"\"",
    "#",
    "\\u00e9",
    "\\uD800",
];

const SECTIONS: &[&str] = &["spec", "emoji", "artifacts", "tests", "hooks", "secrets", "build"];
const VALUES: &[&str] = &["1", "\"s\"", "[]", "true"];

/// Every error names the file; a TOML error has a line and column inside the text.
fn check_error(error: &Error, text: &str) -> Result<(), TestCaseError> {
    let message = error.to_string();
    prop_assert!(message.contains("specgate.toml"), "{}", message);
    prop_assert!(error.hint().is_some());
    // No amplification: the message is the input at most once, plus words.
    prop_assert!(message.len() <= text.len() + 1024, "{} bytes from {} bytes", message.len(), text.len());
    if let Error::Parse { line, column, .. } = error {
        prop_assert!(*line >= 1 && *line <= text.matches('\n').count() + 1, "{}", message);
        prop_assert!(*column >= 1);
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    /// TOML-ish text: a `Config`, or an error naming the file; a `Config` builds a secret scanner
    /// that runs.
    #[test]
    fn any_text_is_a_config_or_a_clear_error(text in text_from(TOML_PIECES)) {
        match Config::parse(&text, Path::new("specgate.toml")) {
            Ok(config) => {
                let scanner = Scanner::new(&config.secrets);
                let findings = scan_file(&scanner, "x.env", text.as_bytes(), None);
                prop_assert!(findings.len() <= text.len());
            }
            Err(error) => check_error(&error, &text)?,
        }
    }

    /// Well-formed TOML with wrong keys, types or values: always an error that names the key
    /// or value at fault, never a silent default.
    #[test]
    fn unknown_keys_are_errors(
        section in proptest::sample::select(SECTIONS),
        key in "[a-z][a-z-]{0,15}",
        value in proptest::sample::select(VALUES),
    ) {
        const KNOWN: &[&str] = &[
            "roots", "require-front-matter", "exclude", "components", "max-document-bytes", "fields", "types",
            "strict", "allow-paths", "max-file-bytes", "folder", "ledger", "max-active", "unpack-max-entries",
            "unpack-max-bytes", "critical", "timeout-seconds", "paths", "tail-lines", "spec-required-branches",
            "spec-folders", "pre-commit-tests", "disable", "baseline", "rules", "allowed-os", "configure-flags",
            "modules", "packages", "container-engine", "container-image", "sigstore-trusted-root", "sources",
        ];
        prop_assume!(!KNOWN.contains(&key.as_str()));
        let text = format!("[{section}]\n{key} = {value}\n");
        let error = Config::parse(&text, Path::new("specgate.toml")).expect_err("an unknown key is an error");
        check_error(&error, &text)?;
        prop_assert!(error.to_string().contains(&key), "{}", error);
    }
}
