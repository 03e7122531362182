//! Reading a file whose kind and size nobody vetted (a ledger, a spec, a manifest in a pushed
//! commit): only a regular file is read, and never more than a limit. A FIFO is not waited
//! on (it is opened without blocking and refused), a symlink to `/dev/zero` is refused as a
//! device, and a file that grows past the limit while it is read is refused, not truncated.

use std::fs::OpenOptions;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// What the work tree's reads allow when the caller has no tighter limit.
pub const DEFAULT_LIMIT: u64 = 64 * 1024 * 1024;

/// The bytes of the regular file at `path` (symlinks followed), at most `limit` of them.
pub fn regular(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    let file = OpenOptions::new().read(true).custom_flags(rustix::fs::OFlags::NONBLOCK.bits() as i32).open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        let kind = if metadata.is_dir() { "a folder" } else { "a FIFO, socket or device" };
        return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("it is {kind}, not a regular file")));
    }
    if metadata.len() > limit {
        return Err(too_large(metadata.len(), limit));
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64, limit));
    }
    Ok(bytes)
}

/// The text of the regular file at `path`, read as [`regular`] reads it. Bytes that are not
/// UTF-8 are an `InvalidData` error naming the first bad byte's offset and line.
pub fn text(path: &Path, limit: u64) -> io::Result<String> {
    String::from_utf8(regular(path, limit)?).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let bytes = error.as_bytes();
        let line = memchr::memchr_iter(b'\n', &bytes[..offset]).count() + 1;
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is not UTF-8: byte {offset} (line {line}) is 0x{:02x}", bytes[offset]),
        )
    })
}

/// The error of a file over its limit, for readers that know the size without `regular` (a
/// git blob).
pub fn too_large(size: u64, limit: u64) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, format!("it is {size} bytes or more, over the limit of {limit} bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_within_the_limit_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.md");
        std::fs::write(&file, b"12345").unwrap();
        assert_eq!(regular(&file, 5).unwrap(), b"12345");
        let error = regular(&file, 4).unwrap_err();
        assert!(error.to_string().contains("over the limit of 4 bytes"), "{error}");
        // A symlink to a device that never ends, and a FIFO nobody writes: refused at once.
        let zero = dir.path().join("zero.md");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(regular(&zero, 1 << 30).unwrap_err().to_string().contains("not a regular file"));
        let fifo = dir.path().join("fifo.md");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        assert!(regular(&fifo, 10).unwrap_err().to_string().contains("FIFO"));
        assert!(regular(dir.path(), 10).unwrap_err().to_string().contains("a folder"));
        assert_eq!(regular(&dir.path().join("missing"), 10).unwrap_err().kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn text_names_the_first_byte_that_is_not_utf8() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.toml");
        std::fs::write(&file, b"[spec]\nroots = [\"\xff\"]\n").unwrap();
        let error = text(&file, 100).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert_eq!(error.to_string(), "it is not UTF-8: byte 17 (line 2) is 0xff");
        std::fs::write(&file, "caf\u{e9}\n").unwrap();
        assert_eq!(text(&file, 100).unwrap(), "caf\u{e9}\n");
    }
}
