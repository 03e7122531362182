#!/usr/bin/env bash
# Time of a whole Dev Container build (`devcontainer build --docker-path podman --no-cache`) that
# gets CPython 3.11.2 from the cpython-prebuilt Feature, against the team's current practice: a
# Dev Container Dockerfile that installs the -dev packages and compiles CPython 3.11.2 from
# source (./configure && make -j2 && make install), on the same base image. Prints both times
# and the ratio. Goal (issue 4): the Feature at least 10x faster and under 30 s.
# Also times the same build with a no-op Feature (an install.sh that does nothing), the cost of
# the Feature mechanism itself, and prints what the cpython-prebuilt Feature adds to the image
# (goal, issue 15: within 5 s of the no-op build; only the interpreter, its links and the
# runtime libraries in the layer, no apt caches).
#
# Usage: bench/feature.sh
#   SPECGATE_E2E_ARTIFACT  the artifact .tgz (default: the CPython tree staged by bench/ in
#                          /var/cache/specgate-bench/stage, packed once with `specgate package`
#                          into /var/tmp/specgate-e2e/feature-artifact)
#   SPECGATE_BASE_IMAGE    base image (default localhost/specgate-debian12, from .ci/containers)
#   SKIP_SOURCE=1          time only the Feature build
# Needs: podman, the devcontainers CLI, python3 (the loopback HTTP server); `make setup` installs them.
# SPEC_INFRA_001 4.1 (performance goals).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
cache=${SPECGATE_BENCH_CACHE:-/var/cache/specgate-bench}
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
image=${SPECGATE_BASE_IMAGE:-localhost/specgate-debian12}
version=3.11.2

require_dev_containers "$image"

say "building the Feature's static specgate (make feature)..."
make -C "$here" --no-print-directory feature >/dev/null

artifact=$(cpython_artifact "$version")
sha=$(sha256sum "$artifact" | cut -c1-64)
name=$(basename "$artifact")

work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    podman rmi --force localhost/specgate-bench-feature localhost/specgate-bench-noop localhost/specgate-bench-source >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

serve_folder "$(dirname "$artifact")"

# The project with the Feature.
feature_project="$work/with-feature"
mkdir -p "$feature_project/.devcontainer/cpython-prebuilt"
cp "$here"/feature/cpython-prebuilt/{devcontainer-feature.json,install.sh,specgate} "$feature_project/.devcontainer/cpython-prebuilt/"
printf 'FROM %s\n' "$image" > "$feature_project/.devcontainer/Dockerfile"
cat > "$feature_project/.devcontainer/devcontainer.json" <<JSON
{
    "build": { "dockerfile": "Dockerfile" },
    "features": {
        "./cpython-prebuilt": { "version": "$version", "artifactUrl": "http://127.0.0.1:$port/$name", "sha256": "$sha" }
    }
}
JSON

# The same project with a Feature that does nothing: what any Feature costs.
noop_project="$work/with-noop"
mkdir -p "$noop_project/.devcontainer/noop"
printf '{ "id": "noop", "version": "1.0.0", "name": "no-op" }\n' > "$noop_project/.devcontainer/noop/devcontainer-feature.json"
printf '#!/bin/sh\nexit 0\n' > "$noop_project/.devcontainer/noop/install.sh"
chmod +x "$noop_project/.devcontainer/noop/install.sh"
printf 'FROM %s\n' "$image" > "$noop_project/.devcontainer/Dockerfile"
printf '{ "build": { "dockerfile": "Dockerfile" }, "features": { "./noop": {} } }\n' > "$noop_project/.devcontainer/devcontainer.json"

# The project compiling CPython from source, as the team does today.
source_project="$work/from-source"
mkdir -p "$source_project/.devcontainer"
tarball=$(source_tarball)
cp "$tarball" "$source_project/.devcontainer/python.tar.gz"
cat > "$source_project/.devcontainer/Dockerfile" <<DOCKERFILE
FROM $image
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \\
      build-essential pkg-config libssl-dev libsqlite3-dev libffi-dev libbz2-dev liblzma-dev uuid-dev \\
      zlib1g-dev libreadline-dev libncursesw5-dev libgdbm-dev libnsl-dev libtirpc-dev >/dev/null \\
    && rm -rf /var/lib/apt/lists/*
COPY python.tar.gz /tmp/python.tar.gz
RUN mkdir /tmp/python && tar -xzf /tmp/python.tar.gz -C /tmp/python --strip-components=1 \\
    && cd /tmp/python && ./configure --prefix=/opt/python-$version >/dev/null \\
    && make -j2 >/dev/null && make install >/dev/null \\
    && ln -sf /opt/python-$version/bin/python3 /usr/local/bin/python3 && rm -rf /tmp/python /tmp/python.tar.gz
DOCKERFILE
printf '{ "build": { "dockerfile": "Dockerfile" } }\n' > "$source_project/.devcontainer/devcontainer.json"

# timed_build PROJECT IMAGE [noop]: wall seconds of a devcontainer build without the layer cache;
# the image must then run Python $version (not the no-op one).
timed_build() {
    local seconds
    seconds=$(timed_devcontainer_build "$1" "$2" "$work/$(basename "$1").log") || exit 2
    if [ "${3:-}" != noop ]; then
        podman run --rm "$2" python3 --version | grep -qx "Python $version" || { say "error: $2 has no Python $version"; exit 2; }
    fi
    printf '%s' "$seconds"
}

say "devcontainer build with the Feature..."
t_feature=$(timed_build "$feature_project" localhost/specgate-bench-feature)
printf 'devcontainer build, cpython-prebuilt Feature:    %8s s\n' "$t_feature"
say "devcontainer build with a no-op Feature..."
t_noop=$(timed_build "$noop_project" localhost/specgate-bench-noop noop)
printf 'devcontainer build, no-op Feature:               %8s s\n' "$t_noop"
printf 'the Feature costs (cpython-prebuilt - no-op):    %8s s  (goal: under 5 s)\n' \
    "$(awk -v a="$t_feature" -v b="$t_noop" 'BEGIN { printf "%.1f", a - b }')"
size() { podman image inspect --format '{{.Size}}' "$1"; }
s_feature=$(size localhost/specgate-bench-feature)
s_noop=$(size localhost/specgate-bench-noop)
printf 'image size: no-op %s MB, cpython-prebuilt %s MB, added %s MB\n' \
    "$((s_noop / 1000000))" "$((s_feature / 1000000))" "$(((s_feature - s_noop) / 1000000))"
for built in noop feature; do
    printf 'MB by folder, %s image:\n' "$built"
    podman run --rm "localhost/specgate-bench-$built" sh -c \
        'du -sm /opt /usr/lib/x86_64-linux-gnu /var/cache/apt /var/lib/apt/lists /var/cache/debconf /var/log 2>/dev/null' \
        | sed 's/^/    /'
done
if [ "${SKIP_SOURCE:-0}" = 1 ]; then
    exit 0
fi
say "devcontainer build compiling CPython from source (minutes)..."
t_source=$(timed_build "$source_project" localhost/specgate-bench-source)
printf 'devcontainer build, CPython compiled in Docker: %8s s\n' "$t_source"
printf 'speed-up (source / Feature):                    %8sx  (goal: at least 10x, Feature under 30 s)\n' "$(ratio "$t_source" "$t_feature")"
