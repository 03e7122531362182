//! Every finding code, in one table that depends on nothing but the report model's types, so
//! `diag` can give each finding its default level and `--deny`, `[severity]` and the docs can
//! list and check codes, without the report model depending on the checks that use it (the
//! way rustc keeps its error codes in one leaf crate). Each check has its own slice; a code is
//! documented under its own heading in docs/diagnostics.md (a unit test holds both in step).

use super::{Code, Level};

/// specgate.toml's paths and globs that match no file (gate::config_paths).
pub const CONFIG_PATHS: &[Code] = &[Code {
    name: "config-path-unmatched",
    default: Level::Deny,
    summary: "a path or glob written in specgate.toml matches no file, so the rule it feeds applies to nothing",
}];

/// `check spec` (gate::spec): front-matter, ids, links, sections, traceability.
pub const SPEC: &[Code] = &[
    Code {
        name: "spec-root-empty",
        default: Level::Deny,
        summary: "a folder named in `[spec] roots` holds no file, so the check would pass on nothing",
    },
    Code {
        name: "spec-front-matter-missing",
        default: Level::Deny,
        summary: "a document under a `specs` folder has no front-matter",
    },
    Code {
        name: "spec-front-matter-unclosed",
        default: Level::Deny,
        summary: "the front-matter opened with `---` is never closed",
    },
    Code {
        name: "spec-front-matter-misplaced",
        default: Level::Deny,
        summary: "a front-matter block appears after the start of the file",
    },
    Code {
        name: "spec-yaml-invalid",
        default: Level::Deny,
        summary: "the front-matter is not valid YAML (syntax, duplicate key, not a mapping, too deep)",
    },
    Code { name: "spec-not-utf8", default: Level::Deny, summary: "a governed document is not valid UTF-8" },
    Code { name: "spec-unreadable", default: Level::Deny, summary: "a governed document could not be read" },
    Code {
        name: "spec-too-large",
        default: Level::Warn,
        summary: "a governed document is larger than `max-document-bytes` and was not checked",
    },
    Code {
        name: "spec-missing-field",
        default: Level::Deny,
        summary: "a field required for the document's `tipo` is missing or empty",
    },
    Code {
        name: "spec-field-type",
        default: Level::Deny,
        summary: "a field does not hold the kind of value its schema says (semver, ISO date, list)",
    },
    Code {
        name: "spec-unknown-tipo",
        default: Level::Deny,
        summary: "the `tipo` is not one of the configured document types",
    },
    Code { name: "spec-id-format", default: Level::Deny, summary: "the id does not match the pattern of its `tipo`" },
    Code { name: "spec-id-filename", default: Level::Deny, summary: "the id differs from the file name" },
    Code { name: "spec-id-duplicate", default: Level::Deny, summary: "two documents share an id" },
    Code { name: "link-unresolved", default: Level::Deny, summary: "an id in `relacionados` names no document" },
    Code {
        name: "link-unresolved-body",
        default: Level::Warn,
        summary: "an id mentioned in the body names no document",
    },
    Code {
        name: "spec-missing-section",
        default: Level::Deny,
        summary: "a specification lacks a section its template requires",
    },
    Code {
        name: "spec-body-id-duplicate",
        default: Level::Deny,
        summary: "a use case, rule, criterion or test case id is defined twice in one spec",
    },
    Code {
        name: "spec-criterion-no-gherkin",
        default: Level::Deny,
        summary: "an acceptance criterion has no Gherkin block",
    },
    Code {
        name: "spec-criterion-incomplete-gherkin",
        default: Level::Deny,
        summary: "a criterion's Gherkin block lacks a Given, When or Then step",
    },
    Code {
        name: "spec-criterion-untested",
        default: Level::Deny,
        summary: "an acceptance criterion is named by no test-case row",
    },
    Code {
        name: "spec-test-case-unknown-criterion",
        default: Level::Deny,
        summary: "a test-case row names a criterion the spec does not define",
    },
    Code {
        name: "spec-test-case-without-criterion",
        default: Level::Warn,
        summary: "a test-case row names no criterion",
    },
    Code {
        name: "spec-component-untraced",
        default: Level::Deny,
        summary: "a component folder never mentions the id of the spec that governs it",
    },
    Code {
        name: "trace-unknown-spec",
        default: Level::Deny,
        summary: "a code marker points to a spec id that no document has",
    },
    Code {
        name: "trace-unknown-criterion",
        default: Level::Deny,
        summary: "a code marker points to an item the spec does not define",
    },
    Code {
        name: "trace-malformed-marker",
        default: Level::Deny,
        summary: "text that starts like a traceability marker does not parse",
    },
    Code {
        name: "trace-outdated-marker",
        default: Level::Warn,
        summary: "a marker pins an older major version of its spec (`@1` while the spec is at 2.x)",
    },
    Code {
        name: "trace-unverified-criterion",
        default: Level::Warn,
        summary: "no `verify` marker in any file covers an acceptance criterion",
    },
];

/// `check spec` and `check links` (gate::links): relative links, anchors, `--remote`.
pub const LINKS: &[Code] = &[
    Code {
        name: "link-broken",
        default: Level::Deny,
        summary: "a relative link names a file or folder that the checked snapshot does not have",
    },
    Code {
        name: "link-broken-anchor",
        default: Level::Deny,
        summary: "a link's `#fragment` is no heading or anchor of its target, or its `#L` lines lie past the end",
    },
    Code {
        name: "link-remote-broken",
        default: Level::Deny,
        summary: "with `--remote`, an external link answers with an error status (404, 410, 500)",
    },
    Code {
        name: "link-remote-unreachable",
        default: Level::Warn,
        summary: "with `--remote`, an external link could not be checked (timeout, connection, rate limit)",
    },
];

/// `check tests` (gate::critical_tests): the `[tests] critical` command.
pub const CRITICAL_TESTS: &[Code] = &[
    Code { name: "tests-failed", default: Level::Deny, summary: "the critical-test command exited with a failure" },
    Code {
        name: "tests-timeout",
        default: Level::Deny,
        summary: "the critical-test command ran longer than its timeout and was stopped",
    },
];

/// The git hooks (gate::hooks, commands::hooks).
pub const HOOKS: &[Code] = &[
    Code {
        name: "hook-spec-required",
        default: Level::Deny,
        summary: "a branch that needs a specification is pushed without a valid one",
    },
    Code {
        name: "spec-version-not-bumped",
        default: Level::Deny,
        summary: "a spec's rules, criteria or test cases changed but its `version` did not",
    },
];

/// Every content scan (gate::scan::fileset): files it could not read or skipped.
pub const SCAN: &[Code] = &[
    Code {
        name: "scan-file-too-large",
        default: Level::Warn,
        summary: "a file or archive member is larger than the scan size cap and was not scanned",
    },
    Code {
        name: "scan-archive-unreadable",
        default: Level::Warn,
        summary: "a file named like an archive could not be read as one; its bytes were scanned as a plain file",
    },
    Code {
        name: "scan-unreadable",
        default: Level::Deny,
        summary: "a file, blob or archive member could not be read, so its content was not checked",
    },
];

/// `check emoji` (gate::scan::emoji).
pub const EMOJI: &[Code] = &[
    Code {
        name: "emoji-found",
        default: Level::Deny,
        summary: "the text contains an emoji (a character or sequence that renders as emoji by default)",
    },
    Code {
        name: "emoji-text-symbol",
        default: Level::Deny,
        summary: "strict mode: the text contains a symbol with the Emoji property that renders as text by default",
    },
];

/// `check secrets` (gate::scan::secrets).
pub const SECRETS: &[Code] = &[
    Code {
        name: "secret-detected",
        default: Level::Deny,
        summary: "a file contains what looks like a real secret (token, key, password)",
    },
    Code {
        name: "secret-baseline-stale",
        default: Level::Warn,
        summary: "a baseline entry matches no secret any more and can be removed",
    },
];

/// `check ledger` (gate::ledger): the ledger against the artifacts.
pub const LEDGER: &[Code] = &[
    Code { name: "ledger-missing", default: Level::Deny, summary: "artifacts exist but the ledger file does not" },
    Code { name: "ledger-unreadable", default: Level::Deny, summary: "the ledger could not be read or is not UTF-8" },
    Code { name: "ledger-no-table", default: Level::Deny, summary: "the ledger has no table with the team's header" },
    Code { name: "ledger-header", default: Level::Deny, summary: "the ledger table's header or separator is wrong" },
    Code { name: "ledger-row-columns", default: Level::Deny, summary: "a ledger row has the wrong number of cells" },
    Code { name: "ledger-invalid-field", default: Level::Deny, summary: "a ledger cell is not in its column's format" },
    Code {
        name: "ledger-duplicate",
        default: Level::Deny,
        summary: "two ledger rows have the same version, build and distro",
    },
    Code {
        name: "ledger-too-many-active",
        default: Level::Deny,
        summary: "more Activo builds of a version line than retention allows",
    },
    Code {
        name: "ledger-sha256-mismatch",
        default: Level::Deny,
        summary: "the artifact's real SHA-256 differs from its ledger row",
    },
    Code {
        name: "ledger-remote-mismatch",
        default: Level::Deny,
        summary: "the published file's SHA-256 differs from its ledger row",
    },
    Code {
        name: "ledger-remote-unreachable",
        default: Level::Deny,
        summary: "the release URL of an Activo row could not be downloaded",
    },
    Code {
        name: "artifact-bad-name",
        default: Level::Deny,
        summary: "a file in the artifacts folder does not have an artifact name",
    },
    Code {
        name: "artifact-unlisted",
        default: Level::Deny,
        summary: "an artifact in the artifacts folder has no ledger row",
    },
    Code { name: "artifact-sidecar-missing", default: Level::Deny, summary: "an artifact has no `.sha256` sidecar" },
    Code {
        name: "artifact-sidecar-invalid",
        default: Level::Deny,
        summary: "a sidecar is not in sha256sum format or names another file",
    },
    Code {
        name: "artifact-sidecar-mismatch",
        default: Level::Deny,
        summary: "the artifact's real SHA-256 differs from its sidecar",
    },
    Code {
        name: "artifact-sidecar-orphan",
        default: Level::Warn,
        summary: "a sidecar whose artifact is not in the folder",
    },
    Code {
        name: "artifact-license-missing",
        default: Level::Deny,
        summary: "the tarball does not hold the PSF LICENSE",
    },
    Code {
        name: "artifact-lock-missing",
        default: Level::Deny,
        summary: "the wheelhouse does not hold its `requirements.lock`",
    },
    Code {
        name: "ledger-stale",
        default: Level::Warn,
        summary: "the newest Activo build of a version line is older than the rebuild period (BR-004)",
    },
    Code {
        name: "artifact-corrupt",
        default: Level::Deny,
        summary: "the artifact cannot be read as a compressed tarball",
    },
];

/// `check feature` (gate::feature): the Dev Container Feature manifests and index.
pub const FEATURE: &[Code] = &[
    Code {
        name: "feature-index-stale",
        default: Level::Deny,
        summary: "the Feature's artifacts.json disagrees with the ledger's Activo rows (run `make feature`)",
    },
    Code {
        name: "feature-unreadable",
        default: Level::Deny,
        summary: "a devcontainer-feature.json could not be read or is not UTF-8",
    },
    Code {
        name: "feature-json-invalid",
        default: Level::Deny,
        summary: "a devcontainer-feature.json is not strict JSON (comments, trailing commas, syntax)",
    },
    Code {
        name: "feature-duplicate-key",
        default: Level::Deny,
        summary: "a key appears twice in one object of a devcontainer-feature.json",
    },
    Code {
        name: "feature-missing-field",
        default: Level::Deny,
        summary: "a required field (`id`, `version`, `name`) is missing",
    },
    Code { name: "feature-field-type", default: Level::Deny, summary: "a manifest field has the wrong JSON type" },
    Code {
        name: "feature-id-invalid",
        default: Level::Deny,
        summary: "the Feature id is not lowercase letters, digits and dashes",
    },
    Code {
        name: "feature-id-mismatch",
        default: Level::Deny,
        summary: "the Feature id differs from the name of its folder",
    },
    Code {
        name: "feature-version-invalid",
        default: Level::Deny,
        summary: "the Feature version is not a semantic version",
    },
    Code {
        name: "feature-option-invalid",
        default: Level::Deny,
        summary: "an option's type, default, enum or proposals are inconsistent",
    },
    Code {
        name: "feature-unknown-field",
        default: Level::Warn,
        summary: "a top-level or option property the devcontainers spec does not define",
    },
    Code { name: "feature-install-missing", default: Level::Deny, summary: "the Feature folder has no install.sh" },
];

/// The gate of `specgate publish` (pipeline::publish).
pub const PUBLISH: &[Code] = &[
    Code {
        name: "publish-name-mismatch",
        default: Level::Deny,
        summary: "a tarball member lies outside the `opt/python-X.Y.Z/` folder its name promises",
    },
    Code {
        name: "publish-not-active",
        default: Level::Deny,
        summary: "the artifact's ledger row is not Activo, so it must not be published",
    },
    Code {
        name: "publish-asset-conflict",
        default: Level::Deny,
        summary: "the release or mirror already holds a different file under an asset's name",
    },
    Code {
        name: "publish-digest-mismatch",
        default: Level::Deny,
        summary: "after an upload, the server reports another size or SHA-256 than the local file",
    },
];

/// `specgate outdated` (pipeline::outdated): what is due to stay current (BR-004).
pub const OUTDATED: &[Code] = &[
    Code {
        name: "outdated-patch",
        default: Level::Deny,
        summary: "python.org has a newer patch release of the version line in use",
    },
    Code {
        name: "outdated-advisory",
        default: Level::Deny,
        summary: "a published PSF advisory (CVE) affects the CPython version in use",
    },
    Code {
        name: "outdated-rebuild",
        default: Level::Deny,
        summary: "the newest Activo build of a version line is older than the rebuild period (BR-004)",
    },
];

/// Every slice above.
pub const TABLES: &[&[Code]] =
    &[CONFIG_PATHS, SPEC, LINKS, CRITICAL_TESTS, HOOKS, SCAN, EMOJI, SECRETS, LEDGER, FEATURE, PUBLISH, OUTDATED];
