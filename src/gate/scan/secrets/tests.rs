//! Table-driven tests of the secret rules: each row is a path, a text, and the rule expected to
//! fire (or `None` for a near miss that must not). Fake secrets here are accepted by the
//! repository's own gate through the `[secrets] allowlist` in specgate.toml.

use crc32fast::hash as crc32;

use super::*;
use crate::shared::config::secrets::RawSecrets;

/// A GitHub-format token with a valid checksum, made from a seed so no real token is pasted.
pub(crate) fn github_token(prefix: &str, seed: u32, length: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut state = seed.wrapping_mul(2_654_435_761).wrapping_add(12345);
    let body: String = (0..length)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            char::from(ALPHABET[(state % 62) as usize])
        })
        .collect();
    format!("{prefix}{body}{}", base62_checksum(crc32(body.as_bytes())))
}

fn rules_found(path: &str, text: &str) -> Vec<String> {
    let config = SecretsConfig::default();
    let scanner = Scanner::new(&config);
    scan_file(&scanner, path, text.as_bytes(), None).into_iter().map(|f| f.rule).collect()
}

fn check_table(rows: &[(&str, &str, Option<&str>)]) {
    let mut failures = Vec::new();
    for (path, text, expected) in rows {
        let found = rules_found(path, text);
        let ok = match expected {
            Some(rule) => found.iter().any(|f| f == rule),
            None => found.is_empty(),
        };
        if !ok {
            failures.push(format!("{path}: {text:?}: expected {expected:?}, found {found:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn provider_tokens_and_near_misses() {
    check_table(&[
        ("a.py", "key_id = 'AKIAZ7VRSQ4TJ2LMNOPQ'", Some("aws-access-key-id")),
        ("a.py", "key_id = 'AKIAIOSFODNN7EXAMPLE'", None),
        ("a.py", "key_id = 'AKIAZ7VRSQ4TJ2LMNOP'", None),
        ("a.txt", "XAKIAZ7VRSQ4TJ2LMNOPQ", None),
        ("a.ini", "aws_secret_access_key = Zx9+Qm2Lr8/Tn4Vb6Hc1Jd3Kf5Gs7Pw0Ye2Ua4Io", Some("aws-secret-access-key")),
        ("a.ini", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", None),
        ("a.sh", "export GITLAB_TOKEN=glpat-Rk8vQ2mN5xL9pT3wZ7yB", Some("gitlab-token")),
        ("a.sh", "token: glpat-xxxxxxxxxxxxxxxxxxxx", None),
        ("a.yml", "slack: xoxb-2048109368-4829103746-Qm8Rk2Vx9Lp4Tn7Wz3Yb", Some("slack-token")),
        ("a.yml", "slack: xoxb-XXXXXXXXXX-XXXXXXXXXXXX", None),
        (
            "a.md",
            "https://hooks.slack.com/services/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",
            Some("slack-webhook"),
        ),
        ("a.md", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX", None),
        ("a.js", "const stripe = require('stripe')('sk_live_51Hq8Rk2Vx9Lp4Tn7Wz3YbCd5F');", Some("stripe-secret-key")),
        ("a.js", "const pk = 'pk_live_51Hq8Rk2Vx9Lp4Tn7Wz3YbCd5F';", None),
        ("a.json", "{\"key\": \"AIzaSyC8Rk2Vx9Lp4Tn7Wz3YbCd5Fg6Hj1Km0Qs\"}", Some("google-api-key")),
        ("a.json", "{\"key\": \"AIzaSyC8Rk2Vx9Lp4Tn7Wz3YbCd5Fg6Hj1Km0Q\"}", None),
        ("a.json", "\"client_secret\": \"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\"", Some("google-oauth-client-secret")),
        ("a.txt", "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", Some("sendgrid-api-key")),
        ("a.rb", "token = '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'", Some("shopify-token")),
        ("a.py", "HF = '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'", Some("huggingface-token")),
        ("a.py", "BOT = '7429183650:AAQm8Rk2Vx9Lp4Tn7Wz3YbCd5Fg6Hj1Km0Q'", Some("telegram-bot-token")),
        ("a.py", "at 12:30:AAA the build started", None),
    ]);
}

#[test]
fn github_tokens_need_a_valid_checksum() {
    let classic = github_token("ghp_", 7, 30);
    let fine = {
        let head = github_token("", 11, 16);
        let tail = github_token("", 13, 53);
        format!("github_pat_{head}_{tail}")
    };
    let mut look_alike = classic.clone().into_bytes();
    let last = look_alike.len() - 1;
    look_alike[last] = if look_alike[last] == b'A' { b'B' } else { b'A' };
    let look_alike = String::from_utf8(look_alike).unwrap();
    for prefix in ["gho_", "ghu_", "ghs_", "ghr_"] {
        let token = github_token(prefix, 3, 30);
        assert_eq!(rules_found("a.env", &format!("X={token}")), vec!["github-token"], "{token}");
    }
    assert_eq!(rules_found("a.py", &format!("TOKEN = '{classic}'")), vec!["github-token"]);
    assert_eq!(
        rules_found("a.py", &format!("headers = {{'Authorization': '{fine}'}}")),
        vec!["github-fine-grained-token"]
    );
    assert!(rules_found("a.py", &format!("x = '{look_alike}'")).iter().all(|r| r != "github-token"));
    assert!(rules_found("a.py", "x = 'ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'").is_empty());
    assert_eq!(
        rules_found("a.npmrc", &format!("//registry.npmjs.org/:_authToken={}", github_token("npm_", 5, 30))),
        vec!["npm-token"]
    );
}

#[test]
fn private_keys_need_a_body() {
    let body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u";
    check_table(&[
        (
            "id_rsa",
            &format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"),
            Some("private-key"),
        ),
        ("k.pem", &format!("-----BEGIN PRIVATE KEY-----\n{body}\n"), Some("private-key")),
        ("k", &format!("-----BEGIN OPENSSH PRIVATE KEY-----\n{body}\n"), Some("private-key")),
        ("k", &format!("-----BEGIN EC PRIVATE KEY-----\n{body}\n"), Some("private-key")),
        (
            "k.asc",
            &format!("-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\n{body}\n"),
            Some("private-key"),
        ),
        (
            "k.json",
            &format!("{{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n{body}\\n-----END PRIVATE KEY-----\\n\"}}"),
            Some("private-key"),
        ),
        ("doc.md", "Paste the key:\n-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n", None),
        ("doc.md", "if line.startswith('-----BEGIN RSA PRIVATE KEY-----'):\n    pass\n", None),
        ("k.pub", &format!("-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"), None),
        ("c.pem", &format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"), None),
    ]);
}

#[test]
fn jwts_urls_and_headers() {
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.Sfl8KxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
    check_table(&[
        ("a.txt", jwt, Some("jwt")),
        ("a.txt", "eyJub3RhbGciOiJ4In0.eyJzdWIiOiIxMjM0NTY3ODkwIn0.Sfl8KxwRJSMeKKF2QT4fwpMeJf36", None),
        ("a.py", "DATABASE_URL = 'postgres://app:Vq8#mK2pL9xR@db.internal:5432/app'", Some("url-password")),
        ("a.yml", "broker: amqp://svc:Zt7Rk2mQ9w@rabbit/", Some("url-password")),
        ("a.py", "url = 'postgres://user:password@localhost/db'", None),
        ("a.py", "url = 'postgres://%s:%s@%s/db' % (u, p, h)", None),
        ("a.py", "url = f'postgres://{user}:{password}@{host}/db'", None),
        ("a.sh", "curl https://$USER:$TOKEN@example.org/", None),
        ("a.md", "ssh://git@github.com:22/org/repo", None),
        ("a.md", "http://localhost:8080/path", None),
        ("a.sh", "curl -H 'Authorization: Bearer Qm8Rk2Vx9Lp4Tn7Wz3YbCd5Fg6Hj1Km0Q'", Some("http-auth-header")),
        ("a.sh", "curl -H 'Authorization: Bearer <token>'", None),
        ("a.sh", "curl -H \"Authorization: Bearer $TOKEN\"", None),
    ]);
}

#[test]
fn generic_assignments() {
    check_table(&[
        (
            "settings.py",
            "SECRET_KEY = 'django-insecure-8#k2@v!x9q$w3z^m7r&t(p)5n-b_j=c+y1l4h6f0d'",
            Some("generic-secret"),
        ),
        ("settings.py", "SECRET_KEY = 'q8$k2v!x9#w3z^m7r&t(p)5n-b_j=c+y1l4h6f0d@s2a'", Some("generic-secret")),
        ("settings.py", "SECRET_KEY = os.environ['SECRET_KEY']", None),
        ("settings.py", "SECRET_KEY = get_random_secret_key()", None),
        ("a.json", "{\"client_secret\": \"Qm8~Rk2Vx9.Lp4Tn7Wz3-YbCd5Fg6Hj1Km0Qs\"}", Some("generic-secret")),
        ("a.py", "CLIENT_SECRET = \"b7e4c2d9a1f84e36b0c5d7e9f2a4b6c8\"", Some("generic-secret")),
        ("a.yml", "password: Tr0ub4dor&3x", Some("generic-secret")),
        ("a.yml", "db_password: \"N7v$kQ2m\"", Some("generic-secret")),
        ("a.py", "conn = connect(host=h, password=\"Xk9#mP2vL7\")", Some("generic-secret")),
        ("a.go", "Password: \"Zq7!rT4wY9\",", Some("generic-secret")),
        ("a.properties", "api.key=4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c", Some("generic-secret")),
        ("a.ts", "const apiKey = 'k9Xm2Qv7Lp4Rt8Wz3Yb6';", Some("generic-secret")),
        ("a.py", "password = getpass.getpass()", None),
        ("a.py", "password = None", None),
        ("a.py", "password = 'secret'", None),
        ("a.py", "password = '********'", None),
        ("a.py", "password = '<your-password>'", None),
        ("a.py", "token = '${GITHUB_TOKEN}'", None),
        ("a.py", "api_key = 'changeme'", None),
        ("a.py", "if password == 'Xk9#mP2vL7':", None),
        ("a.py", "password = self.password", None),
        ("a.py", "token_type = 'Bearer'", None),
        ("a.py", "PASSWORD_FIELD = 'user_password'", None),
        ("a.py", "password_hash = '$2b$12$KIXQ8Rk2Vx9Lp4Tn7Wz3YbCd5Fg6Hj1Km0QsAbCdEfGhIjKlMnOp'", None),
        ("a.py", "session_id = '3f2b8c1e-9d4a-4b7e-8f6c-2a1d0e9b8c7d'", None),
        ("a.py", "api_key = '3f2b8c1e-9d4a-4b7e-8f6c-2a1d0e9b8c7d'", None),
        ("a.py", "tokenizer = 'Tk9xQ2mR7vLp'", None),
        ("a.py", "public_key = 'ssh-ed25519AAAAC3NzaC1lZDI1NTE5AAAAIK'", None),
        ("a.md", "La contrasena se guarda en el gestor de secretos del equipo.", None),
        ("a.md", "Set `password:` to the value from the vault.", None),
        ("a.py", "PASSWORD = 'DB_PASSWORD'", None),
        ("Cargo.lock", "checksum = \"a3f1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f80\"", None),
        ("package-lock.json", "\"integrity\": \"sha512-Qm8Rk2Vx9Lp4Tn7Wz3YbCd5Fg6Hj1Km0QsAbCd==\"", None),
        ("a.py", "auth_token = 'sha256:a3f1b2c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6'", None),
        ("app.config", "Server=db;User Id=sa;Password=Xk9#mP2vL7;Encrypt=true", Some("generic-secret")),
        ("a.properties", "jdbc:postgresql://db/app?user=svc&password=Xk9mP2vL7q&ssl=true", Some("generic-secret")),
        ("conf.xml", "<connection><password>Xk9#mP2vL7</password></connection>", Some("xml-secret-element")),
        ("conf.xml", "<password>${DB_PASSWORD}</password>", None),
        (
            "web.config",
            "<add key=\"ClientSecret\" value=\"Qm8~Rk2Vx9.Lp4Tn7Wz3-YbCd5Fg6\" />",
            Some("config-key-value"),
        ),
        ("web.config", "<add key=\"ClientId\" value=\"Qm8Rk2Vx9Lp4Tn7Wz3YbCd5Fg6\" />", None),
        ("config.yml", "contrase\u{f1}a: \"Xk9#mP2vL7\"", Some("generic-secret")),
        ("config.py", "clave_api = 'k9Xm2Qv7Lp4Rt8Wz3Yb6'", Some("generic-secret")),
        ("a.md", "La contrase\u{f1}a: se guarda en el gestor, nunca en el repositorio.", None),
        ("refcounts.dat", "PyContextToken_CheckExact:PyObject*:o:0:", None),
        ("request.py", "proxy_auth_hdr = \"Proxy-Authorization\"", None),
        ("expressions.rst", "   : :token:`~python-grammar:expression`", None),
        ("gen.py", "comment=f\"token='{keyword}'\",", None),
        ("configure", "as_fn_append MODULE_BLOCK \"MODULE_PWD_STATE=$py_cv_module_pwd$as_nl\"", None),
        ("cfgparser.2", ";*passwd:*all*authentication*tokens*updated*successfully*", None),
        ("a.py", "INCORRECT_PASSWD = \"Incorrect\"", None),
    ]);
}

#[test]
fn dotenv_files() {
    check_table(&[
        (".env", "DB_PASSWORD=hunter2butlonger9", Some("dotenv-secret")),
        (".env.production", "export STRIPE_KEY='Rk8vQ2mN5xL9pT3w'", Some("dotenv-secret")),
        ("config/app.env", "SESSION_SALT=Xq7vL2pR9m", Some("dotenv-secret")),
        (".env", "DB_HOST=localhost\nDB_PORT=5432\nDEBUG=true", None),
        (".env", "DB_PASSWORD=", None),
        (".env.example", "DB_PASSWORD=changeme", None),
        (".env", "API_KEY=${API_KEY}", None),
    ]);
}

#[test]
fn pragmas_allow_on_the_same_line() {
    let text =
        "password = 'Xk9#mP2vL7'  # specgate: allow-secret\npassword = 'Yk9#mP2vL8'  # pragma: allowlist secret\n";
    assert!(rules_found("a.py", text).is_empty());
    let next = "# specgate: allow-secret-next-line\npassword = 'Xk9#mP2vL7'\npassword = 'Yk9#mP2vL8'\n";
    assert_eq!(rules_found("a.py", next).len(), 1);
}

#[test]
fn findings_are_redacted_everywhere() {
    let secret = "Xk9#mP2vL7qR4w";
    let config = SecretsConfig::default();
    let scanner = Scanner::new(&config);
    let text = format!("line one\nconn(password=\"{secret}\")\n");
    let findings = scan_file(&scanner, "a.py", text.as_bytes(), None);
    assert_eq!(findings.len(), 1);
    let finding = &findings[0];
    assert_eq!((finding.line, finding.column), (2, 16));
    assert_eq!(finding.preview, "Xk9#...");
    let diagnostic = finding.to_diagnostic();
    assert!(!diagnostic.message.contains(secret));
    assert!(!diagnostic.source_line.as_deref().unwrap_or_default().contains(secret));
    let mut report = Report::new(crate::shared::diag::Levels::default());
    report.push(diagnostic);
    for format in
        [crate::shared::diag::Format::Human, crate::shared::diag::Format::Json, crate::shared::diag::Format::Sarif]
    {
        let mut out = Vec::new();
        crate::shared::diag::render(&report, format, &mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains("Xk9#...") && !out.contains(secret), "{format:?}: {out}");
    }
}

#[test]
fn every_secret_on_a_line_is_masked_in_each_findings_excerpt() {
    // Two secrets on one line: each finding's excerpt used to show the other one in clear.
    let aws = "AKIAUJZDEGXDNCF32EPF";
    let ghp = github_token("ghp_", 7, 30);
    let config = SecretsConfig::default();
    let scanner = Scanner::new(&config);
    let text = format!("KEYS = [\"{aws}\", \"{ghp}\"]\n");
    let findings = scan_file(&scanner, "k.py", text.as_bytes(), None);
    assert_eq!(findings.len(), 2, "{findings:?}");
    let mut report = Report::new(crate::shared::diag::Levels::default());
    for finding in &findings {
        assert_eq!(finding.excerpt.text, "KEYS = [\"AKIA...\", \"ghp_...\"]", "{finding:?}");
        report.push(finding.to_diagnostic());
    }
    // The marker sits under each finding's own preview in the masked excerpt.
    let columns: Vec<usize> = findings.iter().map(|f| f.excerpt.column).collect();
    assert_eq!(columns, [10, 21]);
    let mut out = Vec::new();
    crate::shared::diag::render(&report, crate::shared::diag::Format::Human, &mut out).unwrap();
    let out = String::from_utf8(out).unwrap();
    assert!(!out.contains(aws) && !out.contains(&ghp), "{out}");
    for column in columns {
        assert!(out.contains(&format!("| {}^^^^^^^\n", " ".repeat(column - 1))), "{out}");
    }
}

#[test]
fn added_lines_limit_findings() {
    let config = SecretsConfig::default();
    let scanner = Scanner::new(&config);
    let text = "password = 'Xk9#mP2vL7'\npassword = 'Yk9#mP2vL8'\n";
    let findings = scan_file(&scanner, "a.py", text.as_bytes(), Some(&[2]));
    assert_eq!(findings.iter().map(|f| f.line).collect::<Vec<_>>(), vec![2]);
}

#[test]
fn config_adds_overrides_and_disables_rules() {
    let raw: RawSecrets = toml::from_str(
        "disable = [\"jwt\"]\nallow-paths = [\"tests/corpus/**\"]\n[[rules]]\nid = \"acme-token\"\nregex = 'acme_([a-z0-9]{16})'\nkeywords = [\"acme_\"]\nentropy = 3.0\n",
    )
    .unwrap();
    let config = SecretsConfig::from_raw(raw).unwrap();
    assert!(config.rules.iter().all(|r| r.id != "jwt"));
    assert!(config.is_allowlisted("tests/corpus/x/y.txt"));
    assert!(config.is_allowlisted("tests/corpus/a.whl!pkg/x.py"));
    assert!(!config.is_allowlisted("src/x.rs"));
    let scanner = Scanner::new(&config);
    let found: Vec<String> =
        scan_file(&scanner, "a.txt", b"k = acme_q8r2v9l4t7w3y6b1", None).into_iter().map(|f| f.rule).collect();
    assert_eq!(found, vec!["acme-token"]);
    assert!(scan_file(&scanner, "a.txt", b"k = acme_aaaaaaaaaaaaaaaa", None).is_empty());

    for (text, needle) in [
        ("disable = [\"nope\"]", "unknown rule `nope`"),
        ("[[rules]]\nid = \"x\"\nregex = '('\nkeywords = [\"x\"]", "not a valid"),
        ("[[rules]]\nid = \"x\"\nregex = 'x'", "give `keywords`"),
        ("[[rules]]\nid = \"Bad Id\"\nregex = 'x'\nkeywords = [\"x\"]", "kebab-case"),
        ("allow-paths = [\"a/[\"]", "not a valid glob"),
    ] {
        let raw: RawSecrets = toml::from_str(text).unwrap();
        let error = SecretsConfig::from_raw(raw).unwrap_err().to_string();
        assert!(error.contains(needle), "{text}: {error}");
    }
}

#[test]
fn entropy_and_redaction_basics() {
    assert_eq!(entropy(b""), 0.0);
    assert_eq!(entropy(b"aaaa"), 0.0);
    assert!((entropy(b"abcd") - 2.0).abs() < 1e-9);
    assert_eq!(redact(b"abc"), "...");
    assert_eq!(redact(b"abcdefgh"), "ab...");
    assert_eq!(redact(b"abcdefghijklmnop"), "abcd...");
    assert_eq!(key_words(b"clientSecret"), vec!["client", "secret"]);
    assert_eq!(key_words(b"DB_PASSWORD"), vec!["db", "password"]);
    assert_eq!(classify_key(b"x-api-key"), Some(KeyKind::Secret));
    assert_eq!(classify_key(b"bypass"), None);
    assert_eq!(classify_key(b"key"), None);
}

#[test]
fn many_keyword_hits_on_one_long_line_still_find_the_secret() {
    let mut line = "var a={key:1,".repeat(2000);
    line.push_str("apiKey:\"k9Xm2Qv7Lp4Rt8Wz3Yb6\"};\nnext line\n");
    let found = rules_found("bundle.min.js", &line);
    assert_eq!(found, vec!["generic-secret"]);
}

#[test]
fn a_minified_line_of_many_secrets_gives_short_masked_excerpts_at_the_right_columns() {
    // 2,000 tokens on one 200 KB line: each excerpt is a window around its own secret, with
    // every secret in it masked (the neighbours at the window's edges too), and the line and
    // column of each finding are the ones counted from the start of the file.
    let config = SecretsConfig::default();
    let scanner = Scanner::new(&config);
    let tokens: Vec<String> = (0..2_000).map(|i| github_token("ghp_", i, 30)).collect();
    let mut text = String::from("// header\n");
    let mut column = 1;
    let mut columns = Vec::new();
    let push = |text: &mut String, piece: &str, column: &mut usize| {
        text.push_str(piece);
        *column += piece.chars().count();
    };
    for token in &tokens {
        push(&mut text, "var a=\"\u{e9}\u{e9}\";var t=\"", &mut column);
        columns.push(column);
        push(&mut text, token, &mut column);
        push(&mut text, &format!("\",b=\"{}\";", "x".repeat(60)), &mut column);
    }
    let findings = scan_file(&scanner, "bundle.min.js", text.as_bytes(), None);
    assert_eq!(findings.len(), tokens.len());
    for (i, finding) in findings.iter().enumerate() {
        assert_eq!((finding.line, finding.column), (2, columns[i]), "finding {i}");
        let excerpt = &finding.excerpt;
        assert!(excerpt.text.chars().count() < 200, "{excerpt:?}");
        let near = &tokens[i.saturating_sub(3)..(i + 4).min(tokens.len())];
        assert!(near.iter().all(|t| !excerpt.text.contains(&t[4..12])), "a secret shows in {excerpt:?}");
        assert_eq!(excerpt.text.chars().skip(excerpt.column - 1).take(7).collect::<String>(), "ghp_...");
    }
}

#[test]
fn base62_checksum_pads_to_six() {
    assert_eq!(base62_checksum(0), "000000");
    assert_eq!(base62_checksum(61), "00000z");
    assert_eq!(base62_checksum(62), "000010");
}

#[test]
fn github_checksum_accepts_computed_and_rejects_altered() {
    let body = "Ab3dEfGh1jKlMn0pQrStUvWxYz0123";
    let token = format!("ghp_{body}{}", base62_checksum(crc32(body.as_bytes())));
    assert!(github_checksum_valid(token.as_bytes()));
    let mut altered = token.clone().into_bytes();
    altered[6] = if altered[6] == b'x' { b'y' } else { b'x' };
    assert!(!github_checksum_valid(&altered));
}
