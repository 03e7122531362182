//! The one error type a command returns, and with it the one way to give a hint.
//!
//! Every module keeps its own error enum (thiserror), each with a `hint()` that says what to do
//! next. A command's `?` turns any of them into [`Error`] through `From`, and
//! [`Error::hint`] is an exhaustive `match`: a new error type reaches a command only by being
//! named in `kinds!` here, and a type named there does not compile without its `hint()`.
//! Nothing is found by downcasting, so nothing is silently dropped.

use std::fmt;

use crate::gate::{critical_tests, hooks, scan};
use crate::pipeline::{build, gpg, install, outdated, publish, sigstore, wheelhouse};
use crate::shared::{artifact, config, http, workspace};

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A command line that names something that does not exist or cannot work.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct UsageError {
    pub message: String,
    pub hint: Option<String>,
}

impl UsageError {
    pub fn hint(&self) -> Option<String> {
        self.hint.clone()
    }
}

/// Why a command could not run (exit status 2), with the cause chain and a hint. One pointer
/// wide, so `Result`s stay small; [`Error::kind`] says which module's error it is.
#[derive(Debug)]
pub struct Error {
    kind: Box<Kind>,
}

/// The module errors an [`Error`] can hold, named once: the macro makes the [`Kind`] enum,
/// the `From` of each, [`Error::hint`] and the link of the chain each variant is. A type in
/// `hinted` must have `fn hint(&self) -> Option<String>`, so a new module error without a hint
/// does not compile; `plain` types (errors of the standard library and of other crates) have
/// none.
macro_rules! kinds {
    (
        hinted { $($variant:ident($type:ty),)* }
        plain { $($(#[$doc:meta])* $plain:ident($plain_type:ty),)* }
    ) => {
        /// The module error inside an [`Error`].
        #[derive(Debug)]
        pub enum Kind {
            $($variant($type),)*
            $($(#[$doc])* $plain($plain_type),)*
            /// A sentence about what the command was doing, in front of the error that stopped it.
            Context {
                message: String,
                source: Error,
            },
        }

        $(impl From<$type> for Error {
            fn from(error: $type) -> Error {
                Error { kind: Box::new(Kind::$variant(error)) }
            }
        })*
        $(impl From<$plain_type> for Error {
            fn from(error: $plain_type) -> Error {
                Error { kind: Box::new(Kind::$plain(error)) }
            }
        })*

        impl Error {
            /// What to do next: the hint of the module error inside (through any context).
            pub fn hint(&self) -> Option<String> {
                match &*self.kind {
                    $(Kind::$variant(e) => e.hint(),)*
                    $(Kind::$plain(_) => None,)*
                    Kind::Context { source, .. } => source.hint(),
                }
            }

            /// The module error a variant holds; a context is its own link of the chain.
            fn inner(&self) -> &(dyn std::error::Error + 'static) {
                match &*self.kind {
                    $(Kind::$variant(e) => e,)*
                    $(Kind::$plain(e) => e,)*
                    Kind::Context { .. } => self,
                }
            }
        }
    };
}

kinds! {
    hinted {
        Config(config::Error),
        Workspace(workspace::Error),
        Artifact(artifact::Error),
        Name(artifact::name::NameError),
        Install(install::Error),
        Http(http::Error),
        Hooks(hooks::Error),
        CriticalTests(critical_tests::Error),
        Secrets(scan::secrets::Error),
        Scan(scan::fileset::Error),
        Publish(publish::Error),
        Build(build::Error),
        Gpg(gpg::Error),
        Sigstore(sigstore::Error),
        Outdated(outdated::Error),
        Wheelhouse(wheelhouse::Error),
        Usage(UsageError),
    }
    plain {
        /// Writing output or reading input failed (a closed pipe, a full disk).
        Io(std::io::Error),
        /// Writing JSON output failed.
        Json(serde_json::Error),
        /// git could not resolve what a hook was given.
        Git(git2::Error),
    }
}

impl Error {
    pub fn kind(&self) -> &Kind {
        &self.kind
    }

    /// The error itself, then each cause: what `main` prints, one line each.
    pub fn chain(&self) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
        std::iter::successors(Some(self.inner()), |e| e.source())
    }

    /// A closed stdout (`specgate trace | head`) is not a failure.
    pub fn is_broken_pipe(&self) -> bool {
        self.chain()
            .any(|e| e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            Kind::Context { message, .. } => f.write_str(message),
            _ => fmt::Display::fmt(self.inner(), f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.kind {
            Kind::Context { source, .. } => Some(source.inner()),
            _ => self.inner().source(),
        }
    }
}

/// `.context("could not ...")` on a result whose error becomes an [`Error`].
pub trait Context<T> {
    fn context(self, message: impl Into<String>) -> Result<T>;
    fn with_context<M: Into<String>>(self, message: impl FnOnce() -> M) -> Result<T>;
}

impl<T, E: Into<Error>> Context<T> for std::result::Result<T, E> {
    fn context(self, message: impl Into<String>) -> Result<T> {
        self.map_err(|error| Error { kind: Box::new(Kind::Context { message: message.into(), source: error.into() }) })
    }

    fn with_context<M: Into<String>>(self, message: impl FnOnce() -> M) -> Result<T> {
        self.map_err(|error| Error {
            kind: Box::new(Kind::Context { message: message().into(), source: error.into() }),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn io() -> std::io::Error {
        std::io::Error::other("disk on fire")
    }

    /// One error of every public error type a command can meet, as the command sees it.
    fn one_of_each() -> Vec<(&'static str, Error)> {
        let name = artifact::ArtifactName::parse("python.tgz").unwrap_err();
        vec![
            (
                "config::Error",
                config::Error::Parse { path: "specgate.toml".into(), line: 1, column: 1, message: "bad".into() }.into(),
            ),
            ("workspace::Error", workspace::Error::NoSuchDirectory { path: "nowhere".into() }.into()),
            ("artifact::Error", artifact::Error::Name(name.clone()).into()),
            ("artifact::name::NameError", name.into()),
            ("install::Error", install::Error::Url { url: "ftp://x".into(), reason: "scheme".into() }.into()),
            ("http::Error", http::Error::Status { url: "http://127.0.0.1/".into(), status: 404, attempts: 1 }.into()),
            ("hooks::Error", hooks::Error::NotARepository.into()),
            ("critical_tests::Error", critical_tests::Error::Spawn { command: "pytest".into(), source: io() }.into()),
            (
                "scan::fileset::Error",
                scan::fileset::Error::NotARepository { root: "/tmp".into(), mode: "--all" }.into(),
            ),
            (
                "scan::secrets::Error (scan::baseline::Error)",
                scan::secrets::Error::Baseline(scan::baseline::Error::Invalid {
                    path: ".specgate-secrets-baseline.json".into(),
                    message: "not JSON".into(),
                })
                .into(),
            ),
            ("publish::Error", publish::Error::NoToken.into()),
            (
                "build::Error",
                build::Error::Io { action: "read", path: PathBuf::from("Python.tgz"), source: io() }.into(),
            ),
            ("gpg::Error", gpg::Error::Missing { path: PathBuf::from("key.asc") }.into()),
            (
                "sigstore::Error",
                sigstore::Error::Bundle { path: PathBuf::from("x.sigstore"), reason: "empty".into() }.into(),
            ),
            ("outdated::Error", outdated::Error::NoRelease { line: "3.99".into() }.into()),
            ("wheelhouse::Error", wheelhouse::Error::NoInterpreter { path: PathBuf::from("python3.11") }.into()),
            ("UsageError", UsageError { message: "no".into(), hint: Some("yes".into()) }.into()),
        ]
    }

    #[test]
    fn every_public_error_type_gives_a_hint() {
        for (what, error) in one_of_each() {
            let hint = error.hint();
            assert!(hint.as_deref().is_some_and(|h| !h.is_empty()), "{what}: `{error}` has no hint");
            // Behind a context, the same hint.
            let wrapped = Err::<(), _>(error).context("could not do the thing").unwrap_err();
            assert_eq!(wrapped.hint(), hint, "{what}");
        }
    }

    #[test]
    fn the_chain_is_the_context_then_the_error_then_its_causes() {
        let error = Err::<(), _>(critical_tests::Error::Spawn { command: "pytest".into(), source: io() })
            .context("could not run")
            .unwrap_err();
        let lines: Vec<String> = error.chain().map(ToString::to_string).collect();
        assert_eq!(lines, ["could not run", "could not start the critical tests `pytest`", "disk on fire"]);
        assert_eq!(error.to_string(), "could not run");
    }

    #[test]
    fn a_closed_pipe_is_found_anywhere_in_the_chain() {
        let pipe = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert!(Error::from(pipe()).is_broken_pipe());
        assert!(Err::<(), _>(pipe()).context("could not write the report").unwrap_err().is_broken_pipe());
        assert!(!Error::from(io()).is_broken_pipe());
    }

    /// Every error type declared in src/ reaches a command as a variant of `Error` (so its hint
    /// is one `match` arm away), or is carried by one that does (listed here with its carrier).
    #[test]
    fn every_error_type_in_the_source_has_a_way_to_its_hint() {
        const CARRIED: &[(&str, &str)] = &[
            ("config::Invalid", "config::Error::Invalid, placed by the Locator"),
            ("artifact::index::Missing", "a UsageError with Missing::hint (commands::install)"),
            ("scan::baseline::Error", "scan::secrets::Error::Baseline"),
        ];
        let this = include_str!("error.rs");
        let declaration = regex::Regex::new(
            r"#\[derive\([^)]*thiserror::Error[^)]*\)\]\s*(?:#\[[^\]]*\]\s*)*pub (?:enum|struct) (\w+)",
        )
        .unwrap();
        let root = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src"));
        let mut pending = vec![root.to_path_buf()];
        let mut seen = 0;
        while let Some(dir) = pending.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let module = path.strip_prefix(root).unwrap().with_extension("");
                let module: Vec<&str> = module.iter().map(|s| s.to_str().unwrap()).filter(|s| *s != "mod").collect();
                for found in declaration.captures_iter(&text) {
                    let name = &found[1];
                    if name == "Error" && module == ["error"] {
                        continue;
                    }
                    seen += 1;
                    // `shared::artifact::name` is named here as `artifact::name`.
                    let short = format!("{}::{name}", module[1..].join("::"));
                    let named = if module.len() == 1 { name.to_owned() } else { short };
                    assert!(
                        this.contains(&format!("({named})")) || CARRIED.iter().any(|(t, _)| *t == named),
                        "`{named}` ({}) is neither a variant of crate::Error nor listed as carried by one",
                        path.display()
                    );
                }
            }
        }
        assert!(seen >= 17, "found only {seen} error types");
    }
}
