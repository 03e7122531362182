//! The tar unpacker. The first byte picks how the rest becomes an archive file: a tar stream
//! packed as gzip, as `specgate package`'s sized gzip members, or as zstd; or the bytes taken as
//! the compressed file itself. Whatever happens, nothing beside the staging folder changes; on
//! error the staging folder is gone; on success every symlink in it stays inside it.
#![no_main]

use std::fs;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

use libfuzzer_sys::fuzz_target;
use specgate::shared::artifact::name::Compression;
use specgate::shared::artifact::pack::ParallelGzip;
use specgate::shared::artifact::unpack::{self, Limits};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (file, compression) = match mode % 5 {
        0 => {
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder.write_all(rest).expect("writing to memory");
            (encoder.finish().expect("writing to memory"), Compression::Gzip)
        }
        1 => {
            let mut encoder = ParallelGzip::new(Vec::new(), 1, 1);
            encoder.write_all(rest).expect("writing to memory");
            (encoder.finish().expect("writing to memory"), Compression::Gzip)
        }
        2 => (zstd::stream::encode_all(rest, 1).expect("writing to memory"), Compression::Zstd),
        3 => (rest.to_vec(), Compression::Gzip),
        _ => (rest.to_vec(), Compression::Zstd),
    };

    let dir = tempfile::tempdir().expect("a temporary folder");
    let archive = dir.path().join("archive");
    fs::write(&archive, &file).expect("writing the archive");
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).expect("creating the canary folder");
    fs::write(outside.join("canary"), b"untouched").expect("writing the canary");
    let stage = dir.path().join("stage");
    let limits = Limits { max_entries: 256, max_bytes: 4 << 20 };

    let result = unpack::unpack(&archive, compression, &stage, &limits);

    let names = |path: &Path| -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(path)
            .expect("readable")
            .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(names(&outside), ["canary"]);
    assert_eq!(fs::read(outside.join("canary")).expect("the canary"), b"untouched");
    match result {
        Ok(summary) => {
            assert_eq!(names(dir.path()), ["archive", "outside", "stage"]);
            assert!(summary.members() <= limits.max_entries && summary.bytes <= limits.max_bytes, "{summary:?}");
            check_links(&stage, Path::new(""));
        }
        Err(error) => {
            assert_eq!(names(dir.path()), ["archive", "outside"], "{error}: the staging folder was left behind");
        }
    }
});

/// Every symlink under `root/relative` leads inside `root`, following the links it meets.
fn check_links(root: &Path, relative: &Path) {
    for entry in fs::read_dir(root.join(relative)).expect("readable") {
        let entry = entry.expect("an entry");
        let path = relative.join(entry.file_name());
        let kind = entry.file_type().expect("a file type");
        if kind.is_symlink() {
            assert!(resolve_inside(root, &path, 0).is_some(), "the symlink `{}` leads out", path.display());
        } else if kind.is_dir() {
            check_links(root, &path);
        } else {
            assert!(kind.is_file(), "`{}` is neither a file, a folder nor a symlink", path.display());
        }
    }
}

/// Where the symlink at `link` leads, relative to `root`; `None` if it leaves, is absolute or loops.
fn resolve_inside(root: &Path, link: &Path, depth: usize) -> Option<PathBuf> {
    if depth > 40 {
        return None;
    }
    let target = fs::read_link(root.join(link)).ok()?;
    let mut current: Vec<std::ffi::OsString> =
        link.parent().map(|p| p.iter().map(ToOwned::to_owned).collect()).unwrap_or_default();
    for component in target.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                current.pop()?;
            }
            Component::Normal(name) => {
                current.push(name.to_owned());
                let here: PathBuf = current.iter().collect();
                if fs::symlink_metadata(root.join(&here)).is_ok_and(|m| m.file_type().is_symlink()) {
                    current = resolve_inside(root, &here, depth + 1)?.iter().map(ToOwned::to_owned).collect();
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(current.iter().collect())
}
