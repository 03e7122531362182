//! The journey (ignored, end to end): the whole pipeline on real inputs in one test, in the
//! order the team walks it. CPython 3.11.2 compiled by `specgate build` into a fresh repository
//! that has the project's own specgate.toml and ledger; the project's wheelhouse (six, PyYAML,
//! docopt from PyPI) built with that artifact's interpreter, with its own ledger row; `check
//! ledger`; `publish` of both to a loopback GitHub (tests/it/github_fake.rs) and to a mirror
//! folder; a real Dev Container built by the devcontainers CLI with the Feature pointed at the
//! served mirror and at the SHA-256s of the ledger rows, with pip's index variables pointing at
//! a closed port; the wheelhouse's packages imported in the image; the interpreter used inside the image (pip3, a wheel, a venv, every program in
//! bin/, the BR-007 modules, a debugger attach); the Feature run again (nothing downloaded,
//! nothing changed); UC-3 (3.13.5 installed beside 3.11.2, `use` and the rollback); retention
//! (BR-005) over four builds of 3.11.2.
//!
//! The compiles share /var/tmp/specgate-e2e/build-cache with the other end-to-end tests, so only
//! the first run of the machine compiles.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest as _, Sha256};

use crate::build::{cpython_source, os_tag, repo_with_project_config};
use crate::common::{run, Run, TestContext};
use crate::feature::{copy_feature, debug_in_the_image, devcontainer_build, podman, project, sha256_of, Images};
use crate::github_fake::FakeGitHub;
use crate::httpserver::Server;

const OLD: &str = "3.11.2";
const NEW: &str = "3.13.5";
const GITHUB_REPO: &str = "acme/cpython-builds";
const TOKEN: &str = "sg-journey-token-7313";
const BUILD_CACHE: &str = "/var/tmp/specgate-e2e/build-cache";
const LEDGER: &str = "artifacts/ARTIFACTS.md";
/// The wheelhouse's NAME and what it holds: a pure-Python wheel (six), a wheel with a C
/// extension (PyYAML) and a package PyPI has only as an sdist (docopt), built into a wheel.
const WHEELHOUSE: &str = "journey";
const REQUIREMENTS: &str = "six\nPyYAML\ndocopt\n";
/// Where pip's index variables point in the image: a closed port, so no index is reachable.
const NO_INDEX: &str = "http://127.0.0.1:9/simple/";
const REPO_ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// One row of ARTIFACTS.md, as written.
#[derive(Debug, Clone)]
struct Row {
    version: String,
    build: u32,
    distro: String,
    sha256: String,
    url: String,
    status: String,
}

/// Everything the steps share: the repository, the two servers, the mirror, a scratch folder.
struct Journey {
    ctx: TestContext,
    distro: String,
    fake: FakeGitHub,
    server: Server,
    mirror: PathBuf,
    work: tempfile::TempDir,
    /// In-image checks that failed; they do not stop the later steps, the test fails at the end.
    failed: Vec<String>,
}

// spec[verify SPEC_INFRA_001#CA-001]
// spec[verify SPEC_INFRA_001#CA-002]
// spec[verify SPEC_INFRA_001#CA-004]
// spec[verify SPEC_INFRA_001#CA-008]
// spec[verify SPEC_INFRA_001#CA-010]
#[test]
#[ignore = "end-to-end: compiles CPython 3.11.2 and 3.13.5, publishes, builds a real Dev Container with podman (minutes)"]
fn the_journey_from_source_to_a_dev_container_and_an_update() {
    let work = tempfile::Builder::new().prefix("specgate-e2e-journey").tempdir().expect("temp dir");
    let tag = format!("{}-{}", std::process::id(), work.path().file_name().and_then(|n| n.to_str()).unwrap_or("x"))
        .to_ascii_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "-");
    let image = format!("localhost/specgate-e2e-journey:{tag}");
    let _cleanup = Images(vec![image.clone()]);
    let mirror = work.path().join("mirror");
    let mut journey = Journey {
        ctx: fresh_repository(),
        distro: os_tag(),
        fake: FakeGitHub::start(GITHUB_REPO, TOKEN),
        server: Server::start(),
        mirror,
        work,
        failed: Vec::new(),
    };

    // 1. UC-1: compile 3.11.2; the artifact, its sidecar and its ledger row.
    step(1, "build CPython 3.11.2 (build 1) with its ledger row");
    let old_source = cpython_source("3.11");
    let (old, _) = build(&journey, OLD, &old_source, 1);
    // 1b. Phase 4: the project's dependencies, built once with that artifact's interpreter.
    step(1, "wheelhouse build with the interpreter of the 3.11.2 artifact (six, PyYAML, docopt from PyPI)");
    let wheelhouse = build_the_wheelhouse(&journey, &old);
    // 2. CA-008: the ledger tells the truth about the artifacts folder, the wheelhouse included.
    step(2, "check ledger");
    let checked = check_ledger(&journey.ctx);
    assert_eq!(checked.code, 0, "`specgate check ledger` after the first build failed:\n{checked}");
    // 3. CA-010: the release and the mirror get the tarball, its sidecar and the LICENSE.
    step(3, "publish 3.11.2 and the wheelhouse to the fake GitHub and the mirror");
    publish_everywhere(&journey, &old, OLD, 1);
    publish_the_wheelhouse(&journey, &wheelhouse);
    // 4. CA-002: a Dev Container with the Feature, the artifact taken from the served mirror,
    // and the wheelhouse installed with no package index reachable.
    step(4, "devcontainer build with the Feature: CPython and the wheelhouse from the served mirror, no index");
    let old_row = ledger_row(&journey.ctx, OLD, 1);
    let old_url = serve_mirror(&journey, &old);
    let wheelhouse_url = serve_mirror(&journey, &wheelhouse);
    let wheelhouse_sha256 = wheelhouse_row(&journey, &wheelhouse).sha256;
    build_the_image(&journey, &image, &old_url, &old_row.sha256, (&wheelhouse_url, &wheelhouse_sha256));
    // 5. The interpreter is usable for development inside the image.
    step(5, "use the interpreter and the wheelhouse's packages inside the image");
    use_the_interpreter(&mut journey, &image);
    use_the_wheelhouse(&mut journey, &image);
    debug_in_the_image(&image, journey.work.path());
    // 6. CA-004: the Feature run again downloads nothing and changes nothing.
    step(6, "run the Feature again in the image");
    rerun_the_feature(&journey, &image, &old_url, &old_row.sha256, (&wheelhouse_url, &wheelhouse_sha256));
    // 7. UC-3: 3.13.5 built, published and installed beside 3.11.2; `use` and rollback.
    step(7, "UC-3: build, publish and install 3.13.5 beside 3.11.2");
    update_python(&journey, &image);
    // 8. BR-005: three more builds of 3.11.2; pruning retires exactly the oldest.
    step(8, "BR-005: builds 2 to 4 of 3.11.2, then ledger prune --keep 3");
    retention(&journey, &old_source);

    assert!(
        journey.failed.is_empty(),
        "{} check(s) inside the image failed:\n\n{}",
        journey.failed.len(),
        journey.failed.join("\n\n")
    );
}

/// Say which step runs (with `--nocapture`, the journey takes minutes).
fn step(number: u32, what: &str) {
    eprintln!("journey: step {number}: {what}");
}

// ---------------------------------------------------------------- the repository and the ledger

/// A fresh repository with this project's specgate.toml, the release manager key it pins, and an
/// empty ledger with the team's header, committed.
fn fresh_repository() -> TestContext {
    let ctx = repo_with_project_config();
    for entry in fs::read_dir(Path::new(REPO_ROOT).join("keys")).expect("read keys/") {
        let path = entry.expect("a keys/ entry").path();
        if path.extension().is_some_and(|e| e == "asc") {
            let name = path.file_name().and_then(|n| n.to_str()).expect("a key file name").to_owned();
            ctx.write(&format!("keys/{name}"), fs::read(&path).expect("read a pinned key"));
        }
    }
    ctx.write(
        LEDGER,
        "# Artifacts\n\nPrebuilt CPython of this project (SPEC_INFRA_001). `specgate build` adds the rows, \
         `specgate publish` fills in the URL, `specgate ledger prune` applies BR-005.\n\n\
         | Versión | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n\
         |---------|-------|--------|-------|--------|-------------|--------|\n",
    );
    ctx.commit("project configuration, pinned key and empty ledger");
    ctx
}

fn ledger_text(ctx: &TestContext) -> String {
    fs::read_to_string(ctx.path(LEDGER)).unwrap_or_else(|e| panic!("read {LEDGER}: {e}"))
}

/// The data rows of the ledger's table, parsed from the Markdown text.
fn ledger_rows(ctx: &TestContext) -> Vec<Row> {
    let text = ledger_text(ctx);
    text.lines()
        .filter(|line| line.trim_start().starts_with('|'))
        .map(|line| line.trim().trim_matches('|').split('|').map(|c| c.trim().to_owned()).collect::<Vec<_>>())
        .filter(|cells| cells.len() == 7 && cells[0].starts_with(|c: char| c.is_ascii_digit()))
        .map(|cells| Row {
            version: cells[0].clone(),
            build: cells[1].parse().unwrap_or_else(|_| panic!("build cell `{}` is not a number:\n{text}", cells[1])),
            distro: cells[2].clone(),
            sha256: cells[4].clone(),
            url: cells[5].clone(),
            status: cells[6].clone(),
        })
        .collect()
}

/// The one row of `version` build `build` (for this machine's distro).
fn ledger_row(ctx: &TestContext, version: &str, build: u32) -> Row {
    let distro = os_tag();
    let rows: Vec<Row> = ledger_rows(ctx)
        .into_iter()
        .filter(|r| r.version == version && r.build == build && r.distro == distro)
        .collect();
    assert_eq!(rows.len(), 1, "expected one ledger row for {version} build {build} ({distro}):\n{}", ledger_text(ctx));
    rows[0].clone()
}

fn check_ledger(ctx: &TestContext) -> Run {
    run(ctx.specgate().args(["check", "ledger"]))
}

// ---------------------------------------------------------------- build

/// `specgate build` of `version` build `number` from `source` into the repository's artifacts
/// folder, with its ledger row; returns the artifact's path and what build reported on stderr.
fn build(journey: &Journey, version: &str, source: &Path, number: u32) -> (PathBuf, String) {
    let ctx = &journey.ctx;
    let mut command = ctx.specgate();
    command
        .args(["build", "--python", version, "--profile", "fast", "--build", &number.to_string()])
        .args(["--cache", BUILD_CACHE, "--source"])
        .arg(source)
        .arg("--out")
        .arg(ctx.path("artifacts"));
    let built = run(&mut command);
    assert_eq!(built.code, 0, "specgate build of {version} build {number} failed:\n{built}");
    let name = format!("cpython-{version}-{}-build{number}.tgz", journey.distro);
    let artifact = ctx.path(&format!("artifacts/{name}"));
    assert_eq!(
        built.stdout.trim(),
        artifact.display().to_string(),
        "build printed another artifact path than expected:\n{built}"
    );
    assert!(artifact.is_file(), "the artifact `{}` does not exist:\n{built}", artifact.display());
    let sidecar_path = ctx.path(&format!("artifacts/{name}.sha256"));
    let sidecar = fs::read_to_string(&sidecar_path)
        .unwrap_or_else(|e| panic!("the sidecar `{}` is not readable ({e}):\n{built}", sidecar_path.display()));
    let digest = sha256_of(&artifact);
    assert_eq!(sidecar, format!("{digest}  {name}\n"), "the sidecar disagrees with the artifact's real SHA-256");
    assert!(
        built.stderr.contains(&format!("added {version} build {number} for {} to `{LEDGER}`", journey.distro)),
        "build did not report its ledger row:\n{built}"
    );
    let row = ledger_row(ctx, version, number);
    assert_eq!(row.sha256, digest, "the ledger row's SHA-256 is not the artifact's:\n{}", ledger_text(ctx));
    assert_eq!((row.url.as_str(), row.status.as_str()), ("-", "Activo"), "{}", ledger_text(ctx));
    (artifact, built.stderr)
}

/// Install the 3.11.2 artifact on this machine under a scratch root, and build the project's
/// wheelhouse from PyPI with that interpreter (so the wheels' ABI is the artifact's).
fn build_the_wheelhouse(journey: &Journey, artifact: &Path) -> PathBuf {
    let ctx = &journey.ctx;
    let root = journey.work.path().join("host");
    let installed = run(ctx
        .specgate()
        .args(["install", "--version", OLD, "--no-default", "--url"])
        .arg(artifact)
        .arg("--root")
        .arg(&root)
        .arg("--cache")
        .arg(journey.work.path().join("host-cache")));
    assert_eq!(installed.code, 0, "`specgate install` of the artifact on this machine failed:\n{installed}");
    ctx.write("requirements.txt", REQUIREMENTS);
    let built = run(ctx
        .specgate()
        .args(["wheelhouse", "build", "-r", "requirements.txt", "--name", WHEELHOUSE, "--python", OLD])
        .args(["--distro", &journey.distro, "--build", "1", "--interpreter"])
        .arg(root.join(format!("opt/python-{OLD}/bin/python3.11")))
        .arg("--out")
        .arg(ctx.path("artifacts")));
    assert_eq!(built.code, 0, "`specgate wheelhouse build` failed:\n{built}");
    let name = format!("wheelhouse-{WHEELHOUSE}-cp311-{}-build1.tgz", journey.distro);
    let wheelhouse = ctx.path(&format!("artifacts/{name}"));
    assert_eq!(built.stdout.trim(), wheelhouse.display().to_string(), "{built}");
    assert!(
        built
            .stderr
            .contains(&format!("added wheelhouse {WHEELHOUSE} for 3.11 build 1 for {} to `{LEDGER}`", journey.distro)),
        "wheelhouse build did not report its ledger row:\n{built}"
    );
    let row = wheelhouse_row(journey, &wheelhouse);
    assert_eq!((row.url.as_str(), row.status.as_str()), ("-", "Activo"), "{}", ledger_text(ctx));
    let listing = run(Command::new("tar").arg("-tzf").arg(&wheelhouse));
    // pip names wheels by the normalized project name (PEP 427): `pyyaml-`, not `PyYAML-`.
    for wheel in ["six-", "pyyaml-", "docopt-"] {
        assert!(
            listing
                .stdout
                .lines()
                .any(|m| m.to_ascii_lowercase().contains(&format!("/wheels/{wheel}")) && m.ends_with(".whl")),
            "the wheelhouse has no {wheel}*.whl:\n{listing}"
        );
    }
    wheelhouse
}

/// The wheelhouse's row of ARTIFACTS.md: `| Nombre | Python | Build | Distro | Fecha | SHA256 |
/// URL Release | Estado |`, after the CPython table. Checks that it records the real file.
fn wheelhouse_row(journey: &Journey, wheelhouse: &Path) -> Row {
    let text = ledger_text(&journey.ctx);
    let rows: Vec<Vec<String>> = text
        .lines()
        .filter(|line| line.trim_start().starts_with('|'))
        .map(|line| line.trim().trim_matches('|').split('|').map(|c| c.trim().to_owned()).collect::<Vec<_>>())
        .filter(|cells| cells.len() == 8 && cells[0] == WHEELHOUSE)
        .collect();
    assert_eq!(rows.len(), 1, "expected one wheelhouse row for `{WHEELHOUSE}`:\n{text}");
    let cells = &rows[0];
    assert_eq!(
        (cells[1].as_str(), cells[2].as_str(), cells[3].as_str()),
        ("3.11", "1", journey.distro.as_str()),
        "{text}"
    );
    assert_eq!(cells[5], sha256_of(wheelhouse), "the wheelhouse row's SHA-256 is not the file's:\n{text}");
    Row {
        version: cells[1].clone(),
        build: 1,
        distro: cells[3].clone(),
        sha256: cells[5].clone(),
        url: cells[6].clone(),
        status: cells[7].clone(),
    }
}

/// Publish the wheelhouse to the fake GitHub (its own release, no LICENSE; again: nothing
/// uploaded) and to the mirror folder; the ledger row gets the release URL.
fn publish_the_wheelhouse(journey: &Journey, wheelhouse: &Path) {
    let (ctx, fake) = (&journey.ctx, &journey.fake);
    let name = wheelhouse.file_name().and_then(|n| n.to_str()).expect("wheelhouse name").to_owned();
    let tag = name.strip_suffix(".tgz").expect("a .tgz wheelhouse").to_owned();
    let path = wheelhouse.display().to_string();
    let github = publish(ctx, &[&path, "--repo", GITHUB_REPO, "--api-url", &fake.api], true);
    assert_eq!(github.code, 0, "publish of `{name}` to the fake GitHub failed:\n{github}");
    let release = fake.release(&tag).unwrap_or_else(|| panic!("no release `{tag}` after publish:\n{github}"));
    let names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    let sidecar_name = format!("{name}.sha256");
    assert_eq!(names, [name.as_str(), sidecar_name.as_str()], "release `{tag}`:\n{github}");
    assert_eq!(release.assets[0].sha256, sha256_of(wheelhouse), "the uploaded wheelhouse differs from the file");
    let row = wheelhouse_row(journey, wheelhouse);
    assert_eq!(
        (row.url.as_str(), row.status.as_str()),
        (format!("https://github.com/{GITHUB_REPO}/releases/download/{tag}/{name}").as_str(), "Activo"),
        "publish did not record the wheelhouse's release URL:\n{}",
        ledger_text(ctx)
    );
    let uploads = fake.upload_count();
    let again = publish(ctx, &[&path, "--repo", GITHUB_REPO, "--api-url", &fake.api], true);
    assert_eq!((again.code, fake.upload_count()), (0, uploads), "the second publish of `{name}` uploaded:\n{again}");

    let mirror = journey.mirror.display().to_string();
    let copied = publish(ctx, &[&path, "--to", &mirror], false);
    assert_eq!(copied.code, 0, "publish of `{name}` to the mirror `{mirror}` failed:\n{copied}");
    assert_eq!(sha256_of(&journey.mirror.join(&name)), row.sha256, "the mirror's wheelhouse differs");
    assert!(journey.mirror.join(&sidecar_name).is_file(), "the mirror has no `{sidecar_name}`:\n{copied}");
    let checked = check_ledger(ctx);
    assert_eq!(checked.code, 0, "`specgate check ledger` after publishing `{name}` failed:\n{checked}");
}

/// The wheelhouse's packages import in the image, from the interpreter's site-packages, and no
/// package index is reachable there (so they came from the wheelhouse).
fn use_the_wheelhouse(journey: &mut Journey, image: &str) {
    let prefix = format!("/opt/python-{OLD}");
    let imported = in_image(
        image,
        &[],
        "python3 -c 'import six, yaml, docopt, _yaml; print(six.__file__); print(yaml.__with_libyaml__); \
         print(docopt.docopt(\"usage: prog <name>\", [\"journey\"])[\"<name>\"])'",
    );
    journey.check(
        imported.code == 0
            && imported.stdout == format!("{prefix}/lib/python3.11/site-packages/six.py\nTrue\njourney\n"),
        "import six, yaml (with its C extension), docopt from the wheelhouse",
        &imported,
    );
    let receipt = in_image(image, &[], &format!("cat {prefix}/.specgate-wheelhouse-{WHEELHOUSE}.json"));
    journey.check(
        receipt.code == 0 && receipt.stdout.contains(&format!("wheelhouse-{WHEELHOUSE}-cp311-")),
        "the wheelhouse's receipt in the interpreter's prefix",
        &receipt,
    );
    let index = in_image(image, &[], "pip3 download --no-deps -d /tmp/d six 2>&1; echo \"exit $?\"");
    journey.check(
        index.stdout.contains(&format!("Looking in indexes: {NO_INDEX}"))
            && index.stdout.contains("No matching distribution found for six")
            && !index.stdout.contains("exit 0"),
        "no package index is reachable in the image (pip3 download must fail)",
        &index,
    );
}

// ---------------------------------------------------------------- publish

/// `specgate publish ARGS`, with `GH_TOKEN` only when `token`; the token never shows.
fn publish(ctx: &TestContext, args: &[&str], token: bool) -> Run {
    let mut command = ctx.specgate();
    command
        .arg("publish")
        .args(args)
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .env("SPECGATE_GITHUB_WRITE_INTERVAL", "0");
    if token {
        command.env("GH_TOKEN", TOKEN);
    }
    let result = run(&mut command);
    assert!(!result.stdout.contains(TOKEN) && !result.stderr.contains(TOKEN), "the token leaked:\n{result}");
    result
}

/// Publish to the fake GitHub (twice: the second uploads nothing) and to the mirror folder, and
/// check that both hold the same three files.
fn publish_everywhere(journey: &Journey, artifact: &Path, version: &str, number: u32) {
    let (ctx, fake) = (&journey.ctx, &journey.fake);
    let name = artifact.file_name().and_then(|n| n.to_str()).expect("artifact name").to_owned();
    let tag = format!("cpython-{version}-{}-build{number}", journey.distro);
    let path = artifact.display().to_string();
    let github = publish(ctx, &[&path, "--repo", GITHUB_REPO, "--api-url", &fake.api], true);
    assert_eq!(github.code, 0, "publish of `{name}` to the fake GitHub failed:\n{github}");
    let release = fake.release(&tag).unwrap_or_else(|| panic!("no release `{tag}` after publish:\n{github}"));
    let names: Vec<&str> = release.assets.iter().map(|a| a.name.as_str()).collect();
    let sidecar_name = format!("{name}.sha256");
    assert_eq!(names, [name.as_str(), sidecar_name.as_str(), "LICENSE"], "release `{tag}`:\n{github}");
    let digest = sha256_of(artifact);
    let tarball = &release.assets[0];
    assert_eq!(tarball.sha256, digest, "the uploaded tarball differs from the artifact");
    assert_eq!(tarball.size, fs::metadata(artifact).expect("artifact metadata").len());
    let sidecar = fs::read(ctx.path(&format!("artifacts/{sidecar_name}"))).expect("read the sidecar");
    assert_eq!(release.assets[1].content.as_deref(), Some(sidecar.as_slice()), "the uploaded sidecar differs");
    let license = release.assets[2].content.clone().expect("the LICENSE asset's bytes");
    assert!(
        String::from_utf8_lossy(&license).contains("PYTHON SOFTWARE FOUNDATION LICENSE"),
        "the LICENSE asset is not the PSF license"
    );
    let row = ledger_row(ctx, version, number);
    assert_eq!(
        row.url,
        format!("https://github.com/{GITHUB_REPO}/releases/download/{tag}/{name}"),
        "publish did not record the release URL:\n{}",
        ledger_text(ctx)
    );
    assert_eq!(row.sha256, digest);

    // CA-010: publishing again uploads nothing.
    let uploads = fake.upload_count();
    let again = publish(ctx, &[&path, "--repo", GITHUB_REPO, "--api-url", &fake.api], true);
    assert_eq!(again.code, 0, "the second publish of `{name}` failed:\n{again}");
    assert_eq!(fake.upload_count(), uploads, "the second publish uploaded something:\n{again}");
    assert!(again.stderr.contains("nothing was uploaded"), "{again}");

    // The mirror: the same files, the LICENSE named per release.
    let mirror = journey.mirror.display().to_string();
    let copied = publish(ctx, &[&path, "--to", &mirror], false);
    assert_eq!(copied.code, 0, "publish of `{name}` to the mirror `{mirror}` failed:\n{copied}");
    let in_mirror = |file: &str| {
        fs::read(journey.mirror.join(file)).unwrap_or_else(|e| panic!("`{file}` is not in the mirror ({e}):\n{copied}"))
    };
    assert_eq!(sha256_of(&journey.mirror.join(&name)), digest, "the mirror's tarball differs from the artifact");
    assert_eq!(in_mirror(&sidecar_name), sidecar, "the mirror's sidecar differs");
    assert_eq!(
        in_mirror(&format!("LICENSE-cpython-{version}-build{number}")),
        license,
        "the mirror's LICENSE differs from the release's"
    );
    let checked = check_ledger(ctx);
    assert_eq!(checked.code, 0, "`specgate check ledger` after publishing `{name}` failed:\n{checked}");
}

/// Serve every file of the mirror folder at `/<file name>`; returns the URL of `artifact`'s copy.
fn serve_mirror(journey: &Journey, artifact: &Path) -> String {
    for entry in fs::read_dir(&journey.mirror).expect("read the mirror folder") {
        let path = entry.expect("a mirror entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).expect("a mirror file name").to_owned();
        journey.server.put(&format!("/{name}"), fs::read(&path).expect("read a mirror file"));
    }
    let name = artifact.file_name().and_then(|n| n.to_str()).expect("artifact name");
    format!("{}/{name}", journey.server.url)
}

// ---------------------------------------------------------------- the Dev Container

fn build_the_image(journey: &Journey, image: &str, url: &str, sha256: &str, wheelhouse: (&str, &str)) {
    // Zero configuration for CPython: `version`, and the team's mirror (the ledger's URLs name
    // GitHub, which this machine cannot reach). The index is the ledger's, as `make feature`
    // writes it. The wheelhouse by URL and digest, as docs/feature-faq.md shows.
    let dir = journey.work.path().join("project");
    project(
        &dir,
        &serde_json::json!({
            "version": OLD,
            "mirror": journey.server.url,
            "wheelhouseUrl": wheelhouse.0,
            "wheelhouseSha256": wheelhouse.1,
        }),
    );
    // pip's index variables point at a closed port for the whole build, the Feature's step
    // included: the wheelhouse must install with no index.
    let dockerfile = dir.join(".devcontainer/Dockerfile");
    let mut text = fs::read_to_string(&dockerfile).expect("read the project's Dockerfile");
    text.push_str(&format!("ENV PIP_INDEX_URL={NO_INDEX} PIP_EXTRA_INDEX_URL={NO_INDEX} PIP_RETRIES=0\n"));
    fs::write(&dockerfile, text).expect("write the project's Dockerfile");
    let index = dir.join(".devcontainer/cpython-prebuilt/artifacts.json");
    let written = run(journey.ctx.specgate().args(["ledger", "index", "--out"]).arg(&index));
    assert_eq!(written.code, 0, "`specgate ledger index` failed:\n{written}");
    let text = fs::read_to_string(&index).expect("read the Feature's index");
    assert!(text.contains(sha256), "the index lacks the artifact's SHA-256:\n{text}");
    let path = url.strip_prefix(&journey.server.url).expect("a URL of the mirror server").to_owned();
    let built = devcontainer_build(&dir, image);
    assert_eq!(built.code, 0, "devcontainer build with the Feature failed:\n{built}");
    assert_eq!(journey.server.hits(&path), 1, "downloads of {path}: {:?}", journey.server.log());
    let path = wheelhouse.0.strip_prefix(&journey.server.url).expect("a URL of the mirror server");
    assert_eq!(journey.server.hits(path), 1, "downloads of {path}: {:?}", journey.server.log());
    assert!(
        built.stderr.contains("installed 3 wheels offline"),
        "the Feature did not install the wheelhouse:\n{built}"
    );
}

/// `podman run --rm EXTRA IMAGE sh -c SCRIPT`.
fn in_image(image: &str, extra: &[String], script: &str) -> Run {
    let mut args: Vec<&str> = vec!["run", "--rm"];
    args.extend(extra.iter().map(String::as_str));
    args.extend([image, "sh", "-c", script]);
    podman(&args)
}

impl Journey {
    /// Record a failed in-image check with the command's output.
    fn check(&mut self, ok: bool, what: &str, result: &Run) {
        if !ok {
            self.failed.push(format!("{what}:\n{result}"));
        }
    }
}

/// A minimal pure-Python wheel, written by hand: a package, METADATA, WHEEL and a RECORD with
/// the hashes pip checks. Returns the project name to install, `specgate-journey-probe`.
fn write_wheel(dir: &Path) -> &'static str {
    use base64::Engine as _;
    fs::create_dir_all(dir).expect("create the wheel folder");
    let dist_info = "specgate_journey_probe-0.1.0.dist-info";
    let mut files: Vec<(String, String)> = vec![
        (
            "specgate_journey_probe/__init__.py".to_owned(),
            "def greet():\n    return 'hello from the journey wheel'\n".to_owned(),
        ),
        (
            format!("{dist_info}/METADATA"),
            "Metadata-Version: 2.1\nName: specgate-journey-probe\nVersion: 0.1.0\nSummary: A wheel the journey test builds\n"
                .to_owned(),
        ),
        (
            format!("{dist_info}/WHEEL"),
            "Wheel-Version: 1.0\nGenerator: specgate-journey\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_owned(),
        ),
    ];
    let mut record = String::new();
    for (path, content) in &files {
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(content.as_bytes()));
        record.push_str(&format!("{path},sha256={digest},{}\n", content.len()));
    }
    record.push_str(&format!("{dist_info}/RECORD,,\n"));
    files.push((format!("{dist_info}/RECORD"), record));
    let path = dir.join("specgate_journey_probe-0.1.0-py3-none-any.whl");
    let mut zip = zip::ZipWriter::new(fs::File::create(&path).expect("create the wheel"));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in &files {
        zip.start_file(name.as_str(), options).expect("start a wheel member");
        zip.write_all(content.as_bytes()).expect("write a wheel member");
    }
    zip.finish().expect("finish the wheel");
    "specgate-journey-probe"
}

/// What a developer does first in the container: the version, pip3, a package, a venv, every
/// program the prefix ships, the BR-007 modules. Failures are collected, not fatal.
fn use_the_interpreter(journey: &mut Journey, image: &str) {
    let prefix = format!("/opt/python-{OLD}");

    let version = in_image(image, &[], "python3 -V");
    journey.check(version.code == 0 && version.stdout.trim() == format!("Python {OLD}"), "python3 -V", &version);

    let pip = in_image(image, &[], "pip3 --version");
    journey.check(
        pip.code == 0 && pip.stdout.contains("(python 3.11)") && pip.stdout.contains(&format!("{prefix}/")),
        "pip3 --version (exit 0, pip of the installed 3.11)",
        &pip,
    );

    let wheels = journey.work.path().join("wheels");
    let project = write_wheel(&wheels);
    let mount = vec!["-v".to_owned(), format!("{}:/wheels:ro", wheels.display())];
    let installed = in_image(
        image,
        &mount,
        &format!(
            "pip3 install --no-index --find-links /wheels --disable-pip-version-check --root-user-action=ignore {project} \
             && python3 -c 'import specgate_journey_probe as p; print(p.__file__); print(p.greet())'"
        ),
    );
    journey.check(
        installed.code == 0
            && installed.stdout.contains(&format!("{prefix}/lib/python3.11/site-packages/specgate_journey_probe/"))
            && installed.stdout.contains("hello from the journey wheel"),
        "pip3 install of a local wheel, then import it",
        &installed,
    );

    let venv = in_image(
        image,
        &[],
        "python3 -m venv /tmp/v && /tmp/v/bin/python -c \
         'import sys; print(sys.prefix); print(sys.base_prefix); print(\"%d.%d.%d\" % sys.version_info[:3])'",
    );
    journey.check(
        venv.code == 0 && venv.stdout == format!("/tmp/v\n{prefix}\n{OLD}\n"),
        "python3 -m venv, then the venv's python",
        &venv,
    );

    // Every program of bin/ once: `--version` for the interpreters and pip, `--help` for the
    // others; python3-config has no `--version` and IDLE's help is `-h` (it refuses `--help`).
    let entries = in_image(
        image,
        &[],
        &format!(
            "cd {prefix}/bin && for f in *; do \
               case \"$f\" in *-config) arg=--help ;; python* | pip*) arg=--version ;; idle*) arg=-h ;; *) arg=--help ;; esac; \
               if out=$(\"./$f\" \"$arg\" 2>&1 </dev/null); then code=0; else code=$?; fi; \
               printf 'ENTRY %s %s %s\\n' \"$f\" \"$arg\" \"$code\"; \
               [ \"$code\" = 0 ] || printf '%s\\n' \"$out\" | tail -n 15 | sed 's/^/    | /'; \
             done"
        ),
    );
    let ran: Vec<(String, String)> = entries
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("ENTRY "))
        .filter_map(|l| l.rsplit_once(' ').map(|(name, code)| (name.to_owned(), code.to_owned())))
        .collect();
    let failing: Vec<&String> = ran.iter().filter(|(_, code)| code != "0").map(|(name, _)| name).collect();
    let names: Vec<&str> = ran.iter().map(|(name, _)| name.split(' ').next().unwrap_or_default()).collect();
    journey.check(
        entries.code == 0
            && failing.is_empty()
            && ["python3", "python3.11", "pip3", "pip3.11"].iter().all(|n| names.contains(n)),
        &format!("every program of {prefix}/bin/ exits 0 (failing: {failing:?})"),
        &entries,
    );

    let modules = in_image(
        image,
        &[],
        "python3 -c 'import ssl, sqlite3, uuid, lzma, bz2, sys; print(sys.prefix, ssl.OPENSSL_VERSION)'",
    );
    journey.check(
        modules.code == 0 && modules.stdout.starts_with(&format!("{prefix} OpenSSL ")),
        "import ssl, sqlite3, uuid, lzma, bz2",
        &modules,
    );
}

/// The Feature's install.sh run again in the image: it finds the receipt, downloads nothing, and
/// /opt and /usr/local/bin are the same file for file (type, size, mode, mtime, link target).
fn rerun_the_feature(journey: &Journey, image: &str, url: &str, sha256: &str, wheelhouse: (&str, &str)) {
    let feature = journey.work.path().join("feature-copy");
    copy_feature(&feature);
    let requests = journey.server.log().len();
    let extra: Vec<String> = [
        "-v".to_owned(),
        format!("{}:/feature:ro", feature.display()),
        "-e".to_owned(),
        format!("VERSION={OLD}"),
        "-e".to_owned(),
        format!("ARTIFACTURL={url}"),
        "-e".to_owned(),
        format!("SHA256={sha256}"),
        "-e".to_owned(),
        format!("WHEELHOUSEURL={}", wheelhouse.0),
        "-e".to_owned(),
        format!("WHEELHOUSESHA256={}", wheelhouse.1),
    ]
    .into();
    let again = in_image(
        image,
        &extra,
        "set -e\n\
         listing() { find /opt /usr/local/bin -printf '%p %y %s %m %T@ %l\\n' | LC_ALL=C sort; }\n\
         listing > /tmp/before\n\
         (cd /feature && ./install.sh)\n\
         listing > /tmp/after\n\
         echo '--- before'; cat /tmp/before; echo '--- after'; cat /tmp/after; echo '--- end'\n",
    );
    assert_eq!(again.code, 0, "the Feature's second run failed:\n{again}");
    assert!(again.stderr.contains("already installed"), "the second run did not find the install:\n{again}");
    assert!(
        again.stderr.contains("the wheelhouse is already installed"),
        "the second run did not find the wheelhouse's receipt:\n{again}"
    );
    assert_eq!(journey.server.log().len(), requests, "the second run downloaded: {:?}", journey.server.log());
    let section = |from: &str, to: &str| -> Vec<String> {
        let start = again.stdout.find(from).map(|i| i + from.len()).expect("a listing marker");
        let end = again.stdout[start..].find(to).map(|i| start + i).expect("a listing marker");
        again.stdout[start..end].lines().filter(|l| !l.is_empty()).map(str::to_owned).collect()
    };
    let before = section("--- before\n", "--- after\n");
    let after = section("--- after\n", "--- end\n");
    assert!(
        before.iter().any(|l| l.starts_with(&format!("/opt/python-{OLD}/bin/python3.11 "))),
        "the listing misses the install: {before:?}"
    );
    let gone: Vec<&String> = before.iter().filter(|l| !after.contains(l)).collect();
    let new: Vec<&String> = after.iter().filter(|l| !before.contains(l)).collect();
    assert!(
        gone.is_empty() && new.is_empty(),
        "the second run changed the image:\nbefore only: {gone:#?}\nafter only: {new:#?}"
    );
}

// ---------------------------------------------------------------- UC-3 and retention

/// Build, publish and serve 3.13.5, then install it beside 3.11.2 in a container of the image,
/// switch to it and back.
fn update_python(journey: &Journey, image: &str) {
    let source = cpython_source("3.13").join(format!("Python-{NEW}.tar.xz"));
    let (artifact, reported) = build(journey, NEW, &source, 1);
    // The repository pins the release manager's key: the build verified the signature beside it.
    assert!(
        reported.contains("sha256 + OpenPGP signature by 7169605F62C751356D054A26A821E680E5FA6305"),
        "the {NEW} build did not report the verified signature:\n{reported}"
    );
    publish_everywhere(journey, &artifact, NEW, 1);
    let row = ledger_row(&journey.ctx, NEW, 1);
    let url = serve_mirror(journey, &artifact);
    let feature = journey.work.path().join("feature-copy");
    copy_feature(&feature);
    let extra: Vec<String> = [
        "-v".to_owned(),
        format!("{}:/feature:ro", feature.display()),
        "-e".to_owned(),
        format!("VERSION={NEW}"),
        "-e".to_owned(),
        format!("ARTIFACTURL={url}"),
        "-e".to_owned(),
        format!("SHA256={}", row.sha256),
        "-e".to_owned(),
        "SETDEFAULT=false".to_owned(),
    ]
    .into();
    let script = format!(
        "set -e\n\
         (cd /feature && ./install.sh)\n\
         v=$(python3 -V); echo \"default after install: $v\"\n\
         v=$(/opt/python-{NEW}/bin/python3.13 -V); echo \"new interpreter: $v\"\n\
         /feature/specgate use {NEW}\n\
         v=$(python3 -V); echo \"after use {NEW}: $v\"\n\
         /feature/specgate use {OLD}\n\
         v=$(python3 -V); echo \"after use {OLD}: $v\"\n\
         echo '--- list'\n\
         /feature/specgate list\n"
    );
    let updated = in_image(image, &extra, &script);
    assert_eq!(updated.code, 0, "installing {NEW} beside {OLD} failed:\n{updated}");
    for line in [
        format!("default after install: Python {OLD}"),
        format!("new interpreter: Python {NEW}"),
        format!("after use {NEW}: Python {NEW}"),
        format!("after use {OLD}: Python {OLD}"),
    ] {
        assert!(updated.stdout.lines().any(|l| l == line), "missing `{line}`:\n{updated}");
    }
    let list = updated.stdout.split("--- list\n").nth(1).unwrap_or_default();
    let old_name = format!("cpython-{OLD}-{}-build1.tgz", journey.distro);
    let new_name = format!("cpython-{NEW}-{}-build1.tgz", journey.distro);
    assert!(list.lines().any(|l| l.starts_with(&format!("* {OLD}  {old_name}"))), "`list`:\n{updated}");
    assert!(list.lines().any(|l| l.starts_with(&format!("  {NEW}  {new_name}"))), "`list`:\n{updated}");
    let path = url.strip_prefix(&journey.server.url).expect("a URL of the mirror server");
    assert_eq!(journey.server.hits(path), 1, "downloads of {path}: {:?}", journey.server.log());
}

/// Builds 2, 3 and 4 of 3.11.2 from the cache; `ledger prune --keep 3` retires build 1 only.
fn retention(journey: &Journey, source: &Path) {
    let ctx = &journey.ctx;
    for number in 2..=4 {
        let (_, reported) = build(journey, OLD, source, number);
        assert!(reported.contains("==> compile: cached"), "build {number} of {OLD} compiled again:\n{reported}");
    }
    let over = check_ledger(ctx);
    assert!(
        over.code == 1 && over.stderr.contains("ledger-too-many-active"),
        "four Activo builds of {OLD} should break retention:\n{over}"
    );
    let pruned = run(ctx.specgate().args(["ledger", "prune", "--keep", "3"]));
    assert_eq!(pruned.code, 0, "`specgate ledger prune --keep 3` failed:\n{pruned}");
    assert!(pruned.stderr.contains(&format!("{OLD} build 1 for {} is now Deprecado", journey.distro)), "{pruned}");
    let first = format!("artifacts/cpython-{OLD}-{}-build1.tgz", journey.distro);
    assert_eq!(pruned.stdout, format!("{first}\n{first}.sha256\n"), "files to remove:\n{pruned}");
    let statuses: Vec<(String, u32, String)> =
        ledger_rows(ctx).into_iter().map(|r| (r.version, r.build, r.status)).collect();
    let expect = |version: &str, build: u32, status: &str| (version.to_owned(), build, status.to_owned());
    let mut sorted = statuses.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            expect(OLD, 1, "Deprecado"),
            expect(OLD, 2, "Activo"),
            expect(OLD, 3, "Activo"),
            expect(OLD, 4, "Activo"),
            expect(NEW, 1, "Activo"),
        ],
        "{}",
        ledger_text(ctx)
    );
    let checked = check_ledger(ctx);
    assert_eq!(checked.code, 0, "`specgate check ledger` after the prune failed:\n{checked}");
}
