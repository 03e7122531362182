//! specgate.toml: the raw file (`RawConfig`, strict: unknown keys are errors with file:line)
//! and the validated `Config` that the rest of the crate reads. Defaults fit the layout of
//! SPEC_INFRA_001, so no file is needed to start. Precedence: CLI > SPECGATE_* > file > default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use regex::Regex;
use serde::Deserialize;

use crate::diag::{self, Level, Levels};

/// The file name looked up at the root of the work tree.
pub const FILE_NAME: &str = "specgate.toml";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not read `{path}`")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("`{path}:{line}:{column}`: {message}")]
    Parse { path: String, line: usize, column: usize, message: String },
    #[error("`{path}`: {message}")]
    Invalid { path: String, message: String },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::Read { .. } => "check the path given with `--config` or `SPECGATE_CONFIG`".to_owned(),
            Error::Parse { .. } | Error::Invalid { .. } => {
                "fix the key or value named above; docs/configuration.md lists every key and its default".to_owned()
            }
        })
    }
}

// ---------------------------------------------------------------- raw file

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    spec: Option<RawSpec>,
    emoji: Option<crate::scan::emoji::RawEmojiConfig>,
    /// Per-code level: `code = "allow" | "warn" | "deny"`.
    severity: Option<BTreeMap<String, String>>,
    artifacts: Option<crate::artifact::RawArtifacts>,
    tests: Option<crate::critical_tests::RawTestsConfig>,
    hooks: Option<crate::hooks::RawHooksConfig>,
    secrets: Option<crate::scan::secrets::RawSecrets>,
    build: Option<crate::build::RawBuild>,
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
    /// `roots` was written in specgate.toml (not the default): each must hold a file.
    pub roots_configured: bool,
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
    pub spec: SpecConfig,
    pub emoji: crate::scan::emoji::EmojiConfig,
    pub levels: Levels,
    pub artifacts: crate::artifact::ArtifactsConfig,
    pub tests: crate::critical_tests::TestsConfig,
    pub hooks: crate::hooks::HooksConfig,
    pub secrets: crate::scan::secrets::SecretsConfig,
    pub build: crate::build::BuildConfig,
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
    /// Load `path` if given, else `<root>/specgate.toml` if it exists, else the defaults.
    pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Config, Error> {
        let path = match explicit {
            Some(path) => Some(path.to_path_buf()),
            None => Some(root.join(FILE_NAME)).filter(|p| p.is_file()),
        };
        let Some(path) = path else {
            return Config::from_raw(RawConfig::default(), None, "");
        };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(&path).map_err(|source| Error::Read { path: shown.clone(), source })?;
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
                message: error.message().trim().to_owned(),
            }
        })?;
        Config::from_raw(raw, Some(path.to_path_buf()), &shown)
    }

    /// The defaults, as if no specgate.toml existed.
    pub fn defaults() -> Config {
        Config::from_raw(RawConfig::default(), None, "").expect("the built-in defaults are valid")
    }

    fn from_raw(raw: RawConfig, source: Option<PathBuf>, shown: &str) -> Result<Config, Error> {
        let invalid = |message: String| Error::Invalid { path: shown.to_owned(), message };
        let spec = raw.spec.unwrap_or_default();
        let emoji = raw.emoji.unwrap_or_default().validate().map_err(invalid)?;
        let artifacts = raw.artifacts.unwrap_or_default().validate().map_err(invalid)?;

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
                invalid(format!("`spec.types.{name}.id-pattern` is not a valid regular expression: {error}"))
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

        let mut exclude = globset::GlobSetBuilder::new();
        for pattern in spec.exclude.unwrap_or_default() {
            let glob = globset::Glob::new(&pattern)
                .map_err(|error| invalid(format!("`spec.exclude` pattern `{pattern}` is not a valid glob: {error}")))?;
            exclude.add(glob);
        }
        let exclude =
            exclude.build().map_err(|error| invalid(format!("`spec.exclude` globs do not combine: {error}")))?;

        let any_id =
            any_id_regex(types.values()).map_err(|error| invalid(format!("id patterns do not combine: {error}")))?;

        let secrets =
            crate::scan::secrets::SecretsConfig::from_raw(raw.secrets.unwrap_or_default()).map_err(invalid)?;

        let mut levels = Levels::default();
        for (code, level) in raw.severity.unwrap_or_default() {
            if diag::lookup(&code).is_none() {
                return Err(invalid(format!(
                    "`[severity]` names unknown code `{code}`; docs/diagnostics.md lists the codes"
                )));
            }
            let level = Level::parse(&level).ok_or_else(|| {
                invalid(format!("`[severity] {code}` must be \"allow\", \"warn\" or \"deny\", not \"{level}\""))
            })?;
            levels.set(&code, level);
        }

        let tests = raw.tests.unwrap_or_default().validate().map_err(invalid)?;
        let hooks = raw.hooks.unwrap_or_default().validate().map_err(invalid)?;
        let build = raw.build.unwrap_or_default().validate().map_err(invalid)?;

        Ok(Config {
            source,
            tests,
            hooks,
            spec: SpecConfig {
                roots_configured: spec.roots.is_some(),
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
}
