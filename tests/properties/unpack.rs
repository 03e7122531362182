//! The tar unpacker (`artifact::unpack`): what it promises in its module docs, checked on
//! generated, hostile and mutated archives. The staging folder is made whole or not at all:
//! on success every member is inside it (links included), on error it is gone; nothing beside
//! it is ever touched, and nothing panics.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Component, Path, PathBuf};

use proptest::prelude::*;
use specgate::shared::artifact::name::Compression;
use specgate::shared::artifact::pack::ParallelGzip;
use specgate::shared::artifact::unpack::{self, Limits, Summary};

use crate::config;

/// What a generated member is.
#[derive(Debug, Clone)]
pub enum Kind {
    File(Vec<u8>),
    Dir,
    Symlink(String),
    HardLink(String),
    /// Any other type byte: FIFOs, devices, sparse files, pax and GNU records, unknown types.
    Other(u8),
}

#[derive(Debug, Clone)]
pub struct Member {
    pub name: String,
    pub kind: Kind,
    pub mode: u32,
}

/// How the tar stream is compressed.
#[derive(Debug, Clone, Copy)]
pub enum Packing {
    Gzip,
    /// gzip members that carry their size, as `specgate package` writes them.
    SizedGzip,
    Zstd,
}

impl Packing {
    pub fn compression(self) -> Compression {
        match self {
            Packing::Gzip | Packing::SizedGzip => Compression::Gzip,
            Packing::Zstd => Compression::Zstd,
        }
    }

    pub fn compress(self, tar: &[u8]) -> Vec<u8> {
        use std::io::Write as _;
        match self {
            Packing::Gzip => {
                let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
                encoder.write_all(tar).expect("writing to memory");
                encoder.finish().expect("writing to memory")
            }
            Packing::SizedGzip => {
                let mut encoder = ParallelGzip::new(Vec::new(), 1, 1);
                encoder.write_all(tar).expect("writing to memory");
                encoder.finish().expect("writing to memory")
            }
            Packing::Zstd => zstd::stream::encode_all(tar, 1).expect("writing to memory"),
        }
    }
}

/// One 512-byte header block (GNU format) with the checksum set.
fn header_block(name: &[u8], kind: u8, size: u64, mode: u32, link: &[u8]) -> Vec<u8> {
    let mut header = tar::Header::new_gnu();
    {
        let old = header.as_old_mut();
        let n = name.len().min(old.name.len());
        old.name[..n].copy_from_slice(&name[..n]);
        let n = link.len().min(old.linkname.len());
        old.linkname[..n].copy_from_slice(&link[..n]);
    }
    header.set_size(size);
    header.set_mode(mode);
    header.set_mtime(315_532_800);
    header.set_entry_type(tar::EntryType::new(kind));
    header.set_cksum();
    header.as_bytes().to_vec()
}

fn push_data(out: &mut Vec<u8>, data: &[u8]) {
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512, 0);
}

/// A GNU long-name (`L`) or long-link (`K`) record in front of a member whose name is too long.
fn push_long(out: &mut Vec<u8>, kind: u8, value: &[u8]) {
    if value.len() >= 100 {
        let mut data = value.to_vec();
        data.push(0);
        out.extend(header_block(b"././@LongLink", kind, data.len() as u64, 0o644, b""));
        push_data(out, &data);
    }
}

/// The tar stream of `members`, written header by header so that names tar's own builder
/// refuses (`..`, absolute paths) can be made.
pub fn tar_bytes(members: &[Member]) -> Vec<u8> {
    let mut out = Vec::new();
    for member in members {
        let name = member.name.as_bytes();
        push_long(&mut out, b'L', name);
        match &member.kind {
            Kind::File(data) => {
                out.extend(header_block(name, b'0', data.len() as u64, member.mode, b""));
                push_data(&mut out, data);
            }
            Kind::Dir => out.extend(header_block(name, b'5', 0, member.mode, b"")),
            Kind::Symlink(target) | Kind::HardLink(target) => {
                push_long(&mut out, b'K', target.as_bytes());
                let kind = if matches!(member.kind, Kind::Symlink(_)) { b'2' } else { b'1' };
                out.extend(header_block(name, kind, 0, member.mode, target.as_bytes()));
            }
            Kind::Other(kind) => {
                out.extend(header_block(name, *kind, 3, member.mode, b""));
                push_data(&mut out, b"abc");
            }
        }
    }
    out.extend([0u8; 1024]);
    out
}

const NAMES: &[&str] = &["a", "b", "opt", "bin", "lib"];

/// Type bytes other than file, folder and links: devices, FIFO, sparse, pax and GNU records,
/// a tape volume label, an unknown type, and the old-style regular file (NUL).
const OTHER_TYPES: &[u8] = &[b'3', b'4', b'6', b'S', b'x', b'g', b'L', b'K', b'V', b'Z', 0];

fn component() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => proptest::sample::select(NAMES).prop_map(str::to_owned),
        1 => Just("..".to_owned()),
        1 => Just(".".to_owned()),
        1 => Just(String::new()),
        1 => Just("x y\u{e9}".to_owned()),
        1 => Just("n".repeat(120)),
    ]
}

fn path() -> impl Strategy<Value = String> {
    (proptest::collection::vec(component(), 1..5), proptest::bool::weighted(0.1))
        .prop_map(|(parts, absolute)| format!("{}{}", if absolute { "/" } else { "" }, parts.join("/")))
}

fn member() -> impl Strategy<Value = Member> {
    let kind = prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..600).prop_map(Kind::File),
        2 => Just(Kind::Dir),
        2 => path().prop_map(Kind::Symlink),
        1 => path().prop_map(Kind::HardLink),
        1 => proptest::sample::select(OTHER_TYPES).prop_map(Kind::Other),
    ];
    (path(), kind, prop_oneof![Just(0o644u32), Just(0o755), Just(0o000), Just(0o7777)])
        .prop_map(|(name, kind, mode)| Member { name, kind, mode })
}

fn packing() -> impl Strategy<Value = Packing> {
    prop_oneof![Just(Packing::Gzip), Just(Packing::SizedGzip), Just(Packing::Zstd)]
}

/// Damage: bytes flipped in the tar stream or in the compressed file, or the file cut short.
#[derive(Debug, Clone)]
pub enum Damage {
    None,
    Tar(Vec<(proptest::sample::Index, u8)>),
    Compressed(Vec<(proptest::sample::Index, u8)>),
    Truncated(proptest::sample::Index),
}

fn damage() -> impl Strategy<Value = Damage> {
    let flips = proptest::collection::vec((any::<proptest::sample::Index>(), 1u8..=255), 1..8);
    prop_oneof![
        3 => Just(Damage::None),
        3 => flips.clone().prop_map(Damage::Tar),
        1 => flips.prop_map(Damage::Compressed),
        1 => any::<proptest::sample::Index>().prop_map(Damage::Truncated),
    ]
}

fn flip(bytes: &mut [u8], flips: &[(proptest::sample::Index, u8)]) {
    if bytes.is_empty() {
        return;
    }
    for (at, mask) in flips {
        let at = at.index(bytes.len());
        bytes[at] ^= mask;
    }
}

/// The archive file's bytes for `tar`, packed and damaged.
pub fn archive_bytes(tar: &[u8], packing: Packing, damage: &Damage) -> Vec<u8> {
    let mut tar = tar.to_vec();
    if let Damage::Tar(flips) = damage {
        flip(&mut tar, flips);
    }
    let mut file = packing.compress(&tar);
    match damage {
        Damage::Compressed(flips) => flip(&mut file, flips),
        Damage::Truncated(at) => file.truncate(at.index(file.len())),
        Damage::None | Damage::Tar(_) => {}
    }
    file
}

/// Where a symlink at `link` (inside `root`) leads, following the links it meets on disk;
/// `None` if it leaves `root`, is absolute or loops.
fn resolve_inside(root: &Path, link: &Path, depth: usize) -> Option<PathBuf> {
    if depth > 40 {
        return None;
    }
    let target = fs::read_link(root.join(link)).ok()?;
    if target.is_absolute() {
        return None;
    }
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
                    let next = resolve_inside(root, &here, depth + 1)?;
                    current = next.iter().map(ToOwned::to_owned).collect();
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(current.iter().collect())
}

/// Counts of what a tree holds: (regular files, folders, symlinks), and every link checked.
fn walk(root: &Path, relative: &Path, counts: &mut (u64, u64, u64)) -> Result<(), String> {
    for entry in fs::read_dir(root.join(relative)).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let path = relative.join(entry.file_name());
        let kind = entry.file_type().map_err(|e| e.to_string())?;
        if kind.is_symlink() {
            counts.2 += 1;
            if resolve_inside(root, &path, 0).is_none() {
                return Err(format!("the symlink `{}` leads out of the destination", path.display()));
            }
        } else if kind.is_dir() {
            counts.1 += 1;
            walk(root, &path, counts)?;
        } else if kind.is_file() {
            counts.0 += 1;
        } else {
            return Err(format!("`{}` is neither a file, a folder nor a symlink", path.display()));
        }
    }
    Ok(())
}

/// The names in a folder with the content of each regular file (folders as `None`).
fn listing(dir: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    fs::read_dir(dir)
        .expect("a readable folder")
        .map(|entry| {
            let entry = entry.expect("a readable entry");
            let content =
                entry.file_type().expect("a file type").is_file().then(|| fs::read(entry.path()).expect("readable"));
            (entry.file_name().to_string_lossy().into_owned(), content)
        })
        .collect()
}

/// What one unpack gave; the temporary folder lives as long as this.
pub struct Outcome {
    pub result: Result<Summary, String>,
    pub stage: PathBuf,
    _dir: tempfile::TempDir,
}

/// Unpack `file` into a fresh `stage` beside a canary folder, and check the promises whatever
/// the outcome. The result is returned for further checks by the caller.
pub fn unpack_and_check(
    file: &[u8],
    compression: Compression,
    tar_len: usize,
    limits: &Limits,
) -> Result<Outcome, TestCaseError> {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let archive = dir.path().join("archive");
    fs::write(&archive, file).expect("writing the archive");
    let outside = dir.path().join("outside");
    fs::create_dir(&outside).expect("creating the canary folder");
    fs::write(outside.join("canary"), b"untouched").expect("writing the canary");
    let before = listing(&outside);
    let stage = dir.path().join("stage");

    let result = unpack::unpack(&archive, compression, &stage, limits).map_err(|e| e.to_string());

    prop_assert_eq!(listing(&outside), before, "the canary folder changed");
    let mut names: Vec<String> = listing(dir.path()).into_keys().collect();
    names.sort();
    match &result {
        Ok(summary) => {
            prop_assert_eq!(names, vec!["archive", "outside", "stage"]);
            let mut counts = (0, 0, 0);
            walk(&stage, Path::new(""), &mut counts).map_err(TestCaseError::fail)?;
            prop_assert_eq!(counts.0, summary.files + summary.hard_links, "{:?}", summary);
            prop_assert_eq!(counts.2, summary.symlinks, "{:?}", summary);
            prop_assert!(counts.1 >= summary.directories, "{:?}", summary);
            // Bounded by the input: no more members than headers, no more bytes than the stream.
            prop_assert!(summary.members() <= (tar_len / 512) as u64, "{:?} from {} tar bytes", summary, tar_len);
            prop_assert!(summary.bytes <= tar_len as u64);
            prop_assert!(summary.members() <= limits.max_entries && summary.bytes <= limits.max_bytes);
        }
        Err(message) => {
            prop_assert!(!message.is_empty());
            prop_assert_eq!(names, vec!["archive", "outside"], "{}: the staging folder was left behind", message);
        }
    }
    Ok(Outcome { result, stage, _dir: dir })
}

fn limits() -> impl Strategy<Value = Limits> {
    prop_oneof![
        3 => Just(Limits { max_entries: 1000, max_bytes: 1 << 20 }),
        1 => (1u64..16, 1u64..4096).prop_map(|(max_entries, max_bytes)| Limits { max_entries, max_bytes }),
    ]
}

/// Whether an undamaged archive of `members` holds one the module promises to refuse: an
/// absolute path or a `..` in a name or hard-link target, or a symlink to an absolute path.
/// A GNU long-name or pax record in front of a member replaces its name, so such a member
/// (and the record itself) tells nothing.
fn must_be_refused(members: &[Member]) -> bool {
    let record = |m: &Member| matches!(m.kind, Kind::Other(b'L' | b'K' | b'x' | b'g'));
    let unsafe_path = |p: &str| p.starts_with('/') || p.split('/').any(|c| c == "..");
    members.iter().enumerate().any(|(index, member)| {
        !record(member)
            && (index == 0 || !record(&members[index - 1]))
            && (unsafe_path(&member.name)
                || matches!(&member.kind, Kind::HardLink(t) if unsafe_path(t))
                || matches!(&member.kind, Kind::Symlink(t) if t.starts_with('/')))
    })
}

/// Component-wise prefix: `a/b` is under `a`.
fn is_under(path: &str, folder: &str) -> bool {
    path.len() > folder.len() && path.starts_with(folder) && path.as_bytes()[folder.len()] == b'/'
}

proptest! {
    #![proptest_config(config(96))]

    /// Hostile and damaged archives: the promises hold whatever happens, and a member with an
    /// absolute path or a `..` is refused.
    #[test]
    fn hostile_archives_keep_the_promises(
        members in proptest::collection::vec(member(), 0..12),
        packing in packing(),
        damage in damage(),
        limits in limits(),
    ) {
        let tar = tar_bytes(&members);
        let file = archive_bytes(&tar, packing, &damage);
        let outcome = unpack_and_check(&file, packing.compression(), tar.len(), &limits)?;
        if matches!(damage, Damage::None) && must_be_refused(&members) {
            prop_assert!(outcome.result.is_err(), "{:?} unpacked", members);
        }
    }
}

proptest! {
    #![proptest_config(config(48))]

    /// Well-formed archives of files and folders unpack to exactly their files, with their
    /// bytes, under every compression.
    #[test]
    fn well_formed_archives_unpack_whole(
        files in proptest::collection::btree_map("[a-c]{1,3}(/[a-c]{1,3}){0,3}", proptest::collection::vec(any::<u8>(), 0..2000), 0..16),
        packing in packing(),
    ) {
        // A path that is another's folder is a folder, not a file.
        let folders: Vec<String> = files.keys().filter(|a| files.keys().any(|b| is_under(b, a))).cloned().collect();
        let mut files = files;
        files.retain(|path, _| !folders.contains(path));
        let mut members: Vec<Member> = Vec::new();
        for (path, data) in &files {
            if let Some((parent, _)) = path.rsplit_once('/') {
                members.push(Member { name: format!("{parent}/"), kind: Kind::Dir, mode: 0o755 });
            }
            members.push(Member { name: path.clone(), kind: Kind::File(data.clone()), mode: 0o644 });
        }
        let tar = tar_bytes(&members);
        let file = packing.compress(&tar);
        let limits = Limits::default();
        let outcome = unpack_and_check(&file, packing.compression(), tar.len(), &limits)?;
        let summary = outcome.result.map_err(TestCaseError::fail)?;
        prop_assert_eq!(summary.files, files.len() as u64);
        for (path, data) in &files {
            prop_assert_eq!(&fs::read(outcome.stage.join(path)).expect("an unpacked file"), data);
        }
    }
}
