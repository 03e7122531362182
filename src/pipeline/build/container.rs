//! `specgate build --on container`: the same specgate binary runs `specgate build --on host`
//! inside a podman (or docker) container made from `[build] container-image`, with the
//! repository, the cache, the output folder and the source mounted at their own paths, so every
//! path means the same inside and out.
//!
//! The -dev packages are installed once into a derived image,
//! `<image>-build:<hash of the package list>`, made with `run` + `commit`; later builds start
//! from it directly. The host network is used (apt inside the container needs it; no registry is
//! contacted: the base image is local).

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha2::{Digest as _, Sha256};

use super::args::{BuildArgs, BuildOn, PackageFormat};
use super::{gates, Error};
use crate::shared::config::build::BuildConfig;

/// Run the build in a container; returns the artifact path (on the host).
pub fn run(
    args: &BuildArgs,
    config: &BuildConfig,
    root: &Path,
    start: &Path,
    out: &Path,
    progress: &mut dyn Write,
) -> Result<PathBuf, Error> {
    let engine = config.container_engine.as_str();
    let image = args.image.clone().unwrap_or_else(|| config.container_image.clone());
    let fail = |reason: String| Error::Container { reason };
    let probe = Command::new(engine).arg("--version").stdin(Stdio::null()).output();
    match probe {
        Ok(o) if o.status.success() => {}
        Ok(o) => {
            return Err(fail(format!("`{engine} --version` failed: {}", String::from_utf8_lossy(&o.stderr).trim())))
        }
        Err(source) => return Err(Error::Tool { tool: engine.to_owned(), source }),
    }
    if !image_exists(engine, &image)? {
        return Err(fail(format!("the base image `{image}` does not exist (no registry is contacted)")));
    }
    let packages = container_packages(config);
    let build_image = build_image_name(&image, &packages);
    if !image_exists(engine, &build_image)? {
        writeln!(progress, "==> container image `{build_image}`: installing {}", packages.join(" ")).ok();
        prepare_image(engine, &image, &build_image, &packages, progress)?;
    } else {
        writeln!(progress, "==> container image `{build_image}` (build dependencies installed)").ok();
    }

    let exe = std::env::current_exe().map_err(|e| Error::io("locate", Path::new("specgate"), e))?;
    let cache = args.cache.as_deref().map_or_else(super::default_cache_dir, |c| {
        if c.is_absolute() {
            c.to_path_buf()
        } else {
            start.join(c)
        }
    });
    for dir in [&cache, &out.to_path_buf()] {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    }
    let absolute = |p: &Path| if p.is_absolute() { p.to_path_buf() } else { start.join(p) };
    let mut inner = vec!["build".to_owned(), "--python".to_owned(), args.python.clone()];
    let mut push = |flag: &str, value: String| {
        inner.push(flag.to_owned());
        inner.push(value);
    };
    let mut mounts: Vec<(PathBuf, bool)> =
        vec![(root.to_path_buf(), true), (cache.clone(), true), (out.to_path_buf(), true)];
    push("--build", args.build.to_string());
    push("--profile", args.profile.as_str().to_owned());
    push("--on", "host".to_owned());
    push("--out", out.display().to_string());
    push("--cache", cache.display().to_string());
    push(
        "--compression",
        match args.compression {
            PackageFormat::Tgz => "tgz".to_owned(),
            PackageFormat::Zst => "zst".to_owned(),
        },
    );
    if let Some(source) = &args.source {
        match gates::SourceSpec::parse(source, start) {
            gates::SourceSpec::File(path) => {
                mounts.push((parent(&path), false));
                push("--source", path.display().to_string());
            }
            gates::SourceSpec::Url(url) => push("--source", url),
        }
    }
    if let Some(signature) = &args.signature {
        let path = absolute(signature);
        mounts.push((parent(&path), false));
        push("--signature", path.display().to_string());
    }
    if let Some(license) = &args.license {
        let path = absolute(license);
        mounts.push((parent(&path), false));
        push("--license", path.display().to_string());
    }
    if let Some(log) = &args.log {
        let path = absolute(log);
        std::fs::create_dir_all(parent(&path)).map_err(|e| Error::io("create", &path, e))?;
        mounts.push((parent(&path), true));
        push("--log", path.display().to_string());
    }
    if let Some(jobs) = args.jobs {
        push("--jobs", jobs.to_string());
    }
    for (flag, on) in [
        ("--no-cache", args.no_cache),
        ("--keep-tests", args.keep_tests),
        ("--keep-static", args.keep_static),
        ("--keep-debug", args.keep_debug),
        ("--no-ledger", args.no_ledger),
    ] {
        if on {
            inner.push(flag.to_owned());
        }
    }
    debug_assert!(matches!(args.on, BuildOn::Container));

    let mut cmd = Command::new(engine);
    cmd.args(["run", "--rm", "--network", "host", "--workdir"]).arg(start);
    cmd.arg("--volume").arg(format!("{}:/usr/local/bin/specgate:ro", exe.display()));
    for (path, writable) in minimal_mounts(mounts) {
        cmd.arg("--volume").arg(format!("{0}:{0}:{1}", path.display(), if writable { "rw" } else { "ro" }));
    }
    if let Ok(epoch) = std::env::var(crate::shared::env::SOURCE_DATE_EPOCH) {
        cmd.arg("--env").arg(format!("SOURCE_DATE_EPOCH={epoch}"));
    }
    if let Ok(config_path) = std::env::var(crate::shared::env::CONFIG) {
        cmd.arg("--env").arg(format!("{}={config_path}", crate::shared::env::CONFIG));
    }
    cmd.arg(&build_image).arg("/usr/local/bin/specgate").args(&inner);
    writeln!(progress, "==> {engine} run ... {build_image} specgate {}", inner.join(" ")).ok();
    let stdout = stream(&mut cmd, progress)
        .map_err(|(status, _)| fail(format!("the build inside the container failed ({status})")))?;
    let path = stdout
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .map(|l| PathBuf::from(l.trim()))
        .ok_or_else(|| fail("the build inside the container printed no artifact path".to_owned()))?;
    if !path.is_file() {
        return Err(fail(format!("the container reported `{}`, which is not on the host", path.display())));
    }
    Ok(path)
}

/// The packages the build image holds: the dependency gate's list plus what downloads need.
pub fn container_packages(config: &BuildConfig) -> Vec<String> {
    let mut packages = gates::required_packages(config);
    packages.push("ca-certificates".to_owned());
    packages.sort();
    packages.dedup();
    packages
}

/// `<image without tag>-build:<12 hex of the package list>`.
pub fn build_image_name(image: &str, packages: &[String]) -> String {
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    let base = match image[last_slash..].find(':') {
        Some(colon) => &image[..last_slash + colon],
        None => image,
    };
    let digest = Sha256::digest(packages.join("\n").as_bytes());
    let tag: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
    format!("{base}-build:{tag}")
}

fn image_exists(engine: &str, image: &str) -> Result<bool, Error> {
    let status = Command::new(engine)
        .args(["image", "inspect", "--format", "{{.Id}}", image])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|source| Error::Tool { tool: engine.to_owned(), source })?;
    Ok(status.success())
}

fn prepare_image(
    engine: &str,
    image: &str,
    target: &str,
    packages: &[String],
    progress: &mut dyn Write,
) -> Result<(), Error> {
    let name = format!("specgate-prep-{}", std::process::id());
    let script = format!(
        "set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -q; apt-get install -y -q --no-install-recommends {}; apt-get clean",
        packages.join(" ")
    );
    let mut run = Command::new(engine);
    run.args(["run", "--name", &name, "--network", "host", image, "sh", "-c", &script]);
    let result = stream(&mut run, progress);
    let outcome = match result {
        Ok(_) => {
            let commit = Command::new(engine).args(["commit", &name, target]).stdin(Stdio::null()).output();
            match commit {
                Ok(o) if o.status.success() => Ok(()),
                Ok(o) => Err(Error::Container {
                    reason: format!("`{engine} commit` failed: {}", String::from_utf8_lossy(&o.stderr).trim()),
                }),
                Err(source) => Err(Error::Tool { tool: engine.to_owned(), source }),
            }
        }
        Err((status, _)) => Err(Error::Container {
            reason: format!("installing the build dependencies into `{image}` failed ({status}); apt inside the container needs the network"),
        }),
    };
    let _ = Command::new(engine)
        .args(["rm", "-f", &name])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    outcome
}

/// Run a command, copying its stderr line by line to `progress`; returns its stdout.
fn stream(cmd: &mut Command, progress: &mut dyn Write) -> Result<String, (String, String)> {
    let mut child = match cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn() {
        Ok(child) => child,
        Err(e) => return Err((format!("could not start: {e}"), String::new())),
    };
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = writeln!(progress, "  | {line}");
            let _ = progress.flush();
        }
    }
    let status = child.wait().map_err(|e| (e.to_string(), String::new()))?;
    let text = reader.join().unwrap_or_default();
    if status.success() {
        Ok(text)
    } else {
        Err((status.code().map_or_else(|| "killed by a signal".to_owned(), |c| format!("exit status {c}")), text))
    }
}

fn parent(path: &Path) -> PathBuf {
    path.parent().map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

/// Drop mounts inside another mount (a writable outer one wins).
fn minimal_mounts(mounts: Vec<(PathBuf, bool)>) -> Vec<(PathBuf, bool)> {
    let mut merged: Vec<(PathBuf, bool)> = Vec::new();
    let unique: BTreeSet<(PathBuf, bool)> = mounts.into_iter().collect();
    for (path, writable) in unique {
        if let Some(existing) = merged.iter_mut().find(|(p, _)| *p == path) {
            existing.1 |= writable;
            continue;
        }
        merged.push((path, writable));
    }
    let snapshot = merged.clone();
    merged
        .into_iter()
        .filter(|(path, writable)| {
            !snapshot.iter().any(|(other, other_writable)| {
                other != path && path.starts_with(other) && (*other_writable || !*writable)
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_image_names_carry_the_package_hash() {
        let a = build_image_name("localhost/specgate-debian12", &["a".into()]);
        assert!(a.starts_with("localhost/specgate-debian12-build:"), "{a}");
        assert_eq!(build_image_name("localhost/specgate-debian12:latest", &["a".into()]), a);
        assert_ne!(build_image_name("localhost/specgate-debian12", &["b".into()]), a);
        assert!(build_image_name("localhost:5000/img", &[]).starts_with("localhost:5000/img-build:"));
    }

    #[test]
    fn nested_mounts_collapse() {
        let mounts = minimal_mounts(vec![
            (PathBuf::from("/repo"), true),
            (PathBuf::from("/repo/src"), false),
            (PathBuf::from("/var/cache"), false),
            (PathBuf::from("/var/cache/x"), true),
        ]);
        assert_eq!(
            mounts,
            vec![
                (PathBuf::from("/repo"), true),
                (PathBuf::from("/var/cache"), false),
                (PathBuf::from("/var/cache/x"), true)
            ]
        );
    }
}
