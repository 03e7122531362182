//! `specgate publish` against the loopback GitHub (tests/it/github_fake.rs), a mirror folder
//! served by `python3 -m http.server`, gpg signatures and retention.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest as _, Sha256};

use crate::artifact::{make_stage, run, scratch};
use crate::common::{system_version, Run, TestContext};
use crate::github_fake::{FakeGitHub, Fault};

const REPO: &str = "acme/cpython-builds";
const TOKEN: &str = "sg-test-token-4242";
const NAME: &str = "cpython-3.12.6-debian12-build1.tgz";
const TAG: &str = "cpython-3.12.6-debian12-build1";
/// A build's folder in a mirror, and the tag releases had before one release per artifact.
const BUILD_TAG: &str = "cpython-3.12.6-build1";

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Package build `build` of 3.12.6 for debian12 (optionally with one more file in the tree);
/// returns the artifact's path.
fn package(ctx: &TestContext, build: u32, extra: Option<(&str, &[u8])>) -> PathBuf {
    let files: Vec<(&str, &[u8])> = extra.into_iter().collect();
    let made = package_with(ctx, build, &files, None);
    assert_eq!(made.code, 0, "{}", made.stderr);
    ctx.path(&format!("artifacts/cpython-3.12.6-debian12-build{build}.tgz"))
}

/// Run `specgate publish ARGS` with `GH_TOKEN` set to `token`; the token must never show.
fn publish_with(ctx: &TestContext, token: Option<&str>, args: &[&str]) -> Run {
    let mut command = ctx.specgate();
    command.arg("publish").args(args).env_remove("GITHUB_TOKEN").env_remove("GH_TOKEN");
    // No second between writes here (one test checks the pause), and no ambient GITHUB_SHA.
    command.env("SPECGATE_GITHUB_WRITE_INTERVAL", "0").env_remove("GITHUB_SHA");
    if let Some(token) = token {
        command.env("GH_TOKEN", token);
    }
    let result = run(&mut command);
    for secret in [TOKEN, token.unwrap_or(TOKEN)] {
        assert!(!result.stdout.contains(secret) && !result.stderr.contains(secret), "the token leaked:\n{result}");
    }
    result
}

fn publish(ctx: &TestContext, fake: &FakeGitHub, extra: &[&str]) -> Run {
    let mut args = vec![NAME_PATH, "--repo", REPO, "--api-url", &fake.api];
    args.extend_from_slice(extra);
    publish_with(ctx, Some(TOKEN), &args)
}

const NAME_PATH: &str = "artifacts/cpython-3.12.6-debian12-build1.tgz";

fn sidecar_hex(ctx: &TestContext, name: &str) -> String {
    fs::read_to_string(ctx.path(&format!("artifacts/{name}.sha256"))).unwrap()[..64].to_owned()
}

fn ledger(ctx: &TestContext) -> String {
    fs::read_to_string(ctx.path("artifacts/ARTIFACTS.md")).unwrap()
}

// spec[verify SPEC_INFRA_001#CA-010]
#[test]
fn first_publish_uploads_tarball_sidecar_and_license_and_the_second_uploads_nothing() {
    let ctx = TestContext::new();
    let artifact = package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    // One asset per page, so listing the release follows `Link: rel="next"`.
    fake.with(|s| s.page_max = 1);

    let first = publish(&ctx, &fake, &[]);
    assert_eq!(first.code, 0, "{first}");
    assert_eq!(fake.upload_count(), 3, "{first}");
    let release = fake.release(TAG).expect("the release was created");
    let names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, [NAME, &format!("{NAME}.sha256"), "LICENSE"]);
    let tarball = &release.assets[0];
    assert_eq!(tarball.sha256, sidecar_hex(&ctx, NAME));
    assert_eq!(tarball.size, fs::metadata(&artifact).unwrap().len());
    assert_eq!(tarball.content_type, "application/gzip");
    assert_eq!(
        release.assets[1].content.as_deref(),
        Some(fs::read(ctx.path(&format!("{NAME_PATH}.sha256"))).unwrap().as_slice())
    );
    let license = String::from_utf8(release.assets[2].content.clone().unwrap()).unwrap();
    assert!(license.contains("PYTHON SOFTWARE FOUNDATION LICENSE"), "{license}");
    // Every upload went to the upload host with its length.
    for logged in fake.log().iter().filter(|l| l.upload_host) {
        assert!(logged.content_length.is_some(), "{logged:?}");
    }

    let url = format!("https://github.com/{REPO}/releases/download/{TAG}/{NAME}");
    assert!(ledger(&ctx).contains(&format!("| {url} | Activo |")), "{}", ledger(&ctx));
    assert!(first.stderr.contains("URL Release set to"), "{first}");
    let checked = run(ctx.specgate().args(["check", "ledger"]));
    assert_eq!(checked.code, 0, "{checked}");

    let before = fake.log().len();
    let second = publish(&ctx, &fake, &[]);
    assert_eq!(second.code, 0, "{second}");
    assert_eq!(fake.upload_count(), 3, "the second publish uploaded something:\n{second}");
    assert!(second.stderr.contains("nothing was uploaded"), "{second}");
    let listing_pages = fake.log()[before..].iter().filter(|l| l.target.contains("/assets?")).count();
    assert_eq!(listing_pages, 3, "three assets at one per page");
    assert!(!second.stderr.contains("URL Release set"), "{second}");
}

#[test]
fn a_different_asset_of_the_same_name_is_refused_unless_replace() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.seed_release(TAG, &[(NAME, b"some other bytes")]);

    let refused = publish(&ctx, &fake, &[]);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("publish-asset-conflict"), "{refused}");
    assert!(refused.stderr.contains("--replace"), "{refused}");
    assert_eq!(fake.upload_count(), 0, "nothing may be uploaded when one asset conflicts");
    assert!(ledger(&ctx).contains("| - | Activo |"));

    let replaced = publish(&ctx, &fake, &["--replace"]);
    assert_eq!(replaced.code, 0, "{replaced}");
    assert!(replaced.stderr.contains("(replacing)"), "{replaced}");
    let release = fake.release(TAG).unwrap();
    let tarball = release.assets.iter().find(|a| a.name == NAME).unwrap();
    assert_eq!(tarball.sha256, sidecar_hex(&ctx, NAME));
    assert_eq!(release.assets.len(), 3);
}

#[test]
fn server_errors_rate_limits_and_a_dropped_upload_are_survived() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.inject("GET", "/releases/tags/", Fault::Status(500));
    fake.inject("POST", "/releases", Fault::SecondaryRateLimit { retry_after: 1 });
    fake.inject("GET", "/assets", Fault::PrimaryRateLimit { seconds: 1 });
    fake.inject("POST", "/assets", Fault::DropUpload);

    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 0, "{result}");
    assert!(fake.with(|s| s.faults.is_empty()), "every injected fault was hit");
    assert!(result.stderr.contains("answered HTTP 500"), "{result}");
    assert!(result.stderr.contains("secondary rate limit"), "{result}");
    assert!(result.stderr.contains("waiting 1 s as GitHub asks"), "{result}");
    assert!(result.stderr.contains("API rate limit exceeded"), "{result}");
    let release = fake.release(TAG).unwrap();
    assert_eq!(release.assets.len(), 3);
    assert_eq!(release.assets.iter().find(|a| a.name == NAME).unwrap().sha256, sidecar_hex(&ctx, NAME));
    let tarball_posts =
        fake.log().iter().filter(|l| l.upload_host && l.target.ends_with(&format!("name={NAME}"))).count();
    assert_eq!(tarball_posts, 1, "the dropped attempt has no answer to log; one retry succeeded");
    assert!(ledger(&ctx).contains(&format!("releases/download/{TAG}/{NAME} | Activo |")));
}

#[test]
fn a_wrong_digest_after_upload_is_a_finding_and_the_asset_is_removed() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.inject("POST", "/assets", Fault::WrongDigest);
    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 1, "{result}");
    assert!(result.stderr.contains("publish-digest-mismatch"), "{result}");
    assert!(fake.release(TAG).unwrap().assets.iter().all(|a| a.name != NAME));
    assert!(ledger(&ctx).contains("| - | Activo |"), "the URL is only filled in for a verified upload");
    // The next run uploads it properly.
    let again = publish(&ctx, &fake, &[]);
    assert_eq!(again.code, 0, "{again}");
}

#[test]
fn refusals_say_which_token_permission_or_repository_is_wrong() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);

    let missing = publish_with(&ctx, None, &[NAME_PATH, "--repo", REPO, "--api-url", &fake.api]);
    assert_eq!(missing.code, 2, "{missing}");
    assert!(missing.stderr.contains("GH_TOKEN") && missing.stderr.contains("GITHUB_TOKEN"), "{missing}");
    assert!(fake.log().is_empty(), "no request without a token");

    let bad = publish_with(&ctx, Some("wrong-token-77"), &[NAME_PATH, "--repo", REPO, "--api-url", &fake.api]);
    assert_eq!(bad.code, 2, "{bad}");
    assert!(bad.stderr.contains("HTTP 401: Bad credentials"), "{bad}");
    assert!(bad.stderr.contains("invalid, expired or revoked"), "{bad}");

    fake.add_token("readonly-token-5", false);
    let readonly = publish_with(&ctx, Some("readonly-token-5"), &[NAME_PATH, "--repo", REPO, "--api-url", &fake.api]);
    assert_eq!(readonly.code, 2, "{readonly}");
    assert!(readonly.stderr.contains("HTTP 403: Resource not accessible"), "{readonly}");
    assert!(readonly.stderr.contains("Contents: Read and write"), "{readonly}");

    let wrong_repo = publish_with(&ctx, Some(TOKEN), &[NAME_PATH, "--repo", "acme/nope", "--api-url", &fake.api]);
    assert_eq!(wrong_repo.code, 2, "{wrong_repo}");
    assert!(wrong_repo.stderr.contains("`acme/nope` does not exist, or the token cannot see it"), "{wrong_repo}");

    let malformed = publish_with(&ctx, Some(TOKEN), &[NAME_PATH, "--repo", "acme", "--api-url", &fake.api]);
    assert_eq!(malformed.code, 2, "{malformed}");
    assert!(malformed.stderr.contains("OWNER/NAME"), "{malformed}");

    // GITHUB_TOKEN, as GitHub Actions provides it, is the fallback.
    let mut command = ctx.specgate();
    command.args(["publish", NAME_PATH, "--repo", REPO, "--api-url", &fake.api]);
    command.env_remove("GH_TOKEN").env("GITHUB_TOKEN", TOKEN).env("SPECGATE_GITHUB_WRITE_INTERVAL", "0");
    let actions = run(&mut command);
    assert_eq!(actions.code, 0, "{actions}");
    assert!(!actions.stderr.contains(TOKEN));
    assert_eq!(fake.upload_count(), 3);
}

#[test]
fn the_gate_stops_before_any_request() {
    // A secret inside the tarball.
    let ctx = TestContext::new();
    let key = format!("AKIA{}", "Q3ZJ7XK2LMNP4RSW");
    package(&ctx, 1, Some(("lib/python3.12/deploy_settings.py", format!("AWS_KEY = \"{key}\"\n").as_bytes())));
    let fake = FakeGitHub::start(REPO, TOKEN);
    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 1, "{result}");
    assert!(result.stderr.contains("secret-detected"), "{result}");
    assert!(result.stderr.contains("deploy_settings.py"), "{result}");
    assert!(!result.stderr.contains(&key), "a finding never shows the secret");
    assert!(result.stderr.contains("nothing was published"), "{result}");
    assert!(fake.log().is_empty(), "{:?}", fake.log());

    // A file changed after packaging: sidecar and ledger disagree with it.
    let ctx = TestContext::new();
    let artifact = package(&ctx, 1, None);
    let mut bytes = fs::read(&artifact).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&artifact, bytes).unwrap();
    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 1, "{result}");
    assert!(result.stderr.contains("artifact-sidecar-mismatch"), "{result}");
    assert!(result.stderr.contains("ledger-sha256-mismatch"), "{result}");

    // A row that is no longer Activo.
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let text = ledger(&ctx).replace("| Activo |", "| Retirado |");
    fs::write(ctx.path("artifacts/ARTIFACTS.md"), text).unwrap();
    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 1, "{result}");
    assert!(result.stderr.contains("publish-not-active"), "{result}");

    // No row at all.
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    fs::remove_file(ctx.path("artifacts/ARTIFACTS.md")).unwrap();
    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 1, "{result}");
    assert!(result.stderr.contains("artifact-unlisted"), "{result}");
    assert!(fake.log().is_empty(), "{:?}", fake.log());
}

#[test]
fn dry_run_prints_every_request_and_sends_nothing() {
    let ctx = TestContext::new();
    let artifact = package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    let mirror = scratch(&ctx).join("mirror");
    let mirror_text = mirror.display().to_string();
    let result = publish(&ctx, &fake, &["--dry-run", "--to", &mirror_text]);
    assert_eq!(result.code, 0, "{result}");
    let size = fs::metadata(&artifact).unwrap().len();
    for expected in [
        format!("GET {}/repos/{REPO}/releases/tags/{TAG}", fake.api),
        format!("POST {}/repos/{REPO}/releases", fake.api),
        format!("POST {{upload_url}}?name={NAME}  (Content-Type: application/gzip, Content-Length: {size}"),
        "?name=LICENSE".to_owned(),
        "Authorization: Bearer [token from the environment]".to_owned(),
        format!("copy {}", mirror.join(NAME).display()),
        format!("copy {}", mirror.join(format!("LICENSE-{BUILD_TAG}")).display()),
    ] {
        assert!(result.stdout.contains(&expected), "missing `{expected}`:\n{result}");
    }
    assert!(fake.log().is_empty());
    assert!(!mirror.exists());
    assert!(ledger(&ctx).contains("| - | Activo |"));
}

/// A free port on 127.0.0.1 (bound, then released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A child process killed when dropped, so a failing assertion does not leave it running.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn curl(url: &str) -> Vec<u8> {
    let output = Command::new("curl").args(["-fsS", url]).output().expect("curl runs");
    assert!(output.status.success(), "curl {url}: {}", String::from_utf8_lossy(&output.stderr));
    output.stdout
}

#[test]
fn a_mirror_folder_served_by_a_static_server_has_the_release_files() {
    let ctx = TestContext::new();
    let artifact = package(&ctx, 1, None);
    let mirror = scratch(&ctx).join("mirror");
    let mirror_text = mirror.display().to_string();
    let result = publish_with(&ctx, None, &[NAME_PATH, "--to", &mirror_text]);
    assert_eq!(result.code, 0, "{result}");
    assert!(result.stderr.contains(&format!("copied `{NAME}`")), "{result}");

    let (_server, port) = serve(&mirror);
    let base = format!("http://127.0.0.1:{port}");
    let tarball = curl(&format!("{base}/{NAME}"));
    let sidecar = String::from_utf8(curl(&format!("{base}/{NAME}.sha256"))).unwrap();
    assert_eq!(tarball, fs::read(&artifact).unwrap());
    assert_eq!(sidecar, format!("{}  {NAME}\n", hex(&tarball)));
    let license = String::from_utf8(curl(&format!("{base}/LICENSE-{BUILD_TAG}"))).unwrap();
    assert!(license.contains("PYTHON SOFTWARE FOUNDATION LICENSE"));

    let again = publish_with(&ctx, None, &[NAME_PATH, "--to", &mirror_text]);
    assert_eq!(again.code, 0, "{again}");
    assert!(again.stderr.contains("nothing was copied"), "{again}");

    // A different file under the same name is refused.
    fs::write(mirror.join(format!("LICENSE-{BUILD_TAG}")), "changed").unwrap();
    let conflict = publish_with(&ctx, None, &[NAME_PATH, "--to", &mirror_text]);
    assert_eq!(conflict.code, 1, "{conflict}");
    assert!(conflict.stderr.contains("publish-asset-conflict"), "{conflict}");
}

/// `python3 -m http.server` on a free loopback port, serving `dir`, once it accepts connections.
fn serve(dir: &Path) -> (Child, u16) {
    let port = free_port();
    let server = Child(
        Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 -m http.server starts"),
    );
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return (server, port);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the static server did not start on port {port}");
}

/// The version of /usr/bin/python3, which the test artifact's interpreter wraps.
// spec[verify SPEC_INFRA_001#CA-010]
#[test]
fn specgate_install_takes_the_artifact_from_the_served_mirror() {
    use std::os::unix::fs::PermissionsExt;
    let ctx = TestContext::new();
    let version = system_version();
    let line = version.rsplit_once('.').unwrap().0.to_owned();
    let stage = scratch(&ctx).join("stage");
    let prefix = stage.join(format!("opt/python-{version}"));
    fs::create_dir_all(prefix.join("bin")).unwrap();
    fs::create_dir_all(prefix.join(format!("lib/python{line}"))).unwrap();
    for (name, body) in [
        (format!("python{line}"), "#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n"),
        (format!("pip{line}"), "#!/bin/sh\necho pip\n"),
    ] {
        fs::write(prefix.join("bin").join(&name), body).unwrap();
        fs::set_permissions(prefix.join("bin").join(&name), fs::Permissions::from_mode(0o755)).unwrap();
    }
    fs::write(prefix.join("LICENSE"), "PSF LICENSE AGREEMENT FOR PYTHON\n").unwrap();
    let made = run(ctx.specgate().arg("package").arg(&stage).args([
        "--version",
        &version,
        "--distro",
        "debian12",
        "--build",
        "1",
    ]));
    assert_eq!(made.code, 0, "{made}");
    let name = format!("cpython-{version}-debian12-build1.tgz");
    let mirror = scratch(&ctx).join("mirror");
    let published = publish_with(&ctx, None, &[&format!("artifacts/{name}"), "--to", &mirror.display().to_string()]);
    assert_eq!(published.code, 0, "{published}");
    let (_server, port) = serve(&mirror);

    // By URL: install finds `<URL>.sha256` beside the tarball.
    let root = scratch(&ctx).join("root");
    let install = |root: &Path, args: &[&str]| {
        run(ctx
            .specgate()
            .args(["install", "--version", &version, "--root"])
            .arg(root)
            .arg("--cache")
            .arg(root.join("cache"))
            .args(["--progress", "lines"])
            .args(args))
    };
    let by_url = install(&root, &["--url", &format!("http://127.0.0.1:{port}/{name}")]);
    assert_eq!(by_url.code, 0, "{by_url}");
    let python3 = root.join("usr/local/bin/python3");
    let out =
        Command::new(&python3).args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), version);

    // Through `--mirror`, with the release URL the ledger would record (GitHub is unreachable).
    let other = scratch(&ctx).join("other-root");
    let github = format!("https://github.com/{REPO}/releases/download/cpython-{version}-build1/{name}");
    let by_mirror = install(&other, &["--url", &github, "--mirror", &format!("http://127.0.0.1:{port}/")]);
    assert_eq!(by_mirror.code, 0, "{by_mirror}");
    assert!(other.join(format!("opt/python-{version}/LICENSE")).is_file());
}

/// A throw-away GnuPG home with one signing key without a passphrase; stops its agent on drop.
pub struct GnuPg(pub PathBuf);

impl GnuPg {
    pub fn new(dir: &Path) -> GnuPg {
        fs::create_dir_all(dir).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).unwrap();
        }
        GnuPg(dir.to_path_buf())
    }

    /// A home with one new ed25519 signing key, `Specgate Test <signing@example.com>`.
    pub fn with_signing_key(dir: &Path) -> GnuPg {
        let keys = GnuPg::new(dir);
        let made = keys.gpg(&[
            "--passphrase",
            "",
            "--quick-gen-key",
            "Specgate Test <signing@example.com>",
            "ed25519",
            "sign",
            "never",
        ]);
        assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
        keys
    }

    pub fn gpg(&self, args: &[&str]) -> std::process::Output {
        let output = Command::new("gpg")
            .env("GNUPGHOME", &self.0)
            .args(["--batch", "--no-tty"])
            .args(args)
            .output()
            .expect("gpg runs");
        output
    }
}

impl Drop for GnuPg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf").env("GNUPGHOME", &self.0).args(["--kill", "all"]).output();
    }
}

#[test]
fn signing_publishes_a_detached_signature_that_verifies() {
    let ctx = TestContext::new();
    let artifact = package(&ctx, 1, None);
    let keys = GnuPg::with_signing_key(&scratch(&ctx).join("gnupg"));
    let fake = FakeGitHub::start(REPO, TOKEN);

    let mut command = ctx.specgate();
    command.args(["publish", NAME_PATH, "--repo", REPO, "--api-url", &fake.api, "--sign"]);
    command.env("GH_TOKEN", TOKEN).env("GNUPGHOME", &keys.0).env("SPECGATE_GITHUB_WRITE_INTERVAL", "0");
    let result = run(&mut command);
    assert_eq!(result.code, 0, "{result}");
    let release = fake.release(TAG).unwrap();
    let signature = release.assets.iter().find(|a| a.name == format!("{NAME}.asc")).expect("the signature asset");
    assert_eq!(signature.content_type, "application/pgp-signature");
    let downloaded = scratch(&ctx).join("downloaded.asc");
    fs::write(&downloaded, signature.content.as_ref().unwrap()).unwrap();
    let verified = keys.gpg(&["--verify", &downloaded.display().to_string(), &artifact.display().to_string()]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));

    // Signing again reuses the signature, so nothing is uploaded.
    let uploads = fake.upload_count();
    let again = run(&mut command);
    assert_eq!(again.code, 0, "{again}");
    assert_eq!(fake.upload_count(), uploads, "{again}");
    assert!(again.stderr.contains("reusing the valid signature"), "{again}");

    // A key file, with an empty keyring: the signature lands in the mirror and verifies.
    let key_file = scratch(&ctx).join("team-key.asc");
    let exported = keys.gpg(&["--armor", "--export-secret-keys", "signing@example.com"]);
    assert!(exported.status.success());
    fs::write(&key_file, exported.stdout).unwrap();
    fs::remove_dir_all(ctx.path("artifacts/signatures")).unwrap();
    let empty = GnuPg::new(&scratch(&ctx).join("empty-gnupg"));
    let mirror = scratch(&ctx).join("mirror");
    let mut command = ctx.specgate();
    command.args(["publish", NAME_PATH, "--to", &mirror.display().to_string(), "--sign", "--sign-key"]);
    command.arg(&key_file).env("GNUPGHOME", &empty.0);
    let result = run(&mut command);
    assert_eq!(result.code, 0, "{result}");
    let mirrored = mirror.join(format!("{NAME}.asc"));
    let verified = keys.gpg(&["--verify", &mirrored.display().to_string(), &artifact.display().to_string()]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));

    // A key file that is not a key is an error that says so.
    fs::remove_dir_all(ctx.path("artifacts/signatures")).unwrap();
    let mut command = ctx.specgate();
    command.args(["publish", NAME_PATH, "--to", &mirror.display().to_string(), "--replace", "--sign", "--sign-key"]);
    command.arg(ctx.path("artifacts/ARTIFACTS.md")).env("GNUPGHOME", &empty.0);
    let result = run(&mut command);
    assert_eq!(result.code, 2, "{result}");
    assert!(result.stderr.contains("gpg --import"), "{result}");
}

#[test]
fn a_gpg_that_hangs_while_signing_is_stopped_at_the_configured_limit() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    ctx.write("specgate.toml", "[limits]\ngpg-timeout-seconds = 1\n");
    // A `gpg` that waits for ever, as one waiting on a locked agent does; it had no limit.
    let bin = scratch(&ctx).join("bin");
    fs::create_dir_all(&bin).unwrap();
    fs::write(bin.join("gpg"), "#!/bin/sh\nsleep 1000\n").unwrap();
    fs::set_permissions(bin.join("gpg"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mirror = scratch(&ctx).join("mirror");
    let mut command = ctx.specgate();
    command.args(["publish", NAME_PATH, "--to", &mirror.display().to_string(), "--sign"]);
    command.env("PATH", format!("{}:/usr/bin:/bin", bin.display()));
    let started = std::time::Instant::now();
    let result = run(&mut command);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
    assert_eq!(result.code, 2, "{result}");
    assert!(result.stderr.contains("`gpg --detach-sign` did not finish within 1 s and was stopped"), "{result}");
    assert!(result.stderr.contains("raise `[limits] gpg-timeout-seconds` in specgate.toml"), "{result}");
    assert!(!mirror.join(format!("{NAME}.asc")).exists());
}

#[test]
fn prune_deprecates_old_builds_and_deletes_only_their_assets_when_asked() {
    let ctx = TestContext::new();
    let fake = FakeGitHub::start(REPO, TOKEN);
    let mirror = scratch(&ctx).join("mirror");
    let mirror_text = mirror.display().to_string();
    for build in 1..=4 {
        let artifact = package(&ctx, build, None);
        let artifact = artifact.display().to_string();
        let result =
            publish_with(&ctx, Some(TOKEN), &[&artifact, "--repo", REPO, "--api-url", &fake.api, "--to", &mirror_text]);
        assert_eq!(result.code, 0, "{result}");
    }
    let count = |tag: &str| fake.release(tag).map_or(0, |r| r.assets.len());
    let counts = || (1..=4).map(|b| count(&format!("cpython-3.12.6-debian12-build{b}"))).collect::<Vec<_>>();
    assert_eq!(counts(), [3, 3, 3, 3]);
    // A release of the earlier layout (one per build, every distro) holding build 1 too.
    let old = fs::read(ctx.path(NAME_PATH)).unwrap();
    fake.seed_release(BUILD_TAG, &[(NAME, &old), ("cpython-3.12.6-ubuntu24.04-build1.tgz", b"other distro")]);

    // Without --delete-assets only the ledger changes.
    let marked = publish_with(&ctx, Some(TOKEN), &["--prune", "--repo", REPO, "--api-url", &fake.api]);
    assert_eq!(marked.code, 0, "{marked}");
    assert!(marked.stderr.contains("3.12.6 build 1 for debian12 is now Deprecado"), "{marked}");
    assert!(marked.stderr.contains("--delete-assets"), "{marked}");
    assert_eq!(counts(), [3, 3, 3, 3]);
    let row = ledger(&ctx).lines().find(|l| l.starts_with("| 3.12.6 | 1 |")).unwrap().to_owned();
    assert!(row.ends_with("| Deprecado |"), "{row}");

    let dry = publish_with(
        &ctx,
        Some(TOKEN),
        &["--prune", "--delete-assets", "--dry-run", "--repo", REPO, "--api-url", &fake.api],
    );
    assert_eq!(dry.code, 0, "{dry}");
    assert!(dry.stdout.contains("would delete release `cpython-3.12.6-debian12-build1`"), "{dry}");
    assert!(dry.stdout.contains("would delete from release `cpython-3.12.6-build1`"), "{dry}");
    assert_eq!(counts(), [3, 3, 3, 3]);

    let deleted = publish_with(
        &ctx,
        Some(TOKEN),
        &["--prune", "--delete-assets", "--repo", REPO, "--api-url", &fake.api, "--to", &mirror_text],
    );
    assert_eq!(deleted.code, 0, "{deleted}");
    assert!(fake.release(TAG).is_none(), "the retired build's release is deleted whole:\n{deleted}");
    assert_eq!(counts(), [0, 3, 3, 3]);
    let legacy: Vec<String> = fake.release(BUILD_TAG).unwrap().assets.iter().map(|a| a.name.clone()).collect();
    assert_eq!(legacy, ["cpython-3.12.6-ubuntu24.04-build1.tgz"], "only build 1's debian12 files go:\n{deleted}");
    assert!(!mirror.join("cpython-3.12.6-debian12-build1.tgz").exists());
    assert!(!mirror.join("cpython-3.12.6-debian12-build1.tgz.sha256").exists());
    assert!(!mirror.join("LICENSE-cpython-3.12.6-build1").exists());
    assert!(mirror.join("cpython-3.12.6-debian12-build2.tgz").is_file());
    assert!(mirror.join("LICENSE-cpython-3.12.6-build2").is_file());
    let activo = ledger(&ctx).lines().filter(|l| l.ends_with("| Activo |")).count();
    assert_eq!(activo, 3);
}

/// `curl` with the given arguments; returns the HTTP status.
fn status_of(args: &[&str]) -> String {
    let output =
        Command::new("curl").args(["-sS", "-o", "/dev/null", "-w", "%{http_code}"]).args(args).output().unwrap();
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn the_fake_github_refuses_what_github_would() {
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.seed_release(TAG, &[]);
    let auth = format!("Authorization: Bearer {TOKEN}");
    let tag_url = format!("{}/repos/{REPO}/releases/tags/{TAG}", fake.api);
    let accept = "Accept: application/vnd.github+json";
    let version = "X-GitHub-Api-Version: 2022-11-28";
    assert_eq!(status_of(&["-H", &auth, "-H", accept, "-H", version, &tag_url]), "200");
    assert_eq!(status_of(&["-H", accept, "-H", version, &tag_url]), "401");
    assert_eq!(status_of(&["-H", "Authorization: Bearer nope", "-H", accept, "-H", version, &tag_url]), "401");
    assert_eq!(status_of(&["-H", &auth, "-H", "Accept: */*", "-H", version, &tag_url]), "415");
    assert_eq!(status_of(&["-H", &auth, "-H", accept, &tag_url]), "400");
    assert_eq!(
        status_of(&["-H", &auth, "-H", accept, "-H", version, &format!("{}/repos/{REPO}/issues", fake.api)]),
        "404"
    );
    let id = fake.release(TAG).unwrap().id;
    let body = ["--data-binary", "abc", "-H", "Content-Type: text/plain"];
    // Uploads go to the upload host only, with Content-Length.
    let on_api = format!("{}/repos/{REPO}/releases/{id}/assets?name=a.txt", fake.api);
    assert_eq!(status_of(&[&["-H", &auth, "-H", accept, "-H", version][..], &body, &[&on_api]].concat()), "404");
    let upload = format!("{}/repos/{REPO}/releases/{id}/assets?name=a.txt", fake.uploads);
    let chunked = ["-H", "Transfer-Encoding: chunked"];
    assert_eq!(
        status_of(&[&["-H", &auth, "-H", accept, "-H", version][..], &body, &chunked, &[&upload]].concat()),
        "411"
    );
    assert_eq!(status_of(&[&["-H", &auth, "-H", accept, "-H", version][..], &body, &[&upload]].concat()), "201");
    assert_eq!(status_of(&[&["-H", &auth, "-H", accept, "-H", version][..], &body, &[&upload]].concat()), "422");
    let asset = &fake.release(TAG).unwrap().assets[0];
    assert_eq!((asset.size, asset.sha256.as_str()), (3, hex(b"abc").as_str()));
}

#[test]
fn assets_without_a_digest_are_downloaded_and_hashed() {
    let ctx = TestContext::new();
    let artifact = package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    let bytes = fs::read(&artifact).unwrap();
    let mut other = bytes.clone();
    other[0] ^= 1;
    fake.seed_release_without_digests(TAG, &[(NAME, &bytes)]);
    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 0, "{result}");
    assert!(result.stderr.contains(&format!("skipped `{NAME}`")), "{result}");
    assert_eq!(fake.upload_count(), 2, "only the sidecar and the LICENSE are uploaded:\n{result}");

    // Same size, other bytes: a conflict, found by hashing the download.
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.seed_release_without_digests(TAG, &[(NAME, &other)]);
    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 1, "{result}");
    assert!(result.stderr.contains("publish-asset-conflict"), "{result}");
    assert!(fake.log().iter().any(|l| l.target.contains("/releases/assets/") && l.method == "GET"));
}

/// A source tarball `Python-3.12.6.tgz` holding `Lib/urllib/request.py` with the docstring
/// example the real standard library carries, pinned in specgate.toml; returns its path and the
/// file's content.
fn pinned_source(ctx: &TestContext) -> (PathBuf, Vec<u8>) {
    let dir = scratch(ctx).join("source");
    let tree = dir.join("Python-3.12.6/Lib/urllib");
    fs::create_dir_all(&tree).unwrap();
    // Built at run time so this file holds no secret-shaped text of its own.
    let docstring = format!(
        "\"\"\"Example:\n    auth.add_password(realm='PDQ', uri='x', user='klem', {}='geheim$cheese')\n\"\"\"\n",
        "passwd"
    );
    fs::write(tree.join("request.py"), &docstring).unwrap();
    let tarball = dir.join("Python-3.12.6.tgz");
    let made = Command::new("tar").arg("-czf").arg(&tarball).arg("-C").arg(&dir).arg("Python-3.12.6").status().unwrap();
    assert!(made.success());
    let pin = hex(&fs::read(&tarball).unwrap());
    ctx.write("specgate.toml", format!("[build.sources.\"3.12.6\"]\nsha256 = \"{pin}\"\n"));
    (tarball, docstring.into_bytes())
}

/// Package 3.12.6 build `build` with these extra files, with or without `--source`.
fn package_with(ctx: &TestContext, build: u32, files: &[(&str, &[u8])], source: Option<&Path>) -> Run {
    let stage = make_stage(&scratch(ctx).join(format!("build{build}")), "3.12.6");
    for (relative, content) in files {
        let path = stage.join("opt/python-3.12.6").join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }
    let mut command = ctx.specgate();
    command.arg("package").arg(&stage).args([
        "--version",
        "3.12.6",
        "--distro",
        "debian12",
        "--build",
        &build.to_string(),
    ]);
    if let Some(source) = source {
        command.arg("--source").arg(source);
    }
    run(&mut command)
}

#[test]
fn upstream_files_of_the_pinned_source_do_not_block_publishing_but_the_teams_files_do() {
    let ctx = TestContext::new();
    let (source, request_py) = pinned_source(&ctx);
    let stdlib = "lib/python3.12/urllib/request.py";
    let mirror = scratch(&ctx).join("mirror");
    let mirror_text = mirror.display().to_string();
    let publish_build = |build: u32| {
        let path = format!("artifacts/cpython-3.12.6-debian12-build{build}.tgz");
        publish_with(&ctx, None, &[&path, "--to", &mirror_text])
    };

    // Without --source the stdlib docstring blocks publishing, as it did for every real artifact.
    let made = package_with(&ctx, 1, &[(stdlib, &request_py)], None);
    assert_eq!(made.code, 0, "{made}");
    let refused = publish_build(1);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("request.py") && refused.stderr.contains("secret-detected"), "{refused}");

    // With --source the member is recorded as upstream and publishing goes through.
    let made = package_with(&ctx, 2, &[(stdlib, &request_py)], Some(&source));
    assert_eq!(made.code, 0, "{made}");
    assert!(made.stderr.contains("files byte-identical to the pinned source: 1 "), "{made}");
    let published = publish_build(2);
    assert_eq!(published.code, 0, "{published}");
    assert!(published.stderr.contains("members byte-identical to the pinned source"), "{published}");
    assert!(mirror.join("cpython-3.12.6-debian12-build2.tgz").is_file());
    let scanned = ctx.run(&["check", "secrets", "--archive", "artifacts/cpython-3.12.6-debian12-build2.tgz"]);
    assert_eq!(scanned.code, 0, "{scanned}");

    // A fake AWS key the team planted in site-packages is still found, beside the upstream file.
    let key = format!("AKIA{}", "Q3ZJ7XK2LMNP4RSW");
    let settings = format!("AWS_ACCESS_KEY_ID = \"{key}\"\n");
    let made = package_with(
        &ctx,
        3,
        &[(stdlib, &request_py), ("lib/python3.12/site-packages/team_settings.py", settings.as_bytes())],
        Some(&source),
    );
    assert_eq!(made.code, 0, "{made}");
    let refused = publish_build(3);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("team_settings.py"), "{refused}");
    assert!(!refused.stderr.contains("urllib/request.py"), "{refused}");
    assert!(!mirror.join("cpython-3.12.6-debian12-build3.tgz").exists());

    // An upstream file the team edited is no longer upstream: scanned, and refused.
    let mut edited = request_py.clone();
    edited.extend_from_slice(b"# local change\n");
    let made = package_with(&ctx, 4, &[(stdlib, &edited)], Some(&source));
    assert_eq!(made.code, 0, "{made}");
    assert!(made.stderr.contains("files byte-identical to the pinned source: 0 "), "{made}");
    let refused = publish_build(4);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("urllib/request.py"), "{refused}");

    // The record counts only for the pinned source: with another pin it is ignored, and said so.
    ctx.write("specgate.toml", format!("[build.sources.\"3.12.6\"]\nsha256 = \"{}\"\n", "0".repeat(64)));
    let refused = publish_build(2);
    assert_eq!(refused.code, 1, "{refused}");
    assert!(refused.stderr.contains("was not used, every member was scanned"), "{refused}");
    assert!(refused.stderr.contains("request.py"), "{refused}");

    // `--source` must be the pinned tarball.
    let wrong = package_with(&ctx, 5, &[], Some(&source));
    assert_eq!(wrong.code, 2, "{wrong}");
    assert!(wrong.stderr.contains("the pin for 3.12.6 is"), "{wrong}");
    assert!(!ctx.path("artifacts/cpython-3.12.6-debian12-build5.tgz").exists());
}

/// The mutating requests the fake received, in order: `(method, target, status)`.
fn writes(fake: &FakeGitHub) -> Vec<(String, String, u16)> {
    fake.log()
        .into_iter()
        .filter(|l| l.method != "GET")
        .map(|l| (l.method, l.target.split('?').next().unwrap_or_default().to_owned(), l.status))
        .collect()
}

#[test]
fn immutable_releases_get_every_file_as_a_draft_then_publish() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.with(|s| s.immutable = true);
    let first = publish(&ctx, &fake, &["--target", "0123abcd"]);
    assert_eq!(first.code, 0, "{first}");
    let release = fake.release(TAG).expect("published");
    assert!(!release.draft && release.immutable, "{release:?}");
    assert_eq!(release.assets.len(), 3);
    assert_eq!(release.target_commitish.as_deref(), Some("0123abcd"), "the tag names the commit given");
    assert_eq!(release.make_latest.as_deref(), Some("true"));
    // Created as a draft, every file attached, published last.
    let writes = writes(&fake);
    let methods: Vec<&str> = writes.iter().map(|(m, _, _)| m.as_str()).collect();
    assert_eq!(methods, ["POST", "POST", "POST", "POST", "PATCH"], "{writes:?}");
    // The ledger gets the published URL, not the draft's `untagged-...` one.
    assert!(ledger(&ctx).contains(&format!("releases/download/{TAG}/{NAME} | Activo |")), "{}", ledger(&ctx));

    // Rerun: equal, so nothing is sent.
    let again = publish(&ctx, &fake, &[]);
    assert_eq!(again.code, 0, "{again}");
    assert_eq!(fake.upload_count(), 3);

    // A file missing from an immutable release cannot be added, even with --replace.
    // A release published by hand without its LICENSE, say: it can take no file now.
    fake.with(|s| s.releases[0].assets.retain(|a| a.name != "LICENSE"));
    let refused = publish(&ctx, &fake, &["--replace"]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(refused.stderr.contains("is published and immutable"), "{refused}");
    assert!(refused.stderr.contains("new build number"), "{refused}");
    assert!(refused.stderr.contains("lacks or holds other bytes under LICENSE"), "{refused}");
    assert_eq!(fake.upload_count(), 3, "nothing was uploaded or deleted:\n{refused}");
    assert_eq!(fake.release(TAG).unwrap().assets.len(), 2);
}

#[test]
fn draft_left_by_an_interrupted_run_is_completed_and_published() {
    let ctx = TestContext::new();
    let artifact = package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    // A run cut off after its first upload: the draft is invisible to get-by-tag.
    fake.seed_draft(TAG, &[(NAME, &fs::read(&artifact).unwrap())]);
    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 0, "{result}");
    let releases = fake.with(|s| s.releases.clone());
    assert_eq!(releases.len(), 1, "the draft was reused, not doubled: {releases:?}");
    assert!(!releases[0].draft);
    assert_eq!(releases[0].assets.len(), 3);
    assert_eq!(fake.upload_count(), 2, "only the missing files were uploaded:\n{result}");
    let tag_lookups = fake.log().iter().filter(|l| l.target.contains("/releases/tags/") && l.status == 404).count();
    assert_eq!(tag_lookups, 1, "the draft is not visible by tag");
}

#[test]
fn latest_goes_to_the_newest_cpython_version_unless_told() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.seed_release("cpython-3.13.1-debian12-build1", &[]);
    let older = publish(&ctx, &fake, &[]);
    assert_eq!(older.code, 0, "{older}");
    assert_eq!(fake.release(TAG).unwrap().make_latest.as_deref(), Some("false"), "3.13.1 stays Latest");

    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.seed_release("cpython-3.13.1-debian12-build1", &[]);
    let forced = publish(&ctx, &fake, &["--latest", "yes"]);
    assert_eq!(forced.code, 0, "{forced}");
    assert_eq!(fake.release(TAG).unwrap().make_latest.as_deref(), Some("true"));
}

#[test]
fn redirect_of_a_renamed_repository_keeps_each_method() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.with(|s| s.moved = Some(("acme/old-name".to_owned(), 301, None)));
    let result = publish_with(&ctx, Some(TOKEN), &[NAME_PATH, "--repo", "acme/old-name", "--api-url", &fake.api]);
    assert_eq!(result.code, 0, "{result}");
    assert!(result.stderr.contains("pass its current name with `--repo`"), "{result}");
    let release = fake.release(TAG).expect("the release is on the new name");
    assert!(!release.draft && release.assets.len() == 3);
    // Each write answered 301 under the old name was sent again with the same method: a POST
    // never turned into a GET.
    let writes = writes(&fake);
    for (index, (method, target, status)) in writes.iter().enumerate() {
        if *status == 301 {
            let (next_method, next_target, next_status) = &writes[index + 1];
            assert_eq!(next_method, method, "{writes:?}");
            assert_eq!(next_target.replace(REPO, "acme/old-name"), *target, "{writes:?}");
            assert!(*next_status < 300, "{writes:?}");
        }
    }
    // Creating the draft and publishing it; uploads go to the draft's `upload_url`, already
    // under the new name.
    assert_eq!(writes.iter().filter(|(_, _, s)| *s == 301).count(), 2, "{writes:?}");

    // A redirect to another host: the write (and its token) is not sent there.
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.with(|s| s.moved = Some(("acme/old-name".to_owned(), 307, Some("http://127.0.0.1:9".to_owned()))));
    let refused = publish_with(&ctx, Some(TOKEN), &[NAME_PATH, "--repo", "acme/old-name", "--api-url", &fake.api]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(refused.stderr.contains("on another host"), "{refused}");
}

#[test]
fn rate_limit_429_and_repeated_secondary_limits_wait_longer_each_time() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.inject("POST", "/releases", Fault::TooManyRequests { retry_after: 1 });
    fake.inject("PATCH", "/releases/", Fault::SecondaryRateLimit { retry_after: 1 });
    fake.inject("PATCH", "/releases/", Fault::SecondaryRateLimit { retry_after: 1 });
    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 0, "{result}");
    assert!(result.stderr.contains("HTTP 429"), "{result}");
    assert!(result.stderr.contains("waiting 1 s"), "{result}");
    assert!(
        result.stderr.contains("waiting 2 s"),
        "the second secondary limit in a row waits twice as long:\n{result}"
    );
    assert!(!fake.release(TAG).unwrap().draft);
}

#[test]
fn starter_asset_left_by_a_failed_upload_is_deleted_and_uploaded_again() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    fake.inject("POST", "/assets", Fault::Starter);
    let result = publish(&ctx, &fake, &[]);
    assert_eq!(result.code, 0, "{result}");
    assert!(result.stderr.contains("removing the incomplete asset"), "{result}");
    let release = fake.release(TAG).unwrap();
    let states: Vec<&str> = release.assets.iter().map(|a| a.state.as_str()).collect();
    assert_eq!(states, ["uploaded", "uploaded", "uploaded"], "{release:?}");
    assert_eq!(release.assets[0].name, NAME);
}

#[test]
fn writes_to_github_are_a_second_apart_by_default() {
    let ctx = TestContext::new();
    package(&ctx, 1, None);
    let fake = FakeGitHub::start(REPO, TOKEN);
    let mut command = ctx.specgate();
    command.args(["publish", NAME_PATH, "--repo", REPO, "--api-url", &fake.api]);
    command.env_remove("GITHUB_TOKEN").env_remove("GITHUB_SHA").env("GH_TOKEN", TOKEN);
    command.env_remove("SPECGATE_GITHUB_WRITE_INTERVAL");
    let result = run(&mut command);
    assert_eq!(result.code, 0, "{result}");
    let times: Vec<_> = fake.log().into_iter().filter(|l| l.method != "GET").map(|l| l.at).collect();
    assert_eq!(times.len(), 5);
    for pair in times.windows(2) {
        let gap = pair[1].duration_since(pair[0]);
        assert!(gap >= std::time::Duration::from_millis(990), "writes {gap:?} apart");
    }
}

#[test]
fn the_feature_folder_is_published_as_a_packaged_feature_other_repositories_reference_by_url() {
    let ctx = TestContext::new();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("feature/cpython-prebuilt");
    let folder = scratch(&ctx).join("cpython-prebuilt");
    fs::create_dir_all(&folder).unwrap();
    for name in ["devcontainer-feature.json", "install.sh", "README.md", "artifacts.json"] {
        fs::copy(shipped.join(name), folder.join(name)).unwrap();
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(folder.join("devcontainer-feature.json")).unwrap()).unwrap();
    let version = manifest["version"].as_str().unwrap().to_owned();
    let fake = FakeGitHub::start(REPO, TOKEN);
    let args = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["--feature".to_owned(), folder.display().to_string(), "--repo".into(), REPO.into()];
        args.extend(["--api-url".to_owned(), fake.api.clone()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    };
    let run_with = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        publish_with(&ctx, Some(TOKEN), &args)
    };

    // Without the binary `make feature` puts there, it says to run it.
    let refused = run_with(args(&[]));
    assert_eq!(refused.code, 2, "{refused}");
    assert!(refused.stderr.contains("it has no `specgate`") && refused.stderr.contains("make feature"), "{refused}");

    fs::write(folder.join("specgate"), b"#!/bin/sh\necho 'specgate 0.1.0'\n").unwrap();
    let published = run_with(args(&[]));
    assert_eq!(published.code, 0, "{published}");
    let tag = format!("feature-cpython-prebuilt-v{version}");
    let release = fake.release(&tag).expect("the Feature's release");
    assert!(!release.draft);
    assert_eq!(release.make_latest.as_deref(), Some("false"), "a Feature release does not become Latest");
    let names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(
        names,
        ["devcontainer-feature-cpython-prebuilt.tgz", "devcontainer-feature-cpython-prebuilt.tgz.sha256"]
    );
    assert!(
        published.stderr.contains(&format!("releases/download/{tag}/devcontainer-feature-cpython-prebuilt.tgz")),
        "{published}"
    );

    // The layout of `devcontainer features package`: the folder's files at the root, the
    // scripts executable.
    let tarball = scratch(&ctx).join("feature.tgz");
    fs::write(&tarball, release.assets[0].content.clone().expect("kept")).unwrap();
    let listed = run(Command::new("tar").arg("-tvzf").arg(&tarball));
    let members: Vec<String> = listed.stdout.lines().map(|l| l.rsplit(' ').next().unwrap().to_owned()).collect();
    assert_eq!(
        members,
        ["README.md", "artifacts.json", "devcontainer-feature.json", "install.sh", "specgate"],
        "{listed}"
    );
    assert!(listed.stdout.lines().any(|l| l.starts_with("-rwxr-xr-x") && l.ends_with(" install.sh")), "{listed}");

    // Packed reproducibly: publishing again finds the same bytes and uploads nothing.
    let again = run_with(args(&[]));
    assert_eq!(again.code, 0, "{again}");
    assert_eq!(fake.upload_count(), 2, "{again}");
}

const WHEELHOUSE: &str = "wheelhouse-web-cp311-debian12-build1.tgz";
const WHEELHOUSE_PATH: &str = "artifacts/wheelhouse-web-cp311-debian12-build1.tgz";
const WHEELHOUSE_TAG: &str = "wheelhouse-web-cp311-debian12-build1";

/// A recorded wheelhouse whose one wheel (a real zip file) holds `six.py` with `content`.
fn wheelhouse_with(content: &[u8]) -> TestContext {
    let wheel = crate::wheelhouse::wheel_zip(&[("six.py", content)]);
    crate::wheelhouse::recorded_wheelhouse(&[("six-1.16.0-py2.py3-none-any.whl", wheel)])
}

#[test]
fn a_wheelhouse_is_published_to_its_own_release_and_the_mirror_without_a_license() {
    let ctx = wheelhouse_with(b"x = 1\n");
    let fake = FakeGitHub::start(REPO, TOKEN);
    let result = publish_with(&ctx, Some(TOKEN), &[WHEELHOUSE_PATH, "--repo", REPO, "--api-url", &fake.api]);
    assert_eq!(result.code, 0, "{result}");
    let release = fake.release(WHEELHOUSE_TAG).expect("the release of the wheelhouse");
    let names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, [WHEELHOUSE, &format!("{WHEELHOUSE}.sha256")]);
    assert_eq!(release.assets[0].sha256, sidecar_hex(&ctx, WHEELHOUSE));
    assert_eq!(release.make_latest.as_deref(), Some("false"), "a wheelhouse is never Latest by `auto`");
    let url = format!("https://github.com/{REPO}/releases/download/{WHEELHOUSE_TAG}/{WHEELHOUSE}");
    let text = ledger(&ctx);
    assert!(text.contains(&format!("| {url} | Activo |")), "{text}");
    assert!(result.stderr.contains("`artifacts/ARTIFACTS.md:7`: URL Release set to"), "{result}");
    assert!(!text.contains("Versión"), "no CPython table appears: {text}");
    let checked = run(ctx.specgate().args(["check", "ledger"]));
    assert_eq!(checked.code, 0, "{checked}");

    let mirror = scratch(&ctx).join("mirror");
    let mirrored = publish_with(&ctx, None, &[WHEELHOUSE_PATH, "--to", mirror.to_str().unwrap()]);
    assert_eq!(mirrored.code, 0, "{mirrored}");
    let mut files: Vec<String> =
        fs::read_dir(&mirror).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    files.sort();
    assert_eq!(files, [WHEELHOUSE.to_owned(), format!("{WHEELHOUSE}.sha256")]);
    assert_eq!(fs::read(mirror.join(WHEELHOUSE)).unwrap(), fs::read(ctx.path(WHEELHOUSE_PATH)).unwrap());
}

#[test]
fn the_gate_refuses_a_wheelhouse_with_a_secret_in_a_wheel_or_without_its_lock() {
    // The key is built at run time, so this file holds no secret.
    let key = format!("AKIA{}", "Q3ZJ7XK2LMNP4RSW");
    let ctx = wheelhouse_with(format!("AWS_KEY = \"{key}\"\n").as_bytes());
    let fake = FakeGitHub::start(REPO, TOKEN);
    let mirror = scratch(&ctx).join("mirror");
    let args = [WHEELHOUSE_PATH, "--repo", REPO, "--api-url", &fake.api, "--to", mirror.to_str().unwrap()];
    let result = publish_with(&ctx, Some(TOKEN), &args);
    assert_eq!(result.code, 1, "{result}");
    assert!(result.stderr.contains("secret-detected"), "{result}");
    assert!(result.stderr.contains("six-1.16.0-py2.py3-none-any.whl"), "{result}");
    assert!(!result.stderr.contains(&key), "a finding never shows the secret");
    assert!(result.stderr.contains("nothing was published"), "{result}");
    assert!(fake.log().is_empty(), "{:?}", fake.log());
    assert!(!mirror.exists());

    // A row that is not Activo.
    let ctx = wheelhouse_with(b"x = 1\n");
    fs::write(ctx.path("artifacts/ARTIFACTS.md"), ledger(&ctx).replace("| Activo |", "| Deprecado |")).unwrap();
    let result = publish_with(&ctx, None, &[WHEELHOUSE_PATH, "--to", mirror.to_str().unwrap()]);
    assert_eq!(result.code, 1, "{result}");
    assert!(result.stderr.contains("artifacts/ARTIFACTS.md:7:1: error[publish-not-active]"), "{result}");

    // No lock, and a member outside `wheelhouse-web/`.
    let ctx = wheelhouse_with(b"x = 1\n");
    let tree = scratch(&ctx).join("tree");
    fs::create_dir_all(tree.join("wheelhouse-web/wheels")).unwrap();
    fs::create_dir_all(tree.join("elsewhere")).unwrap();
    fs::write(tree.join("wheelhouse-web/wheelhouse.json"), "{}").unwrap();
    fs::write(tree.join("elsewhere/notes.txt"), "x").unwrap();
    let second = "wheelhouse-web-cp311-debian12-build2.tgz";
    let tar = Command::new("tar")
        .args(["-czf", ctx.path(&format!("artifacts/{second}")).to_str().unwrap(), "wheelhouse-web", "elsewhere"])
        .current_dir(&tree)
        .status()
        .unwrap();
    assert!(tar.success());
    let sum = Command::new("sha256sum").arg(second).current_dir(ctx.path("artifacts")).output().unwrap();
    fs::write(ctx.path(&format!("artifacts/{second}.sha256")), sum.stdout).unwrap();
    assert_eq!(run(ctx.specgate().args(["ledger", "add", &format!("artifacts/{second}")])).code, 0);
    let result = publish_with(&ctx, None, &[&format!("artifacts/{second}"), "--to", mirror.to_str().unwrap()]);
    assert_eq!(result.code, 1, "{result}");
    let lock = "error[artifact-lock-missing]: the wheelhouse has no `wheelhouse-web/requirements.lock`";
    assert!(result.stderr.contains(lock), "{result}");
    assert!(
        result
            .stderr
            .contains("error[publish-name-mismatch]: member `elsewhere/notes.txt` is outside `wheelhouse-web/`"),
        "{result}"
    );
    assert!(!result.stderr.contains("artifact-license-missing"), "{result}");
    assert!(!mirror.exists());
}

#[test]
fn prune_retires_old_wheelhouse_builds_and_deletes_their_releases_when_asked() {
    let ctx = wheelhouse_with(b"x = 1\n");
    let fake = FakeGitHub::start(REPO, TOKEN);
    let mirror = scratch(&ctx).join("mirror");
    let mirror_text = mirror.display().to_string();
    for build in ["2", "3", "4"] {
        let run = crate::wheelhouse::build_wheelhouse(&ctx, "artifacts", build, &[], &[]);
        assert_eq!(run.code, 0, "{run}");
    }
    for build in 1..=4 {
        let path = format!("artifacts/wheelhouse-web-cp311-debian12-build{build}.tgz");
        let args = [path.as_str(), "--repo", REPO, "--api-url", &fake.api, "--to", &mirror_text];
        let result = publish_with(&ctx, Some(TOKEN), &args);
        assert_eq!(result.code, 0, "{result}");
    }
    let dry = publish_with(
        &ctx,
        Some(TOKEN),
        &["--prune", "--delete-assets", "--dry-run", "--repo", REPO, "--api-url", &fake.api],
    );
    assert_eq!(dry.code, 0, "{dry}");
    assert!(dry.stdout.contains("would mark `artifacts/ARTIFACTS.md:10` Deprecado"), "{dry}");
    assert!(dry.stdout.contains(&format!("would delete release `{WHEELHOUSE_TAG}`")), "{dry}");
    assert!(ledger(&ctx).lines().all(|l| !l.ends_with("| Deprecado |")), "a dry run changes nothing");

    let args = ["--prune", "--delete-assets", "--repo", REPO, "--api-url", &fake.api, "--to", &mirror_text];
    let deleted = publish_with(&ctx, Some(TOKEN), &args);
    assert_eq!(deleted.code, 0, "{deleted}");
    assert!(deleted.stderr.contains("wheelhouse web for 3.11 build 1 for debian12 is now Deprecado"), "{deleted}");
    assert!(fake.release(WHEELHOUSE_TAG).is_none(), "{deleted}");
    assert!(fake.release("wheelhouse-web-cp311-debian12-build2").is_some());
    assert!(!mirror.join(WHEELHOUSE).exists() && !mirror.join(format!("{WHEELHOUSE}.sha256")).exists());
    assert!(mirror.join("wheelhouse-web-cp311-debian12-build2.tgz").is_file());
}

#[test]
fn a_signed_wheelhouse_gets_a_signature_that_verifies_in_the_mirror() {
    let ctx = wheelhouse_with(b"x = 1\n");
    let keys = GnuPg::with_signing_key(&scratch(&ctx).join("gnupg"));
    let mirror = scratch(&ctx).join("mirror");
    let mut command = ctx.specgate();
    command.args(["publish", WHEELHOUSE_PATH, "--to", mirror.to_str().unwrap(), "--sign"]).env("GNUPGHOME", &keys.0);
    let result = run(&mut command);
    assert_eq!(result.code, 0, "{result}");
    let signature = mirror.join(format!("{WHEELHOUSE}.asc"));
    let verified = keys.gpg(&["--verify", signature.to_str().unwrap(), ctx.path(WHEELHOUSE_PATH).to_str().unwrap()]);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stderr));
}
