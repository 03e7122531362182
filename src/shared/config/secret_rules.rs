//! The built-in secret rules, as data: an id, a description, keywords for the prefilter, an
//! ASCII-only regex whose first capture group is the secret, and the validation that tells a
//! secret from a look-alike. `secrets.rs` compiles them (plus the rules of `[secrets]` in
//! specgate.toml) and runs them; nothing here scans.
//!
//! Every regex starts in `(?-u)` byte mode with explicit ASCII classes: Unicode classes make
//! the lazy DFA of the regex crate an order of magnitude slower on large trees.

/// What happens to a regex match before it becomes a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validation {
    /// A fixed-format token: reject placeholders and low-entropy fillers.
    Token,
    /// GitHub (and npm) tokens: the last six base62 characters are the CRC32 of the rest of
    /// the last `_`-separated part. A look-alike with a wrong checksum is not a finding.
    GithubChecksum,
    /// A JSON Web Token: the header must decode to JSON naming an `alg`.
    Jwt,
    /// A private key header followed by a key body.
    PrivateKey,
    /// `scheme://user:password@host`: the password must not be a placeholder.
    UrlPassword,
    /// `name = value` where the name says secret: the value must look like one.
    Assignment,
    /// `NAME=value` in a .env file: the name must say secret; values may be plain passwords.
    DotEnv,
}

/// Which files a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every scanned file.
    Any,
    /// Only .env style files (`.env`, `.env.*`, `*.env`, `.envrc`).
    DotEnv,
}

/// One built-in rule.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinRule {
    pub id: &'static str,
    pub description: &'static str,
    pub regex: &'static str,
    /// Case-insensitive substrings, one of which must occur on the line before the regex runs.
    /// Empty: the regex runs over the whole file (only for path-scoped rules).
    pub keywords: &'static [&'static str],
    /// Minimum Shannon entropy (bits per byte) of the secret.
    pub entropy: Option<f64>,
    pub validation: Validation,
    pub scope: Scope,
    /// The match may span lines (private key blocks): the regex runs on a window that starts
    /// at the keyword's line.
    pub multiline: bool,
}

const fn rule(
    id: &'static str,
    description: &'static str,
    regex: &'static str,
    keywords: &'static [&'static str],
    entropy: Option<f64>,
    validation: Validation,
) -> BuiltinRule {
    BuiltinRule { id, description, regex, keywords, entropy, validation, scope: Scope::Any, multiline: false }
}

/// The key names that make an assignment a secret assignment. Shared by the generic rule and
/// its tests.
/// Spanish names count too (`contrasena`/`contraseña`, `clave`, `secreto`): the team's own
/// configuration is often written in Spanish.
pub const SECRET_KEY_NAME: &str = r"(?:pass(?:word|wd|phrase)?|pwd|secret|token|api[_.-]?key|apikey|(?:access|secret|private|auth|encryption|signing|master|app|client|license|session|account|webhook)[_.-]?key|credentials?|auth|contrase(?:n|\xC3\xB1)a|clave|secreto)";

/// The built-in rules, most specific first: when two rules match the same bytes, the first wins.
pub const BUILTIN_RULES: &[BuiltinRule] = &[
    rule(
        "aws-access-key-id",
        "AWS access key id",
        r"(?-u)(?:^|[^A-Za-z0-9])((?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?:[^A-Za-z0-9]|$)",
        &["akia", "asia", "abia", "acca", "a3t"],
        Some(3.0),
        Validation::Token,
    ),
    rule(
        "aws-secret-access-key",
        "AWS secret access key",
        r#"(?i-u)aws[A-Za-z0-9_. -]{0,25}(?:secret|sk|key)[A-Za-z0-9_."' -]{0,25}(?:=|:|=>|,)\s*["']?([A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        &["aws"],
        Some(4.0),
        Validation::Token,
    ),
    rule(
        "github-token",
        "GitHub token (classic personal access, OAuth, user-to-server, server-to-server or refresh)",
        r"(?-u)(?:^|[^A-Za-z0-9_])((?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36})(?:[^A-Za-z0-9_]|$)",
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        None,
        Validation::GithubChecksum,
    ),
    rule(
        "github-fine-grained-token",
        "GitHub fine-grained personal access token",
        r"(?-u)(?:^|[^A-Za-z0-9_])(github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?:[^A-Za-z0-9_]|$)",
        &["github_pat_"],
        None,
        Validation::GithubChecksum,
    ),
    rule(
        "npm-token",
        "npm access token",
        r"(?-u)(?:^|[^A-Za-z0-9_])(npm_[A-Za-z0-9]{36})(?:[^A-Za-z0-9_]|$)",
        &["npm_"],
        None,
        Validation::GithubChecksum,
    ),
    rule(
        "gitlab-token",
        "GitLab token (personal, deploy, runner, pipeline trigger, feed, OAuth, CI job)",
        r"(?-u)(?:^|[^A-Za-z0-9_-])((?:glpat|gldt|glrt|glptt|glft|glsoat|glcbt|gloas)-[A-Za-z0-9_.-]{20,})",
        &["glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glsoat-", "glcbt-", "gloas-"],
        Some(3.0),
        Validation::Token,
    ),
    rule(
        "slack-token",
        "Slack token",
        r"(?-u)(?:^|[^A-Za-z0-9_-])(xox[abposer]-[0-9A-Za-z-]{10,}|xapp-[0-9]-[A-Z0-9]{6,}-[0-9]{6,}-[A-Za-z0-9]{20,})",
        &["xox", "xapp-"],
        Some(3.0),
        Validation::Token,
    ),
    rule(
        "slack-webhook",
        "Slack incoming webhook URL",
        r"(?-u)hooks\.slack\.com/(?:services|workflows|triggers)/([A-Za-z0-9]{8,12}/[A-Za-z0-9]{8,12}/[A-Za-z0-9]{16,40})",
        &["hooks.slack.com"],
        Some(3.0),
        Validation::Token,
    ),
    rule(
        "stripe-secret-key",
        "Stripe secret or restricted key",
        r"(?-u)(?:^|[^A-Za-z0-9_])((?:sk|rk)_(?:live|test)_[0-9A-Za-z]{16,})",
        &["sk_live_", "sk_test_", "rk_live_", "rk_test_"],
        Some(3.0),
        Validation::Token,
    ),
    rule(
        "google-api-key",
        "Google API key",
        r"(?-u)(?:^|[^A-Za-z0-9_-])(AIza[0-9A-Za-z_-]{35})(?:[^A-Za-z0-9_-]|$)",
        &["aiza"],
        Some(3.0),
        Validation::Token,
    ),
    rule(
        "google-oauth-client-secret",
        "Google OAuth client secret",
        r"(?-u)(?:^|[^A-Za-z0-9_-])(GOCSPX-[0-9A-Za-z_-]{28})(?:[^A-Za-z0-9_-]|$)",
        &["gocspx-"],
        Some(3.0),
        Validation::Token,
    ),
    rule(
        "pypi-token",
        "PyPI upload token",
        r"(?-u)(?:^|[^A-Za-z0-9_-])(pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,})",
        &["pypi-ageichlwas5vcmc"],
        Some(3.0),
        Validation::Token,
    ),
    rule(
        "openai-api-key",
        "OpenAI or Anthropic API key",
        r"(?-u)(?:^|[^A-Za-z0-9_-])(sk-(?:proj-|svcacct-|admin-|ant-api03-|ant-admin01-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}|sk-(?:proj|svcacct|ant-api03|ant-admin01)-[A-Za-z0-9_-]{40,})",
        &["t3blbkfj", "sk-proj-", "sk-svcacct-", "sk-ant-"],
        Some(3.5),
        Validation::Token,
    ),
    rule(
        "sendgrid-api-key",
        "SendGrid API key",
        r"(?-u)(?:^|[^A-Za-z0-9_-])(SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
        &["sg."],
        Some(3.5),
        Validation::Token,
    ),
    rule(
        "azure-storage-key",
        "Azure storage account key",
        r"(?i-u)AccountKey\s*=\s*([A-Za-z0-9+/]{86}==)",
        &["accountkey"],
        Some(4.0),
        Validation::Token,
    ),
    rule(
        "docker-hub-token",
        "Docker Hub personal access token",
        r"(?-u)(?:^|[^A-Za-z0-9_-])(dckr_pat_[A-Za-z0-9_-]{27})(?:[^A-Za-z0-9_-]|$)",
        &["dckr_pat_"],
        Some(3.0),
        Validation::Token,
    ),
    rule(
        "shopify-token",
        "Shopify access token or shared secret",
        r"(?-u)(?:^|[^A-Za-z0-9_])(shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32})(?:[^A-Za-z0-9_]|$)",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        Some(3.0),
        Validation::Token,
    ),
    rule(
        "huggingface-token",
        "Hugging Face access token",
        r"(?-u)(?:^|[^A-Za-z0-9_])(hf_[A-Za-z]{34})(?:[^A-Za-z0-9_]|$)",
        &["hf_"],
        Some(3.5),
        Validation::Token,
    ),
    rule(
        "telegram-bot-token",
        "Telegram bot token",
        r"(?-u)(?:^|[^A-Za-z0-9_:])([0-9]{8,10}:AA[A-Za-z0-9_-]{33})(?:[^A-Za-z0-9_-]|$)",
        &[":aa"],
        Some(3.5),
        Validation::Token,
    ),
    rule(
        "discord-webhook",
        "Discord webhook URL",
        r"(?-u)discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/([A-Za-z0-9_-]{60,68})",
        &["discord"],
        Some(3.5),
        Validation::Token,
    ),
    BuiltinRule {
        id: "private-key",
        description: "private key block (RSA, EC, DSA, OpenSSH, PKCS#8, encrypted or PGP)",
        regex: r"(?-u)-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY(?: BLOCK)?-----",
        keywords: &["private key"],
        entropy: None,
        validation: Validation::PrivateKey,
        scope: Scope::Any,
        multiline: true,
    },
    rule(
        "jwt",
        "JSON Web Token",
        r"(?-u)(?:^|[^A-Za-z0-9_-])(eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})",
        &["eyj"],
        Some(3.0),
        Validation::Jwt,
    ),
    rule(
        "url-password",
        "password in a URL (`scheme://user:password@host`)",
        r#"(?i-u)(?:^|[^A-Za-z0-9+.-])[a-z][a-z0-9+.-]{1,30}://([^\s:/?#@'"<>\[\]{}\\]*):([^\s/?@'"<>\[\]{}\\]+)@[A-Za-z0-9\[]"#,
        &["://"],
        None,
        Validation::UrlPassword,
    ),
    rule(
        "http-auth-header",
        "credentials in an HTTP Authorization header (Bearer or Basic)",
        r#"(?i-u)(?:authorization["']?\s*[:=,]\s*["']?(?:bearer|basic|token)|bearer)\s+([A-Za-z0-9_.~+/-]{20,}=*)"#,
        &["bearer", "authorization"],
        Some(3.5),
        Validation::Token,
    ),
    BuiltinRule {
        id: "dotenv-secret",
        description: "secret variable in a .env file",
        regex: r#"(?m-u)^[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.-]*)[ \t]*=[ \t]*(?:"([^"\r\n]*)"|'([^'\r\n]*)'|([^\s#"']*))"#,
        keywords: &[],
        entropy: None,
        validation: Validation::DotEnv,
        scope: Scope::DotEnv,
        multiline: false,
    },
    rule(
        "config-key-value",
        "secret in a `key=\"...\" value=\"...\"` pair (.NET config, XML settings)",
        r#"(?i-u)(?:^|[^A-Za-z0-9_])key\s*=\s*"([A-Za-z0-9_.:-]+)"\s+value\s*=\s*"([^"\r\n\\]+)""#,
        &["key"],
        None,
        Validation::Assignment,
    ),
    rule(
        "generic-secret",
        "secret assigned to a variable, key or option named like one (password, secret, token, api key, client secret)",
        // The key (group `key`), an operator, then a quoted or bare value; the secret is
        // whichever value group matched. Built at compile time by `generic_regex()`.
        "",
        &["pass", "pwd", "secret", "token", "key", "auth", "credential", "contrase", "clave"],
        None,
        Validation::Assignment,
    ),
    rule(
        "xml-secret-element",
        "secret in an XML element named like one (`<password>...</password>`)",
        r#"(?i-u)<([A-Za-z0-9_.:-]*(?:password|passwd|secret|token|apikey|api_key|api-key|credential)[A-Za-z0-9_.:-]*)>([^<>\s]+)</"#,
        &[
            "password>",
            "passwd>",
            "secret>",
            "token>",
            "apikey>",
            "api_key>",
            "api-key>",
            "credential>",
            "credentials>",
        ],
        None,
        Validation::Assignment,
    ),
];

/// The regex of `generic-secret`: `name <op> value`, where the name contains a secret word.
pub fn generic_regex() -> String {
    format!(
        concat!(
            r#"(?i-u)(?:^|[^A-Za-z0-9_])(?P<key>[A-Za-z0-9_.-]*{name}[A-Za-z0-9_.-]*)["'\]]?[ \t]*"#,
            r#"(?::=|=>|\?=|\|\|=|=|:)[ \t]*(?:[rbuf]{{0,2}}"([^"\r\n\\]+)"|[rbuf]{{0,2}}'([^'\r\n\\]+)'|`([^`\r\n\\]+)`|([^\s"'`,;&<>(){{}}\[\]=][^\s"'`,;&<>(){{}}\[\]]*))"#,
        ),
        name = SECRET_KEY_NAME
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_ids_are_unique_and_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for rule in BUILTIN_RULES {
            assert!(seen.insert(rule.id), "duplicate rule {}", rule.id);
            assert!(rule.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'));
            for keyword in rule.keywords {
                assert_eq!(keyword.to_ascii_lowercase(), *keyword, "keywords are lowercase: {keyword}");
            }
        }
    }
}
