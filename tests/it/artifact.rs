//! Packing and unpacking with real files: reproducibility byte for byte, round trips through
//! our unpacker and through plain `tar`, and every malicious archive of the artifact issue,
//! crafted header by header.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use specgate::shared::artifact::unpack::{self, Limits};
use specgate::shared::artifact::{sidecar, Compression, Error};

use crate::common::{Run, TestContext};

/// Run a command with SOURCE_DATE_EPOCH unset (tests set it explicitly when they mean to).
pub fn run(command: &mut Command) -> Run {
    if !command.get_envs().any(|(key, _)| key == "SOURCE_DATE_EPOCH") {
        command.env_remove("SOURCE_DATE_EPOCH");
    }
    let output = command.output().expect("specgate runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A folder beside the repository for stages and outputs.
pub fn scratch(ctx: &TestContext) -> PathBuf {
    let path = ctx.dir.path().canonicalize().expect("the temp dir exists").join("scratch");
    fs::create_dir_all(&path).expect("scratch folder");
    path
}

/// A small stage that has what a CPython install has: executables, a relative symlink, a hard
/// link, an empty folder, a path longer than 100 bytes, and the LICENSE where `make install`
/// puts it.
pub fn make_stage(base: &Path, version: &str) -> PathBuf {
    let stage = base.join("stage");
    let line: Vec<&str> = version.split('.').collect();
    let line = format!("{}.{}", line[0], line[1]);
    let prefix = stage.join(format!("opt/python-{version}"));
    let write = |relative: &str, content: &[u8], mode: u32| {
        let path = prefix.join(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, content).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    };
    write(&format!("bin/python{line}"), b"#!/bin/sh\necho python\n", 0o755);
    write(&format!("lib/python{line}/os.py"), &b"import sys\n".repeat(20_000), 0o644);
    write(&format!("lib/python{line}/LICENSE.txt"), b"PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2\n", 0o644);
    write(&format!("include/python{line}/Python.h"), b"#define PY 1\n", 0o600);
    let long = format!("lib/python{line}/site-packages/{}/module.py", "a_really_long_package_name".repeat(5));
    write(&long, b"x = 1\n", 0o644);
    std::os::unix::fs::symlink(format!("python{line}"), prefix.join("bin/python3")).unwrap();
    fs::hard_link(prefix.join(format!("lib/python{line}/os.py")), prefix.join(format!("lib/python{line}/os_link.py")))
        .unwrap();
    fs::create_dir_all(prefix.join("share/empty")).unwrap();
    stage
}

/// Set every mtime and atime of a tree to `seconds`.
fn touch_all(dir: &Path, seconds: u64) {
    let time = SystemTime::UNIX_EPOCH + Duration::from_secs(seconds);
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            touch_all(&path, seconds);
        }
        if meta.is_file() {
            let file = fs::File::options().write(true).open(&path).unwrap();
            file.set_times(fs::FileTimes::new().set_modified(time).set_accessed(time)).unwrap();
        }
    }
}

fn package(ctx: &TestContext, stage: &Path, out: &Path, extra: &[&str]) -> Run {
    run(ctx
        .specgate()
        .arg("package")
        .arg(stage)
        .args(["--version", "3.12.6", "--distro", "debian12", "--build", "1", "--out"])
        .arg(out)
        .args(extra))
}

#[test]
fn package_is_byte_for_byte_reproducible() {
    let ctx = TestContext::new();
    let stage = make_stage(&scratch(&ctx), "3.12.6");
    let name = "cpython-3.12.6-debian12-build1.tgz";
    let first = package(&ctx, &stage, &scratch(&ctx).join("out1"), &["--no-ledger"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let second = package(&ctx, &stage, &scratch(&ctx).join("out2"), &["--no-ledger"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    touch_all(&stage, 1_234_567_890);
    let third = package(&ctx, &stage, &scratch(&ctx).join("out3"), &["--no-ledger"]);
    assert_eq!(third.code, 0, "{}", third.stderr);
    let bytes = |dir: &str| fs::read(scratch(&ctx).join(dir).join(name)).unwrap();
    assert_eq!(bytes("out1"), bytes("out2"), "packing twice gives the same bytes");
    assert_eq!(bytes("out1"), bytes("out3"), "source mtimes do not leak into the artifact");
    assert_eq!(
        fs::read(scratch(&ctx).join("out1").join(format!("{name}.sha256"))).unwrap(),
        fs::read(scratch(&ctx).join("out3").join(format!("{name}.sha256"))).unwrap()
    );

    // A different SOURCE_DATE_EPOCH is a different artifact (the mtime is really used).
    let epoch = run(ctx
        .specgate()
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .arg("package")
        .arg(&stage)
        .args(["--version", "3.12.6", "--distro", "debian12", "--build", "1", "--no-ledger", "--out"])
        .arg(scratch(&ctx).join("out4")));
    assert_eq!(epoch.code, 0, "{}", epoch.stderr);
    assert_ne!(bytes("out1"), bytes("out4"));

    // gzip header: only the extra field (the member's size), no name, mtime 0.
    let data = bytes("out1");
    assert_eq!(&data[..8], &[0x1f, 0x8b, 8, 4, 0, 0, 0, 0]);

    // sha256sum -c accepts the sidecar.
    let check = Command::new("sha256sum")
        .args(["-c", &format!("{name}.sha256")])
        .current_dir(scratch(&ctx).join("out1"))
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", String::from_utf8_lossy(&check.stderr));

    // Plain tar lists numeric owners 0/0, sorted names, the fixed mtime, and no user names.
    let list = Command::new("tar")
        .args(["-tvzf", name, "--numeric-owner"])
        .current_dir(scratch(&ctx).join("out1"))
        .output()
        .unwrap();
    assert!(list.status.success());
    let listing = String::from_utf8_lossy(&list.stdout);
    let lines: Vec<&str> = listing.lines().collect();
    assert!(lines.iter().all(|l| l.contains(" 0/0 ")), "{listing}");
    assert!(lines.iter().all(|l| l.contains("1980-01-01")), "{listing}");
    assert!(lines[0].ends_with(" opt/"), "{listing}");
    assert!(lines[2].ends_with(" opt/python-3.12.6/LICENSE"), "LICENSE sorts first in the prefix: {listing}");
    assert!(listing.contains("opt/python-3.12.6/bin/python3 -> python3.12"), "{listing}");
    assert!(listing.contains("os_link.py link to opt/python-3.12.6/lib/python3.12/os.py"), "{listing}");
}

#[test]
fn tgz_and_zst_round_trip_through_our_unpacker_and_plain_tar() {
    let ctx = TestContext::new();
    let stage = make_stage(&scratch(&ctx), "3.12.6");
    let license = scratch(&ctx).join("PSF-LICENSE");
    fs::write(&license, "PSF LICENSE AGREEMENT FOR PYTHON 3.12\n").unwrap();
    for (format, file, compression) in [
        ("tgz", "cpython-3.12.6-debian12-build1.tgz", Compression::Gzip),
        ("zst", "cpython-3.12.6-debian12-build1.tar.zst", Compression::Zstd),
    ] {
        let out = scratch(&ctx).join(format!("out-{format}"));
        let made = package(
            &ctx,
            &stage,
            &out,
            &["--no-ledger", "--compression", format, "--license", license.to_str().unwrap()],
        );
        assert_eq!(made.code, 0, "{}", made.stderr);
        let again = package(
            &ctx,
            &stage,
            &scratch(&ctx).join(format!("again-{format}")),
            &["--no-ledger", "--compression", format, "--license", license.to_str().unwrap()],
        );
        assert_eq!(again.code, 0);
        assert_eq!(
            fs::read(out.join(file)).unwrap(),
            fs::read(scratch(&ctx).join(format!("again-{format}")).join(file)).unwrap()
        );

        let archive = out.join(file);
        let digest = sidecar::verify(&archive).unwrap();
        let dest = scratch(&ctx).join(format!("unpacked-{format}"));
        let summary = unpack::unpack_verified(&archive, compression, digest, &dest, &Limits::default()).unwrap();
        assert_eq!(summary.symlinks, 1);
        assert_eq!(summary.hard_links, 1);
        let prefix = dest.join("opt/python-3.12.6");
        assert_eq!(fs::read_to_string(prefix.join("LICENSE")).unwrap(), "PSF LICENSE AGREEMENT FOR PYTHON 3.12\n");
        assert_eq!(fs::read_link(prefix.join("bin/python3")).unwrap(), PathBuf::from("python3.12"));
        assert_eq!(fs::read(prefix.join("lib/python3.12/os.py")).unwrap(), b"import sys\n".repeat(20_000));
        assert_eq!(
            fs::metadata(prefix.join("lib/python3.12/os.py")).unwrap().ino(),
            fs::metadata(prefix.join("lib/python3.12/os_link.py")).unwrap().ino()
        );
        assert_eq!(fs::metadata(prefix.join("bin/python3.12")).unwrap().permissions().mode() & 0o777, 0o755);
        assert_eq!(
            fs::metadata(prefix.join("include/python3.12/Python.h")).unwrap().permissions().mode() & 0o777,
            0o644
        );
        assert!(prefix.join("share/empty").is_dir());
        assert!(prefix
            .join(format!("lib/python3.12/site-packages/{}/module.py", "a_really_long_package_name".repeat(5)))
            .is_file());
        assert_eq!(fs::metadata(prefix.join("bin/python3.12")).unwrap().mtime(), 315_532_800);

        // Plain tar reads it too and gets the same tree.
        let plain = scratch(&ctx).join(format!("plain-{format}"));
        fs::create_dir_all(&plain).unwrap();
        let flag = if compression == Compression::Gzip { "-xzf" } else { "--zstd" };
        let mut tar = Command::new("tar");
        if compression == Compression::Gzip {
            tar.args([flag]).arg(&archive);
        } else {
            tar.args([flag, "-xf"]).arg(&archive);
        }
        let status = tar.arg("-C").arg(&plain).output().unwrap();
        if compression == Compression::Gzip || status.status.success() {
            assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
            let diff = Command::new("diff").arg("-r").arg("--no-dereference").arg(&dest).arg(&plain).output().unwrap();
            assert!(diff.status.success(), "{}", String::from_utf8_lossy(&diff.stdout));
        }
    }
}

#[test]
fn stage_without_license_or_with_absolute_symlink_is_refused() {
    let ctx = TestContext::new();
    let stage = make_stage(&scratch(&ctx), "3.12.6");
    fs::remove_file(stage.join("opt/python-3.12.6/lib/python3.12/LICENSE.txt")).unwrap();
    let made = package(&ctx, &stage, &scratch(&ctx).join("out"), &["--no-ledger"]);
    assert_eq!(made.code, 2);
    assert!(made.stderr.contains("no PSF LICENSE"), "{}", made.stderr);
    assert!(made.stderr.contains("--license FILE"), "{}", made.stderr);
    assert!(!scratch(&ctx).join("out/cpython-3.12.6-debian12-build1.tgz").exists());

    let stage = make_stage(&scratch(&ctx).join("second"), "3.12.6");
    std::os::unix::fs::symlink("/etc/passwd", stage.join("opt/python-3.12.6/bin/evil")).unwrap();
    let made = package(&ctx, &stage, &scratch(&ctx).join("out"), &["--no-ledger"]);
    assert_eq!(made.code, 2);
    assert!(made.stderr.contains("absolute path `/etc/passwd`"), "{}", made.stderr);

    let wrong_version = run(ctx.specgate().arg("package").arg(&stage).args([
        "--version",
        "3.12.7",
        "--distro",
        "debian12",
        "--build",
        "1",
        "--no-ledger",
    ]));
    assert_eq!(wrong_version.code, 2);
    assert!(wrong_version.stderr.contains("no `opt/python-3.12.7/`"), "{}", wrong_version.stderr);
}

// ---------------------------------------------------------------- crafted archives

/// A 12-byte tar number field: 11 octal digits and a NUL, or 12 digits when it does not fit
/// (as GNU tar writes sizes up to 64 GiB).
fn octal12(value: u64) -> String {
    if value < 8u64.pow(11) {
        format!("{value:011o}\0")
    } else {
        format!("{value:012o}")
    }
}

/// One raw tar header (GNU magic) with a correct checksum.
fn header(name: &str, kind: u8, size: u64, link: &str) -> Vec<u8> {
    let mut block = vec![0u8; 512];
    block[..name.len()].copy_from_slice(name.as_bytes());
    block[100..108].copy_from_slice(b"0000644\0");
    block[108..116].copy_from_slice(b"0000000\0");
    block[116..124].copy_from_slice(b"0000000\0");
    block[124..136].copy_from_slice(octal12(size).as_bytes());
    block[136..148].copy_from_slice(b"00000000000\0");
    block[156] = kind;
    block[157..157 + link.len()].copy_from_slice(link.as_bytes());
    block[257..265].copy_from_slice(b"ustar  \0");
    block[148..156].copy_from_slice(b"        ");
    let sum: u32 = block.iter().map(|b| u32::from(*b)).sum();
    block[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    block
}

enum Member<'a> {
    File(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
    HardLink(&'a str, &'a str),
    Raw(Vec<u8>),
}

fn tar_bytes(members: &[Member<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for member in members {
        match member {
            Member::File(name, data) => {
                out.extend(header(name, b'0', data.len() as u64, ""));
                out.extend_from_slice(data);
                out.resize(out.len().div_ceil(512) * 512, 0);
            }
            Member::Dir(name) => out.extend(header(name, b'5', 0, "")),
            Member::Symlink(name, target) => out.extend(header(name, b'2', 0, target)),
            Member::HardLink(name, target) => out.extend(header(name, b'1', 0, target)),
            Member::Raw(bytes) => out.extend_from_slice(bytes),
        }
    }
    out.extend(vec![0u8; 1024]);
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

/// Write a crafted .tgz into `base/archives/` and unpack it into `base/a/b/stage` with the
/// given limits; the folder `base/a/b` has nothing else, so writes outside are easy to see.
fn unpack_crafted(base: &Path, members: &[Member<'_>], limits: Limits) -> Result<unpack::Summary, Error> {
    let archives = base.join("archives");
    fs::create_dir_all(&archives).unwrap();
    let archive = archives.join("crafted.tgz");
    fs::write(&archive, gzip(&tar_bytes(members))).unwrap();
    fs::create_dir_all(base.join("a/b")).unwrap();
    unpack::unpack(&archive, Compression::Gzip, &base.join("a/b/stage"), &limits)
}

/// Every file under `base` except the crafted archives: nothing may appear after a refusal.
fn files_under(base: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![base.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.ends_with("archives") {
                continue;
            }
            if fs::symlink_metadata(&path).unwrap().is_dir() {
                stack.push(path.clone());
            }
            out.push(path);
        }
    }
    out.sort();
    out
}

fn assert_refused(members: &[Member<'_>], limits: Limits, expected: &str) {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let error = unpack_crafted(&base, members, limits).expect_err("the archive is refused");
    let text = error.to_string();
    assert!(text.contains(expected), "expected `{expected}` in: {text}");
    assert!(error.hint().is_some());
    assert_eq!(files_under(&base), vec![base.join("a"), base.join("a/b")], "nothing is left behind: {text}");
}

#[test]
fn malicious_archives_are_refused_and_nothing_is_written() {
    let limits = Limits::default();
    let outside = "/tmp/specgate-it-absolute-member";
    let _ = fs::remove_file(outside);
    let cases: Vec<(&str, Vec<Member<'_>>, &str)> = vec![
        (
            "dot-dot",
            vec![Member::File("ok.txt", b"fine"), Member::File("../../etc/passwd", b"root::0:0")],
            "`..` component",
        ),
        ("absolute", vec![Member::File(outside, b"x")], "absolute path"),
        (
            "symlink to /etc then a file through it",
            vec![Member::Symlink("opt/etc", "/etc"), Member::File("opt/etc/passwd", b"x")],
            "absolute path `/etc`",
        ),
        (
            "relative symlink out then a file through it",
            vec![Member::Symlink("opt/up", "../../.."), Member::File("opt/up/escaped", b"x")],
            "written through the symlink `opt/up`",
        ),
        (
            "relative symlink out of the tree",
            vec![Member::Dir("opt/"), Member::Symlink("opt/up", "../../outside")],
            "leaves the destination",
        ),
        (
            "symlink chain out of the tree",
            vec![Member::Dir("x/"), Member::Symlink("x/l", ".."), Member::Symlink("y", "x/l/..")],
            "`y` is a symlink to `x/l/..`",
        ),
        (
            "symlink loop",
            vec![Member::Dir("opt/"), Member::Symlink("opt/a", "b"), Member::Symlink("opt/b", "a")],
            "whose links do not end: they loop",
        ),
        ("hard link out of the tree", vec![Member::HardLink("opt/h", "../../outside/file")], "`..` component"),
        ("hard link to an absolute path", vec![Member::HardLink("opt/h", "/etc/passwd")], "absolute path"),
        (
            "hard link to a symlink",
            vec![Member::Symlink("opt/s", "f"), Member::HardLink("opt/h", "opt/s")],
            "not a file earlier",
        ),
        ("character device", vec![Member::Raw(header("opt/null", b'3', 0, ""))], "device node"),
        ("fifo", vec![Member::Raw(header("opt/fifo", b'6', 0, ""))], "FIFO"),
        (
            "file then symlink of the same name",
            vec![Member::File("opt/a", b"x"), Member::Symlink("opt/a", "b")],
            "appears twice",
        ),
        (
            "file after symlink parent via dir",
            vec![Member::Symlink("opt", "elsewhere"), Member::Dir("opt/sub/")],
            "written through the symlink `opt`",
        ),
    ];
    for (label, members, expected) in cases {
        eprintln!("case: {label}");
        assert_refused(&members, limits, expected);
    }
    assert!(!Path::new(outside).exists());
}

#[test]
fn sparse_bomb_header_and_huge_declared_size_are_refused_before_reading() {
    // A GNU sparse member whose real size is 10 GB, with no data behind it.
    let mut sparse = header("opt/bomb", b'S', 0, "");
    sparse[483..495].copy_from_slice(octal12(10u64 * 1024 * 1024 * 1024).as_bytes());
    sparse[148..156].copy_from_slice(b"        ");
    let sum: u32 = sparse.iter().map(|b| u32::from(*b)).sum();
    sparse[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
    assert_refused(&[Member::Raw(sparse)], Limits::default(), "sparse file declaring 10737418240 bytes");

    // A regular member that claims 10 GB: refused on its header, not after reading.
    let huge = header("opt/huge", b'0', 10u64 * 1024 * 1024 * 1024, "");
    assert_refused(&[Member::Raw(huge)], Limits::default(), "declares 10737418240 bytes");
}

#[test]
fn member_count_and_total_size_limits_are_configurable() {
    let files: Vec<String> = (0..10).map(|i| format!("f{i}")).collect();
    let members: Vec<Member<'_>> = files.iter().map(|f| Member::File(f, b"x")).collect();
    assert_refused(&members, Limits { max_entries: 5, max_bytes: 1 << 30 }, "more than 5 members");
    let big = vec![b'a'; 3000];
    assert_refused(
        &[Member::File("big", &big)],
        Limits { max_entries: 100, max_bytes: 2000 },
        "past the limit of 2000 bytes",
    );
    // Within the limits the same archives unpack.
    let dir = tempfile::tempdir().unwrap();
    let summary = unpack_crafted(dir.path(), &members, Limits::default()).unwrap();
    assert_eq!(summary.files, 10);
}

#[test]
fn truncated_gzip_stream_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let data = vec![7u8; 200_000];
    let good = gzip(&tar_bytes(&[Member::File("opt/a", &data), Member::File("opt/b", b"tail")]));
    for cut in [good.len() - 4, good.len() - 100, good.len() / 2] {
        let archive = base.join(format!("cut-{cut}.tgz"));
        fs::write(&archive, &good[..cut]).unwrap();
        let dest = base.join("stage");
        let error = unpack::unpack(&archive, Compression::Gzip, &dest, &Limits::default()).unwrap_err();
        assert!(matches!(error, Error::Archive { .. }), "cut at {cut}: {error}");
        assert!(error.to_string().contains("truncated or corrupt"), "{error}");
        assert!(!dest.exists(), "the staging folder is removed");
    }
}

#[test]
fn checksum_mismatch_is_refused_before_the_tar_parser_runs() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let archive = base.join("a.tgz");
    fs::write(&archive, gzip(&tar_bytes(&[Member::File("opt/a", b"x")]))).unwrap();
    let wrong = sidecar::Digest([0u8; 32]);
    let dest = base.join("stage");
    let error = unpack::unpack_verified(&archive, Compression::Gzip, wrong, &dest, &Limits::default()).unwrap_err();
    assert!(matches!(error, Error::Mismatch { .. }), "{error}");
    assert!(!dest.exists());
}

#[test]
fn existing_destination_is_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let archive = base.join("a.tgz");
    fs::write(&archive, gzip(&tar_bytes(&[Member::File("opt/a", b"x")]))).unwrap();
    let dest = base.join("stage");
    fs::create_dir(&dest).unwrap();
    fs::write(dest.join("keep"), "mine").unwrap();
    assert!(unpack::unpack(&archive, Compression::Gzip, &dest, &Limits::default()).is_err());
    assert_eq!(fs::read_to_string(dest.join("keep")).unwrap(), "mine");
}

#[test]
fn truncated_zstd_stream_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    let data = vec![7u8; 200_000];
    let good =
        zstd::encode_all(&tar_bytes(&[Member::File("opt/a", &data), Member::File("opt/b", b"tail")])[..], 3).unwrap();
    for cut in [good.len() - 4, good.len() / 2] {
        let archive = base.join(format!("cut-{cut}.tar.zst"));
        fs::write(&archive, &good[..cut]).unwrap();
        let dest = base.join("stage");
        let error = unpack::unpack(&archive, Compression::Zstd, &dest, &Limits::default()).unwrap_err();
        assert!(matches!(error, Error::Archive { .. }), "cut at {cut}: {error}");
        assert!(!dest.exists(), "the staging folder is removed");
    }
}

/// Archives from other tools unpack too: GNU tar's POSIX (pax) format, with long names and
/// long link targets carried in pax records, must not confuse the header guard.
#[test]
fn gnu_tar_pax_archive_unpacks_like_tar_does() {
    let ctx = TestContext::new();
    let stage = make_stage(&scratch(&ctx), "3.12.6");
    let deep = format!("opt/python-3.12.6/{}", "d".repeat(90));
    fs::create_dir_all(stage.join(&deep)).unwrap();
    std::os::unix::fs::symlink(
        format!("../{}/../bin/python3.12", "d".repeat(90)),
        stage.join("opt/python-3.12.6/bin/longlink"),
    )
    .unwrap();
    fs::write(stage.join(&deep).join("f".repeat(120)), vec![b'z'; 70_000]).unwrap();
    let archive = scratch(&ctx).join("pax.tgz");
    let made = Command::new("tar")
        .args(["--format=posix", "-czf"])
        .arg(&archive)
        .arg("-C")
        .arg(&stage)
        .arg("opt")
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let ours = scratch(&ctx).join("ours");
    unpack::unpack(&archive, Compression::Gzip, &ours, &Limits::default()).unwrap();
    let theirs = scratch(&ctx).join("theirs");
    fs::create_dir_all(&theirs).unwrap();
    let extracted = Command::new("tar").arg("-xzf").arg(&archive).arg("-C").arg(&theirs).output().unwrap();
    assert!(extracted.status.success());
    let diff = Command::new("diff").arg("-r").arg("--no-dereference").arg(&ours).arg(&theirs).output().unwrap();
    assert!(diff.status.success(), "{}", String::from_utf8_lossy(&diff.stdout));
}

/// The bytes do not depend on how many threads compress them (machines differ in cores).
#[test]
fn output_does_not_depend_on_the_thread_count() {
    use specgate::shared::artifact::pack::{pack, PackOptions, DEFAULT_MTIME};
    use specgate::shared::artifact::{ArtifactName, PythonVersion};
    let dir = tempfile::tempdir().unwrap();
    let stage = make_stage(dir.path(), "3.12.6");
    let version = PythonVersion::parse("3.12.6").unwrap();
    for compression in [Compression::Gzip, Compression::Zstd] {
        if compression == Compression::Zstd {
            // Larger than zstd's job size at level 3 (8 MiB), so several workers take part.
            // (gzip's slicing is covered by a unit test; debug-built deflate is slow.)
            let big: Vec<u8> = (0..12_000_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 27) as u8).collect();
            fs::write(stage.join("opt/python-3.12.6/lib/libbig.a"), big).unwrap();
        }
        let name = ArtifactName::new(version, "debian12", 1, compression).unwrap();
        let mut outputs = Vec::new();
        for threads in [1, 3] {
            let options = PackOptions {
                mtime: DEFAULT_MTIME,
                level: if compression == Compression::Gzip { 6 } else { 3 },
                threads,
                license: None,
                upstream: None,
            };
            let out = dir.path().join(format!("out-{threads}"));
            let summary = pack(&stage, &name, &out, &options).unwrap();
            outputs.push(fs::read(summary.path).unwrap());
        }
        assert_eq!(outputs[0], outputs[1], "{compression:?}");
    }
}
