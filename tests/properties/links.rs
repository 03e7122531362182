//! The Markdown reader's link surface (`gate::spec::markdown`: links, anchors, headings) and
//! link checking's pure parts (`gate::links`: destinations, paths, line anchors, GitHub slugs).

use std::collections::HashSet;
use std::sync::LazyLock;

use proptest::prelude::*;
use regex::Regex;
use specgate::gate::links::{self, slug, Destination};
use specgate::gate::spec::document::Document;
use specgate::shared::config::Config;
use specgate::shared::diag::SourceFile;

use crate::{config, text_from};

const LINK_PIECES: &[&str] = &[
    "[a](b.md)",
    "[a](../x/y.md#z)",
    "![i](img.png \"t\")",
    "[r][ref]",
    "[ref]: docs/R.md#L3\n",
    "<https://example.com/a>",
    "<a@b.c>",
    "<a id=\"x\">",
    "<!--",
    "-->",
    "## 3.3 Criterios de Aceptación\n",
    "Título\n",
    "---\n",
    "===\n",
    "```\n",
    "    ",
    "[",
    "](",
    ")",
    "#",
    "%C3%B3",
    "\n",
    "\r\n",
    "\u{e1}\u{f1}",
];

static ANY_ID: LazyLock<Regex> = LazyLock::new(|| Config::defaults().spec.any_id);

proptest! {
    #![proptest_config(config(256))]

    /// Any text: reading never panics and every link and heading lies inside the file.
    #[test]
    fn links_and_headings_stay_inside_the_text(text in text_from(LINK_PIECES)) {
        let document = Document::parse(SourceFile::new("docs/X.md", text.clone()), &ANY_ID);
        let lines = document.source.line_count();
        for link in &document.body.links {
            prop_assert!((1..=lines).contains(&link.position.line), "{:?}", link);
            prop_assert!(link.position.column >= 1 && link.width >= 1, "{:?}", link);
            let line = document.source.line_text(link.position.line).unwrap_or("");
            prop_assert!(link.position.column <= line.chars().count() + 1, "{:?} on {:?}", link, line);
        }
        for heading in &document.body.headings {
            prop_assert!((1..=lines).contains(&heading.line) && (1..=6).contains(&heading.level));
        }
        // Whatever the destinations, classifying and resolving them never panics and never
        // yields a path that climbs out of the repository.
        for link in &document.body.links {
            if let Destination::Local { path, .. } = links::classify(&link.destination) {
                if let Some(resolved) = links::resolve("docs/X.md", &path) {
                    prop_assert!(!resolved.starts_with('/'));
                    prop_assert!(resolved.split('/').all(|s| s != ".." && s != "."), "{}", resolved);
                }
            }
        }
    }

    /// Any string: a slug is lowercase, has no spaces or punctuation but `-` and `_`, and slugging
    /// it again changes nothing.
    #[test]
    fn slugs_are_clean_and_stable(text in "[ -~\u{e1}\u{e9}\u{ed}\u{f3}\u{fa}\u{f1}\u{c1}\u{d1}\u{bf}\u{a1}]{0,40}") {
        let slug = slug::slug(&text);
        prop_assert!(!slug.contains(' '));
        prop_assert!(slug.chars().all(|c| c == '-' || c == '_' || c.is_alphanumeric()), "{:?}", slug);
        prop_assert!(!slug.chars().any(|c| c.is_uppercase()), "{:?}", slug);
        prop_assert_eq!(slug::slug(&slug), slug.clone());
    }

    /// Arbitrary Unicode never panics the slugger, and every heading of a document gets its own anchor.
    #[test]
    fn repeated_headings_get_distinct_anchors(titles in proptest::collection::vec(prop_oneof![
        Just("Notas".to_owned()), Just("Notas 1".to_owned()), Just("notas-1".to_owned()), any::<String>()
    ], 0..20)) {
        let mut slugger = slug::Slugger::default();
        let anchors: Vec<String> = titles.iter().map(|t| slugger.next(t)).collect();
        let distinct: HashSet<&String> = anchors.iter().collect();
        prop_assert_eq!(distinct.len(), anchors.len(), "{:?}", anchors);
    }

    /// Arbitrary destinations: classification, decoding and line anchors never panic.
    #[test]
    fn destinations_never_panic(destination in any::<String>(), from in "[a-z/]{0,12}") {
        let _ = links::classify(&destination);
        let _ = links::percent_decode(&destination);
        let _ = links::line_anchor(&destination);
        let _ = links::resolve(&from, &destination);
    }
}
