//! The secret scanner: any bytes, under a path picked by the first byte (code, prose, .env,
//! lock file, archive member). Findings must not overlap, must sit on real lines, and must
//! never carry more than a preview of the secret.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use specgate::gate::scan::secrets::{scan_file, Scanner, SecretsConfig};

static CONFIG: LazyLock<SecretsConfig> = LazyLock::new(SecretsConfig::default);
static SCANNER: LazyLock<Scanner<'static>> = LazyLock::new(|| Scanner::new(&CONFIG));

const PATHS: &[&str] =
    &["config.py", ".env", "prod.env", "README.md", "settings.yaml", "Cargo.lock", "notes", "dist/app.tgz!etc/.env"];

fuzz_target!(|data: &[u8]| {
    let Some((&first, content)) = data.split_first() else {
        return;
    };
    let path = PATHS[usize::from(first) % PATHS.len()];
    let matches = SCANNER.scan(path, content);
    assert!(matches.len() <= content.len());
    for pair in matches.windows(2) {
        assert!(pair[0].end <= pair[1].start, "{pair:?}");
    }
    for m in &matches {
        assert!(m.anchor <= m.start && m.start < m.end && m.end <= content.len(), "{m:?}");
    }
    let lines = content.iter().filter(|b| **b == b'\n').count() + 1;
    for finding in scan_file(&SCANNER, path, content, None) {
        assert!((1..=lines).contains(&finding.line) && finding.column >= 1);
        assert!(finding.preview.ends_with("...") && finding.preview.chars().count() <= 7);
        assert!(finding.excerpt.text.chars().count() <= 200 && finding.excerpt.column >= 1);
    }
});
