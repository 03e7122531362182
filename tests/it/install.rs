//! `specgate install`, `list`, `use`, `uninstall` against a real HTTP server on 127.0.0.1
//! with fault injection, with artifacts packed by `specgate package`. The interpreter inside
//! the test artifacts is a wrapper around the system's /usr/bin/python3, so validation runs a
//! real CPython that imports ssl, sqlite3, uuid, lzma and bz2; broken builds are emulated by
//! scripts that answer the way a broken interpreter does. The real CPython artifact and the
//! Dev Container are exercised by the end-to-end tests in feature.rs.
//!
// spec[verify SPEC_INFRA_001#CA-003]
// spec[verify SPEC_INFRA_001#CA-004]

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::{run, system_version, tmpfs, Run, TestContext};
use crate::httpserver::{Fault, Server};

fn line(version: &str) -> String {
    version.rsplit_once('.').unwrap().0.to_owned()
}

/// Incompressible bytes (xorshift), so an artifact is as big as its content.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

const WRAPPER: &str = "#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n";

struct Fixture {
    ctx: TestContext,
    version: String,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { ctx: TestContext::without_git(), version: system_version() }
    }

    fn dir(&self, name: &str) -> PathBuf {
        let path = self.ctx.dir.path().canonicalize().unwrap().join(name);
        fs::create_dir_all(&path).unwrap();
        path
    }

    fn root(&self) -> PathBuf {
        self.dir("root")
    }

    fn cache(&self) -> PathBuf {
        self.dir("cache")
    }

    /// Pack an artifact whose interpreter is `python` (a script), with `extra` files.
    fn artifact(&self, version: &str, build: u32, python: &str, extra: &[(&str, Vec<u8>)]) -> PathBuf {
        let stage = self.dir(&format!("stage-{version}-{build}"));
        let prefix = stage.join(format!("opt/python-{version}"));
        let bin = prefix.join("bin");
        fs::create_dir_all(&bin).unwrap();
        let line = line(version);
        for (name, body) in [(format!("python{line}"), python), (format!("pip{line}"), "#!/bin/sh\necho pip\n")] {
            fs::write(bin.join(&name), body).unwrap();
            fs::set_permissions(bin.join(&name), fs::Permissions::from_mode(0o755)).unwrap();
        }
        fs::create_dir_all(prefix.join(format!("lib/python{line}"))).unwrap();
        fs::write(prefix.join("LICENSE"), "PSF LICENSE AGREEMENT FOR PYTHON\n").unwrap();
        for (path, body) in extra {
            let path = prefix.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, body).unwrap();
        }
        let out = self.dir("artifacts");
        let packed = run(self
            .ctx
            .specgate()
            .args(["package"])
            .arg(&stage)
            .args(["--version", version, "--distro", "debian12", "--build", &build.to_string(), "--no-ledger", "--out"])
            .arg(&out));
        assert_eq!(packed.code, 0, "{packed}");
        out.join(format!("cpython-{version}-debian12-build{build}.tgz"))
    }

    fn good(&self) -> PathBuf {
        self.artifact(&self.version, 1, WRAPPER, &[])
    }

    fn install(&self, url: &str, extra: &[&str]) -> Run {
        self.install_command(url, extra).output().map(Run::from).unwrap()
    }

    fn install_command(&self, url: &str, extra: &[&str]) -> Command {
        let mut command = self.ctx.specgate();
        command
            .args(["install", "--version", &self.version, "--url", url, "--root"])
            .arg(self.root())
            .arg("--cache")
            .arg(self.cache())
            .args(["--progress", "lines"])
            .args(extra);
        command
    }

    fn prefix(&self) -> PathBuf {
        self.root().join(format!("opt/python-{}", self.version))
    }

    /// Run the installed python3 link and return what it prints for `code`.
    fn python3(&self, code: &str) -> String {
        let out = Command::new(self.root().join("usr/local/bin/python3")).args(["-c", code]).output().unwrap();
        assert!(out.status.success(), "python3 link: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    fn receipt(&self) -> serde_json::Value {
        serde_json::from_slice(&fs::read(self.prefix().join(".specgate-receipt.json")).unwrap()).unwrap()
    }

    /// Nothing half-done under the root: no staging folder, and the prefix only with a receipt.
    fn assert_clean(&self) {
        let opt = self.root().join("opt");
        if let Ok(entries) = fs::read_dir(&opt) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                assert!(!name.starts_with(".specgate-staging-"), "staging left behind: {name}");
                if name.starts_with("python-") {
                    assert!(entry.path().join(".specgate-receipt.json").exists(), "{name} has no receipt");
                }
            }
        }
        if let Ok(entries) = fs::read_dir(self.cache()) {
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                assert!(!name.ends_with(".partial"), "unverified partial download left in the cache: {name}");
            }
        }
    }
}

fn served(fixture: &Fixture, artifact: &Path) -> (Server, String) {
    let server = Server::start();
    let name = artifact.file_name().unwrap().to_string_lossy().into_owned();
    server.put(&format!("/d/{name}"), fs::read(artifact).unwrap());
    let sidecar = fs::read(format!("{}.sha256", artifact.display())).unwrap();
    server.put(&format!("/d/{name}.sha256"), sidecar);
    let _ = fixture;
    let url = format!("{}/d/{name}", server.url);
    (server, url)
}

fn sha256_of(artifact: &Path) -> String {
    let sidecar = fs::read_to_string(format!("{}.sha256", artifact.display())).unwrap();
    sidecar.split_whitespace().next().unwrap().to_owned()
}

#[test]
fn installs_from_loopback_http_then_second_run_is_a_no_op() {
    let f = Fixture::new();
    let artifact = f.good();
    let (server, url) = served(&f, &artifact);
    let first = f.install(&url, &[]);
    assert_eq!(first.code, 0, "{first}");
    for phase in ["download:", "extract:", "validate:", "link:", "installed Python"] {
        assert!(first.stderr.contains(phase), "no `{phase}` line:\n{first}");
    }
    assert_eq!(
        f.python3("import sys, ssl, sqlite3, uuid, lzma, bz2; print('%d.%d.%d' % sys.version_info[:3])"),
        f.version
    );
    let receipt = f.receipt();
    assert_eq!(receipt["version"], f.version.as_str());
    assert_eq!(receipt["sha256"], sha256_of(&artifact).as_str());
    assert_eq!(receipt["source"], url.as_str());
    assert_eq!(receipt["build"], 1);
    let ld = fs::read_to_string(f.root().join(format!("etc/ld.so.conf.d/specgate-python-{}.conf", f.version))).unwrap();
    assert_eq!(ld, format!("/opt/python-{}/lib\n", f.version));
    for link in ["python3", "pip3", &format!("python{}", line(&f.version)), &format!("pip{}", line(&f.version))] {
        let target = fs::read_link(f.root().join("usr/local/bin").join(link)).unwrap();
        assert!(target.is_relative() && target.starts_with("../../../opt"), "{link} -> {}", target.display());
    }
    f.assert_clean();

    let hits = server.log().len();
    let second = f.install(&url, &[]);
    assert_eq!(second.code, 0, "{second}");
    assert!(second.stderr.contains("already installed"), "{second}");
    assert_eq!(server.log().len(), hits, "the idempotent run must not touch the network");
    // With the digest given, the same: the receipt answers.
    let third = f.install(&url, &["--sha256", &sha256_of(&artifact)]);
    assert!(third.stderr.contains("already installed"), "{third}");
    assert_eq!(server.log().len(), hits);
}

#[test]
fn wrong_sha256_refuses_without_retry_and_leaves_nothing() {
    let f = Fixture::new();
    let artifact = f.good();
    let (server, url) = served(&f, &artifact);
    let wrong = "0".repeat(64);
    let run = f.install(&url, &["--sha256", &wrong]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("checksum mismatch"), "{run}");
    assert!(run.stderr.contains(&wrong) && run.stderr.contains("from --sha256"), "{run}");
    assert!(run.stderr.contains("hint:") && run.stderr.contains("never retried"), "{run}");
    let path = url.strip_prefix(&server.url).unwrap();
    assert_eq!(server.hits(path), 1, "a hash mismatch is never retried");
    assert!(!f.prefix().exists());
    assert!(!f.root().join("usr/local/bin/python3").exists());
    f.assert_clean();
    // Only the download's lock file may stay (it holds no content).
    let cached: Vec<String> = fs::read_dir(f.cache())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert!(cached.is_empty(), "nothing unverified is cached: {cached:?}");
}

#[test]
fn without_any_expected_digest_install_refuses() {
    let f = Fixture::new();
    let artifact = f.good();
    let server = Server::start();
    let name = artifact.file_name().unwrap().to_string_lossy().into_owned();
    server.put(&format!("/{name}"), fs::read(&artifact).unwrap());
    let run = f.install(&format!("{}/{name}", server.url), &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("no expected SHA-256"), "{run}");
    assert!(run.stderr.contains("BR-002"), "{run}");
    assert_eq!(server.hits(&format!("/{name}")), 0, "the artifact is not even downloaded");
    assert!(!f.prefix().exists());
}

#[test]
fn a_missing_artifact_file_is_reported_as_missing_with_or_without_a_digest() {
    let f = Fixture::new();
    let missing = f.dir("artifacts").join(format!("cpython-{}-debian12-build1.tgz", f.version));
    let url = missing.display().to_string();
    for extra in [&[][..], &["--sha256", &"a".repeat(64)][..]] {
        let run = f.install(&url, extra);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains(&format!("could not open the artifact `{url}`")), "{run}");
        assert!(run.stderr.contains("No such file or directory"), "{run}");
        assert!(!run.stderr.contains("no expected SHA-256"), "{run}");
        assert!(!f.prefix().exists());
    }
}

#[test]
fn digest_from_a_ledger_row() {
    let f = Fixture::new();
    let artifact = f.good();
    let server = Server::start();
    let name = artifact.file_name().unwrap().to_string_lossy().into_owned();
    server.put(&format!("/{name}"), fs::read(&artifact).unwrap());
    let ledger = f.dir("repo").join("ARTIFACTS.md");
    fs::write(
        &ledger,
        format!(
            "# Artefactos\n\n| Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n|---|---|---|---|---|---|---|\n| {} | 1 | debian12 | 2026-11-29 | {} | - | Activo |\n",
            f.version,
            sha256_of(&artifact)
        ),
    )
    .unwrap();
    let run = f.install(&format!("{}/{name}", server.url), &["--ledger", ledger.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("the ledger row"), "{run}");
}

#[test]
fn server_errors_are_retried_then_succeed() {
    let f = Fixture::new();
    let artifact = f.good();
    let (server, url) = served(&f, &artifact);
    let path = url.strip_prefix(&server.url).unwrap().to_owned();
    server.faults(&path, vec![Fault::Status(503), Fault::Status(500)]);
    let run = f.install(&url, &[]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(server.hits(&path), 3);
}

#[test]
fn a_client_error_is_not_retried() {
    let f = Fixture::new();
    let artifact = f.good();
    let (server, url) = served(&f, &artifact);
    let path = url.strip_prefix(&server.url).unwrap().to_owned();
    server.faults(&path, vec![Fault::Status(403), Fault::Status(403)]);
    let run = f.install(&url, &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("HTTP 403"), "{run}");
    assert_eq!(server.hits(&path), 1);
    f.assert_clean();
}

#[test]
fn dropped_connection_resumes_with_a_range_request() {
    let f = Fixture::new();
    // Incompressible content so the artifact is big enough to cut in the middle.
    let artifact = f.artifact(&f.version, 1, WRAPPER, &[("lib/blob.bin", noise(600_000, 1))]);
    let (server, url) = served(&f, &artifact);
    let path = url.strip_prefix(&server.url).unwrap().to_owned();
    server.faults(&path, vec![Fault::DropAfter(200_000)]);
    let run = f.install(&url, &[]);
    assert_eq!(run.code, 0, "{run}");
    let requests: Vec<_> = server.log().into_iter().filter(|l| l.path == path).collect();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert_eq!(requests[0].range, None);
    assert_eq!(requests[1].range.as_deref(), Some("bytes=200000-"), "the second request resumes");
    assert_eq!(f.receipt()["sha256"], sha256_of(&artifact).as_str());
}

#[test]
fn a_resumed_part_under_the_wrong_content_range_is_dropped_and_the_download_starts_over() {
    // The server sends the bytes asked for but labels them as another range: appending them
    // used to end in a checksum mismatch against an intact file.
    let f = Fixture::new();
    let artifact = f.artifact(&f.version, 1, WRAPPER, &[("lib/blob.bin", noise(600_000, 2))]);
    let (server, url) = served(&f, &artifact);
    let path = url.strip_prefix(&server.url).unwrap().to_owned();
    server.faults(&path, vec![Fault::DropAfter(200_000), Fault::MislabeledRange]);
    let run = f.install(&url, &[]);
    assert_eq!(run.code, 0, "{run}");
    let ranges: Vec<_> = server.log().into_iter().filter(|l| l.path == path).map(|l| l.range).collect();
    assert_eq!(ranges, [None, Some("bytes=200000-".to_owned()), None], "the third request starts over");
    assert_eq!(f.receipt()["sha256"], sha256_of(&artifact).as_str());

    // A server that always does it: the error names the range, not the checksum.
    let f = Fixture::new();
    let artifact = f.artifact(&f.version, 1, WRAPPER, &[("lib/blob.bin", noise(600_000, 3))]);
    let (server, url) = served(&f, &artifact);
    let path = url.strip_prefix(&server.url).unwrap().to_owned();
    let mut faults = vec![Fault::DropAfter(200_000)];
    faults.extend(std::iter::repeat_n(Fault::MislabeledRange, 10));
    server.faults(&path, faults);
    let run = f.install(&url, &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("Content-Range: bytes 1-"), "{run}");
    assert!(run.stderr.contains("mishandles byte ranges") && !run.stderr.contains("checksum"), "{run}");
    f.assert_clean();
}

#[test]
fn a_stalled_server_times_out_and_the_retry_succeeds() {
    let f = Fixture::new();
    let artifact = f.good();
    let (server, url) = served(&f, &artifact);
    let path = url.strip_prefix(&server.url).unwrap().to_owned();
    server.faults(&path, vec![Fault::Stall(Duration::from_secs(4))]);
    let run = f.install(&url, &["--read-timeout", "1"]);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(server.hits(&path), 2);
}

#[test]
fn truncated_download_is_a_mismatch_and_nothing_is_installed() {
    let f = Fixture::new();
    let artifact = f.good();
    let server = Server::start();
    let name = artifact.file_name().unwrap().to_string_lossy().into_owned();
    let bytes = fs::read(&artifact).unwrap();
    server.put(&format!("/{name}"), bytes[..bytes.len() / 2].to_vec());
    server.put(&format!("/{name}.sha256"), fs::read(format!("{}.sha256", artifact.display())).unwrap());
    let run = f.install(&format!("{}/{name}", server.url), &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("checksum mismatch"), "{run}");
    assert!(run.stderr.contains(&format!("downloaded {} bytes", bytes.len() / 2)), "{run}");
    assert!(!f.prefix().exists());
    f.assert_clean();
}

#[test]
fn plain_http_to_other_hosts_is_refused() {
    let f = Fixture::new();
    let run = f.install("http://example.com/cpython-3.11.2-debian12-build1.tgz", &["--sha256", &"a".repeat(64)]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("only loopback hosts may use http") && run.stderr.contains("--allow-http"), "{run}");
}

#[test]
fn the_url_must_name_the_requested_version() {
    let f = Fixture::new();
    let run = f.install("/nowhere/cpython-3.9.1-debian12-build1.tgz", &["--sha256", &"a".repeat(64)]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("is for 3.9.1"), "{run}");
}

#[test]
fn a_malicious_archive_is_refused_and_nothing_escapes() {
    let f = Fixture::new();
    let name = format!("cpython-{}-debian12-build1.tgz", f.version);
    let path = f.dir("evil").join(&name);
    {
        let file = fs::File::create(&path).unwrap();
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
        let mut builder = tar::Builder::new(gz);
        let mut header = tar::Header::new_gnu();
        let body = b"owned";
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        header.set_entry_type(tar::EntryType::Regular);
        let evil = format!("opt/python-{}/../../../../escaped.txt", f.version);
        header.as_gnu_mut().unwrap().name[..evil.len()].copy_from_slice(evil.as_bytes());
        header.set_cksum();
        builder.append(&header, &body[..]).unwrap();
        builder.into_inner().unwrap().finish().unwrap();
    }
    let digest = {
        use sha2::Digest as _;
        let bytes = fs::read(&path).unwrap();
        sha2::Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect::<String>()
    };
    let run = f.install(path.to_str().unwrap(), &["--sha256", &digest]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("refused to unpack"), "{run}");
    assert!(!f.ctx.dir.path().join("escaped.txt").exists());
    assert!(!f.root().parent().unwrap().join("escaped.txt").exists());
    assert!(!f.prefix().exists());
    f.assert_clean();
}

#[test]
fn failed_validation_keeps_the_previous_installation() {
    let f = Fixture::new();
    let good = f.good();
    assert_eq!(f.install(good.to_str().unwrap(), &[]).code, 0);
    let before = f.receipt();
    // Build 2 was compiled without liblzma-dev: the interpreter runs but `lzma` does not import.
    let broken = format!(
        "#!/bin/sh\necho 'version {}'\necho \"failed lzma ModuleNotFoundError: No module named '_lzma'\"\n",
        f.version
    );
    let bad = f.artifact(&f.version, 2, &broken, &[]);
    let run = f.install(bad.to_str().unwrap(), &["--force"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("modules do not import") && run.stderr.contains("_lzma"), "{run}");
    assert!(run.stderr.contains("-dev packages"), "{run}");
    assert!(run.stderr.contains("previous installation is untouched"), "{run}");
    assert_eq!(f.receipt(), before, "the installed tree was not modified");
    assert!(f.python3("import lzma; print('ok')") == "ok");
    f.assert_clean();
}

#[test]
fn an_interpreter_that_never_exits_is_stopped_at_probe_timeout_and_the_lock_is_released() {
    let f = Fixture::new();
    // `package` accepts it; before the limit was configurable it held the lock for 120 s.
    let hung = f.artifact(&f.version, 1, "#!/bin/sh\nsleep 1000\n", &[]);
    let good = f.artifact(&f.version, 2, WRAPPER, &[]);
    let started = std::time::Instant::now();
    let first =
        f.install_command(hung.to_str().unwrap(), &["--probe-timeout", "3"]).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // Waits for the lock the first run holds, and gets it once that run gives up.
    let second =
        f.install_command(good.to_str().unwrap(), &["--lock-timeout", "120"]).stderr(Stdio::piped()).spawn().unwrap();
    let first = Run::from(first.wait_with_output().unwrap());
    assert!(started.elapsed() < Duration::from_secs(60), "{:?}", started.elapsed());
    assert_eq!(first.code, 2, "{first}");
    assert!(first.stderr.contains("the interpreter probe"), "{first}");
    assert!(first.stderr.contains("did not finish within 3 s and was stopped"), "{first}");
    assert!(first.stderr.contains("raise `--probe-timeout SECONDS`"), "{first}");
    let second = Run::from(second.wait_with_output().unwrap());
    assert_eq!(second.code, 0, "{second}");
    assert!(second.stderr.contains("installed Python"), "{second}");
    assert!(f.python3("print('ok')") == "ok");
    f.assert_clean();
    // A limit of 0 is refused by the flag itself.
    let zero = f.install(good.to_str().unwrap(), &["--probe-timeout", "0"]);
    assert_eq!(zero.code, 2, "{zero}");
    assert!(zero.stderr.contains("--probe-timeout"), "{zero}");
}

#[test]
fn an_interpreter_needing_a_newer_glibc_is_explained() {
    let f = Fixture::new();
    let script = "#!/bin/sh\necho \"python: /lib/x86_64-linux-gnu/libc.so.6: version \\`GLIBC_2.99' not found (required by python)\" >&2\nexit 1\n";
    let bad = f.artifact(&f.version, 1, script, &[]);
    let run = f.install(bad.to_str().unwrap(), &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("needs GLIBC_2.99 and this system has glibc 2."), "{run}");
    assert!(run.stderr.contains("built for this distro"), "{run}");
    assert!(!f.prefix().exists());
}

#[test]
fn force_replaces_the_tree_and_a_stale_prefix_is_not_installed() {
    let f = Fixture::new();
    // A prefix left by a failed run of another tool: no receipt, so it is stale, not installed.
    fs::create_dir_all(f.prefix().join("bin")).unwrap();
    fs::write(f.prefix().join("bin/leftover"), "x").unwrap();
    let good = f.good();
    let run = f.install(good.to_str().unwrap(), &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("replacing the previous tree"), "{run}");
    assert!(!f.prefix().join("bin/leftover").exists());

    // Another build of the same version (another URL and digest) replaces the tree in one step.
    let build2 = f.artifact(&f.version, 2, WRAPPER, &[("lib/marker", b"2".to_vec())]);
    let run = f.install(build2.to_str().unwrap(), &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("replacing the previous tree"), "{run}");
    assert_eq!(f.receipt()["build"], 2);
    assert!(f.prefix().join("lib/marker").exists());
    // The same artifact again is a no-op unless forced.
    assert!(f.install(build2.to_str().unwrap(), &[]).stderr.contains("already installed"));
    let before = f.receipt()["installed_at"].clone();
    std::thread::sleep(Duration::from_millis(1100));
    let run = f.install(build2.to_str().unwrap(), &["--force"]);
    assert_eq!(run.code, 0, "{run}");
    assert_ne!(f.receipt()["installed_at"], before, "--force reinstalled");
    f.assert_clean();
}

#[test]
fn missing_links_are_repaired_without_reinstalling() {
    let f = Fixture::new();
    let good = f.good();
    let sha = sha256_of(&good);
    assert_eq!(f.install(good.to_str().unwrap(), &[]).code, 0);
    fs::remove_file(f.root().join("usr/local/bin/python3")).unwrap();
    let run = f.install(good.to_str().unwrap(), &["--sha256", &sha]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("links were repaired"), "{run}");
    assert_eq!(f.python3("print(1)"), "1");
}

#[test]
fn a_run_killed_mid_download_is_resumed_by_the_next_run() {
    let f = Fixture::new();
    let artifact = f.artifact(&f.version, 1, WRAPPER, &[("lib/blob.bin", noise(800_000, 2))]);
    let (server, url) = served(&f, &artifact);
    let path = url.strip_prefix(&server.url).unwrap().to_owned();
    // The first answer sends 300 kB and then hangs: the run is killed while it waits.
    server.faults(&path, vec![Fault::HangAfter(300_000, Duration::from_secs(30))]);
    let mut child = f
        .install_command(&url, &["--read-timeout", "60", "--retries", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let partial = f.cache().join(format!("{}.partial", sha256_of(&artifact)));
    for _ in 0..200 {
        if fs::metadata(&partial).is_ok_and(|m| m.len() >= 300_000) {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(fs::metadata(&partial).unwrap().len(), 300_000);
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!f.prefix().exists());
    // A staging folder as a kill during extraction leaves it.
    fs::create_dir_all(f.root().join("opt/.specgate-staging-4242/tree/opt")).unwrap();
    let run = f.install(&url, &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("left by an interrupted install"), "{run}");
    assert!(!f.root().join("opt/.specgate-staging-4242").exists());
    let requests: Vec<_> = server.log().into_iter().filter(|l| l.path == path).collect();
    assert_eq!(requests.last().unwrap().range.as_deref(), Some("bytes=300000-"), "the rerun resumes the download");
    f.assert_clean();
}

#[test]
fn two_concurrent_installs_do_not_interleave() {
    let f = Fixture::new();
    let artifact = f.good();
    let (server, url) = served(&f, &artifact);
    let path = url.strip_prefix(&server.url).unwrap().to_owned();
    // The first download is slow, so the second run waits for the lock.
    server.faults(&path, vec![Fault::Stall(Duration::from_millis(1500))]);
    let first = f.install_command(&url, &[]).stderr(Stdio::piped()).spawn().unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let second = f.install_command(&url, &[]).stderr(Stdio::piped()).spawn().unwrap();
    let first = Run::from(first.wait_with_output().unwrap());
    let second = Run::from(second.wait_with_output().unwrap());
    assert_eq!((first.code, second.code), (0, 0), "{first}\n{second}");
    let outputs = format!("{}{}", first.stderr, second.stderr);
    assert_eq!(outputs.matches("installed Python").count(), 1, "exactly one run installs:\n{outputs}");
    assert!(outputs.contains("already installed"), "{outputs}");
    assert_eq!(server.hits(&path), 1, "the second run waited and found it done");
    f.assert_clean();
}

#[test]
fn list_use_and_uninstall_versions_side_by_side() {
    let f = Fixture::new();
    let good = f.good();
    assert_eq!(f.install(good.to_str().unwrap(), &[]).code, 0);
    // A second version beside it, not made the default.
    let other = "3.99.1";
    let script = format!("#!/bin/sh\necho 'version {other}'\n");
    let art = f.artifact(other, 1, &script, &[]);
    let mut command = f.ctx.specgate();
    command.args(["install", "--version", other, "--url", art.to_str().unwrap(), "--no-default", "--root"]);
    command.arg(f.root()).arg("--cache").arg(f.cache());
    let run = run(&mut command);
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(
        f.python3("import sys; print('%d.%d.%d' % sys.version_info[:3])"),
        f.version,
        "--no-default keeps python3"
    );
    assert!(f.root().join("usr/local/bin/python3.99").exists());

    let root = f.root();
    let list = Run::from(f.ctx.specgate().args(["list", "--root"]).arg(&root).output().unwrap());
    assert_eq!(list.code, 0, "{list}");
    assert!(list.stdout.contains(&format!("* {}", f.version)) && list.stdout.contains(&format!("  {other}")), "{list}");

    let used = Run::from(f.ctx.specgate().args(["use", other, "--root"]).arg(&root).output().unwrap());
    assert_eq!(used.code, 0, "{used}");
    assert!(fs::read_link(root.join("usr/local/bin/python3")).unwrap().to_string_lossy().contains(other));

    let refused = Run::from(f.ctx.specgate().args(["uninstall", other, "--root"]).arg(&root).output().unwrap());
    assert_eq!(refused.code, 2, "{refused}");
    assert!(refused.stderr.contains("active python3") && refused.stderr.contains("specgate use"), "{refused}");

    // Roll back, then remove the other version.
    assert_eq!(Run::from(f.ctx.specgate().args(["use", &f.version, "--root"]).arg(&root).output().unwrap()).code, 0);
    assert_eq!(f.python3("import sys; print('%d.%d.%d' % sys.version_info[:3])"), f.version);
    let removed = Run::from(f.ctx.specgate().args(["uninstall", other, "--root"]).arg(&root).output().unwrap());
    assert_eq!(removed.code, 0, "{removed}");
    assert!(!root.join(format!("opt/python-{other}")).exists());
    assert!(!root.join("usr/local/bin/python3.99").exists());
    f.assert_clean();
}

#[test]
fn a_full_disk_or_a_read_only_root_fails_cleanly() {
    let f = Fixture::new();
    let Some(_mount) = tmpfs(&f.root(), "1m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let big = f.artifact(&f.version, 1, WRAPPER, &[("lib/blob.bin", noise(3_000_000, 3))]);
    let run = f.install(big.to_str().unwrap(), &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("file system is full"), "{run}");
    assert!(!f.prefix().exists());
    f.assert_clean();

    let status = Command::new("mount").args(["-o", "remount,ro"]).arg(f.root()).status().unwrap();
    assert!(status.success());
    let run = f.install(f.good().to_str().unwrap(), &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("read-only"), "{run}");
}

#[test]
fn a_recorded_glibc_newer_than_the_system_is_refused_before_running() {
    let f = Fixture::new();
    // The wrapper would run fine here: the refusal must come from the build's recorded facts.
    let facts = br#"{"schema": 1, "build-os": "ubuntu99.04", "max-glibc": "2.99", "runtime-packages": ["libssl3"]}"#;
    let art = f.artifact(&f.version, 1, WRAPPER, &[(".specgate-build.json", facts.to_vec())]);
    let run = f.install(art.to_str().unwrap(), &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("built on ubuntu99.04 and needs GLIBC_2.99; this system has glibc 2."), "{run}");
    assert!(!f.prefix().exists());
    f.assert_clean();
}

#[test]
fn a_signed_artifact_installs_and_a_bad_signature_is_refused() {
    use crate::publish::GnuPg;
    let f = Fixture::new();
    let artifact = f.good();
    let keys = GnuPg::new(&f.dir("gnupg"));
    let made =
        keys.gpg(&["--passphrase", "", "--quick-gen-key", "Team <team@example.com>", "ed25519", "sign", "never"]);
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let listing = String::from_utf8(keys.gpg(&["--with-colons", "--list-keys", "team@example.com"]).stdout).unwrap();
    let fingerprint = listing.lines().find(|l| l.starts_with("fpr:")).unwrap().split(':').nth(9).unwrap().to_owned();
    let public = f.dir("keys").join("team.asc");
    fs::write(&public, keys.gpg(&["--armor", "--export", "team@example.com"]).stdout).unwrap();
    let signed = keys.gpg(&[
        "--armor",
        "--detach-sign",
        "--output",
        &format!("{}.asc", artifact.display()),
        artifact.to_str().unwrap(),
    ]);
    assert!(signed.status.success(), "{}", String::from_utf8_lossy(&signed.stderr));
    let (server, url) = served(&f, &artifact);
    let name = artifact.file_name().unwrap().to_string_lossy().into_owned();
    let signature = fs::read(format!("{}.asc", artifact.display())).unwrap();
    let args = ["--signing-key", public.to_str().unwrap(), "--signing-fingerprint", &fingerprint];

    // A signature made over other bytes: refused, nothing installed.
    let other = f.dir("other").join("x");
    fs::write(&other, "other bytes").unwrap();
    let wrong = keys.gpg(&["--armor", "--detach-sign", "--output", "-", other.to_str().unwrap()]);
    server.put(&format!("/d/{name}.asc"), wrong.stdout);
    let run = f.install(&url, &args);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("does not verify") && run.stderr.contains("BADSIG"), "{run}");
    assert!(!f.prefix().exists());
    f.assert_clean();

    server.put(&format!("/d/{name}.asc"), signature);
    let run = f.install(&url, &args);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("good signature by"), "{run}");
}

/// An HTTPS file server on 127.0.0.1 (python3's http.server wrapped in its ssl module) whose
/// certificate is issued by a CA made here with the openssl CLI: the web PKI does not know
/// it, as with a proxy that inspects TLS with a private CA.
struct Https {
    server: std::process::Child,
    url: String,
    ca: PathBuf,
}

impl Drop for Https {
    fn drop(&mut self) {
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

fn https_server(pki: &Path, serve: &Path) -> Https {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl").args(args).current_dir(pki).output().expect("run openssl");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    };
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
    openssl(
        &[
            &["req", "-x509"],
            &ec[..],
            &["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=specgate test CA"],
        ]
        .concat(),
    );
    openssl(&[&["req"], &ec[..], &["-keyout", "leaf.key", "-out", "leaf.csr", "-subj", "/CN=127.0.0.1"]].concat());
    fs::write(pki.join("ext"), "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n")
        .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "ext",
    ]);
    let script = "import http.server, ssl, sys\n\
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), http.server.SimpleHTTPRequestHandler)\n\
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)\n\
        context.load_cert_chain(sys.argv[1], sys.argv[2])\n\
        server.socket = context.wrap_socket(server.socket, server_side=True)\n\
        print(server.server_address[1], flush=True)\n\
        server.serve_forever()\n";
    let mut server = Command::new("python3")
        .args(["-c", script])
        .arg(pki.join("leaf.pem"))
        .arg(pki.join("leaf.key"))
        .current_dir(serve)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start python3");
    let mut port = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(server.stdout.take().unwrap()), &mut port).unwrap();
    Https { server, url: format!("https://127.0.0.1:{}", port.trim()), ca: pki.join("ca.pem") }
}

#[test]
fn ssl_cert_file_replaces_the_built_in_roots_for_https() {
    let f = Fixture::new();
    let artifact = f.good();
    let https = https_server(&f.dir("pki"), artifact.parent().unwrap());
    let url = format!("{}/{}", https.url, artifact.file_name().unwrap().to_string_lossy());
    let sha = sha256_of(&artifact);
    let install = |cert_file: Option<&Path>| {
        let mut command = f.install_command(&url, &["--sha256", &sha]);
        command.env_remove("SSL_CERT_FILE");
        if let Some(path) = cert_file {
            command.env("SSL_CERT_FILE", path);
        }
        Run::from(command.output().unwrap())
    };

    // The built-in web PKI roots do not trust the private CA: refused, with the way out named.
    let refused = install(None);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(refused.stderr.contains("could not reach"), "{refused}");
    assert!(refused.stderr.contains("(1 attempts)"), "a certificate failure is not retried: {refused}");
    assert!(refused.stderr.contains("SSL_CERT_FILE"), "{refused}");
    f.assert_clean();
    assert!(!f.prefix().exists());

    // A file that is not a CA bundle is named, before any connection.
    let not_pem = f.dir("pki").join("ext");
    let bad = install(Some(&not_pem));
    assert_eq!(bad.code, 2, "{bad}");
    assert!(bad.stderr.contains("cannot serve as the HTTPS root certificates"), "{bad}");
    assert!(bad.stderr.contains("BEGIN CERTIFICATE"), "{bad}");
    let missing = install(Some(&f.dir("pki").join("nothing.pem")));
    assert!(missing.stderr.contains("cannot be read"), "{missing}");

    // With the CA in SSL_CERT_FILE the download is trusted and the install completes.
    let ok = install(Some(&https.ca));
    assert_eq!(ok.code, 0, "{ok}");
    assert!(f.prefix().join(".specgate-receipt.json").is_file());
    assert_eq!(f.receipt()["source"], serde_json::json!(url));
}

#[test]
fn a_script_whose_interpreter_is_missing_is_refused_and_a_relocatable_one_runs_through_its_link() {
    let f = Fixture::new();
    let line = line(&f.version);
    // pip as ensurepip wrote it before specgate relocated scripts: `bin/python` exists nowhere.
    let bad = artifact_with_pip(&f, 1, &format!("#!/opt/python-{}/bin/python\nprint('pip ok')\n", f.version));
    let refused = f.install(bad.to_str().unwrap(), &[]);
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused.stderr.contains(&format!(
            "`bin/pip{line}` cannot run: its interpreter line names `/opt/python-{}/bin/python`, which the artifact does not contain",
            f.version
        )),
        "{refused}"
    );
    assert!(refused.stderr.contains("rebuild the artifact with `specgate build`"), "{refused}");
    f.assert_clean();

    // The line specgate build writes runs the interpreter beside the script, also through the link.
    let relocatable = format!(
        "#!/bin/sh\n'''exec' \"$(dirname -- \"$(realpath -- \"$0\")\")/python{line}\" \"$0\" \"$@\"\n' '''\nimport sys\nprint('pip ok', sys.argv[1:])\n"
    );
    let good = artifact_with_pip(&f, 2, &relocatable);
    let installed = f.install(good.to_str().unwrap(), &[]);
    assert_eq!(installed.code, 0, "{installed}");
    let out = Command::new(f.root().join("usr/local/bin/pip3")).arg("--version").output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "pip ok ['--version']\n", "{out:?}");
}

/// The good fixture artifact with this content in `bin/pipX.Y` (where the `pip3` link points).
fn artifact_with_pip(f: &Fixture, build: u32, pip: &str) -> PathBuf {
    let pip_name = format!("bin/pip{}", line(&f.version));
    let artifact = f.artifact(&f.version, build, WRAPPER, &[(&pip_name, pip.as_bytes().to_vec())]);
    let stage = f.dir(&format!("stage-{}-{build}", f.version));
    let script = stage.join(format!("opt/python-{}/{pip_name}", f.version));
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    fs::remove_file(&artifact).unwrap();
    let _ = fs::remove_file(artifact.with_extension("tgz.sha256"));
    let packed = run(f
        .ctx
        .specgate()
        .args(["package"])
        .arg(&stage)
        .args(["--version", &f.version, "--distro", "debian12", "--build", &build.to_string(), "--no-ledger", "--out"])
        .arg(artifact.parent().unwrap()));
    assert_eq!(packed.code, 0, "{packed}");
    artifact
}

#[test]
fn a_full_disk_while_writing_the_ld_conf_entry_is_said_and_the_next_run_repairs_it() {
    let f = Fixture::new();
    let etc = f.root().join("etc");
    let Some(_mount) = tmpfs(&etc, "64k") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    // Fill the file system that holds etc/ld.so.conf.d/.
    let filler = etc.join("filler");
    let _ = fs::write(&filler, vec![7u8; 1 << 20]);
    let good = f.good();
    let run = f.install(good.to_str().unwrap(), &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("is in place at") && run.stderr.contains("ld.so.conf.d entry could not be written"),
        "{run}"
    );
    assert!(run.stderr.contains("run the same command again"), "{run}");
    assert!(!run.stderr.contains("nothing was installed"), "{run}");
    // Still full: the rerun does not claim "already installed".
    let again = f.install(good.to_str().unwrap(), &[]);
    assert_eq!(again.code, 2, "{again}");
    assert!(!again.stderr.contains("already installed"), "{again}");
    // With room again, the rerun writes the entry and downloads nothing.
    fs::remove_file(&filler).unwrap();
    let repaired = f.install(good.to_str().unwrap(), &[]);
    assert_eq!(repaired.code, 0, "{repaired}");
    let entry = fs::read_to_string(etc.join(format!("ld.so.conf.d/specgate-python-{}.conf", f.version))).unwrap();
    assert_eq!(entry, format!("/opt/python-{}/lib\n", f.version));
    let last = f.install(good.to_str().unwrap(), &[]);
    assert_eq!(last.code, 0, "{last}");
    assert!(last.stderr.contains("already installed"), "{last}");
}

#[test]
fn concurrent_installs_into_different_roots_share_one_intact_cache_file() {
    let f = Fixture::new();
    // A big enough artifact that the downloads overlap.
    let artifact = f.artifact(&f.version, 1, WRAPPER, &[("lib/blob.bin", noise(4_000_000, 11))]);
    let sha = sha256_of(&artifact);
    let (server, url) = served(&f, &artifact);
    let path = url.strip_prefix(&server.url).unwrap().to_owned();
    for (round, runs) in (0..10).map(|r| (r, 2)).chain((10..20).map(|r| (r, 4))) {
        let cache = f.dir(&format!("shared-cache-{round}"));
        let children: Vec<_> = (0..runs)
            .map(|i| {
                let mut command = f.ctx.specgate();
                command
                    .args(["install", "--version", &f.version, "--url", &url, "--root"])
                    .arg(f.dir(&format!("root-{round}-{i}")))
                    .arg("--cache")
                    .arg(&cache)
                    .args(["--progress", "lines"])
                    .stderr(Stdio::piped());
                command.spawn().unwrap()
            })
            .collect();
        for child in children {
            let run = Run::from(child.wait_with_output().unwrap());
            assert_eq!(run.code, 0, "round {round}: {run}");
        }
        let mut names: Vec<String> =
            fs::read_dir(&cache).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
        names.sort();
        assert_eq!(names, [sha.clone(), format!("{sha}.lock")], "round {round}");
        let hashed = Command::new("sha256sum").arg(cache.join(&sha)).output().unwrap();
        assert_eq!(String::from_utf8_lossy(&hashed.stdout)[..64], sha, "round {round}: the cached file is intact");
        for i in 0..runs {
            let receipt =
                f.dir(&format!("root-{round}-{i}")).join(format!("opt/python-{}/.specgate-receipt.json", f.version));
            assert!(receipt.is_file(), "round {round}: root {i} has no receipt");
        }
    }
    // One download per round: the runs that waited took the finished file.
    assert_eq!(server.hits(&path), 20, "{:?}", server.log().len());
}

#[test]
fn a_download_into_a_full_cache_leaves_no_partial_file() {
    let f = Fixture::new();
    let cache = f.cache();
    let Some(_mount) = tmpfs(&cache, "1m") else {
        eprintln!("skipped: mounting a tmpfs needs root");
        return;
    };
    let big = f.artifact(&f.version, 1, WRAPPER, &[("lib/blob.bin", noise(3_000_000, 5))]);
    let (_server, url) = served(&f, &big);
    let run = f.install(&url, &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.to_lowercase().contains("no space left") || run.stderr.contains("full"), "{run}");
    let left: Vec<String> =
        fs::read_dir(&cache).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert!(!left.iter().any(|n| n.ends_with(".partial")), "{left:?}");
}

/// `specgate install --version V --index INDEX` into the fixture's root.
fn install_from_index(f: &Fixture, version: &str, index: &serde_json::Value) -> Run {
    let path = f.dir("feature").join("artifacts.json");
    fs::write(&path, serde_json::to_vec_pretty(index).unwrap()).unwrap();
    let mut command = f.ctx.specgate();
    command
        .args(["install", "--version", version, "--index"])
        .arg(&path)
        .arg("--root")
        .arg(f.root())
        .arg("--cache")
        .arg(f.cache())
        .args(["--progress", "lines"]);
    command.output().map(Run::from).unwrap()
}

fn index_of(rows: &[(&str, u32, &str, &str, &str)]) -> serde_json::Value {
    let rows: Vec<_> = rows
        .iter()
        .map(|(version, build, distro, sha256, url)| {
            serde_json::json!({"version": version, "build": build, "distro": distro, "sha256": sha256, "url": url})
        })
        .collect();
    serde_json::json!({"schema": 1, "artifacts": rows})
}

#[test]
fn version_alone_installs_the_newest_published_build_for_the_roots_distro_from_the_index() {
    let f = Fixture::new();
    let artifact = f.good();
    let name = artifact.file_name().unwrap().to_string_lossy().into_owned();
    let distro = specgate::shared::artifact::ArtifactName::parse(&name).unwrap().distro;
    let (id, version_id) = distro.split_at(distro.find(|c: char| c.is_ascii_digit()).unwrap());
    let (_server, url) = served(&f, &artifact);
    let sha = sha256_of(&artifact);
    let version = f.version.clone();

    // No os-release under the root: the distro cannot be told.
    let index = index_of(&[(&version, 1, &distro, &sha, &url)]);
    let unknown = install_from_index(&f, &version, &index);
    assert_eq!(unknown.code, 2, "{unknown}");
    assert!(unknown.stderr.contains("cannot tell which distro this image is"), "{unknown}");

    fs::create_dir_all(f.root().join("etc")).unwrap();
    fs::write(f.root().join("etc/os-release"), format!("ID={id}\nVERSION_ID=\"{version_id}\"\n")).unwrap();

    // A version the index lacks, a distro it lacks, a row not yet published: each says what there is.
    let missing = install_from_index(&f, "3.99.1", &index);
    assert_eq!(missing.code, 2, "{missing}");
    assert!(missing.stderr.contains(&format!("no Activo build of Python 3.99.1; it has {version}")), "{missing}");
    let other = install_from_index(&f, &version, &index_of(&[(&version, 1, "ubuntu20.04", &sha, &url)]));
    assert_eq!(other.code, 2, "{other}");
    assert!(other.stderr.contains(&format!("for ubuntu20.04, not for this image's distro `{distro}`")), "{other}");
    let unpublished = install_from_index(&f, &version, &index_of(&[(&version, 1, &distro, &sha, "-")]));
    assert!(unpublished.stderr.contains("not published yet"), "{unpublished}");

    // A tampered artifact (the index's digest is the ledger's; the server has other bytes): BR-002.
    let other_sha = "0".repeat(64);
    let tampered = install_from_index(&f, &version, &index_of(&[(&version, 1, &distro, &other_sha, &url)]));
    assert_eq!(tampered.code, 2, "{tampered}");
    assert!(
        tampered.stderr.contains("checksum mismatch") && tampered.stderr.contains("the Feature's index"),
        "{tampered}"
    );
    assert!(!f.prefix().exists(), "nothing installed:\n{tampered}");
    f.assert_clean();

    // The newest published build wins; build 2 without a URL does not hide build 1.
    let index = index_of(&[
        (&version, 2, &distro, &sha, "-"),
        (&version, 1, &distro, &sha, &url),
        ("3.99.1", 1, &distro, &sha, &url),
    ]);
    let installed = install_from_index(&f, &version, &index);
    assert_eq!(installed.code, 0, "{installed}");
    assert!(installed.stderr.contains(&format!("index: Python {version} build 1 for {distro}")), "{installed}");
    assert_eq!(f.receipt()["sha256"], sha.as_str());
}
