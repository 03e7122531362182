//! The front-matter reader: `locate` on any text, then `parse` of the block it finds and of the
//! whole text. Errors are fine; a panic, a position outside the text or a field list larger than
//! the text is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use specgate::gate::spec::frontmatter::{self, Block};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Block::Closed { yaml, first_line, body_offset, yaml_offset } = frontmatter::locate(text) {
        assert!(yaml_offset <= body_offset && body_offset <= text.len());
        assert_eq!(&text[yaml_offset..yaml_offset + yaml.len()], yaml);
        check(yaml, first_line);
    }
    if text.is_empty() || text.ends_with('\n') {
        check(text, 7);
    }
});

/// Parse `yaml` as a block starting at `first_line` and check the positions and sizes.
fn check(yaml: &str, first_line: usize) {
    let bytes = yaml.as_bytes();
    let breaks = bytes
        .iter()
        .enumerate()
        .filter(|(i, b)| **b == b'\n' || (**b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
        .count();
    let lines = first_line..=first_line + breaks;
    match frontmatter::parse(yaml, first_line) {
        Ok(front) => {
            assert!(front.fields.len() <= yaml.len());
            for field in &front.fields {
                assert!(lines.contains(&field.key_position.line), "{:?} outside {lines:?}", field.key_position);
                assert!(lines.contains(&field.value.position().line), "{:?} outside {lines:?}", field.value);
            }
        }
        Err(error) => {
            assert!(lines.contains(&error.position.line), "{error:?} outside {lines:?}");
            assert!(error.position.column >= 1);
        }
    }
}
