//! `specgate outdated`: read the ledger, the pins and both indexes, then report through the
//! usual renderers. Exit 0 when nothing is due, 1 when something is, 2 when an index cannot
//! be read.

use crate::error::Context as _;

use crate::cli::{GlobalArgs, OutdatedArgs, ReleaseIndexArgs};
use crate::pipeline::outdated::{self, Location, Source};
use crate::shared::artifact::{stale, Ledger, PythonVersion};
use crate::shared::config::{Config, KeyPath};
use crate::shared::diag::{Position, Report, SourceFile};
use crate::shared::workspace::Workspace;
use crate::{ExitStatus, Output};

pub fn run(global: &GlobalArgs, args: &OutdatedArgs, output: &mut Output<'_>) -> crate::error::Result<ExitStatus> {
    let start = super::start_dir(global)?;
    let (workspace, config) = super::workspace_and_config(global)?;
    let today = match &args.today {
        Some(text) => stale::parse_day(text).ok_or_else(|| super::UsageError {
            message: format!("`--today {text}` is not a date `YYYY-MM-DD`"),
            hint: None,
        })?,
        None => stale::today(),
    };
    let index_location = Location::parse(&args.index.index, &start, Source::Releases)?;
    let advisories_location = Location::parse(&args.advisories, &start, Source::Advisories)?;

    let ledger_path = workspace.root.join(&config.artifacts.ledger);
    let ledger = match crate::shared::readfile::text(&ledger_path, crate::shared::artifact::ledger::MAX_BYTES) {
        Ok(text) => Some((SourceFile::new(config.artifacts.ledger.clone(), text.clone()), Ledger::parse(text))),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => {
            return Err(error).with_context(|| format!("could not read the ledger `{}`", config.artifacts.ledger))
        }
    };
    let pins = pins(&workspace, &config);
    let subjects = outdated::subjects(ledger.as_ref().map(|(file, ledger)| (file, ledger)), &pins);

    let mut report = Report::new(config.levels.clone());
    if let Some((file, ledger)) = &ledger {
        outdated::assess_age(file, ledger, config.artifacts.rebuild_after, today, &mut report);
    }
    if subjects.is_empty() {
        report.note(format!(
            "no Activo row in `{}` and no `[build.sources]` pin: nothing to compare with python.org",
            config.artifacts.ledger
        ));
        return super::finish(&mut report, global, output);
    }
    let client = crate::shared::http::Client::new(http_options(&args.index));
    let index = outdated::read_index(&client, &index_location)?;
    let advisories = outdated::read_advisories(&client, &advisories_location)?;
    outdated::assess(&outdated::Inputs { subjects: &subjects, index: &index, advisories: &advisories }, &mut report);
    super::finish(&mut report, global, output)
}

pub(crate) fn http_options(args: &ReleaseIndexArgs) -> crate::shared::http::Options {
    crate::shared::http::Options {
        read_timeout: std::time::Duration::from_secs(args.read_timeout),
        retries: args.retries,
        ..crate::shared::http::Options::default()
    }
}

/// Every `[build.sources]` pin with the place of its table in specgate.toml.
fn pins(workspace: &Workspace, config: &Config) -> Vec<(PythonVersion, String, Position)> {
    let shown = config
        .source
        .as_deref()
        .map(|path| workspace.relative(path).unwrap_or_else(|| path.display().to_string()))
        .unwrap_or_else(|| crate::shared::config::FILE_NAME.to_owned());
    let locator = config.locator();
    config
        .build
        .sources
        .keys()
        .filter_map(|version| {
            let parsed = PythonVersion::parse(version)?;
            let position = locator.position(&KeyPath::new("build.sources").key(version.clone()).name());
            Some((parsed, shown.clone(), position))
        })
        .collect()
}
