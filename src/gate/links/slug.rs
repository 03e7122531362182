//! GitHub's heading anchors: the slug of a heading's text (github-slugger's rules), with the
//! `-1`, `-2` suffixes of repeated headings. Accents and other letters of any script are kept
//! (`## 3.3 Criterios de Aceptación` is `#33-criterios-de-aceptación`).

use std::collections::HashMap;

/// The slug of one heading's text: lowercased; letters, digits, marks, `-` and `_` kept; each
/// space becomes `-`; everything else (punctuation, symbols, emoji) is removed.
pub fn slug(text: &str) -> String {
    let mut slug = String::with_capacity(text.len());
    for c in text.trim().chars() {
        if c == ' ' {
            slug.push('-');
        } else if c.is_alphanumeric() || c == '-' || c == '_' || is_mark(c) {
            slug.extend(c.to_lowercase());
        }
    }
    slug
}

/// Combining marks (a decomposed accent stays with its letter), in the blocks Spanish and the
/// other Latin-script languages use, and variation selectors: GitHub removes an emoji but keeps
/// the U+FE0F after it, so `## \u{1f3db}\u{fe0f} MIT` is `#\u{fe0f}-mit`.
fn is_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036f}'
            | '\u{1ab0}'..='\u{1aff}'
            | '\u{1dc0}'..='\u{1dff}'
            | '\u{20d0}'..='\u{20ff}'
            | '\u{fe00}'..='\u{fe0f}'
            | '\u{fe20}'..='\u{fe2f}'
    )
}

/// Hands out the anchors of a document's headings in order, as GitHub does: the second
/// `## Notas` is `notas-1`, the third `notas-2`, skipping any suffix a heading already took.
#[derive(Debug, Default)]
pub struct Slugger {
    occurrences: HashMap<String, usize>,
}

impl Slugger {
    pub fn next(&mut self, text: &str) -> String {
        let base = slug(text);
        let mut result = base.clone();
        if let Some(count) = self.occurrences.get(&base).copied() {
            let mut count = count;
            loop {
                count += 1;
                result = format!("{base}-{count}");
                if !self.occurrences.contains_key(&result) {
                    break;
                }
            }
            self.occurrences.insert(base, count);
        }
        self.occurrences.insert(result.clone(), 0);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_follow_github() {
        for (text, expected) in [
            ("3.3 Criterios de Aceptación", "33-criterios-de-aceptación"),
            ("1. Resumen Ejecutivo", "1-resumen-ejecutivo"),
            ("Diseño de Solución", "diseño-de-solución"),
            ("`check spec` (JSON)", "check-spec-json"),
            ("A -- B", "a----b"),
            ("snake_case y kebab-case", "snake_case-y-kebab-case"),
            ("¿Qué hace? ¡Todo!", "qué-hace-todo"),
            ("  Espacios  ", "espacios"),
            ("ÁRBOL Ñandú", "árbol-ñandú"),
            ("Emoji \u{1f680} fuera", "emoji--fuera"),
            ("\u{1f3db}\u{fe0f} MIT", "\u{fe0f}-mit"),
        ] {
            assert_eq!(slug(text), expected, "{text}");
        }
    }

    #[test]
    fn repeated_headings_get_suffixes() {
        let mut slugger = Slugger::default();
        let got: Vec<String> = ["Notas", "Notas", "Notas-1", "Notas"].iter().map(|t| slugger.next(t)).collect();
        assert_eq!(got, ["notas", "notas-1", "notas-1-1", "notas-2"]);
    }
}
