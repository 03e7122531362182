//! `specgate check emoji` over real git repositories, for every file-set mode.
//!
//! Emoji are written as Rust escapes: the repository itself must stay free of them.
// spec[verify SPEC_INFRA_001#CA-007]

use std::io::Write as _;

use crate::common::{run, TestContext};

const GRIN: &str = "\u{1F600}";
const FLAG: &str = "\u{1F1EA}\u{1F1F8}";
const FAMILY: &str = "\u{1F468}\u{200D}\u{1F469}\u{200D}\u{1F467}";

fn json(ctx: &TestContext, args: &[&str]) -> (i32, serde_json::Value) {
    let result = run(ctx.specgate().args(["--format", "json", "check", "emoji"]).args(args));
    let value = serde_json::from_str(&result.stdout)
        .unwrap_or_else(|error| panic!("stdout is JSON ({error}): {}\nstderr: {}", result.stdout, result.stderr));
    (result.code, value)
}

fn finding_places(report: &serde_json::Value) -> Vec<(String, u64, u64)> {
    report["findings"]
        .as_array()
        .expect("findings is an array")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().expect("path").to_owned(),
                f["line"].as_u64().expect("line"),
                f["column"].as_u64().expect("column"),
            )
        })
        .collect()
}

#[test]
fn all_scans_tracked_files_only_and_reports_json_shape() {
    let ctx = TestContext::new();
    ctx.write("README.md", format!("# T\u{00ED}tulo\n\u{00BF}Qu\u{00E9}? \u{00A9} 2026\nok {GRIN}\n"));
    ctx.write("docs/flags.md", format!("{FLAG} and {FAMILY}\n"));
    ctx.write("logo.bin", b"\x89PNG\0\0\x01\x02");
    ctx.commit("initial");
    ctx.write("untracked.md", GRIN);

    let (code, report) = json(&ctx, &["--all"]);
    assert_eq!(code, 1);
    assert_eq!(
        finding_places(&report),
        vec![("README.md".to_owned(), 3, 4), ("docs/flags.md".to_owned(), 1, 1), ("docs/flags.md".to_owned(), 1, 8)]
    );
    let first = &report["findings"][0];
    assert_eq!(first["code"], "emoji-found");
    assert_eq!(first["severity"], "error");
    assert!(first["message"].as_str().unwrap().contains("U+1F600"), "{first}");
    assert!(report["findings"][2]["message"].as_str().unwrap().contains("U+1F468 U+200D U+1F469 U+200D U+1F467"));
    assert_eq!(report["skipped"], serde_json::json!([{ "path": "logo.bin", "reason": "binary" }]));
    assert_eq!(report["summary"]["errors"], 2 + 1);
}

#[test]
fn clean_text_with_symbols_passes_and_strict_reports_them() {
    let ctx = TestContext::new();
    ctx.write(
        "LICENSE",
        "Copyright \u{00A9} 2026 Example\u{2122}\n\u{2194} \u{2714} \u{26A0} \u{2764}\n\u{250C}\u{2500}\u{2510} \u{2211} \u{4E2D}\u{6587} \u{0915}\u{094D}\u{200D}\u{0937}\n",
    );
    ctx.commit("license");
    let result = run(ctx.specgate().args(["check", "emoji"]));
    assert_eq!(result.code, 0, "{}", result.stderr);
    assert!(result.stderr.contains("ok: 0 errors"), "{}", result.stderr);

    let (code, report) = json(&ctx, &["--strict"]);
    assert_eq!(code, 1);
    let codes: Vec<&str> = report["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["emoji-text-symbol"; 6]);
}

#[test]
fn staged_scans_the_index_blob_even_when_the_work_tree_is_clean() {
    let ctx = TestContext::new();
    ctx.write("notes.md", "clean\n");
    ctx.write("other.md", "clean\n");
    ctx.commit("initial");
    ctx.write("notes.md", format!("clean\nstaged {GRIN}\n"));
    ctx.git(&["add", "notes.md"]);
    // The work tree no longer has the emoji (and the file is even gone), the index does.
    ctx.write("notes.md", "clean\n");
    let (code, report) = json(&ctx, &["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(finding_places(&report), vec![("notes.md".to_owned(), 2, 8)]);
    std::fs::remove_file(ctx.path("notes.md")).unwrap();
    let (code, _) = json(&ctx, &["--staged"]);
    assert_eq!(code, 1);

    // The explicit-path mode reads the work tree, which is clean.
    ctx.write("notes.md", "clean\n");
    let result = run(ctx.specgate().args(["check", "emoji", "notes.md"]));
    assert_eq!(result.code, 0, "{}", result.stderr);
}

#[test]
fn staged_on_an_unborn_branch_scans_every_staged_file() {
    let ctx = TestContext::new();
    ctx.write("a.md", GRIN);
    ctx.git(&["add", "a.md"]);
    let (code, report) = json(&ctx, &["--staged"]);
    assert_eq!(code, 1);
    assert_eq!(finding_places(&report), vec![("a.md".to_owned(), 1, 1)]);
}

#[test]
fn range_finds_an_emoji_added_and_removed_inside_the_range() {
    let ctx = TestContext::new();
    ctx.write("old.md", format!("already pushed {GRIN}\n"));
    ctx.write("a.md", "one\n");
    let base = ctx.commit("base");
    ctx.write("a.md", format!("one\ntwo {FLAG}\n"));
    let added = ctx.commit("add");
    ctx.write("a.md", "one\n");
    ctx.write("old.md", format!("already pushed {GRIN}\nnew clean line\n"));
    let head = ctx.commit("remove");

    let (code, report) = json(&ctx, &["--range", &format!("{base}..{head}")]);
    assert_eq!(code, 1);
    // Only the added line counts: the emoji already in old.md before the range is not reported.
    assert_eq!(finding_places(&report), vec![("a.md".to_owned(), 2, 5)]);
    let message = report["findings"][0]["message"].as_str().unwrap();
    assert!(message.contains(&added[..10]), "{message}");

    // A clean range passes.
    ctx.write("b.md", "clean\n");
    let clean = ctx.commit("clean");
    let result = run(ctx.specgate().args(["check", "emoji", "--range", &format!("{head}..{clean}")]));
    assert_eq!(result.code, 0, "{}", result.stderr);
}

#[test]
fn range_over_a_rename_reports_nothing_new() {
    let ctx = TestContext::new();
    ctx.write("a.md", format!("old {GRIN}\nline\nline\nline\n"));
    let base = ctx.commit("base");
    ctx.git(&["mv", "a.md", "b.md"]);
    let head = ctx.commit("rename");
    let result = run(ctx.specgate().args(["check", "emoji", "--range", &format!("{base}..{head}")]));
    assert_eq!(result.code, 0, "{}", result.stderr);
}

fn tgz(members: &[(&str, &[u8])]) -> Vec<u8> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(encoder);
    for (name, content) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, *content).unwrap();
    }
    builder.into_inner().unwrap().finish().unwrap()
}

fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, content) in members {
        writer.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

#[test]
fn archive_members_are_scanned_as_streams() {
    let ctx = TestContext::new();
    ctx.commit("empty");
    let wheel = zip(&[("pkg/__init__.py", format!("x = '{GRIN}'\n").as_bytes())]);
    let archive = tgz(&[
        ("opt/python/README", "clean\n".as_bytes()),
        ("opt/python/bin/python3", b"\x7fELF\0\0\0"),
        ("opt/python/share/msg.txt", format!("line\nhi {FLAG}\n").as_bytes()),
        ("opt/python/dist/pkg-1.0-py3-none-any.whl", &wheel),
    ]);
    // Outside the repository on purpose: `--archive` takes any file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cpython-3.12.6-test-build1.tgz");
    std::fs::write(&path, archive).unwrap();
    let shown = path.display().to_string();

    let (code, report) = json(&ctx, &["--archive", &shown]);
    assert_eq!(code, 1);
    assert_eq!(
        finding_places(&report),
        vec![
            (format!("{shown}!opt/python/dist/pkg-1.0-py3-none-any.whl!pkg/__init__.py"), 1, 6),
            (format!("{shown}!opt/python/share/msg.txt"), 2, 4),
        ]
    );
    assert_eq!(report["skipped"][0]["path"], format!("{shown}!opt/python/bin/python3"));
    assert_eq!(report["skipped"][0]["reason"], "binary");
    // Nothing was extracted next to the archive.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn all_looks_inside_tracked_zip_archives() {
    let ctx = TestContext::new();
    ctx.write("dist/app.zip", zip(&[("app/readme.txt", format!("{GRIN}\n").as_bytes())]));
    ctx.commit("archive");
    let (code, report) = json(&ctx, &["--all"]);
    assert_eq!(code, 1);
    assert_eq!(finding_places(&report), vec![("dist/app.zip!app/readme.txt".to_owned(), 1, 1)]);
}

#[test]
fn config_allow_paths_and_size_cap() {
    let ctx = TestContext::new();
    ctx.write("specgate.toml", "[emoji]\nallow-paths = [\"vendor/**\"]\nmax-file-bytes = 64\n");
    ctx.write("vendor/lib.js", GRIN);
    ctx.write("big.md", format!("{}{GRIN}\n", "x".repeat(100)));
    ctx.commit("config");
    let (code, report) = json(&ctx, &[]);
    assert_eq!(code, 0, "{report}");
    let findings = report["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["code"], "scan-file-too-large");
    assert_eq!(findings[0]["severity"], "warning");
    assert_eq!(findings[0]["path"], "big.md");
}

#[test]
fn usage_problems_exit_2_with_a_hint() {
    let ctx = TestContext::new();
    ctx.commit("empty");
    let result = run(ctx.specgate().args(["check", "emoji", "--archive", "missing.tgz"]));
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stderr.contains("hint:"), "{}", result.stderr);
    let result = run(ctx.specgate().args(["check", "emoji", "--range", "nope..HEAD"]));
    assert_eq!(result.code, 2, "{}", result.stderr);
    assert!(result.stderr.contains("`nope..HEAD`"), "{}", result.stderr);
    let result = run(ctx.specgate().args(["check", "emoji", "--staged", "--all"]));
    assert_eq!(result.code, 2, "{}", result.stderr);
}

#[test]
fn check_without_subcommand_includes_emoji() {
    let ctx = TestContext::new();
    ctx.write("a.md", format!("{GRIN}\n"));
    ctx.commit("a");
    let result = run(ctx.specgate().args(["--format", "json", "check"]));
    assert_eq!(result.code, 1, "{}", result.stderr);
    assert!(result.stdout.contains("emoji-found"), "{}", result.stdout);
}

#[test]
fn broken_tracked_archive_is_a_warning_and_scanned_as_bytes() {
    let ctx = TestContext::new();
    ctx.write("tests/fixtures/broken.tgz", format!("not gzip at all {GRIN}\n"));
    ctx.commit("fixture");
    let (code, report) = json(&ctx, &["--all"]);
    assert_eq!(code, 1);
    let codes: Vec<(&str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["code"].as_str().unwrap(), f["severity"].as_str().unwrap()))
        .collect();
    assert_eq!(codes, vec![("scan-archive-unreadable", "warning"), ("emoji-found", "error")]);
}

#[test]
fn range_with_a_merge_reports_a_side_branch_emoji_once() {
    let ctx = TestContext::new();
    ctx.write("a.md", "one\n");
    let base = ctx.commit("base");
    ctx.git(&["checkout", "-q", "-b", "side"]);
    ctx.write("side.md", format!("side {GRIN}\n"));
    ctx.commit("side");
    ctx.git(&["checkout", "-q", "main"]);
    ctx.write("a.md", "one\ntwo\n");
    ctx.commit("main");
    ctx.git(&["merge", "-q", "--no-edit", "side"]);
    let head = ctx.git(&["rev-parse", "HEAD"]);
    let (code, report) = json(&ctx, &["--range", &format!("{base}..{head}")]);
    assert_eq!(code, 1);
    assert_eq!(finding_places(&report), vec![("side.md".to_owned(), 1, 6)]);
}

#[test]
fn archive_flag_reads_wheels_and_zstd_tarballs() {
    let ctx = TestContext::new();
    ctx.commit("empty");
    let dir = tempfile::tempdir().unwrap();
    let wheel = dir.path().join("pkg-1.0-py3-none-any.whl");
    std::fs::write(&wheel, zip(&[("pkg/data.txt", format!("\n\n{FAMILY}\n").as_bytes())])).unwrap();
    let (code, report) = json(&ctx, &["--archive", &wheel.display().to_string()]);
    assert_eq!(code, 1);
    assert_eq!(finding_places(&report), vec![(format!("{}!pkg/data.txt", wheel.display()), 3, 1)]);

    let tarball = {
        let mut builder = tar::Builder::new(Vec::new());
        let content = format!("ok\n{FLAG}\n");
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_cksum();
        builder.append_data(&mut header, "share/flag.txt", content.as_bytes()).unwrap();
        builder.into_inner().unwrap()
    };
    let zst = dir.path().join("release.tar.zst");
    std::fs::write(&zst, zstd::encode_all(tarball.as_slice(), 1).unwrap()).unwrap();
    let (code, report) = json(&ctx, &["--archive", &zst.display().to_string()]);
    assert_eq!(code, 1);
    assert_eq!(finding_places(&report), vec![(format!("{}!share/flag.txt", zst.display()), 2, 1)]);

    // A clean archive passes.
    let clean = dir.path().join("clean.zip");
    std::fs::write(&clean, zip(&[("a.txt", "\u{00BF}Qu\u{00E9} tal? \u{00A9}\n".as_bytes())])).unwrap();
    let (code, _) = json(&ctx, &["--archive", &clean.display().to_string()]);
    assert_eq!(code, 0);
}

#[test]
fn utf16_text_is_scanned_not_skipped_as_binary() {
    let ctx = TestContext::new();
    let text = format!("line one\r\nsay {GRIN}\r\n");
    let bytes: Vec<u8> = [0xFF, 0xFE].into_iter().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect();
    ctx.write("notes-utf16.txt", bytes);
    ctx.commit("utf16");
    let (code, report) = json(&ctx, &["--all"]);
    assert_eq!(code, 1);
    assert_eq!(finding_places(&report), vec![("notes-utf16.txt".to_owned(), 2, 5)]);
    assert_eq!(report["skipped"], serde_json::json!([]));
}
