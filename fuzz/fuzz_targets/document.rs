//! The document scanner: any UTF-8 text read as a governed Markdown document. A panic, or a
//! position outside the text, is a finding.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use specgate::shared::config::Config;
use specgate::shared::diag::SourceFile;
use specgate::gate::spec::document::Document;

/// The default id pattern, compiled once.
static ANY_ID: LazyLock<regex::Regex> = LazyLock::new(|| Config::defaults().spec.any_id);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let document = Document::parse(SourceFile::new("specs/FUZZ.md", text.to_owned()), &ANY_ID);
    let lines = document.source.line_count();
    let body = &document.body;
    assert!(body.headings.iter().all(|h| (1..=lines).contains(&h.line) && (1..=6).contains(&h.level)));
    assert!(body.code_blocks.iter().all(|b| b.line >= 1 && b.line + b.length <= lines));
    assert!(body.definitions.iter().all(|d| (1..=lines).contains(&d.position.line)));
    assert!(body.mentions.iter().all(|m| (1..=lines).contains(&m.position.line)));
    assert!(body.mentions.len() <= text.len() && body.definitions.len() <= lines);
    assert!(body.misplaced_front_matter.is_none_or(|line| (1..=lines).contains(&line)));
});
