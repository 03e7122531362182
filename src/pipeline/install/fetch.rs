//! Where an artifact comes from and what digest it must have: URL kinds, the mirror override,
//! the expected SHA-256 (flag, `<URL>.sha256`, ledger row), and the content-addressed cache
//! that a download streams into (`<sha256>.partial`, hashed while it streams, renamed to
//! `<sha256>` only on a match).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::Error;
use crate::shared::artifact::{ledger, Digest, Sidecar, Status};
use crate::shared::http::{self, Sink as _};

/// A parsed artifact location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Http(String),
    File(PathBuf),
}

impl Location {
    /// Parse `https://`, `http://` (loopback only unless `allow_http`), `file://` or a path.
    pub fn parse(url: &str, allow_http: bool) -> Result<Location, Error> {
        let bad = |reason: String| Error::Url { url: url.to_owned(), reason };
        if let Some(rest) = url.strip_prefix("https://") {
            if host_of(rest).is_empty() {
                return Err(bad("it names no host".to_owned()));
            }
            Ok(Location::Http(url.to_owned()))
        } else if let Some(rest) = url.strip_prefix("http://") {
            let host = host_of(rest);
            if host.is_empty() {
                return Err(bad("it names no host".to_owned()));
            }
            if !allow_http && !is_loopback(host) {
                return Err(bad(format!(
                    "plain http to `{host}` can be altered in transit; only loopback hosts may use http"
                )));
            }
            Ok(Location::Http(url.to_owned()))
        } else if let Some(path) = url.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(bad("a file:// URL needs an absolute path, `file:///srv/mirror/...`".to_owned()));
            }
            Ok(Location::File(PathBuf::from(path)))
        } else if url.contains("://") {
            Err(bad("the scheme is not one of https://, http://, file://".to_owned()))
        } else if url.is_empty() {
            Err(bad("it is empty".to_owned()))
        } else {
            Ok(Location::File(PathBuf::from(url)))
        }
    }

    /// The last path segment: the artifact's file name.
    pub fn file_name(&self) -> Option<String> {
        match self {
            Location::Http(url) => {
                let path = url.split(['?', '#']).next().unwrap_or(url);
                let name = path.rsplit('/').next()?;
                (!name.is_empty() && !path.ends_with("//")).then(|| name.to_owned())
            }
            Location::File(path) => path.file_name().map(|n| n.to_string_lossy().into_owned()),
        }
    }

    /// The location of a file beside this one (`<artifact>.sha256`, `<artifact>.asc`).
    pub fn with_suffix(&self, suffix: &str) -> Location {
        match self {
            Location::Http(url) => Location::Http(format!("{url}{suffix}")),
            Location::File(path) => {
                let mut name = path.as_os_str().to_owned();
                name.push(suffix);
                Location::File(PathBuf::from(name))
            }
        }
    }

    pub fn display(&self) -> String {
        match self {
            Location::Http(url) => url.clone(),
            Location::File(path) => path.display().to_string(),
        }
    }
}

/// `host[:port]` of the part after `scheme://`, without user info or port.
fn host_of(rest: &str) -> &str {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if let Some(inner) = authority.strip_prefix('[') {
        return inner.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The URL of the artifact: the mirror's folder plus the artifact's file name when a mirror is set.
pub fn apply_mirror(url: &str, mirror: Option<&str>) -> String {
    match mirror {
        Some(mirror) if !mirror.is_empty() => {
            let name = url.split(['?', '#']).next().unwrap_or(url).rsplit('/').next().unwrap_or(url);
            format!("{}/{name}", mirror.trim_end_matches('/'))
        }
        _ => url.to_owned(),
    }
}

/// Where the expected digest came from, for messages and the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Flag,
    /// The Feature's index (the ledger's row, embedded by `make feature`).
    Index(PathBuf),
    Sidecar(String),
    Ledger {
        path: PathBuf,
        line: usize,
    },
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Expected::Flag => write!(f, "--sha256"),
            Expected::Index(path) => write!(f, "the Feature's index `{}`, the ledger's row", path.display()),
            Expected::Sidecar(at) => write!(f, "the sidecar `{at}`"),
            Expected::Ledger { path, line } => write!(f, "the ledger row `{}:{line}`", path.display()),
        }
    }
}

/// The digest given on the command line, else the one of the `<URL>.sha256` sidecar; `None`
/// when neither is there (`ledger_or_refuse` looks in the ledger next).
pub fn flag_or_sidecar(
    flag: Option<(Digest, Expected)>,
    location: &Location,
    file_name: &str,
    client: &http::Client,
) -> Result<Option<(Digest, Expected)>, Error> {
    if flag.is_some() {
        return Ok(flag);
    }
    let sidecar = sidecar_digest(location, file_name, client)?;
    Ok(sidecar.map(|digest| (digest, Expected::Sidecar(location.with_suffix(".sha256").display()))))
}

/// Read `<artifact>.sha256` when it exists; `None` when the server or folder has none. A
/// local artifact that does not exist is an error here already.
pub fn sidecar_digest(location: &Location, file_name: &str, client: &http::Client) -> Result<Option<Digest>, Error> {
    // A local artifact that is not there is the error to report, not the digest missing beside it.
    if let Location::File(path) = location {
        if let Err(source) = fs::metadata(path) {
            return Err(Error::fs("open the artifact", path, source));
        }
    }
    let sidecar = location.with_suffix(".sha256");
    let text = match &sidecar {
        Location::File(path) => {
            match crate::shared::readfile::regular(path, crate::shared::artifact::sidecar::MAX_BYTES) {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
                Err(source) => return Err(Error::fs("read the sidecar", path, source)),
            }
        }
        Location::Http(url) => {
            let fetched = client.fetch(url, |body| {
                let mut text = String::new();
                body.take(crate::shared::artifact::sidecar::MAX_BYTES).read_to_string(&mut text)?;
                Ok(text)
            });
            match fetched {
                Ok(text) => text,
                Err(error) if error.status() == Some(404) => return Ok(None),
                Err(error) => return Err(Error::Http(error)),
            }
        }
    };
    let parsed =
        Sidecar::parse(&text).map_err(|reason| Error::BadSidecar { at: sidecar.display(), reason: reason.clone() })?;
    let named = parsed.file_name.rsplit('/').next().unwrap_or(&parsed.file_name);
    if named != file_name {
        return Err(Error::BadSidecar {
            at: sidecar.display(),
            reason: format!("it names `{}`, not `{file_name}`", parsed.file_name),
        });
    }
    Ok(Some(parsed.digest))
}

/// The Activo row of the ledger whose artifact name is `file_name`.
pub fn ledger_digest(path: &Path, file_name: &str) -> Result<Option<(Digest, usize)>, Error> {
    let ledger = ledger::read(path)?;
    let Some(table) = ledger.table.as_ref() else { return Ok(None) };
    for (index, entry) in ledger.entries() {
        let matches = [crate::shared::artifact::Compression::Gzip, crate::shared::artifact::Compression::Zstd]
            .into_iter()
            .any(|c| entry.artifact_name(c).to_string() == file_name);
        if matches && entry.status == Status::Active {
            return Ok(Some((entry.sha256, table.rows[index].line)));
        }
    }
    Ok(None)
}

/// The Activo row of the ledger's wheelhouse table for the wheelhouse `file_name` (any
/// compression), as `ledger_digest` finds a CPython row.
pub fn wheelhouse_ledger_digest(path: &Path, file_name: &str) -> Result<Option<(Digest, usize)>, Error> {
    let Ok(name) = crate::shared::artifact::WheelhouseName::parse(file_name) else { return Ok(None) };
    let ledger = ledger::read(path)?;
    let row = ledger.wheelhouse_entries().into_iter().find(|(_, e)| e.describes(&name) && e.status == Status::Active);
    Ok(row.map(|(index, entry)| (entry.sha256, ledger.line_of(ledger::Kind::Wheelhouse, index))))
}

/// How a ledger is searched for a file's row: `ledger_digest` or `wheelhouse_ledger_digest`.
pub type LedgerLookup = fn(&Path, &str) -> Result<Option<(Digest, usize)>, Error>;

/// The last source of the expected digest, after `flag_or_sidecar` found none: the Activo
/// row of `--ledger`. Without one, `NoDigest` says everywhere it looked.
pub fn ledger_or_refuse(
    location: &Location,
    file_name: &str,
    ledger: Option<&Path>,
    lookup: LedgerLookup,
) -> Result<(Digest, Expected), Error> {
    let mut looked = vec!["no --sha256".to_owned(), format!("no `{}`", location.with_suffix(".sha256").display())];
    if let Some(ledger) = ledger {
        if let Some((digest, line)) = lookup(ledger, file_name)? {
            return Ok((digest, Expected::Ledger { path: ledger.to_path_buf(), line }));
        }
        looked.push(format!("no Activo row for `{file_name}` in `{}`", ledger.display()));
    } else {
        looked.push("no --ledger".to_owned());
    }
    Err(Error::NoDigest { url: location.display(), looked: looked.join(", ") })
}

/// The content-addressed store of verified artifacts: `<dir>/<sha256>`. Installs into any
/// root may share it: one download per digest at a time (`<sha256>.lock`).
pub struct Cache {
    pub dir: PathBuf,
    /// How long to wait for another run downloading the same digest.
    pub lock_wait: std::time::Duration,
}

impl Cache {
    pub fn path(&self, digest: Digest) -> PathBuf {
        self.dir.join(digest.to_hex())
    }

    /// The cached file if it is there and still hashes to `digest`; a damaged one is removed.
    pub fn lookup(&self, digest: Digest) -> Result<Option<PathBuf>, Error> {
        let path = self.path(digest);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(Error::fs("open the cached artifact", &path, source)),
        };
        let (actual, _) = crate::shared::artifact::sidecar::sha256_reader(file)
            .map_err(|source| Error::fs("read the cached artifact", &path, source))?;
        if actual == digest {
            return Ok(Some(path));
        }
        fs::remove_file(&path).map_err(|source| Error::fs("remove the damaged cached artifact", &path, source))?;
        Ok(None)
    }

    /// Stream `location` into `<sha256>.partial`, hashing as it goes; rename it to `<sha256>`
    /// only when the digest matches. A mismatch removes the partial file and is never retried;
    /// so does a full disk. Only the holder of `<sha256>.lock` writes the partial file, so two
    /// runs never append to the same file, and a run that waited takes the finished one.
    pub fn store(
        &self,
        location: &Location,
        expected: Digest,
        expected_from: &Expected,
        client: &http::Client,
        progress: &mut dyn FnMut(u64, Option<u64>),
        waiting: &mut dyn FnMut(&Path),
    ) -> Result<PathBuf, Error> {
        fs::create_dir_all(&self.dir).map_err(|source| Error::fs("create the download cache", &self.dir, source))?;
        let lock_path = self.dir.join(format!("{}.lock", expected.to_hex()));
        let _lock = super::layout::lock_file(&lock_path, self.lock_wait, waiting)?;
        if let Some(done) = self.lookup(expected)? {
            return Ok(done);
        }
        let result = self.download(location, expected, expected_from, client, progress);
        if let Err(error) = &result {
            if disk_full(error) {
                // Keeping it would keep the disk full; a later run starts over.
                let _ = fs::remove_file(self.partial_path(expected));
            }
        }
        result
    }

    fn partial_path(&self, digest: Digest) -> PathBuf {
        self.dir.join(format!("{}.partial", digest.to_hex()))
    }

    /// The download itself, under the lock `store` holds.
    fn download(
        &self,
        location: &Location,
        expected: Digest,
        expected_from: &Expected,
        client: &http::Client,
        progress: &mut dyn FnMut(u64, Option<u64>),
    ) -> Result<PathBuf, Error> {
        let (partial_path, final_path) = (self.partial_path(expected), self.path(expected));
        let mut partial = Partial::open(&partial_path, progress)?;
        match location {
            Location::File(path) => {
                partial.restart().map_err(|source| Error::fs("write", &partial_path, source))?;
                let mut file = File::open(path).map_err(|source| Error::fs("open the artifact", path, source))?;
                partial.total = file.metadata().ok().map(|m| m.len());
                let mut buf = vec![0u8; 256 * 1024];
                loop {
                    let n = file.read(&mut buf).map_err(|source| Error::fs("read the artifact", path, source))?;
                    if n == 0 {
                        break;
                    }
                    partial.write(&buf[..n]).map_err(|source| Error::fs("write", &partial_path, source))?;
                }
            }
            Location::Http(url) => {
                let mut result = client.download(url, &mut partial);
                if matches!(&result, Err(error) if error.status() == Some(416)) {
                    // The partial file is longer than the artifact: start over once.
                    partial.restart().map_err(|source| Error::fs("write", &partial_path, source))?;
                    result = client.download(url, &mut partial);
                }
                if let Err(error) = result {
                    // Bytes already received stay for the next run to resume; an empty file goes.
                    if partial.len == 0 {
                        drop(partial);
                        let _ = fs::remove_file(&partial_path);
                    }
                    return Err(error.into());
                }
            }
        }
        let (actual, size) = partial.finish().map_err(|source| Error::fs("write", &partial_path, source))?;
        if actual != expected {
            let _ = fs::remove_file(&partial_path);
            return Err(Error::Mismatch {
                url: location.display(),
                expected,
                actual,
                size,
                expected_from: expected_from.to_string(),
            });
        }
        fs::rename(&partial_path, &final_path).map_err(|source| Error::fs("rename", &partial_path, source))?;
        Ok(final_path)
    }
}

/// Whether an error, or any error it was caused by, is "no space left on device".
fn disk_full(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.downcast_ref::<io::Error>().is_some_and(|e| e.kind() == io::ErrorKind::StorageFull) {
            return true;
        }
        next = error.source();
    }
    false
}

/// A `.partial` file and the running hash of everything in it.
struct Partial<'a> {
    file: File,
    hasher: Sha256,
    len: u64,
    total: Option<u64>,
    progress: &'a mut dyn FnMut(u64, Option<u64>),
}

impl<'a> Partial<'a> {
    /// Open (or continue) a partial file; bytes left by an interrupted run are hashed first.
    fn open(path: &Path, progress: &'a mut dyn FnMut(u64, Option<u64>)) -> Result<Partial<'a>, Error> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|source| Error::fs("create", path, source))?;
        let mut hasher = Sha256::new();
        let len =
            io::copy(&mut file, &mut HashWriter(&mut hasher)).map_err(|source| Error::fs("read", path, source))?;
        Ok(Partial { file, hasher, len, total: None, progress })
    }

    fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.file.write_all(chunk)?;
        self.hasher.update(chunk);
        self.len += chunk.len() as u64;
        (self.progress)(self.len, self.total);
        Ok(())
    }

    /// No fsync: a cached file is hashed again before every use, so a crash can cost a
    /// download but never install damaged bytes.
    fn finish(self) -> io::Result<(Digest, u64)> {
        Ok((Digest(self.hasher.finalize().into()), self.len))
    }
}

impl http::Sink for Partial<'_> {
    fn offset(&self) -> u64 {
        self.len
    }

    fn restart(&mut self) -> io::Result<()> {
        self.file.set_len(0)?;
        self.hasher = Sha256::new();
        self.len = 0;
        Ok(())
    }

    fn append(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.write(chunk)
    }
}

struct HashWriter<'a>(&'a mut Sha256);

impl Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations() {
        assert_eq!(
            Location::parse("https://example.com/a.tgz", false).unwrap(),
            Location::Http("https://example.com/a.tgz".into())
        );
        assert!(Location::parse("http://127.0.0.1:8080/a.tgz", false).is_ok());
        assert!(Location::parse("http://[::1]:8080/a.tgz", false).is_ok());
        assert!(Location::parse("http://localhost/a.tgz", false).is_ok());
        let refused = Location::parse("http://example.com/a.tgz", false).unwrap_err().to_string();
        assert!(refused.contains("only loopback"), "{refused}");
        assert!(Location::parse("http://example.com/a.tgz", true).is_ok());
        assert!(Location::parse("http://user@127.0.0.2/a.tgz", false).is_ok());
        assert_eq!(Location::parse("file:///srv/a.tgz", false).unwrap(), Location::File("/srv/a.tgz".into()));
        assert!(Location::parse("file://srv/a.tgz", false).is_err());
        assert!(Location::parse("ftp://host/a.tgz", false).is_err());
        assert_eq!(Location::parse("dist/a.tgz", false).unwrap(), Location::File("dist/a.tgz".into()));
    }

    #[test]
    fn file_names_and_mirrors() {
        let l = Location::parse("https://h/releases/download/t/cpython-3.11.2-debian12-build1.tgz?x=1", false).unwrap();
        assert_eq!(l.file_name().unwrap(), "cpython-3.11.2-debian12-build1.tgz");
        assert_eq!(
            l.with_suffix(".sha256").display(),
            "https://h/releases/download/t/cpython-3.11.2-debian12-build1.tgz?x=1.sha256"
        );
        assert_eq!(apply_mirror("https://h/d/a.tgz", Some("file:///srv/mirror/")), "file:///srv/mirror/a.tgz");
        assert_eq!(apply_mirror("https://h/d/a.tgz", None), "https://h/d/a.tgz");
        assert_eq!(apply_mirror("https://h/d/a.tgz", Some("")), "https://h/d/a.tgz");
    }
}
