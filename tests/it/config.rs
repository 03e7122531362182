//! specgate.toml end to end: how it is read (regular UTF-8 file within a limit), where semantic
//! errors point, how long values are shown, and the configured paths and globs that must match
//! a file of the repository.

use std::io::Write as _;

use crate::common::{findings, TestContext};

fn repository() -> TestContext {
    let ctx = TestContext::new();
    ctx.write("README.md", "readme\n");
    ctx.commit("start");
    ctx
}

#[test]
fn a_config_that_is_not_utf8_names_the_default_path_and_the_byte_not_the_config_flag() {
    let ctx = repository();
    ctx.write("specgate.toml", b"[spec]\nroots = [\"\xff\"]\n");
    let run = ctx.run(&["check"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("error: could not read `[REPO]/specgate.toml`"), "{run}");
    assert!(run.stderr.contains("caused by: it is not UTF-8: byte 17 (line 2) is 0xff"), "{run}");
    assert!(run.stderr.contains("no `--config` was given, so specgate read `specgate.toml` at the root"), "{run}");
    assert!(!run.stderr.contains("given with `--config`"), "{run}");
    // Named on the command line, the hint speaks of the flag.
    let run = ctx.run(&["--config", "specgate.toml", "check"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("check the file given with `--config` or `SPECGATE_CONFIG`"), "{run}");
}

#[test]
fn a_config_that_is_a_fifo_a_device_or_oversized_stops_at_once_instead_of_being_skipped() {
    let ctx = repository();
    // A FIFO nobody writes to: it used to be skipped (the defaults applied, exit 0).
    let path = ctx.mkfifo("specgate.toml");
    let run = ctx.run_bounded(&["check"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("FIFO, socket or device, not a regular file"), "{run}");
    assert!(run.stderr.contains("regular file (not a FIFO, device or folder) of at most 1 MiB"), "{run}");
    // Named with --config, a FIFO blocked for ever.
    let run = ctx.run_bounded(&["--config", "specgate.toml", "check"]);
    assert_eq!(run.code, 2, "{run}");
    std::fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    let run = ctx.run_bounded(&["--config", "specgate.toml", "check"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("not a regular file"), "{run}");
    std::fs::remove_file(&path).unwrap();
    let mut file = std::fs::File::create(&path).unwrap();
    writeln!(file, "[severity]\nspec-missing-field = \"{}\"", "a".repeat(10_000_000)).unwrap();
    let run = ctx.run_bounded(&["check"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("over the limit of 1048576 bytes"), "{run}");
    assert!(run.stderr.len() < 2000, "{} bytes of stderr", run.stderr.len());
}

#[test]
fn semantic_errors_name_the_file_line_and_column_and_cut_long_values() {
    let ctx = repository();
    ctx.write("specgate.toml", "# limits\n[artifacts]\nfolder = \"artifacts\"\nmax-active = 0\n");
    let run = ctx.run(&["check"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("error: `[REPO]/specgate.toml:4:14`: `artifacts.max-active` must be at least 1"),
        "{run}"
    );
    ctx.write("specgate.toml", "[severity]\nspec-missing-field = \"warn\"\nno-such-code = \"deny\"\n");
    let run = ctx.run(&["check"]);
    assert!(run.stderr.contains("`[REPO]/specgate.toml:3:1`: `[severity]` names unknown code `no-such-code`"), "{run}");
    // A value of 500 KB is shown as its first 80 characters and its size.
    ctx.write("specgate.toml", format!("[emoji]\nallow-paths = [\"{}[\"]\n", "a".repeat(500_000)));
    let run = ctx.run(&["check"]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains(&format!("`{}... (500001 bytes)`", "a".repeat(80))), "{run}");
    assert!(run.stderr.len() < 1000, "{} bytes of stderr", run.stderr.len());
}

#[test]
fn every_configured_path_list_that_matches_nothing_is_an_error_at_its_entry() {
    let ctx = TestContext::new();
    ctx.write("docs/guide.md", "guide\n");
    ctx.write("specs/SPEC_DEMO_001.md", "---\nid: SPEC_DEMO_001\n---\n");
    ctx.write("tests/fixtures/keys.txt", "fixture\n");
    ctx.write("src/lib.py", "x = 1\n");
    ctx.write(
        "specgate.toml",
        "[spec]\nroots = [\"docs\", \"specs\"]\nexclude = [\"docs/archive/**\"]\ncomponents = [\"src\", \"feature\"]\n\
         require-front-matter = [\"specs\", \"spec\"]\n\
         [emoji]\nallow-paths = [\"tests/fixtures/**\", \"vendor/**\"]\n\
         [secrets]\nallow-paths = [\"tests/fixtures/**\", \"tests/fixture/**\"]\n\
         [[secrets.rules]]\nid = \"acme-token\"\nregex = 'acme_[a-z0-9]{16}'\npaths = [\"**/*.acme\"]\n\
         [tests]\ncritical = \"true\"\npaths = [\"src/**\", \"scr/**\"]\n\
         [hooks]\nspec-folders = [\"specs\", \"docs/specs\"]\n",
    );
    ctx.commit("start");
    let (code, report) = ctx.json(&["check", "--format", "json"]);
    assert_eq!(code, 1, "{report}");
    let unmatched: Vec<(String, String, u64)> =
        findings(&report).into_iter().filter(|(code, _, _)| code == "config-path-unmatched").collect();
    let lines: Vec<u64> = unmatched.iter().map(|(_, _, line)| *line).collect();
    // exclude (3), components `feature` (4), require-front-matter `spec` (5), emoji `vendor/**` (7),
    // secrets `tests/fixture/**` (9), the rule's paths (13), tests `scr/**` (16), hooks (18).
    assert_eq!(lines, [3, 4, 5, 7, 9, 13, 16, 18], "{report}");
    assert!(unmatched.iter().all(|(_, path, _)| path == "specgate.toml"), "{report}");
    let messages: Vec<&str> =
        report["findings"].as_array().unwrap().iter().filter_map(|f| f["message"].as_str()).collect();
    for expected in [
        "`[spec] exclude` names `docs/archive/**`, which matches no file: it excludes nothing",
        "`[spec] components` names `feature`, which holds no file",
        "`[spec] require-front-matter` names `spec`, which is the name of no folder of the repository",
        "`[emoji] allow-paths` names `vendor/**`, which matches no file",
        "`[secrets] allow-paths` names `tests/fixture/**`, which matches no file",
        "`paths` of the `[[secrets.rules]]` entry `acme-token` names `**/*.acme`, which matches no file: the rule `acme-token` runs on nothing",
        "`[tests] paths` names `scr/**`, which matches no file",
        "`[hooks] spec-folders` names `docs/specs`, which holds no file",
    ] {
        assert!(messages.iter().any(|m| m.starts_with(expected)), "{expected}\n{report}");
    }
    // Human output points at the entry itself, with the fix.
    let run = ctx.run(&["check", "secrets", "--all"]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains(
            "specgate.toml:9:37: error[config-path-unmatched]: `[secrets] allow-paths` names `tests/fixture/**`"
        ),
        "{run}"
    );
    assert!(run.stderr.contains("^^^^^^^^^^^^^^^^^^"), "{run}");
    assert!(run.stderr.contains("or remove the entry if the files are gone"), "{run}");
    // Each check reports its own lists; explicit files are not the whole file set.
    let run = ctx.run(&["check", "emoji", "--all"]);
    assert!(run.stderr.contains("`vendor/**`") && !run.stderr.contains("tests/fixture/**"), "{run}");
    let run = ctx.run(&["check", "secrets", "src/lib.py"]);
    assert!(!run.stderr.contains("config-path-unmatched"), "{run}");
    let run = ctx.run(&["check", "tests"]);
    assert!(run.stderr.contains("`scr/**`") && !run.stderr.contains("vendor"), "{run}");
    let run = ctx.run(&["check", "spec"]);
    assert!(run.stderr.contains("`docs/archive/**`") && !run.stderr.contains("scr/**"), "{run}");
    // The level is configurable like any code's.
    let mut text = std::fs::read_to_string(ctx.path("specgate.toml")).unwrap();
    text.push_str("[severity]\nconfig-path-unmatched = \"warn\"\n");
    ctx.write("specgate.toml", text);
    let run = ctx.run(&["check", "emoji", "--all"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("warning[config-path-unmatched]"), "{run}");
}

#[test]
fn a_scan_allow_path_may_name_members_of_a_tracked_archive() {
    let ctx = TestContext::new();
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    writer.start_file("pkg/fixture.py", zip::write::SimpleFileOptions::default()).unwrap();
    writer.write_all(b"x = 1\n").unwrap();
    ctx.write("vendor/pkg.whl", writer.finish().unwrap().into_inner());
    ctx.write("specgate.toml", "[secrets]\nallow-paths = [\"pkg/*.py\", \"vendor/*.whl\", \"pkg/*.js\"]\n");
    ctx.commit("start");
    let run = ctx.run(&["check", "secrets", "--all"]);
    assert_eq!(run.code, 1, "{run}");
    assert_eq!(run.stderr.matches("config-path-unmatched").count(), 1, "{run}");
    assert!(run.stderr.contains("names `pkg/*.js`"), "{run}");
}

#[test]
fn defaults_are_never_reported_and_the_projects_own_config_passes() {
    let ctx = repository();
    let run = ctx.run(&["check"]);
    assert_eq!(run.code, 0, "{run}");
    assert!(!run.stderr.contains("config-path-unmatched") && !run.stderr.contains("spec-root-empty"), "{run}");
    // The repository's own configuration lists only paths that exist.
    let own = crate::common::run(
        std::process::Command::new(env!("CARGO_BIN_EXE_specgate"))
            .args(["check", "secrets", "--all"])
            .current_dir(env!("CARGO_MANIFEST_DIR")),
    );
    assert!(!own.stderr.contains("config-path-unmatched"), "{own}");
}
