#!/usr/bin/env bash
# Provisioning of the build VM (SPEC_INFRA_001, UC-1): install the build dependencies, build
# specgate from the synced repository, and run `specgate build` with the arguments of
# SPECGATE_BUILD_ARGS (set by `specgate build --on vagrant`). The artifact is written to the
# synced folder and its path to vagrant/.result/artifact, where specgate on the host reads it.
set -euo pipefail

repo=/vagrant
export DEBIAN_FRONTEND=noninteractive

packages=(build-essential pkg-config ca-certificates curl git
  libssl-dev libsqlite3-dev uuid-dev liblzma-dev libbz2-dev libffi-dev zlib1g-dev
  libreadline-dev libncurses-dev libgdbm-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# specgate itself: built inside the VM, so it links against the VM's glibc. The target folder
# stays in the VM (not the synced folder), so the host's build is never touched.
if ! sudo -u vagrant -H bash -lc 'command -v cargo' >/dev/null 2>&1; then
  sudo -u vagrant -H bash -lc 'curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal'
fi
sudo -u vagrant -H bash -lc "cd $repo && CARGO_TARGET_DIR=/home/vagrant/specgate-target cargo build --release --locked"
specgate=/home/vagrant/specgate-target/release/specgate

if [ -z "${SPECGATE_BUILD_ARGS:-}" ]; then
  echo "provision: SPECGATE_BUILD_ARGS is empty; the VM is ready, nothing built" >&2
  exit 0
fi

mkdir -p "$repo/vagrant/.result"
rm -f "$repo/vagrant/.result/artifact"
# Word splitting of the argument string is intended: specgate passes plain flags and values.
# shellcheck disable=SC2086
artifact=$(cd "$repo" && "$specgate" build --on host --cache /var/tmp/specgate-build-cache $SPECGATE_BUILD_ARGS)
printf '%s\n' "$artifact" > "$repo/vagrant/.result/artifact"
echo "provision: built $artifact" >&2
