//! `specgate package`, `ledger add|prune` and `check ledger [--remote]` on a real repository,
//! with a real HTTP server on 127.0.0.1 for the remote check.

use std::fs;

use crate::artifact::{make_stage, run, scratch};
use crate::common::{Run, TestContext};
use crate::httpserver::{Fault, Server};

fn read(ctx: &TestContext, path: &str) -> String {
    fs::read_to_string(ctx.path(path)).expect("file is readable")
}

const NAME: &str = "cpython-3.12.6-debian12-build1.tgz";

/// A repository with one packaged artifact and its ledger row.
fn packaged() -> TestContext {
    let ctx = TestContext::new();
    let stage = make_stage(&scratch(&ctx), "3.12.6");
    let made = run(ctx.specgate().arg("package").arg(&stage).args([
        "--version",
        "3.12.6",
        "--distro",
        "debian12",
        "--build",
        "1",
    ]));
    assert_eq!(made.code, 0, "{}", made.stderr);
    assert!(made.stderr.contains("added 3.12.6 build 1 for debian12 to `artifacts/ARTIFACTS.md`"), "{}", made.stderr);
    ctx
}

fn check_ledger(ctx: &TestContext, extra: &[&str]) -> Run {
    run(ctx.specgate().args(["check", "ledger"]).args(extra))
}

fn sha_of(ctx: &TestContext, file: &str) -> String {
    fs::read_to_string(ctx.path(&format!("artifacts/{file}.sha256"))).unwrap()[..64].to_owned()
}

// spec[verify SPEC_INFRA_001#CA-008]
#[test]
fn packaged_artifact_passes_and_a_changed_file_is_caught() {
    let ctx = packaged();
    let ledger = read(&ctx, "artifacts/ARTIFACTS.md");
    assert!(ledger.contains("| 3.12.6 | 1 | debian12 | "), "{ledger}");
    assert!(ledger.contains(&format!("| {} | - | Activo |", sha_of(&ctx, NAME))), "{ledger}");
    let ok = check_ledger(&ctx, &[]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);

    // The bare `check` runs the ledger rules too.
    let mut bytes = fs::read(ctx.path(&format!("artifacts/{NAME}"))).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(ctx.path(&format!("artifacts/{NAME}")), bytes).unwrap();
    for args in [&["check", "ledger"][..], &["check"][..]] {
        let bad = run(ctx.specgate().args(args));
        assert_eq!(bad.code, 1, "{}", bad.stderr);
        assert!(bad.stderr.contains("artifacts/ARTIFACTS.md:5:"), "{}", bad.stderr);
        assert!(bad.stderr.contains("error[ledger-sha256-mismatch]"), "{}", bad.stderr);
        assert!(bad.stderr.contains("error[artifact-sidecar-mismatch]"), "{}", bad.stderr);
    }
}

#[test]
fn package_refuses_a_build_already_recorded() {
    let ctx = packaged();
    let stage = scratch(&ctx).join("stage");
    let again = run(ctx.specgate().arg("package").arg(&stage).args([
        "--version",
        "3.12.6",
        "--distro",
        "debian12",
        "--build",
        "1",
    ]));
    assert_eq!(again.code, 2);
    assert!(again.stderr.contains("already records 3.12.6 build 1 for debian12"), "{}", again.stderr);
    assert!(again.stderr.contains("--build 2"), "{}", again.stderr);
}

#[test]
fn ledger_add_uses_the_sidecar_and_refuses_a_mismatch() {
    let ctx = packaged();
    // Same file again: nothing to do, file unchanged.
    let before = read(&ctx, "artifacts/ARTIFACTS.md");
    let again = run(ctx.specgate().args(["ledger", "add", &format!("artifacts/{NAME}")]));
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stderr.contains("nothing to do"), "{}", again.stderr);
    assert_eq!(read(&ctx, "artifacts/ARTIFACTS.md"), before);

    // A copy under the next build number with a sidecar for a different file name.
    let build2 = "cpython-3.12.6-debian12-build2.tgz";
    fs::copy(ctx.path(&format!("artifacts/{NAME}")), ctx.path(&format!("artifacts/{build2}"))).unwrap();
    fs::copy(ctx.path(&format!("artifacts/{NAME}.sha256")), ctx.path(&format!("artifacts/{build2}.sha256"))).unwrap();
    let wrong_name = run(ctx.specgate().args(["ledger", "add", &format!("artifacts/{build2}")]));
    assert_eq!(wrong_name.code, 2);
    assert!(wrong_name.stderr.contains(&format!("it is for `{NAME}`, not for `{build2}`")), "{}", wrong_name.stderr);
    let check = check_ledger(&ctx, &[]);
    assert!(check.stderr.contains("error[artifact-sidecar-invalid]"), "{}", check.stderr);
    assert!(check.stderr.contains("error[artifact-unlisted]"), "{}", check.stderr);

    // A sidecar with the right name and the wrong digest.
    let zeros = "0".repeat(64);
    fs::write(ctx.path(&format!("artifacts/{build2}.sha256")), format!("{zeros}  {build2}\n")).unwrap();
    let mismatch = run(ctx.specgate().args(["ledger", "add", &format!("artifacts/{build2}")]));
    assert_eq!(mismatch.code, 2);
    assert!(mismatch.stderr.contains("checksum mismatch"), "{}", mismatch.stderr);
    assert_eq!(read(&ctx, "artifacts/ARTIFACTS.md"), before);

    // Fixed sidecar: the row is added first under the header, every other byte kept.
    let good = format!("{}  {build2}\n", sha_of(&ctx, NAME));
    fs::write(ctx.path(&format!("artifacts/{build2}.sha256")), good).unwrap();
    let added = run(ctx.specgate().args([
        "ledger",
        "add",
        &format!("artifacts/{build2}"),
        "--url",
        "https://example.org/r/b2.tgz",
        "--date",
        "2026-01-31",
    ]));
    assert_eq!(added.code, 0, "{}", added.stderr);
    let after = read(&ctx, "artifacts/ARTIFACTS.md");
    let row = format!(
        "| 3.12.6 | 2 | debian12 | 2026-01-31 | {} | https://example.org/r/b2.tgz | Activo |\n",
        sha_of(&ctx, NAME)
    );
    assert_eq!(after.replacen(&row, "", 1), before);
}

#[test]
fn malformed_ledgers_point_at_line_and_column() {
    let ctx = TestContext::new();
    let sha = "ab".repeat(32);
    ctx.write(
        "artifacts/ARTIFACTS.md",
        format!(
            "# Artefactos\n\n| Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n|---|---|---|---|---|---|---|\n\
             | 3.12.6 | 1 | debian12 | 2025-11-06 | {} | https://example.org/a.tgz | Activo |\n\
             | 3.12.5 | 1 | debian12 | 2025-11-06 | {sha} | Activo |\n\
             | 3.12.4 | 1 | debian12 | 2025-11-06 | {sha} | https://example.org/c.tgz | Activo |\n\
             | 3.12.4 | 1 | debian12 | 2025-11-07 | {sha} | https://example.org/d.tgz | Deprecado |\n",
            &sha[..63]
        ),
    );
    ctx.write("artifacts/cpython-3.12-debian12-build1.tgz", "not an artifact");
    let result = check_ledger(&ctx, &[]);
    assert_eq!(result.code, 1);
    let err = &result.stderr;
    assert!(
        err.contains(
            "artifacts/ARTIFACTS.md:5:40: error[ledger-invalid-field]: `SHA256` has 63 hex characters instead of 64"
        ),
        "{err}"
    );
    assert!(
        err.contains(
            "artifacts/ARTIFACTS.md:6:1: error[ledger-row-columns]: the row has 6 cells; the table has 7 columns"
        ),
        "{err}"
    );
    assert!(err.contains("artifacts/ARTIFACTS.md:8:1: error[ledger-duplicate]: 3.12.4 build 1 for debian12 is already recorded at line 7"), "{err}");
    assert!(
        err.contains("error[artifact-bad-name]: `cpython-3.12-debian12-build1.tgz` is not an artifact name"),
        "{err}"
    );
    assert!(err.contains("expected cpython-<X.Y.Z>-<distro><version>-build<N>.tgz"), "{err}");

    // A header with a missing column.
    ctx.write(
        "artifacts/ARTIFACTS.md",
        "| Versión | Build | Distro | Fecha | SHA256 | Estado |\n|---|---|---|---|---|---|\n",
    );
    fs::remove_file(ctx.path("artifacts/cpython-3.12-debian12-build1.tgz")).unwrap();
    let result = check_ledger(&ctx, &[]);
    assert_eq!(result.code, 1);
    assert!(
        result.stderr.contains(
            "artifacts/ARTIFACTS.md:1:1: error[ledger-header]: the header has 6 columns, missing `URL Release`"
        ),
        "{}",
        result.stderr
    );

    // No ledger at all is fine while there are no artifacts.
    fs::remove_file(ctx.path("artifacts/ARTIFACTS.md")).unwrap();
    assert_eq!(check_ledger(&ctx, &[]).code, 0);
}

#[test]
fn missing_license_is_a_finding() {
    let ctx = TestContext::new();
    // A well-formed tarball without the LICENSE, as another tool might make it.
    let path = ctx.path("artifacts/cpython-3.12.6-debian12-build1.tgz");
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    let file = fs::File::create(&path).unwrap();
    let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    let mut header = tar::Header::new_gnu();
    header.set_size(3);
    header.set_mode(0o755);
    builder.append_data(&mut header, "opt/python-3.12.6/bin/python3", &b"#!x"[..]).unwrap();
    builder.into_inner().unwrap().finish().unwrap();
    let added = run(ctx.specgate().args(["ledger", "add", "artifacts/cpython-3.12.6-debian12-build1.tgz"]));
    assert_eq!(added.code, 2, "no sidecar yet: {}", added.stderr);
    let output = std::process::Command::new("sha256sum")
        .arg("cpython-3.12.6-debian12-build1.tgz")
        .current_dir(ctx.path("artifacts"))
        .output()
        .unwrap();
    fs::write(ctx.path("artifacts/cpython-3.12.6-debian12-build1.tgz.sha256"), output.stdout).unwrap();
    let added = run(ctx.specgate().args(["ledger", "add", "artifacts/cpython-3.12.6-debian12-build1.tgz"]));
    assert_eq!(added.code, 0, "{}", added.stderr);
    let result = check_ledger(&ctx, &[]);
    assert_eq!(result.code, 1);
    assert!(
        result
            .stderr
            .contains("error[artifact-license-missing]: the tarball has no `opt/python-3.12.6/LICENSE` (BR-003)"),
        "{}",
        result.stderr
    );
}

#[test]
fn prune_deprecates_older_builds_byte_stable_and_lists_removable_files() {
    let ctx = TestContext::new();
    let stage = make_stage(&scratch(&ctx), "3.12.6");
    for build in 1..=4 {
        let made = run(ctx.specgate().arg("package").arg(&stage).args([
            "--version",
            "3.12.6",
            "--distro",
            "debian12",
            "--build",
            &build.to_string(),
        ]));
        assert_eq!(made.code, 0, "{}", made.stderr);
        if build == 4 {
            assert!(made.stderr.contains("ledger prune --keep 3"), "{}", made.stderr);
        }
    }
    // Turn the ledger into CRLF with text around the table: edits must keep both.
    let lf = read(&ctx, "artifacts/ARTIFACTS.md");
    let crlf = format!("Intro text.\r\n\r\n{}\r\nAfter the table.\r\n", lf.replace('\n', "\r\n").trim_end());
    ctx.write("artifacts/ARTIFACTS.md", &crlf);
    let before = check_ledger(&ctx, &[]);
    assert_eq!(before.code, 1);
    assert!(before.stderr.contains("error[ledger-too-many-active]: 3.12.6 build 1 is Activo"), "{}", before.stderr);

    let pruned = run(ctx.specgate().args(["ledger", "prune", "--keep", "3"]));
    assert_eq!(pruned.code, 0, "{}", pruned.stderr);
    assert!(pruned.stderr.contains("3.12.6 build 1 for debian12 is now Deprecado"), "{}", pruned.stderr);
    assert_eq!(
        pruned.stdout,
        "artifacts/cpython-3.12.6-debian12-build1.tgz\nartifacts/cpython-3.12.6-debian12-build1.tgz.sha256\n"
    );
    let after = read(&ctx, "artifacts/ARTIFACTS.md");
    assert_eq!(after.replacen("| Deprecado |", "| Activo |", 1), crlf, "only the status cell changed");
    assert!(after.ends_with("\r\nAfter the table.\r\n"));
    assert_eq!(check_ledger(&ctx, &[]).code, 0);
}

// ---------------------------------------------------------------- remote

#[test]
fn remote_check_retries_server_errors_and_catches_a_wrong_file() {
    let ctx = packaged();
    let artifact = fs::read(ctx.path(&format!("artifacts/{NAME}"))).unwrap();
    let server = Server::start();
    server.put("/flaky.tgz", artifact.clone());
    server.faults("/flaky.tgz", vec![Fault::Status(500)]);
    server.put("/dropped.tgz", artifact.clone());
    server.faults("/dropped.tgz", vec![Fault::DropAfter(artifact.len() / 2)]);
    server.put("/wrong.tgz", b"something else entirely".to_vec());

    // Activo rows: one served after a 500, one cut short once, one serving other bytes, one
    // missing; a Retirado row that is never fetched.
    let sha = sha_of(&ctx, NAME);
    let ledger = read(&ctx, "artifacts/ARTIFACTS.md");
    let ledger = ledger.replace("| - | Activo |", &format!("| {}/flaky.tgz | Activo |", server.url));
    let extra = format!(
        "| 3.11.9 | 1 | debian12 | 2025-01-01 | {sha} | {url}/wrong.tgz | Activo |\n| 3.10.14 | 1 | debian12 | 2025-01-01 | {sha} | {url}/missing.tgz | Activo |\n| 3.9.19 | 1 | debian12 | 2025-01-01 | {sha} | {url}/never-fetched.tgz | Retirado |\n| 3.8.20 | 1 | debian12 | 2025-01-01 | {sha} | {url}/dropped.tgz | Activo |\n",
        url = server.url
    );
    ctx.write("artifacts/ARTIFACTS.md", format!("{ledger}{extra}"));

    let local = check_ledger(&ctx, &[]);
    assert_eq!(local.code, 0, "without --remote nothing is downloaded: {}", local.stderr);
    assert!(server.log().is_empty());

    let remote = check_ledger(&ctx, &["--remote"]);
    assert_eq!(remote.code, 1, "{}", remote.stderr);
    let err = &remote.stderr;
    assert!(
        err.contains("artifacts/ARTIFACTS.md:6:")
            && err.contains("error[ledger-remote-mismatch]: the file at this URL (23 bytes)"),
        "{err}"
    );
    assert!(err.contains("artifacts/ARTIFACTS.md:7:") && err.contains("error[ledger-remote-unreachable]"), "{err}");
    assert!(err.contains("answered HTTP 404"), "{err}");
    assert!(!err.contains("flaky.tgz"), "the 500 was retried and then matched: {err}");
    assert_eq!(server.hits("/flaky.tgz"), 2, "one 500, then the 200");
    assert_eq!(server.hits("/missing.tgz"), 1, "a 404 is not retried");
    assert_eq!(server.hits("/dropped.tgz"), 2, "a body cut short is downloaded again");
    assert!(!err.contains("dropped.tgz"), "{err}");
    assert_eq!(server.hits("/never-fetched.tgz"), 0, "only Activo rows are fetched");
}

#[test]
fn a_ledger_that_is_a_fifo_or_a_link_to_a_device_is_refused_at_once() {
    let ctx = packaged();
    let ledger = ctx.path("artifacts/ARTIFACTS.md");
    fs::remove_file(&ledger).unwrap();
    // A FIFO nobody writes to: reading it would block for ever.
    assert!(std::process::Command::new("mkfifo").arg(&ledger).status().unwrap().success());
    let checked = ctx.run_bounded(&["check", "ledger"]);
    assert_eq!(checked.code, 1, "{checked}");
    assert!(checked.stderr.contains("ledger-unreadable") && checked.stderr.contains("FIFO"), "{checked}");
    let added = ctx.run_bounded(&["ledger", "add", &format!("artifacts/{NAME}")]);
    assert_eq!(added.code, 2, "{added}");
    assert!(added.stderr.contains("not a regular file"), "{added}");
    // A link to /dev/zero: an endless read (it used to take 13 GB before running out of memory).
    fs::remove_file(&ledger).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &ledger).unwrap();
    let checked = ctx.run_bounded(&["check", "ledger"]);
    assert_eq!(checked.code, 1, "{checked}");
    assert!(checked.stderr.contains("not a regular file"), "{checked}");
}

#[test]
fn a_sidecar_that_is_a_fifo_or_too_large_is_refused_at_once() {
    let ctx = packaged();
    let sidecar = format!("artifacts/{NAME}.sha256");
    let line = read(&ctx, &sidecar);
    // A FIFO nobody writes to: `check ledger` and `install` used to wait on it for ever.
    ctx.mkfifo(&sidecar);
    let checked = ctx.run_bounded(&["check", "ledger"]);
    assert_eq!(checked.code, 1, "{checked}");
    assert!(checked.stderr.contains("error[artifact-sidecar-invalid]: the sidecar could not be read"), "{checked}");
    assert!(checked.stderr.contains("FIFO"), "{checked}");
    let root = ctx.dir.path().join("root");
    let installed = ctx.run_bounded(&[
        "install",
        "--version",
        "3.12.6",
        "--url",
        &format!("artifacts/{NAME}"),
        "--root",
        root.to_str().unwrap(),
        "--cache",
        ctx.dir.path().join("cache").to_str().unwrap(),
    ]);
    assert_eq!(installed.code, 2, "{installed}");
    assert!(installed.stderr.contains("could not read the sidecar"), "{installed}");
    assert!(installed.stderr.contains("not a regular file"), "{installed}");
    // Larger than any one-line sidecar: refused, not read into memory.
    fs::remove_file(ctx.path(&sidecar)).unwrap();
    ctx.write(&sidecar, format!("{line}{}", " ".repeat(100_000)));
    let checked = ctx.run_bounded(&["check", "ledger"]);
    assert_eq!(checked.code, 1, "{checked}");
    assert!(checked.stderr.contains("over the limit of 65536 bytes"), "{checked}");
}

#[test]
fn a_spec_linked_to_a_device_is_a_finding_not_an_endless_read() {
    let ctx = TestContext::new();
    ctx.write("README.md", "x\n");
    ctx.commit("start");
    fs::create_dir_all(ctx.path("specs")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", ctx.path("specs/SPEC_ZERO_001.md")).unwrap();
    let checked = ctx.run_bounded(&["check", "spec"]);
    assert_eq!(checked.code, 1, "{checked}");
    assert!(checked.stderr.contains("spec-unreadable") && checked.stderr.contains("not a regular file"), "{checked}");
}
