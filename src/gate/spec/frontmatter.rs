//! The YAML front-matter of a Markdown document: finding the block (only at byte 0), and
//! reading it into fields that keep every scalar exactly as written, with its position in the
//! `.md` file. Checking the fields against the schema is `spec::check`'s job.
//!
//! The YAML event parser is used directly instead of a serde mapping so that `version: 1.10`
//! stays the text "1.10" (a typed deserializer would read a float 1.1), every key keeps its
//! line, and aliases are recorded, never expanded (no billion-laughs blow-up).

use saphyr_parser_bw::{Event, Parser, ScalarStyle, Span};

use crate::shared::diag::Position;

/// Nesting deeper than this inside the front-matter is refused.
const MAX_DEPTH: usize = 32;
/// More parser events than this is refused (the front-matter is a handful of fields).
const MAX_EVENTS: usize = 100_000;
/// A front-matter larger than this is refused before parsing.
pub const MAX_BYTES: usize = 256 * 1024;

/// Where the front-matter block is, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block<'a> {
    /// The document does not start with `---`.
    Absent,
    /// `---` at byte 0 with no closing `---` or `...` line.
    Unclosed,
    Closed {
        /// The YAML between the fences.
        yaml: &'a str,
        /// 1-based line of the first YAML line in the file.
        first_line: usize,
        /// Byte offset where the body starts (after the closing fence line).
        body_offset: usize,
        /// Byte offset where the YAML starts.
        yaml_offset: usize,
    },
}

/// Find the front-matter: only at byte 0 (after an optional UTF-8 BOM), `---` alone on the
/// first line, closed by a line that is `---` or `...`.
pub fn locate(text: &str) -> Block<'_> {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let rest = &text[start..];
    let after_open = if let Some(r) = rest.strip_prefix("---\n") {
        r
    } else if let Some(r) = rest.strip_prefix("---\r\n") {
        r
    } else {
        return Block::Absent;
    };
    let yaml_offset = text.len() - after_open.len();
    let mut offset = yaml_offset;
    for line in after_open.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']).trim_end_matches([' ', '\t']);
        if content == "---" || content == "..." {
            return Block::Closed {
                yaml: &text[yaml_offset..offset],
                first_line: 2,
                body_offset: offset + line.len(),
                yaml_offset,
            };
        }
        offset += line.len();
    }
    Block::Unclosed
}

/// A scalar as written in the YAML, with its position in the `.md` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    pub text: String,
    /// Plain (unquoted) scalars may be read as numbers, booleans or null by other YAML tools.
    pub plain: bool,
    pub position: Position,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Scalar(Scalar),
    /// A sequence; items that are not scalars are `None`.
    List {
        items: Vec<Option<Scalar>>,
        position: Position,
    },
    Mapping {
        position: Position,
    },
    /// `*name`: recorded, never expanded.
    Alias {
        position: Position,
    },
}

impl Value {
    pub fn position(&self) -> Position {
        match self {
            Value::Scalar(s) => s.position,
            Value::List { position, .. } | Value::Mapping { position } | Value::Alias { position } => *position,
        }
    }

    /// A plain scalar that YAML reads as null (`~`, `null`, or nothing at all).
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Scalar(s) if s.plain && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: String,
    pub key_position: Position,
    pub value: Value,
}

/// The fields of a front-matter, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FrontMatter {
    pub fields: Vec<Field>,
}

impl FrontMatter {
    pub fn get(&self, key: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.key == key)
    }

    /// The text of a scalar field, if the field is a scalar.
    pub fn text(&self, key: &str) -> Option<&Scalar> {
        match &self.get(key)?.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }
}

/// Why the YAML could not be read, at a position in the `.md` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub position: Position,
    pub message: String,
    pub kind: YamlErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum YamlErrorKind {
    Syntax,
    NotMapping,
    DuplicateKey,
    TooComplex,
}

struct Reader<'a> {
    parser: Parser<'a, saphyr_parser_bw::StrInput<'a>>,
    first_line: usize,
    events: usize,
}

impl<'a> Reader<'a> {
    fn position(&self, span: &Span) -> Position {
        // The parser's lines are 1-based within the block; its columns are 0-based.
        Position::new(span.start.line() + self.first_line - 1, span.start.col() + 1)
    }

    fn next(&mut self) -> Result<Option<(Event<'a>, Span)>, YamlError> {
        self.events += 1;
        if self.events > MAX_EVENTS {
            return Err(YamlError {
                position: Position::new(self.first_line, 1),
                message: format!("front-matter has more than {MAX_EVENTS} YAML events"),
                kind: YamlErrorKind::TooComplex,
            });
        }
        match self.parser.next_event() {
            None => Ok(None),
            Some(Ok(event)) => Ok(Some(event)),
            Some(Err(error)) => Err(YamlError {
                position: Position::new(error.marker().line() + self.first_line - 1, error.marker().col() + 1),
                message: error.info().to_owned(),
                kind: YamlErrorKind::Syntax,
            }),
        }
    }

    fn expect_next(&mut self) -> Result<(Event<'a>, Span), YamlError> {
        self.next()?.ok_or_else(|| YamlError {
            position: Position::new(self.first_line, 1),
            message: "unexpected end of YAML".to_owned(),
            kind: YamlErrorKind::Syntax,
        })
    }

    /// Skip the rest of a nested collection whose start event was just read; `level` is its
    /// nesting level (the front-matter mapping is level 1, a field's list or mapping level 2).
    fn skip_collection(&mut self, start: Position, level: usize) -> Result<(), YamlError> {
        let mut depth = 1usize;
        while depth > 0 {
            if level + depth - 1 > MAX_DEPTH {
                return Err(YamlError {
                    position: start,
                    message: format!("front-matter nests deeper than {MAX_DEPTH} levels"),
                    kind: YamlErrorKind::TooComplex,
                });
            }
            let (event, _) = self.expect_next()?;
            match event {
                Event::SequenceStart(..) | Event::MappingStart(..) => {
                    depth += 1;
                    if level + depth - 1 > MAX_DEPTH {
                        return Err(YamlError {
                            position: start,
                            message: format!("front-matter nests deeper than {MAX_DEPTH} levels"),
                            kind: YamlErrorKind::TooComplex,
                        });
                    }
                }
                Event::SequenceEnd | Event::MappingEnd => depth -= 1,
                _ => {}
            }
        }
        Ok(())
    }

    fn scalar(&self, text: &str, style: ScalarStyle, span: &Span) -> Scalar {
        let mut position = self.position(span);
        // Point at the text, not at its opening quote.
        if matches!(style, ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted) {
            position.column += 1;
        }
        Scalar { text: text.to_owned(), plain: matches!(style, ScalarStyle::Plain), position }
    }

    fn value(&mut self, event: Event<'a>, span: Span) -> Result<Value, YamlError> {
        let position = self.position(&span);
        Ok(match event {
            Event::Scalar(text, style, _, _) => Value::Scalar(self.scalar(&text, style, &span)),
            Event::Alias(_) => Value::Alias { position },
            Event::MappingStart(..) => {
                self.skip_collection(position, 2)?;
                Value::Mapping { position }
            }
            Event::SequenceStart(..) => {
                let mut items = Vec::new();
                loop {
                    let (event, span) = self.expect_next()?;
                    match event {
                        Event::SequenceEnd => break,
                        Event::Scalar(text, style, _, _) => items.push(Some(self.scalar(&text, style, &span))),
                        Event::SequenceStart(..) | Event::MappingStart(..) => {
                            let at = self.position(&span);
                            self.skip_collection(at, 3)?;
                            items.push(None);
                        }
                        _ => items.push(None),
                    }
                }
                Value::List { items, position }
            }
            _ => {
                return Err(YamlError {
                    position,
                    message: "unexpected YAML structure".to_owned(),
                    kind: YamlErrorKind::Syntax,
                })
            }
        })
    }
}

/// The first character YAML does not allow in a document (C0 controls other than tab, line
/// feed and carriage return, and DEL), with its position. The YAML parser stops at a NUL as if
/// the text ended there, which would silently drop every field after it.
fn forbidden_character(yaml: &str, first_line: usize) -> Option<YamlError> {
    let (offset, c) = yaml.char_indices().find(|(_, c)| c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r'))?;
    let before = &yaml[..offset];
    let line = first_line + before.matches('\n').count();
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let name = match c {
        '\0' => " (NUL)".to_owned(),
        '\u{7f}' => " (DEL)".to_owned(),
        _ => String::new(),
    };
    Some(YamlError {
        position: Position::new(line, column),
        message: format!(
            "front-matter holds the control character U+{:04X}{name}, which YAML does not allow",
            c as u32
        ),
        kind: YamlErrorKind::Syntax,
    })
}

/// Read the YAML of a front-matter block. `first_line` is the file line of the YAML's first line.
pub fn parse(yaml: &'_ str, first_line: usize) -> Result<FrontMatter, YamlError> {
    if let Some(error) = forbidden_character(yaml, first_line) {
        return Err(error);
    }
    let mut reader = Reader { parser: Parser::new_from_str(yaml), first_line, events: 0 };
    let not_mapping = |position: Position| YamlError {
        position,
        message: "front-matter must be a YAML mapping of `key: value` lines".to_owned(),
        kind: YamlErrorKind::NotMapping,
    };

    // StreamStart, then DocumentStart (or StreamEnd for an empty block).
    let mut front = FrontMatter::default();
    loop {
        let Some((event, span)) = reader.next()? else {
            return Ok(front);
        };
        match event {
            Event::StreamStart | Event::DocumentStart(_) => continue,
            Event::StreamEnd => return Ok(front),
            Event::MappingStart(..) => break,
            _ => return Err(not_mapping(reader.position(&span))),
        }
    }

    loop {
        let (event, span) = reader.expect_next()?;
        let key_position = reader.position(&span);
        let key = match event {
            Event::MappingEnd => break,
            Event::Scalar(text, ..) => text.into_owned(),
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                reader.skip_collection(key_position, 2)?;
                return Err(YamlError {
                    position: key_position,
                    message: "front-matter keys must be plain names".to_owned(),
                    kind: YamlErrorKind::NotMapping,
                });
            }
            _ => return Err(not_mapping(key_position)),
        };
        let (event, span) = reader.expect_next()?;
        let value = reader.value(event, span)?;
        if let Some(previous) = front.get(&key) {
            return Err(YamlError {
                position: key_position,
                message: format!("duplicate key `{key}` (first defined on line {})", previous.key_position.line),
                kind: YamlErrorKind::DuplicateKey,
            });
        }
        front.fields.push(Field { key, key_position, value });
    }

    // The rest must be the end of the one document.
    while let Some((event, span)) = reader.next()? {
        match event {
            Event::DocumentEnd | Event::StreamEnd => {}
            _ => {
                return Err(YamlError {
                    position: reader.position(&span),
                    message: "front-matter holds more than one YAML document".to_owned(),
                    kind: YamlErrorKind::Syntax,
                })
            }
        }
    }
    Ok(front)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(text: &str) -> (String, usize, usize) {
        match locate(text) {
            Block::Closed { yaml, first_line, body_offset, .. } => (yaml.to_owned(), first_line, body_offset),
            other => panic!("expected a closed block, got {other:?}"),
        }
    }

    #[test]
    fn locate_cases() {
        let cases: &[(&str, &str)] = &[
            ("---\nid: A\n---\nbody", "closed"),
            ("\u{feff}---\nid: A\n---\n", "closed"),
            ("---\r\nid: A\r\n---\r\nbody", "closed"),
            ("---\nid: A\n...\n", "closed"),
            ("---\nid: A\n", "unclosed"),
            ("", "absent"),
            ("# title\n---\nid: A\n---\n", "absent"),
            (" ---\nid: A\n---\n", "absent"),
            ("----\nid: A\n---\n", "absent"),
        ];
        for (text, expected) in cases {
            let got = match locate(text) {
                Block::Absent => "absent",
                Block::Unclosed => "unclosed",
                Block::Closed { .. } => "closed",
            };
            assert_eq!(got, *expected, "{text:?}");
        }
        let (yaml, first_line, body) = block("---\nid: A\n---\nbody");
        assert_eq!((yaml.as_str(), first_line, body), ("id: A\n", 2, 14));
    }

    #[test]
    fn scalars_keep_their_text_and_position() {
        let front = parse("id: SPEC_A_001\nversion: 1.10\nlista: [\"A\", B]\nfecha: 2025-11-06\n", 2).unwrap();
        let version = front.text("version").unwrap();
        assert_eq!(version.text, "1.10");
        assert!(version.plain);
        assert_eq!(version.position, Position::new(3, 10));
        assert_eq!(front.get("fecha").unwrap().key_position, Position::new(5, 1));
        match &front.get("lista").unwrap().value {
            Value::List { items, .. } => {
                let texts: Vec<_> = items.iter().map(|i| i.as_ref().unwrap().text.as_str()).collect();
                assert_eq!(texts, ["A", "B"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_are_at_file_lines() {
        let cases: &[(&str, YamlErrorKind, usize)] = &[
            ("id: A\nid: B\n", YamlErrorKind::DuplicateKey, 3),
            ("id: A\n\tversion: 1\n", YamlErrorKind::Syntax, 3),
            ("- a\n- b\n", YamlErrorKind::NotMapping, 2),
            ("id: [unclosed\n", YamlErrorKind::Syntax, 3),
            ("id: \"open\n", YamlErrorKind::Syntax, 3),
        ];
        for (yaml, kind, line) in cases {
            let error = parse(yaml, 2).unwrap_err();
            assert_eq!(error.kind, *kind, "{yaml:?}: {error:?}");
            assert!(error.position.line >= 2 && error.position.line <= *line, "{yaml:?}: {error:?}");
        }
    }

    #[test]
    fn aliases_are_not_expanded_and_depth_is_bounded() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        for (i, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].iter().enumerate() {
            let prev = if i == 0 { "a".to_owned() } else { ["b", "c", "d", "e", "f", "g", "h"][i - 1].to_owned() };
            bomb.push_str(&format!(
                "{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let front = parse(&bomb, 2).unwrap();
        assert_eq!(front.fields.len(), 9);

        let deep = format!("a: {}{}\n", "[".repeat(200), "]".repeat(200));
        let error = parse(&deep, 2).unwrap_err();
        assert_eq!(error.kind, YamlErrorKind::TooComplex);
        // 32 levels (the mapping and 31 lists) are the most there may be, in lists or mappings.
        let nested = |n: usize| format!("a: {}{}\n", "[".repeat(n), "]".repeat(n));
        assert!(parse(&nested(31), 2).is_ok());
        assert_eq!(parse(&nested(32), 2).unwrap_err().kind, YamlErrorKind::TooComplex);
        let maps = |n: usize| format!("a: {}1{}\n", "{b: ".repeat(n), "}".repeat(n));
        assert!(parse(&maps(31), 2).is_ok());
        assert_eq!(parse(&maps(32), 2).unwrap_err().kind, YamlErrorKind::TooComplex);
        let in_list = |n: usize| format!("a: [x, {}{}]\n", "[".repeat(n), "]".repeat(n));
        assert!(parse(&in_list(30), 2).is_ok());
        assert_eq!(parse(&in_list(31), 2).unwrap_err().kind, YamlErrorKind::TooComplex);
    }

    #[test]
    fn a_control_character_is_an_error_at_its_place_not_the_end_of_the_yaml() {
        // A NUL after the last field used to end the parse there: broken YAML after it passed.
        let error = parse("id: SPEC_X_001\n\0: [unclosed\n", 2).unwrap_err();
        assert_eq!((error.position, error.kind), (Position::new(3, 1), YamlErrorKind::Syntax));
        assert!(error.message.contains("U+0000 (NUL)"), "{}", error.message);
        // Inside a value: one finding where it is, not "missing field" findings at 1:1.
        let error = parse("id: SPEC_X_001\ncategoria: in\0fra\n", 2).unwrap_err();
        assert_eq!(error.position, Position::new(3, 14));
        let error = parse("a: \u{7f}\n", 5).unwrap_err();
        assert!(error.message.contains("U+007F (DEL)"), "{}", error.message);
        assert!(parse("a: \"tab\there\"\r\n", 2).is_ok());
    }

    #[test]
    fn empty_block_has_no_fields() {
        assert_eq!(parse("", 2).unwrap().fields.len(), 0);
        assert_eq!(parse("# only a comment\n", 2).unwrap().fields.len(), 0);
    }
}
