#!/usr/bin/env bash
# Time of a project's Python dependencies in a Dev Container build: the cpython-prebuilt Feature
# installing a wheelhouse (`wheelhouseUrl`, issue 18) against the same build installing the same
# requirements file with `pip install -r requirements.txt` from the package index, as the team
# does today. Both builds get CPython 3.11.2 from the Feature, on the same base image, with no
# layer cache. Prints the install step of each (the wheelhouse install as specgate reports it;
# pip's as a second local Feature measures it), both whole builds, and the ratios.
# Goal: the wheelhouse install at least 5x faster than the index install, and under 5 s.
#
# The requirements are a realistic web service: a web framework (Flask), an HTTP client
# (requests), a compiled package with a C extension (PyYAML) and a large binary wheel (numpy),
# with their dependencies (about 15 packages). The wheelhouse is built first with the
# artifact's own interpreter (that time is printed too: it is paid once per release, not per
# container).
#
# Usage: bench/wheelhouse.sh [REQUIREMENTS]
#   SPECGATE_BENCH_RUNS    builds of each kind, alternating (default 3); medians are compared
#   SPECGATE_E2E_ARTIFACT  the CPython 3.11.2 artifact (default: as bench/feature.sh finds it)
#   SPECGATE_BASE_IMAGE    base image (default localhost/specgate-debian12, from .ci/containers)
#   SPECGATE_BENCH_CA      CA bundle pip uses in the index build (default: this machine's
#                          /etc/ssl/certs/ca-certificates.crt, for a proxy that inspects TLS)
# Needs: network access to PyPI, podman, the devcontainers CLI, python3; `make setup`.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"
cache=${SPECGATE_BENCH_CACHE:-/var/cache/specgate-bench}
# shellcheck disable=SC2034 # used by lib.sh
sudo=""
image=${SPECGATE_BASE_IMAGE:-localhost/specgate-debian12}
version=3.11.2

require_dev_containers "$image"

work=$(mktemp -d)
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    podman rmi --force localhost/specgate-bench-wheelhouse localhost/specgate-bench-index >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

requirements="$work/requirements.txt"
if [ $# -gt 0 ]; then
    cp "$1" "$requirements"
else
    printf '%s\n' 'flask==3.0.3' 'requests==2.32.3' 'PyYAML==6.0.2' 'numpy==2.1.3' > "$requirements"
fi

say "building the Feature's static specgate (make feature)..."
make -C "$here" --no-print-directory feature >/dev/null
specgate="$here/feature/cpython-prebuilt/specgate"
artifact=$(cpython_artifact "$version")
served="$work/served"
mkdir -p "$served"
cp "$artifact" "$artifact.sha256" "$served/"
name=$(basename "$artifact")
sha=$(sha256sum "$artifact" | cut -c1-64)

# The wheelhouse, built once with the artifact's interpreter (installed under a scratch root).
say "installing the artifact on this machine and building the wheelhouse from PyPI..."
"$specgate" install --version "$version" --url "$artifact" --root "$work/host" --cache "$work/host-cache" \
    --no-default >/dev/null 2>&1
start=$(now)
wheelhouse=$("$specgate" -C "$work" wheelhouse build -r "$requirements" --name bench --python "$version" \
    --distro debian12 --build 1 --interpreter "$work/host/opt/python-$version/bin/python3.11" --out "$served" \
    --no-ledger 2>"$work/wheelhouse-build.log") \
    || { say "error: wheelhouse build failed:"; tail -n 30 "$work/wheelhouse-build.log" >&2; exit 2; }
t_wheelhouse_build=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }')
wheelhouse_name=$(basename "$wheelhouse")
wheelhouse_sha=$(sha256sum "$wheelhouse" | cut -c1-64)
packages=$(tar -tzf "$wheelhouse" | grep -c '\.whl$')

serve_folder "$served"
base="http://127.0.0.1:$port"

feature_dir() {
    mkdir -p "$1/.devcontainer/cpython-prebuilt"
    cp "$here"/feature/cpython-prebuilt/{devcontainer-feature.json,install.sh,specgate} "$1/.devcontainer/cpython-prebuilt/"
}

# With the wheelhouse: pip's index variables point at a closed port, so nothing can come from
# an index.
with_wheelhouse="$work/with-wheelhouse"
feature_dir "$with_wheelhouse"
printf 'FROM %s\nENV PIP_INDEX_URL=http://127.0.0.1:9/simple/\n' "$image" > "$with_wheelhouse/.devcontainer/Dockerfile"
cat > "$with_wheelhouse/.devcontainer/devcontainer.json" <<JSON
{
    "build": { "dockerfile": "Dockerfile" },
    "features": {
        "./cpython-prebuilt": {
            "version": "$version", "artifactUrl": "$base/$name", "sha256": "$sha",
            "wheelhouseUrl": "$base/$wheelhouse_name", "wheelhouseSha256": "$wheelhouse_sha"
        }
    }
}
JSON

# From the index: a second local Feature, installed after the interpreter, runs pip and says
# how long it took.
from_index="$work/from-index"
feature_dir "$from_index"
mkdir -p "$from_index/.devcontainer/requirements"
cp "$requirements" "$from_index/.devcontainer/requirements/requirements.txt"
printf '{ "id": "requirements", "version": "1.0.0", "name": "pip install -r" }\n' \
    > "$from_index/.devcontainer/requirements/devcontainer-feature.json"
cat > "$from_index/.devcontainer/requirements/install.sh" <<'SH'
#!/bin/sh
set -eu
start=$(date +%s.%N)
pip3 install --no-cache-dir --disable-pip-version-check --root-user-action=ignore -q -r requirements.txt
end=$(date +%s.%N)
echo "BENCH index install: $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }') s"
SH
chmod +x "$from_index/.devcontainer/requirements/install.sh"
printf 'FROM %s\n' "$image" > "$from_index/.devcontainer/Dockerfile"
# A machine that reaches PyPI through a TLS-inspecting proxy trusts the proxy's CA in its own
# bundle; the container gets that bundle for pip, as such a team's Dockerfile would.
if [ -f "${SPECGATE_BENCH_CA:-/etc/ssl/certs/ca-certificates.crt}" ]; then
    cp "${SPECGATE_BENCH_CA:-/etc/ssl/certs/ca-certificates.crt}" "$from_index/.devcontainer/host-ca.crt"
    printf 'COPY host-ca.crt /etc/host-ca.crt\nENV PIP_CERT=/etc/host-ca.crt\n' >> "$from_index/.devcontainer/Dockerfile"
fi
cat > "$from_index/.devcontainer/devcontainer.json" <<JSON
{
    "build": { "dockerfile": "Dockerfile" },
    "features": {
        "./cpython-prebuilt": { "version": "$version", "artifactUrl": "$base/$name", "sha256": "$sha" },
        "./requirements": {}
    },
    "overrideFeatureInstallOrder": ["./cpython-prebuilt", "./requirements"]
}
JSON

# timed_build PROJECT IMAGE: wall seconds of a devcontainer build without the layer cache; the
# log is kept in $work/<project>.log, and every package must then import in the image.
timed_build() {
    local seconds
    seconds=$(timed_devcontainer_build "$1" "$2" "$work/$(basename "$1").log") || exit 2
    podman run --rm "$2" python3 -c 'import flask, requests, yaml, numpy' \
        || { say "error: the packages do not import in $2"; exit 2; }
    printf '%s' "$seconds"
}

# median V...: the middle value (the lower middle of an even count).
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# The two builds alternate, `runs` times each, so a slow moment of the machine does not fall on
# one side only; the medians are compared.
runs=${SPECGATE_BENCH_RUNS:-3}
builds_wheelhouse=() steps_wheelhouse=() builds_index=() steps_index=()
for run in $(seq "$runs"); do
    say "run $run of $runs: devcontainer build with the wheelhouse..."
    builds_wheelhouse+=("$(timed_build "$with_wheelhouse" localhost/specgate-bench-wheelhouse)")
    step=$(sed -n 's/.*installed [0-9]* wheels offline in \([0-9.]*\) s.*/\1/p' "$work/with-wheelhouse.log" | tail -n 1)
    [ -n "$step" ] || { say "error: the build log does not report the wheelhouse install"; tail -n 30 "$work/with-wheelhouse.log" >&2; exit 2; }
    steps_wheelhouse+=("$step")
    say "run $run of $runs: devcontainer build with pip install -r from the index..."
    builds_index+=("$(timed_build "$from_index" localhost/specgate-bench-index)")
    step=$(sed -n 's/.*BENCH index install: \([0-9.]*\) s.*/\1/p' "$work/from-index.log" | tail -n 1)
    [ -n "$step" ] || { say "error: the build log does not report the index install"; tail -n 30 "$work/from-index.log" >&2; exit 2; }
    steps_index+=("$step")
done
t_wheelhouse=$(median "${steps_wheelhouse[@]}")
t_index=$(median "${steps_index[@]}")
t_build_wheelhouse=$(median "${builds_wheelhouse[@]}")
t_build_index=$(median "${builds_index[@]}")

printf 'requirements: %s (%s wheels with dependencies)\n' "$(paste -sd' ' "$requirements")" "$packages"
printf 'medians of %s runs each (every run in brackets)\n' "$runs"
printf 'wheelhouse build (once per release, from PyPI):  %8s s\n' "$t_wheelhouse_build"
printf 'install step, wheelhouse (Feature, no index):    %8s s  [%s]  (goal: under 5 s)\n' "$t_wheelhouse" "${steps_wheelhouse[*]}"
printf 'install step, pip install -r from the index:     %8s s  [%s]\n' "$t_index" "${steps_index[*]}"
printf 'speed-up of the install step (index / wheelhouse): %6sx  (goal: at least 5x)\n' "$(ratio "$t_index" "$t_wheelhouse")"
printf 'whole devcontainer build, wheelhouse:            %8s s  [%s]\n' "$t_build_wheelhouse" "${builds_wheelhouse[*]}"
printf 'whole devcontainer build, index:                 %8s s  [%s]\n' "$t_build_index" "${builds_index[*]}"
printf 'speed-up of the whole build:                     %8sx\n' "$(ratio "$t_build_index" "$t_build_wheelhouse")"
