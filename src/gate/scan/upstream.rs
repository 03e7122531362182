//! The secret scan's upstream exemption: an artifact's upstream record
//! (`shared::artifact::upstream`) lets the scan skip members byte-identical to the pinned
//! CPython source, only when the record's source is the `[build.sources."X.Y.Z"]` pin of this
//! repository's specgate.toml. Used by `publish` and by `check secrets --archive`.

use std::path::Path;

use crate::shared::artifact::upstream::{read_member, Exemption, Members, Record, FILE};
use crate::shared::artifact::{unpack, ArtifactName, Error};
use crate::shared::config::Config;
use crate::shared::diag::Report;

/// Read the upstream record of an artifact, if it has one, and decide whether it counts:
/// its source must be the `[build.sources."X.Y.Z"]` pin of `config`.
pub fn exemption(archive: &Path, config: &Config) -> Result<Exemption, Error> {
    let Some(file_name) = archive.file_name().and_then(|n| n.to_str()) else {
        return Ok(Exemption::None);
    };
    let Ok(name) = ArtifactName::parse(file_name) else {
        return Ok(Exemption::None);
    };
    let wanted = format!("{}{FILE}", name.prefix());
    let mut found: Option<Result<Record, String>> = None;
    let walked = unpack::for_each_file(archive, name.compression, &config.artifacts.limits, |member, read| {
        if member == wanted {
            found = Some(read_member(read)?);
            // Stop reading: the record is one of the first members.
            return Err(std::io::Error::other(STOP));
        }
        Ok(())
    });
    match walked {
        Ok(()) => {}
        Err(Error::Archive { .. }) if found.is_some() => {}
        // A corrupt or unsafe tarball is the other checks' finding; every member is scanned.
        Err(Error::Archive { .. } | Error::Unsafe { .. } | Error::Limit { .. }) => return Ok(Exemption::None),
        Err(error) => return Err(error),
    }
    let pin = config.build.sources.get(&name.version.to_string()).map(|pin| pin.sha256.as_str());
    Ok(match found {
        None => Exemption::None,
        Some(Err(reason)) => Exemption::Untrusted(format!("it is not a valid record ({reason})")),
        Some(Ok(record)) => match record.exemption(name.version, pin) {
            Ok(members) => Exemption::Trusted {
                members: members.into_iter().map(|(path, digest)| (path, digest.0)).collect(),
                source_sha256: record.source_sha256,
            },
            Err(reason) => Exemption::Untrusted(reason),
        },
    })
}

const STOP: &str = "the upstream record was read";

/// For a secret scan of `archive`: note in `report` what its upstream record does, and return
/// the members it exempts (`scan::Options::upstream`). Used by `publish` and by
/// `check secrets --archive`.
pub fn scan_exemption(archive: &Path, config: &Config, report: &mut Report) -> Result<Option<Members>, Error> {
    let exemption = exemption(archive, config)?;
    if let Some(note) = exemption.note() {
        report.note(note);
    }
    Ok(exemption.members())
}
