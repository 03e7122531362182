//! `specgate update --python X.Y`: find the newest patch release, build its pin, add it to
//! specgate.toml atomically and print the build command on stdout (status on stderr).

use crate::cli::{GlobalArgs, UpdateArgs};
use crate::pipeline::outdated::{self, update, Location, Source};
use crate::shared::artifact::stale;
use crate::shared::config::Config;
use crate::{ExitStatus, Output};

pub fn run(global: &GlobalArgs, args: &UpdateArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let start = super::start_dir(global)?;
    let (workspace, config) = super::workspace_and_config(global)?;
    let (major, minor) = parse_line(&args.python).ok_or_else(|| super::UsageError {
        message: format!("`--python {}` is not a version line `X.Y`", args.python),
        hint: Some("name the line, `--python 3.13`; update pins its newest patch release".to_owned()),
    })?;
    let index_location = Location::parse(&args.index.index, &start, Source::Releases)?;
    let client = crate::shared::http::Client::new(super::outdated::http_options(&args.index));
    let index = outdated::read_index(&client, &index_location)?;
    let release = index
        .newest_of_line(major, minor)
        .ok_or_else(|| outdated::Error::NoRelease { line: format!("{major}.{minor}") })?;
    let version = release.version;
    let build_command = format!("specgate build --python {version}");
    if config.build.sources.contains_key(&version.to_string()) {
        writeln!(output.stderr, "specgate.toml already pins CPython {version}, the newest {major}.{minor} release")?;
        writeln!(output.stdout, "{build_command}")?;
        return Ok(ExitStatus::Success);
    }
    let file = outdated::read_source_file(&client, &index_location, release)?;
    let pin = update::choose(version, &file, |key| workspace.root.join(key).is_file())?;

    let path = config.source.clone().unwrap_or_else(|| workspace.root.join(crate::shared::config::FILE_NAME));
    let text = match crate::shared::readfile::text(&path, crate::shared::config::MAX_BYTES) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => return Err(outdated::Error::Write { path, source }.into()),
    };
    let (year, month, day) = crate::shared::formats::civil_from_days(stale::today());
    let edited = update::insert_block(&text, &update::pin_block(&pin, &format!("{year:04}-{month:02}-{day:02}")));
    // The edited file must still be a valid configuration that holds exactly this pin.
    match Config::parse(&edited, &path) {
        Ok(parsed) if parsed.build.sources.get(&version.to_string()).is_some_and(|p| p.sha256 == pin.sha256) => {}
        Ok(_) => {
            return Err(outdated::Error::Edit {
                path,
                reason: "the pin is not read back from the edited file".to_owned(),
            }
            .into())
        }
        Err(error) => return Err(outdated::Error::Edit { path, reason: error.to_string() }.into()),
    }
    crate::shared::atomic::write(&path, edited.as_bytes())
        .map_err(|source| outdated::Error::Write { path: path.clone(), source })?;
    let signer = match &pin.signature {
        update::Signature::OpenPgp { fingerprint, .. } => format!("OpenPGP signature by {fingerprint}"),
        update::Signature::Sigstore { identity, issuer } => format!("Sigstore bundle by {identity} ({issuer})"),
    };
    let shown = workspace.relative(&path).unwrap_or_else(|| path.display().to_string());
    writeln!(output.stderr, "pinned CPython {version} in `{shown}`: `{}`, sha256 {}, {signer}", pin.url, pin.sha256)?;
    writeln!(output.stderr, "build it (the build verifies the digest and the signature before compiling):")?;
    writeln!(output.stdout, "{build_command}")?;
    Ok(ExitStatus::Success)
}

/// `3.13` to (3, 13).
fn parse_line(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.split_once('.')?;
    let number = |part: &str| -> Option<u32> {
        (!part.is_empty()
            && part.len() <= 4
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part == "0" || !part.starts_with('0')))
        .then(|| part.parse().ok())
        .flatten()
    };
    Some((number(major)?, number(minor)?))
}
