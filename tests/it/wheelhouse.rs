//! `specgate wheelhouse build` and `install`. The fast tests use a stand-in interpreter (a shell
//! script answering the version probe) for the refusals that come before pip; the end-to-end
//! test (ignored: it reaches PyPI) builds six, PyYAML and docopt with a venv of the system's
//! python3 and installs them offline into another fresh venv.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::TestContext;

/// A stand-in interpreter: answers the probe with `version` and `prefix`; `-m pip` prints
/// `pip_output` and exits with `pip_status`.
fn fake_python(dir: &Path, version: &str, pip_status: i32, pip_output: &str) -> PathBuf {
    let path = dir.join(format!("python-{version}"));
    let prefix = dir.join("env");
    fs::create_dir_all(&prefix).unwrap();
    let script = format!(
        "#!/bin/sh\nif [ \"$1\" = -m ]; then echo '{pip_output}' >&2; exit {pip_status}; fi\nprintf '{version}\\n{}\\n'\n",
        prefix.display()
    );
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn build_args<'a>(interpreter: &'a str, python: &'a str) -> Vec<&'a str> {
    vec![
        "wheelhouse",
        "build",
        "-r",
        "requirements.txt",
        "--name",
        "web",
        "--python",
        python,
        "--distro",
        "debian12",
        "--build",
        "1",
        "--interpreter",
        interpreter,
        "--out",
        "out",
    ]
}

/// `wheelhouse install ARTIFACT` for 3.11.2 into `interpreter`, with the cache `cache/`.
fn install_args<'a>(artifact: &'a str, interpreter: &'a str) -> Vec<&'a str> {
    vec!["wheelhouse", "install", artifact, "--python", "3.11.2", "--cache", "cache", "--interpreter", interpreter]
}

#[test]
fn build_refuses_a_missing_interpreter_and_says_what_to_do() {
    let ctx = TestContext::without_git();
    ctx.write("requirements.txt", "six\n");
    let run = ctx.run(&build_args("/nonexistent/python3.11", "3.11.2"));
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("the interpreter `/nonexistent/python3.11` does not exist"), "{run}");
    assert!(run.stderr.contains("hint: install the CPython artifact first"), "{run}");
    assert!(!ctx.path("out").join("wheelhouse-web-cp311-debian12-build1.tgz").exists());
}

#[test]
fn build_refuses_an_interpreter_of_another_version() {
    let ctx = TestContext::without_git();
    ctx.write("requirements.txt", "six\n");
    let python = fake_python(&ctx.root, "3.12.6", 0, "pip 24.0");
    let run = ctx.run(&build_args(python.to_str().unwrap(), "3.11.2"));
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("is Python 3.12.6, not 3.11.2"), "{run}");
}

#[test]
fn build_refuses_an_interpreter_without_pip() {
    let ctx = TestContext::without_git();
    ctx.write("requirements.txt", "six\n");
    let python = fake_python(&ctx.root, "3.11.2", 1, "/usr/bin/python3: No module named pip");
    let run = ctx.run(&build_args(python.to_str().unwrap(), "3.11.2"));
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("has no pip: /usr/bin/python3: No module named pip"), "{run}");
    assert!(run.stderr.contains("ensurepip"), "{run}");
}

#[test]
fn build_refuses_a_bad_name_before_running_anything() {
    let ctx = TestContext::without_git();
    ctx.write("requirements.txt", "six\n");
    let mut args = build_args("/nonexistent/python", "3.11.2");
    args[5] = "Web App";
    let run = ctx.run(&args);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("wheelhouse-<NAME>-cp<XY>"), "{run}");
    assert!(run.stderr.contains("hint: `specgate wheelhouse build` makes the name"), "{run}");
}

#[test]
fn install_refuses_a_wheelhouse_for_another_python_line_and_a_missing_digest() {
    let ctx = TestContext::without_git();
    let python = fake_python(&ctx.root, "3.11.2", 0, "");
    ctx.write("wheelhouse-web-cp312-debian12-build1.tgz", "not read");
    let run = ctx.run(&[
        "wheelhouse",
        "install",
        "wheelhouse-web-cp312-debian12-build1.tgz",
        "--python",
        "3.11.2",
        "--interpreter",
        python.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("is built for Python 3.12, but the interpreter is Python 3.11.2"), "{run}");
    ctx.write("wheelhouse-web-cp311-debian12-build1.tgz", "not read");
    let run = ctx.run(&[
        "wheelhouse",
        "install",
        "wheelhouse-web-cp311-debian12-build1.tgz",
        "--python",
        "3.11.2",
        "--interpreter",
        python.to_str().unwrap(),
        "--cache",
        "cache",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("no expected SHA-256"), "{run}");
    assert!(!ctx.root.join("env/.specgate-wheelhouse-web.json").exists());
}

/// A stand-in interpreter with a stand-in pip: `pip wheel` leaves two small wheels (or prints
/// `wheel-output` and exits with `wheel-status` when those files exist), `pip
/// install` logs its arguments and the index variables it sees, and fails while `fail` exists.
fn fake_python_with_pip(dir: &Path) -> PathBuf {
    let path = dir.join("python3.11");
    let prefix = dir.join("env");
    fs::create_dir_all(&prefix).unwrap();
    let script = format!(
        r#"#!/bin/sh
if [ "$1" = -m ]; then
  shift 2
  case "$1" in
    --version) echo "pip 23.0.1"; exit 0 ;;
    wheel)
      if [ -f {dir}/wheel-output ]; then cat {dir}/wheel-output >&2; exit "$(cat {dir}/wheel-status)"; fi
      while [ $# -gt 0 ]; do [ "$1" = --wheel-dir ] && dir="$2"; shift; done
      if [ -d {dir}/wheel-files ]; then cp {dir}/wheel-files/* "$dir/"; exit 0; fi
      printf six > "$dir/six-1.16.0-py2.py3-none-any.whl"
      printf yaml > "$dir/PyYAML-6.0.1-cp311-cp311-linux_x86_64.whl"
      exit 0 ;;
    install)
      # The build's trial install into a scratch folder (for the bytecode) installs nothing here.
      case " $* " in *" --target "*)
        if [ -f {dir}/target-fail ]; then echo "ERROR: Cannot install six==1.16.0 because it conflicts" >&2; exit 1; fi
        exit 0 ;;
      esac
      echo "PIP_INDEX_URL=${{PIP_INDEX_URL-unset}} PIP_NO_INDEX=$PIP_NO_INDEX $*" >> {dir}/pip.log
      if [ -f {dir}/fail ]; then echo "ERROR: No matching distribution found for six" >&2; exit 1; fi
      exit 0 ;;
  esac
fi
printf '3.11.2\n{prefix}\n'
"#,
        dir = dir.display(),
        prefix = prefix.display()
    );
    fs::write(&path, script).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A real wheel: a zip archive holding `files`.
pub fn wheel_zip(files: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(content).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// Build `wheelhouse-web-cp311-debian12-build<build>.tgz` into `out` with the stand-in pip,
/// which leaves `wheels` (name, bytes) as pip's wheels when any are given; `extra` are more
/// arguments (`--no-ledger`). Returns the run.
pub fn build_wheelhouse(
    ctx: &TestContext,
    out: &str,
    build: &str,
    wheels: &[(&str, Vec<u8>)],
    extra: &[&str],
) -> crate::common::Run {
    if !ctx.root.join("requirements.txt").exists() {
        ctx.write("requirements.txt", "six\n");
    }
    for (name, bytes) in wheels {
        ctx.write(&format!("wheel-files/{name}"), bytes);
    }
    let python = fake_python_with_pip(&ctx.root);
    let mut args = build_args(python.to_str().unwrap(), "3.11.2");
    args[11] = build;
    args[15] = out;
    args.extend_from_slice(extra);
    ctx.run(&args)
}

#[test]
fn build_records_its_row_and_refuses_a_recorded_build_before_pip() {
    let ctx = TestContext::without_git();
    let run = build_wheelhouse(&ctx, "out", "1", &[], &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr.contains("added wheelhouse web for 3.11 build 1 for debian12 to `artifacts/ARTIFACTS.md` (line 7)"),
        "{run}"
    );
    let name = "wheelhouse-web-cp311-debian12-build1.tgz";
    let sum = fs::read_to_string(ctx.root.join(format!("out/{name}.sha256"))).unwrap();
    let ledger = fs::read_to_string(ctx.root.join("artifacts/ARTIFACTS.md")).unwrap();
    assert!(
        ledger.contains(
            "## Wheelhouses\n\n| Nombre | Python | Build | Distro | Fecha | SHA256 | URL Release | Estado |\n"
        ),
        "{ledger}"
    );
    assert!(ledger.contains("| web | 3.11 | 1 | debian12 | "), "{ledger}");
    assert!(ledger.contains(&format!(" | {} | - | Activo |\n", &sum[..64])), "{ledger}");

    // The same build again is refused before pip runs (pip would fail here).
    ctx.write("wheel-output", "pip must not run");
    ctx.write("wheel-status", "1");
    let again = build_wheelhouse(&ctx, "out", "1", &[], &[]);
    assert_eq!(again.code, 2, "{again}");
    let refused = "`artifacts/ARTIFACTS.md:7` already records wheelhouse web for 3.11 build 1 for debian12";
    assert!(again.stderr.contains(refused), "{again}");
    assert!(again.stderr.contains("--build 2"), "{again}");
    assert!(!again.stderr.contains("pip must not run"), "{again}");
    fs::remove_file(ctx.root.join("wheel-output")).unwrap();

    // --no-ledger writes no row; `ledger add` adds it later, once.
    let unrecorded = build_wheelhouse(&ctx, "out", "2", &[], &["--no-ledger"]);
    assert_eq!(unrecorded.code, 0, "{unrecorded}");
    assert!(!fs::read_to_string(ctx.root.join("artifacts/ARTIFACTS.md")).unwrap().contains("| web | 3.11 | 2 |"));
    let second = "out/wheelhouse-web-cp311-debian12-build2.tgz";
    let add = ctx.run(&["ledger", "add", second, "--date", "2026-02-01"]);
    assert_eq!(add.code, 0, "{add}");
    assert!(
        add.stderr.contains("added wheelhouse web for 3.11 build 2 for debian12 to `artifacts/ARTIFACTS.md` (line 7)"),
        "{add}"
    );
    let add = ctx.run(&["ledger", "add", second]);
    assert_eq!(add.code, 0, "{add}");
    assert!(
        add.stderr.contains("already records wheelhouse web for 3.11 build 2 for debian12 with this SHA-256"),
        "{add}"
    );

    // Another file under a recorded name is refused.
    fs::write(ctx.root.join(second), b"other bytes").unwrap();
    let sum = Command::new("sha256sum")
        .arg("wheelhouse-web-cp311-debian12-build2.tgz")
        .current_dir(ctx.root.join("out"))
        .output()
        .unwrap();
    fs::write(ctx.root.join(format!("{second}.sha256")), sum.stdout).unwrap();
    let add = ctx.run(&["ledger", "add", second]);
    assert_eq!(add.code, 2, "{add}");
    assert!(
        add.stderr.contains("line 7 already records wheelhouse web for 3.11 build 2 for debian12 with SHA-256"),
        "{add}"
    );
    // The CPython table is untouched: none was there, none was made.
    assert!(!fs::read_to_string(ctx.root.join("artifacts/ARTIFACTS.md")).unwrap().contains("Versión"));
}

#[test]
fn ledger_prune_deprecates_old_wheelhouses_and_lists_their_files() {
    let ctx = TestContext::without_git();
    for build in ["1", "2", "3", "4"] {
        let run = build_wheelhouse(&ctx, "artifacts", build, &[], &[]);
        assert_eq!(run.code, 0, "{run}");
    }
    assert!(ctx
        .run(&["ledger", "add", "artifacts/wheelhouse-web-cp311-debian12-build4.tgz"])
        .stderr
        .contains("note: more than 3 Activo builds of a wheelhouse"));
    let prune = ctx.run(&["ledger", "prune"]);
    assert_eq!(prune.code, 0, "{prune}");
    assert!(prune.stderr.contains("wheelhouse web for 3.11 build 1 for debian12 is now Deprecado"), "{prune}");
    assert_eq!(
        prune.stdout,
        "artifacts/wheelhouse-web-cp311-debian12-build1.tgz\nartifacts/wheelhouse-web-cp311-debian12-build1.tgz.sha256\n"
    );
    let ledger = fs::read_to_string(ctx.root.join("artifacts/ARTIFACTS.md")).unwrap();
    assert_eq!(ledger.matches("| Activo |").count(), 3, "{ledger}");
    assert_eq!(ledger.matches("| Deprecado |").count(), 1, "{ledger}");
}

/// The build installs its wheels once into a scratch folder (for their bytecode): wheels that do
/// not install together fail the build there, with pip's words, and nothing is packed.
#[test]
fn build_refuses_wheels_that_do_not_install_together() {
    let ctx = TestContext::without_git();
    ctx.write("requirements.txt", "six\nPyYAML\n");
    let python = fake_python_with_pip(&ctx.root);
    ctx.write("target-fail", "");
    let run = ctx.run(&build_args(python.to_str().unwrap(), "3.11.2"));
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("the wheels do not install together"), "{run}");
    assert!(run.stderr.contains("Cannot install six==1.16.0 because it conflicts"), "{run}");
    assert!(run.stderr.contains("hint: the lock pins versions that conflict"), "{run}");
    let left: Vec<_> = fs::read_dir(ctx.root.join("out")).unwrap().collect();
    assert!(left.is_empty(), "nothing may be left in the output folder: {left:?}");
}

#[test]
fn install_runs_pip_offline_once_and_a_failing_pip_keeps_the_receipt() {
    let ctx = TestContext::without_git();
    ctx.write("requirements.txt", "six\nPyYAML\n");
    let python = fake_python_with_pip(&ctx.root);
    let python = python.to_str().unwrap();
    let run = ctx.run(&build_args(python, "3.11.2"));
    assert_eq!(run.code, 0, "{run}");
    assert_eq!(run.stdout, "[REPO]/out/wheelhouse-web-cp311-debian12-build1.tgz\n");
    let install = |artifact: &str| {
        let mut command = ctx.specgate();
        command.args(install_args(artifact, python)).env("PIP_INDEX_URL", "http://127.0.0.1:9/");
        ctx.to_run(command.output().unwrap())
    };
    let run = install("out/wheelhouse-web-cp311-debian12-build1.tgz");
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("verify: 2 wheels match the lock's SHA-256s"), "{run}");
    let log = fs::read_to_string(ctx.root.join("pip.log")).unwrap();
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.starts_with("PIP_INDEX_URL=unset PIP_NO_INDEX=1 install --no-index"), "{log}");
    assert!(log.contains("--require-hashes"), "{log}");
    let receipt = ctx.root.join("env/.specgate-wheelhouse-web.json");
    let first = fs::read_to_string(&receipt).unwrap();
    assert!(first.contains("wheelhouse-web-cp311-debian12-build1.tgz"), "{first}");

    let run = install("out/wheelhouse-web-cp311-debian12-build1.tgz");
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("already installed"), "{run}");
    assert_eq!(fs::read_to_string(ctx.root.join("pip.log")).unwrap().lines().count(), 1, "pip ran again");

    let mut args = build_args(python, "3.11.2");
    args[11] = "2";
    assert_eq!(ctx.run(&args).code, 0);
    ctx.write("fail", "");
    let run = install("out/wheelhouse-web-cp311-debian12-build2.tgz");
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("`pip install` from the wheelhouse failed"), "{run}");
    assert!(run.stderr.contains("No matching distribution found for six"), "{run}");
    assert_eq!(fs::read_to_string(&receipt).unwrap(), first, "the previous receipt must stay as it was");
}

/// A repository with `out/wheelhouse-web-cp311-debian12-build1.tgz` (six and PyYAML) built by
/// the stand-in pip, and that stand-in interpreter.
fn stand_in_wheelhouse() -> (TestContext, PathBuf) {
    let ctx = TestContext::without_git();
    ctx.write("requirements.txt", "six\nPyYAML\n");
    let python = fake_python_with_pip(&ctx.root);
    let run = ctx.run(&build_args(python.to_str().unwrap(), "3.11.2"));
    assert_eq!(run.code, 0, "{run}");
    (ctx, python)
}

/// `--mirror` (the Feature's `mirror`) takes the wheelhouse and its sidecar from the mirror by
/// file name, through transient server errors (`--retries`); the URL's own host is never asked.
#[test]
fn install_downloads_from_the_mirror_with_retries() {
    use crate::httpserver::{Fault, Server};
    let (ctx, python) = stand_in_wheelhouse();
    let python = python.to_str().unwrap();
    let name = "wheelhouse-web-cp311-debian12-build1.tgz";
    let server = Server::start();
    for file in [name.to_owned(), format!("{name}.sha256")] {
        server.put(&format!("/mirror/{file}"), fs::read(ctx.path("out").join(&file)).unwrap());
    }
    server.faults(&format!("/mirror/{name}"), vec![Fault::Status(503), Fault::Status(502)]);
    let url = format!("https://releases.invalid/download/{name}");
    let mirror = format!("{}/mirror/", server.url);
    let install = |retries: &str| {
        let mut args = install_args(&url, python);
        args.extend(["--mirror", &mirror, "--retries", retries]);
        ctx.run(&args)
    };
    let refused = install("1");
    assert_eq!(refused.code, 2, "{refused}");
    assert!(refused.stderr.contains("502"), "{refused}");
    assert!(!ctx.root.join("pip.log").exists(), "pip ran after a failed download");
    server.faults(&format!("/mirror/{name}"), vec![Fault::Status(503)]);
    let run = install("2");
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("installed 2 wheels offline"), "{run}");
    assert_eq!(server.hits(&format!("/mirror/{name}.sha256")), 2, "{:?}", server.log());
    assert_eq!(fs::read_to_string(ctx.root.join("pip.log")).unwrap().lines().count(), 1);
}

#[test]
fn install_refuses_a_tampered_wheel_and_a_wrong_digest_with_no_pip_run() {
    let (ctx, python) = stand_in_wheelhouse();
    let python = python.to_str().unwrap();
    let name = "wheelhouse-web-cp311-debian12-build1.tgz";
    let unpacked = ctx.root.join("tamper");
    fs::create_dir_all(&unpacked).unwrap();
    let tar = |args: &[&str], dir: &Path| {
        assert!(Command::new("tar").args(args).current_dir(dir).status().unwrap().success())
    };
    tar(&["-xzf", ctx.root.join("out").join(name).to_str().unwrap()], &unpacked);
    fs::write(unpacked.join("wheelhouse-web/wheels/six-1.16.0-py2.py3-none-any.whl"), "evil").unwrap();
    let tampered = ctx.root.join("tampered");
    fs::create_dir_all(&tampered).unwrap();
    tar(&["-czf", tampered.join(name).to_str().unwrap(), "wheelhouse-web"], &unpacked);
    let sum = Command::new("sha256sum").arg(name).current_dir(&tampered).output().unwrap();
    fs::write(tampered.join(format!("{name}.sha256")), sum.stdout).unwrap();
    let install = |artifact: &str, extra: &[&str]| {
        let mut args = install_args(artifact, python);
        args.extend_from_slice(extra);
        ctx.run(&args)
    };
    let run = install(&format!("tampered/{name}"), &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("the wheel `six-1.16.0-py2.py3-none-any.whl` does not match the lock"), "{run}");
    assert!(!ctx.root.join("pip.log").exists(), "pip ran");

    let zeros = "0".repeat(64);
    let run = install(&format!("out/{name}"), &["--sha256", &zeros]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("checksum mismatch"), "{run}");
    assert!(!run.stderr.contains("verify:"), "{run}");
    assert!(!ctx.root.join("pip.log").exists(), "pip ran");
    assert!(!ctx.root.join("env/.specgate-wheelhouse-web.json").exists());
}

#[test]
fn build_explains_a_missing_header_a_failed_sdist_and_markers_that_select_nothing() {
    let ctx = TestContext::without_git();
    ctx.write("requirements.txt", "PyYAML\n");
    let python = fake_python_with_pip(&ctx.root);
    let python = python.to_str().unwrap();
    let table = [
        (
            "1",
            "  Building wheel for pyyaml (pyproject.toml): started\n  ext/_yaml.c:1:10: fatal error: yaml.h: No such file or directory\nERROR: Failed building wheel for pyyaml\n",
            &["building `pyyaml` needs the C header `yaml.h`", "`apt-get install libyaml-dev`"][..],
        ),
        (
            "1",
            "  error: invalid command 'bdist_wheel'\nERROR: Failed building wheel for docopt\nFailed to build docopt\n",
            &["pip could not build a wheel from the sdist of `docopt`", "error: invalid command 'bdist_wheel'"][..],
        ),
        (
            "0",
            "Ignoring pywin32: markers 'sys_platform == \"win32\"' don't match your environment\n",
            &["no requirement selects a package on this platform; pip ignored: `pywin32` (sys_platform == \"win32\")"][..],
        ),
    ];
    for (status, output, expected) in table {
        ctx.write("wheel-status", status);
        ctx.write("wheel-output", output);
        let run = ctx.run(&build_args(python, "3.11.2"));
        assert_eq!(run.code, 2, "{run}");
        for text in expected {
            assert!(run.stderr.contains(text), "{text}: {run}");
        }
        assert!(!ctx.root.join("out/wheelhouse-web-cp311-debian12-build1.tgz").exists());
        let left: Vec<_> = fs::read_dir(ctx.root.join("out")).unwrap().collect();
        assert!(left.is_empty(), "the stage must be removed: {left:?}");
    }
}

/// The system's python3 (Debian 12: /usr/bin/python3, 3.11.2) and its version.
fn system_python() -> (PathBuf, String) {
    let python = ["/usr/bin/python3", "python3"]
        .iter()
        .map(PathBuf::from)
        .find(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success()));
    let python = python.expect("a python3 on this machine");
    let out =
        Command::new(&python).args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"]).output().unwrap();
    (python, String::from_utf8(out.stdout).unwrap().trim().to_owned())
}

fn venv(python: &Path, at: &Path) -> PathBuf {
    let out = Command::new(python).args(["-m", "venv"]).arg(at).output().unwrap();
    assert!(
        out.status.success(),
        "`python3 -m venv` failed (on Debian, ensurepip comes with python3-venv): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    at.join("bin/python")
}

fn imports(python: &Path, modules: &str) -> bool {
    Command::new(python).args(["-c", &format!("import {modules}")]).status().unwrap().success()
}

#[test]
#[ignore = "end-to-end: downloads six, PyYAML and docopt from PyPI and builds docopt's sdist"]
fn wheelhouse_builds_from_the_index_and_installs_offline() {
    let ctx = TestContext::without_git();
    let (system, version) = system_python();
    let builder = venv(&system, &ctx.root.join("build-venv"));
    let target = venv(&system, &ctx.root.join("target-venv"));
    ctx.write("requirements.txt", "six\nPyYAML\ndocopt\npywin32; sys_platform == \"win32\"\n");
    let run = ctx.run(&build_args(builder.to_str().unwrap(), &version));
    assert_eq!(run.code, 0, "{run}");
    let tag = format!("cp{}", version.split('.').take(2).collect::<String>());
    let name = format!("wheelhouse-web-{tag}-debian12-build1.tgz");
    assert_eq!(run.stdout, format!("[REPO]/out/{name}\n"), "{run}");
    let artifact = ctx.root.join("out").join(&name);
    assert!(run.stderr.contains("note: pip skipped `pywin32`"), "{run}");
    let listing = Command::new("tar").arg("-tzf").arg(&artifact).output().unwrap();
    let listing = String::from_utf8(listing.stdout).unwrap();
    assert!(listing.contains("wheelhouse-web/wheels/docopt-0.6.2-py2.py3-none-any.whl"), "{listing}");
    let lock =
        Command::new("tar").arg("-xzOf").arg(&artifact).arg("wheelhouse-web/requirements.lock").output().unwrap();
    let lock = String::from_utf8(lock.stdout).unwrap();
    for name in ["docopt==0.6.2 --hash=sha256:", "pyyaml==", "six=="] {
        assert!(lock.contains(name), "{lock}");
    }

    let install = |artifact: &Path, python: &Path, extra: &[&str]| {
        let mut command = ctx.specgate();
        command
            .args(["wheelhouse", "install"])
            .arg(artifact)
            .args(["--python", &version, "--cache", "cache", "--interpreter"])
            .arg(python)
            .args(extra)
            .env("PIP_INDEX_URL", "http://127.0.0.1:9/");
        ctx.to_run(command.output().unwrap())
    };
    let run = install(&artifact, &target, &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("installed 3 wheels offline"), "{run}");
    assert!(imports(&target, "six, yaml, docopt"));
    // The bytecode compiled at build time sits beside each source, checked-hash (PEP 552 flags
    // 0b11: hash-based, checked against the source on import), and pip compiled nothing.
    let line = format!("python{}", version.split('.').take(2).collect::<Vec<_>>().join("."));
    let site = ctx.root.join("target-venv/lib").join(&line).join("site-packages");
    let tag = format!("cpython-{}", tag.trim_start_matches("cp"));
    for pyc in [format!("__pycache__/six.{tag}.pyc"), format!("yaml/__pycache__/__init__.{tag}.pyc")] {
        let bytes = fs::read(site.join(&pyc)).unwrap_or_else(|e| panic!("{pyc}: {e}\n{run}"));
        assert_eq!(bytes[4..8], [3, 0, 0, 0], "{pyc} is not checked-hash bytecode");
    }
    assert!(run.stderr.contains("bytecode: "), "{run}");
    let receipt = ctx.root.join("target-venv/.specgate-wheelhouse-web.json");
    let before = fs::read(&receipt).unwrap();

    // The same wheelhouse again: the receipt says so, pip does not run.
    let run = install(&artifact, &target, &[]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("already installed"), "{run}");
    assert!(!run.stderr.contains("pip:"), "{run}");
    assert_eq!(fs::read(&receipt).unwrap(), before);

    // A wheel changed inside the tarball, the sidecar made to match: the lock refuses it.
    let fresh = venv(&system, &ctx.root.join("fresh-venv"));
    let unpacked = ctx.root.join("tamper");
    fs::create_dir_all(&unpacked).unwrap();
    assert!(Command::new("tar").arg("-xzf").arg(&artifact).arg("-C").arg(&unpacked).status().unwrap().success());
    let six = fs::read_dir(unpacked.join("wheelhouse-web/wheels"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with("six-"))
        .unwrap();
    let mut bytes = fs::read(&six).unwrap();
    bytes.push(0);
    fs::write(&six, bytes).unwrap();
    let tampered_dir = ctx.root.join("tampered");
    fs::create_dir_all(&tampered_dir).unwrap();
    let tampered = tampered_dir.join(artifact.file_name().unwrap());
    assert!(Command::new("tar")
        .arg("-czf")
        .arg(&tampered)
        .arg("-C")
        .arg(&unpacked)
        .arg("wheelhouse-web")
        .status()
        .unwrap()
        .success());
    let sum = Command::new("sha256sum").arg(artifact.file_name().unwrap()).current_dir(&tampered_dir).output().unwrap();
    fs::write(tampered_dir.join(format!("{}.sha256", artifact.file_name().unwrap().to_string_lossy())), sum.stdout)
        .unwrap();
    let run = install(&tampered, &fresh, &[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("does not match the lock"), "{run}");
    assert!(!ctx.root.join("fresh-venv/.specgate-wheelhouse-web.json").exists());
    assert!(!imports(&fresh, "six"), "nothing may be installed from a tampered wheelhouse");

    // A wrong --sha256: refused before anything is unpacked.
    let zeros = "0".repeat(64);
    let run = install(&artifact, &fresh, &["--sha256", &zeros]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("checksum mismatch"), "{run}");
    assert!(!run.stderr.contains("verify:"), "{run}");
    assert!(!imports(&fresh, "six"));
    let leftovers: Vec<_> = fs::read_dir(ctx.root.join("cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

const WHEELHOUSE: &str = "wheelhouse-web-cp311-debian12-build1.tgz";

/// A repository whose artifacts folder holds `wheelhouse-web-cp311-debian12-build1.tgz` (real
/// wheels, zip files, when `wheels` is not empty) with its sidecar and ledger row.
pub fn recorded_wheelhouse(wheels: &[(&str, Vec<u8>)]) -> TestContext {
    let ctx = TestContext::new();
    ctx.write(".gitignore", "artifacts/*.tgz\nartifacts/*.sha256\nwheel-files/\nenv/\npython3.11\nrequirements.txt\n");
    let run = build_wheelhouse(&ctx, "artifacts", "1", wheels, &[]);
    assert_eq!(run.code, 0, "{run}");
    ctx
}

fn digest_of(ctx: &TestContext, file: &str) -> String {
    fs::read_to_string(ctx.root.join(format!("artifacts/{file}.sha256"))).unwrap()[..64].to_owned()
}

// spec[verify SPEC_INFRA_001#CA-008]
#[test]
fn check_ledger_passes_a_recorded_wheelhouse_and_catches_a_changed_one() {
    let ctx = recorded_wheelhouse(&[("six-1.16.0-py2.py3-none-any.whl", wheel_zip(&[("six.py", b"x = 1\n")]))]);
    let ok = ctx.run(&["check", "ledger"]);
    assert_eq!(ok.code, 0, "{ok}");
    assert!(!ok.stderr.contains("artifact-bad-name"), "{ok}");
    assert!(ok.stderr.contains("1 well-formed ledger row, 1 artifact in `artifacts`"), "{ok}");

    let path = ctx.root.join(format!("artifacts/{WHEELHOUSE}"));
    let mut bytes = fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    fs::write(&path, bytes).unwrap();
    let bad = ctx.run(&["check", "ledger"]);
    assert_eq!(bad.code, 1, "{bad}");
    // The SHA256 cell of the wheelhouse row: line 7, after the name, line, build, distro, date.
    assert!(bad.stderr.contains("artifacts/ARTIFACTS.md:7:44: error[ledger-sha256-mismatch]"), "{bad}");
    assert!(bad.stderr.contains("error[artifact-sidecar-mismatch]"), "{bad}");
}

#[test]
fn check_ledger_holds_wheelhouses_to_the_artifact_rules() {
    let ctx = recorded_wheelhouse(&[]);
    // Unlisted, a sidecar for another file, a bad name, and no lock inside.
    assert_eq!(build_wheelhouse(&ctx, "artifacts", "2", &[], &["--no-ledger"]).code, 0);
    let second = "wheelhouse-web-cp311-debian12-build2.tgz";
    let third = "wheelhouse-web-cp311-debian12-build3.tgz";
    fs::copy(ctx.root.join(format!("artifacts/{second}")), ctx.root.join(format!("artifacts/{third}"))).unwrap();
    fs::copy(ctx.root.join(format!("artifacts/{second}.sha256")), ctx.root.join(format!("artifacts/{third}.sha256")))
        .unwrap();
    ctx.write("artifacts/wheelhouse-Web-cp311-debian12-build1.tgz", "x");
    let unpacked = ctx.root.join("nolock");
    fs::create_dir_all(unpacked.join("wheelhouse-api/wheels")).unwrap();
    fs::write(unpacked.join("wheelhouse-api/wheelhouse.json"), "{}").unwrap();
    let fourth = "wheelhouse-api-cp311-debian12-build1.tgz";
    let tar = Command::new("tar")
        .args(["-czf", ctx.root.join(format!("artifacts/{fourth}")).to_str().unwrap(), "wheelhouse-api"])
        .current_dir(&unpacked)
        .status()
        .unwrap();
    assert!(tar.success());
    let sum = Command::new("sha256sum").arg(fourth).current_dir(ctx.root.join("artifacts")).output().unwrap();
    fs::write(ctx.root.join(format!("artifacts/{fourth}.sha256")), sum.stdout).unwrap();
    let add = ctx.run(&["ledger", "add", &format!("artifacts/{fourth}")]);
    assert_eq!(add.code, 0, "{add}");

    let bad = ctx.run(&["check", "ledger"]);
    assert_eq!(bad.code, 1, "{bad}");
    let err = &bad.stderr;
    assert!(err.contains(&format!("artifacts/{second}:1:1: error[artifact-unlisted]")), "{err}");
    assert!(err.contains(&format!("the sidecar is for `{second}`, not for `{third}`")), "{err}");
    assert!(err.contains("artifacts/wheelhouse-Web-cp311-debian12-build1.tgz:1:1: error[artifact-bad-name]"), "{err}");
    assert!(err.contains("expected wheelhouse-<NAME>-cp<XY>"), "{err}");
    assert!(
        err.contains(&format!("artifacts/{fourth}:1:1: error[artifact-lock-missing]: the wheelhouse has no `wheelhouse-api/requirements.lock`")),
        "{err}"
    );
    assert!(!err.contains("artifact-license-missing"), "{err}");
}

#[test]
fn check_ledger_reads_the_wheelhouse_table_rules() {
    let ctx = recorded_wheelhouse(&[]);
    let sha = digest_of(&ctx, WHEELHOUSE);
    let ledger = fs::read_to_string(ctx.root.join("artifacts/ARTIFACTS.md")).unwrap();
    let rows = [
        format!("| web | 3.11 | 1 | debian12 | 2026-01-01 | {sha} | - | Activo |"),
        format!("| web | 3.11 | 5 | debian12 | 2026-01-01 | {sha} | - | Activo |"),
        format!("| web | 3.11 | 4 | debian12 | 2026-01-01 | {sha} | - | Activo |"),
        format!("| web | 3.11 | 3 | debian12 | 2026-01-01 | {sha} | - | Activo |"),
        format!("| web | 3.11.2 | 6 | debian12 | 2026-01-01 | {sha} | - | Activo |"),
        format!("| web | 3.11 | 7 | debian12 | 2026-01-01 | {sha} | - |"),
    ];
    let at = ledger.find("| ------ | ------ |").unwrap();
    let at = at + ledger[at..].find('\n').unwrap() + 1;
    let text = format!("{}{}\n{}", &ledger[..at], rows.join("\n"), &ledger[at..]);
    ctx.write("artifacts/ARTIFACTS.md", text);
    let bad = ctx.run(&["check", "ledger"]);
    assert_eq!(bad.code, 1, "{bad}");
    let err = &bad.stderr;
    assert!(err.contains("ARTIFACTS.md:13:1: error[ledger-duplicate]: wheelhouse web for 3.11 build 1 for debian12 is already recorded at line 7"), "{err}");
    assert!(err.contains("error[ledger-too-many-active]: build 1 of wheelhouse web for 3.11 is Activo"), "{err}");
    assert!(
        err.contains("ARTIFACTS.md:11:9: error[ledger-invalid-field]: `Python` is `3.11.2`, not a Python line `X.Y`"),
        "{err}"
    );
    assert!(
        err.contains("ARTIFACTS.md:12:1: error[ledger-row-columns]: the row has 7 cells; the table has 8 columns"),
        "{err}"
    );
    assert!(!err.contains("ledger-stale"), "{err}");
    assert!(!err.contains("ledger-no-table"), "a ledger of wheelhouses only has its table: {err}");
}

#[test]
fn check_ledger_remote_downloads_published_wheelhouse_rows() {
    let ctx = recorded_wheelhouse(&[]);
    let bytes = fs::read(ctx.root.join(format!("artifacts/{WHEELHOUSE}"))).unwrap();
    let server = crate::httpserver::Server::start();
    server.put(&format!("/{WHEELHOUSE}"), bytes);
    server.put("/wheelhouse-web-cp311-debian12-build2.tgz", b"other".to_vec());
    let sha = digest_of(&ctx, WHEELHOUSE);
    let ledger = fs::read_to_string(ctx.root.join("artifacts/ARTIFACTS.md")).unwrap();
    let ledger = ledger.replace("| - | Activo |", &format!("| {}/{WHEELHOUSE} | Activo |", server.url));
    let extra = format!(
        "| web | 3.11 | 2 | debian12 | 2026-01-01 | {sha} | {}/wheelhouse-web-cp311-debian12-build2.tgz | Activo |\n",
        server.url
    );
    ctx.write("artifacts/ARTIFACTS.md", format!("{ledger}{extra}"));
    let remote = ctx.run(&["check", "ledger", "--remote"]);
    assert_eq!(remote.code, 1, "{remote}");
    assert!(
        remote.stderr.contains("ARTIFACTS.md:8:")
            && remote.stderr.contains("error[ledger-remote-mismatch]: the file at this URL (5 bytes)"),
        "{remote}"
    );
    assert!(remote.stderr.contains("downloaded 2 Activo release URLs"), "{remote}");
    assert_eq!(server.hits(&format!("/{WHEELHOUSE}")), 1);
}

#[test]
fn install_takes_the_digest_from_the_ledger_row_after_the_flag_and_the_sidecar() {
    let ctx = TestContext::without_git();
    assert_eq!(build_wheelhouse(&ctx, "artifacts", "1", &[], &[]).code, 0);
    let file = format!("artifacts/{WHEELHOUSE}");
    fs::remove_file(ctx.root.join(format!("{file}.sha256"))).unwrap();
    let python = ctx.root.join("python3.11");
    let install = |extra: &[&str]| {
        let mut args = install_args(&file, python.to_str().unwrap());
        args.extend_from_slice(extra);
        ctx.run(&args)
    };
    let run = install(&[]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("no --ledger"), "{run}");

    // A Retirado row is no digest to install.
    let ledger = fs::read_to_string(ctx.root.join("artifacts/ARTIFACTS.md")).unwrap();
    ctx.write("retired.md", ledger.replace("| Activo |", "| Retirado |"));
    let run = install(&["--ledger", "retired.md"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains(&format!("no Activo row for `{WHEELHOUSE}` in `[REPO]/retired.md`")), "{run}");

    // The flag still comes first: a wrong one is a mismatch, whatever the ledger says.
    let zeros = "0".repeat(64);
    let run = install(&["--ledger", "artifacts/ARTIFACTS.md", "--sha256", &zeros]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("checksum mismatch"), "{run}");

    let run = install(&["--ledger", "artifacts/ARTIFACTS.md"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("sha256 verified against the ledger row `[REPO]/artifacts/ARTIFACTS.md:7`"), "{run}");
    assert!(run.stderr.contains("installed 2 wheels offline"), "{run}");
}
