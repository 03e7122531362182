//! SHA-256 digests and `<name>.sha256` sidecars in `sha256sum` format (`<hex>  <name>\n`), so
//! `sha256sum -c` verifies them. Hashing always streams: nothing here reads a whole artifact
//! into memory.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use super::Error;

/// A SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Parse 64 hex characters (either case).
    pub fn from_hex(text: &str) -> Option<Digest> {
        let bytes = text.as_bytes();
        if bytes.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let high = (pair[0] as char).to_digit(16)?;
            let low = (pair[1] as char).to_digit(16)?;
            out[i] = (high * 16 + low) as u8;
        }
        Some(Digest(out))
    }

    /// Lowercase hex, as `sha256sum` prints it.
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        let mut text = String::with_capacity(64);
        for byte in self.0 {
            let _ = write!(text, "{byte:02x}");
        }
        text
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

/// The read size for hashing: large enough that syscalls do not matter, small enough to stay in cache.
const BUFFER: usize = 256 * 1024;

/// A sidecar is one line (`sha256sum` format) and is read only up to this size, and only when
/// it is a regular file: a FIFO or a link to `/dev/zero` beside an artifact is refused at once.
pub const MAX_BYTES: u64 = 64 * 1024;

/// Hash everything `reader` yields, streaming; returns the digest and the byte count.
pub fn sha256_reader(mut reader: impl Read) -> io::Result<(Digest, u64)> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; BUFFER];
    let mut total = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
    Ok((Digest(hasher.finalize().into()), total))
}

/// Hash a file, streaming.
pub fn sha256_file(path: &Path) -> Result<Digest, Error> {
    let file = File::open(path).map_err(|source| Error::io("read", path, source))?;
    sha256_reader(file).map(|(digest, _)| digest).map_err(|source| Error::io("read", path, source))
}

/// A reader that hashes what passes through it; install hashes a download while it streams.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> HashingReader<R> {
        HashingReader { inner, hasher: Sha256::new(), bytes: 0 }
    }

    /// Bytes read so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The digest of everything read, and the reader.
    pub fn finish(self) -> (Digest, R) {
        (Digest(self.hasher.finalize().into()), self.inner)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
}

/// The content of a sidecar: the digest and the file name it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sidecar {
    pub digest: Digest,
    pub file_name: String,
}

impl Sidecar {
    /// The sidecar path of an artifact path: `<path>.sha256`.
    pub fn path_for(artifact: &Path) -> PathBuf {
        let mut name = artifact.as_os_str().to_owned();
        name.push(".sha256");
        PathBuf::from(name)
    }

    /// `sha256sum` format: `<hex>  <name>\n` (two spaces: text mode, as sha256sum writes).
    pub fn render(&self) -> String {
        format!("{}  {}\n", self.digest, self.file_name)
    }

    /// Parse a sidecar. Accepts what `sha256sum` writes: one line `<hex> <mode><name>` where the
    /// mode is a space (text) or `*` (binary), and an optional final newline.
    pub fn parse(text: &str) -> Result<Sidecar, String> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let line = lines.next().ok_or("the sidecar is empty")?;
        if lines.next().is_some() {
            return Err("the sidecar has more than one line; it must name exactly one file".to_owned());
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        let (hex, rest) = line.split_once(' ').ok_or_else(|| "the line is not `<sha256>  <file name>`".to_owned())?;
        let digest = Digest::from_hex(hex).ok_or_else(|| {
            format!(
                "`{}` is not a SHA-256 digest (64 hex characters; it has {})",
                hex.chars().take(80).collect::<String>(),
                hex.chars().count()
            )
        })?;
        let name = rest
            .strip_prefix(' ')
            .or_else(|| rest.strip_prefix('*'))
            .ok_or_else(|| "the digest must be followed by two spaces (or ` *`) and the file name".to_owned())?;
        if name.is_empty() {
            return Err("the line names no file".to_owned());
        }
        Ok(Sidecar { digest, file_name: name.to_owned() })
    }

    /// Read and parse the sidecar of `artifact`.
    pub fn read_for(artifact: &Path) -> Result<Sidecar, Error> {
        let path = Sidecar::path_for(artifact);
        let text =
            crate::shared::readfile::text(&path, MAX_BYTES).map_err(|source| Error::io("read", &path, source))?;
        Sidecar::parse(&text).map_err(|reason| Error::Sidecar { path, reason })
    }

    /// Write `<artifact>.sha256` atomically.
    pub fn write_for(artifact: &Path, digest: Digest) -> Result<Sidecar, Error> {
        let file_name = artifact
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| Error::io("name", artifact, io::Error::other("the path has no file name")))?;
        let sidecar = Sidecar { digest, file_name };
        let path = Sidecar::path_for(artifact);
        crate::shared::atomic::write(&path, sidecar.render().as_bytes())
            .map_err(|source| Error::io("write", &path, source))?;
        Ok(sidecar)
    }
}

/// Verify an artifact against its sidecar: the sidecar names this file and the file's real
/// digest equals the sidecar's. Returns the digest.
pub fn verify(artifact: &Path) -> Result<Digest, Error> {
    let sidecar = Sidecar::read_for(artifact)?;
    let file_name = artifact.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    if sidecar.file_name != file_name {
        return Err(Error::Sidecar {
            path: Sidecar::path_for(artifact),
            reason: format!("it is for `{}`, not for `{file_name}`", sidecar.file_name),
        });
    }
    let actual = sha256_file(artifact)?;
    if actual != sidecar.digest {
        return Err(Error::Mismatch {
            path: artifact.to_path_buf(),
            expected: sidecar.digest,
            actual,
            source_of_expected: "its sidecar".to_owned(),
        });
    }
    Ok(actual)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    #[test]
    fn digest_of_empty_input_and_hex_round_trip() {
        let (digest, n) = sha256_reader(&b""[..]).unwrap();
        assert_eq!(digest.to_hex(), EMPTY);
        assert_eq!(n, 0);
        assert_eq!(Digest::from_hex(&EMPTY.to_uppercase()), Some(digest));
        assert!(Digest::from_hex(&EMPTY[..63]).is_none());
        assert!(Digest::from_hex(&format!("{}g", &EMPTY[..63])).is_none());
    }

    #[test]
    fn hashing_reader_matches_direct_hash() {
        let data = vec![7u8; 1_000_003];
        let mut reader = HashingReader::new(&data[..]);
        io::copy(&mut reader, &mut io::sink()).unwrap();
        assert_eq!(HashingReader::bytes(&reader), data.len() as u64);
        assert_eq!(reader.finish().0, sha256_reader(&data[..]).unwrap().0);
    }

    #[test]
    fn sidecar_parse_table() {
        let ok = format!("{EMPTY}  a.tgz\n");
        assert_eq!(Sidecar::parse(&ok).unwrap().file_name, "a.tgz");
        assert_eq!(Sidecar::parse(&format!("{EMPTY} *a.tgz")).unwrap().file_name, "a.tgz");
        assert_eq!(Sidecar::parse(&format!("{EMPTY}  a.tgz\r\n")).unwrap().file_name, "a.tgz");
        for (bad, reason) in [
            (String::new(), "empty"),
            (format!("{}  a.tgz\n", &EMPTY[..63]), "it has 63"),
            (format!("{EMPTY}a.tgz\n"), "not `<sha256>"),
            (format!("{EMPTY} a.tgz\n"), "two spaces"),
            (format!("{EMPTY}  a.tgz\n{EMPTY}  b.tgz\n"), "more than one line"),
        ] {
            let error = Sidecar::parse(&bad).unwrap_err();
            assert!(error.contains(reason), "{bad:?}: {error}");
        }
    }

    #[test]
    fn sha256sum_accepts_the_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        let artifact = dir.path().join("cpython-3.12.6-debian12-build1.tgz");
        std::fs::write(&artifact, b"not really a tarball").unwrap();
        let digest = sha256_file(&artifact).unwrap();
        Sidecar::write_for(&artifact, digest).unwrap();
        let output = std::process::Command::new("sha256sum")
            .arg("-c")
            .arg("cpython-3.12.6-debian12-build1.tgz.sha256")
            .current_dir(dir.path())
            .output()
            .expect("sha256sum is installed (coreutils)");
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        assert_eq!(String::from_utf8_lossy(&output.stdout), "cpython-3.12.6-debian12-build1.tgz: OK\n");
        assert_eq!(verify(&artifact).unwrap(), digest);
    }

    #[test]
    fn sidecar_for_a_different_file_name_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let artifact = dir.path().join("cpython-3.12.6-debian12-build2.tgz");
        std::fs::write(&artifact, b"x").unwrap();
        let digest = sha256_file(&artifact).unwrap();
        let other = Sidecar { digest, file_name: "cpython-3.12.6-debian12-build1.tgz".into() };
        std::fs::write(Sidecar::path_for(&artifact), other.render()).unwrap();
        let error = verify(&artifact).unwrap_err().to_string();
        assert!(error.contains("is for `cpython-3.12.6-debian12-build1.tgz`"), "{error}");
    }

    #[test]
    fn changed_file_is_a_mismatch() {
        let dir = tempfile::tempdir().unwrap();
        let artifact = dir.path().join("a.tgz");
        std::fs::write(&artifact, b"one").unwrap();
        Sidecar::write_for(&artifact, sha256_file(&artifact).unwrap()).unwrap();
        std::fs::write(&artifact, b"two").unwrap();
        assert!(matches!(verify(&artifact), Err(Error::Mismatch { .. })));
    }

    #[test]
    fn a_sidecar_is_read_only_as_a_small_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let artifact = dir.path().join("cpython-3.12.6-debian12-build1.tgz");
        let sidecar = Sidecar::path_for(&artifact);
        assert!(std::process::Command::new("mkfifo").arg(&sidecar).status().unwrap().success());
        let error = Sidecar::read_for(&artifact).unwrap_err();
        let cause = std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default();
        assert!(cause.contains("FIFO"), "{error}: {cause}");
        std::fs::remove_file(&sidecar).unwrap();
        std::fs::write(&sidecar, format!("{EMPTY}  x{}\n", " ".repeat(MAX_BYTES as usize))).unwrap();
        let error = Sidecar::read_for(&artifact).unwrap_err();
        let cause = std::error::Error::source(&error).map(ToString::to_string).unwrap_or_default();
        assert!(cause.contains("over the limit of 65536 bytes"), "{error}: {cause}");
    }
}
