//! `specgate outdated`, `specgate update` and `check ledger`'s `ledger-stale`, against the
//! recorded python.org and OSV fixtures (tests/fixtures/python-org, tests/fixtures/osv), served
//! from folders and from a real HTTP server on 127.0.0.1. Nothing reaches the internet, and no
//! test depends on the day it runs: ledger dates are computed from today, or `--today` is given.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::common::{findings, TestContext};
use crate::httpserver::{Fault, Server};

const INDEX_PATH: &str = "/api/v2/downloads/release/?is_published=true";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn fixture(relative: &str) -> Vec<u8> {
    fs::read(fixtures().join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// Every advisory record of the fixtures, as one JSON list.
fn advisories_list() -> Vec<u8> {
    let mut records = Vec::new();
    for folder in ["osv/python", "osv/pip"] {
        let mut names: Vec<_> = fs::read_dir(fixtures().join(folder)).unwrap().flatten().map(|e| e.path()).collect();
        names.sort();
        for path in names {
            records.push(serde_json::from_slice::<serde_json::Value>(&fs::read(path).unwrap()).unwrap());
        }
    }
    serde_json::to_vec(&records).unwrap()
}

/// A server with python.org's release list and files, and the advisories as a JSON list.
fn python_org() -> Server {
    let server = Server::start();
    server.put(INDEX_PATH, fixture("python-org/release.json"));
    for id in ["877", "936", "1047", "1064"] {
        server.put(
            &format!("/api/v2/downloads/release_file/?release={id}"),
            fixture(&format!("python-org/release_file-{id}.json")),
        );
    }
    server.put("/advisories.json", advisories_list());
    server
}

/// `YYYY-MM-DD` of `days` before today (UTC).
fn days_ago(days: u64) -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    let days_since_epoch = (now / 86_400 - days) as i64;
    // civil_from_days (Howard Hinnant), as src/formats.rs.
    let z = days_since_epoch + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

fn ledger(rows: &[(&str, &str, &str)]) -> String {
    let mut text = String::from(
        "# Artefactos\n\n| Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n|---|---|---|---|---|---|---|\n",
    );
    for (version, date, status) in rows {
        text.push_str(&format!("| {version} | 1 | debian12 | {date} | {} | - | {status} |\n", "ab".repeat(32)));
    }
    text
}

// spec[verify SPEC_INFRA_001#BR-004]
#[test]
fn outdated_on_this_repository_against_the_recorded_fixtures() {
    // This repository pins 3.11.2 and 3.13.5 in specgate.toml and has no ledger of its own. A
    // new pin (after `specgate update`) changes what is due: update this test with it.
    let ctx = TestContext::new();
    let repo = env!("CARGO_MANIFEST_DIR");
    let result = ctx.run(&[
        "-C",
        repo,
        "outdated",
        "--index",
        "tests/fixtures/python-org",
        "--advisories",
        "tests/fixtures/osv",
        "--format",
        "json",
    ]);
    assert_eq!(result.code, 1, "{result}");
    let report: serde_json::Value = serde_json::from_str(&result.stdout).unwrap();
    let mut found: Vec<(String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap().to_owned(), f["message"].as_str().unwrap().to_owned()))
        .collect();
    found.sort();
    let has = |code: &str, needle: &str| found.iter().any(|(c, m)| c == code && m.contains(needle));
    assert!(
        has("outdated-patch", "CPython 3.11.2 (pinned in `specgate.toml`) has 4 newer patch releases"),
        "{found:?}"
    );
    assert!(has("outdated-patch", "the newest is 3.11.9 of 2024-04-02"), "{found:?}");
    assert!(has("outdated-patch", "CPython 3.13.5"), "{found:?}");
    assert!(has("outdated-advisory", "PSF-2099-1 (CVE-2099-0001) affects CPython 3.11.2"), "{found:?}");
    assert!(has("outdated-advisory", "fixed in 3.11.5"), "{found:?}");
    assert!(has("outdated-advisory", "PSF-2099-3 affects CPython 3.11.2"), "{found:?}");
    assert!(has("outdated-advisory", "PSF-2099-2 (CVE-2099-0002) affects CPython 3.13.5"), "{found:?}");
    for absent in ["PSF-2099-4", "PSF-2099-5", "PSF-2099-6", "PSF-2099-7", "3.12.0rc2", "3.15.0a1", "3.14.0rc3"] {
        assert!(!found.iter().any(|(_, m)| m.contains(absent)), "{absent}: {found:?}");
    }
    assert_eq!(found.len(), 6, "{found:?}");

    // The same in SARIF carries the codes as rules.
    let sarif = ctx.run(&[
        "-C",
        repo,
        "outdated",
        "--index",
        "tests/fixtures/python-org/release.json",
        "--advisories",
        &format!("file://{}", fixtures().join("osv").display()),
        "--format",
        "sarif",
    ]);
    assert_eq!(sarif.code, 1, "{sarif}");
    assert!(sarif.stdout.contains("\"ruleId\": \"outdated-advisory\""), "{}", sarif.stdout);
}

#[test]
fn outdated_over_http_reports_patches_advisories_and_age_with_their_rows() {
    let server = python_org();
    let ctx = TestContext::new();
    ctx.write(
        "artifacts/ARTIFACTS.md",
        ledger(&[
            ("3.11.2", "2023-02-10", "Activo"),
            ("3.11.2", &days_ago(3), "Activo"),
            ("3.12.7", "2020-01-01", "Deprecado"),
        ]),
    );
    let index = format!("{}{INDEX_PATH}", server.url);
    let advisories = format!("{}/advisories.json", server.url);
    let result = ctx.run(&["outdated", "--index", &index, "--advisories", &advisories]);
    assert_eq!(result.code, 1, "{result}");
    let err = &result.stderr;
    assert!(err.contains("artifacts/ARTIFACTS.md:5:3: error[outdated-patch]: CPython 3.11.2 (Activo in `artifacts/ARTIFACTS.md`) has 4 newer patch releases of 3.11"), "{err}");
    assert!(err.contains("artifacts/ARTIFACTS.md:5:3: error[outdated-advisory]: PSF-2099-1 (CVE-2099-0001)"), "{err}");
    assert!(
        err.contains("note: newer version lines than 3.11 exist: 3.12 (3.12.7), 3.13 (3.13.6), 3.14 (3.14.0)"),
        "{err}"
    );
    // Two builds of 3.11 for debian12: the newest is three days old, so no rebuild is due.
    assert!(!err.contains("outdated-rebuild"), "{err}");
    assert!(!err.contains("PSF-2099-4"), "a withdrawn advisory is never reported: {err}");

    // With only the old build Activo, the rebuild is due too (today injected).
    ctx.write("artifacts/ARTIFACTS.md", ledger(&[("3.11.2", "2023-02-10", "Activo")]));
    let (code, report) = ctx.json(&[
        "outdated",
        "--index",
        &index,
        "--advisories",
        &advisories,
        "--today",
        "2023-08-10",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    let codes: Vec<String> = findings(&report).into_iter().map(|(code, _, _)| code).collect();
    assert!(codes.contains(&"outdated-rebuild".to_owned()), "{report}");
    let rebuild = report["findings"].as_array().unwrap().iter().find(|f| f["code"] == "outdated-rebuild").unwrap();
    assert_eq!(
        rebuild["message"],
        "the newest Activo build of 3.11 for debian12 (3.11.2 build 1) dates from 2023-02-10; BR-004 asks for a rebuild every 6 months, due since 2023-08-10"
    );
    assert_eq!((rebuild["line"].as_u64(), rebuild["column"].as_u64()), (Some(5), Some(27)));
}

#[test]
fn outdated_exits_0_when_nothing_is_due() {
    let server = python_org();
    let ctx = TestContext::new();
    ctx.write("artifacts/ARTIFACTS.md", ledger(&[("3.14.0", &days_ago(10), "Activo")]));
    let result = ctx.run(&[
        "outdated",
        "--index",
        &format!("{}{INDEX_PATH}", server.url),
        "--advisories",
        &format!("{}/advisories.json", server.url),
    ]);
    assert_eq!(result.code, 0, "{result}");
    assert!(
        result.stderr.contains("1 version in use; 11 releases in the index (3 pre-releases or unpublished skipped)"),
        "{result}"
    );

    // Nothing in use: nothing is fetched.
    let empty = TestContext::new();
    let none =
        empty.run(&["outdated", "--index", "http://127.0.0.1:9/none", "--advisories", "http://127.0.0.1:9/none"]);
    assert_eq!(none.code, 0, "{none}");
    assert!(none.stderr.contains("nothing to compare with python.org"), "{none}");
}

/// A repository that pins 3.11.2, so `outdated` has something to compare.
fn pinned() -> TestContext {
    let ctx = TestContext::new();
    ctx.write(
        "specgate.toml",
        format!(
            "[build.sources.\"3.11.2\"]\nsha256 = \"{}\"\n",
            "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849"
        ),
    );
    ctx
}

#[test]
fn unreadable_indexes_exit_2_and_say_how_to_use_a_mirror() {
    let server = python_org();
    let ctx = pinned();
    let advisories = format!("{}/advisories.json", server.url);
    let cases: Vec<(&str, Vec<u8>, &str, &str)> = vec![
        ("/malformed", b"[{\"name\": \"Python 3.11.9\",".to_vec(), "it is not JSON (", "--index"),
        ("/empty", b"[]".to_vec(), "the list of releases is empty", "--index"),
        ("/object", b"{\"detail\": \"rate limited\"}".to_vec(), "it is a JSON object, not the list of releases", "--index"),
        (
            "/odd",
            br#"[{"name": "Python three", "pre_release": false}, {"name": "Python 3.11.99999999", "pre_release": false}]"#.to_vec(),
            "no published final release named `Python X.Y.Z`",
            "--index",
        ),
    ];
    for (path, body, needle, flag) in cases {
        server.put(path, body);
        let result = ctx.run(&["outdated", "--index", &format!("{}{path}", server.url), "--advisories", &advisories]);
        assert_eq!(result.code, 2, "{path}: {result}");
        assert!(result.stderr.contains("error: could not use python.org's release index at"), "{path}: {result}");
        assert!(result.stderr.contains(needle), "{path}: {result}");
        assert!(result.stderr.contains("hint:") && result.stderr.contains(flag), "{path}: {result}");
    }

    let missing =
        ctx.run(&["outdated", "--index", &format!("{}/nothing-here", server.url), "--advisories", &advisories]);
    assert_eq!(missing.code, 2, "{missing}");
    assert!(missing.stderr.contains("could not read python.org's release index from"), "{missing}");
    assert!(missing.stderr.contains("HTTP 404"), "{missing}");
    assert!(missing.stderr.contains("--index file://"), "{missing}");

    // Advisories that are not the database.
    server.put("/not-osv.json", b"{\"hello\": 1}".to_vec());
    let index = format!("{}{INDEX_PATH}", server.url);
    let bad = ctx.run(&["outdated", "--index", &index, "--advisories", &format!("{}/not-osv.json", server.url)]);
    assert_eq!(bad.code, 2, "{bad}");
    assert!(bad.stderr.contains("could not use the PSF advisories at"), "{bad}");
    assert!(bad.stderr.contains("holds no OSV record for CPython"), "{bad}");
    assert!(bad.stderr.contains("--advisories"), "{bad}");

    // Plain http to another host is refused before any request.
    let remote = ctx.run(&["outdated", "--index", "http://mirror.example/release.json", "--advisories", &advisories]);
    assert_eq!(remote.code, 2, "{remote}");
    assert!(remote.stderr.contains("only loopback hosts may use http"), "{remote}");
}

#[test]
fn a_slow_index_fails_at_the_read_timeout_instead_of_hanging() {
    let server = python_org();
    let ctx = pinned();
    server.faults(INDEX_PATH, vec![Fault::Stall(Duration::from_secs(5))]);
    let result = ctx.run_bounded(&[
        "outdated",
        "--index",
        &format!("{}{INDEX_PATH}", server.url),
        "--advisories",
        &format!("{}/advisories.json", server.url),
        "--read-timeout",
        "1",
        "--retries",
        "0",
    ]);
    assert_eq!(result.code, 2, "{result}");
    assert!(result.stderr.contains("could not read python.org's release index"), "{result}");
    assert!(result.stderr.contains("--index"), "{result}");
}

#[test]
fn odd_release_names_are_skipped_and_counted() {
    let server = python_org();
    let ctx = pinned();
    server.put(
        "/odd",
        br#"[{"name": "Python 3.11.2", "pre_release": false}, {"name": "Python 3.11.x", "pre_release": false},
             {"name": "Python 3.11.4", "pre_release": false, "is_published": false}, {"name": 7}]"#
            .to_vec(),
    );
    let result = ctx.run(&[
        "outdated",
        "--index",
        &format!("{}/odd", server.url),
        "--advisories",
        &format!("{}/advisories.json", server.url),
    ]);
    // 3.11.4 is unpublished and does not count; the advisories still do.
    assert_eq!(result.code, 1, "{result}");
    assert!(!result.stderr.contains("outdated-patch"), "{result}");
    assert!(
        result
            .stderr
            .contains("2 release names of the index are not `Python X.Y.Z` and were skipped: `Python 3.11.x`, ``"),
        "{result}"
    );
}

#[test]
fn advisories_are_read_from_a_tarball_of_the_database() {
    let server = python_org();
    let ctx = pinned();
    let snapshot = ctx.dir.path().join("advisory-database-main");
    for folder in ["python", "pip"] {
        let to = snapshot.join("advisories").join(folder);
        fs::create_dir_all(&to).unwrap();
        for entry in fs::read_dir(fixtures().join("osv").join(folder)).unwrap().flatten() {
            fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
    let tarball = ctx.dir.path().join("main.tar.gz");
    let made = std::process::Command::new("tar")
        .arg("czf")
        .arg(&tarball)
        .arg("-C")
        .arg(ctx.dir.path())
        .arg("advisory-database-main")
        .status()
        .unwrap();
    assert!(made.success());
    server.put("/archive/refs/heads/main.tar.gz", fs::read(&tarball).unwrap());
    let result = ctx.run(&[
        "outdated",
        "--index",
        &format!("{}{INDEX_PATH}", server.url),
        "--advisories",
        &format!("{}/archive/refs/heads/main.tar.gz", server.url),
    ]);
    assert_eq!(result.code, 1, "{result}");
    assert!(
        result.stderr.contains("error[outdated-advisory]: PSF-2099-2 (CVE-2099-0002, GHSA-xxxx-yyyy-zzzz)")
            || result.stderr.contains("error[outdated-advisory]: PSF-2099-2 (CVE-2099-0002)"),
        "{result}"
    );
    assert!(result.stderr.contains("5 advisories read (1 withdrawn)"), "{result}");

    // A truncated tarball is an error, not an empty database.
    let bytes = fs::read(&tarball).unwrap();
    server.put("/cut.tar.gz", bytes[..bytes.len() / 2].to_vec());
    let cut = ctx.run(&[
        "outdated",
        "--index",
        &format!("{}{INDEX_PATH}", server.url),
        "--advisories",
        &format!("{}/cut.tar.gz", server.url),
    ]);
    assert_eq!(cut.code, 2, "{cut}");
    assert!(cut.stderr.contains("could not use the PSF advisories at"), "{cut}");
}

// ---------------------------------------------------------------- update

const TOML: &str = "# Our pins.\n[build]\nallowed-os = [\"debian12\"]   # BR-001\n\n# The old pin stays.\n[build.sources.\"3.11.2\"]\nsha256 = \"2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849\"\nurl = \"https://www.python.org/ftp/python/3.11.2/Python-3.11.2.tgz\"\n\n# Limits last.\n[limits]\ngpg-timeout-seconds = 60\n";

#[test]
fn update_pins_the_newest_patch_byte_stable_and_prints_the_build_command() {
    let server = python_org();
    let ctx = TestContext::new();
    ctx.write("specgate.toml", TOML);
    let index = format!("{}{INDEX_PATH}", server.url);
    let result = ctx.run(&["update", "--python", "3.11", "--index", &index]);
    assert_eq!(result.code, 0, "{result}");
    assert_eq!(result.stdout, "specgate build --python 3.11.9\n");
    assert!(result.stderr.contains("pinned CPython 3.11.9 in `specgate.toml`"), "{result}");
    // No key for 3.11's release manager in keys/: the Sigstore bundle is pinned instead.
    assert!(
        result.stderr.contains("Sigstore bundle by pablogsal@python.org (https://accounts.google.com)"),
        "{result}"
    );
    let edited = fs::read_to_string(ctx.path("specgate.toml")).unwrap();
    let (before, after) = TOML.split_at(TOML.find("\n# Limits last.").unwrap());
    assert!(edited.starts_with(before), "{edited}");
    assert!(edited.ends_with(after), "{edited}");
    let added = &edited[before.len()..edited.len() - after.len()];
    assert!(added.starts_with("\n# Pinned by `specgate update --python 3.11` on "), "{added}");
    assert!(added.contains("[build.sources.\"3.11.9\"]\nsha256 = \""), "{added}");
    assert!(added.contains("url = \"https://www.python.org/ftp/python/3.11.9/Python-3.11.9.tar.xz\"\nsigstore-identity = \"pablogsal@python.org\"\nsigstore-issuer = \"https://accounts.google.com\"\n"), "{added}");
    assert_eq!(ctx.run(&["check", "spec"]).code, 0, "the edited file is still a valid configuration");

    // Again: already pinned, nothing written.
    let again = ctx.run(&["update", "--python", "3.11", "--index", &index]);
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stderr.contains("already pins CPython 3.11.9"), "{again}");
    assert_eq!(fs::read_to_string(ctx.path("specgate.toml")).unwrap(), edited);

    // With the release manager's key in keys/, 3.13 is pinned with its OpenPGP fingerprint.
    ctx.write("keys/python-release-7169605F62C751356D054A26A821E680E5FA6305.asc", "key");
    let gpg = ctx.run(&["update", "--python", "3.13", "--index", &index]);
    assert_eq!(gpg.code, 0, "{gpg}");
    let edited = fs::read_to_string(ctx.path("specgate.toml")).unwrap();
    assert!(edited.contains("[build.sources.\"3.13.6\"]"), "{edited}");
    assert!(edited.contains("public-key = \"keys/python-release-7169605F62C751356D054A26A821E680E5FA6305.asc\"\nfingerprint = \"7169605F62C751356D054A26A821E680E5FA6305\"\n"), "{edited}");

    // 3.14: Sigstore only.
    let sigstore = ctx.run(&["update", "--python", "3.14", "--index", "file://".to_owned().as_str()]);
    assert_eq!(sigstore.code, 2, "an empty file:// URL is refused: {sigstore}");
    let folder = fixtures().join("python-org");
    let sigstore = ctx.run(&["update", "--python", "3.14", "--index", folder.to_str().unwrap()]);
    assert_eq!(sigstore.code, 0, "{sigstore}");
    assert!(fs::read_to_string(ctx.path("specgate.toml")).unwrap().contains("sigstore-identity = \"hugo@python.org\""));
}

#[test]
fn update_refuses_what_a_build_could_not_verify() {
    let server = python_org();
    let ctx = TestContext::new();
    ctx.write("specgate.toml", TOML);
    let mut files: serde_json::Value = serde_json::from_slice(&fixture("python-org/release_file-877.json")).unwrap();
    for file in files.as_array_mut().unwrap() {
        file["sha256_sum"] = serde_json::Value::String(String::new());
    }
    server.put("/api/v2/downloads/release_file/?release=877", serde_json::to_vec(&files).unwrap());
    let index = format!("{}{INDEX_PATH}", server.url);
    let result = ctx.run(&["update", "--python", "3.11", "--index", &index]);
    assert_eq!(result.code, 2, "{result}");
    assert!(result.stderr.contains("refused to pin CPython 3.11.9: python.org publishes no SHA-256 for `https://www.python.org/ftp/python/3.11.9/Python-3.11.9.tar.xz`"), "{result}");
    assert!(result.stderr.contains("Manual fallback"), "{result}");
    assert_eq!(fs::read_to_string(ctx.path("specgate.toml")).unwrap(), TOML, "nothing is written");

    for file in files.as_array_mut().unwrap() {
        file["sha256_sum"] = serde_json::Value::String("ab".repeat(32));
        file["sigstore_bundle_file"] = serde_json::Value::String(String::new());
    }
    server.put("/api/v2/downloads/release_file/?release=877", serde_json::to_vec(&files).unwrap());
    let unsigned = ctx.run(&["update", "--python", "3.11", "--index", &index]);
    assert_eq!(unsigned.code, 2, "{unsigned}");
    assert!(unsigned.stderr.contains("is not in the repository; python.org lists no Sigstore bundle"), "{unsigned}");

    let unknown = ctx.run(&["update", "--python", "3.10", "--index", &index]);
    assert_eq!(unknown.code, 2, "{unknown}");
    assert!(unknown.stderr.contains("lists no published final release of 3.10"), "{unknown}");
    let bad = ctx.run(&["update", "--python", "3.11.2", "--index", &index]);
    assert_eq!(bad.code, 2, "{bad}");
    assert!(bad.stderr.contains("is not a version line `X.Y`"), "{bad}");
    let missing = ctx.run(&["update", "--python", "3.12", "--index", &format!("{}/gone", server.url)]);
    assert_eq!(missing.code, 2, "{missing}");
    assert!(missing.stderr.contains("HTTP 404"), "{missing}");
    assert_eq!(fs::read_to_string(ctx.path("specgate.toml")).unwrap(), TOML);
}

// ---------------------------------------------------------------- ledger-stale

// spec[verify SPEC_INFRA_001#BR-004]
#[test]
fn check_ledger_warns_when_the_newest_build_of_a_line_is_older_than_the_rebuild_period() {
    let ctx = TestContext::new();
    ctx.write(
        "artifacts/ARTIFACTS.md",
        ledger(&[
            ("3.11.2", "2020-01-15", "Activo"),
            ("3.13.5", &days_ago(1), "Activo"),
            ("3.12.7", "2020-01-01", "Retirado"),
        ]),
    );
    let result = ctx.run(&["check", "ledger"]);
    assert_eq!(result.code, 0, "a warning by default: {result}");
    assert!(
        result.stderr.contains("artifacts/ARTIFACTS.md:5:27: warning[ledger-stale]: the newest Activo build of 3.11 for debian12 (3.11.2 build 1) dates from 2020-01-15; BR-004 asks for a rebuild every 6 months, due since 2020-07-15"),
        "{result}"
    );
    assert_eq!(result.stderr.matches("ledger-stale").count(), 1, "{result}");

    let denied = ctx.run(&["check", "ledger", "--deny", "ledger-stale"]);
    assert_eq!(denied.code, 1, "{denied}");
    ctx.write("specgate.toml", "[artifacts]\nrebuild-after = \"100 weeks\"\n[severity]\nledger-stale = \"deny\"\n");
    let configured = ctx.run(&["check", "ledger"]);
    assert_eq!(configured.code, 1, "{configured}");
    assert!(configured.stderr.contains("every 100 weeks, due since 2021-12-15"), "{configured}");
    ctx.write("specgate.toml", "[artifacts]\nrebuild-after = \"10000 weeks\"\n");
    assert_eq!(ctx.run(&["check", "ledger"]).code, 0);
    ctx.write("specgate.toml", "[artifacts]\nrebuild-after = \"six months\"\n");
    let bad = ctx.run(&["check", "ledger"]);
    assert_eq!(bad.code, 2, "{bad}");
    assert!(bad.stderr.contains("specgate.toml:2:17"), "{bad}");
}
