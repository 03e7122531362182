//! The git hooks: installing the shims of hooks/ into the hooks folder (respecting
//! core.hooksPath, chaining a foreign hook only when asked), reading what a push sends, and
//! working out, per ref, the commits and files to check. Running the checks and printing is
//! `commands::hooks`'s job.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use crate::shared::config::hooks::{HooksConfig, RawHooksConfig};

/// The shim templates, embedded so the binary can install them anywhere.
const PRE_PUSH: &str = include_str!("../../hooks/pre-push");
const PRE_COMMIT: &str = include_str!("../../hooks/pre-commit");
/// The line that marks a hook file as ours.
const SHIM_MARK: &str = "# specgate-hook-shim";
const CHAINED_SUFFIX: &str = ".specgate-chained";

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("`{path}` is a hook that specgate did not write")]
    ForeignHook { path: String },
    #[error("could not write the hook `{path}`")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("not inside a git work tree")]
    NotARepository,
    #[error("git could not read `{what}`")]
    Git {
        what: String,
        #[source]
        source: git2::Error,
    },
    #[error("line {line} of the pre-push input is not `<local ref> <local sha> <remote ref> <remote sha>`: `{text}`")]
    PushLine { line: usize, text: String },
    #[error("this specgate runs from cargo's build folder `{folder}`, which `cargo clean` deletes; the hooks would lose it{on_path}")]
    InBuildFolder { folder: String, on_path: String },
    #[error("`--binary {path}` cannot be run by the hooks: {reason}")]
    Binary { path: String, reason: String },
}

impl Error {
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Error::ForeignHook { .. } => {
                "run `specgate hooks install --force` to keep it (renamed with the suffix `.specgate-chained`) and run it before specgate's checks".to_owned()
            }
            Error::Write { .. } => "check the permissions of the hooks folder (`git rev-parse --git-path hooks`)".to_owned(),
            Error::NotARepository => "run the command inside the repository".to_owned(),
            Error::Git { .. } => "run `git fsck` to check the repository".to_owned(),
            Error::PushLine { .. } => "this command is meant to be called by git's pre-push hook; install it with `specgate hooks install`".to_owned(),
            Error::InBuildFolder { .. } => "install specgate first with `make install` (or `cargo install --locked --path .`), then run `specgate hooks install`; or pass `--binary PATH` to choose the binary the hooks run".to_owned(),
            Error::Binary { .. } => "pass the path of an installed specgate, for example `--binary \"$(command -v specgate)\"`".to_owned(),
        })
    }
}

fn git(what: impl Into<String>) -> impl FnOnce(git2::Error) -> Error {
    let what = what.into();
    move |source| Error::Git { what, source }
}

/// The hooks folder: `core.hooksPath` (relative to the work tree) or `<git common dir>/hooks`.
pub fn hooks_dir(repo: &git2::Repository) -> PathBuf {
    let configured = repo.config().ok().and_then(|c| c.get_path("core.hooksPath").ok());
    match configured {
        Some(path) if path.is_absolute() => path,
        Some(path) => repo.workdir().unwrap_or_else(|| repo.path()).join(path),
        None => repo.commondir().join("hooks"),
    }
}

/// The specgate binary the hooks run, and why that one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary {
    pub path: PathBuf,
    pub chosen: Chosen,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chosen {
    /// `--binary`; `in_build_folder` when it lies in cargo's build folder all the same.
    Flag { in_build_folder: Option<PathBuf> },
    /// The running binary, installed outside any cargo build folder.
    Running,
    /// The running binary lies in this cargo build folder, so the same version on PATH.
    OnPath { build_folder: PathBuf },
}

/// The cargo build folder (`target/`, or wherever `CARGO_TARGET_DIR` points) holding `binary`:
/// the nearest ancestor with the CACHEDIR.TAG cargo writes there. `cargo clean` deletes it.
pub fn cargo_build_folder(binary: &Path) -> Option<PathBuf> {
    let binary = binary.canonicalize().unwrap_or_else(|_| binary.to_path_buf());
    binary
        .ancestors()
        .skip(1)
        .find(|dir| {
            crate::shared::readfile::text(&dir.join("CACHEDIR.TAG"), 4096)
                .is_ok_and(|tag| tag.contains("created by cargo"))
        })
        .map(Path::to_path_buf)
}

fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// What `<binary> --version` prints, trimmed; `None` when it does not run, or runs past 10 s
/// (a binary that hangs is not a working specgate).
fn version_of(binary: &Path) -> Option<String> {
    const LIMIT: crate::shared::process::TimeLimit = crate::shared::process::TimeLimit::new(
        std::time::Duration::from_secs(10),
        "(not configurable: `--version` answers at once)",
    );
    let run = || {
        let mut command = std::process::Command::new(binary);
        command.arg("--version").stdin(std::process::Stdio::null());
        crate::shared::process::output_within(command, LIMIT)
    };
    // A binary written a moment ago can still be open for writing in a forked child.
    let mut output = run();
    for _ in 0..10 {
        if !matches!(&output, Err(crate::shared::process::RunError::Start(e)) if e.kind() == std::io::ErrorKind::ExecutableFileBusy)
        {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        output = run();
    }
    let (status, stdout, _) = output.ok()?;
    status.success().then(|| stdout.trim().to_owned())
}

/// `--version` of this build, as clap prints it.
const OWN_VERSION: &str = concat!("specgate ", env!("CARGO_PKG_VERSION"));

/// Choose the binary the hooks record, so that it survives `cargo clean`: `--binary` when
/// given; else the running binary, unless it lies in a cargo build folder, in which case the
/// first `specgate` on `path_var` that lies outside one and reports the same version. With
/// none, the install is refused.
pub fn choose_binary(
    explicit: Option<&Path>,
    running: &Path,
    path_var: Option<&std::ffi::OsStr>,
) -> Result<Binary, Error> {
    if let Some(path) = explicit {
        let refuse = |reason: &str| Error::Binary { path: path.display().to_string(), reason: reason.to_owned() };
        if !path.is_absolute() {
            return Err(refuse("the path is not absolute"));
        }
        if !path.exists() {
            return Err(refuse("it does not exist"));
        }
        if !is_executable_file(path) {
            return Err(refuse("it is not an executable file"));
        }
        return Ok(Binary {
            path: path.to_path_buf(),
            chosen: Chosen::Flag { in_build_folder: cargo_build_folder(path) },
        });
    }
    let Some(build_folder) = cargo_build_folder(running) else {
        return Ok(Binary { path: running.to_path_buf(), chosen: Chosen::Running });
    };
    let mut other_version = None;
    for dir in path_var.map(|p| std::env::split_paths(p).collect::<Vec<_>>()).unwrap_or_default() {
        let candidate = dir.join("specgate");
        if !candidate.is_absolute() || !is_executable_file(&candidate) || cargo_build_folder(&candidate).is_some() {
            continue;
        }
        match version_of(&candidate) {
            Some(version) if version == OWN_VERSION => {
                return Ok(Binary { path: candidate, chosen: Chosen::OnPath { build_folder } });
            }
            version => {
                other_version.get_or_insert((candidate, version));
            }
        }
    }
    let on_path = match other_version {
        Some((path, Some(version))) => {
            format!(", and the specgate on PATH (`{}`) is `{version}`, not `{OWN_VERSION}`", path.display())
        }
        Some((path, None)) => format!(", and the specgate on PATH (`{}`) does not run", path.display()),
        None => ", and there is no specgate on PATH".to_owned(),
    };
    Err(Error::InBuildFolder { folder: build_folder.display().to_string(), on_path })
}

/// What installing or uninstalling did to one hook file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Installed { path: PathBuf },
    Updated { path: PathBuf },
    Chained { path: PathBuf, kept_as: PathBuf },
    Removed { path: PathBuf },
    Restored { path: PathBuf },
    LeftAlone { path: PathBuf },
}

fn is_ours(path: &Path) -> bool {
    crate::shared::readfile::text(path, 1 << 20).is_ok_and(|text| text.contains(SHIM_MARK))
}

fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

fn write_executable(path: &Path, content: &str) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let error = |source| Error::Write { path: path.display().to_string(), source };
    let temporary = path.with_extension("specgate-tmp");
    std::fs::write(&temporary, content).map_err(error)?;
    std::fs::set_permissions(&temporary, std::fs::Permissions::from_mode(0o755)).map_err(error)?;
    std::fs::rename(&temporary, path).map_err(error)
}

/// Write the pre-push and pre-commit shims. A foreign hook is refused unless `force`, which
/// keeps it as `<hook>.specgate-chained`, run by the shim before specgate.
pub fn install(repo: &git2::Repository, specgate: &Path, force: bool) -> Result<Vec<Action>, Error> {
    let dir = hooks_dir(repo);
    std::fs::create_dir_all(&dir).map_err(|source| Error::Write { path: dir.display().to_string(), source })?;
    let hooks = [("pre-push", PRE_PUSH), ("pre-commit", PRE_COMMIT)];
    // Refuse before changing anything, so a refusal leaves both hooks as they were.
    if !force {
        for (name, _) in hooks {
            let path = dir.join(name);
            if path.exists() && !is_ours(&path) {
                return Err(Error::ForeignHook { path: path.display().to_string() });
            }
        }
    }
    let mut actions = Vec::new();
    for (name, template) in hooks {
        let path = dir.join(name);
        let content = template.replace("@SPECGATE@", &shell_quote(&specgate.display().to_string()));
        let action = if !path.exists() {
            Action::Installed { path: path.clone() }
        } else if is_ours(&path) {
            Action::Updated { path: path.clone() }
        } else {
            let kept_as = dir.join(format!("{name}{CHAINED_SUFFIX}"));
            std::fs::rename(&path, &kept_as)
                .map_err(|source| Error::Write { path: kept_as.display().to_string(), source })?;
            Action::Chained { path: path.clone(), kept_as }
        };
        write_executable(&path, &content)?;
        actions.push(action);
    }
    Ok(actions)
}

/// Remove the shims and put chained hooks back where they were.
pub fn uninstall(repo: &git2::Repository) -> Result<Vec<Action>, Error> {
    let dir = hooks_dir(repo);
    let mut actions = Vec::new();
    for name in ["pre-push", "pre-commit"] {
        let path = dir.join(name);
        let chained = dir.join(format!("{name}{CHAINED_SUFFIX}"));
        if path.exists() && !is_ours(&path) {
            actions.push(Action::LeftAlone { path });
            continue;
        }
        let error = |source| Error::Write { path: path.display().to_string(), source };
        if path.exists() {
            std::fs::remove_file(&path).map_err(error)?;
            actions.push(Action::Removed { path: path.clone() });
        }
        if chained.exists() {
            std::fs::rename(&chained, &path).map_err(error)?;
            actions.push(Action::Restored { path });
        }
    }
    Ok(actions)
}

/// One line of what git gives a pre-push hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushUpdate {
    pub local_ref: String,
    pub local: git2::Oid,
    pub remote_ref: String,
    pub remote: git2::Oid,
}

impl PushUpdate {
    pub fn is_deletion(&self) -> bool {
        self.local.is_zero()
    }

    /// The branch name being pushed to (`feature/x` for `refs/heads/feature/x`).
    pub fn branch(&self) -> Option<&str> {
        self.remote_ref.strip_prefix("refs/heads/")
    }
}

/// Parse git's pre-push input; blank lines are ignored.
pub fn parse_updates(text: &str) -> Result<Vec<PushUpdate>, Error> {
    let mut updates = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        let bad = || Error::PushLine { line: index + 1, text: line.to_owned() };
        let [local_ref, local, remote_ref, remote] = parts.as_slice() else {
            return Err(bad());
        };
        updates.push(PushUpdate {
            local_ref: (*local_ref).to_owned(),
            local: git2::Oid::from_str(local).map_err(|_| bad())?,
            remote_ref: (*remote_ref).to_owned(),
            remote: git2::Oid::from_str(remote).map_err(|_| bad())?,
        });
    }
    Ok(updates)
}

/// What one pushed ref brings: its new commits and the files they change.
#[derive(Debug, Clone)]
pub struct RefPlan {
    pub update: PushUpdate,
    pub commits: Vec<git2::Oid>,
    /// Paths added or modified by those commits (deleted paths are not content to check).
    pub changed: Vec<String>,
    /// Whether those commits delete (or rename) a file, which may break links to it elsewhere.
    pub removes: bool,
}

/// The commits a ref update brings: those reachable from the new tip and not from the remote's
/// old tip (when the repository has it) nor from any remote-tracking ref. A force push therefore
/// checks exactly the new commits; a new branch checks only commits no remote has yet.
pub fn plan(repo: &git2::Repository, update: &PushUpdate) -> Result<RefPlan, Error> {
    if update.is_deletion() {
        return Ok(RefPlan { update: update.clone(), commits: Vec::new(), changed: Vec::new(), removes: false });
    }
    let mut walk = repo.revwalk().map_err(git("the commit history"))?;
    walk.push(update.local).map_err(git(format!("commit {}", update.local)))?;
    if !update.remote.is_zero() && repo.find_commit(update.remote).is_ok() {
        walk.hide(update.remote).map_err(git(format!("commit {}", update.remote)))?;
    }
    for reference in repo.references_glob("refs/remotes/*").map_err(git("the remote-tracking refs"))?.flatten() {
        if let Some(target) = reference.peel_to_commit().ok().map(|c| c.id()) {
            // Hiding a commit that is not an ancestor is harmless.
            let _ = walk.hide(target);
        }
    }
    let commits: Vec<git2::Oid> = walk.collect::<Result<_, _>>().map_err(git("the pushed commits"))?;
    let mut changed = BTreeSet::new();
    let mut removes = false;
    for oid in &commits {
        let commit = repo.find_commit(*oid).map_err(git(format!("commit {oid}")))?;
        let tree = commit.tree().map_err(git(format!("the tree of {oid}")))?;
        let parent_tree = match commit.parent(0) {
            Ok(parent) => Some(parent.tree().map_err(git(format!("the parent of {oid}")))?),
            Err(_) => None,
        };
        let diff = repo
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
            .map_err(git(format!("the changes of {oid}")))?;
        for delta in diff.deltas() {
            if delta.status() == git2::Delta::Deleted {
                removes = true;
                continue;
            }
            if let Some(path) = delta.new_file().path().and_then(Path::to_str) {
                changed.insert(path.to_owned());
            }
        }
    }
    Ok(RefPlan { update: update.clone(), commits, changed: changed.into_iter().collect(), removes })
}

/// Paths that differ between HEAD and the index (staged additions and modifications).
pub fn staged_changes(repo: &git2::Repository) -> Result<Vec<String>, Error> {
    let head_tree = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    let index = repo.index().map_err(git("the index"))?;
    let diff = repo.diff_tree_to_index(head_tree.as_ref(), Some(&index), None).map_err(git("the staged changes"))?;
    Ok(diff
        .deltas()
        .filter(|d| d.status() != git2::Delta::Deleted)
        .filter_map(|d| d.new_file().path().and_then(Path::to_str).map(str::to_owned))
        .collect())
}

/// The text of a file at HEAD, if it exists there.
pub fn head_text(repo: &git2::Repository, path: &str) -> Option<String> {
    let tree = repo.head().ok()?.peel_to_tree().ok()?;
    let blob = tree.get_path(Path::new(path)).ok()?.to_object(repo).ok()?.peel_to_blob().ok()?;
    String::from_utf8(blob.content().to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_lines_parse_and_bad_lines_are_errors() {
        let zero = "0".repeat(40);
        let sha = "a".repeat(40);
        let text = format!("refs/heads/main {sha} refs/heads/main {zero}\n\nrefs/heads/x {zero} refs/heads/x {sha}\n");
        let updates = parse_updates(&text).unwrap();
        assert_eq!(updates.len(), 2);
        assert!(!updates[0].is_deletion());
        assert!(updates[1].is_deletion());
        assert_eq!(updates[0].branch(), Some("main"));
        let error = parse_updates("refs/heads/main abc").unwrap_err();
        assert!(error.to_string().contains("line 1"), "{error}");
    }

    #[test]
    fn branch_patterns_match_nested_names() {
        let config = RawHooksConfig::default().validate().unwrap();
        assert!(config.spec_required_branches.is_match("feature/cpython_precompilado"));
        assert!(config.spec_required_branches.is_match("feature/a/b"));
        assert!(!config.spec_required_branches.is_match("main"));
        assert!(!config.spec_required_branches.is_match("hotfix/feature/x"));
    }

    fn executable(path: &Path, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    /// A cargo build folder with a binary in it, and a `bin/` folder outside it.
    fn layout() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::create_dir_all(target.join("release")).unwrap();
        std::fs::write(
            target.join("CACHEDIR.TAG"),
            "Signature: 8a477f597d28d172789f06886806bc55\n# This file is a cache directory tag created by cargo.\n",
        )
        .unwrap();
        let running = target.join("release/specgate");
        executable(&running, "#!/bin/sh\n");
        let bin = dir.path().join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        (dir, running, bin)
    }

    #[test]
    fn an_installed_binary_is_recorded_as_it_is() {
        let (dir, _, bin) = layout();
        let installed = bin.join("specgate");
        executable(&installed, "#!/bin/sh\n");
        assert_eq!(cargo_build_folder(&installed), None);
        let chosen = choose_binary(None, &installed, None).unwrap();
        assert_eq!(chosen, Binary { path: installed, chosen: Chosen::Running });
        drop(dir);
    }

    #[test]
    fn a_binary_in_the_build_folder_gives_way_to_the_same_version_on_path() {
        let (dir, running, bin) = layout();
        let folder = cargo_build_folder(&running).unwrap();
        assert_eq!(folder, dir.path().join("target").canonicalize().unwrap());

        // Nothing on PATH: refused, saying why and what to do.
        let error = choose_binary(None, &running, Some(bin.as_os_str())).unwrap_err();
        assert!(error.to_string().contains("there is no specgate on PATH"), "{error}");
        assert!(error.hint().unwrap().contains("make install"));

        // Another version on PATH: refused, naming it.
        let installed = bin.join("specgate");
        executable(&installed, "#!/bin/sh\necho 'specgate 0.0.1'\n");
        let error = choose_binary(None, &running, Some(bin.as_os_str())).unwrap_err();
        assert!(error.to_string().contains("is `specgate 0.0.1`"), "{error}");

        // The same version on PATH: recorded instead of the build folder's binary.
        executable(&installed, &format!("#!/bin/sh\necho '{OWN_VERSION}'\n"));
        let path_var = std::env::join_paths([running.parent().unwrap(), &bin]).unwrap();
        let chosen = choose_binary(None, &running, Some(&path_var)).unwrap();
        assert_eq!(chosen, Binary { path: installed, chosen: Chosen::OnPath { build_folder: folder.clone() } });

        // --binary wins, and says when it is in the build folder.
        let chosen = choose_binary(Some(&running), &running, Some(&path_var)).unwrap();
        assert_eq!(chosen.chosen, Chosen::Flag { in_build_folder: Some(folder) });
        let error = choose_binary(Some(&bin.join("absent")), &running, None).unwrap_err();
        assert!(error.to_string().contains("does not exist"), "{error}");
        let error = choose_binary(Some(Path::new("specgate")), &running, None).unwrap_err();
        assert!(error.to_string().contains("not absolute"), "{error}");
    }

    #[test]
    fn a_specgate_on_path_that_hangs_is_passed_over_not_waited_on() {
        let (_dir, running, bin) = layout();
        // `--version` never answers: it used to keep `hooks install` waiting for ever.
        executable(&bin.join("specgate"), "#!/bin/sh\nsleep 1000\n");
        let error = choose_binary(None, &running, Some(bin.as_os_str())).unwrap_err();
        assert!(error.to_string().contains("bin/specgate`) does not run"), "the hanging binary is named: {error}");
    }

    #[test]
    fn shell_quoting_survives_quotes() {
        assert_eq!(shell_quote("/a b/it's"), r"'/a b/it'\''s'");
    }
}
