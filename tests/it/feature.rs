//! The cpython-prebuilt Dev Container Feature: `specgate check feature` on real repositories,
//! and (ignored, end to end) a real Dev Container build with the official devcontainers CLI and
//! podman, the Feature pointed at an artifact on a loopback HTTP server.

use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::common::{findings, run, TestContext};
use crate::httpserver::Server;

/// The manifest of the repository's Feature, as shipped.
fn shipped_manifest() -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("feature/cpython-prebuilt/devcontainer-feature.json"))
        .expect("the Feature manifest is readable")
}

fn feature_repo(folder: &str, manifest: &str) -> TestContext {
    let ctx = TestContext::new();
    ctx.write(&format!("feature/{folder}/devcontainer-feature.json"), manifest);
    ctx.write(&format!("feature/{folder}/install.sh"), "#!/bin/sh\n# SPEC_INFRA_001\nset -eu\n");
    ctx.write("README.md", "SPEC_INFRA_001\n");
    ctx.commit("feature");
    ctx
}

#[test]
fn the_shipped_feature_passes_check_feature_and_the_default_check() {
    let ctx = feature_repo("cpython-prebuilt", &shipped_manifest());
    let checked = ctx.run(&["check", "feature"]);
    assert_eq!(checked.code, 0, "{checked}");
    assert!(checked.stderr.contains("feature: 1 manifest checked"), "{checked}");
    // The bare `check` runs the Feature rules too (other checks may report on this tiny repository).
    let all = ctx.run(&["check"]);
    assert!(all.stderr.contains("feature: 1 manifest checked"), "{all}");
    let (_, report) = ctx.json(&["--format", "json", "check"]);
    assert!(findings(&report).iter().all(|(code, _, _)| !code.starts_with("feature-")), "{report}");
}

#[test]
fn check_reports_each_manifest_problem_at_its_line() {
    let manifest = r#"{
    "id": "Python",
    "version": "1.0",
    "name": "x",
    "options": {
        "setDefault": {"type": "boolean", "default": "true"},
        "version": {"type": "string", "enum": ["3.11.2"], "default": "3.12.0"},
        "version": {"type": "string", "default": "3.11.2"}
    }
}
"#;
    let ctx = feature_repo("cpython-prebuilt", manifest);
    for args in [&["check", "feature"][..], &["check"][..]] {
        let (code, report) = ctx.json(&[&["--format", "json"][..], args].concat());
        assert_eq!(code, 1, "{report}");
        let path = "feature/cpython-prebuilt/devcontainer-feature.json";
        let mut found: Vec<(String, u64)> =
            findings(&report).into_iter().filter(|(_, p, _)| p == path).map(|(c, _, l)| (c, l)).collect();
        found.sort();
        let expect = |code: &str, line: u64| (code.to_owned(), line);
        assert_eq!(
            found,
            vec![
                expect("feature-duplicate-key", 8),
                expect("feature-id-invalid", 2),
                expect("feature-id-mismatch", 2),
                expect("feature-option-invalid", 6),
                expect("feature-option-invalid", 7),
                expect("feature-version-invalid", 3),
            ],
            "{report}"
        );
    }
    let human = ctx.run(&["check", "feature"]);
    assert!(
        human.stderr.contains(
            "feature/cpython-prebuilt/devcontainer-feature.json:2:11: error[feature-id-mismatch]: id `Python` differs from the folder name `cpython-prebuilt`"
        ),
        "{human}"
    );
}

#[test]
fn jsonc_is_refused_and_an_untracked_feature_is_checked_before_git_add() {
    let ctx = TestContext::new();
    ctx.write("README.md", "SPEC_INFRA_001\n");
    ctx.commit("start");
    // Not added to git: a new Feature folder is still checked, as a new spec is.
    ctx.write(
        "feature/tool/devcontainer-feature.json",
        "{\n  // the devcontainers CLI reads JSONC in devcontainer.json, but this file is JSON\n  \"id\": \"tool\"\n}\n",
    );
    let checked = ctx.run(&["check", "feature"]);
    assert_eq!(checked.code, 1, "{checked}");
    assert!(
        checked.stderr.contains(
            "devcontainer-feature.json:2:3: error[feature-json-invalid]: not strict JSON: comments are not allowed"
        ),
        "{checked}"
    );
    assert!(checked.stderr.contains("error[feature-install-missing]"), "{checked}");
    ctx.write("feature/tool/devcontainer-feature.json", "{\"id\": \"tool\", \"version\": \"0.1.0\", \"name\": \"t\",}");
    let checked = ctx.run(&["check", "feature"]);
    assert!(
        checked.stderr.contains(":1:48: error[feature-json-invalid]: not strict JSON: trailing comma before `}`"),
        "{checked}"
    );
}

#[test]
fn a_manifest_that_is_too_large_or_a_device_is_refused_at_once() {
    // Valid JSON of 2 MiB: a manifest has a few KiB, so this is not read.
    let padded = shipped_manifest().replacen('{', &format!("{{\n{}", " ".repeat(2 << 20)), 1);
    let ctx = feature_repo("cpython-prebuilt", &padded);
    let checked = ctx.run_bounded(&["check", "feature"]);
    assert_eq!(checked.code, 1, "{checked}");
    assert!(checked.stderr.contains("error[feature-unreadable]: could not read the manifest"), "{checked}");
    assert!(checked.stderr.contains("over the limit of 1048576 bytes"), "{checked}");
    assert!(checked.stderr.contains("regular UTF-8 JSON file of at most 1 MiB"), "{checked}");
    // A link to /dev/zero, committed: refused as a device, not read until memory runs out.
    let path = ctx.path("feature/cpython-prebuilt/devcontainer-feature.json");
    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    ctx.commit("link");
    let checked = ctx.run_bounded(&["check", "feature"]);
    assert_eq!(checked.code, 1, "{checked}");
    assert!(checked.stderr.contains("not a regular file"), "{checked}");
    // An untracked FIFO in a new Feature folder is not waited on either.
    fs::create_dir_all(ctx.path("feature/other")).unwrap();
    ctx.mkfifo("feature/other/devcontainer-feature.json");
    let checked = ctx.run_bounded(&["check", "feature"]);
    assert_eq!(checked.code, 1, "{checked}");
}

#[test]
fn a_feature_index_that_disagrees_with_the_ledger_is_a_finding_until_make_feature_rewrites_it() {
    let ctx = feature_repo("cpython-prebuilt", &shipped_manifest());
    let sha = "ab".repeat(32);
    ctx.write(
        "artifacts/ARTIFACTS.md",
        format!(
            "# Artifacts\n\n| Version | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n| --- | --- | --- | --- | --- | --- | --- |\n| 3.11.2 | 1 | debian12 | 2026-01-01 | {sha} | https://example.invalid/a.tgz | Activo |\n"
        ),
    );
    ctx.write("feature/cpython-prebuilt/artifacts.json", "{\"schema\": 1, \"artifacts\": []}\n");
    ctx.git(&["add", "-A"]);
    let stale = ctx.run(&["check", "feature"]);
    assert_eq!(stale.code, 1, "{stale}");
    assert!(stale.stderr.contains("feature-index-stale"), "{stale}");
    assert!(
        stale.stderr.contains("3.11.2 build 1 for debian12 is Activo in the ledger but not in the index"),
        "{stale}"
    );

    let written = ctx.run(&["ledger", "index", "--out", "feature/cpython-prebuilt/artifacts.json"]);
    assert_eq!(written.code, 0, "{written}");
    let index = fs::read_to_string(ctx.path("feature/cpython-prebuilt/artifacts.json")).unwrap();
    assert!(index.contains(&sha) && index.contains("https://example.invalid/a.tgz"), "{index}");
    let fresh = ctx.run(&["check", "feature"]);
    assert_eq!(fresh.code, 0, "{fresh}");

    // Retiring the row makes the index stale again.
    let ledger = fs::read_to_string(ctx.path("artifacts/ARTIFACTS.md")).unwrap();
    ctx.write("artifacts/ARTIFACTS.md", ledger.replace("| Activo |", "| Deprecado |"));
    let retired = ctx.run(&["check", "feature"]);
    assert!(retired.stderr.contains("is in the index but no longer Activo in the ledger"), "{retired}");
}

#[test]
fn a_repository_without_features_is_untouched() {
    let ctx = TestContext::new();
    ctx.write("README.md", "no features here\n");
    ctx.commit("start");
    let checked = ctx.run(&["check", "feature"]);
    assert_eq!(checked.code, 0, "{checked}");
    assert!(checked.stderr.contains("feature: 0 manifests checked"), "{checked}");
}

#[test]
fn install_sh_is_posix_and_refuses_missing_options() {
    let feature = Path::new(env!("CARGO_MANIFEST_DIR")).join("feature/cpython-prebuilt");
    let ctx = TestContext::without_git();
    // A copy without the binary, with a fake specgate on PATH that prints its arguments, so the
    // option mapping is observed exactly.
    let copy = ctx.root.join("cpython-prebuilt");
    fs::create_dir_all(&copy).unwrap();
    fs::copy(feature.join("install.sh"), copy.join("install.sh")).unwrap();
    let bin = ctx.root.join("bin");
    fs::create_dir_all(&bin).unwrap();
    fs::write(
        bin.join("specgate"),
        "#!/bin/sh\nprintf '%s\\n' \"$@\"\n[ -z \"${SSL_CERT_FILE:-}\" ] || echo \"SSL_CERT_FILE=$SSL_CERT_FILE\"\n",
    )
    .unwrap();
    Command::new("chmod").arg("+x").arg(bin.join("specgate")).status().unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let install = |env: &[(&str, &str)]| {
        let mut command = Command::new("sh");
        command
            .arg(copy.join("install.sh"))
            .env_clear()
            .env("PATH", &path)
            .env("TMPDIR", &ctx.root)
            .env("INSTALLRUNTIMELIBRARIES", "false");
        for (key, value) in env {
            command.env(key, value);
        }
        run(&mut command)
    };
    let mapped = install(&[
        ("VERSION", "3.11.2"),
        ("ARTIFACTURL", "http://127.0.0.1:1/a.tgz"),
        ("SHA256", "ab"),
        ("MIRROR", "file:///mirror"),
        ("SETDEFAULT", "false"),
        ("ALLOWHTTP", "true"),
        ("READTIMEOUT", "90"),
        ("RETRIES", "5"),
        ("LOCKTIMEOUT", "60"),
        ("MODULES", "ctypes, readline,xml.etree"),
        ("CACERTIFICATES", "/etc/hostname"),
        ("SIGNINGKEY", "keys/release.asc"),
        ("SIGNINGFINGERPRINT", "7169 605F"),
    ]);
    let cache = format!("--cache\n{}/specgate-feature-cache\n", ctx.root.display());
    assert_eq!(mapped.code, 0, "{mapped}");
    assert_eq!(
        mapped.stdout,
        "install\n--version\n3.11.2\n--url\nhttp://127.0.0.1:1/a.tgz\n--sha256\nab\n--mirror\nfile:///mirror\n--no-default\n--allow-http\n--read-timeout\n90\n--retries\n5\n--lock-timeout\n60\n--module\nctypes\n--module\nreadline\n--module\nxml.etree\n".to_owned()
            + &format!("--signing-key\n{}/keys/release.asc\n--signing-fingerprint\n7169 605F\n", copy.display())
            + &cache
            + "SSL_CERT_FILE=/etc/hostname\n"
    );
    for (env, message) in [
        (("MODULES", "ssl;rm"), "option `modules` names `ssl;rm`, which is not a Python module name"),
        (("RETRIES", "-1"), "option `retries` is `-1`, not a whole number"),
        (("CACERTIFICATES", "/nonexistent/ca.pem"), "`/nonexistent/ca.pem`, which is not a readable file in the image"),
        (("SIGNINGKEY", "/k.asc"), "options `signingKey` and `signingFingerprint` go together"),
    ] {
        let refused = install(&[("VERSION", "3.11.2"), ("ARTIFACTURL", "file:///a"), env]);
        assert_eq!(refused.code, 1, "{refused}");
        assert!(refused.stderr.contains(message), "{refused}");
    }
    let defaults = install(&[("VERSION", "3.11.2"), ("ARTIFACTURL", "file:///a.tgz"), ("SHA256", ""), ("MIRROR", "")]);
    assert_eq!(defaults.stdout, "install\n--version\n3.11.2\n--url\nfile:///a.tgz\n".to_owned() + &cache, "{defaults}");
    // With a wheelhouse, `wheelhouse install` runs after the interpreter, with the same
    // mirror, http, timeout and retry options and the same cache (no gpg option: it has none).
    let with_wheelhouse = install(&[
        ("VERSION", "3.11.2"),
        ("ARTIFACTURL", "file:///a.tgz"),
        ("MIRROR", "file:///mirror"),
        ("ALLOWHTTP", "true"),
        ("READTIMEOUT", "90"),
        ("RETRIES", "5"),
        ("PROBETIMEOUT", "30"),
        ("GPGTIMEOUT", "40"),
        ("WHEELHOUSEURL", "http://127.0.0.1:1/wheelhouse-web-cp311-debian12-build1.tgz"),
        ("WHEELHOUSESHA256", "cd"),
    ]);
    assert_eq!(with_wheelhouse.code, 0, "{with_wheelhouse}");
    let timeouts = "--read-timeout\n90\n--retries\n5\n--probe-timeout\n30\n";
    assert_eq!(
        with_wheelhouse.stdout,
        format!(
            "install\n--version\n3.11.2\n--url\nfile:///a.tgz\n--mirror\nfile:///mirror\n--allow-http\n{timeouts}--gpg-timeout\n40\n{cache}\
             wheelhouse\ninstall\nhttp://127.0.0.1:1/wheelhouse-web-cp311-debian12-build1.tgz\n--python\n3.11.2\n{cache}\
             --sha256\ncd\n--mirror\nfile:///mirror\n--allow-http\n{timeouts}"
        )
    );
    let no_wheelhouse_url = install(&[("VERSION", "3.11.2"), ("ARTIFACTURL", "file:///a"), ("WHEELHOUSESHA256", "cd")]);
    assert_eq!(no_wheelhouse_url.code, 1, "{no_wheelhouse_url}");
    assert!(
        no_wheelhouse_url.stderr.contains("option `wheelhouseSha256` is set but `wheelhouseUrl` is empty"),
        "{no_wheelhouse_url}"
    );
    let bad_timeout = install(&[("VERSION", "3.11.2"), ("ARTIFACTURL", "file:///a"), ("READTIMEOUT", "1m")]);
    assert_eq!(bad_timeout.code, 1);
    assert!(bad_timeout.stderr.contains("option `readTimeout` is `1m`, not a whole number"), "{bad_timeout}");
    // The exit status of specgate is the Feature's.
    fs::write(bin.join("specgate"), "#!/bin/sh\necho 'error: checksum mismatch' >&2\nexit 2\n").unwrap();
    let failed = install(&[("VERSION", "3.11.2"), ("ARTIFACTURL", "file:///a")]);
    assert_eq!(failed.code, 2, "{failed}");
    assert!(failed.stderr.contains("checksum mismatch"), "{failed}");
    // A failed interpreter install runs no wheelhouse install.
    let failed = install(&[("VERSION", "3.11.2"), ("ARTIFACTURL", "file:///a"), ("WHEELHOUSEURL", "file:///w.tgz")]);
    assert_eq!((failed.code, failed.stderr.matches("checksum mismatch").count()), (2, 1), "{failed}");
    let no_url = install(&[("VERSION", "3.11.2")]);
    assert_eq!(no_url.code, 1);
    assert!(no_url.stderr.contains("option `artifactUrl` is empty and the Feature has no index"), "{no_url}");
    // With the index `make feature` writes, `version` alone is enough: the index picks.
    fs::write(
        bin.join("specgate"),
        "#!/bin/sh
printf '%s\\n' \"$@\"\n",
    )
    .unwrap();
    fs::write(copy.join("artifacts.json"), "{\"schema\": 1, \"artifacts\": []}\n").unwrap();
    let from_index = install(&[("VERSION", "3.11.2")]);
    assert_eq!(from_index.code, 0, "{from_index}");
    assert_eq!(
        from_index.stdout,
        format!("install\n--version\n3.11.2\n--index\n{}/artifacts.json\n", copy.display()) + &cache
    );
    fs::remove_file(copy.join("artifacts.json")).unwrap();
    let bad_bool = install(&[("VERSION", "3.11.2"), ("ARTIFACTURL", "file:///a"), ("SETDEFAULT", "yes")]);
    assert_eq!(bad_bool.code, 1);
    assert!(bad_bool.stderr.contains("option `setDefault` is `yes`, not true or false"), "{bad_bool}");
    // Without a binary beside it or on PATH, it says how to get one.
    let mut command = Command::new("sh");
    command.arg(copy.join("install.sh")).env_clear().env("PATH", "/usr/bin:/bin").env("VERSION", "3.11.2");
    let missing = run(&mut command);
    assert_eq!(missing.code, 1);
    assert!(missing.stderr.contains("run `make feature`"), "{missing}");
}

// ---------------------------------------------------------------- end to end

const VERSION: &str = "3.11.2";
pub(crate) const BASE_IMAGE: &str = "localhost/specgate-debian12";

/// A real artifact and its SHA-256.
struct Artifact {
    path: PathBuf,
    sha256: String,
}

pub(crate) fn sha256_of(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().expect("sha256sum runs");
    assert!(out.status.success(), "sha256sum {}", path.display());
    String::from_utf8_lossy(&out.stdout)[..64].to_owned()
}

/// The one place the end-to-end artifact comes from. `SPECGATE_E2E_ARTIFACT` names a ready
/// `.tgz`; otherwise `specgate build --profile fast` makes it (see below), outside the clone.
fn e2e_artifact() -> Artifact {
    if let Ok(path) = std::env::var("SPECGATE_E2E_ARTIFACT") {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "SPECGATE_E2E_ARTIFACT `{}` is not a file", path.display());
        let sha256 = sha256_of(&path);
        return Artifact { path, sha256 };
    }
    // The real pipeline: CPython 3.11.2 from Debian's source package, compiled by `specgate build
    // --profile fast` with this repository's [build] pins. The build cache is the one the build
    // end-to-end test fills, so one compile serves both.
    let source = Command::new("bash")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/cpython-source"))
        .arg("3.11")
        .output()
        .expect("run .ci/cpython-source");
    assert!(source.status.success(), ".ci/cpython-source failed:\n{}", String::from_utf8_lossy(&source.stderr));
    let source = String::from_utf8_lossy(&source.stdout).trim().to_owned();
    let out = PathBuf::from("/var/tmp/specgate-e2e/feature-artifact");
    let _ = fs::remove_dir_all(&out);
    fs::create_dir_all(&out).expect("create the artifact folder");
    let mut command = Command::new(env!("CARGO_BIN_EXE_specgate"));
    command.arg("-C").arg(env!("CARGO_MANIFEST_DIR")).args([
        "build",
        "--python",
        VERSION,
        "--build",
        "1",
        "--profile",
        "fast",
        "--no-ledger",
        "--cache",
        "/var/tmp/specgate-e2e/build-cache",
        "--source",
        &source,
    ]);
    command.arg("--out").arg(&out);
    let built = run(&mut command);
    assert_eq!(built.code, 0, "specgate build failed:\n{built}");
    let path = PathBuf::from(built.stdout.trim());
    let sha256 = sha256_of(&path);
    Artifact { path, sha256 }
}

/// The Feature folder with its static binary (made by `make feature`).
pub(crate) fn feature_folder() -> PathBuf {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("feature/cpython-prebuilt");
    assert!(
        folder.join("specgate").is_file(),
        "`{}` has no specgate binary; run `make feature` first",
        folder.display()
    );
    folder
}

pub(crate) fn copy_feature(into: &Path) {
    let from = feature_folder();
    fs::create_dir_all(into).expect("create the Feature copy");
    for name in ["devcontainer-feature.json", "install.sh", "specgate", "README.md"] {
        fs::copy(from.join(name), into.join(name)).unwrap_or_else(|e| panic!("copy {name}: {e}"));
    }
}

/// A Dev Container project using the local Feature with these options.
pub(crate) fn project(dir: &Path, options: &serde_json::Value) {
    let devcontainer = dir.join(".devcontainer");
    copy_feature(&devcontainer.join("cpython-prebuilt"));
    fs::write(devcontainer.join("Dockerfile"), format!("FROM {BASE_IMAGE}\n")).unwrap();
    let config = serde_json::json!({
        "name": "specgate e2e",
        "build": { "dockerfile": "Dockerfile" },
        "features": { "./cpython-prebuilt": options },
    });
    fs::write(devcontainer.join("devcontainer.json"), serde_json::to_string_pretty(&config).unwrap()).unwrap();
}

pub(crate) fn devcontainer_build(dir: &Path, image: &str) -> crate::common::Run {
    run(Command::new("devcontainer")
        .args(["build", "--docker-path", "podman", "--workspace-folder"])
        .arg(dir)
        .args(["--image-name", image]))
}

pub(crate) fn podman(args: &[&str]) -> crate::common::Run {
    run(Command::new("podman").args(args))
}

/// Removes the test's images, also when an assertion fails.
pub(crate) struct Images(pub(crate) Vec<String>);

impl Drop for Images {
    fn drop(&mut self) {
        for image in &self.0 {
            let _ = Command::new("podman").args(["rmi", "--force", image]).output();
        }
    }
}

// spec[verify SPEC_INFRA_001#CA-002]
// spec[verify SPEC_INFRA_001#CA-003]
// spec[verify SPEC_INFRA_001#CA-004]
#[test]
#[ignore = "end-to-end: builds real Dev Containers with the devcontainers CLI and podman (minutes)"]
fn feature_installs_cpython_in_a_real_dev_container() {
    let artifact = e2e_artifact();
    let name = artifact.path.file_name().and_then(|n| n.to_str()).expect("artifact name").to_owned();
    let server = Server::start();
    server.put(&format!("/{name}"), fs::read(&artifact.path).expect("read the artifact"));
    let url = format!("{}/{name}", server.url);
    let work = tempfile::Builder::new().prefix("specgate-e2e-feature").tempdir().expect("temp dir");
    let tag = format!("{}-{}", std::process::id(), work.path().file_name().and_then(|n| n.to_str()).unwrap_or("x"))
        .to_ascii_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
    let image = format!("localhost/specgate-e2e-feature:{tag}");
    let bad_image = format!("localhost/specgate-e2e-feature-bad:{tag}");
    let _cleanup = Images(vec![image.clone(), bad_image.clone()]);

    // CA-002, zero configuration (SPEC_INFRA_001 4.5): `"version"` alone. The Feature's index
    // is written the way `make feature` writes it, from a ledger whose row names the artifact's
    // URL (here the loopback server) and SHA-256.
    let ledger = TestContext::new();
    let added = ledger.run(&["ledger", "add", &artifact.path.display().to_string(), "--url", &url]);
    assert_eq!(added.code, 0, "{added}");
    let good = work.path().join("good");
    project(&good, &serde_json::json!({ "version": VERSION }));
    let index = good.join(".devcontainer/cpython-prebuilt/artifacts.json").display().to_string();
    let written = ledger.run(&["ledger", "index", "--out", &index]);
    assert_eq!(written.code, 0, "{written}");
    let built = devcontainer_build(&good, &image);
    assert_eq!(built.code, 0, "devcontainer build failed:\n{built}");
    assert_eq!(server.hits(&format!("/{name}")), 1, "{:?}", server.log());

    let version = podman(&["run", "--rm", &image, "python3", "--version"]);
    assert_eq!(version.code, 0, "{version}");
    assert_eq!(version.stdout.trim(), format!("Python {VERSION}"));
    let modules = podman(&[
        "run",
        "--rm",
        &image,
        "python3",
        "-c",
        "import ssl, sqlite3, uuid, lzma, bz2, sys; print(sys.prefix, ssl.OPENSSL_VERSION.split()[0], sqlite3.sqlite_version)",
    ]);
    assert_eq!(modules.code, 0, "{modules}");
    assert!(modules.stdout.starts_with(&format!("/opt/python-{VERSION} OpenSSL ")), "{modules}");
    let receipt = podman(&["run", "--rm", &image, "cat", &format!("/opt/python-{VERSION}/.specgate-receipt.json")]);
    assert_eq!(receipt.code, 0, "no receipt:\n{receipt}");
    assert!(receipt.stdout.contains(&artifact.sha256), "{receipt}");

    // CA-004: the Feature run again in that image finds the receipt, downloads nothing.
    let feature = work.path().join("feature-copy");
    copy_feature(&feature);
    let mount = format!("{}:/feature:ro", feature.display());
    let before = server.log().len();
    let again = podman(&[
        "run",
        "--rm",
        "-v",
        &mount,
        "-e",
        &format!("VERSION={VERSION}"),
        "-e",
        &format!("ARTIFACTURL={url}"),
        "-e",
        &format!("SHA256={}", artifact.sha256),
        &image,
        "sh",
        "-c",
        "cd /feature && ./install.sh && python3 --version",
    ]);
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stdout.contains("already installed") || again.stderr.contains("already installed"), "{again}");
    assert!(again.stdout.contains(&format!("Python {VERSION}")), "{again}");
    assert_eq!(server.log().len(), before, "the second run downloaded: {:?}", server.log());

    // The index answers what it has: a version it lacks, and a distro it has no build for,
    // each stop the container build with the list (no download is attempted).
    let index_text = fs::read_to_string(&index).expect("read the index");
    for (label, options, text, expected) in [
        (
            "missing-version",
            serde_json::json!({ "version": "3.99.1" }),
            index_text.clone(),
            format!("no Activo build of Python 3.99.1; it has {VERSION}"),
        ),
        (
            "ubuntu-only",
            serde_json::json!({ "version": VERSION }),
            index_text.replace("\"debian12\"", "\"ubuntu20.04\""),
            "for ubuntu20.04, not for this image's distro `debian12`".to_owned(),
        ),
    ] {
        let dir = work.path().join(label);
        project(&dir, &options);
        fs::write(dir.join(".devcontainer/cpython-prebuilt/artifacts.json"), text).unwrap();
        let before = server.log().len();
        let refused = devcontainer_build(&dir, &bad_image);
        assert_ne!(refused.code, 0, "{label}: the build passed:\n{refused}");
        assert!(format!("{}{}", refused.stdout, refused.stderr).contains(&expected), "{label}:\n{refused}");
        assert_eq!(server.log().len(), before, "{label}: something was downloaded");
    }

    // CA-003: a wrong sha256 fails the container build with the reason, and leaves no prefix.
    let wrong = "0".repeat(64);
    let bad = work.path().join("bad");
    project(&bad, &serde_json::json!({ "version": VERSION, "artifactUrl": url, "sha256": wrong }));
    let refused = devcontainer_build(&bad, &bad_image);
    assert_ne!(refused.code, 0, "a wrong sha256 was accepted:\n{refused}");
    let log = format!("{}{}", refused.stdout, refused.stderr).to_lowercase();
    assert!(log.contains("mismatch") && log.contains(&wrong) && log.contains(&artifact.sha256), "{refused}");
    let leftovers = podman(&[
        "run",
        "--rm",
        "-v",
        &mount,
        "-e",
        &format!("VERSION={VERSION}"),
        "-e",
        &format!("ARTIFACTURL={url}"),
        "-e",
        &format!("SHA256={wrong}"),
        "-e",
        "INSTALLRUNTIMELIBRARIES=false",
        BASE_IMAGE,
        "sh",
        "-c",
        "cd /feature && ./install.sh; echo \"exit=$?\"; ls -A /opt; ls /usr/local/bin",
    ]);
    assert!(leftovers.stdout.contains("exit=") && !leftovers.stdout.contains("exit=0"), "{leftovers}");
    assert!(!leftovers.stdout.contains(&format!("python-{VERSION}")), "a prefix was left:\n{leftovers}");
    assert!(!leftovers.stdout.contains("python3"), "links were made:\n{leftovers}");

    debug_in_the_image(&image, work.path());
}

/// SPEC_INFRA_001's "VS Code can debug" shown the way VS Code does it: debugpy from PyPI in the
/// image, a script waiting for a client, and a Debug Adapter Protocol client that attaches, sets a
/// breakpoint and sees the `stopped` event at the right line.
pub(crate) fn debug_in_the_image(image: &str, work: &Path) {
    let scripts = work.join("scripts");
    fs::create_dir_all(&scripts).unwrap();
    let script = "def add(a, b):\n    total = a + b\n    return total\n\n\nprint(add(1, 2))\n";
    let breakpoint_line = 2;
    fs::write(scripts.join("app.py"), script).unwrap();
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let container = format!("specgate-e2e-debug-{}", std::process::id());
    let mut args = vec![
        "run".to_owned(),
        "-d".into(),
        "--name".into(),
        container.clone(),
        "-v".into(),
        format!("{}:/work:ro", scripts.display()),
    ];
    // This machine reaches PyPI through a proxy whose CA is in the host bundle; hand it to pip.
    let bundle = Path::new("/etc/ssl/certs/ca-certificates.crt");
    if bundle.is_file() {
        args.extend([
            "-v".into(),
            format!("{}:/etc/host-ca.crt:ro", bundle.display()),
            "-e".into(),
            "PIP_CERT=/etc/host-ca.crt".into(),
        ]);
    }
    args.extend([
        image.to_owned(),
        "sh".into(),
        "-c".into(),
        format!(
            // The journey's image points pip's index variables nowhere (its wheelhouse needs no
            // index); debugpy comes from PyPI, so they are unset here.
            "env -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL -u PIP_RETRIES \
             python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore debugpy \
             && exec python3 -m debugpy --listen 127.0.0.1:{port} --wait-for-client /work/app.py"
        ),
    ]);
    let started = run(Command::new("podman").args(&args));
    assert_eq!(started.code, 0, "{started}");
    struct Stop(String);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = Command::new("podman").args(["rm", "--force", &self.0]).output();
        }
    }
    let _stop = Stop(container.clone());

    // pip needs the network; wait (bounded) until debugpy listens or the container ends.
    let deadline = Instant::now() + Duration::from_secs(300);
    let stream = loop {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
            break stream;
        }
        let state = podman(&["inspect", "--format", "{{.State.Running}}", &container]);
        if state.stdout.trim() != "true" {
            let logs = podman(&["logs", &container]);
            panic!("the debug container stopped before listening:\n{logs}");
        }
        assert!(Instant::now() < deadline, "debugpy did not listen on {port}: {}", podman(&["logs", &container]));
        std::thread::sleep(Duration::from_millis(500));
    };
    stream.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut dap =
        Dap { reader: BufReader::new(stream.try_clone().unwrap()), writer: stream, seq: 0, pending: Vec::new() };
    let init = dap.request("initialize", serde_json::json!({"clientID": "specgate-e2e", "adapterID": "debugpy", "linesStartAt1": true, "columnsStartAt1": true, "pathFormat": "path"}));
    dap.wait_response(init);
    let attach = dap.request("attach", serde_json::json!({"justMyCode": true}));
    dap.wait_event("initialized");
    let set = dap.request(
        "setBreakpoints",
        serde_json::json!({"source": {"path": "/work/app.py"}, "breakpoints": [{"line": breakpoint_line}]}),
    );
    let response = dap.wait_response(set);
    assert_eq!(response["body"]["breakpoints"][0]["verified"], true, "{response}");
    let done = dap.request("configurationDone", serde_json::json!({}));
    dap.wait_response(done);
    dap.wait_response(attach);
    let stopped = dap.wait_event("stopped");
    assert_eq!(stopped["body"]["reason"], "breakpoint", "{stopped}");
    let thread = stopped["body"]["threadId"].clone();
    let trace = dap.request("stackTrace", serde_json::json!({"threadId": thread}));
    let frames = dap.wait_response(trace);
    assert_eq!(frames["body"]["stackFrames"][0]["line"], breakpoint_line, "{frames}");
    assert_eq!(frames["body"]["stackFrames"][0]["name"], "add", "{frames}");
    let resume = dap.request("continue", serde_json::json!({"threadId": thread}));
    dap.wait_response(resume);
    drop(dap);
    // The script runs to its end once resumed: its output is the proof.
    let waited = podman(&["wait", &container]);
    assert_eq!(waited.stdout.trim(), "0", "{waited}");
    let logs = podman(&["logs", &container]);
    assert!(logs.stdout.lines().any(|l| l.trim() == "3"), "{logs}");
}

/// A Debug Adapter Protocol client: Content-Length framed JSON over TCP.
struct Dap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    seq: u64,
    pending: Vec<serde_json::Value>,
}

impl Dap {
    fn request(&mut self, command: &str, arguments: serde_json::Value) -> u64 {
        self.seq += 1;
        let body = serde_json::json!({"seq": self.seq, "type": "request", "command": command, "arguments": arguments})
            .to_string();
        write!(self.writer, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("send a DAP request");
        self.seq
    }

    fn next(&mut self) -> serde_json::Value {
        let mut length = None;
        loop {
            let mut line = String::new();
            let read = self.reader.read_line(&mut line).expect("read a DAP header");
            assert!(read > 0, "the debug adapter closed the connection");
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length:") {
                length = Some(value.trim().parse::<usize>().expect("a numeric Content-Length"));
            }
        }
        let mut body = vec![0; length.expect("a Content-Length header")];
        self.reader.read_exact(&mut body).expect("read a DAP body");
        serde_json::from_slice(&body).expect("a DAP message is JSON")
    }

    /// The first message (buffered or new) that `wanted` accepts; others are kept for later waits,
    /// since debugpy may answer `attach` before or after the events that follow it.
    fn wait(&mut self, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        if let Some(index) = self.pending.iter().position(&wanted) {
            return self.pending.remove(index);
        }
        loop {
            let message = self.next();
            if wanted(&message) {
                return message;
            }
            self.pending.push(message);
        }
    }

    fn wait_response(&mut self, seq: u64) -> serde_json::Value {
        let message = self.wait(|m| m["type"] == "response" && m["request_seq"] == seq);
        assert_eq!(message["success"], true, "{message}");
        message
    }

    fn wait_event(&mut self, event: &str) -> serde_json::Value {
        self.wait(|m| m["type"] == "event" && m["event"] == event)
    }
}

// spec[verify SPEC_INFRA_001#CA-005]
#[test]
#[ignore = "end-to-end: builds a real Dev Container with the devcontainers CLI and podman"]
fn a_dev_container_without_the_feature_is_unchanged() {
    let work = tempfile::Builder::new().prefix("specgate-e2e-plain").tempdir().expect("temp dir");
    let devcontainer = work.path().join(".devcontainer");
    fs::create_dir_all(&devcontainer).unwrap();
    fs::write(devcontainer.join("Dockerfile"), format!("FROM {BASE_IMAGE}\n")).unwrap();
    fs::write(devcontainer.join("devcontainer.json"), r#"{ "build": { "dockerfile": "Dockerfile" } }"#).unwrap();
    let image = format!("localhost/specgate-e2e-plain:{}", std::process::id());
    let _cleanup = Images(vec![image.clone()]);
    let built = devcontainer_build(work.path(), &image);
    assert_eq!(built.code, 0, "{built}");
    // Same file system layers as the base image: the build added metadata only.
    let layers = |name: &str| podman(&["image", "inspect", "--format", "{{.RootFS.Layers}}", name]).stdout;
    assert_eq!(layers(&image), layers(BASE_IMAGE));
    let probe = podman(&["run", "--rm", &image, "sh", "-c", "ls -d /opt/python-* /usr/local/bin/python3 2>&1; true"]);
    assert!(probe.stdout.contains("No such file"), "{probe}");
}
