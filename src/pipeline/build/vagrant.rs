//! `specgate build --on vagrant`: the team's VM (vagrant/Vagrantfile, Ubuntu 20.04). specgate
//! reads `vagrant status --machine-readable`, starts the VM with `vagrant up --no-provision`
//! when it is not running, runs `vagrant provision` (vagrant/provision.sh installs the build
//! dependencies and runs `specgate build` inside, with the arguments passed through
//! SPECGATE_BUILD_ARGS), then checks the artifact against its sidecar in the synced folder and
//! copies both out.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::args::BuildArgs;
use super::Error;

/// Where provision.sh writes the artifact path, relative to the repository (the synced folder).
pub const RESULT_FILE: &str = "vagrant/.result/artifact";

/// The `state` of the first machine in `vagrant status --machine-readable` output.
pub fn parse_status(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(',').collect();
        (fields.len() >= 4 && fields[2] == "state").then(|| fields[3].trim().to_owned())
    })
}

/// The arguments provision.sh hands to `specgate build` inside the VM.
pub fn inner_args(args: &BuildArgs) -> Vec<String> {
    let mut inner = vec![
        "--python".to_owned(),
        args.python.clone(),
        "--build".to_owned(),
        args.build.to_string(),
        "--profile".to_owned(),
        args.profile.as_str().to_owned(),
    ];
    if let Some(source) = &args.source {
        if source.starts_with("http://") || source.starts_with("https://") {
            inner.extend(["--source".to_owned(), source.clone()]);
        }
    }
    if let Some(jobs) = args.jobs {
        inner.extend(["--jobs".to_owned(), jobs.to_string()]);
    }
    for (flag, on) in [
        ("--keep-tests", args.keep_tests),
        ("--keep-static", args.keep_static),
        ("--keep-debug", args.keep_debug),
        ("--no-ledger", args.no_ledger),
    ] {
        if on {
            inner.push(flag.to_owned());
        }
    }
    inner
}

/// The error vagrant reports on stdout under `--machine-readable` (an `error-exit` line), as
/// `(class, message)`: vagrant's escapes undone, the message cut to its first paragraph.
pub fn parse_error(text: &str) -> Option<(String, String)> {
    text.lines().find_map(|line| {
        let fields: Vec<&str> = line.splitn(5, ',').collect();
        if fields.len() < 5 || fields[2] != "error-exit" {
            return None;
        }
        let message = fields[4].replace("%!(VAGRANT_COMMA)", ",").replace("\\r", "");
        let first = message.split("\\n\\n").next().unwrap_or_default().replace("\\n", " ");
        Some((fields[3].to_owned(), first.trim().trim_end_matches('.').to_owned()))
    })
}

/// What to do when vagrant has no provider to run the VM with.
const PROVIDER_ADVICE: &str =
    "the VM needs VirtualBox, or libvirt with the vagrant-libvirt plugin (Debian and Ubuntu: \
     `sudo apt-get install -y vagrant-libvirt libvirt-daemon-system`); without a VM, build with `--on host` or \
     `--on container`";

fn vagrant(dir: &Path, args: &[&str], env: &[(&str, String)], progress: &mut dyn Write) -> Result<String, Error> {
    writeln!(progress, "==> vagrant {}", args.join(" ")).ok();
    let machine_readable = args.contains(&"--machine-readable");
    let mut cmd = Command::new("vagrant");
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let output = cmd.output().map_err(|source| Error::Tool { tool: "vagrant".to_owned(), source })?;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    if !machine_readable {
        for line in stdout.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev() {
            writeln!(progress, "  | {line}").ok();
        }
    }
    if !output.status.success() {
        let command = args.join(" ");
        let reason = match machine_readable.then(|| parse_error(&stdout)).flatten() {
            Some((class, message)) => {
                let about_provider = ["NoDefaultProvider", "ProviderNotFound", "ProviderNotUsable"]
                    .iter()
                    .any(|name| class.ends_with(name));
                let advice = if about_provider { format!("; {PROVIDER_ADVICE}") } else { String::new() };
                format!("`vagrant {command}` failed: {message} ({class}){advice}")
            }
            None => {
                let stderr = String::from_utf8_lossy(&output.stderr);
                format!("`vagrant {command}` failed: {}", stderr.trim().lines().last().unwrap_or("no message"))
            }
        };
        return Err(Error::Vagrant { reason });
    }
    Ok(stdout)
}

/// Drive the VM and return the artifact copied into `out`.
pub fn run(args: &BuildArgs, root: &Path, out: &Path, progress: &mut dyn Write) -> Result<PathBuf, Error> {
    let dir = root.join("vagrant");
    if !dir.join("Vagrantfile").is_file() {
        return Err(Error::Vagrant { reason: format!("`{}` has no Vagrantfile", dir.display()) });
    }
    if args.source.as_deref().is_some_and(|s| !s.starts_with("http")) {
        return Err(Error::Vagrant {
            reason: "`--source FILE` is not visible inside the VM; pass a URL or pin one in `[build.sources]`"
                .to_owned(),
        });
    }
    let status = vagrant(&dir, &["status", "--machine-readable"], &[], progress)?;
    let state = parse_status(&status).unwrap_or_else(|| "unknown".to_owned());
    writeln!(progress, "  | state: {state}").ok();
    if state != "running" {
        vagrant(&dir, &["up", "--no-provision"], &[], progress)?;
    }
    let result = root.join(RESULT_FILE);
    let _ = std::fs::remove_file(&result);
    vagrant(&dir, &["provision"], &[("SPECGATE_BUILD_ARGS", inner_args(args).join(" "))], progress)?;
    collect(root, out)
}

/// The artifact provisioning reported in `RESULT_FILE`, checked against its sidecar where the
/// VM left it, then copied into `out` with its sidecar (each written beside its final path and
/// renamed into place, so an interrupted copy leaves nothing). Returns its path in `out`.
pub fn collect(root: &Path, out: &Path) -> Result<PathBuf, Error> {
    let result = root.join(RESULT_FILE);
    let reported = crate::shared::readfile::text(&result, 64 * 1024).map_err(|e| Error::Vagrant {
        reason: format!("provisioning wrote no `{RESULT_FILE}` ({e}); see the provision output above"),
    })?;
    let inside = PathBuf::from(reported.trim());
    let relative = inside.strip_prefix("/vagrant").map_err(|_| Error::Vagrant {
        reason: format!("the VM built `{}`, outside the synced folder /vagrant", inside.display()),
    })?;
    let artifact = root.join(relative);
    let name = artifact.file_name().ok_or_else(|| Error::Vagrant { reason: "empty artifact path".to_owned() })?;
    let digest = crate::shared::artifact::sidecar::verify(&artifact).map_err(|e| Error::Vagrant {
        reason: format!("the artifact the VM reported does not check against its sidecar: {e}"),
    })?;
    std::fs::create_dir_all(out).map_err(|e| Error::io("create", out, e))?;
    let target = out.join(name);
    if target.canonicalize().ok() != artifact.canonicalize().ok() {
        crate::shared::atomic::copy(&artifact, &target).map_err(|e| Error::io("copy", &artifact, e))?;
        crate::shared::artifact::Sidecar::write_for(&target, digest)
            .map_err(|e| Error::Vagrant { reason: e.to_string() })?;
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_readable_status() {
        let text = "1732870000,default,metadata,provider,libvirt\n1732870000,default,provider-name,libvirt\n1732870000,default,state,not_created\n1732870000,default,state-human-short,not created\n";
        assert_eq!(parse_status(text).as_deref(), Some("not_created"));
        assert_eq!(parse_status("1,default,state,running\n").as_deref(), Some("running"));
        assert_eq!(parse_status("garbage"), None);
    }

    /// A repository whose VM reported `artifacts/NAME` (with a valid sidecar) in RESULT_FILE.
    fn reported(root: &Path, content: &[u8]) -> PathBuf {
        let artifact = root.join("artifacts/cpython-3.11.2-ubuntu20.04-build1.tgz");
        std::fs::create_dir_all(artifact.parent().unwrap()).unwrap();
        std::fs::write(&artifact, content).unwrap();
        let digest = crate::shared::artifact::sidecar::sha256_file(&artifact).unwrap();
        crate::shared::artifact::Sidecar::write_for(&artifact, digest).unwrap();
        std::fs::create_dir_all(root.join("vagrant/.result")).unwrap();
        std::fs::write(root.join(RESULT_FILE), "/vagrant/artifacts/cpython-3.11.2-ubuntu20.04-build1.tgz\n").unwrap();
        artifact
    }

    #[test]
    fn collect_copies_a_checked_artifact_and_its_sidecar_out() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let artifact = reported(&root, b"the artifact");
        let out = dir.path().join("out");
        let target = collect(&root, &out).unwrap();
        assert_eq!(target, out.join("cpython-3.11.2-ubuntu20.04-build1.tgz"));
        assert_eq!(std::fs::read(&target).unwrap(), b"the artifact");
        crate::shared::artifact::sidecar::verify(&target).unwrap();
        // --out is where the VM wrote it: nothing to copy.
        assert_eq!(collect(&root, &root.join("artifacts")).unwrap(), artifact);
    }

    #[test]
    fn collect_refuses_a_damaged_or_misplaced_artifact_and_copies_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        let artifact = reported(&root, b"the artifact");
        std::fs::write(&artifact, b"changed after packing").unwrap();
        let out = dir.path().join("out");
        let Error::Vagrant { reason } = collect(&root, &out).unwrap_err() else { panic!("not a vagrant error") };
        assert!(reason.contains("does not check against its sidecar"), "{reason}");
        assert!(std::fs::read_dir(&out).map_or(true, |mut d| d.next().is_none()), "something was copied");

        std::fs::write(root.join(RESULT_FILE), "/home/vagrant/x.tgz\n").unwrap();
        let Error::Vagrant { reason } = collect(&root, &out).unwrap_err() else { panic!("not a vagrant error") };
        assert!(reason.contains("outside the synced folder /vagrant"), "{reason}");

        std::fs::remove_file(root.join(RESULT_FILE)).unwrap();
        let Error::Vagrant { reason } = collect(&root, &out).unwrap_err() else { panic!("not a vagrant error") };
        assert!(reason.contains("provisioning wrote no `vagrant/.result/artifact`"), "{reason}");
    }

    #[test]
    fn machine_readable_error() {
        // Vagrant 2.3.4's output on a machine without a provider.
        let text = "1795996400,,ui,error,No usable default provider could be found for your system.\\n\\nVagrant relies on interactions with 3rd party systems%!(VAGRANT_COMMA) known as\n1795996400,,error-exit,Vagrant::Errors::NoDefaultProvider,No usable default provider could be found for your system.\\n\\nVagrant relies on interactions with 3rd party systems%!(VAGRANT_COMMA) known as\n";
        let (class, message) = parse_error(text).unwrap();
        assert_eq!(class, "Vagrant::Errors::NoDefaultProvider");
        assert_eq!(message, "No usable default provider could be found for your system");
        let text = "1,,error-exit,Vagrant::Errors::ProviderNotFound,The provider 'x' could not be found%!(VAGRANT_COMMA) but was requested to\\nback the machine 'default'.\\n\\nmore\n";
        assert_eq!(
            parse_error(text).unwrap().1,
            "The provider 'x' could not be found, but was requested to back the machine 'default'"
        );
        assert_eq!(parse_error("1,default,state,running\n"), None);
    }
}
