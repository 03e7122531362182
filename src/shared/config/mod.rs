//! specgate.toml: the raw file (`RawConfig`, strict: unknown keys are errors with file:line)
//! and the validated `Config` that the rest of the crate reads. Defaults fit the layout of
//! SPEC_INFRA_001, so no file is needed to start. Precedence: CLI > SPECGATE_* > file > default.
//!
//! A value that parses but cannot be used is an [`Invalid`] naming its [`KeyPath`]; the
//! [`Locator`] turns that into the `file:line:column` of the value, for every semantic error
//! and for findings about the configuration itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use regex::Regex;
use serde::Deserialize;

use crate::shared::diag::{self, Level, Levels, Position};

pub mod artifacts;
pub mod build;
pub mod critical_tests;
pub mod emoji;
pub mod hooks;
pub mod limits;
pub mod links;
pub mod secret_rules;
pub mod secrets;

pub use limits::Limits;

/// The file name looked up at the root of the work tree.
pub const FILE_NAME: &str = "specgate.toml";

/// specgate.toml is read only when it is a regular file of at most this many bytes; a usual
/// one has a few KiB, and a FIFO or a link to `/dev/zero` must not stall or exhaust a run.
pub const MAX_BYTES: u64 = 1024 * 1024;

/// A configuration value is echoed in a message up to this many characters, then cut.
const ECHO_CHARS: usize = 80;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not read `{path}`")]
    Read {
        path: String,
        /// The path came from `--config` or `SPECGATE_CONFIG`, not from the work tree's root.
        explicit: bool,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}:{line}:{column}`: {message}")]
    Parse { path: String, line: usize, column: usize, message: String },
    #[error("`{path}:{line}:{column}`: {message}")]
    Invalid { path: String, line: usize, column: usize, message: String },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::Read { explicit: true, source, .. } => format!(
                "check the file given with `--config` or `SPECGATE_CONFIG`: {}",
                read_advice(source)
            ),
            Error::Read { explicit: false, source, .. } => format!(
                "no `--config` was given, so specgate read `{FILE_NAME}` at the root of the work tree: {}; or remove the file to use the defaults",
                read_advice(source)
            ),
            Error::Parse { .. } | Error::Invalid { .. } => {
                "fix the key or value named above; docs/configuration.md lists every key and its default".to_owned()
            }
        })
    }
}

/// What to do about a configuration file that could not be read.
fn read_advice(source: &std::io::Error) -> String {
    match source.kind() {
        std::io::ErrorKind::InvalidData if source.to_string().contains("UTF-8") => {
            "TOML must be UTF-8; re-save the file as UTF-8 (`iconv -f latin1 -t utf-8`)".to_owned()
        }
        std::io::ErrorKind::InvalidData | std::io::ErrorKind::InvalidInput => {
            format!("it must be a regular file (not a FIFO, device or folder) of at most {} MiB", MAX_BYTES >> 20)
        }
        std::io::ErrorKind::NotFound => "the file does not exist (a dangling link?)".to_owned(),
        _ => "it must be a readable regular file".to_owned(),
    }
}

/// A configuration value as it may appear in a message: at most 80 characters, then
/// `... (N bytes)`, so a 10 MB string does not become a 10 MB error.
pub fn shorten(value: &str) -> String {
    match value.char_indices().nth(ECHO_CHARS) {
        None => value.to_owned(),
        Some((cut, _)) => format!("{}... ({} bytes)", &value[..cut], value.len()),
    }
}

/// `shorten` applied to every run quoted with `"..."` or backticks in a message from the TOML
/// parser, which echoes values (`invalid type: string "..."`, expected u32).
fn shorten_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest.as_bytes()[open];
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        let mut escaped = false;
        let close = inner.char_indices().find(|&(_, c)| {
            let found = !escaped && c == char::from(quote);
            escaped = quote == b'"' && !escaped && c == '\\';
            found
        });
        let Some((close, _)) = close else {
            out.push_str(&shorten(inner));
            return out;
        };
        out.push_str(&shorten(&inner[..close]));
        out.push(char::from(quote));
        rest = &inner[close + 1..];
    }
    out.push_str(rest);
    out
}

/// Why a regular expression does not compile, without echoing a long pattern: the regex
/// crate's message repeats the pattern with a caret under the fault, which helps for a short
/// one-line pattern and is cut to its last line otherwise.
pub fn regex_reason(pattern: &str, error: &regex::Error) -> String {
    if pattern.len() <= ECHO_CHARS && !pattern.contains('\n') {
        return error.to_string();
    }
    regex_fault(error)
}

/// The last line of a regex error, which says what is wrong without repeating the pattern.
fn regex_fault(error: &regex::Error) -> String {
    let text = error.to_string();
    let last = text.lines().last().unwrap_or_default();
    last.strip_prefix("error: ").unwrap_or(last).to_owned()
}

/// Why a glob does not compile, without the glob itself (the message names it, cut).
pub fn glob_reason(error: &globset::Error) -> String {
    error.kind().to_string()
}

// ---------------------------------------------------------------- positions

/// One step of a [`KeyPath`].
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Key(String),
    Index(usize),
}

/// Where a value sits in specgate.toml: table names, keys and array indexes from the top,
/// `secrets.rules[2].regex`. Built by the validators that find a value wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KeyPath {
    segments: Vec<Segment>,
    /// Point at the key's name, not its value (an unknown name is the fault).
    name: bool,
}

impl KeyPath {
    /// Keys separated by dots, `"artifacts.max-active"`; a key that holds a dot is added with
    /// [`KeyPath::key`].
    pub fn new(dotted: &str) -> KeyPath {
        KeyPath { segments: dotted.split('.').map(|k| Segment::Key(k.to_owned())).collect(), name: false }
    }

    /// One key deeper.
    pub fn key(mut self, key: impl Into<String>) -> KeyPath {
        self.segments.push(Segment::Key(key.into()));
        self
    }

    /// An item of the array (or array of tables) at this path.
    pub fn index(mut self, index: usize) -> KeyPath {
        self.segments.push(Segment::Index(index));
        self
    }

    /// The key's name rather than its value.
    pub fn name(mut self) -> KeyPath {
        self.name = true;
        self
    }
}

impl std::fmt::Display for KeyPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                Segment::Key(key) if i > 0 => write!(f, ".{key}")?,
                Segment::Key(key) => write!(f, "{key}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// A value of specgate.toml that parses but cannot be used: where it is, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    pub at: KeyPath,
    pub message: String,
}

impl Invalid {
    pub fn new(at: KeyPath, message: impl Into<String>) -> Invalid {
        Invalid { at, message: message.into() }
    }
}

/// specgate.toml parsed again with byte spans (toml_edit), to find where a key path is.
pub struct Locator<'a> {
    document: Option<toml_edit::ImDocument<&'a str>>,
    source: diag::SourceFile,
}

/// A string of the document and its byte span.
type Spanned<'a> = (&'a str, Option<std::ops::Range<usize>>);

/// A place in the parsed document while a key path is followed.
#[derive(Clone, Copy)]
enum Node<'a> {
    Item(&'a toml_edit::Item),
    Value(&'a toml_edit::Value),
    Table(&'a toml_edit::Table),
}

impl<'a> Node<'a> {
    fn span(self) -> Option<std::ops::Range<usize>> {
        match self {
            Node::Item(item) => item.span(),
            Node::Value(value) => value.span(),
            Node::Table(table) => table.span(),
        }
    }

    /// The key and node of `key` in this table (standard or inline).
    fn child(self, key: &str) -> Option<(&'a toml_edit::Key, Node<'a>)> {
        let (key, item) = match self {
            Node::Item(item) => item.as_table_like()?.get_key_value(key)?,
            Node::Value(value) => value.as_inline_table()?.get_key_value(key)?,
            Node::Table(table) => table.get_key_value(key)?,
        };
        Some((key, Node::Item(item)))
    }

    fn item(self, index: usize) -> Option<Node<'a>> {
        match self {
            Node::Item(toml_edit::Item::ArrayOfTables(tables)) => tables.get(index).map(Node::Table),
            Node::Item(item) => item.as_array()?.get(index).map(Node::Value),
            Node::Value(value) => value.as_array()?.get(index).map(Node::Value),
            Node::Table(_) => None,
        }
    }

    fn as_strings(self) -> Option<Vec<Spanned<'a>>> {
        let array = match self {
            Node::Item(item) => item.as_array()?,
            Node::Value(value) => value.as_array()?,
            Node::Table(_) => return None,
        };
        array.iter().map(|value| Some((value.as_str()?, value.span()))).collect()
    }

    fn len(self) -> Option<usize> {
        match self {
            Node::Item(toml_edit::Item::ArrayOfTables(tables)) => Some(tables.len()),
            Node::Item(item) => item.as_array().map(toml_edit::Array::len),
            Node::Value(value) => value.as_array().map(toml_edit::Array::len),
            Node::Table(_) => None,
        }
    }
}

impl<'a> Locator<'a> {
    pub fn new(path: &str, text: &'a str) -> Locator<'a> {
        Locator {
            document: toml_edit::ImDocument::parse(text).ok(),
            source: diag::SourceFile::new(path, text.to_owned()),
        }
    }

    /// Follow `at` as far as the document has it; the node reached and the span of the
    /// deepest step found (a key's span when the path names the key itself).
    fn follow(&self, at: &KeyPath) -> (Option<Node<'_>>, Option<std::ops::Range<usize>>) {
        let Some(document) = &self.document else { return (None, None) };
        let mut node = Node::Table(document.as_table());
        let mut span = None;
        for (i, segment) in at.segments.iter().enumerate() {
            let last = i + 1 == at.segments.len();
            let next = match segment {
                Segment::Key(key) => node.child(key).map(|(key, child)| {
                    if last && at.name {
                        span = key.span().or(span.clone());
                    } else {
                        span = child.span().or_else(|| key.span()).or(span.clone());
                    }
                    child
                }),
                Segment::Index(index) => node.item(*index).inspect(|child| span = child.span().or(span.clone())),
            };
            match next {
                Some(next) => node = next,
                None => return (None, span),
            }
        }
        (Some(node), span)
    }

    /// The line and column of the value (or key) at `at`, or of the nearest enclosing key the
    /// file has; 1:1 when it has none of it.
    pub fn position(&self, at: &KeyPath) -> Position {
        self.follow(at).1.map_or(Position::new(1, 1), |span| self.source.position(span.start))
    }

    /// The strings of the array at `at` with their positions; `None` when the file does not
    /// write that key (the default applies) or it is not an array of strings.
    pub fn strings(&self, at: &KeyPath) -> Option<Vec<(String, Position)>> {
        let (node, span) = self.follow(at);
        let fallback = span.map_or(Position::new(1, 1), |s| self.source.position(s.start));
        let strings = node?.as_strings()?;
        Some(
            strings
                .into_iter()
                .map(|(text, span)| (text.to_owned(), span.map_or(fallback, |s| self.source.position(s.start))))
                .collect(),
        )
    }

    /// The string at `at`, when the file writes one there.
    pub fn string(&self, at: &KeyPath) -> Option<String> {
        match self.follow(at).0? {
            Node::Item(item) => item.as_str().map(str::to_owned),
            Node::Value(value) => value.as_str().map(str::to_owned),
            Node::Table(_) => None,
        }
    }

    /// How many items the array (or array of tables) at `at` holds; 0 when the file has none.
    pub fn len(&self, at: &KeyPath) -> usize {
        self.follow(at).0.and_then(Node::len).unwrap_or(0)
    }

    /// The file's text by lines, for the excerpt under a finding about an entry.
    pub fn source(&self) -> &diag::SourceFile {
        &self.source
    }
}

// ---------------------------------------------------------------- raw file

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    spec: Option<RawSpec>,
    emoji: Option<emoji::RawEmojiConfig>,
    /// Per-code level: `code = "allow" | "warn" | "deny"`.
    severity: Option<BTreeMap<String, String>>,
    artifacts: Option<artifacts::RawArtifacts>,
    tests: Option<critical_tests::RawTestsConfig>,
    hooks: Option<hooks::RawHooksConfig>,
    secrets: Option<secrets::RawSecrets>,
    build: Option<build::RawBuild>,
    limits: Option<limits::RawLimits>,
    links: Option<links::RawLinks>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSpec {
    roots: Option<Vec<String>>,
    require_front_matter: Option<Vec<String>>,
    exclude: Option<Vec<String>>,
    components: Option<Vec<String>>,
    max_document_bytes: Option<u64>,
    fields: Option<BTreeMap<String, FieldKind>>,
    types: Option<BTreeMap<String, RawType>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawType {
    id_pattern: String,
    required: Option<Vec<String>>,
    sections: Option<Vec<String>>,
    body_checks: Option<bool>,
}

/// What a front-matter field must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldKind {
    /// Any non-empty scalar.
    Text,
    /// Semantic version `MAJOR.MINOR.PATCH[-pre][+build]`.
    Semver,
    /// ISO 8601 calendar date `YYYY-MM-DD`.
    Date,
    /// A list of document ids, each of which must resolve.
    IdList,
    /// A list of scalars.
    List,
}

// ---------------------------------------------------------------- validated

/// The schema of one `tipo`.
#[derive(Debug, Clone)]
pub struct DocType {
    pub name: String,
    pub id_pattern: Regex,
    pub id_pattern_source: String,
    pub required: Vec<String>,
    pub sections: Vec<String>,
    /// Run the spec-body checks (use cases, rules, criteria, test cases).
    pub body_checks: bool,
}

#[derive(Debug, Clone)]
pub struct SpecConfig {
    /// Folders whose Markdown files are governed documents.
    pub roots: Vec<String>,
    /// Folder names: a Markdown file with a folder of this name in its path must have front-matter.
    pub require_front_matter: Vec<String>,
    pub exclude: globset::GlobSet,
    /// Paths that must mention the id of a spec that governs them.
    pub components: Vec<String>,
    pub max_document_bytes: u64,
    pub fields: BTreeMap<String, FieldKind>,
    pub types: BTreeMap<String, DocType>,
    /// Matches any document id of any tipo, for ids mentioned in bodies and code.
    pub any_id: Regex,
}

#[derive(Debug, Clone)]
pub struct Config {
    /// Where the configuration came from (`None`: defaults only).
    pub source: Option<PathBuf>,
    /// The file's text (empty for the defaults), for [`Config::locator`].
    text: Arc<str>,
    pub spec: SpecConfig,
    pub emoji: emoji::EmojiConfig,
    pub levels: Levels,
    pub artifacts: artifacts::ArtifactsConfig,
    pub tests: critical_tests::TestsConfig,
    pub hooks: hooks::HooksConfig,
    pub secrets: secrets::SecretsConfig,
    pub build: build::BuildConfig,
    pub limits: Limits,
    pub links: links::LinksConfig,
}

const DEFAULT_REQUIRED: &[&str] =
    &["id", "tipo", "categoria", "version", "fecha_creacion", "propietario", "relacionados"];

/// Required sections of a spec, from the seed's template (SPEC_INFRA_001). Matched against
/// heading texts with their numbering ("3.3 ") removed, ignoring case.
const DEFAULT_SPEC_SECTIONS: &[&str] = &[
    "Metadata",
    "Trazabilidad",
    "Resumen Ejecutivo",
    "Contexto y Motivación",
    "Requisitos Funcionales",
    "Casos de Uso",
    "Reglas de Negocio",
    "Criterios de Aceptación",
    "Requisitos No Funcionales",
    "Diseño de Solución",
    "Dependencias",
    "Plan de Testing",
    "Casos de Prueba",
    "Riesgos e Impacto",
    "Historial de Cambios",
];

fn default_types() -> Vec<(&'static str, &'static str, bool)> {
    vec![
        ("especificacion", r"^SPEC_[A-Z][A-Z0-9]*_[0-9]{3}$", true),
        ("adr", r"^ADR_[0-9]{3}$", false),
        ("plan", r"^PLAN-[A-Z][A-Z0-9]*-[0-9]{3}$", false),
        ("requisito", r"^REQ(-[A-Z][A-Z0-9]*)+-[0-9]{3}$", false),
    ]
}

fn default_fields() -> BTreeMap<String, FieldKind> {
    [
        ("id", FieldKind::Text),
        ("tipo", FieldKind::Text),
        ("categoria", FieldKind::Text),
        ("version", FieldKind::Semver),
        ("fecha_creacion", FieldKind::Date),
        ("propietario", FieldKind::Text),
        ("relacionados", FieldKind::IdList),
        ("date", FieldKind::Date),
    ]
    .into_iter()
    .map(|(name, kind)| (name.to_owned(), kind))
    .collect()
}

impl Config {
    /// Load `path` if given, else `<root>/specgate.toml` if it exists, else the defaults. The
    /// file is read only when it is a regular UTF-8 file within [`MAX_BYTES`]: a FIFO or a link
    /// to a device at the default path is an error, never waited on and never skipped.
    pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Config, Error> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None => {
                let path = root.join(FILE_NAME);
                match std::fs::symlink_metadata(&path) {
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                        return Ok(Config::defaults());
                    }
                    _ => path,
                }
            }
        };
        let shown = path.display().to_string();
        let text = crate::shared::readfile::text(&path, MAX_BYTES).map_err(|source| Error::Read {
            path: shown,
            explicit: explicit.is_some(),
            source,
        })?;
        Config::parse(&text, &path)
    }

    /// Parse the text of a specgate.toml; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Config, Error> {
        let shown = path.display().to_string();
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            let offset = error.span().map_or(0, |span| span.start);
            let position = diag::SourceFile::new(shown.clone(), text.to_owned()).position(offset);
            Error::Parse {
                path: shown.clone(),
                line: position.line,
                column: position.column,
                message: shorten_quoted(error.message().trim()),
            }
        })?;
        Config::from_raw(raw, Some(path.to_path_buf()), text).map_err(|invalid| {
            let position = Locator::new(&shown, text).position(&invalid.at);
            Error::Invalid {
                path: shown.clone(),
                line: position.line,
                column: position.column,
                message: invalid.message,
            }
        })
    }

    /// The defaults, as if no specgate.toml existed.
    pub fn defaults() -> Config {
        Config::from_raw(RawConfig::default(), None, "").expect("the built-in defaults are valid")
    }

    /// The configuration file's text with positions, to point a message at a key or value.
    pub fn locator(&self) -> Locator<'_> {
        Locator::new(&self.source.as_deref().map(|p| p.display().to_string()).unwrap_or_default(), &self.text)
    }

    fn from_raw(raw: RawConfig, source: Option<PathBuf>, text: &str) -> Result<Config, Invalid> {
        let spec = raw.spec.unwrap_or_default();
        let emoji = raw.emoji.unwrap_or_default().validate()?;
        let artifacts = raw.artifacts.unwrap_or_default().validate()?;

        let mut types = BTreeMap::new();
        for (name, pattern, body) in default_types() {
            let sections =
                if body { DEFAULT_SPEC_SECTIONS.iter().map(|s| (*s).to_owned()).collect() } else { Vec::new() };
            types.insert(
                name.to_owned(),
                DocType {
                    name: name.to_owned(),
                    id_pattern: Regex::new(pattern).expect("built-in id patterns compile"),
                    id_pattern_source: pattern.to_owned(),
                    required: DEFAULT_REQUIRED.iter().map(|s| (*s).to_owned()).collect(),
                    sections,
                    body_checks: body,
                },
            );
        }
        for (name, raw_type) in spec.types.unwrap_or_default() {
            let id_pattern = Regex::new(&raw_type.id_pattern).map_err(|error| {
                Invalid::new(
                    KeyPath::new("spec.types").key(&name).key("id-pattern"),
                    format!(
                        "`spec.types.{}.id-pattern` is not a valid regular expression: {}",
                        shorten(&name),
                        regex_reason(&raw_type.id_pattern, &error)
                    ),
                )
            })?;
            let defaults = types.get(&name);
            let doc_type = DocType {
                name: name.clone(),
                id_pattern,
                id_pattern_source: raw_type.id_pattern.clone(),
                required: raw_type.required.unwrap_or_else(|| {
                    defaults.map_or_else(
                        || DEFAULT_REQUIRED.iter().map(|s| (*s).to_owned()).collect(),
                        |d| d.required.clone(),
                    )
                }),
                sections: raw_type.sections.unwrap_or_else(|| defaults.map_or_else(Vec::new, |d| d.sections.clone())),
                body_checks: raw_type.body_checks.unwrap_or_else(|| defaults.is_some_and(|d| d.body_checks)),
            };
            types.insert(name, doc_type);
        }

        let mut fields = default_fields();
        fields.extend(spec.fields.unwrap_or_default());

        let exclude = globs(&KeyPath::new("spec.exclude"), &spec.exclude.unwrap_or_default(), globset::Glob::new)?;

        let any_id = any_id_regex(types.values()).map_err(|error| {
            Invalid::new(KeyPath::new("spec.types"), format!("the id patterns do not combine: {}", regex_fault(&error)))
        })?;

        let secrets = secrets::SecretsConfig::from_raw(raw.secrets.unwrap_or_default())?;

        let mut levels = Levels::default();
        for (code, level) in raw.severity.unwrap_or_default() {
            let at = KeyPath::new("severity").key(&code);
            if diag::lookup(&code).is_none() {
                return Err(Invalid::new(
                    at.name(),
                    format!(
                        "`[severity]` names unknown code `{}`; docs/diagnostics.md lists the codes",
                        shorten(&code)
                    ),
                ));
            }
            let level = Level::parse(&level).ok_or_else(|| {
                Invalid::new(
                    at,
                    format!("`[severity] {code}` must be \"allow\", \"warn\" or \"deny\", not \"{}\"", shorten(&level)),
                )
            })?;
            levels.set(&code, level);
        }

        let tests = raw.tests.unwrap_or_default().validate()?;
        let hooks = raw.hooks.unwrap_or_default().validate()?;
        let build = raw.build.unwrap_or_default().validate()?;
        let limits = raw.limits.unwrap_or_default().validate()?;
        let links = raw.links.unwrap_or_default().validate()?;

        Ok(Config {
            source,
            text: Arc::from(text),
            limits,
            links,
            tests,
            hooks,
            spec: SpecConfig {
                roots: normalize_dirs(spec.roots.unwrap_or_else(|| vec!["docs".into(), "specs".into()])),
                require_front_matter: spec.require_front_matter.unwrap_or_else(|| vec!["specs".into()]),
                exclude,
                components: normalize_dirs(
                    spec.components.unwrap_or_else(|| vec!["feature".into(), "vagrant".into(), "hooks".into()]),
                ),
                max_document_bytes: spec.max_document_bytes.unwrap_or(8 * 1024 * 1024),
                fields,
                types,
                any_id,
            },
            emoji,
            levels,
            artifacts,
            secrets,
            build,
        })
    }
}

/// Compile the globs of the array at `at`; a bad one is an error at its own item.
pub fn globs(
    at: &KeyPath,
    patterns: &[String],
    compile: impl Fn(&str) -> Result<globset::Glob, globset::Error>,
) -> Result<globset::GlobSet, Invalid> {
    let mut builder = globset::GlobSetBuilder::new();
    for (i, pattern) in patterns.iter().enumerate() {
        let glob = compile(pattern).map_err(|error| {
            Invalid::new(
                at.clone().index(i),
                format!("`{at}` pattern `{}` is not a valid glob: {}", shorten(pattern), glob_reason(&error)),
            )
        })?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|error| Invalid::new(at.clone(), format!("`{at}` globs do not combine: {}", glob_reason(&error))))
}

/// Folder names without leading `./` or trailing `/`.
fn normalize_dirs(dirs: Vec<String>) -> Vec<String> {
    dirs.into_iter().map(|d| d.trim_start_matches("./").trim_end_matches('/').to_owned()).collect()
}

/// One regex that finds any document id in running text: the anchored per-tipo patterns,
/// unanchored and bounded by ASCII word boundaries so that `SPEC_INFRA_0011` or `XSPEC_INFRA_001` do not match.
fn any_id_regex<'a>(types: impl Iterator<Item = &'a DocType>) -> Result<Regex, regex::Error> {
    let alternatives: Vec<String> = types
        .map(|t| {
            let source = t.id_pattern_source.trim_start_matches('^').trim_end_matches('$');
            format!("(?:{source})")
        })
        .collect();
    Regex::new(&format!(r"(?-u:\b)(?:{})(?-u:\b)", alternatives.join("|")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        Config::parse(text, Path::new("specgate.toml"))
    }

    #[test]
    fn unknown_key_is_an_error_with_line() {
        let error = parse("[spec]\nroots = [\"docs\"]\nrotos = 1\n").unwrap_err();
        let text = error.to_string();
        assert!(text.contains("specgate.toml:3:"), "{text}");
        assert!(text.contains("unknown field `rotos`"), "{text}");
    }

    #[test]
    fn unknown_severity_code_and_level_are_errors() {
        assert!(parse("[severity]\nno-such-code = \"warn\"\n").unwrap_err().to_string().contains("no-such-code"));
        let error = parse("[severity]\nspec-missing-field = \"loud\"\n").unwrap_err().to_string();
        assert!(error.contains("\"loud\""), "{error}");
    }

    #[test]
    fn types_override_defaults_and_add_new_ones() {
        let config = parse(
            "[spec.types.adr]\nid-pattern = '^ADR-[0-9]{4}$'\n[spec.types.runbook]\nid-pattern = '^RB_[0-9]+$'\nrequired = [\"id\", \"tipo\"]\n",
        )
        .unwrap();
        assert!(config.spec.types["adr"].id_pattern.is_match("ADR-0001"));
        assert!(!config.spec.types["adr"].id_pattern.is_match("ADR_001"));
        assert_eq!(config.spec.types["runbook"].required, vec!["id", "tipo"]);
        assert!(config.spec.types["especificacion"].body_checks);
    }

    #[test]
    fn any_id_finds_ids_with_boundaries() {
        let config = Config::defaults();
        let find =
            |text: &str| -> Vec<String> { config.spec.any_id.find_iter(text).map(|m| m.as_str().to_owned()).collect() };
        assert_eq!(find("see SPEC_INFRA_001 and ADR_008,ADR_009."), vec!["SPEC_INFRA_001", "ADR_008", "ADR_009"]);
        assert_eq!(find("PLAN-INFRA-001, REQ-UC-INFRA-001"), vec!["PLAN-INFRA-001", "REQ-UC-INFRA-001"]);
        assert!(find("SPEC_INFRA_0011 XADR_008").is_empty());
    }

    #[test]
    fn bad_regex_is_reported() {
        let error = parse("[spec.types.adr]\nid-pattern = '(('\n").unwrap_err().to_string();
        assert!(error.contains("spec.types.adr.id-pattern"), "{error}");
    }

    /// Every semantic error names `specgate.toml:LINE:COLUMN` of the value (or key) at fault.
    #[test]
    fn semantic_errors_point_at_the_line_and_column_of_the_value() {
        let fingerprint = "fingerprint = \"123\"\npublic-key = \"k.asc\"";
        let sha = "a".repeat(64);
        let cases: Vec<(String, &str, &str)> = vec![
            ("[artifacts]\nmax-active = 0\n".into(), "2:14", "`artifacts.max-active` must be at least 1"),
            ("[artifacts]\nfolder = \"../x\"\n".into(), "2:10", "`artifacts.folder` must be a path inside"),
            ("[artifacts]\nledger = \"/etc/passwd\"\n".into(), "2:10", "`artifacts.ledger` must be a path inside"),
            ("[artifacts]\nunpack-max-bytes = 0\n".into(), "2:20", "`artifacts.unpack-max-bytes` must be at least 1"),
            ("[spec.types.adr]\nid-pattern = '(('\n".into(), "2:14", "not a valid regular expression"),
            ("[spec]\nexclude = [\"a\", \"b/[\"]\n".into(), "2:17", "`spec.exclude` pattern `b/[`"),
            ("[severity]\nno-such-code = \"warn\"\n".into(), "2:1", "unknown code `no-such-code`"),
            ("[severity]\nspec-missing-field = \"loud\"\n".into(), "2:22", "not \"loud\""),
            ("[emoji]\nallow-paths = [\"ok\",\n  \"a/[\"]\n".into(), "3:3", "`emoji.allow-paths` pattern `a/[`"),
            ("[emoji]\nmax-file-bytes = 0\n".into(), "2:18", "`emoji.max-file-bytes`"),
            ("[secrets]\ndisable = [\"jwt\", \"nope\"]\n".into(), "2:19", "unknown rule `nope`"),
            ("[secrets]\nallow-paths = [\"[\"]\n".into(), "2:16", "`secrets.allow-paths` pattern `[`"),
            ("[[secrets.rules]]\nid = \"x\"\nregex = '('\nkeywords = [\"x\"]\n".into(), "3:9", "`regex` is not a valid"),
            (
                "[[secrets.rules]]\nid = \"x\"\nregex = 'x'\nkeywords = [\"x\"]\n[[secrets.rules]]\nid = \"y\"\nregex = 'y'\nentropy = 9.0\nkeywords = [\"y\"]\n".into(),
                "8:11",
                "`entropy` is in bits per byte",
            ),
            ("[secrets]\nrules = [{ id = \"x\", regex = \"a\", paths = [\"[\"] }]\n".into(), "2:44", "`secrets.rules[0].paths`"),
            ("[tests]\ncritical = \" \"\n".into(), "2:12", "`tests.critical` is empty"),
            ("[tests]\ntimeout-seconds = 0\n".into(), "2:19", "`tests.timeout-seconds` must be at least 1"),
            ("[tests]\ntail-lines = 0\n".into(), "2:14", "`tests.tail-lines` must be at least 1"),
            ("[tests]\npaths = [\"src/[\"]\n".into(), "2:10", "`tests.paths` pattern"),
            ("[hooks]\nspec-required-branches = [\"feature/[\"]\n".into(), "2:27", "`hooks.spec-required-branches`"),
            ("[build]\nallowed-os = [\"debian12\", \"windows\"]\n".into(), "2:27", "`windows` is not `<id><version>`"),
            ("[build]\nconfigure-flags = [\"--enable-shared\"]\n".into(), "2:19", "--prefix"),
            ("[build]\nmodules = [\"ssl; rm\"]\n".into(), "2:12", "not a module name"),
            ("[build]\npackages = [\"a b\"]\n".into(), "2:13", "not a package name"),
            ("[build]\ncontainer-engine = \"lxc\"\n".into(), "2:20", "`build.container-engine`"),
            ("[build]\nsigstore-trusted-root = \" \"\n".into(), "2:25", "sigstore-trusted-root"),
            ("[build.sources.\"3.11\"]\nsha256 = \"00\"\n".into(), "1:16", "is not a version"),
            ("[build.sources.\"3.11.2\"]\nsha256 = \"00\"\n".into(), "2:10", "64 hexadecimal digits"),
            (format!("[build.sources.\"3.11.2\"]\nsha256 = \"{sha}\"\n{fingerprint}\n"), "3:15", "is not a fingerprint"),
            (format!("[build.sources.\"3.14.0\"]\nsha256 = \"{sha}\"\n"), "1:16", "pins no Sigstore signer"),
            ("[limits]\ngpg-timeout-seconds = 0\n".into(), "2:23", "`limits.gpg-timeout-seconds` must be at least 1"),
        ];
        for (text, place, needle) in cases {
            let error = parse(&text).unwrap_err();
            assert!(matches!(error, Error::Invalid { .. }), "{text}: {error:?}");
            let shown = error.to_string();
            assert!(shown.starts_with(&format!("`specgate.toml:{place}`: ")), "{text}\n{shown}");
            assert!(shown.contains(needle), "{text}\n{shown}");
        }
    }

    #[test]
    fn a_huge_value_is_cut_wherever_it_is_echoed() {
        let huge = "a".repeat(500_000);
        for text in [
            format!("[severity]\nspec-missing-field = \"{huge}\"\n"),
            format!("[artifacts]\nmax-active = \"{huge}\"\n"),
            format!("[artifacts]\nfolder = \"../{huge}\"\n"),
            format!("[emoji]\nallow-paths = [\"{huge}[\"]\n"),
            format!("[spec.types.adr]\nid-pattern = '{huge}('\n"),
            format!("[build]\nmodules = [\"{huge};\"]\n"),
            format!("[spec]\n{huge} = 1\n"),
        ] {
            // The value shows as its first 80 characters and its size, or not at all.
            let error = parse(&text).unwrap_err().to_string();
            assert!(error.len() < 400, "{}", &error[..400]);
            assert!(!error.contains(&"a".repeat(81)), "{error}");
        }
        assert_eq!(shorten("short"), "short");
        assert_eq!(shorten(&"é".repeat(100)), format!("{}... (200 bytes)", "é".repeat(80)));
        let quoted = format!("invalid type: string \"{huge}\\\"x\", expected `u32`");
        assert_eq!(
            shorten_quoted(&quoted),
            format!("invalid type: string \"{}... (500003 bytes)\", expected `u32`", "a".repeat(80))
        );
    }

    #[test]
    fn the_locator_finds_array_items_and_falls_back_to_the_nearest_key() {
        let text = "[spec]\nroots = [\"docs\",\n  \"spces\"]\n[[secrets.rules]]\nid = \"a\"\n";
        let locator = Locator::new("specgate.toml", text);
        assert_eq!(locator.position(&KeyPath::new("spec.roots").index(1)), Position::new(3, 3));
        // Past the end of the array: the array itself.
        assert_eq!(locator.position(&KeyPath::new("spec.roots").index(9)), Position::new(2, 9));
        assert_eq!(locator.position(&KeyPath::new("secrets.rules").index(0).key("id")), Position::new(5, 6));
        assert_eq!(locator.position(&KeyPath::new("secrets.rules").index(0).key("id").name()), Position::new(5, 1));
        assert_eq!(locator.position(&KeyPath::new("nothing.here")), Position::new(1, 1));
        let roots = locator.strings(&KeyPath::new("spec.roots")).unwrap();
        assert_eq!(roots, vec![("docs".to_owned(), Position::new(2, 10)), ("spces".to_owned(), Position::new(3, 3))]);
        assert!(locator.strings(&KeyPath::new("spec.exclude")).is_none());
        assert_eq!(locator.len(&KeyPath::new("secrets.rules")), 1);
    }

    fn load_error(root: &Path, explicit: Option<&Path>) -> (String, String) {
        let error = Config::load(root, explicit).unwrap_err();
        let chain =
            format!("{error}: {}", std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default());
        (chain, error.hint().unwrap())
    }

    #[test]
    fn a_config_that_is_not_utf8_names_the_file_and_the_byte_and_blames_no_flag_it_was_not_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        std::fs::write(&path, b"[spec]\nroots = [\"\xff\"]\n").unwrap();
        let (error, hint) = load_error(dir.path(), None);
        assert!(error.contains(&format!("could not read `{}`", path.display())), "{error}");
        assert!(error.contains("it is not UTF-8: byte 17 (line 2) is 0xff"), "{error}");
        assert!(!hint.contains("given with `--config`"), "{hint}");
        assert!(hint.contains("no `--config` was given") && hint.contains("UTF-8"), "{hint}");
        // Given on the command line, the flag is named.
        let (_, hint) = load_error(dir.path(), Some(&path));
        assert!(hint.contains("given with `--config` or `SPECGATE_CONFIG`"), "{hint}");
    }

    #[test]
    fn a_config_that_is_a_fifo_a_device_or_too_large_is_an_error_at_once_not_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE_NAME);
        assert!(std::process::Command::new("mkfifo").arg(&path).status().unwrap().success());
        let (error, hint) = load_error(dir.path(), None);
        assert!(error.contains("FIFO"), "{error}");
        assert!(hint.contains("regular file"), "{hint}");
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
        assert!(load_error(dir.path(), None).0.contains("not a regular file"));
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, format!("# {}\n", "x".repeat(MAX_BYTES as usize))).unwrap();
        let (error, _) = load_error(dir.path(), None);
        assert!(error.contains("over the limit of 1048576 bytes"), "{error}");
        // A dangling link is not mistaken for "no file".
        std::fs::remove_file(&path).unwrap();
        std::os::unix::fs::symlink("gone.toml", &path).unwrap();
        assert!(Config::load(dir.path(), None).is_err());
        std::fs::remove_file(&path).unwrap();
        assert!(Config::load(dir.path(), None).unwrap().source.is_none());
    }

    #[test]
    fn limits_default_to_the_documented_values_and_name_their_keys() {
        let limits = Config::defaults().limits;
        assert_eq!(limits.probe.duration.as_secs(), 120);
        assert_eq!(limits.venv.duration.as_secs(), 300);
        assert_eq!(limits.gpg.duration.as_secs(), 120);
        assert_eq!(limits.probe.setting, "`[limits] probe-timeout-seconds` in specgate.toml");
        let config =
            parse("[limits]\nprobe-timeout-seconds = 5\nvenv-timeout-seconds = 6\ngpg-timeout-seconds = 7\n").unwrap();
        assert_eq!(
            [config.limits.probe, config.limits.venv, config.limits.gpg].map(|l| l.duration.as_secs()),
            [5, 6, 7]
        );
        assert!(parse("[limits]\nprobe-timeout = 5\n").unwrap_err().to_string().contains("unknown field"));
    }
}
