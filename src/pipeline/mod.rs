//! The pipeline: build CPython (host, container or Vagrant VM, behind its gates), publish the
//! artifact (GitHub Releases, a mirror folder, signatures), install it (verified download,
//! safe unpack, atomic swap), and the checks those stages share: OpenPGP and Sigstore
//! signatures and the interpreter probe. Each stage runs the gate checks it needs first.

pub mod build;
pub mod gpg;
pub mod install;
pub mod outdated;
pub mod probe;
pub mod publish;
pub mod sigstore;
pub mod wheelhouse;
