//! Reproducible packing: a stage folder (a DESTDIR holding `opt/python-X.Y.Z/`, or one holding
//! a wheelhouse's `wheelhouse-NAME/`) becomes a `.tgz` or `.tar.zst` whose bytes depend only on
//! the tree's names, contents, links and executable bits. Only the CPython prefix has the
//! LICENSE rule (BR-003); any other prefix is packed as it is.
//!
//! Entries are sorted by name within each folder; every mtime is the same (SOURCE_DATE_EPOCH or
//! a fixed default); uid/gid are 0 with no user or group names; no atime, ctime or pax time
//! records; modes are normalized (0755 for folders and executables, 0644 for other files);
//! symlinks and hard links stay links. gzip output is a series of independent gzip members of
//! fixed-size slices of the tar stream, compressed on all cores: the split points depend only on
//! the data, so the bytes do not depend on the thread count, and plain `gzip -d`/`tar xzf` read
//! it as one stream. Members have no file name and mtime 0 in their headers.

use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::thread;

use sha2::{Digest as _, Sha256};

use super::name::{ArtifactName, Compression, PythonVersion, WheelhouseName};
use super::sidecar::{Digest, Sidecar};
use super::Error;

/// The mtime of every member when SOURCE_DATE_EPOCH is not set: 1980-01-01T00:00:00Z, the
/// earliest time zip-based tools accept, so nothing downstream trips over 1970.
pub const DEFAULT_MTIME: u64 = 315_532_800;

/// How to pack.
#[derive(Debug, Clone)]
pub struct PackOptions {
    /// The mtime written for every member.
    pub mtime: u64,
    /// Compression level: gzip 1..=9 (default 6), zstd 1..=19 (default 3).
    pub level: u32,
    /// Compression threads (at least 1); the output does not depend on it.
    pub threads: usize,
    /// The PSF LICENSE to place at `opt/python-X.Y.Z/LICENSE`; without it the stage's own
    /// `LICENSE`, else `lib/pythonX.Y/LICENSE.txt` that `make install` writes.
    pub license: Option<PathBuf>,
    /// An upstream record to place at `opt/python-X.Y.Z/.specgate-upstream` (`artifact::upstream`),
    /// in place of the stage's own.
    pub upstream: Option<PathBuf>,
}

impl PackOptions {
    /// Defaults for a compression: the mtime from SOURCE_DATE_EPOCH (or `DEFAULT_MTIME`), the
    /// usual level, every core.
    pub fn new(compression: Compression) -> Result<PackOptions, String> {
        Ok(PackOptions {
            mtime: mtime_from_env()?,
            level: match compression {
                Compression::Gzip => 6,
                Compression::Zstd => 3,
            },
            threads: thread::available_parallelism().map_or(1, |n| n.get()).min(16),
            license: None,
            upstream: None,
        })
    }
}

/// The mtime to use: `SOURCE_DATE_EPOCH` when set (it must be a Unix time), else the default.
pub fn mtime_from_env() -> Result<u64, String> {
    match std::env::var(crate::shared::env::SOURCE_DATE_EPOCH) {
        Ok(value) if !value.trim().is_empty() => value
            .trim()
            .parse::<u64>()
            .map_err(|_| format!("`SOURCE_DATE_EPOCH={value}` is not a Unix time in seconds")),
        _ => Ok(DEFAULT_MTIME),
    }
}

/// What packing made.
#[derive(Debug, Clone)]
pub struct PackSummary {
    pub path: PathBuf,
    pub name: ArtifactName,
    pub digest: Digest,
    /// Size of the compressed file.
    pub size: u64,
    /// Tar members (folders, files, links).
    pub members: u64,
    /// Bytes of file content before compression.
    pub content_bytes: u64,
}

/// One member to write, in archive order.
#[derive(Debug)]
enum Source {
    Dir,
    File { path: PathBuf, len: u64, executable: bool },
    Symlink { target: PathBuf },
    HardLink { target: String },
}

#[derive(Debug)]
struct Member {
    /// Archive path, `/`-separated, folders without a trailing `/`.
    path: String,
    source: Source,
}

/// What a tarball holds and is called.
#[derive(Debug, Clone)]
pub struct Target {
    /// The folder every member lives under, with a trailing `/`: `opt/python-3.12.6/`,
    /// `wheelhouse-web/`. Its parent folders are members too.
    pub prefix: String,
    /// The file name written in the output folder.
    pub file_name: String,
    pub compression: Compression,
    /// The CPython rule: a PSF LICENSE at the prefix's top, found for this version (BR-003).
    pub license_for: Option<PythonVersion>,
}

impl Target {
    /// A CPython artifact: `opt/python-X.Y.Z/` with its LICENSE.
    pub fn cpython(name: &ArtifactName) -> Target {
        Target {
            prefix: name.prefix(),
            file_name: name.to_string(),
            compression: name.compression,
            license_for: Some(name.version),
        }
    }

    /// A wheelhouse: `wheelhouse-NAME/`, packed as it is.
    pub fn wheelhouse(name: &WheelhouseName) -> Target {
        Target { prefix: name.prefix(), file_name: name.to_string(), compression: name.compression, license_for: None }
    }
}

/// What packing any prefix made.
#[derive(Debug, Clone)]
pub struct Packed {
    pub path: PathBuf,
    pub digest: Digest,
    /// Size of the compressed file.
    pub size: u64,
    /// Tar members (folders, files, links).
    pub members: u64,
    /// Bytes of file content before compression.
    pub content_bytes: u64,
}

/// Pack `stage/opt/python-X.Y.Z/` into `out_dir/<name>`, write its sidecar, and return what
/// was made. The file appears only when complete (temp file and rename).
pub fn pack(stage: &Path, name: &ArtifactName, out_dir: &Path, options: &PackOptions) -> Result<PackSummary, Error> {
    let packed = pack_prefix(stage, &Target::cpython(name), out_dir, options)?;
    Ok(PackSummary {
        path: packed.path,
        name: name.clone(),
        digest: packed.digest,
        size: packed.size,
        members: packed.members,
        content_bytes: packed.content_bytes,
    })
}

/// Pack `stage/<target.prefix>` into `out_dir/<target.file_name>` the same reproducible way,
/// write its sidecar, and return what was made.
pub fn pack_prefix(stage: &Path, target: &Target, out_dir: &Path, options: &PackOptions) -> Result<Packed, Error> {
    let prefix = target.prefix.trim_end_matches('/');
    let root = stage.join(prefix);
    let stage_error = |reason: String| Error::Stage { path: stage.to_path_buf(), reason };
    match fs::symlink_metadata(&root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(stage_error(format!("`{prefix}` is not a folder"))),
        Err(_) => {
            return Err(stage_error(format!(
                "it has no `{prefix}/`; the version of `--version` must match the installed prefix"
            )))
        }
    }
    let members = collect(stage, &root, prefix, target.license_for, options)?;

    fs::create_dir_all(out_dir).map_err(|source| Error::io("create", out_dir, source))?;
    let path = out_dir.join(&target.file_name);
    let file = crate::shared::atomic::AtomicFile::create(&path).map_err(|source| Error::io("create", &path, source))?;
    let hashing = HashingWriter::new(file);
    let write_error = |source: io::Error| Error::io("write", &path, source);
    let (hashing, content_bytes) = match target.compression {
        Compression::Gzip => {
            let encoder = ParallelGzip::new(hashing, options.level, options.threads);
            let (encoder, bytes) = write_tar(encoder, &members, options.mtime).map_err(write_error)?;
            (encoder.finish().map_err(write_error)?, bytes)
        }
        Compression::Zstd => {
            let mut encoder = zstd::stream::write::Encoder::new(hashing, options.level as i32).map_err(write_error)?;
            encoder.include_checksum(true).map_err(write_error)?;
            // Any worker count >= 1 gives the same bytes; 0 (single-threaded mode) would not.
            encoder.multithread(options.threads.max(1) as u32).map_err(write_error)?;
            let (encoder, bytes) = write_tar(encoder, &members, options.mtime).map_err(write_error)?;
            (encoder.finish().map_err(write_error)?, bytes)
        }
    };
    let (file, digest, size) = hashing.finish();
    file.commit().map_err(write_error)?;
    Sidecar::write_for(&path, digest)?;
    Ok(Packed { path, digest, size, members: members.len() as u64, content_bytes })
}

/// Walk the prefix: folders first, then their children sorted by name bytes.
fn collect(
    stage: &Path,
    root: &Path,
    prefix: &str,
    license_for: Option<PythonVersion>,
    options: &PackOptions,
) -> Result<Vec<Member>, Error> {
    // The prefix and each folder above it (`opt`, `opt/python-3.12.6`), top first.
    let mut members = Vec::new();
    let mut above = String::new();
    for part in prefix.split('/') {
        if !above.is_empty() {
            above.push('/');
        }
        above.push_str(part);
        members.push(Member { path: above.clone(), source: Source::Dir });
    }
    let license_name = "LICENSE";
    let license = match (&options.license, license_for) {
        (Some(path), _) => Some(path.clone()),
        (None, None) => None,
        (None, Some(_)) if root.join(license_name).is_file() => None,
        (None, Some(version)) => {
            let fallback = root.join(format!("lib/python{}/LICENSE.txt", version.line()));
            if fallback.is_file() {
                Some(fallback)
            } else {
                return Err(Error::Stage {
                    path: stage.to_path_buf(),
                    reason: format!(
                        "no PSF LICENSE: neither `{prefix}/LICENSE` nor `{prefix}/lib/python{}/LICENSE.txt` exists (BR-003); pass `--license FILE`",
                        version.line()
                    ),
                });
            }
        }
    };
    // Files from elsewhere that take the place a stage file of that name would have.
    let mut injected = BTreeMap::new();
    if let Some(license) = license {
        injected.insert(license_name, license);
    }
    if let Some(record) = &options.upstream {
        injected.insert(super::upstream::FILE, record.clone());
    }
    let mut links: HashMap<(u64, u64), String> = HashMap::new();
    walk(root, prefix, prefix, &injected, &mut links, &mut members)?;
    Ok(members)
}

fn walk(
    dir: &Path,
    archive_dir: &str,
    prefix: &str,
    injected: &BTreeMap<&str, PathBuf>,
    links: &mut HashMap<(u64, u64), String>,
    members: &mut Vec<Member>,
) -> Result<(), Error> {
    let read = fs::read_dir(dir).map_err(|source| Error::io("list", dir, source))?;
    let mut children: BTreeMap<Vec<u8>, PathBuf> = BTreeMap::new();
    for entry in read {
        let entry = entry.map_err(|source| Error::io("list", dir, source))?;
        children.insert(entry.file_name().into_encoded_bytes(), entry.path());
    }
    let at_root = archive_dir == prefix;
    if at_root {
        for (name, path) in injected {
            children.insert(name.as_bytes().to_vec(), path.clone());
        }
    }
    for (file_name, path) in children {
        let file_name = String::from_utf8(file_name).map_err(|_| Error::Stage {
            path: path.clone(),
            reason: "the file name is not UTF-8; artifacts hold UTF-8 names only".to_owned(),
        })?;
        let archive_path = format!("{archive_dir}/{file_name}");
        let is_injected = at_root && injected.contains_key(file_name.as_str());
        let meta = if is_injected { fs::metadata(&path) } else { fs::symlink_metadata(&path) }
            .map_err(|source| Error::io("read", &path, source))?;
        let kind = meta.file_type();
        if kind.is_dir() {
            members.push(Member { path: archive_path.clone(), source: Source::Dir });
            walk(&path, &archive_path, prefix, &BTreeMap::new(), links, members)?;
        } else if kind.is_symlink() {
            let target = fs::read_link(&path).map_err(|source| Error::io("read the link", &path, source))?;
            check_link_inside(&archive_path, &target, prefix)
                .map_err(|reason| Error::Stage { path: path.clone(), reason })?;
            members.push(Member { path: archive_path, source: Source::Symlink { target } });
        } else if kind.is_file() {
            if meta.nlink() > 1 && !is_injected {
                if let Some(first) = links.get(&(meta.dev(), meta.ino())) {
                    members.push(Member { path: archive_path, source: Source::HardLink { target: first.clone() } });
                    continue;
                }
                links.insert((meta.dev(), meta.ino()), archive_path.clone());
            }
            members.push(Member {
                path: archive_path,
                source: Source::File {
                    path,
                    len: meta.len(),
                    executable: !is_injected && meta.permissions().mode() & 0o111 != 0,
                },
            });
        } else {
            return Err(Error::Stage {
                path,
                reason: "it is a device, FIFO or socket; artifacts hold only folders, files and links".to_owned(),
            });
        }
    }
    Ok(())
}

/// A symlink in the stage must be relative and stay inside the prefix, or install refuses it.
fn check_link_inside(archive_path: &str, target: &Path, prefix: &str) -> Result<(), String> {
    if target.is_absolute() {
        return Err(format!(
            "the symlink `{archive_path}` points to the absolute path `{}`; make it relative so the tree can be installed under any root",
            target.display()
        ));
    }
    let mut parts: Vec<&str> = archive_path.split('/').collect();
    parts.pop();
    for component in target.components() {
        match component {
            Component::ParentDir => {
                parts.pop();
            }
            Component::Normal(part) => parts.push(part.to_str().unwrap_or("?")),
            _ => {}
        }
    }
    let resolved = parts.join("/");
    if resolved != prefix && !resolved.starts_with(&format!("{prefix}/")) {
        return Err(format!("the symlink `{archive_path}` points to `{}`, outside `{prefix}/`", target.display()));
    }
    Ok(())
}

/// Write the tar stream; returns the writer and the content bytes.
fn write_tar<W: Write>(out: W, members: &[Member], mtime: u64) -> io::Result<(W, u64)> {
    let mut builder = tar::Builder::new(out);
    let mut bytes = 0u64;
    for member in members {
        let mut header = tar::Header::new_gnu();
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(mtime);
        match &member.source {
            Source::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_mode(0o755);
                header.set_size(0);
                builder.append_data(&mut header, format!("{}/", member.path), io::empty())?;
            }
            Source::File { path, len, executable } => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_mode(if *executable { 0o755 } else { 0o644 });
                header.set_size(*len);
                let file = File::open(path)?;
                let reader = ExactReader { inner: file.take(*len), remaining: *len, path };
                builder.append_data(&mut header, &member.path, reader)?;
                bytes += len;
            }
            Source::Symlink { target } => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_mode(0o777);
                header.set_size(0);
                builder.append_link(&mut header, &member.path, target)?;
            }
            Source::HardLink { target } => {
                header.set_entry_type(tar::EntryType::Link);
                header.set_mode(0o644);
                header.set_size(0);
                builder.append_link(&mut header, &member.path, target)?;
            }
        }
    }
    builder.finish()?;
    Ok((builder.into_inner()?, bytes))
}

/// A reader that fails if the file is shorter than when it was listed: a tar header with the
/// wrong size would corrupt every member after it.
struct ExactReader<'a> {
    inner: io::Take<File>,
    remaining: u64,
    path: &'a Path,
}

impl Read for ExactReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && self.remaining > 0 && !buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("`{}` shrank while it was being packed", self.path.display()),
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// A writer that hashes and counts what passes through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> HashingWriter<W> {
        HashingWriter { inner, hasher: Sha256::new(), bytes: 0 }
    }

    fn finish(self) -> (W, Digest, u64) {
        (self.inner, Digest(self.hasher.finalize().into()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Size of the tar-stream slices compressed independently. Large enough that restarting the
/// 32 KiB deflate window costs nothing measurable, small enough to keep both cores busy.
pub const GZIP_CHUNK: usize = 1024 * 1024;

type Job = (u64, Vec<u8>);
type Done = (u64, io::Result<Vec<u8>>);

/// gzip on several threads: the input is cut into `GZIP_CHUNK` slices, each compressed into a
/// complete gzip member (no name, mtime 0), written in order. A concatenation of members is a
/// valid gzip file (RFC 1952 2.2).
pub struct ParallelGzip<W: Write> {
    out: W,
    buffer: Vec<u8>,
    jobs: Option<mpsc::SyncSender<Job>>,
    results: mpsc::Receiver<Done>,
    workers: Vec<thread::JoinHandle<()>>,
    sent: u64,
    written: u64,
    pending: BTreeMap<u64, Vec<u8>>,
    max_in_flight: u64,
}

impl<W: Write> ParallelGzip<W> {
    pub fn new(out: W, level: u32, threads: usize) -> ParallelGzip<W> {
        let threads = threads.max(1);
        let (job_tx, job_rx) = mpsc::sync_channel::<Job>(threads);
        let (done_tx, done_rx) = mpsc::channel::<Done>();
        let job_rx = Arc::new(Mutex::new(job_rx));
        let workers = (0..threads)
            .map(|_| {
                let job_rx = Arc::clone(&job_rx);
                let done_tx = done_tx.clone();
                thread::spawn(move || loop {
                    let job = match job_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok((index, data)) = job else { return };
                    if done_tx.send((index, gzip_member(&data, level))).is_err() {
                        return;
                    }
                })
            })
            .collect();
        ParallelGzip {
            out,
            buffer: Vec::with_capacity(GZIP_CHUNK),
            jobs: Some(job_tx),
            results: done_rx,
            workers,
            sent: 0,
            written: 0,
            pending: BTreeMap::new(),
            max_in_flight: threads as u64 * 2,
        }
    }

    fn send(&mut self, data: Vec<u8>) -> io::Result<()> {
        let jobs = self.jobs.as_ref().expect("jobs are open until finish");
        jobs.send((self.sent, data)).map_err(|_| io::Error::other("a compression thread stopped"))?;
        self.sent += 1;
        while self.sent - self.written > self.max_in_flight {
            self.collect_one()?;
        }
        Ok(())
    }

    fn collect_one(&mut self) -> io::Result<()> {
        let (index, result) = self.results.recv().map_err(|_| io::Error::other("a compression thread stopped"))?;
        self.pending.insert(index, result?);
        while let Some(data) = self.pending.remove(&self.written) {
            self.out.write_all(&data)?;
            self.written += 1;
        }
        Ok(())
    }

    /// Compress what is left, write every member in order, and return the writer.
    pub fn finish(mut self) -> io::Result<W> {
        if !self.buffer.is_empty() || self.sent == 0 {
            let last = std::mem::take(&mut self.buffer);
            self.send(last)?;
        }
        self.jobs = None;
        while self.written < self.sent {
            self.collect_one()?;
        }
        for worker in std::mem::take(&mut self.workers) {
            worker.join().map_err(|_| io::Error::other("a compression thread panicked"))?;
        }
        self.out.flush()?;
        let ParallelGzip { out, .. } = self;
        Ok(out)
    }
}

impl<W: Write> Write for ParallelGzip<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let room = GZIP_CHUNK - self.buffer.len();
        let n = room.min(buf.len());
        self.buffer.extend_from_slice(&buf[..n]);
        if self.buffer.len() == GZIP_CHUNK {
            let full = std::mem::replace(&mut self.buffer, Vec::with_capacity(GZIP_CHUNK));
            self.send(full)?;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The gzip FEXTRA subfield (RFC 1952 2.3.1.1) in which every member written here records its
/// own total size, 4 bytes little-endian, so that a reader can find the members without
/// inflating them and inflate several at once (`unpack`). gzip and tar skip the field.
pub(crate) const MEMBER_SIZE_FIELD: [u8; 2] = *b"SG";

/// Bytes of a member's header: the fixed 10, XLEN, and the one subfield (id, length, size).
pub(crate) const MEMBER_HEADER_LEN: usize = 10 + 2 + 4 + 4;

/// One complete gzip member: no file name, mtime 0, OS "unknown", so nothing of the machine
/// or the moment leaks into the bytes; its size in the `MEMBER_SIZE_FIELD` subfield.
fn gzip_member(data: &[u8], level: u32) -> io::Result<Vec<u8>> {
    let mut deflate =
        flate2::write::DeflateEncoder::new(Vec::with_capacity(data.len() / 3 + 64), flate2::Compression::new(level));
    deflate.write_all(data)?;
    let body = deflate.finish()?;
    let total = MEMBER_HEADER_LEN + body.len() + 8;
    let size = u32::try_from(total).map_err(|_| io::Error::other("a gzip member would exceed 4 GiB"))?;
    let mut crc = flate2::Crc::new();
    crc.update(data);
    // XFL as gzip sets it: 2 for the slowest level, 4 for the fastest.
    let xfl = match level {
        9 => 2,
        1 => 4,
        _ => 0,
    };
    let mut member = Vec::with_capacity(total);
    member.extend_from_slice(&[0x1f, 0x8b, 8, 0x04, 0, 0, 0, 0, xfl, 255]);
    member.extend_from_slice(&8u16.to_le_bytes());
    member.extend_from_slice(&MEMBER_SIZE_FIELD);
    member.extend_from_slice(&4u16.to_le_bytes());
    member.extend_from_slice(&size.to_le_bytes());
    member.extend_from_slice(&body);
    member.extend_from_slice(&crc.sum().to_le_bytes());
    member.extend_from_slice(&(data.len() as u32).to_le_bytes());
    Ok(member)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_gzip_is_independent_of_threads_and_decodes() {
        let data: Vec<u8> = (0..(GZIP_CHUNK * 3 + 12345)).map(|i| (i % 251) as u8 ^ (i / 7000) as u8).collect();
        let mut outputs = Vec::new();
        for threads in [1, 2, 3] {
            let mut encoder = ParallelGzip::new(Vec::new(), 6, threads);
            for piece in data.chunks(70_000) {
                encoder.write_all(piece).unwrap();
            }
            outputs.push(encoder.finish().unwrap());
        }
        assert_eq!(outputs[0], outputs[1]);
        assert_eq!(outputs[0], outputs[2]);
        let mut decoded = Vec::new();
        flate2::read::MultiGzDecoder::new(&outputs[0][..]).read_to_end(&mut decoded).unwrap();
        assert_eq!(decoded, data);
        // gzip header: magic, deflate, only FEXTRA (no name), mtime 0; the subfield holds each
        // member's size, so the sizes walk the file member by member to its exact end.
        assert_eq!(&outputs[0][..8], &[0x1f, 0x8b, 8, 4, 0, 0, 0, 0]);
        let mut at = 0;
        let mut members = 0;
        while at < outputs[0].len() {
            let member = &outputs[0][at..];
            assert_eq!(&member[10..16], &[8, 0, b'S', b'G', 4, 0]);
            at += u32::from_le_bytes(member[16..20].try_into().unwrap()) as usize;
            members += 1;
        }
        assert_eq!((at, members), (outputs[0].len(), 4));
        // The system's gzip reads it too (the field is skipped, every member's CRC checked).
        let path = std::env::temp_dir().join(format!("specgate-pack-test-{}.gz", std::process::id()));
        std::fs::write(&path, &outputs[0]).unwrap();
        let gunzip = std::process::Command::new("gzip").arg("-dc").arg(&path).output().unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(gunzip.status.success(), "{}", String::from_utf8_lossy(&gunzip.stderr));
        assert!(gunzip.stdout == data, "gzip -dc gave other bytes");
    }

    #[test]
    fn empty_input_is_one_valid_member() {
        let out = ParallelGzip::new(Vec::new(), 6, 2).finish().unwrap();
        let mut decoded = Vec::new();
        flate2::read::MultiGzDecoder::new(&out[..]).read_to_end(&mut decoded).unwrap();
        assert!(decoded.is_empty());
    }

    #[test]
    fn links_leaving_the_prefix_are_refused() {
        let prefix = "opt/python-3.12.6";
        assert!(check_link_inside("opt/python-3.12.6/bin/python3", Path::new("python3.12"), prefix).is_ok());
        assert!(check_link_inside("opt/python-3.12.6/lib/x", Path::new("../bin/python3"), prefix).is_ok());
        assert!(check_link_inside("opt/python-3.12.6/bin/x", Path::new("../../../etc"), prefix).is_err());
        assert!(check_link_inside("opt/python-3.12.6/bin/x", Path::new("/usr/bin/python3"), prefix).is_err());
    }

    #[test]
    fn a_wheelhouse_prefix_packs_without_a_license_and_reproducibly() {
        let dir = tempfile::tempdir().unwrap();
        let stage = dir.path().join("stage");
        std::fs::create_dir_all(stage.join("wheelhouse-web/wheels")).unwrap();
        std::fs::write(stage.join("wheelhouse-web/requirements.lock"), "six==1.16.0 --hash=sha256:00\n").unwrap();
        std::fs::write(stage.join("wheelhouse-web/wheels/six-1.16.0-py2.py3-none-any.whl"), b"PK").unwrap();
        let version = PythonVersion::parse("3.11.2").unwrap();
        let name = WheelhouseName::new("web", version, "debian12", 1, Compression::Gzip).unwrap();
        let options = PackOptions { mtime: DEFAULT_MTIME, level: 6, threads: 2, license: None, upstream: None };
        let first = pack_prefix(&stage, &Target::wheelhouse(&name), &dir.path().join("a"), &options).unwrap();
        let second = pack_prefix(&stage, &Target::wheelhouse(&name), &dir.path().join("b"), &options).unwrap();
        assert_eq!(first.digest, second.digest);
        assert_eq!(first.path.file_name().unwrap(), "wheelhouse-web-cp311-debian12-build1.tgz");
        assert!(Sidecar::path_for(&first.path).is_file());
        let mut names = Vec::new();
        let decoder = flate2::read::MultiGzDecoder::new(File::open(&first.path).unwrap());
        for entry in tar::Archive::new(decoder).entries().unwrap() {
            names.push(entry.unwrap().path().unwrap().display().to_string());
        }
        assert_eq!(
            names,
            [
                "wheelhouse-web/",
                "wheelhouse-web/requirements.lock",
                "wheelhouse-web/wheels/",
                "wheelhouse-web/wheels/six-1.16.0-py2.py3-none-any.whl"
            ]
        );
    }
}
