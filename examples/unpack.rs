//! Unpack an artifact with specgate's safe unpacker, verifying its sidecar first: what install
//! does between download and validation. Used by bench/package.sh to time it against
//! `sha256sum -c` plus `tar xzf`.
//!
//! Usage: `cargo run --release --example unpack -- ARTIFACT DEST`

use std::path::PathBuf;
use std::process::ExitCode;

use specgate::shared::artifact::{sidecar, unpack, Compression};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [archive, dest] = args.as_slice() else {
        eprintln!("usage: unpack ARTIFACT DEST");
        return ExitCode::from(2);
    };
    let archive = PathBuf::from(archive);
    let compression = Compression::from_file_name(&archive.to_string_lossy()).unwrap_or(Compression::Gzip);
    let result = sidecar::Sidecar::read_for(&archive).and_then(|expected| {
        unpack::unpack_verified(
            &archive,
            compression,
            expected.digest,
            &PathBuf::from(dest),
            &unpack::Limits::default(),
        )
    });
    match result {
        Ok(summary) => {
            eprintln!(
                "{} files, {} folders, {} symlinks, {} hard links, {} bytes",
                summary.files, summary.directories, summary.symlinks, summary.hard_links, summary.bytes
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}
