//! `specgate check secrets`: the scanner (keyword prefilter, ASCII regexes, validation, the
//! GitHub token checksum), allowlisting (inline pragmas, path globs, the baseline in
//! `baseline.rs`) and turning matches into redacted findings. The rules are data: the
//! built-in ones in `shared::config::secret_rules`, compiled with the `[secrets]` section of
//! specgate.toml by `shared::config::secrets`; which files are scanned is decided by the caller.
//!
//! A finding never carries the secret: messages and source lines show a redacted preview
//! (its first characters, then `...`), and the baseline stores a SHA-256 of the value.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use sha2::{Digest, Sha256};

use super::baseline::{Baseline, BaselineEntry};
use crate::shared::config::secret_rules::Validation;
use crate::shared::config::secrets::RuleScope;
pub use crate::shared::config::secrets::{Rule, SecretsConfig, DEFAULT_BASELINE, DEFAULT_MAX_FILE_BYTES};
use crate::shared::diag::{self, Cursor, Diagnostic, Excerpt, Position, Report};

/// The inline pragmas that accept a finding on their own line.
const SAME_LINE_PRAGMAS: &[&[u8]] = &[b"specgate: allow-secret", b"pragma: allowlist secret"];
/// The pragmas that accept a finding on the next line.
const NEXT_LINE_PRAGMAS: &[&[u8]] = &[b"specgate: allow-secret-next-line", b"pragma: allowlist nextline secret"];

// ---------------------------------------------------------------- GitHub checksums

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `value` in base62, left-padded with `0` to six characters (the GitHub checksum form).
pub fn base62_checksum(mut value: u32) -> String {
    let mut digits = [b'0'; 6];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8_lossy(&digits).into_owned()
}

/// Does a GitHub-format token carry a valid checksum? The last `_`-separated part ends with
/// six base62 characters that encode the CRC32 of the characters before them.
pub fn github_checksum_valid(token: &[u8]) -> bool {
    let last = token.rsplit(|&b| b == b'_').next().unwrap_or(token);
    if last.len() <= 6 || !last.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (body, checksum) = last.split_at(last.len() - 6);
    base62_checksum(crc32fast::hash(body)).as_bytes() == checksum
}

// ---------------------------------------------------------------- scanner

/// The compiled rule set with its keyword prefilter; build once per run, share across threads.
pub struct Scanner<'c> {
    config: &'c SecretsConfig,
    prefilter: Option<AhoCorasick>,
    /// For each prefilter pattern, the rules it triggers (including those of keywords it contains).
    triggers: Vec<Vec<usize>>,
    /// Rules without keywords: run over whole files in their scope.
    unkeyed: Vec<usize>,
}

/// One secret found in a file, by byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// Index into `SecretsConfig::rules`.
    pub rule: usize,
    /// Where the secret value starts and ends.
    pub start: usize,
    pub end: usize,
    /// Where the finding points (the start of a private key block, else the secret).
    pub anchor: usize,
}

impl<'c> Scanner<'c> {
    pub fn new(config: &'c SecretsConfig) -> Scanner<'c> {
        let mut keywords: Vec<String> = Vec::new();
        for rule in &config.rules {
            for keyword in &rule.keywords {
                if !keywords.contains(keyword) {
                    keywords.push(keyword.clone());
                }
            }
        }
        // A keyword that contains another also triggers the other's rules, so leftmost-longest
        // matching never hides a shorter keyword inside a longer one.
        let triggers = keywords
            .iter()
            .map(|keyword| {
                config
                    .rules
                    .iter()
                    .enumerate()
                    .filter(|(_, rule)| rule.keywords.iter().any(|k| keyword.contains(k.as_str())))
                    .map(|(index, _)| index)
                    .collect()
            })
            .collect();
        let prefilter = (!keywords.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .build(&keywords)
                .expect("a few hundred short keywords always build")
        });
        let unkeyed = config
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.keywords.is_empty())
            .map(|(index, _)| index)
            .collect();
        Scanner { config, prefilter, triggers, unkeyed }
    }

    pub fn rule(&self, index: usize) -> &Rule {
        &self.config.rules[index]
    }

    /// Every secret in `content`, in order, before allowlisting.
    pub fn scan(&self, path: &str, content: &[u8]) -> Vec<Match> {
        let file = FileKind::of(path);
        let mut found: Vec<Match> = Vec::new();
        for &index in &self.unkeyed {
            let rule = &self.config.rules[index];
            if self.in_scope(rule, path, &file) {
                self.run_rule(index, content, 0, content.len(), &file, &mut found);
            }
        }
        if let Some(prefilter) = &self.prefilter {
            let mut last_line = vec![usize::MAX; self.config.rules.len()];
            // The line of the previous hit: many hits on one long (minified) line must not
            // each search back and forth for its ends.
            let (mut line_start, mut line_end) = (0, 0);
            for hit in prefilter.find_iter(content) {
                if hit.start() >= line_end || line_end == 0 {
                    line_start = memchr::memrchr(b'\n', &content[..hit.start()]).map_or(0, |i| i + 1);
                    line_end =
                        memchr::memchr(b'\n', &content[hit.start()..]).map_or(content.len(), |i| hit.start() + i);
                }
                for &index in &self.triggers[hit.pattern().as_usize()] {
                    if last_line[index] == line_start {
                        continue;
                    }
                    last_line[index] = line_start;
                    let rule = &self.config.rules[index];
                    if !self.in_scope(rule, path, &file) {
                        continue;
                    }
                    let end = if rule.multiline { content.len().min(line_start + 16 * 1024) } else { line_end };
                    self.run_rule(index, content, line_start, end, &file, &mut found);
                }
            }
        }
        // Most specific rule first (rules are ordered so), then by place; drop overlaps.
        found.sort_by_key(|m| (m.start, m.rule));
        let mut kept: Vec<Match> = Vec::with_capacity(found.len());
        for m in found {
            if let Some(previous) = kept.last_mut() {
                if m.start < previous.end {
                    if m.rule < previous.rule {
                        *previous = m;
                    }
                    continue;
                }
            }
            kept.push(m);
        }
        kept
    }

    fn in_scope(&self, rule: &Rule, path: &str, file: &FileKind) -> bool {
        match &rule.scope {
            RuleScope::Any => !(rule.validation == Validation::Assignment && file.digests),
            RuleScope::DotEnv => file.dotenv,
            RuleScope::Globs(globs) => globs.is_match(path),
        }
    }

    fn run_rule(
        &self,
        index: usize,
        content: &[u8],
        start: usize,
        end: usize,
        file: &FileKind,
        found: &mut Vec<Match>,
    ) {
        let rule = &self.config.rules[index];
        let window = &content[start..end];
        let mut at = 0;
        while at <= window.len() {
            let Some(captures) = rule.regex.captures_at(window, at) else {
                break;
            };
            let whole = captures.get(0).expect("group 0 is the whole match");
            // A token rule's match ends with the byte after the token, which can be the byte
            // before the next token (`KEYS=TOKEN1,TOKEN2`): search on from the token's end, not
            // after that byte, or the second token is never seen.
            let token_end = match rule.validation {
                Validation::GithubChecksum | Validation::Jwt | Validation::Token => {
                    captures.get(rule.group).map(|m| m.end()).filter(|end| *end > whole.start())
                }
                _ => None,
            };
            at = token_end.unwrap_or(whole.end().max(whole.start() + 1));
            let candidate = match rule.validation {
                Validation::Assignment | Validation::DotEnv => {
                    let key = captures.get(1).map_or(&b""[..], |m| m.as_bytes());
                    let Some(value) = (2..captures.len()).find_map(|g| captures.get(g)) else {
                        continue;
                    };
                    let bare = captures.name("key").is_some()
                        && captures.get(captures.len() - 1).is_some_and(|m| m.start() == value.start());
                    let accepted = if rule.validation == Validation::DotEnv {
                        dotenv_value_ok(key, value.as_bytes())
                    } else if bare && file.code {
                        false
                    } else if bare && file.prose {
                        // Prose says `password: see the vault`; only a clearly random bare
                        // value counts there.
                        assignment_value_ok(key, value.as_bytes()) && strongly_random(value.as_bytes())
                    } else {
                        assignment_value_ok(key, value.as_bytes())
                    };
                    accepted.then(|| (value.start(), value.end(), value.start()))
                }
                Validation::PrivateKey => {
                    let Some(header) = captures.get(0) else {
                        continue;
                    };
                    private_key_body(window, header.end()).map(|(s, e)| (s, e, header.start()))
                }
                Validation::UrlPassword => {
                    let (Some(user), Some(password)) = (captures.get(1), captures.get(2)) else {
                        continue;
                    };
                    url_password_ok(user.as_bytes(), password.as_bytes())
                        .then(|| (password.start(), password.end(), password.start()))
                }
                Validation::GithubChecksum | Validation::Jwt | Validation::Token => {
                    let Some(secret) = captures.get(rule.group) else {
                        continue;
                    };
                    let value = secret.as_bytes();
                    let ok = !is_placeholder(value)
                        && rule.entropy.is_none_or(|min| entropy(value) >= min)
                        && match rule.validation {
                            Validation::GithubChecksum => github_checksum_valid(value),
                            Validation::Jwt => jwt_ok(value),
                            _ => true,
                        };
                    ok.then(|| (secret.start(), secret.end(), secret.start()))
                }
            };
            if let Some((s, e, anchor)) = candidate {
                found.push(Match { rule: index, start: start + s, end: start + e, anchor: start + anchor });
            }
        }
    }
}

/// What a path says about how to read its content.
struct FileKind {
    /// A .env style file.
    dotenv: bool,
    /// A checksum list or lock file: digests, never secret assignments.
    digests: bool,
    /// Source code: a bare `name = value` value is an expression, not a literal.
    code: bool,
    /// Documentation and markup: bare values are usually words.
    prose: bool,
}

impl FileKind {
    fn of(path: &str) -> FileKind {
        let member = path.rsplit('!').next().unwrap_or(path);
        let name = member.rsplit('/').next().unwrap_or(member).to_ascii_lowercase();
        let extension = name.rsplit_once('.').map_or("", |(_, e)| e).to_owned();
        let dotenv = name == ".env" || name.starts_with(".env.") || name.ends_with(".env") || name == ".envrc";
        const DIGEST_EXTENSIONS: &[&str] = &["sha1", "sha256", "sha512", "md5", "sum", "lock"];
        const DIGEST_NAMES: &[&str] = &[
            "package-lock.json",
            "npm-shrinkwrap.json",
            "pnpm-lock.yaml",
            "yarn.lock",
            "go.sum",
            "sha256sums",
            "sha512sums",
            "md5sums",
            "checksums.txt",
            "artifacts.md",
            "record",
        ];
        let digests = DIGEST_EXTENSIONS.contains(&extension.as_str()) || DIGEST_NAMES.contains(&name.as_str());
        const CODE_EXTENSIONS: &[&str] = &[
            "py", "pyi", "pyx", "js", "jsx", "mjs", "cjs", "ts", "tsx", "rs", "go", "java", "kt", "kts", "scala", "c",
            "h", "cc", "cpp", "cxx", "hpp", "hh", "cs", "rb", "php", "swift", "m", "mm", "lua", "pl", "pm", "r",
            "dart", "groovy", "vue", "svelte", "ex", "exs", "erl", "hs", "ml", "fs", "clj", "el", "vim", "sql",
        ];
        const PROSE_EXTENSIONS: &[&str] = &["md", "markdown", "rst", "txt", "html", "htm", "xml", "tex", "adoc", "org"];
        FileKind {
            dotenv,
            digests,
            code: !dotenv && CODE_EXTENSIONS.contains(&extension.as_str()),
            prose: !dotenv && PROSE_EXTENSIONS.contains(&extension.as_str()),
        }
    }
}

// ---------------------------------------------------------------- validation

/// Shannon entropy of `bytes`, in bits per byte.
pub fn entropy(bytes: &[u8]) -> f64 {
    if bytes.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in bytes {
        counts[b as usize] += 1;
    }
    let length = bytes.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / length;
            -p * p.log2()
        })
        .sum()
}

/// A machine-made value: long, mixed and high in entropy.
fn strongly_random(value: &[u8]) -> bool {
    value.len() >= 12 && character_classes(value) >= 3 && entropy(value) >= 3.3
}

/// How many of lowercase, uppercase, digit and other character classes occur.
fn character_classes(value: &[u8]) -> usize {
    let lower = value.iter().any(u8::is_ascii_lowercase);
    let upper = value.iter().any(u8::is_ascii_uppercase);
    let digit = value.iter().any(u8::is_ascii_digit);
    let other = value.iter().any(|b| !b.is_ascii_alphanumeric());
    [lower, upper, digit, other].iter().filter(|&&x| x).count()
}

fn contains_ignore_case(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Documentation fillers and template references that stand where a secret would go.
pub fn is_placeholder(value: &[u8]) -> bool {
    const PARTS: &[&str] = &[
        "example",
        "xxxx",
        "****",
        "....",
        "<",
        ">",
        "${",
        "$(",
        "{{",
        "}}",
        "{%",
        "<%",
        "#{",
        "%(",
        "%s",
        "placeholder",
        "changeme",
        "change_me",
        "change-me",
        "changeit",
        "your_",
        "your-",
        "yourpass",
        "yoursecret",
        "yourtoken",
        "yourkey",
        "yourapi",
        "redacted",
        "dummy",
        "insert_",
        "insert-",
        "replace_me",
        "replaceme",
        "replace-me",
        "notasecret",
        "not_a_secret",
        "not-a-secret",
        "not_real",
        "not-real",
        "notreal",
        "fake_",
        "_here",
        "-here",
        "sample",
        "0123456789",
        "123456789",
        "abcdefgh",
        "qwerty",
        "foobar",
        "secretpassword",
        "supersecret",
    ];
    const WHOLE: &[&str] = &[
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "token",
        "key",
        "apikey",
        "api_key",
        "null",
        "none",
        "nil",
        "true",
        "false",
        "undefined",
        "empty",
        "string",
        "str",
        "required",
        "optional",
        "hidden",
        "masked",
        "unset",
        "default",
        "test",
        "testing",
        "admin",
        "root",
        "guest",
        "user",
        "username",
        "mysecret",
        "mypassword",
        "secret123",
        "password123",
        "password1",
    ];
    let trimmed = value;
    if trimmed.is_empty() {
        return true;
    }
    if PARTS.iter().any(|p| contains_ignore_case(trimmed, p))
        || WHOLE.iter().any(|w| trimmed.eq_ignore_ascii_case(w.as_bytes()))
    {
        return true;
    }
    // `$VAR`, `%VAR%`: a reference to the secret, not the secret.
    if trimmed[0] == b'$' && trimmed[1..].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_') {
        return true;
    }
    // `$py_cv_x$as_nl`, `${X}`: a shell expansion; `{keyword}`: a format field.
    if trimmed[0] == b'$' && trimmed.get(1).is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b'{') {
        return true;
    }
    if trimmed.len() > 2 && trimmed[0] == b'{' && trimmed[trimmed.len() - 1] == b'}' {
        return true;
    }
    if trimmed.len() > 2 && trimmed[0] == b'%' && trimmed[trimmed.len() - 1] == b'%' {
        return true;
    }
    // One or two characters repeated: `aaaaaaaa`, `abababab`, `00000000`.
    let distinct: BTreeSet<u8> = trimmed.iter().copied().collect();
    trimmed.len() >= 6 && distinct.len() <= 2
}

/// Values that name or locate a secret rather than being one: paths, URLs, identifiers,
/// digests, UUIDs, data URIs.
fn is_reference_or_digest(value: &[u8]) -> bool {
    const PREFIXES: &[&str] = &[
        "http://",
        "https://",
        "file:",
        "data:",
        "sha1-",
        "sha256-",
        "sha384-",
        "sha512-",
        "sha1:",
        "sha256:",
        "sha512:",
        "md5:",
        "env:",
        "vault:",
        "secret:",
        "ref:",
        "arn:",
        "projects/",
    ];
    if PREFIXES.iter().any(|p| value.len() >= p.len() && value[..p.len()].eq_ignore_ascii_case(p.as_bytes())) {
        return true;
    }
    // File paths; base64 may start with `/` too, but then it usually has `+` or `=`.
    let path_like = [&b"/"[..], b"./", b"../", b"~/"].iter().any(|p| value.starts_with(p));
    if path_like && !value.iter().any(|b| *b == b'+' || *b == b'=') {
        return true;
    }
    if value.windows(3).any(|w| w == b"://") {
        return true;
    }
    if is_uuid(value) {
        return true;
    }
    // bcrypt/argon/crypt hashes of passwords are digests, not the password.
    if value.starts_with(b"$2")
        || value.starts_with(b"$argon")
        || value.starts_with(b"$6$")
        || value.starts_with(b"$5$")
    {
        return true;
    }
    // Dotted identifiers: `settings.SECRET_KEY`, `os.environ.get`.
    let parts: Vec<&[u8]> = value.split(|&b| b == b'.').collect();
    if parts.len() > 1
        && parts.iter().all(|p| {
            !p.is_empty()
                && (p[0].is_ascii_alphabetic() || p[0] == b'_')
                && p.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        })
    {
        return true;
    }
    // Constant, snake and kebab names: `DB_PASSWORD`, `secret_key_name`, `api-token`.
    let words: Vec<&[u8]> = value.split(|&b| b == b'_' || b == b'-').collect();
    if words.len() > 1
        && words
            .iter()
            .all(|w| !w.is_empty() && (w.iter().all(u8::is_ascii_uppercase) || w.iter().all(u8::is_ascii_lowercase)))
    {
        return true;
    }
    false
}

fn is_uuid(value: &[u8]) -> bool {
    value.len() == 36
        && value.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Split a key name into lowercase words at `_ . -` and lower-to-upper case changes.
fn key_words(key: &[u8]) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for &b in key {
        if !b.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        current.push(char::from(b.to_ascii_lowercase()));
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// How a key name says its value is secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    /// A password: may be short and human-made.
    Password,
    /// A token, secret or key: machine-made, high entropy.
    Secret,
}

fn classify_key(key: &[u8]) -> Option<KeyKind> {
    const BLOCKED: &[&str] = &[
        "public",
        "pub",
        "id",
        "ids",
        "url",
        "uri",
        "file",
        "filename",
        "path",
        "dir",
        "name",
        "type",
        "len",
        "length",
        "size",
        "count",
        "field",
        "header",
        "prompt",
        "label",
        "env",
        "var",
        "regex",
        "re",
        "pattern",
        "format",
        "fmt",
        "hash",
        "hashed",
        "digest",
        "expiry",
        "expires",
        "expiration",
        "exp",
        "timeout",
        "ttl",
        "policy",
        "min",
        "max",
        "enabled",
        "enable",
        "required",
        "mode",
        "endpoint",
        "method",
        "algorithm",
        "alg",
        "algo",
        "class",
        "error",
        "message",
        "msg",
        "prefix",
        "suffix",
        "tokenizer",
        "tokenize",
        "tokens",
        "kind",
        "index",
        "idx",
        "position",
        "pos",
        "lifetime",
        "validity",
        "placeholder",
        "hint",
        "reset",
        "question",
        "strength",
        "rotation",
        "store",
        "manager",
        "provider",
        "storage",
        "source",
        "location",
        "ref",
        "reference",
        "arn",
        "version",
        "usage",
        "limit",
        "help",
        "description",
        "desc",
        "title",
        "text",
        "input",
        "button",
        "validator",
        "validation",
        "policy",
        "bypass",
        "compass",
        "passed",
        "passes",
        "passing",
        "passage",
        "passenger",
        "passport",
        "passthrough",
        "keyboard",
        "keys",
        "keyword",
        "keywords",
        "keyring",
        "keychain",
        "keystore",
        "cache",
        "count",
        "secretary",
        "state",
        "status",
    ];
    let words = key_words(key);
    if words.is_empty() || words.iter().any(|w| BLOCKED.contains(&w.as_str())) {
        return None;
    }
    const KEY_QUALIFIERS: &[&str] = &[
        "api",
        "access",
        "secret",
        "private",
        "auth",
        "encryption",
        "signing",
        "master",
        "app",
        "client",
        "license",
        "session",
        "account",
        "webhook",
        "consumer",
        "shared",
        "service",
        "storage",
        "admin",
        "root",
        "hmac",
        "jwt",
    ];
    let mut kind = None;
    for (i, word) in words.iter().enumerate() {
        let w = word.as_str();
        if w == "pass"
            || w == "pwd"
            || w == "pw"
            || w.ends_with("password")
            || w.ends_with("passwd")
            || w.ends_with("passphrase")
            || w == "contrase"
            || w == "contrasena"
        {
            kind = Some(kind.unwrap_or(KeyKind::Password));
        } else if w.ends_with("secret")
            || w.ends_with("secrets")
            || w.ends_with("token")
            || w == "secreto"
            || w == "clave"
            || w.ends_with("apikey")
            || w.ends_with("secretkey")
            || w.ends_with("privatekey")
            || w.ends_with("accesskey")
            || w.ends_with("authkey")
            || w == "credential"
            || w == "credentials"
            || w == "creds"
            || w == "auth"
            || w == "secreto"
            || w == "clave"
            || (w == "key" && i > 0 && KEY_QUALIFIERS.contains(&words[i - 1].as_str()))
        {
            kind = Some(KeyKind::Secret);
        }
    }
    kind
}

/// Does the value of a `name = value` assignment whose name says secret look like a secret?
fn assignment_value_ok(key: &[u8], value: &[u8]) -> bool {
    let Some(kind) = classify_key(key) else {
        return false;
    };
    secret_value_ok(kind, value)
}

fn secret_value_ok(kind: KeyKind, value: &[u8]) -> bool {
    // The regexes leave lengths open (bounded repetitions blow up the automata); a value this
    // long is data, not a credential.
    if value.len() > 256 {
        return false;
    }
    if value.iter().any(|b| b.is_ascii_whitespace() || *b < 0x20 || *b >= 0x7f) {
        return false;
    }
    if is_placeholder(value) || is_reference_or_digest(value) {
        return false;
    }
    // Formats with a checksum are decided by their own rule: a look-alike that fails the
    // checksum must not come back through the generic one.
    const CHECKSUMMED: &[&str] = &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "npm_"];
    if CHECKSUMMED.iter().any(|p| value.starts_with(p.as_bytes())) {
        return false;
    }
    // `key:value:more:` is a record, not an assignment.
    if value.ends_with(b":") {
        return false;
    }
    // Words and separators only: header names (`Proxy-Authorization`), roles and references
    // (`~python-grammar:expr`), glob-like text. A password has a digit or a symbol.
    let wordy = value.iter().all(|b| b.is_ascii_alphabetic() || b"-_.:~/*".contains(b));
    if wordy && (kind == KeyKind::Password || value.iter().any(|b| !b.is_ascii_alphabetic())) {
        return false;
    }
    let classes = character_classes(value);
    let bits = entropy(value);
    match kind {
        KeyKind::Password => value.len() >= 6 && classes >= 2 && bits >= 2.3,
        KeyKind::Secret => {
            let needed = (0.85 * (value.len() as f64).log2()).min(3.0);
            value.len() >= 8 && classes >= 2 && bits >= needed
        }
    }
}

/// A `.env` line: the name must say secret; the value may be a plain password.
fn dotenv_value_ok(key: &[u8], value: &[u8]) -> bool {
    let Some(kind) = classify_key(key).or_else(|| {
        let words = key_words(key);
        words
            .iter()
            .any(|w| ["key", "salt", "dsn", "signature", "cert"].contains(&w.as_str()))
            .then_some(KeyKind::Secret)
    }) else {
        return false;
    };
    secret_value_ok(kind, value)
}

/// The password part of `scheme://user:password@host`.
fn url_password_ok(user: &[u8], password: &[u8]) -> bool {
    if password.len() < 3 || password.len() > 256 || user.len() > 128 || password == user {
        return false;
    }
    if is_placeholder(password) || password.iter().all(|b| *b == b'*') {
        return false;
    }
    if password.iter().all(u8::is_ascii_digit) && password.len() <= 5 {
        // `host:8080@...` is a port, not a password.
        return false;
    }
    if password.contains(&b'%')
        && !password.windows(3).all(|w| w[0] != b'%' || (w[1].is_ascii_hexdigit() && w[2].is_ascii_hexdigit()))
    {
        // `%s`, `%(password)s`: a format string.
        return false;
    }
    if password[0] == b'$' || password.contains(&b'{') {
        return false;
    }
    true
}

/// The key body after a private key header: the first run of at least 40 base64 characters
/// within the next lines (PEM, PGP armor, a JSON string with `\n` escapes).
fn private_key_body(window: &[u8], header_end: usize) -> Option<(usize, usize)> {
    let limit = window.len().min(header_end + 600);
    let is_b64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=';
    let mut i = header_end;
    while i < limit {
        if !is_b64(window[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < window.len() && is_b64(window[i]) {
            i += 1;
        }
        let mut run = &window[start..i];
        // A JSON `\n` escape leaves an `n` before the body.
        if start > 0 && window[start - 1] == b'\\' && run.first() == Some(&b'n') {
            run = &run[1..];
        }
        if run.len() >= 40 {
            let offset = i - run.len();
            return (entropy(run) >= 3.5 && !is_placeholder(run)).then_some((offset, i));
        }
        if window[start..i].starts_with(b"-----END") || window[start..i] == *b"END" {
            return None;
        }
    }
    None
}

/// A JWT whose header decodes to JSON with an `alg`.
fn jwt_ok(token: &[u8]) -> bool {
    let header = token.split(|&b| b == b'.').next().unwrap_or_default();
    base64url_decode(header).is_some_and(|json| contains_ignore_case(&json, "\"alg\""))
}

fn base64url_decode(text: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for &b in text {
        let value = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            b'=' => break,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    Some(out)
}

// ---------------------------------------------------------------- findings

/// A secret found in a file, ready to report: place, rule, redacted preview, fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub path: String,
    pub rule: String,
    pub description: String,
    pub line: usize,
    pub column: usize,
    /// The first characters of the secret and `...`; never the whole value.
    pub preview: String,
    /// The length of the secret in bytes.
    pub length: usize,
    /// Hex SHA-256 of the secret: the baseline key.
    pub sha256: String,
    /// The source line around the secret, with every secret on it replaced by its preview.
    pub excerpt: Excerpt,
}

/// The first characters of a secret, then `...`: enough to find it, never enough to use it.
pub fn redact(secret: &[u8]) -> String {
    let shown = match secret.len() {
        0..=5 => 0,
        6..=11 => 2,
        _ => 4,
    };
    let mut preview = String::from_utf8_lossy(&secret[..shown]).into_owned();
    preview.push_str("...");
    preview
}

pub fn fingerprint(secret: &[u8]) -> String {
    let digest = Sha256::digest(secret);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// Scan one file and turn its matches into findings, dropping those accepted by an inline
/// pragma and, when `added_lines` is given (a `--range` scan), those on other lines.
pub fn scan_file(scanner: &Scanner<'_>, path: &str, content: &[u8], added_lines: Option<&[usize]>) -> Vec<Finding> {
    let mut matches = scanner.scan(path, content);
    if matches.is_empty() {
        return Vec::new();
    }
    // In file order, so lines and columns are counted once over the file (linear on a
    // minified line with thousands of matches), and the spans can be searched.
    matches.sort_by_key(|m| (m.anchor, m.start));
    let spans = Spans::new(&matches);
    let mut cursor = Cursor::default();
    let mut pragmas: Option<(usize, [bool; 2])> = None;
    let mut findings = Vec::new();
    for m in matches {
        let position = cursor.position(content, m.anchor);
        let (line_start, line_end) = cursor.line_bounds(content);
        if let Some(lines) = added_lines {
            if lines.binary_search(&position.line).is_err() {
                continue;
            }
        }
        // Pragmas are looked up once per line, not once per finding on it.
        let allowed = match pragmas {
            Some((start, allowed)) if start == line_start => allowed,
            _ => {
                let line = &content[line_start..line_end];
                let previous = (line_start > 0).then(|| {
                    let end = line_start - 1;
                    let start = memchr::memrchr(b'\n', &content[..end]).map_or(0, |i| i + 1);
                    &content[start..end]
                });
                let allowed = [false, true].map(|multiline| allowed_by_pragma(line, previous, multiline));
                pragmas = Some((line_start, allowed));
                allowed
            }
        };
        let rule = scanner.rule(m.rule);
        if allowed[usize::from(rule.multiline)] {
            continue;
        }
        let secret = &content[m.start..m.end];
        let preview = redact(secret);
        findings.push(Finding {
            path: path.to_owned(),
            rule: rule.id.clone(),
            description: rule.description.clone(),
            line: position.line,
            column: position.column,
            preview,
            length: secret.len(),
            sha256: fingerprint(secret),
            excerpt: redacted_excerpt(content, (line_start, line_end), &spans, m.anchor),
        });
    }
    findings
}

fn allowed_by_pragma(line: &[u8], previous: Option<&[u8]>, multiline: bool) -> bool {
    let has = |text: &[u8], pragmas: &[&[u8]]| pragmas.iter().any(|p| memchr::memmem::find(text, p).is_some());
    if has(line, SAME_LINE_PRAGMAS) {
        return true;
    }
    previous.is_some_and(|p| has(p, NEXT_LINE_PRAGMAS) || (multiline && has(p, SAME_LINE_PRAGMAS)))
}

/// The secret spans of one file, sorted by start, with the furthest end reached so far at each
/// index: the spans touching a window are found by two binary searches, not a scan of all.
struct Spans {
    spans: Vec<(usize, usize)>,
    reach: Vec<usize>,
}

impl Spans {
    fn new(matches: &[Match]) -> Spans {
        let mut spans: Vec<(usize, usize)> = matches.iter().map(|m| (m.start, m.end)).collect();
        spans.sort_unstable();
        let reach = spans
            .iter()
            .scan(0, |furthest, &(_, end)| {
                *furthest = end.max(*furthest);
                Some(*furthest)
            })
            .collect();
        Spans { spans, reach }
    }

    /// The spans that overlap `from..to`, in order of start.
    fn touching(&self, from: usize, to: usize) -> impl Iterator<Item = (usize, usize)> + '_ {
        let first = self.reach.partition_point(|&end| end <= from);
        let last = self.spans.partition_point(|&(start, _)| start < to);
        self.spans[first..last.max(first)].iter().copied().filter(move |&(_, end)| end > from)
    }
}

/// The excerpt of the line `content[line.0..line.1]` around byte `anchor`, with every secret
/// span that touches it replaced by its preview (overlapping spans masked as one), and the
/// 1-based column in that text where `anchor` (or the masked span holding it) starts. `spans`
/// is sorted. The window is widened to whole spans, so no part of a secret shows beyond its
/// preview.
fn redacted_excerpt(content: &[u8], line: (usize, usize), spans: &Spans, anchor: usize) -> Excerpt {
    let line_text = content[line.0..line.1].strip_suffix(b"\r").unwrap_or(&content[line.0..line.1]);
    let line = (line.0, line.0 + line_text.len());
    let (before, after) = diag::excerpt_window(line.1 - line.0, anchor - line.0);
    let (mut from, mut to) = (line.0 + before, line.0 + after);
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in spans.touching(from, to) {
        let (start, end) = (start.max(line.0), end.min(line.1));
        from = from.min(start);
        to = to.max(end);
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let (from, to) = diag::whole_characters(content, (from, to), line);
    let text = |a: usize, b: usize| String::from_utf8_lossy(&content[a..b]).into_owned();
    let mut out = String::new();
    if from > line.0 {
        out.push_str("...");
    }
    let mut column = None;
    let mut at = from;
    for (start, end) in merged {
        if column.is_none() && anchor < start {
            // The anchor lies in the plain text before this span.
            column = Some(out.chars().count() + text(at, anchor.max(at)).chars().count() + 1);
        }
        out.push_str(&text(at, start.max(at)));
        if column.is_none() && anchor < end {
            column = Some(out.chars().count() + 1);
        }
        out.push_str(&redact(&content[start..end]));
        at = at.max(end);
    }
    let column = column.unwrap_or_else(|| out.chars().count() + text(at, anchor.max(at)).chars().count() + 1);
    out.push_str(&text(at, to.max(at)));
    if to < line.1 {
        out.push_str("...");
    }
    Excerpt { text: out, column }
}

impl Finding {
    pub fn baseline_entry(&self) -> BaselineEntry {
        BaselineEntry { rule: self.rule.clone(), path: self.path.clone(), sha256: self.sha256.clone() }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        let mut diagnostic = Diagnostic::new(
            "secret-detected",
            self.path.clone(),
            Position::new(self.line, self.column),
            format!("{} (`{}`): `{}` ({} characters)", self.description, self.rule, self.preview, self.length),
        )
        .help(
            "remove the secret and rotate it (it is in the history once committed); if it is a test fixture, add \
             `specgate: allow-secret` on the line, a `[secrets] allow-paths` glob, or accept it with \
             `specgate check secrets --write-baseline`",
        );
        diagnostic.width = self.preview.chars().count();
        diagnostic.excerpt(self.excerpt.clone())
    }
}

/// What one run scanned, so stale baseline entries are only reported where they could match.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// The whole repository was scanned (`--all` or no file set): an entry for any path is
    /// stale if nothing matched it.
    pub complete: bool,
    /// Paths scanned in full (not only their added lines).
    pub paths: BTreeSet<String>,
}

/// Push findings into the report, dropping those in the baseline, and warn about baseline
/// entries that matched nothing in what was scanned.
pub fn report_findings(
    findings: &[Finding],
    baseline: Option<(&Baseline, &str)>,
    coverage: &Coverage,
    report: &mut Report,
) {
    let mut used: BTreeSet<BaselineEntry> = BTreeSet::new();
    for finding in findings {
        let entry = finding.baseline_entry();
        if let Some((baseline, _)) = baseline {
            if baseline.contains(&entry) {
                used.insert(entry);
                continue;
            }
        }
        report.push(finding.to_diagnostic());
    }
    if let Some((baseline, baseline_path)) = baseline {
        for entry in baseline.entries() {
            let covered = coverage.complete || coverage.paths.contains(&entry.path);
            if covered && !used.contains(entry) {
                let line = baseline.line_of(entry);
                report.push(
                    Diagnostic::new(
                        "secret-baseline-stale",
                        baseline_path.to_owned(),
                        Position::new(line, 1),
                        format!(
                            "baseline entry for rule `{}` in `{}` matches no secret any more",
                            entry.rule, entry.path
                        ),
                    )
                    .help("run `specgate check secrets --all --write-baseline` to rewrite the baseline without it"),
                );
            }
        }
    }
}

/// The entries of a new baseline: the findings of this run, plus the old entries of paths this
/// run did not cover (a partial scan must not forget them).
pub fn baseline_entries(findings: &[Finding], old: Option<&Baseline>, coverage: &Coverage) -> Vec<BaselineEntry> {
    let mut entries: BTreeSet<BaselineEntry> = findings.iter().map(Finding::baseline_entry).collect();
    if let Some(old) = old {
        if !coverage.complete {
            entries.extend(old.entries().into_iter().filter(|e| !coverage.paths.contains(&e.path)).cloned());
        }
    }
    entries.into_iter().collect()
}

/// The active rules, one per line: `id<TAB>keywords (comma-separated)<TAB>regex`.
pub fn list_rules(config: &SecretsConfig) -> String {
    let mut text = String::new();
    for rule in &config.rules {
        let _ = writeln!(text, "{}\t{}\t{}", rule.id, rule.keywords.join(","), rule.regex.as_str());
    }
    text
}

/// Counts per rule, for the summary note.
pub fn summary(findings: &[Finding]) -> String {
    let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in findings {
        *per_rule.entry(finding.rule.as_str()).or_default() += 1;
    }
    per_rule.iter().map(|(rule, count)| format!("{rule}: {count}")).collect::<Vec<_>>().join(", ")
}

// ---------------------------------------------------------------- the check

/// Why `check secrets` could not run. Problems with single files are findings, not errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    FileSet(#[from] super::fileset::Error),
    #[error(transparent)]
    Baseline(#[from] super::baseline::Error),
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::FileSet(error) => error.hint(),
            Error::Baseline(error) => error.hint(),
        }
    }
}

/// How one `check secrets` run treats the baseline.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// The baseline to read; `None`: `secrets.baseline` at the root, if it exists.
    pub baseline: Option<std::path::PathBuf>,
    /// Write the findings of this run to this baseline instead of reporting them.
    pub write_baseline: Option<std::path::PathBuf>,
    /// Archive members identical to the pinned upstream source (`scan::Options::upstream`).
    pub upstream: Option<std::sync::Arc<std::collections::HashMap<String, [u8; 32]>>>,
}

/// What a run did, for the caller's status line.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub files: usize,
    pub bytes: u64,
    pub findings: usize,
    /// Set when a baseline was written: its path and entry count.
    pub written: Option<(std::path::PathBuf, usize)>,
}

/// `specgate check secrets`: scan a file set, drop what pragmas, path globs and the baseline
/// accept, and push the rest into the report (or write them to a new baseline).
pub fn check(
    ctx: &crate::shared::context::CheckContext,
    selection: &super::Selection,
    options: &RunOptions,
    report: &mut Report,
) -> Result<RunSummary, Error> {
    let config = &ctx.config.secrets;
    let scanner = Scanner::new(config);
    let scan_options = super::Options {
        max_file_bytes: config.max_file_bytes,
        allow_paths: config.allowlist.clone(),
        archives: true,
        upstream: options.upstream.clone(),
    };
    let default_baseline = ctx.workspace.root.join(&config.baseline);
    let (baseline_path, baseline) = match &options.baseline {
        Some(path) => match Baseline::load(path)? {
            Some(baseline) => (path.clone(), Some(baseline)),
            None => {
                return Err(super::baseline::Error::Read {
                    path: path.display().to_string(),
                    source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
                }
                .into())
            }
        },
        None => (default_baseline.clone(), Baseline::load(&default_baseline)?),
    };
    let found = std::sync::Mutex::new(Vec::<Finding>::new());
    let covered = std::sync::Mutex::new(BTreeSet::<String>::new());
    let summary = super::scan(&ctx.workspace, selection, &scan_options, report, |item| {
        let added: Option<Vec<usize>> =
            item.added_lines.as_ref().map(|lines| lines.iter().map(|&l| l as usize).collect());
        let mut findings = scan_file(&scanner, &item.path, &item.content, added.as_deref());
        if let Some(commit) = &item.commit {
            for finding in &mut findings {
                finding.description.push_str(&format!(", added in commit {commit}"));
            }
        }
        if item.added_lines.is_none() {
            covered.lock().unwrap_or_else(|p| p.into_inner()).insert(item.path.clone());
        }
        if !findings.is_empty() {
            found.lock().unwrap_or_else(|p| p.into_inner()).extend(findings);
        }
        Vec::new()
    })?;
    let mut findings = found.into_inner().unwrap_or_else(|p| p.into_inner());
    findings.sort_by(|a, b| (&a.path, a.line, a.column, &a.rule).cmp(&(&b.path, b.line, b.column, &b.rule)));
    let coverage = Coverage {
        complete: *selection == super::Selection::All,
        paths: covered.into_inner().unwrap_or_else(|p| p.into_inner()),
    };
    let mut result = RunSummary { files: summary.items, bytes: summary.bytes, findings: findings.len(), written: None };
    if let Some(target) = &options.write_baseline {
        let old = if *target == baseline_path { baseline.as_ref() } else { None };
        let entries = baseline_entries(&findings, old, &coverage);
        super::baseline::write(target, &entries)?;
        result.written = Some((target.clone(), entries.len()));
        return Ok(result);
    }
    if !findings.is_empty() {
        report.note(format!("secrets by rule, baseline included: {}", self::summary(&findings)));
    }
    let shown = ctx.workspace.relative(&baseline_path).unwrap_or_else(|| baseline_path.display().to_string());
    report_findings(&findings, baseline.as_ref().map(|b| (b, shown.as_str())), &coverage, report);
    Ok(result)
}

#[cfg(test)]
mod tests;
