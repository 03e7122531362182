//! `specgate build`: the gates and the step orchestration on tiny source trees whose configure
//! and make are scripts (tests/fixtures/build), the Sigstore gate of 3.14 with a generated test
//! PKI and log, the OpenPGP check on the real CPython 3.13.5
//! signature from Debian's source package, and the real end-to-end builds of CPython 3.11.2
//! from Debian's source on the host and in a podman container.
//!
//! spec[verify SPEC_INFRA_001#CA-001]

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{run, tmpfs, TestContext};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/build");
const REPO: &str = env!("CARGO_MANIFEST_DIR");

/// Pack a fixture folder as `Python-3.11.2/` into a .tar.gz; returns (path, sha256).
fn fixture_tarball(ctx: &TestContext, name: &str) -> (PathBuf, String) {
    let staging = ctx.dir.path().join(format!("fixture-{name}"));
    let top = staging.join("Python-3.11.2");
    std::fs::create_dir_all(&top).unwrap();
    let status = Command::new("cp").arg("-a").arg(format!("{FIXTURES}/{name}/.")).arg(&top).status().unwrap();
    assert!(status.success());
    let tarball = ctx.dir.path().join(format!("{name}.tar.gz"));
    let status =
        Command::new("tar").arg("-czf").arg(&tarball).arg("-C").arg(&staging).arg("Python-3.11.2").status().unwrap();
    assert!(status.success());
    (tarball.clone(), sha256(&tarball))
}

fn sha256(path: &Path) -> String {
    let output = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&output.stdout).split_whitespace().next().unwrap().to_owned()
}

pub(crate) fn os_tag() -> String {
    let text = std::fs::read_to_string("/etc/os-release").unwrap();
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_default()
    };
    format!("{}{}", get("ID"), get("VERSION_ID"))
}

/// A repository with a specgate.toml that allows this OS and pins `sha` for 3.11.2.
fn repo_with_pin(sha: &str, extra: &str) -> TestContext {
    let ctx = TestContext::new();
    ctx.write(
        "specgate.toml",
        format!("[build]\nallowed-os = [\"{}\"]\n{extra}\n[build.sources.\"3.11.2\"]\nsha256 = \"{sha}\"\n", os_tag()),
    );
    ctx
}

struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
    out: PathBuf,
    cache: PathBuf,
}

fn build(ctx: &TestContext, source: &Path, extra: &[&str]) -> Outcome {
    let out = ctx.dir.path().join("out");
    let cache = ctx.dir.path().join("cache");
    let mut command = ctx.specgate();
    command
        .args(["build", "--python", "3.11.2", "--profile", "fast", "--jobs", "1", "--source"])
        .arg(source)
        .arg("--out")
        .arg(&out)
        .arg("--cache")
        .arg(&cache)
        .args(extra);
    let result = run(&mut command);
    Outcome { code: result.code, stdout: result.stdout, stderr: result.stderr, out, cache }
}

/// No artifact, no sidecar, no ledger, nothing left in the cache's work folder.
fn assert_nothing_left(ctx: &TestContext, outcome: &Outcome) {
    let artifacts: Vec<_> =
        std::fs::read_dir(&outcome.out).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    assert!(artifacts.is_empty(), "left behind: {artifacts:?}\n{}", outcome.stderr);
    assert!(!ctx.path("artifacts/ARTIFACTS.md").exists(), "a ledger row was written");
    let work: Vec<_> = std::fs::read_dir(outcome.cache.join("work"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(work.is_empty(), "work folders left: {work:?}");
    let stages: Vec<_> = std::fs::read_dir(outcome.cache.join("stages"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(stages.is_empty(), "cache entries left: {stages:?}");
    assert!(outcome.stdout.is_empty(), "printed an artifact path: {}", outcome.stdout);
}

#[test]
fn an_os_outside_allowed_os_stops_before_anything() {
    let ctx = TestContext::new();
    ctx.write("specgate.toml", "[build]\nallowed-os = [\"ubuntu20.04\"]\n");
    let (tarball, _) = fixture_tarball(&ctx, "configure-fails");
    let outcome = build(&ctx, &tarball, &[]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(&format!(
            "this machine runs `{}`, which is not an allowed build system (allowed: ubuntu20.04)",
            os_tag()
        )),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("hint: build on an allowed system"), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("==> configure"));
    assert_nothing_left(&ctx, &outcome);
}

#[test]
fn missing_dev_packages_are_listed_with_the_apt_command_before_compiling() {
    let (ctx, tarball, sha);
    {
        let probe = TestContext::new();
        let (t, s) = fixture_tarball(&probe, "configure-fails");
        ctx = repo_with_pin(&s, "packages = [\"specgate-no-such-package-dev\"]");
        let copy = ctx.dir.path().join("src.tar.gz");
        std::fs::copy(t, &copy).unwrap();
        tarball = copy;
        sha = s;
    }
    assert_eq!(sha256(&tarball), sha);
    let outcome = build(&ctx, &tarball, &[]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("error: missing build dependencies: specgate-no-such-package-dev"),
        "{}",
        outcome.stderr
    );
    assert!(
        outcome
            .stderr
            .contains("hint: install them, then build again: `sudo apt-get install -y specgate-no-such-package-dev`"),
        "{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.contains("==> configure") && !outcome.stderr.contains("==> source"));
    assert_nothing_left(&ctx, &outcome);
}

#[test]
fn a_source_whose_hash_differs_from_the_pin_is_refused() {
    let ctx = repo_with_pin(&"0".repeat(64), "");
    let (tarball, actual) = fixture_tarball(&ctx, "configure-fails");
    let outcome = build(&ctx, &tarball, &[]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(&format!("has SHA-256 {actual}, not the pinned {}", "0".repeat(64))),
        "{}",
        outcome.stderr
    );
    assert!(!outcome.stderr.contains("==> configure"));
    assert_nothing_left(&ctx, &outcome);

    // A version without any pin is refused too, with the key to add.
    let ctx = TestContext::new();
    ctx.write("specgate.toml", format!("[build]\nallowed-os = [\"{}\"]\n", os_tag()));
    let outcome = build(&ctx, &tarball, &[]);
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.contains("no pinned SHA-256 for CPython 3.11.2"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("[build.sources.\"3.11.2\"]"), "{}", outcome.stderr);
}

#[test]
fn a_missing_or_unreachable_source_is_a_clear_error() {
    let ctx = repo_with_pin(&"0".repeat(64), "");
    let outcome = build(&ctx, &ctx.dir.path().join("no-such.tgz"), &[]);
    assert_eq!(outcome.code, 2);
    assert!(outcome.stderr.contains("no-such.tgz` does not exist or is not a file"), "{}", outcome.stderr);

    // Port 9 (discard) refuses connections: three retries with backoff, then the error.
    let outcome = build(&ctx, Path::new("http://127.0.0.1:9/Python-3.11.2.tgz"), &[]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("could not download the source"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("(4 attempts)"), "{}", outcome.stderr);
    assert_nothing_left(&ctx, &outcome);
}

#[test]
fn a_failing_configure_shows_the_log_tail_and_leaves_nothing() {
    let probe = TestContext::new();
    let (tarball, sha) = fixture_tarball(&probe, "configure-fails");
    let ctx = repo_with_pin(&sha, "");
    // An interrupted build of this machine left a work folder and a half-moved cache entry.
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let namespace = std::fs::read_link("/proc/self/ns/pid").unwrap();
    let host = format!("{}.{}", host.trim(), namespace.display());
    let host: String = host.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '.').collect();
    let cache = ctx.dir.path().join("cache");
    let stale_work = cache.join(format!("work/abc-{host}-4194399"));
    let stale_entry = cache.join(format!("stages/.abc.tmp-{host}-4194399"));
    std::fs::create_dir_all(stale_work.join("stage")).unwrap();
    std::fs::create_dir_all(stale_entry.join("stage")).unwrap();
    let log = ctx.dir.path().join("build.log");
    let outcome = build(&ctx, &tarball, &["--log", log.to_str().unwrap()]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("step `configure` failed (exit status 1)"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("| configure: error: libfoo is required (fixture)"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains(&log.display().to_string()), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("configure: FAILED after"), "{}", outcome.stderr);
    assert!(std::fs::read_to_string(&log).unwrap().contains("checking for libfoo... no"));
    assert!(!stale_work.exists() && !stale_entry.exists(), "the interrupted build's folders were not cleaned");
    assert_nothing_left(&ctx, &outcome);
}

#[test]
fn a_failing_make_stops_the_build_and_configure_got_the_seed_flags() {
    let probe = TestContext::new();
    let (tarball, sha) = fixture_tarball(&probe, "make-fails");
    let ctx = repo_with_pin(&sha, "");
    let log = ctx.dir.path().join("build.log");
    let outcome = build(&ctx, &tarball, &["--log", log.to_str().unwrap()]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("step `make` failed (exit status 2)"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("fatal error: fixture.h: No such file or directory"), "{}", outcome.stderr);
    for step in ["==> OS check", "==> dependency check", "==> source", "==> extract", "==> configure", "==> make -j1"] {
        assert!(outcome.stderr.contains(step), "{step}: {}", outcome.stderr);
    }
    let text = std::fs::read_to_string(&log).unwrap();
    for arg in [
        "--prefix=/opt/python-3.11.2",
        "--enable-shared",
        "--with-openssl=/usr",
        "--with-system-ffi",
        r"LDFLAGS=-Wl,-rpath,\$$ORIGIN/../lib",
    ] {
        assert!(text.contains(&format!("fixture configure arg: {arg}\n")), "{arg}:\n{text}");
    }
    // The fast profile has no PGO or LTO.
    assert!(!text.contains("arg: --enable-optimizations") && !text.contains("arg: --with-lto"), "{text}");
    assert!(text.contains("fixture SOURCE_DATE_EPOCH=315532800"), "{text}");
    assert_nothing_left(&ctx, &outcome);
}

#[test]
fn validation_refuses_an_interpreter_that_is_not_a_shared_python() {
    let probe = TestContext::new();
    let (tarball, sha) = fixture_tarball(&probe, "not-python");
    let ctx = repo_with_pin(&sha, "");
    let outcome = build(&ctx, &tarball, &[]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("==> slim"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("does not link `libpython3.11.so`"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("validate: FAILED"), "{}", outcome.stderr);
    assert_nothing_left(&ctx, &outcome);
}

#[test]
fn a_full_disk_in_the_staging_folder_stops_the_build_and_leaves_nothing() {
    let probe = TestContext::new();
    let (tarball, sha) = fixture_tarball(&probe, "fills-disk");
    let ctx = repo_with_pin(&sha, "");
    let Some(_mount) = tmpfs(&ctx.dir.path().join("cache"), "4m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let log = ctx.dir.path().join("build.log");
    let outcome = build(&ctx, &tarball, &["--log", log.to_str().unwrap()]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("step `make install` failed"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("No space left on device"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("the disk is full: free space where the build cache lives"), "{}", outcome.stderr);
    assert_nothing_left(&ctx, &outcome);
}

#[test]
fn a_build_number_the_ledger_records_is_refused_before_compiling() {
    let probe = TestContext::new();
    let (tarball, sha) = fixture_tarball(&probe, "configure-fails");
    let ctx = repo_with_pin(&sha, "");
    let tag = os_tag();
    ctx.write(
        "artifacts/ARTIFACTS.md",
        format!(
            "# Artifacts\n\n| Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n| --- | --- | --- | --- | --- | --- | --- |\n| 3.11.2 | 1 | {tag} | 2026-01-01 | {} | - | Activo |\n",
            "a".repeat(64)
        ),
    );
    let outcome = build(&ctx, &tarball, &["--build", "1"]);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(outcome.stderr.contains(&format!("already records 3.11.2 build 1 for {tag}")), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("`--build 2`"), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("==> OS check"));
}

/// `--on vagrant` with the real vagrant and the real Vagrantfile, on a machine where vagrant has
/// no provider for the VM (forced, so the test does not start a VM where one could run): the
/// machine-readable error comes out in words, with what to install, and nothing is left behind.
#[test]
fn a_vagrant_without_a_usable_provider_is_explained_and_leaves_nothing() {
    let ctx = TestContext::new();
    ctx.write("vagrant/Vagrantfile", std::fs::read(format!("{REPO}/vagrant/Vagrantfile")).unwrap());
    let out = ctx.dir.path().join("out");
    let mut command = ctx.specgate();
    command
        .args(["build", "--on", "vagrant", "--python", "3.11.2", "--build", "1", "--out"])
        .arg(&out)
        .env("VAGRANT_HOME", ctx.dir.path().join("vagrant-home"))
        .env("VAGRANT_DEFAULT_PROVIDER", "specgate-no-such-provider");
    let result = run(&mut command);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(
        result.stderr.contains(
            "`vagrant status --machine-readable` failed: The provider 'specgate-no-such-provider' could not be found, but was requested to back the machine 'default'"
        ),
        "{}",
        result.stderr
    );
    assert!(result.stderr.contains("(Vagrant::Errors::ProviderNotFound)"), "{}", result.stderr);
    assert!(result.stderr.contains("`sudo apt-get install -y vagrant-libvirt"), "{}", result.stderr);
    assert!(!result.stderr.contains("VAGRANT_COMMA") && !result.stderr.contains("error-exit"), "{}", result.stderr);
    assert!(!out.exists() && !ctx.path("artifacts").exists() && !ctx.path("vagrant/.result").exists());
}

/// Build `3.14.0` from `tarball`, whose Sigstore bundle lies beside it (with its SET when
/// `promise`; named with `--signature` when not, else found beside the tarball), with the pin
/// naming `identity` and the test trusted root.
fn build_314(tarball: &Path, identity: &str, promise: bool) -> (TestContext, Outcome) {
    use crate::sigstore_fixture::{Fixture, Options, ISSUER};
    let fixture = Fixture::new();
    let bytes = std::fs::read(tarball).unwrap();
    let bundle = fixture.bundle(&bytes, &Options { promise, ..fixture.options() });
    std::fs::write(format!("{}.sigstore", tarball.display()), bundle.to_string()).unwrap();
    let ctx = TestContext::new();
    ctx.write("keys/test-trusted-root.json", fixture.trusted_root());
    ctx.write(
        "specgate.toml",
        format!(
            "[build]\nallowed-os = [\"{}\"]\nsigstore-trusted-root = \"keys/test-trusted-root.json\"\n\
             [build.sources.\"3.14.0\"]\nsha256 = \"{}\"\nsigstore-identity = \"{identity}\"\nsigstore-issuer = \"{ISSUER}\"\n",
            os_tag(),
            sha256(tarball)
        ),
    );
    let (out, cache) = (ctx.dir.path().join("out"), ctx.dir.path().join("cache"));
    let mut command = ctx.specgate();
    command
        .args(["build", "--python", "3.14.0", "--profile", "fast", "--jobs", "1", "--no-ledger", "--source"])
        .arg(tarball)
        .arg("--out")
        .arg(&out)
        .arg("--cache")
        .arg(&cache);
    if !promise {
        command.arg("--signature").arg(format!("{}.sigstore", tarball.display()));
    }
    let result = run(&mut command);
    let outcome = Outcome { code: result.code, stdout: result.stdout, stderr: result.stderr, out, cache };
    (ctx, outcome)
}

#[test]
fn a_314_source_passes_the_gate_with_its_sigstore_bundle_and_is_refused_for_another_signer() {
    let probe = TestContext::new();
    let (tarball, _) = fixture_tarball(&probe, "configure-fails");
    let (_ctx, outcome) = build_314(&tarball, "hugo@python.org", true);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains(
            "sha256 + Sigstore bundle by hugo@python.org (https://github.com/login/oauth), Rekor entry 1000004"
        ),
        "{}",
        outcome.stderr
    );
    // Past the gate: the fixture's configure is what fails.
    assert!(outcome.stderr.contains("step `configure` failed"), "{}", outcome.stderr);

    let (ctx, outcome) = build_314(&tarball, "thomas@python.org", true);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("the Sigstore check of the source failed"), "{}", outcome.stderr);
    assert!(
        outcome.stderr.contains("the bundle was signed by `hugo@python.org`, not by the pinned `thomas@python.org`"),
        "{}",
        outcome.stderr
    );
    assert!(outcome.stderr.contains("hint: the source was signed by someone else"), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("==> extract"), "{}", outcome.stderr);
    assert_nothing_left(&ctx, &outcome);

    // The bundle without its SET (inclusion proof and checkpoint kept): its time is unsigned.
    let (ctx, outcome) = build_314(&tarball, "hugo@python.org", false);
    assert_eq!(outcome.code, 2, "{}", outcome.stderr);
    assert!(outcome.stderr.contains("has no verified source of time"), "{}", outcome.stderr);
    assert!(outcome.stderr.contains("hint: a bundle needs the SET"), "{}", outcome.stderr);
    assert!(!outcome.stderr.contains("==> extract"), "{}", outcome.stderr);
    assert_nothing_left(&ctx, &outcome);
}

// ---------------------------------------------------------------- real sources

/// `.ci/cpython-source [line]`: the path it prints.
pub(crate) fn cpython_source(line: &str) -> PathBuf {
    let output = Command::new("bash")
        .arg(format!("{REPO}/.ci/cpython-source"))
        .arg(line)
        .output()
        .expect("run .ci/cpython-source");
    assert!(output.status.success(), ".ci/cpython-source {line} failed:\n{}", String::from_utf8_lossy(&output.stderr));
    PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
}

const RM_313: &str = "7169605F62C751356D054A26A821E680E5FA6305";
/// gpg's default time limit, as a build without `[limits]` has it.
const GPG: specgate::shared::process::TimeLimit = specgate::shared::process::TimeLimit::new(
    std::time::Duration::from_secs(specgate::shared::config::limits::GPG_SECONDS),
    "`[limits] gpg-timeout-seconds` in specgate.toml",
);

#[test]
#[ignore = "end-to-end: needs Debian trixie's python3.13 source (.ci/cpython-source 3.13, 23 MB once)"]
fn the_real_313_signature_verifies_with_the_expired_release_manager_key() {
    let fixture = cpython_source("3.13");
    let tarball = fixture.join("Python-3.13.5.tar.xz");
    let asc = fixture.join("Python-3.13.5.tar.xz.asc");
    let key = fixture.join("signing-key.asc");
    let verified =
        specgate::pipeline::gpg::verify_detached(&tarball, &asc, &key, RM_313, GPG).expect("valid signature");
    assert_eq!(verified.primary_fingerprint, RM_313);
    // The key expired on 2026-07-02: gpg says EXPKEYSIG, and the signature still counts.
    let expired_now =
        std::time::SystemTime::now() > std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_782_950_400);
    if expired_now {
        assert!(verified.key_expired);
    }
    // The key committed in the repository is the same key.
    let committed = Path::new(REPO).join(format!("keys/python-release-{RM_313}.asc"));
    specgate::pipeline::gpg::verify_detached(&tarball, &asc, &committed, RM_313, GPG)
        .expect("the committed key verifies");

    // One flipped byte: BADSIG.
    let dir = tempfile::tempdir().unwrap();
    let tampered = dir.path().join("Python-3.13.5.tar.xz");
    let mut bytes = std::fs::read(&tarball).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&tampered, &bytes).unwrap();
    let error = specgate::pipeline::gpg::verify_detached(&tampered, &asc, &key, RM_313, GPG).unwrap_err();
    assert!(matches!(error, specgate::pipeline::gpg::Error::Bad { .. }), "{error}");
    // Another pinned fingerprint: refused though the signature is good.
    let other = "0123456789ABCDEF0123456789ABCDEF01234567";
    let error = specgate::pipeline::gpg::verify_detached(&tarball, &asc, &key, other, GPG).unwrap_err();
    assert!(error.to_string().contains(&format!("not by the pinned {other}")), "{error}");
    // A key that did not make the signature: ERRSIG (no public key).
    let wrong_key = dir.path().join("wrong.asc");
    let gen = Command::new("gpg")
        .args(["--batch", "--homedir"])
        .arg(dir.path())
        .args(["--passphrase", "", "--quick-gen-key", "Fixture <fixture@example.com>", "ed25519", "sign", "1d"])
        .output()
        .unwrap();
    assert!(gen.status.success(), "{}", String::from_utf8_lossy(&gen.stderr));
    let export = Command::new("gpg")
        .args(["--batch", "--homedir"])
        .arg(dir.path())
        .args(["--armor", "--export"])
        .output()
        .unwrap();
    std::fs::write(&wrong_key, &export.stdout).unwrap();
    let error = specgate::pipeline::gpg::verify_detached(&tarball, &asc, &wrong_key, RM_313, GPG).unwrap_err();
    assert!(matches!(error, specgate::pipeline::gpg::Error::Unverifiable { .. }), "{error}");
    let _ = Command::new("gpgconf").arg("--homedir").arg(dir.path()).args(["--kill", "all"]).status();
}

#[test]
#[ignore = "end-to-end: needs Debian trixie's python3.13 source (.ci/cpython-source 3.13, 23 MB once)"]
fn the_build_gate_refuses_a_313_source_signed_by_another_key_than_the_pin() {
    let fixture = cpython_source("3.13");
    let tarball = fixture.join("Python-3.13.5.tar.xz");
    let ctx = TestContext::new();
    let key = fixture.join("signing-key.asc");
    let pin = |fingerprint: &str| {
        format!(
            "[build]\nallowed-os = [\"{}\"]\n[build.sources.\"3.13.5\"]\nsha256 = \"{}\"\npublic-key = \"{}\"\nfingerprint = \"{fingerprint}\"\n",
            os_tag(),
            sha256(&tarball),
            key.display()
        )
    };
    ctx.write("specgate.toml", pin("0123456789ABCDEF0123456789ABCDEF01234567"));
    let out = ctx.dir.path().join("out");
    let mut command = ctx.specgate();
    command
        .args(["build", "--python", "3.13.5", "--profile", "fast", "--no-ledger", "--source"])
        .arg(&tarball)
        .arg("--out")
        .arg(&out)
        .arg("--cache")
        .arg(ctx.dir.path().join("cache"));
    let result = run(&mut command);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stderr.contains("the signature check of the source failed"), "{}", result.stderr);
    assert!(result.stderr.contains(&format!("was made by key {RM_313}")), "{}", result.stderr);
    assert!(!result.stderr.contains("==> extract"));
    assert!(!out.exists());

    // A signature beside the tarball that is not the release's: the gate stops too.
    let copy_dir = ctx.dir.path().join("src");
    std::fs::create_dir_all(&copy_dir).unwrap();
    let copy = copy_dir.join("Python-3.13.5.tar.xz");
    std::fs::copy(&tarball, &copy).unwrap();
    std::fs::write(copy_dir.join("Python-3.13.5.tar.xz.asc"), "not a signature\n").unwrap();
    ctx.write("specgate.toml", pin(RM_313));
    let mut command = ctx.specgate();
    command
        .args(["build", "--python", "3.13.5", "--profile", "fast", "--no-ledger", "--source"])
        .arg(&copy)
        .arg("--out")
        .arg(&out)
        .arg("--cache")
        .arg(ctx.dir.path().join("cache"));
    let result = run(&mut command);
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stderr.contains("the signature check of the source failed"), "{}", result.stderr);
    assert!(!out.exists());
}

/// The repository's own `[build]` settings (allowed systems and pins) in a fresh test repository.
pub(crate) fn repo_with_project_config() -> TestContext {
    let ctx = TestContext::new();
    let config = std::fs::read_to_string(format!("{REPO}/specgate.toml")).unwrap();
    ctx.write("specgate.toml", config);
    ctx
}

/// Check a built artifact: name, sidecar, LICENSE, metadata, slimming, rpath, and the modules
/// imported by the unpacked interpreter, which must load its own libpython.
fn check_artifact(path: &Path, build: u32) -> String {
    let name = format!("cpython-3.11.2-{}-build{build}.tgz", os_tag());
    assert_eq!(path.file_name().unwrap().to_str().unwrap(), name);
    let dir = path.parent().unwrap();
    let check = Command::new("sha256sum").arg("-c").arg(format!("{name}.sha256")).current_dir(dir).output().unwrap();
    assert!(check.status.success(), "sidecar: {}", String::from_utf8_lossy(&check.stdout));
    let size = std::fs::metadata(path).unwrap().len();
    assert!(size < 80 * 1024 * 1024, "{size} bytes");

    let unpacked = tempfile::tempdir().unwrap();
    let status = Command::new("tar").arg("-xzf").arg(path).arg("-C").arg(unpacked.path()).status().unwrap();
    assert!(status.success());
    let prefix = unpacked.path().join("opt/python-3.11.2");
    assert!(std::fs::read_to_string(prefix.join("LICENSE")).unwrap().contains("PYTHON SOFTWARE FOUNDATION LICENSE"));
    let metadata: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(prefix.join(".specgate-build.json")).unwrap()).unwrap();
    assert_eq!(metadata["python"], "3.11.2");
    assert_eq!(metadata["prefix"], "/opt/python-3.11.2");
    assert_eq!(metadata["build-os"], os_tag().as_str());
    assert_eq!(metadata["profile"], "fast");
    let glibc = metadata["max-glibc"].as_str().unwrap();
    assert!(glibc.starts_with("2.") && glibc.len() >= 4, "{glibc}");
    let packages: Vec<&str> =
        metadata["runtime-packages"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(packages.iter().any(|p| p.starts_with("libssl")), "{packages:?}");
    assert!(packages.iter().any(|p| p.starts_with("libsqlite3")), "{packages:?}");
    // Slim: no test suite, no static libpython; compiled .pyc kept.
    assert!(!prefix.join("lib/python3.11/test").exists());
    let find = Command::new("find").arg(&prefix).args(["-name", "libpython3.11.a"]).output().unwrap();
    assert!(find.stdout.is_empty(), "{}", String::from_utf8_lossy(&find.stdout));
    assert!(prefix.join("lib/python3.11/__pycache__").read_dir().unwrap().count() > 100);
    // The fast profile never builds the test extension modules (--disable-test-modules).
    let dynload: Vec<String> = prefix
        .join("lib/python3.11/lib-dynload")
        .read_dir()
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(dynload.iter().any(|n| n.starts_with("_ssl.")), "{dynload:?}");
    assert!(!dynload.iter().any(|n| n.starts_with("_testcapi.")), "{dynload:?}");

    let readelf = Command::new("readelf").arg("-d").arg(prefix.join("bin/python3.11")).output().unwrap();
    let dynamic = String::from_utf8_lossy(&readelf.stdout);
    assert!(dynamic.contains("(RUNPATH)") && dynamic.contains("[$ORIGIN/../lib]"), "{dynamic}");

    // Away from /opt, in a clean environment: imports work and the own libpython is loaded.
    let script = "import ssl, sqlite3, uuid, lzma, bz2, ctypes, zlib, readline, sys\n\
                  libs = {l.split()[-1] for l in open('/proc/self/maps') if 'libpython' in l}\n\
                  print('%d.%d.%d' % sys.version_info[:3]); print(sorted(libs)); print(ssl.OPENSSL_VERSION)";
    let output = Command::new(prefix.join("bin/python3.11"))
        .args(["-I", "-c", script])
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some("3.11.2"));
    let libs = lines.next().unwrap();
    let own = prefix.canonicalize().unwrap().join("lib/libpython3.11.so.1.0");
    assert_eq!(libs, format!("['{}']", own.display()), "loaded another libpython");
    assert!(lines.next().unwrap().starts_with("OpenSSL"));
    sha256(path)
}

#[test]
#[ignore = "end-to-end: compiles CPython 3.11.2 from Debian's source (--profile fast; minutes, cached in /var/tmp/specgate-e2e/build-cache)"]
fn real_cpython_build_on_the_host_makes_a_valid_artifact_and_a_cached_rebuild() {
    let tarball = cpython_source("3.11");
    let ctx = repo_with_project_config();
    let out = ctx.dir.path().join("out");
    let cache = "/var/tmp/specgate-e2e/build-cache";
    let mut command = ctx.specgate();
    command
        .args(["build", "--python", "3.11.2", "--build", "1", "--profile", "fast", "--cache", cache, "--source"])
        .arg(&tarball)
        .arg("--out")
        .arg(&out);
    let first = run(&mut command);
    assert_eq!(first.code, 0, "{}", first.stderr);
    for step in ["==> OS check", "==> dependency check", "==> source", "==> package"] {
        assert!(first.stderr.contains(step), "{step}: {}", first.stderr);
    }
    // The cache outlives the test: the first build compiles and validates only once per input.
    assert!(first.stderr.contains("==> validate") || first.stderr.contains("==> compile: cached"), "{}", first.stderr);
    let path = PathBuf::from(first.stdout.trim());
    let digest = check_artifact(&path, 1);
    let ledger = std::fs::read_to_string(ctx.path("artifacts/ARTIFACTS.md")).unwrap();
    assert!(ledger.contains(&format!("| 3.11.2 | 1 | {} |", os_tag())) && ledger.contains(&digest), "{ledger}");

    // The second identical build skips compiling and packs the same bytes.
    let mut command = ctx.specgate();
    command
        .args(["build", "--python", "3.11.2", "--build", "2", "--profile", "fast", "--cache", cache, "--source"])
        .arg(&tarball)
        .arg("--out")
        .arg(&out);
    let second = run(&mut command);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(second.stderr.contains("==> compile: cached"), "{}", second.stderr);
    assert!(!second.stderr.contains("==> configure"));
    let path = PathBuf::from(second.stdout.trim());
    assert_eq!(check_artifact(&path, 2), digest, "a cached rebuild must pack the same bytes");
}

#[test]
#[ignore = "end-to-end: compiles CPython 3.11.2 inside a podman container from the debootstrap'd Debian 12 image (bash .ci/containers)"]
fn real_cpython_build_in_a_container_makes_a_valid_artifact() {
    let tarball = cpython_source("3.11");
    let ctx = repo_with_project_config();
    let out = ctx.dir.path().join("out");
    let mut command = ctx.specgate();
    command
        .args(["build", "--on", "container", "--python", "3.11.2", "--build", "1", "--profile", "fast", "--no-ledger"])
        .args(["--cache", "/var/tmp/specgate-e2e/build-cache-container", "--source"])
        .arg(&tarball)
        .arg("--out")
        .arg(&out);
    let result = run(&mut command);
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stderr.contains("podman run"), "{}", result.stderr);
    assert!(result.stderr.contains("debian12 (Debian GNU/Linux 12 (bookworm))"), "{}", result.stderr);
    check_artifact(&PathBuf::from(result.stdout.trim()), 1);
}
