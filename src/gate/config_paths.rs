//! Paths and globs written in specgate.toml must match something: a typo there (`roots =
//! ["spces"]`, `allow-paths = ["tests/fixture/**"]`, `[tests] paths = ["scr/**"]`) would
//! otherwise turn a rule into an empty set and a check into a silent pass, now or when the files
//! it meant move. Each entry of a configured list is matched against the file set of the check
//! that uses it; one that matches nothing is a finding at its own `specgate.toml:LINE:COLUMN`.
//! Defaults are never reported: only what the file writes (the `Locator` finds it).
//!
//! Owns `config-path-unmatched`; `spec-root-empty` is the same rule for `[spec] roots`, kept
//! under its own code. Branch globs (`[hooks] spec-required-branches`) name branches, not files,
//! and are not checked here.

use crate::gate::scan::fileset::{self, ArchiveKind, Event, Options, Selection};
use crate::shared::config::{KeyPath, Locator};
use crate::shared::context::{CheckContext, Snapshot};
use crate::shared::diag::{Diagnostic, Report};

/// Which checks' lists to look at; each check looks at its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `[spec] roots`, `exclude`, `components`, `require-front-matter`.
    Spec,
    /// `[emoji] allow-paths`.
    Emoji,
    /// `[secrets] allow-paths` and each rule's `paths`.
    Secrets,
    /// `[tests] paths`.
    Tests,
    /// `[hooks] spec-folders`.
    Hooks,
}

/// How an entry is matched against a repository-relative path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    /// A folder: some file lies under it.
    Folder,
    /// A folder name: some file has a folder of that name in its path.
    FolderName,
    /// A glob as globset reads it by default (`*` crosses `/`).
    Glob,
    /// A glob of the content scans (`*` stops at `/`); it also matches members of tracked
    /// archives (`a.whl!pkg/x.py`, or the member path alone), as the scans apply it.
    ScanGlob,
}

/// One configured list: where it is, how to match it, what an unmatched entry means.
struct List {
    section: Section,
    /// The table and key, `["secrets", "allow-paths"]`.
    key: &'static [&'static str],
    how: Match,
    code: &'static str,
    /// What an entry that matches nothing does, after "which matches no file: ".
    consequence: &'static str,
}

const LISTS: &[List] = &[
    List {
        section: Section::Spec,
        key: &["spec", "roots"],
        how: Match::Folder,
        code: "spec-root-empty",
        consequence: "nothing there is checked",
    },
    List {
        section: Section::Spec,
        key: &["spec", "exclude"],
        how: Match::Glob,
        code: "config-path-unmatched",
        consequence: "it excludes nothing",
    },
    List {
        section: Section::Spec,
        key: &["spec", "components"],
        how: Match::Folder,
        code: "config-path-unmatched",
        consequence: "no component there is held to name its specification",
    },
    List {
        section: Section::Spec,
        key: &["spec", "require-front-matter"],
        how: Match::FolderName,
        code: "config-path-unmatched",
        consequence: "no document is required to have a front-matter because of it",
    },
    List {
        section: Section::Emoji,
        key: &["emoji", "allow-paths"],
        how: Match::ScanGlob,
        code: "config-path-unmatched",
        consequence: "it exempts nothing from the emoji check, and would exempt whatever is added there later",
    },
    List {
        section: Section::Secrets,
        key: &["secrets", "allow-paths"],
        how: Match::ScanGlob,
        code: "config-path-unmatched",
        consequence: "it exempts nothing from the secret scan, and would exempt whatever is added there later",
    },
    List {
        section: Section::Tests,
        key: &["tests", "paths"],
        how: Match::Glob,
        code: "config-path-unmatched",
        consequence: "no change can match it, so it never makes a push run the critical tests",
    },
    List {
        section: Section::Hooks,
        key: &["hooks", "spec-folders"],
        how: Match::Folder,
        code: "config-path-unmatched",
        consequence: "no specification can be found there for a branch that needs one",
    },
];

/// A list as the file writes it, ready to be matched.
struct Written {
    at: KeyPath,
    /// How the message names it, `` `[secrets] allow-paths` ``.
    name: String,
    how: Match,
    code: &'static str,
    consequence: String,
}

/// Report every entry of the lists of `sections` that matches no file of `ctx`'s file set.
pub fn check(ctx: &CheckContext, sections: &[Section], report: &mut Report) {
    if ctx.config.source.is_none() {
        return;
    }
    let locator = ctx.config.locator();
    let shown = config_shown(ctx);
    let mut members: Option<Vec<String>> = None;
    let mut lists: Vec<Written> = Vec::new();
    for list in LISTS.iter().filter(|l| sections.contains(&l.section)) {
        lists.push(Written {
            at: list.key.iter().skip(1).fold(KeyPath::new(list.key[0]), |at, key| at.key(*key)),
            name: format!("`[{}] {}`", list.key[0], list.key[1..].join(".")),
            how: list.how,
            code: list.code,
            consequence: list.consequence.to_owned(),
        });
    }
    if sections.contains(&Section::Secrets) {
        let rules = KeyPath::new("secrets.rules");
        for index in 0..locator.len(&rules) {
            let rule = rules.clone().index(index);
            let id = crate::shared::config::shorten(
                &locator.string(&rule.clone().key("id")).unwrap_or_else(|| format!("#{}", index + 1)),
            );
            lists.push(Written {
                at: rule.key("paths"),
                name: format!("`paths` of the `[[secrets.rules]]` entry `{id}`"),
                how: Match::ScanGlob,
                code: "config-path-unmatched",
                consequence: format!("the rule `{id}` runs on nothing"),
            });
        }
    }
    for Written { at, name, how, code, consequence } in lists {
        let Some(entries) = locator.strings(&at) else { continue };
        for (entry, position) in entries {
            if matches_a_file(ctx, &entry, how, &mut members) {
                continue;
            }
            let what = match how {
                Match::Folder => "holds no file",
                Match::FolderName => "is the name of no folder of the repository",
                Match::Glob | Match::ScanGlob => "matches no file",
            };
            let fix = match how {
                Match::Folder => "fix the folder name (relative to the repository root), or remove the entry",
                Match::FolderName => "fix the folder name (a name such as `specs`, not a path), or remove the entry",
                Match::Glob | Match::ScanGlob => {
                    "fix the pattern (a typo? paths are relative to the repository root, and `**` matches any number of folders), or remove the entry if the files are gone"
                }
            };
            let width = position_width(&locator, position);
            report.push(
                Diagnostic::new(
                    code,
                    shown.clone(),
                    position,
                    format!("{name} names `{}`, which {what}: {consequence}", crate::shared::config::shorten(&entry)),
                )
                .help(fix)
                .source(locator.source(), width),
            );
        }
    }
}

/// How many characters the marker under the entry covers: the quoted string on its line.
fn position_width(locator: &Locator<'_>, position: crate::shared::diag::Position) -> usize {
    let Some(line) = locator.source().line_text(position.line) else { return 1 };
    let rest: String = line.chars().skip(position.column - 1).collect();
    let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else { return 1 };
    rest.chars().skip(1).position(|c| c == quote).map_or(1, |end| end + 2)
}

/// The configuration file as findings name it: relative to the repository when inside it.
fn config_shown(ctx: &CheckContext) -> String {
    let path = ctx.config.source.as_deref().unwrap_or(std::path::Path::new(crate::shared::config::FILE_NAME));
    ctx.workspace.relative(path).unwrap_or_else(|| path.display().to_string())
}

/// A folder name without a leading `./` or a trailing `/`.
fn folder(entry: &str) -> &str {
    entry.trim_start_matches("./").trim_end_matches('/')
}

fn matches_a_file(ctx: &CheckContext, entry: &str, how: Match, members: &mut Option<Vec<String>>) -> bool {
    match how {
        Match::Folder => {
            let folder = folder(entry);
            let prefix = format!("{folder}/");
            folder.is_empty() || ctx.files.iter().any(|f| f.starts_with(&prefix))
        }
        Match::FolderName => {
            let name = folder(entry);
            ctx.files.iter().any(|f| f.rsplit_once('/').is_some_and(|(dirs, _)| dirs.split('/').any(|d| d == name)))
        }
        Match::Glob => match globset::Glob::new(entry) {
            Ok(glob) => {
                let glob = glob.compile_matcher();
                ctx.files.iter().any(|f| glob.is_match(f))
            }
            // The configuration's validation refused it already.
            Err(_) => true,
        },
        Match::ScanGlob => {
            let Ok(glob) = globset::GlobBuilder::new(entry).literal_separator(true).build() else { return true };
            let glob = glob.compile_matcher();
            if ctx.files.iter().any(|f| glob.is_match(f)) {
                return true;
            }
            if !ctx.files.iter().any(|f| ArchiveKind::from_path(f).is_some()) {
                return false;
            }
            if ctx.snapshot != Snapshot::WorkTree {
                // Members are listed from the work tree only; do not guess about a commit's.
                return true;
            }
            let members = members.get_or_insert_with(|| archive_members(ctx));
            members.iter().any(|m| glob.is_match(m) || m.split('!').skip(1).any(|part| glob.is_match(part)))
        }
    }
}

/// The members of the repository's tracked archives, `a.whl!pkg/x.py`, read as the scans read
/// them. Only needed when a scan glob matches no plain file of a repository that has archives.
fn archive_members(ctx: &CheckContext) -> Vec<String> {
    let archives: Vec<String> = ctx.files.iter().filter(|f| ArchiveKind::from_path(f).is_some()).cloned().collect();
    let mut members = Vec::new();
    let mut keep = |event: Event| {
        let path = match event {
            Event::Item(item) => item.path,
            Event::Skipped { path, .. }
            | Event::TooLarge { path, .. }
            | Event::NotAnArchive { path, .. }
            | Event::Unreadable { path, .. } => path,
        };
        if path.contains('!') {
            members.push(path);
        }
    };
    let _ = fileset::for_each(&ctx.workspace, &Selection::Paths(archives), &Options::default(), &mut keep);
    members
}
