//! `specgate check feature`: the Dev Container Feature manifests (`feature/*/devcontainer-feature.json`)
//! are what the devcontainers CLI will accept at build time, checked before anyone builds.
//!
//! The devcontainers CLI's `features package` copies a manifest without validating it, and a
//! mistake (a default of the wrong type, an id that differs from the folder) only shows up when a
//! user's container build fails. The manifest is plain JSON (no comments, no trailing commas),
//! and a duplicate key is refused: a JSON reader keeps one of the two values silently. The JSON is
//! read by a small parser here, so every finding points at the line and column of the value.
//!
//! spec[impl SPEC_INFRA_001]

use std::collections::BTreeMap;

use crate::shared::context::{CheckContext, Snapshot};
use crate::shared::diag::{Diagnostic, Position, Report, SourceFile};

/// The file name the devcontainers CLI looks for in a Feature folder.
pub const MANIFEST: &str = "devcontainer-feature.json";
/// The folder that holds the repository's Features, one per subfolder.
pub const FOLDER: &str = "feature";

/// A manifest is a few KiB of JSON; one is read only when it is a regular file of at most this.
pub const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// Top-level properties of devcontainer-feature.json (containers.dev, Features reference).
const TOP_LEVEL: &[&str] = &[
    "$schema",
    "id",
    "version",
    "name",
    "description",
    "documentationURL",
    "licenseURL",
    "keywords",
    "options",
    "containerEnv",
    "privileged",
    "init",
    "capAdd",
    "securityOpt",
    "entrypoint",
    "customizations",
    "dependsOn",
    "installsAfter",
    "legacyIds",
    "deprecated",
    "mounts",
    "onCreateCommand",
    "updateContentCommand",
    "postCreateCommand",
    "postStartCommand",
    "postAttachCommand",
];
const OPTION_FIELDS: &[&str] = &["type", "description", "default", "enum", "proposals"];

// ---------------------------------------------------------------- strict JSON with positions

/// A JSON value with the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub offset: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// The number as written (JSON numbers are checked for syntax, not converted).
    Number(String),
    String(String),
    Array(Vec<Node>),
    /// Members in file order, each key with its own offset.
    Object(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub offset: usize,
    pub name: String,
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        }
    }
}

impl Node {
    /// The member `name` of an object (the first one; duplicates are findings of their own).
    pub fn get(&self, name: &str) -> Option<&Node> {
        match &self.value {
            Value::Object(members) => members.iter().find(|(k, _)| k.name == name).map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}

/// Why a text is not strict JSON, at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

/// A duplicate key: where the second one is, and where the first was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub offset: usize,
    pub first: usize,
    pub name: String,
}

/// Deeper nesting than any manifest needs; refused so hostile input cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
    depth: usize,
    duplicates: Vec<Duplicate>,
}

/// Parse RFC 8259 JSON: no comments, no trailing commas, nothing after the value.
/// Duplicate keys do not stop parsing; they are returned beside the value.
pub fn parse(text: &str) -> Result<(Node, Vec<Duplicate>), SyntaxError> {
    let mut parser = Parser { bytes: text.as_bytes(), text, pos: 0, depth: 0, duplicates: Vec::new() };
    // A UTF-8 byte order mark is not JSON (RFC 8259 8.1) but editors write one; name it.
    if text.starts_with('\u{feff}') {
        return Err(SyntaxError { offset: 0, message: "the file starts with a byte order mark".into() });
    }
    parser.skip_space()?;
    let node = parser.value()?;
    parser.skip_space()?;
    if parser.pos < parser.bytes.len() {
        return Err(parser.error("unexpected text after the JSON value"));
    }
    Ok((node, parser.duplicates))
}

impl Parser<'_> {
    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError { offset: self.pos, message: message.into() }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_space(&mut self) -> Result<(), SyntaxError> {
        while let Some(b) = self.peek() {
            match b {
                b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                b'/' if matches!(self.bytes.get(self.pos + 1), Some(b'/' | b'*')) => {
                    return Err(self.error("comments are not allowed in devcontainer-feature.json (plain JSON)"))
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn describe_next(&self) -> String {
        match self.text.get(self.pos..).and_then(|rest| rest.chars().next()) {
            None => "the end of the file".into(),
            Some(c) => format!("`{c}`"),
        }
    }

    fn value(&mut self) -> Result<Node, SyntaxError> {
        let offset = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.object()?,
            Some(b'[') => self.array()?,
            Some(b'"') => Value::String(self.string()?),
            Some(b't') => self.literal("true", Value::Bool(true))?,
            Some(b'f') => self.literal("false", Value::Bool(false))?,
            Some(b'n') => self.literal("null", Value::Null)?,
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b'\'') => return Err(self.error("strings must use double quotes")),
            _ => return Err(self.error(format!("expected a value, found {}", self.describe_next()))),
        };
        Ok(Node { offset, value })
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value, SyntaxError> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error(format!("expected a value, found {}", self.describe_next())))
        }
    }

    fn enter(&mut self) -> Result<(), SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        Ok(())
    }

    fn object(&mut self) -> Result<Value, SyntaxError> {
        self.enter()?;
        self.pos += 1;
        let mut members: Vec<(Key, Node)> = Vec::new();
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        self.skip_space()?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.skip_space()?;
            if self.peek() == Some(b'}') {
                return Err(self.error("trailing comma before `}`"));
            }
            if self.peek() != Some(b'"') {
                return Err(self.error(format!("expected a key in double quotes, found {}", self.describe_next())));
            }
            let key_offset = self.pos;
            let name = self.string()?;
            self.skip_space()?;
            if self.peek() != Some(b':') {
                return Err(self.error(format!("expected `:` after the key, found {}", self.describe_next())));
            }
            self.pos += 1;
            self.skip_space()?;
            let node = self.value()?;
            match seen.get(&name) {
                Some(&first) => {
                    self.duplicates.push(Duplicate { offset: key_offset, first, name: name.clone() });
                }
                None => {
                    seen.insert(name.clone(), key_offset);
                }
            }
            members.push((Key { offset: key_offset, name }, node));
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error(format!("expected `,` or `}}`, found {}", self.describe_next()))),
            }
        }
        self.depth -= 1;
        Ok(Value::Object(members))
    }

    fn array(&mut self) -> Result<Value, SyntaxError> {
        self.enter()?;
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_space()?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.depth -= 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_space()?;
            if self.peek() == Some(b']') {
                return Err(self.error("trailing comma before `]`"));
            }
            items.push(self.value()?);
            self.skip_space()?;
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error(format!("expected `,` or `]`, found {}", self.describe_next()))),
            }
        }
        self.depth -= 1;
        Ok(Value::Array(items))
    }

    fn string(&mut self) -> Result<String, SyntaxError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let Some(b) = self.peek() else {
                return Err(SyntaxError { offset: start, message: "unterminated string".into() });
            };
            match b {
                b'"' => {
                    self.pos += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.pos += 1;
                    let escaped = match self.peek() {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                if !self.bytes[self.pos..].starts_with(b"\\u") {
                                    return Err(self.error("a lone surrogate in a `\\u` escape"));
                                }
                                self.pos += 2;
                                let low = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(self.error("a lone surrogate in a `\\u` escape"));
                                }
                                0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                high
                            };
                            let c =
                                char::from_u32(code).ok_or_else(|| self.error("a lone surrogate in a `\\u` escape"))?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape in a string")),
                    };
                    out.push(escaped);
                    self.pos += 1;
                }
                0x00..=0x1f => return Err(self.error("control character in a string (write it as an escape)")),
                _ => {
                    // Copy the whole UTF-8 character; the input is a &str, so boundaries are valid.
                    let rest = &self.text[self.pos..];
                    let c = rest.chars().next().expect("a byte was peeked, so a character follows");
                    out.push(c);
                    self.pos += c.len_utf8();
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, SyntaxError> {
        let digits = self.text.get(self.pos..self.pos + 4).ok_or_else(|| self.error("incomplete `\\u` escape"))?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.error("invalid `\\u` escape"));
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| self.error("invalid `\\u` escape"))
    }

    fn number(&mut self) -> Result<Value, SyntaxError> {
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits = |p: &mut Self| {
            let from = p.pos;
            while matches!(p.peek(), Some(b'0'..=b'9')) {
                p.pos += 1;
            }
            p.pos - from
        };
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if matches!(self.peek(), Some(b'0'..=b'9')) {
                    return Err(self.error("numbers must not have leading zeros"));
                }
            }
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(self.error("expected digits")),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if digits(self) == 0 {
                return Err(self.error("expected digits after `.`"));
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("expected digits in the exponent"));
            }
        }
        Ok(Value::Number(self.text[start..self.pos].to_owned()))
    }
}

// ---------------------------------------------------------------- the rules

/// `^[a-z0-9-]+$`: what the Features distribution spec accepts as an id and an OCI path segment.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The environment variable an option reaches install.sh as: upper case, other characters `_`
/// (the devcontainers CLI's rule).
pub fn option_env_name(option: &str) -> String {
    let mut name: String = option
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c.to_ascii_uppercase() } else { '_' })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

/// Check every `feature/*/devcontainer-feature.json` of the snapshot.
pub fn check(ctx: &CheckContext, report: &mut Report) {
    let mut manifests: Vec<String> = ctx.files.iter().filter(|p| is_manifest_path(p)).cloned().collect();
    // A new Feature folder is checked before `git add`, as new specs are.
    if ctx.snapshot == Snapshot::WorkTree {
        if let Ok(entries) = std::fs::read_dir(ctx.workspace.root.join(FOLDER)) {
            for entry in entries.flatten() {
                let Ok(name) = entry.file_name().into_string() else { continue };
                if entry.path().join(MANIFEST).is_file() {
                    manifests.push(format!("{FOLDER}/{name}/{MANIFEST}"));
                }
            }
        }
    }
    manifests.sort();
    manifests.dedup();
    for path in &manifests {
        let install = path.trim_end_matches(MANIFEST).to_owned() + "install.sh";
        let has_install = ctx.files.contains(&install)
            || (ctx.snapshot == Snapshot::WorkTree && ctx.workspace.root.join(&install).is_file());
        match ctx.read_within(path, MAX_MANIFEST_BYTES) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => check_manifest(&SourceFile::new(path.clone(), text), has_install, report),
                Err(_) => report.push(
                    Diagnostic::new(
                        "feature-unreadable",
                        path.clone(),
                        Position::new(1, 1),
                        "the file is not UTF-8 text",
                    )
                    .help("save the manifest as UTF-8 JSON"),
                ),
            },
            Err(error) => report.push(
                Diagnostic::new(
                    "feature-unreadable",
                    path.clone(),
                    Position::new(1, 1),
                    format!("could not read the manifest: {error}"),
                )
                .help("the manifest must be a regular UTF-8 JSON file of at most 1 MiB"),
            ),
        }
    }
    for path in &manifests {
        check_index(ctx, &path.replace(MANIFEST, crate::shared::artifact::index::FILE_NAME), report);
    }
    report.note(format!(
        "feature: {} manifest{} checked",
        manifests.len(),
        if manifests.len() == 1 { "" } else { "s" }
    ));
}

/// The Feature's index (when the folder has one) against the ledger's Activo rows now.
fn check_index(ctx: &CheckContext, path: &str, report: &mut Report) {
    use crate::shared::artifact::index::{self, Index};
    let exists = ctx.files.iter().any(|f| f == path)
        || (ctx.snapshot == Snapshot::WorkTree && ctx.workspace.root.join(path).is_file());
    if !exists {
        return;
    }
    let stale = |message: String| {
        Diagnostic::new("feature-index-stale", path.to_owned(), Position::new(1, 1), message).help(
            "run `make feature` (it writes the index from ARTIFACTS.md) and commit the index with the ledger change",
        )
    };
    let text = match ctx.read_within(path, index::MAX_BYTES).map(String::from_utf8) {
        Ok(Ok(text)) => text,
        Ok(Err(_)) => return report.push(stale("the index is not UTF-8".to_owned())),
        Err(error) => return report.push(stale(format!("the index cannot be read: {error}"))),
    };
    let found = match Index::parse(&text) {
        Ok(found) => found,
        Err(reason) => return report.push(stale(format!("the index cannot be used: {reason}"))),
    };
    let ledger = &ctx.config.artifacts.ledger;
    let entries = match ctx.read_within(ledger, crate::shared::artifact::ledger::MAX_BYTES).map(String::from_utf8) {
        Ok(Ok(text)) => crate::shared::artifact::ledger::Ledger::parse(text).entries(),
        // No ledger (or one `check ledger` reports): the index must be empty.
        _ => Vec::new(),
    };
    let differences = index::differences(&found, &Index::from_entries(&entries));
    if !differences.is_empty() {
        report.push(stale(format!("the index disagrees with `{ledger}`: {}", differences.join("; "))));
    }
}

fn is_manifest_path(path: &str) -> bool {
    let mut parts = path.split('/');
    matches!((parts.next(), parts.next(), parts.next(), parts.next()), (Some(FOLDER), Some(_), Some(MANIFEST), None))
}

/// The checks of one manifest; `file.path` is `feature/<folder>/devcontainer-feature.json`.
pub fn check_manifest(file: &SourceFile, has_install: bool, report: &mut Report) {
    let folder = file.path.rsplit('/').nth(1).unwrap_or_default().to_owned();
    let at = |offset: usize| file.position(offset);
    let push = |report: &mut Report, code: &'static str, offset: usize, message: String, help: &str| {
        report
            .push(Diagnostic::new(code, file.path.clone(), at(offset), message).help(help.to_owned()).source(file, 1));
    };
    if !has_install {
        push(
            report,
            "feature-install-missing",
            0,
            format!("the Feature folder `{FOLDER}/{folder}` has no install.sh"),
            "the devcontainers CLI runs install.sh of the Feature folder; add one (POSIX sh)",
        );
    }
    let (root, duplicates) = match parse(&file.text) {
        Ok(parsed) => parsed,
        Err(error) => {
            push(
                report,
                "feature-json-invalid",
                error.offset,
                format!("not strict JSON: {}", error.message),
                "devcontainer-feature.json is plain JSON: no comments, no trailing commas, double-quoted keys and strings",
            );
            return;
        }
    };
    for duplicate in &duplicates {
        let first = at(duplicate.first);
        push(
            report,
            "feature-duplicate-key",
            duplicate.offset,
            format!("key `{}` appears again (first at line {}:{})", duplicate.name, first.line, first.column),
            "keep one of the two; JSON readers silently use one value and drop the other",
        );
    }
    let Value::Object(members) = &root.value else {
        push(
            report,
            "feature-field-type",
            root.offset,
            format!("the manifest is {}, not an object", root.value.kind()),
            "the manifest is one JSON object with `id`, `version`, `name` and `options`",
        );
        return;
    };
    for (key, _) in members {
        if !TOP_LEVEL.contains(&key.name.as_str()) {
            push(
                report,
                "feature-unknown-field",
                key.offset,
                format!("`{}` is not a property of devcontainer-feature.json", key.name),
                "check the spelling against https://containers.dev/implementors/features/; the CLI ignores unknown properties",
            );
        }
    }
    for required in ["id", "version", "name"] {
        if root.get(required).is_none() {
            push(
                report,
                "feature-missing-field",
                root.offset,
                format!("the manifest has no `{required}`"),
                "`id` (the folder name), `version` (semver) and `name` are required",
            );
        }
    }
    let string_fields = ["id", "version", "name", "description", "documentationURL", "licenseURL"];
    for field in string_fields {
        if let Some(node) = root.get(field) {
            if node.as_str().is_none() {
                push(
                    report,
                    "feature-field-type",
                    node.offset,
                    format!("`{field}` is {}, not a string", node.value.kind()),
                    "write the value in double quotes",
                );
            }
        }
    }
    for field in ["keywords", "installsAfter", "legacyIds", "capAdd", "securityOpt"] {
        if let Some(node) = root.get(field) {
            let ok = matches!(&node.value, Value::Array(items) if items.iter().all(|i| i.as_str().is_some()));
            if !ok {
                push(
                    report,
                    "feature-field-type",
                    node.offset,
                    format!("`{field}` must be an array of strings"),
                    "for example `[\"ghcr.io/devcontainers/features/common-utils\"]`",
                );
            }
        }
    }
    for field in ["privileged", "init", "deprecated"] {
        if let Some(node) = root.get(field) {
            if !matches!(node.value, Value::Bool(_)) {
                push(
                    report,
                    "feature-field-type",
                    node.offset,
                    format!("`{field}` is {}, not a boolean", node.value.kind()),
                    "write `true` or `false` without quotes",
                );
            }
        }
    }
    if let Some(node) = root.get("containerEnv") {
        let ok = matches!(&node.value, Value::Object(m) if m.iter().all(|(_, v)| v.as_str().is_some()));
        if !ok {
            push(
                report,
                "feature-field-type",
                node.offset,
                "`containerEnv` must be an object of string values".into(),
                "for example `{\"PATH\": \"/opt/tool/bin:${PATH}\"}`",
            );
        }
    }
    if let Some(node) = root.get("id") {
        if let Some(id) = node.as_str() {
            if !is_valid_id(id) {
                push(
                    report,
                    "feature-id-invalid",
                    node.offset,
                    format!("id `{id}` is not lowercase letters, digits and dashes"),
                    "use an id such as `cpython-prebuilt` (it becomes a path segment of the OCI reference)",
                );
            }
            if id != folder {
                push(
                    report,
                    "feature-id-mismatch",
                    node.offset,
                    format!("id `{id}` differs from the folder name `{folder}`"),
                    "the devcontainers CLI requires the id to equal the Feature folder's name; rename one of them",
                );
            }
        }
    }
    if let Some(node) = root.get("version") {
        if let Some(version) = node.as_str() {
            if !crate::shared::formats::is_semver(version) {
                push(
                    report,
                    "feature-version-invalid",
                    node.offset,
                    format!("version `{version}` is not a semantic version"),
                    "write `MAJOR.MINOR.PATCH`, for example `1.0.0`; it becomes the OCI tag of the Feature",
                );
            }
        }
    }
    if let Some(options) = root.get("options") {
        check_options(file, options, report);
    }
}

fn check_options(file: &SourceFile, options: &Node, report: &mut Report) {
    let push = |report: &mut Report, code: &'static str, offset: usize, message: String, help: &str| {
        report.push(
            Diagnostic::new(code, file.path.clone(), file.position(offset), message)
                .help(help.to_owned())
                .source(file, 1),
        );
    };
    let Value::Object(members) = &options.value else {
        push(
            report,
            "feature-field-type",
            options.offset,
            format!("`options` is {}, not an object", options.value.kind()),
            "`options` maps each option name to `{\"type\": ..., \"default\": ...}`",
        );
        return;
    };
    let mut env_names: BTreeMap<String, &str> = BTreeMap::new();
    for (key, option) in members {
        let name = &key.name;
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            push(
                report,
                "feature-option-invalid",
                key.offset,
                format!("option name `{name}` has characters other than letters, digits, `_` and `-`"),
                "option names become environment variables of install.sh; use camelCase such as `artifactUrl`",
            );
        }
        let env = option_env_name(name);
        if let Some(other) = env_names.insert(env.clone(), name) {
            if other != name {
                push(
                    report,
                    "feature-option-invalid",
                    key.offset,
                    format!("options `{other}` and `{name}` both reach install.sh as `{env}`"),
                    "rename one of them; install.sh would see only one value",
                );
            }
        }
        let Value::Object(fields) = &option.value else {
            push(
                report,
                "feature-option-invalid",
                option.offset,
                format!("option `{name}` is {}, not an object", option.value.kind()),
                "write `{\"type\": \"string\", \"default\": \"...\", \"description\": \"...\"}`",
            );
            continue;
        };
        for (field, _) in fields {
            if !OPTION_FIELDS.contains(&field.name.as_str()) {
                push(
                    report,
                    "feature-unknown-field",
                    field.offset,
                    format!("`{}` is not a property of an option (option `{name}`)", field.name),
                    "an option has `type`, `description`, `default`, and for strings `enum` or `proposals`",
                );
            }
        }
        let Some(kind) = option.get("type") else {
            push(
                report,
                "feature-option-invalid",
                option.offset,
                format!("option `{name}` has no `type`"),
                "add `\"type\": \"string\"` or `\"type\": \"boolean\"`",
            );
            continue;
        };
        match kind.as_str() {
            Some("boolean") => check_boolean_option(file, name, option, report),
            Some("string") => check_string_option(file, name, option, report),
            Some(other) => push(
                report,
                "feature-option-invalid",
                kind.offset,
                format!("option `{name}` has type `{other}`; Features accept `string` and `boolean`"),
                "use `string` (with `enum` or `proposals` for choices) or `boolean`",
            ),
            None => push(
                report,
                "feature-option-invalid",
                kind.offset,
                format!("the `type` of option `{name}` is {}, not a string", kind.value.kind()),
                "write `\"type\": \"string\"` or `\"type\": \"boolean\"`",
            ),
        }
        if let Some(description) = option.get("description") {
            if description.as_str().is_none() {
                push(
                    report,
                    "feature-field-type",
                    description.offset,
                    format!("the `description` of option `{name}` is {}, not a string", description.value.kind()),
                    "write the description in double quotes",
                );
            }
        }
    }
}

fn check_boolean_option(file: &SourceFile, name: &str, option: &Node, report: &mut Report) {
    let push = |report: &mut Report, offset: usize, message: String, help: &str| {
        report.push(
            Diagnostic::new("feature-option-invalid", file.path.clone(), file.position(offset), message)
                .help(help.to_owned())
                .source(file, 1),
        );
    };
    match option.get("default") {
        None => push(
            report,
            option.offset,
            format!("boolean option `{name}` has no `default`"),
            "add `\"default\": true` or `\"default\": false`",
        ),
        Some(default) if !matches!(default.value, Value::Bool(_)) => push(
            report,
            default.offset,
            format!("the default of boolean option `{name}` is {}, not `true` or `false`", default.value.kind()),
            "write `true` or `false` without quotes",
        ),
        Some(_) => {}
    }
    for field in ["enum", "proposals"] {
        if let Some(node) = option.get(field) {
            push(
                report,
                node.offset,
                format!("boolean option `{name}` has `{field}`"),
                "only string options take `enum` or `proposals`; remove it",
            );
        }
    }
}

fn check_string_option(file: &SourceFile, name: &str, option: &Node, report: &mut Report) {
    let push = |report: &mut Report, offset: usize, message: String, help: &str| {
        report.push(
            Diagnostic::new("feature-option-invalid", file.path.clone(), file.position(offset), message)
                .help(help.to_owned())
                .source(file, 1),
        );
    };
    let strings = |field: &str| -> Option<Result<Vec<&str>, usize>> {
        let node = option.get(field)?;
        Some(match &node.value {
            Value::Array(items) if !items.is_empty() => {
                items.iter().map(|item| item.as_str().ok_or(item.offset)).collect::<Result<Vec<_>, _>>()
            }
            _ => Err(node.offset),
        })
    };
    let choices = match strings("enum") {
        Some(Err(offset)) => {
            push(
                report,
                offset,
                format!("the `enum` of option `{name}` must be a non-empty array of strings"),
                "for example `\"enum\": [\"3.11.2\", \"3.12.6\"]`",
            );
            None
        }
        Some(Ok(values)) => Some(values),
        None => None,
    };
    if let Some(Err(offset)) = strings("proposals") {
        push(
            report,
            offset,
            format!("the `proposals` of option `{name}` must be a non-empty array of strings"),
            "for example `\"proposals\": [\"3.11.2\"]`",
        );
    }
    if let (Some(node), Some(_)) = (option.get("proposals"), option.get("enum")) {
        push(
            report,
            node.offset,
            format!("option `{name}` has both `enum` and `proposals`"),
            "`enum` allows only its values, `proposals` only suggests; keep one",
        );
    }
    match option.get("default") {
        None => push(
            report,
            option.offset,
            format!("string option `{name}` has no `default`"),
            "add `\"default\": \"\"` when there is no sensible default",
        ),
        Some(default) => match default.as_str() {
            None => push(
                report,
                default.offset,
                format!("the default of string option `{name}` is {}, not a string", default.value.kind()),
                "write the default in double quotes",
            ),
            Some(value) => {
                if let Some(choices) = &choices {
                    if !choices.contains(&value) {
                        push(
                            report,
                            default.offset,
                            format!("the default `{value}` of option `{name}` is not one of its `enum` values"),
                            "add it to `enum` or pick one of the listed values",
                        );
                    }
                }
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::diag::{Level, Levels};

    fn findings(folder: &str, text: &str) -> Vec<(String, usize, usize)> {
        let mut report = Report::new(Levels::default());
        let file = SourceFile::new(format!("feature/{folder}/devcontainer-feature.json"), text.to_owned());
        check_manifest(&file, true, &mut report);
        report.diagnostics.iter().map(|d| (d.code.to_owned(), d.position.line, d.position.column)).collect()
    }

    fn codes(folder: &str, text: &str) -> Vec<String> {
        findings(folder, text).into_iter().map(|(c, _, _)| c).collect()
    }

    const GOOD: &str = r#"{
  "id": "cpython-prebuilt",
  "version": "1.0.0",
  "name": "CPython (prebuilt)",
  "options": {
    "version": {"type": "string", "default": "3.11.2", "proposals": ["3.11.2"]},
    "setDefault": {"type": "boolean", "default": true},
    "kind": {"type": "string", "enum": ["a", "b"], "default": "a"}
  },
  "installsAfter": ["ghcr.io/devcontainers/features/common-utils"]
}
"#;

    #[test]
    fn a_correct_manifest_has_no_finding() {
        assert_eq!(codes("cpython-prebuilt", GOOD), Vec::<String>::new());
    }

    #[test]
    fn the_repository_feature_manifest_is_valid() {
        let text = include_str!("../../feature/cpython-prebuilt/devcontainer-feature.json");
        assert_eq!(codes("cpython-prebuilt", text), Vec::<String>::new());
    }

    #[test]
    fn json_that_is_not_strict_is_refused_with_its_position() {
        let cases: &[(&str, &str, usize, usize)] = &[
            ("{\"id\": \"a\",}", "trailing comma", 1, 12),
            ("{\n  // note\n  \"id\": \"a\"}", "comments", 2, 3),
            ("{\"id\": \"a\" /* x */}", "comments", 1, 12),
            ("{\"a\": [1, 2,]}", "trailing comma", 1, 13),
            ("{'id': 'a'}", "double quotes", 1, 2),
            ("{\"a\": 01}", "leading zeros", 1, 8),
            ("{\"a\": 1} x", "after the JSON value", 1, 10),
            ("{\"a\": \"x", "unterminated", 1, 7),
            ("\u{feff}{}", "byte order mark", 1, 1),
            ("", "expected a value", 1, 1),
            ("{\"a\": tru}", "expected a value", 1, 7),
        ];
        for (text, message, line, column) in cases {
            let error = parse(text).expect_err(text);
            assert!(error.message.contains(message), "{text}: {}", error.message);
            let file = SourceFile::new("x", (*text).to_owned());
            assert_eq!(file.position(error.offset), Position::new(*line, *column), "{text}");
        }
    }

    #[test]
    fn parser_reads_escapes_numbers_and_nesting() {
        let (node, dups) =
            parse(r#"{"s": "a\"b\u00e9\ud83d\ude00\n", "n": [-1.5e3, 0, true, null], "o": {}}"#).unwrap();
        assert!(dups.is_empty());
        assert_eq!(node.get("s").unwrap().as_str(), Some("a\"b\u{e9}\u{1f600}\n"));
        assert_eq!(
            node.get("n").map(|n| &n.value),
            Some(&Value::Array(vec![
                Node { offset: 40, value: Value::Number("-1.5e3".into()) },
                Node { offset: 48, value: Value::Number("0".into()) },
                Node { offset: 51, value: Value::Bool(true) },
                Node { offset: 57, value: Value::Null },
            ]))
        );
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().message.contains("nesting"));
        assert!(parse(r#""\ud800""#).is_err());
    }

    #[test]
    fn duplicate_keys_are_found_at_any_depth() {
        let text = "{\n  \"id\": \"x\",\n  \"version\": \"1.0.0\",\n  \"name\": \"n\",\n  \"options\": {\"a\": {\"type\": \"boolean\", \"default\": true, \"default\": false}},\n  \"id\": \"x\"\n}";
        let found = findings("x", text);
        assert_eq!(
            found,
            vec![("feature-duplicate-key".to_owned(), 5, 57), ("feature-duplicate-key".to_owned(), 6, 3)]
        );
    }

    #[test]
    fn id_must_match_folder_and_pattern() {
        let text = r#"{"id": "CPython_prebuilt", "version": "1.0.0", "name": "n"}"#;
        assert_eq!(codes("cpython-prebuilt", text), vec!["feature-id-invalid", "feature-id-mismatch"]);
        let text = r#"{"id": "other", "version": "1.0.0", "name": "n"}"#;
        assert_eq!(codes("cpython-prebuilt", text), vec!["feature-id-mismatch"]);
    }

    #[test]
    fn version_must_be_semver_and_fields_present() {
        let text = r#"{"id": "x", "version": "1.0"}"#;
        assert_eq!(codes("x", text), vec!["feature-missing-field", "feature-version-invalid"]);
        let text = r#"{"id": "x", "version": 1, "name": "n"}"#;
        assert_eq!(codes("x", text), vec!["feature-field-type"]);
        assert_eq!(codes("x", "[]"), vec!["feature-field-type"]);
    }

    #[test]
    fn option_types_and_defaults_are_checked() {
        let text = r#"{"id": "x", "version": "1.0.0", "name": "n", "options": {
  "a": {"type": "boolean", "default": "true"},
  "b": {"type": "string", "default": false},
  "c": {"type": "string", "enum": ["1", "2"], "default": "3"},
  "d": {"type": "number", "default": 1},
  "e": {"default": ""},
  "f": {"type": "string", "enum": [], "default": ""},
  "g": {"type": "boolean", "default": true, "enum": ["x"]},
  "h": {"type": "string"},
  "i": {"type": "string", "default": "", "proposal": ["x"]},
  "j-k": {"type": "string", "default": ""},
  "j_k": {"type": "string", "default": ""},
  "l": {"type": "string", "default": "", "enum": ["", "x"], "proposals": ["x"]}
}}"#;
        let found = findings("x", text);
        let lines: Vec<(String, usize)> = found.into_iter().map(|(c, l, _)| (c, l)).collect();
        let expect = |code: &str, line: usize| (code.to_owned(), line);
        assert_eq!(
            lines,
            vec![
                expect("feature-option-invalid", 2),
                expect("feature-option-invalid", 3),
                expect("feature-option-invalid", 4),
                expect("feature-option-invalid", 5),
                expect("feature-option-invalid", 6),
                expect("feature-option-invalid", 7),
                expect("feature-option-invalid", 8),
                expect("feature-option-invalid", 9),
                expect("feature-unknown-field", 10),
                expect("feature-option-invalid", 12),
                expect("feature-option-invalid", 13),
            ]
        );
    }

    #[test]
    fn unknown_top_level_fields_are_warnings() {
        let text = r#"{"id": "x", "version": "1.0.0", "name": "n", "optoins": {}}"#;
        let mut report = Report::new(Levels::default());
        check_manifest(&SourceFile::new("feature/x/devcontainer-feature.json", text.into()), true, &mut report);
        assert_eq!(report.diagnostics.len(), 1);
        assert_eq!(report.diagnostics[0].code, "feature-unknown-field");
        assert_eq!(report.diagnostics[0].level, Level::Warn);
        assert!(!report.has_errors());
    }

    #[test]
    fn env_names_follow_the_cli_rule() {
        assert_eq!(option_env_name("artifactUrl"), "ARTIFACTURL");
        assert_eq!(option_env_name("set-default"), "SET_DEFAULT");
        assert_eq!(option_env_name("1x"), "_1X");
    }

    #[test]
    fn manifest_paths() {
        assert!(is_manifest_path("feature/cpython-prebuilt/devcontainer-feature.json"));
        assert!(!is_manifest_path("feature/devcontainer-feature.json"));
        assert!(!is_manifest_path("feature/a/b/devcontainer-feature.json"));
        assert!(!is_manifest_path("other/a/devcontainer-feature.json"));
    }
}
