//! The front-matter reader (`spec::frontmatter`): locating the block, reading its YAML with
//! positions, control characters, nesting, aliases and size.

use proptest::prelude::*;
use specgate::gate::spec::frontmatter::{self, Block, FrontMatter, Value, YamlErrorKind};

use crate::{config, line_column, text_from};

const YAML_PIECES: &[&str] = &[
    "---\n",
    "...\n",
    "id: SPEC_X_001\n",
    "version: 1.10\n",
    "key: value\n",
    "a:\n",
    "  - item\n",
    "  b: c\n",
    "? complex\n",
    ": value\n",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "- ",
    "&anchor ",
    "*anchor",
    "!!str ",
    "!tag ",
    "\"quoted \\x41 \\L \\u263A\"",
    "'single ''quoted'''",
    "|\n  literal\n",
    ">-\n  folded\n",
    "# comment\n",
    "%YAML 1.2\n",
    "  ",
    "\t",
];

/// Line breaks as YAML counts them: a line feed, or a carriage return not followed by one.
fn line_breaks(text: &str) -> usize {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().filter(|(i, b)| **b == b'\n' || (**b == b'\r' && bytes.get(i + 1) != Some(&b'\n'))).count()
}

/// Every scalar text of a front-matter (keys included), in bytes.
fn scalar_bytes(front: &FrontMatter) -> usize {
    front
        .fields
        .iter()
        .map(|field| {
            field.key.len()
                + match &field.value {
                    Value::Scalar(s) => s.text.len(),
                    Value::List { items, .. } => items.iter().flatten().map(|s| s.text.len()).sum(),
                    Value::Mapping { .. } | Value::Alias { .. } => 0,
                }
        })
        .sum()
}

/// A YAML key: a plain name.
fn key() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,12}"
}

/// Accented and CJK letters, a no-break space and a tab.
const OTHER_CHARACTERS: &[char] = &['\u{e9}', '\u{f1}', '\u{4e2d}', '\u{416}', '\u{a0}', '\t'];

/// A scalar value written double-quoted: any printable text, including quotes and backslashes.
fn quoted_value() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            8 => proptest::char::range(' ', '~'),
            1 => proptest::sample::select(OTHER_CHARACTERS),
        ],
        0..40,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn double_quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

proptest! {
    #![proptest_config(config(256))]

    /// Any text: `locate` finds the block only at byte 0, with offsets that slice the text.
    #[test]
    fn locate_slices_the_text_it_was_given(text in text_from(YAML_PIECES)) {
        match frontmatter::locate(&text) {
            Block::Absent => {
                let rest = text.strip_prefix('\u{feff}').unwrap_or(&text);
                prop_assert!(!rest.starts_with("---\n") && !rest.starts_with("---\r\n"));
            }
            Block::Unclosed => {}
            Block::Closed { yaml, first_line, body_offset, yaml_offset } => {
                prop_assert_eq!(first_line, 2);
                prop_assert!(yaml_offset <= body_offset && body_offset <= text.len());
                prop_assert_eq!(&text[yaml_offset..yaml_offset + yaml.len()], yaml);
                let opening = text[..yaml_offset].strip_prefix('\u{feff}').unwrap_or(&text[..yaml_offset]);
                prop_assert!(opening == "---\n" || opening == "---\r\n", "{:?}", opening);
                // The block ends at the first closing fence: no fence line inside it.
                for line in yaml.split_inclusive('\n') {
                    let content = line.trim_end_matches(['\n', '\r']).trim_end_matches([' ', '\t']);
                    prop_assert!(content != "---" && content != "...", "{:?}", yaml);
                }
            }
        }
    }

    /// Any text: `parse` returns fields or an error, never panics; positions stay inside the
    /// block; the fields hold no more text than the block had (no alias expansion).
    #[test]
    fn parse_is_total_and_bounded(yaml in text_from(YAML_PIECES), first_line in 1usize..1000) {
        // A block from `locate` is empty or ends with a line feed (the closing fence follows).
        let yaml = if yaml.is_empty() || yaml.ends_with('\n') { yaml } else { yaml + "\n" };
        let last_line = first_line + line_breaks(&yaml);
        match frontmatter::parse(&yaml, first_line) {
            Ok(front) => {
                prop_assert!(front.fields.len() <= yaml.len());
                prop_assert!(scalar_bytes(&front) <= 2 * yaml.len(), "{} bytes from {:?}", scalar_bytes(&front), yaml);
                for field in &front.fields {
                    let position = field.key_position;
                    prop_assert!((first_line..=last_line).contains(&position.line), "{:?} in {:?}", position, yaml);
                    prop_assert!(position.column >= 1);
                    let value = field.value.position();
                    prop_assert!((first_line..=last_line).contains(&value.line), "{:?} in {:?}", value, yaml);
                }
            }
            Err(error) => {
                prop_assert!(!error.message.is_empty());
                prop_assert!(error.message.len() <= 200 + yaml.len(), "{}", error.message);
                prop_assert!(
                    (first_line..=last_line).contains(&error.position.line),
                    "{:?} outside lines {}..={} of {:?}", error, first_line, last_line, yaml
                );
                prop_assert!(error.position.column >= 1);
            }
        }
    }

    /// Fields written as `key: "value"` read back in order, with their text and positions.
    #[test]
    fn written_fields_read_back(
        fields in proptest::collection::btree_map(key(), quoted_value(), 0..12),
        first_line in 2usize..50,
    ) {
        let yaml: String = fields.iter().map(|(k, v)| format!("{k}: {}\n", double_quoted(v))).collect();
        let front = frontmatter::parse(&yaml, first_line).map_err(|e| TestCaseError::fail(format!("{e:?} for {yaml:?}")))?;
        prop_assert_eq!(front.fields.len(), fields.len());
        for (index, ((key, value), field)) in fields.iter().zip(&front.fields).enumerate() {
            prop_assert_eq!(&field.key, key);
            prop_assert_eq!((field.key_position.line, field.key_position.column), (first_line + index, 1));
            let Some(scalar) = front.text(key) else {
                return Err(TestCaseError::fail(format!("`{key}` is not a scalar: {:?}", field.value)));
            };
            prop_assert_eq!(&scalar.text, value);
            prop_assert!(!scalar.plain);
            // The column of the text, after the opening quote.
            prop_assert_eq!(scalar.position.column, key.len() + 4);
        }
    }

    /// A control character YAML does not allow (NUL, the C0 set but tab and line breaks, DEL)
    /// anywhere in a valid front-matter is one error at its own line and column.
    #[test]
    fn a_control_character_is_reported_where_it_is(
        fields in proptest::collection::btree_map(key(), "[a-zA-Z0-9 ._-]{0,20}", 1..8),
        control in prop_oneof![(0u8..=8), (11u8..=12), (14u8..=31), Just(127u8)],
        at in any::<proptest::sample::Index>(),
    ) {
        let yaml: String = fields.iter().map(|(k, v)| format!("{k}: {v}\n")).collect();
        let boundaries: Vec<usize> = yaml.char_indices().map(|(i, _)| i).collect();
        let offset = boundaries[at.index(boundaries.len())];
        let mut broken = yaml.clone();
        broken.insert(offset, char::from(control));
        let error = frontmatter::parse(&broken, 2).expect_err("a control character is an error");
        let (line, column) = line_column(&broken, offset);
        prop_assert_eq!((error.position.line, error.position.column), (line + 1, column));
        prop_assert_eq!(error.kind, YamlErrorKind::Syntax);
        let code_point = format!("U+{:04X}", control);
        prop_assert!(error.message.contains(&code_point), "{}", error.message);
    }

    /// Flow collections nested `depth` deep (lists and mappings mixed): up to 31 levels under
    /// the top mapping are read, deeper is refused, at any depth without exhausting the stack.
    /// Past a few hundred levels on one line the YAML scanner's own recursion limit refuses
    /// the text before the reader counts levels.
    #[test]
    fn nesting_is_bounded(kinds in proptest::collection::vec(any::<bool>(), 1..3000)) {
        let open: String = kinds.iter().map(|list| if *list { "[" } else { "{b: " }).collect();
        let close: String = kinds.iter().rev().map(|list| if *list { "]" } else { "}" }).collect();
        let yaml = format!("a: {open}x{close}\n");
        let result = frontmatter::parse(&yaml, 2);
        if kinds.len() <= 31 {
            prop_assert!(result.is_ok(), "depth {}: {:?}", kinds.len(), result);
        } else {
            let error = result.expect_err("too deep");
            prop_assert!(
                error.kind == YamlErrorKind::TooComplex || error.message.contains("recursion limit"),
                "depth {}: {:?}", kinds.len(), error
            );
        }
    }

    /// Block mappings nested by indentation: the same limit as flow collections.
    #[test]
    fn indented_nesting_is_bounded(depth in 1usize..200) {
        let yaml: String = (0..depth).map(|level| format!("{}k{level}:\n", "  ".repeat(level))).collect::<String>()
            + &format!("{}leaf\n", "  ".repeat(depth));
        let result = frontmatter::parse(&yaml, 2);
        // The top mapping is level 1; each further key opens one more mapping level.
        if depth <= 32 {
            prop_assert!(result.is_ok(), "depth {}: {:?}", depth, result);
        } else {
            prop_assert_eq!(result.map_err(|e| e.kind).err(), Some(YamlErrorKind::TooComplex), "depth {}", depth);
        }
    }

    /// Anchors and aliases are recorded, never expanded: however many aliases point at a
    /// large anchored list, the fields hold no more text than the YAML.
    #[test]
    fn aliases_are_not_expanded(items in 1usize..50, layers in 1usize..12, fan_out in 1usize..20) {
        let mut yaml = format!("a0: &a0 [{}]\n", vec!["xxxxxxxx"; items].join(", "));
        for layer in 1..=layers {
            let refs = vec![format!("*a{}", layer - 1); fan_out].join(", ");
            yaml.push_str(&format!("a{layer}: &a{layer} [{refs}]\n"));
        }
        let front = frontmatter::parse(&yaml, 2).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(front.fields.len(), layers + 1);
        prop_assert!(scalar_bytes(&front) <= yaml.len());
    }
}

proptest! {
    #![proptest_config(config(8))]

    /// A huge scalar (up to 300 KB) is read whole, without quadratic cost.
    #[test]
    fn huge_values_are_read_whole(length in 0usize..300_000, quoted in any::<bool>()) {
        let value = "v".repeat(length);
        let yaml = if quoted { format!("big: \"{value}\"\nid: X\n") } else { format!("big: {value}\nid: X\n") };
        let front = frontmatter::parse(&yaml, 2).map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
        prop_assert_eq!(front.text("big").map(|s| s.text.len()), Some(length));
        prop_assert_eq!(front.text("id").map(|s| s.position.line), Some(3));
    }

    /// More than 100,000 YAML events is refused; fewer is read.
    #[test]
    fn event_count_is_bounded(items in prop_oneof![1usize..2_000, 100_000usize..100_200]) {
        let yaml = format!("a: [{}]\n", vec!["x"; items].join(","));
        let result = frontmatter::parse(&yaml, 2);
        if items < 99_990 {
            prop_assert!(result.is_ok(), "{} items: {:?}", items, result.map(|_| ()));
        } else {
            prop_assert_eq!(result.map_err(|e| e.kind).err(), Some(YamlErrorKind::TooComplex));
        }
    }
}
