//! Safe unpacking for install: a local, already verified `.tgz` or `.tar.zst` becomes a fresh
//! staging folder, or nothing at all.
//!
//! Refused: absolute paths, `..`, symlinks or hard links that leave the destination, a member
//! written through a symlink, device nodes, FIFOs, sparse files, more members or more bytes than
//! the limits allow (checked on each header before its data is read, so a header that claims
//! 10 GB costs nothing), and a truncated or corrupt compressed stream (the gzip CRC or zstd
//! checksum at the end is read before success is reported). Symlinks are created last, after
//! every target has been checked against the whole archive, so no member can be written through
//! one. On any error the staging folder is removed; the caller places the tree (one rename) only
//! after success, so the whole archive is verified before anything is placed.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::name::Compression;
use super::pack::{MEMBER_HEADER_LEN, MEMBER_SIZE_FIELD};
use super::sidecar::{self, Digest};
use super::Error;

/// Limits on what an archive may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Members (files, folders, links).
    pub max_entries: u64,
    /// Bytes of file content, summed over members, as declared by their headers.
    pub max_bytes: u64,
}

impl Default for Limits {
    /// A CPython install tree has about 10 000 members and 300 MB; the defaults leave room
    /// for ten times that and no more.
    fn default() -> Limits {
        Limits { max_entries: 200_000, max_bytes: 4 * 1024 * 1024 * 1024 }
    }
}

/// What an unpack made.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub files: u64,
    pub directories: u64,
    pub symlinks: u64,
    pub hard_links: u64,
    /// Bytes of file content written.
    pub bytes: u64,
}

impl Summary {
    pub fn members(&self) -> u64 {
        self.files + self.directories + self.symlinks + self.hard_links
    }
}

/// Open the decompressed stream of an archive. Decompression runs on other threads, a few
/// MiB ahead of the reader, so inflating and writing files overlap the way `tar xzf` (tar plus
/// a gzip process) does. A gzip file written by `pack` (members that carry their size) is
/// inflated several members at a time; any other gzip or zstd stream on one thread.
pub fn decoder(file: File, compression: Compression) -> io::Result<Box<dyn Read>> {
    let file = BufReader::with_capacity(256 * 1024, file);
    let (sender, chunks) = std::sync::mpsc::sync_channel(8);
    match compression {
        Compression::Gzip => {
            std::thread::spawn(move || inflate_members(file, &sender));
        }
        Compression::Zstd => {
            let inner = zstd::stream::read::Decoder::with_buffer(file)?;
            std::thread::spawn(move || pump(inner, &sender));
        }
    }
    Ok(Box::new(ReadAhead { chunks, current: Vec::new(), at: 0, done: false }))
}

/// A piece of the decompressed stream, in order: ready, or still being inflated by a worker.
enum Chunk {
    Ready(io::Result<Vec<u8>>),
    Pending(std::sync::mpsc::Receiver<io::Result<Vec<u8>>>),
}

/// Read until `buf` is full or the input ends; the count read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Send `inner` in 1 MiB chunks until its end, its first error, or the reader's drop.
fn pump(mut inner: impl Read, sender: &std::sync::mpsc::SyncSender<Chunk>) {
    loop {
        let mut chunk = vec![0u8; 1 << 20];
        let result = read_full(&mut inner, &mut chunk);
        let (filled, failed) = match result {
            Ok(n) => (n, None),
            Err(error) => (0, Some(error)),
        };
        chunk.truncate(filled);
        if filled > 0 && sender.send(Chunk::Ready(Ok(chunk))).is_err() {
            return;
        }
        if let Some(error) = failed {
            let _ = sender.send(Chunk::Ready(Err(error)));
            return;
        }
        if filled < 1 << 20 {
            return;
        }
    }
}

/// The total size a member header written by `pack` declares, if it is one.
fn member_size(header: &[u8]) -> Option<usize> {
    let fixed = header.get(..MEMBER_HEADER_LEN)?;
    let ours = fixed[..4] == [0x1f, 0x8b, 8, 0x04]
        && fixed[10..16] == [8, 0, MEMBER_SIZE_FIELD[0], MEMBER_SIZE_FIELD[1], 4, 0];
    let size = u32::from_le_bytes(fixed[16..20].try_into().ok()?) as usize;
    // `pack` compresses `GZIP_CHUNK` bytes at a time; deflate never grows them by half. A
    // larger claim is not from `pack`: the whole stream is then inflated on one thread.
    (ours && (MEMBER_HEADER_LEN + 8..=super::pack::GZIP_CHUNK * 3 / 2).contains(&size)).then_some(size)
}

/// Read members that carry their size, hand each to a worker thread to inflate, and queue
/// the workers' results in file order. A member without a size (a file that was rewritten
/// or concatenated by another tool) and everything after it is inflated here, in order.
fn inflate_members(mut input: impl BufRead + Send + 'static, sender: &std::sync::mpsc::SyncSender<Chunk>) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 8);
    let (jobs, job_queue) = std::sync::mpsc::sync_channel::<(Vec<u8>, std::sync::mpsc::SyncSender<_>)>(threads);
    let job_queue = std::sync::Arc::new(std::sync::Mutex::new(job_queue));
    // An empty file is not a gzip file: the one-thread decoder below reports it.
    let mut first = true;
    loop {
        let mut header = [0u8; MEMBER_HEADER_LEN];
        let got = match read_full(&mut input, &mut header) {
            Ok(0) if !first => return,
            Ok(n) => n,
            Err(error) => {
                let _ = sender.send(Chunk::Ready(Err(error)));
                return;
            }
        };
        let Some(size) = member_size(&header[..got]) else {
            let rest = io::Cursor::new(header[..got].to_vec()).chain(input);
            return pump(flate2::bufread::MultiGzDecoder::new(BufReader::new(rest)), sender);
        };
        if first {
            // The workers start with the first member `pack` wrote: another tool's gzip file,
            // decoded on this thread, starts none. They stop when `jobs` is dropped.
            for _ in 0..threads {
                let job_queue = std::sync::Arc::clone(&job_queue);
                std::thread::spawn(move || loop {
                    let Ok(Ok((member, done))) = job_queue.lock().map(|q| q.recv()) else { return };
                    let _ = done.send(inflate_member(&member));
                });
            }
            first = false;
        }
        let mut member = vec![0u8; size];
        member[..MEMBER_HEADER_LEN].copy_from_slice(&header);
        match read_full(&mut input, &mut member[MEMBER_HEADER_LEN..]) {
            Ok(n) if n == size - MEMBER_HEADER_LEN => {}
            Ok(_) => {
                let _ = sender.send(Chunk::Ready(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the gzip stream ends inside a member",
                ))));
                return;
            }
            Err(error) => {
                let _ = sender.send(Chunk::Ready(Err(error)));
                return;
            }
        }
        let (done, result) = std::sync::mpsc::sync_channel(1);
        if sender.send(Chunk::Pending(result)).is_err() || jobs.send((member, done)).is_err() {
            return;
        }
    }
}

/// Inflate one complete member written by `pack`, checking its CRC-32 and length.
fn inflate_member(member: &[u8]) -> io::Result<Vec<u8>> {
    let corrupt = |what: &str| io::Error::new(io::ErrorKind::InvalidData, format!("a gzip member {what}"));
    let (body, trailer) = member[MEMBER_HEADER_LEN..].split_at(member.len() - MEMBER_HEADER_LEN - 8);
    let crc = u32::from_le_bytes(trailer[..4].try_into().expect("4 bytes"));
    let length = u32::from_le_bytes(trailer[4..].try_into().expect("4 bytes")) as usize;
    // A member holds at most `pack::GZIP_CHUNK` bytes; a larger claim is not from `pack`.
    if length > super::pack::GZIP_CHUNK * 4 {
        return Err(corrupt("claims an implausible length"));
    }
    let mut out = Vec::with_capacity(length);
    let mut inflate = flate2::Decompress::new(false);
    let status = inflate
        .decompress_vec(body, &mut out, flate2::FlushDecompress::Finish)
        .map_err(|e| corrupt(&format!("is corrupt ({e})")))?;
    if status != flate2::Status::StreamEnd || inflate.total_in() as usize != body.len() || out.len() != length {
        return Err(corrupt("is truncated or its length does not match"));
    }
    let mut check = flate2::Crc::new();
    check.update(&out);
    if check.sum() != crc {
        return Err(corrupt("fails its CRC-32 check"));
    }
    Ok(out)
}

/// The decompressed stream, read from the queue the decompressing threads fill. Dropping it
/// stops them.
struct ReadAhead {
    chunks: std::sync::mpsc::Receiver<Chunk>,
    current: Vec<u8>,
    at: usize,
    done: bool,
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.current.len() {
            if self.done {
                return Ok(0);
            }
            let next = match self.chunks.recv() {
                Ok(Chunk::Ready(result)) => result,
                Ok(Chunk::Pending(result)) => {
                    result.recv().unwrap_or_else(|_| Err(io::Error::other("an inflating thread stopped")))
                }
                Err(_) => {
                    self.done = true;
                    return Ok(0);
                }
            };
            match next {
                Ok(chunk) => {
                    self.current = chunk;
                    self.at = 0;
                }
                Err(error) => {
                    self.done = true;
                    return Err(error);
                }
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// Check the archive's SHA-256 against `expected`, then unpack it. Nothing reaches the tar
/// parser before the whole file has been hashed.
pub fn unpack_verified(
    archive: &Path,
    compression: Compression,
    expected: Digest,
    dest: &Path,
    limits: &Limits,
) -> Result<Summary, Error> {
    let actual = sidecar::sha256_file(archive)?;
    if actual != expected {
        return Err(Error::Mismatch {
            path: archive.to_path_buf(),
            expected,
            actual,
            source_of_expected: "the expected digest".to_owned(),
        });
    }
    unpack(archive, compression, dest, limits)
}

/// Removes the staging folder unless disarmed.
struct Cleanup<'a> {
    dest: &'a Path,
    armed: bool,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        if self.armed {
            make_writable(self.dest);
            let _ = fs::remove_dir_all(self.dest);
        }
    }
}

/// Give the owner write access to every folder of a tree, so it can be removed.
pub(crate) fn make_writable(dir: &Path) {
    if let Ok(meta) = fs::symlink_metadata(dir) {
        if meta.is_dir() {
            let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
            if let Ok(entries) = fs::read_dir(dir) {
                for entry in entries.flatten() {
                    make_writable(&entry.path());
                }
            }
        }
    }
}

/// Unpack `archive` into `dest`, which must not exist yet (its parent must). On error `dest`
/// is removed and nothing else was written.
pub fn unpack(archive: &Path, compression: Compression, dest: &Path, limits: &Limits) -> Result<Summary, Error> {
    let file = File::open(archive).map_err(|source| Error::io("open", archive, source))?;
    fs::create_dir(dest).map_err(|source| Error::io("create the staging folder", dest, source))?;
    let mut cleanup = Cleanup { dest, armed: true };
    let summary = unpack_into(archive, file, compression, dest, limits)?;
    cleanup.armed = false;
    Ok(summary)
}

/// One regular file for the writer pool.
struct FileJob {
    path: PathBuf,
    data: Vec<u8>,
    mode: u32,
    mtime: Option<u64>,
}

/// Writer threads fed through a bounded queue; the first write error is kept and reported by
/// the next `submit`, `wait` or `finish`.
struct WriterPool {
    sender: Option<std::sync::mpsc::SyncSender<FileJob>>,
    state: std::sync::Arc<PoolState>,
}

#[derive(Default)]
struct PoolState {
    pending: std::sync::Mutex<usize>,
    idle: std::sync::Condvar,
    error: std::sync::Mutex<Option<(PathBuf, io::Error)>>,
}

impl WriterPool {
    fn start<'scope>(scope: &'scope std::thread::Scope<'scope, '_>) -> WriterPool {
        let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(2, 4) * 2;
        let (sender, receiver) = std::sync::mpsc::sync_channel::<FileJob>(threads * 8);
        let receiver = std::sync::Arc::new(std::sync::Mutex::new(receiver));
        let state = std::sync::Arc::new(PoolState::default());
        for _ in 0..threads {
            let receiver = std::sync::Arc::clone(&receiver);
            let state = std::sync::Arc::clone(&state);
            scope.spawn(move || loop {
                let job = match receiver.lock().map(|r| r.recv()) {
                    Ok(Ok(job)) => job,
                    _ => return,
                };
                let failed = state.error.lock().map_or(true, |e| e.is_some());
                if !failed {
                    if let Err(error) = write_file(&job) {
                        if let Ok(mut slot) = state.error.lock() {
                            slot.get_or_insert((job.path.clone(), error));
                        }
                    }
                }
                if let Ok(mut pending) = state.pending.lock() {
                    *pending -= 1;
                    state.idle.notify_all();
                }
            });
        }
        WriterPool { sender: Some(sender), state }
    }

    fn take_error(&self) -> Result<(), (PathBuf, io::Error)> {
        match self.state.error.lock().ok().and_then(|mut e| e.take()) {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    fn submit(&mut self, job: FileJob) -> Result<(), (PathBuf, io::Error)> {
        self.take_error()?;
        let path = job.path.clone();
        if let Ok(mut pending) = self.state.pending.lock() {
            *pending += 1;
        }
        let sender = self.sender.as_ref().expect("the pool is open until finish");
        sender.send(job).map_err(|_| (path, io::Error::other("the file writer threads stopped")))
    }

    /// Block until every submitted file is written.
    fn wait(&self) -> Result<(), (PathBuf, io::Error)> {
        if let Ok(mut pending) = self.state.pending.lock() {
            while *pending > 0 {
                match self.state.idle.wait(pending) {
                    Ok(guard) => pending = guard,
                    Err(_) => break,
                }
            }
        }
        self.take_error()
    }

    fn finish(mut self) -> Result<(), (PathBuf, io::Error)> {
        let result = self.wait();
        self.sender = None;
        result
    }
}

impl Drop for WriterPool {
    /// On an early return the queue closes and the threads drain it without writing more.
    fn drop(&mut self) {
        if let Ok(mut slot) = self.state.error.lock() {
            slot.get_or_insert((PathBuf::new(), io::Error::other("unpacking stopped")));
        }
        self.sender = None;
    }
}

fn write_file(job: &FileJob) -> io::Result<()> {
    use std::io::Write as _;
    let mut out = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&job.path)?;
    out.write_all(&job.data)?;
    out.set_permissions(fs::Permissions::from_mode(job.mode))?;
    if let Some(mtime) = job.mtime {
        let time = SystemTime::UNIX_EPOCH + Duration::from_secs(mtime);
        // pyc files are checked against their source's mtime: keep the archive's.
        let _ = out.set_times(fs::FileTimes::new().set_modified(time).set_accessed(time));
    }
    Ok(())
}

/// A member's path as folder components: relative, no `..`, no empty or `.` parts.
fn safe_components(bytes: &[u8]) -> Result<Vec<String>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "has a name that is not UTF-8".to_owned())?;
    if text.starts_with('/') {
        return Err("has an absolute path".to_owned());
    }
    if text.len() > 4096 {
        return Err("has a path longer than 4096 bytes".to_owned());
    }
    let mut parts = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("has a `..` component that leaves the destination".to_owned()),
            name if name.contains('\0') => return Err("has a NUL byte in its name".to_owned()),
            name => parts.push(name.to_owned()),
        }
    }
    Ok(parts)
}

fn join(dest: &Path, parts: &[String]) -> PathBuf {
    let mut path = dest.to_path_buf();
    path.extend(parts);
    path
}

/// Why a symlink of the archive cannot be placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkEscape {
    /// Its target is absolute or climbs above the destination.
    Leaves,
    /// Following links leads back (or goes on for more than `MAX_LINK_STEPS`).
    Loops,
}

/// Links followed while resolving one symlink: more means a loop, or a chain built to make
/// the check slow (a target such as `b/../b/../b` visits its links several times).
const MAX_LINK_STEPS: u32 = 256;

/// Resolve a symlink target inside the tree, following other symlinks of the archive.
fn resolve(location: &[String], target: &str, links: &HashMap<Vec<String>, String>) -> Result<Vec<String>, LinkEscape> {
    resolve_within(location, target, links, &mut 0)
}

fn resolve_within(
    location: &[String],
    target: &str,
    links: &HashMap<Vec<String>, String>,
    steps: &mut u32,
) -> Result<Vec<String>, LinkEscape> {
    if target.starts_with('/') {
        return Err(LinkEscape::Leaves);
    }
    let mut current: Vec<String> = location[..location.len().saturating_sub(1)].to_vec();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                current.pop().ok_or(LinkEscape::Leaves)?;
            }
            name => {
                current.push(name.to_owned());
                if let Some(next) = links.get(&current) {
                    *steps += 1;
                    if *steps > MAX_LINK_STEPS {
                        return Err(LinkEscape::Loops);
                    }
                    current = resolve_within(&current, next, links, steps)?;
                }
            }
        }
    }
    Ok(current)
}

fn unpack_into(
    archive_path: &Path,
    file: File,
    compression: Compression,
    dest: &Path,
    limits: &Limits,
) -> Result<Summary, Error> {
    let corrupt = |error: io::Error| -> Error {
        if let Some(guard) = error.get_ref().and_then(|e| e.downcast_ref::<GuardError>()) {
            return Error::Limit { path: archive_path.to_path_buf(), reason: guard.0.clone() };
        }
        // Writing the tree failed, not reading the archive: a full or read-only file system.
        if matches!(
            error.kind(),
            io::ErrorKind::StorageFull
                | io::ErrorKind::QuotaExceeded
                | io::ErrorKind::ReadOnlyFilesystem
                | io::ErrorKind::PermissionDenied
                | io::ErrorKind::FileTooLarge
        ) {
            return Error::io("write into", dest, error);
        }
        Error::Archive {
            path: archive_path.to_path_buf(),
            reason: format!("the compressed tar stream is truncated or corrupt ({error})"),
        }
    };
    let unsafe_member = |member: &str, reason: String| Error::Unsafe {
        path: archive_path.to_path_buf(),
        member: member.to_owned(),
        reason,
    };
    let write_error = |path: &Path, source: io::Error| Error::io("write", path, source);

    let stream = decoder(file, compression).map_err(corrupt)?;
    let mut tar = tar::Archive::new(HeaderGuard::new(stream, *limits));
    let mut summary = Summary::default();
    let mut files: HashSet<Vec<String>> = HashSet::new();
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    let mut links: HashMap<Vec<String>, String> = HashMap::new();
    let mut link_order: Vec<Vec<String>> = Vec::new();
    let mut dir_modes: Vec<(PathBuf, u32)> = Vec::new();

    // Regular files are written by a small pool of threads: creating ~10,000 small files is
    // bound by the latency of open(O_CREAT), which threads overlap. Folders, links and every
    // check stay on this thread, in archive order.
    let mut made: HashSet<PathBuf> = HashSet::new();
    std::thread::scope(|scope| -> Result<(), Error> {
        let mut pool = WriterPool::start(scope);
        for entry in tar.entries().map_err(corrupt)? {
            let mut entry = entry.map_err(corrupt)?;
            let raw_path = entry.path_bytes().into_owned();
            let shown = String::from_utf8_lossy(&raw_path).into_owned();
            let parts = safe_components(&raw_path).map_err(|reason| unsafe_member(&shown, reason))?;
            let kind = entry.header().entry_type();
            if parts.is_empty() {
                if kind.is_dir() {
                    continue;
                }
                return Err(unsafe_member(&shown, "has an empty path".to_owned()));
            }
            for depth in 1..parts.len() {
                if let Some(prefix) = parts.get(..depth).filter(|p| links.contains_key(*p)) {
                    return Err(unsafe_member(
                        &shown,
                        format!("would be written through the symlink `{}`", prefix.join("/")),
                    ));
                }
            }
            if links.contains_key(&parts) || (!kind.is_dir() && !seen.insert(parts.clone())) {
                return Err(unsafe_member(&shown, "appears twice in the archive".to_owned()));
            }
            let target_path = join(dest, &parts);
            let mode = entry.header().mode().unwrap_or(0o644) & 0o777;
            match kind {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    if let Some(parent) = target_path.parent() {
                        if !made.contains(parent) {
                            fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
                            made.insert(parent.to_path_buf());
                        }
                    }
                    let mtime = entry.header().mtime().ok();
                    let mut data = Vec::with_capacity(entry.size().min(64 << 20) as usize);
                    let written = entry.read_to_end(&mut data).map_err(corrupt)? as u64;
                    pool.submit(FileJob { path: target_path, data, mode, mtime })
                        .map_err(|(p, e)| write_error(&p, e))?;
                    summary.files += 1;
                    summary.bytes += written;
                    files.insert(parts);
                }
                tar::EntryType::Directory => {
                    if files.contains(&parts) {
                        return Err(unsafe_member(&shown, "is a folder with the name of an earlier file".to_owned()));
                    }
                    fs::create_dir_all(&target_path).map_err(|e| write_error(&target_path, e))?;
                    made.insert(target_path.clone());
                    if seen.insert(parts) {
                        summary.directories += 1;
                    }
                    dir_modes.push((target_path, mode | 0o700));
                }
                tar::EntryType::Symlink => {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned())
                        .filter(|t| !t.is_empty())
                        .ok_or_else(|| unsafe_member(&shown, "is a symlink without a target".to_owned()))?;
                    if target.starts_with('/') {
                        return Err(unsafe_member(&shown, format!("is a symlink to the absolute path `{target}`")));
                    }
                    links.insert(parts.clone(), target);
                    link_order.push(parts);
                }
                tar::EntryType::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| t.into_owned())
                        .ok_or_else(|| unsafe_member(&shown, "is a hard link without a target".to_owned()))?;
                    let target_shown = String::from_utf8_lossy(&target).into_owned();
                    let target_parts = safe_components(&target).map_err(|reason| {
                        unsafe_member(&shown, format!("is a hard link whose target `{target_shown}` {reason}"))
                    })?;
                    if !files.contains(&target_parts) {
                        return Err(unsafe_member(
                            &shown,
                            format!("is a hard link to `{target_shown}`, which is not a file earlier in the archive"),
                        ));
                    }
                    if let Some(parent) = target_path.parent() {
                        fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
                    }
                    // The target must be on disk before it can be linked to.
                    pool.wait().map_err(|(p, e)| write_error(&p, e))?;
                    fs::hard_link(join(dest, &target_parts), &target_path).map_err(|e| write_error(&target_path, e))?;
                    summary.hard_links += 1;
                }
                tar::EntryType::Char | tar::EntryType::Block => {
                    return Err(unsafe_member(&shown, "is a device node".to_owned()));
                }
                tar::EntryType::Fifo => return Err(unsafe_member(&shown, "is a FIFO".to_owned())),
                tar::EntryType::GNUSparse => return Err(unsafe_member(&shown, "is a sparse file".to_owned())),
                tar::EntryType::XGlobalHeader => {}
                other => {
                    return Err(unsafe_member(
                        &shown,
                        format!("has the unsupported tar type `{}`", other.as_byte() as char),
                    ));
                }
            }
        }
        pool.finish().map_err(|(p, e)| write_error(&p, e))
    })?;
    // Read to the end: the gzip CRC and length (or the zstd checksum) are checked there, so a
    // truncated or altered stream fails here even when the tar end blocks were intact.
    let mut rest = tar.into_inner();
    io::copy(&mut rest, &mut io::sink()).map_err(corrupt)?;

    for parts in &link_order {
        let shown = parts.join("/");
        let target = &links[parts];
        match resolve(parts, target, &links) {
            Ok(_) => {}
            Err(LinkEscape::Leaves) => {
                return Err(unsafe_member(&shown, format!("is a symlink to `{target}`, which leaves the destination")))
            }
            Err(LinkEscape::Loops) => {
                return Err(unsafe_member(
                    &shown,
                    format!(
                        "is a symlink to `{target}` whose links do not end: they loop, or resolving them follows \
                         more than {MAX_LINK_STEPS} links"
                    ),
                ))
            }
        }
        if files.contains(parts) || seen.contains(parts) && fs::symlink_metadata(join(dest, parts)).is_ok() {
            return Err(unsafe_member(&shown, "is a symlink with the name of an earlier member".to_owned()));
        }
    }
    for parts in &link_order {
        let path = join(dest, parts);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(|e| write_error(parent, e))?;
        }
        std::os::unix::fs::symlink(&links[parts], &path).map_err(|e| write_error(&path, e))?;
        summary.symlinks += 1;
    }
    // Folder modes last: a read-only folder would have refused its own members.
    for (path, mode) in dir_modes.iter().rev() {
        fs::set_permissions(path, fs::Permissions::from_mode(*mode)).map_err(|e| write_error(path, e))?;
    }
    Ok(summary)
}

/// Whether the archive holds a member at `member` (a path such as `opt/python-3.12.6/LICENSE`).
/// Stops at the first match; artifacts made by `specgate package` have the LICENSE near the start.
pub fn contains_member(archive: &Path, compression: Compression, member: &str, limits: &Limits) -> Result<bool, Error> {
    let corrupt = |error: io::Error| Error::Archive {
        path: archive.to_path_buf(),
        reason: format!("the compressed tar stream is truncated or corrupt ({error})"),
    };
    let file = File::open(archive).map_err(|source| Error::io("open", archive, source))?;
    let mut tar = tar::Archive::new(HeaderGuard::new(decoder(file, compression).map_err(corrupt)?, *limits));
    let wanted = safe_components(member.as_bytes()).unwrap_or_default();
    for entry in tar.entries().map_err(corrupt)? {
        let entry = entry.map_err(corrupt)?;
        if entry.header().entry_type().is_file() && safe_components(&entry.path_bytes()).ok().as_ref() == Some(&wanted)
        {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Call `visit` with the path and content of every regular file of the archive, in archive
/// order, without writing anything (publish scans members for secrets this way). The same
/// limits and path rules as `unpack` apply; an error of `visit` stops the walk.
pub fn for_each_file(
    archive: &Path,
    compression: Compression,
    limits: &Limits,
    mut visit: impl FnMut(&str, &mut dyn Read) -> io::Result<()>,
) -> Result<(), Error> {
    let corrupt = |error: io::Error| Error::Archive {
        path: archive.to_path_buf(),
        reason: format!("the compressed tar stream is truncated or corrupt ({error})"),
    };
    let file = File::open(archive).map_err(|source| Error::io("open", archive, source))?;
    let stream = decoder(file, compression).map_err(corrupt)?;
    let mut tar = tar::Archive::new(HeaderGuard::new(stream, *limits));
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let raw = entry.path_bytes().into_owned();
        let shown = String::from_utf8_lossy(&raw).into_owned();
        let parts = safe_components(&raw).map_err(|reason| Error::Unsafe {
            path: archive.to_path_buf(),
            member: shown.clone(),
            reason,
        })?;
        let name = parts.join("/");
        visit(&name, &mut entry).map_err(|error| Error::Archive {
            path: archive.to_path_buf(),
            reason: format!("reading member `{name}` failed ({error})"),
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------- header guard

/// A limit broken, carried through `io::Error` from the guard to `unpack`.
#[derive(Debug)]
struct GuardError(String);

impl std::fmt::Display for GuardError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GuardError {}

/// The largest GNU long-name or pax record the guard lets the tar parser buffer in memory.
const MAX_EXTENSION: u64 = 64 * 1024;

/// Reads the decompressed stream in front of the tar parser and checks each header before the
/// parser sees its data: member count, declared content size, and the size of long-name and pax
/// records (which the parser would otherwise read whole into memory).
struct HeaderGuard<R> {
    inner: R,
    limits: Limits,
    /// Bytes of the current member's data (rounded to 512) still to pass.
    data_left: u64,
    header: Vec<u8>,
    /// Data of a pax `x` record being passed, to honour its `size` override as the parser does.
    pax: Option<Vec<u8>>,
    pax_size: Option<u64>,
    members: u64,
    bytes: u64,
}

impl<R: Read> HeaderGuard<R> {
    fn new(inner: R, limits: Limits) -> HeaderGuard<R> {
        HeaderGuard {
            inner,
            limits,
            data_left: 0,
            header: Vec::with_capacity(512),
            pax: None,
            pax_size: None,
            members: 0,
            bytes: 0,
        }
    }

    fn refuse(reason: String) -> io::Error {
        io::Error::other(GuardError(reason))
    }

    /// A complete 512-byte header has passed.
    fn on_header(&mut self) -> io::Result<()> {
        let block = std::mem::take(&mut self.header);
        if block.iter().all(|b| *b == 0) {
            return Ok(());
        }
        let kind = block[156];
        let mut size = parse_number(&block[124..136])
            .ok_or_else(|| Self::refuse("a member header has a corrupt size field".to_owned()))?;
        let name = String::from_utf8_lossy(block[..100].split(|b| *b == 0).next().unwrap_or_default()).into_owned();
        match kind {
            b'L' | b'K' | b'x' | b'g' => {
                if size > MAX_EXTENSION {
                    return Err(Self::refuse(format!(
                        "an extended header declares {size} bytes (more than {MAX_EXTENSION})"
                    )));
                }
                if kind == b'x' {
                    self.pax = Some(Vec::with_capacity(size as usize));
                }
            }
            b'S' => {
                let real = parse_number(&block[483..495]).unwrap_or(u64::MAX);
                return Err(Self::refuse(format!(
                    "member `{name}` is a sparse file declaring {} bytes",
                    if real == u64::MAX { size } else { real }
                )));
            }
            _ => {
                if let Some(pax_size) = self.pax_size.take() {
                    size = pax_size;
                }
                self.members += 1;
                if self.members > self.limits.max_entries {
                    return Err(Self::refuse(format!("it has more than {} members", self.limits.max_entries)));
                }
                if matches!(kind, b'0' | 0 | b'7') {
                    self.bytes = self.bytes.saturating_add(size);
                    if self.bytes > self.limits.max_bytes {
                        return Err(Self::refuse(format!(
                            "member `{name}` declares {size} bytes, taking the content past the limit of {} bytes",
                            self.limits.max_bytes
                        )));
                    }
                }
            }
        }
        self.data_left = size.div_ceil(512) * 512;
        if self.data_left == 0 {
            self.finish_pax();
        }
        Ok(())
    }

    fn finish_pax(&mut self) {
        if let Some(data) = self.pax.take() {
            self.pax_size = pax_size(&data);
        }
    }
}

/// A tar numeric field: octal ASCII, or base-256 when the high bit of the first byte is set.
fn parse_number(field: &[u8]) -> Option<u64> {
    if field[0] & 0x80 != 0 {
        let mut value: u64 = u64::from(field[0] & 0x7f);
        for byte in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(*byte))?;
        }
        return Some(value);
    }
    let text = std::str::from_utf8(field).ok()?;
    let text = text.trim_matches(|c: char| c == '\0' || c == ' ');
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(text, 8).ok()
}

/// The `size` record of pax extended header data (`<len> size=<n>\n` records).
fn pax_size(data: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(data);
    let mut value = None;
    for record in text.split('\n') {
        if let Some((_, kv)) = record.split_once(' ') {
            if let Some(size) = kv.strip_prefix("size=") {
                value = size.trim_end_matches('\0').parse().ok();
            }
        }
    }
    value
}

impl<R: Read> Read for HeaderGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        // Never hand out bytes past the end of the current header or data region, so each
        // header is checked before any byte after it is released.
        let want = if self.data_left > 0 {
            (self.data_left.min(buf.len() as u64)) as usize
        } else {
            (512 - self.header.len()).min(buf.len())
        };
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            return Ok(0);
        }
        if self.data_left > 0 {
            if let Some(pax) = self.pax.as_mut() {
                let room = (MAX_EXTENSION as usize + 512).saturating_sub(pax.len());
                pax.extend_from_slice(&buf[..n.min(room)]);
            }
            self.data_left -= n as u64;
            if self.data_left == 0 {
                self.finish_pax();
            }
        } else {
            self.header.extend_from_slice(&buf[..n]);
            if self.header.len() == 512 {
                self.on_header()?;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_each_file_visits_regular_files_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.tgz");
        let file = File::create(&path).unwrap();
        let mut builder = tar::Builder::new(flate2::write::GzEncoder::new(file, flate2::Compression::fast()));
        for (name, data) in [("opt/a.txt", &b"one"[..]), ("opt/b.txt", &b"two"[..])] {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            builder.append_data(&mut header, name, data).unwrap();
        }
        builder.into_inner().unwrap().finish().unwrap();
        let mut seen = Vec::new();
        for_each_file(&path, Compression::Gzip, &Limits::default(), |name, reader| {
            let mut text = String::new();
            reader.read_to_string(&mut text)?;
            seen.push(format!("{name}={text}"));
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec!["opt/a.txt=one", "opt/b.txt=two"]);
    }

    /// `data` as `pack` writes it: members of `GZIP_CHUNK` bytes that carry their size.
    fn packed(data: &[u8]) -> Vec<u8> {
        let mut encoder = super::super::pack::ParallelGzip::new(Vec::new(), 1, 2);
        io::Write::write_all(&mut encoder, data).unwrap();
        encoder.finish().unwrap()
    }

    fn decode(gz: &[u8]) -> io::Result<Vec<u8>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.gz");
        fs::write(&path, gz).unwrap();
        let mut out = Vec::new();
        decoder(File::open(&path).unwrap(), Compression::Gzip)?.read_to_end(&mut out)?;
        Ok(out)
    }

    #[test]
    fn sized_members_inflate_in_parallel_and_in_order() {
        let chunk = super::super::pack::GZIP_CHUNK;
        let data: Vec<u8> = (0..chunk * 9 + 777).map(|i| ((i * 7) % 253) as u8 ^ (i / 5000) as u8).collect();
        let gz = packed(&data);
        assert!(member_size(&gz).is_some());
        assert!(decode(&gz).unwrap() == data);

        // A member of another tool after ours (a concatenation) is inflated too, in order.
        let mut foreign = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut foreign, b"tail from gzip").unwrap();
        let mut both = gz.clone();
        both.extend(foreign.finish().unwrap());
        let out = decode(&both).unwrap();
        assert!(out.len() == data.len() + 14 && out.ends_with(b"tail from gzip") && out[..data.len()] == data[..]);

        // A gzip file without sizes takes the one-thread path and gives the same bytes.
        let mut plain = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        io::Write::write_all(&mut plain, &data).unwrap();
        let plain = plain.finish().unwrap();
        assert!(member_size(&plain).is_none());
        assert!(decode(&plain).unwrap() == data);
    }

    #[test]
    fn damaged_sized_members_are_errors() {
        let chunk = super::super::pack::GZIP_CHUNK;
        let data: Vec<u8> = (0..chunk * 3).map(|i| (i % 241) as u8).collect();
        let gz = packed(&data);
        let second = u32::from_le_bytes(gz[16..20].try_into().unwrap()) as usize;

        let truncated = decode(&gz[..gz.len() - 100]).unwrap_err();
        assert_eq!(truncated.kind(), io::ErrorKind::UnexpectedEof, "{truncated}");
        let mut crc = gz.clone();
        crc[second - 8] ^= 1;
        assert!(decode(&crc).unwrap_err().to_string().contains("CRC-32"));
        let mut body = gz.clone();
        body[second + MEMBER_HEADER_LEN + 40] ^= 0x55;
        let error = decode(&body).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData, "{error}");
        // A size that points into the middle of the next member.
        let mut size = gz.clone();
        size[16..20].copy_from_slice(&((second - 5) as u32).to_le_bytes());
        assert!(decode(&size).is_err());
    }

    #[test]
    fn components_table() {
        assert_eq!(safe_components(b"opt/python-3.12.6/bin/").unwrap(), vec!["opt", "python-3.12.6", "bin"]);
        assert_eq!(safe_components(b"./opt//x").unwrap(), vec!["opt", "x"]);
        assert!(safe_components(b"/etc/passwd").unwrap_err().contains("absolute"));
        assert!(safe_components(b"../../etc/passwd").unwrap_err().contains(".."));
        assert!(safe_components(b"opt/../../x").unwrap_err().contains(".."));
    }

    #[test]
    fn symlink_resolution_follows_links_of_the_archive() {
        let v = |s: &str| s.split('/').map(str::to_owned).collect::<Vec<_>>();
        let mut links = HashMap::new();
        assert_eq!(resolve(&v("opt/p/bin/python3"), "python3.12", &links), Ok(v("opt/p/bin/python3.12")));
        assert_eq!(resolve(&v("a/x"), "../../..", &links), Err(LinkEscape::Leaves));
        assert_eq!(resolve(&v("a/x"), "/etc", &links), Err(LinkEscape::Leaves));
        // `x/l -> ..` is inside; `y -> x/l/..` looks inside lexically but is the parent of the root.
        links.insert(v("x/l"), "..".to_owned());
        links.insert(v("y"), "x/l/..".to_owned());
        assert_eq!(resolve(&v("x/l"), "..", &links), Ok(vec![]));
        assert_eq!(resolve(&v("y"), "x/l/..", &links), Err(LinkEscape::Leaves));
        // A loop is named as one, not as leaving the destination.
        links.insert(v("loop"), "loop".to_owned());
        assert_eq!(resolve(&v("loop"), "loop", &links), Err(LinkEscape::Loops));
        links.insert(v("p"), "q".to_owned());
        links.insert(v("q"), "p".to_owned());
        assert_eq!(resolve(&v("p"), "q", &links), Err(LinkEscape::Loops));
        // Links whose targets name the next link twice would take 2^40 steps: cut short.
        for i in 0..40 {
            links.insert(v(&format!("c{i}")), format!("c{}/../c{}", i + 1, i + 1));
        }
        links.insert(v("c40"), "opt".to_owned());
        assert_eq!(resolve(&v("c0"), "c1/../c1", &links), Err(LinkEscape::Loops));
    }

    #[test]
    fn numbers_in_octal_and_base_256() {
        assert_eq!(parse_number(b"00000001750\0"), Some(1000));
        let mut big = [0u8; 12];
        big[0] = 0x80;
        big[7] = 2;
        assert_eq!(parse_number(&big), Some(2 << 32));
        assert_eq!(pax_size(b"16 size=1234567\n20 path=a/b/c/d/e\n"), Some(1_234_567));
    }
}
