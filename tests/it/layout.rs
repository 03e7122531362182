//! The house rules of docs/architecture.md, read from the source: no file of src/ is part of an
//! import cycle, and the three places depend downwards only (pipeline on gate and shared, gate
//! on shared, shared on nothing above it).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

/// Every `.rs` file under src/, by module path (`shared/diag/mod.rs` is `shared::diag`).
fn modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut found = BTreeMap::new();
    let mut pending = vec![src.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).unwrap().with_extension("");
                let mut module: Module = relative.iter().map(|s| s.to_string_lossy().into_owned()).collect();
                if module.last().is_some_and(|l| l == "mod") || module == ["lib"] || module == ["main"] {
                    module.pop();
                }
                found.insert(module, path);
            }
        }
    }
    found
}

/// `a::{b, c::{d}}` (spaces removed) as `a::b`, `a::c::d`.
fn expand(prefix: &[String], text: &str, out: &mut Vec<Module>) {
    if let Some(inner) = text.strip_prefix('{') {
        let (mut depth, mut part) = (0, String::new());
        for c in inner.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(prefix, &std::mem::take(&mut part), out);
                    continue;
                }
                _ => {}
            }
            part.push(c);
        }
        if !part.is_empty() {
            expand(prefix, &part, out);
        }
        return;
    }
    // `a::{b}` may arrive as `a::` when the braces were left out of the match: `a` it is.
    let (head, rest) = text.split_once("::").map_or((text, None), |(h, r)| (h, Some(r).filter(|r| !r.is_empty())));
    if head.is_empty() || !head.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return;
    }
    let mut path = prefix.to_vec();
    path.push(head.to_owned());
    match rest {
        Some(rest) => expand(&path, rest, out),
        None => out.push(path),
    }
}

/// The modules each file names through `crate::` and `super::` paths, outside its unit tests.
fn imports(modules: &BTreeMap<Module, PathBuf>) -> BTreeMap<Module, BTreeSet<Module>> {
    let reference =
        regex::Regex::new(r"\b(crate|super(?:::super)*)::(\{[^;]*?\}|[A-Za-z_0-9:]+(?:::\{[^;]*?\})?)").unwrap();
    let mut edges = BTreeMap::new();
    for (module, path) in modules {
        let text = std::fs::read_to_string(path).unwrap();
        let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
        let mut targets = BTreeSet::new();
        for found in reference.captures_iter(text) {
            let base: Module = if &found[1] == "crate" {
                Vec::new()
            } else {
                module[..module.len().saturating_sub(found[1].matches("super").count())].to_vec()
            };
            let mut paths = Vec::new();
            expand(&base, &found[2].split_whitespace().collect::<String>(), &mut paths);
            for full in paths {
                let target = (0..=full.len()).rev().map(|k| full[..k].to_vec()).find(|p| modules.contains_key(p));
                if let Some(target) = target.filter(|t| t != module) {
                    targets.insert(target);
                }
            }
        }
        edges.insert(module.clone(), targets);
    }
    edges
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn no_file_of_src_is_part_of_an_import_cycle() {
    let modules = modules(&src());
    let edges = imports(&modules);
    assert!(modules.len() > 60 && edges.values().map(BTreeSet::len).sum::<usize>() > 200, "the source was not read");
    // Depth-first search; a back edge closes a cycle, reported with its path.
    fn visit<'a>(
        at: &'a Module,
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        state: &mut BTreeMap<&'a Module, bool>,
        path: &mut Vec<&'a Module>,
    ) {
        state.insert(at, false);
        path.push(at);
        for next in &edges[at] {
            match state.get(next) {
                Some(false) => {
                    let start = path.iter().position(|m| *m == next).unwrap();
                    let cycle: Vec<String> = path[start..].iter().chain([&next]).map(|m| m.join("::")).collect();
                    panic!("import cycle: {}", cycle.join(" -> "));
                }
                Some(true) => {}
                None => visit(next, edges, state, path),
            }
        }
        path.pop();
        state.insert(at, true);
    }
    let mut state = BTreeMap::new();
    for module in edges.keys() {
        if !state.contains_key(module) {
            visit(module, &edges, &mut state, &mut Vec::new());
        }
    }
}

#[test]
fn the_three_places_depend_downwards_only() {
    let modules = modules(&src());
    let allowed: &[(&str, &[&str])] =
        &[("shared", &["shared"]), ("gate", &["gate", "shared"]), ("pipeline", &["pipeline", "gate", "shared"])];
    let mut wrong = Vec::new();
    for (from, targets) in imports(&modules) {
        let Some((_, may)) = allowed.iter().find(|(place, _)| from.first().is_some_and(|f| f == place)) else {
            continue;
        };
        for target in targets {
            if !target.first().is_some_and(|t| may.contains(&t.as_str())) {
                wrong.push(format!("{} uses {}", from.join("::"), target.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "against the dependency direction of docs/architecture.md:\n{}", wrong.join("\n"));
}
