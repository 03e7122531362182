# Shared by the bench scripts (sourced, not run): the CPython 3.11.2 source (Debian's pristine
# .orig tarball), cached outside the clone, and a git repository holding it.
# The caller sets `cache` (the cache folder), `sudo` ("" as root, else "sudo") and `here` (the
# repository's root).
# shellcheck shell=bash
# shellcheck disable=SC2154 # cache and sudo are set by the sourcing script

say() { printf '%s\n' "$*" >&2; }

now() { date +%s.%N; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a + 0 == a) printf "%.2f", a / b; else print "n/a" }'; }

# The upstream tarball of python3.11 (Debian's pristine .orig), fetched once by its path in
# Debian's pool and checked against its pin by .ci/cpython-source.
source_tarball() {
    SPECGATE_CPYTHON_SRC="$cache/src" bash "$(dirname "${BASH_SOURCE[0]}")/../.ci/cpython-source" 3.11
}

# prepare_repository TARBALL NAME: a git repository "$cache/NAME" holding the tree as one
# commit, kept between runs and reset to that commit (a run may add commits on top).
prepare_repository() {
    local tarball=$1 repo="$cache/$2"
    if [ ! -d "$repo/.git" ] || ! git -C "$repo" rev-parse -q --verify HEAD >/dev/null; then
        say "committing the CPython tree into $repo"
        $sudo rm -rf "$repo"
        $sudo mkdir -p "$repo"
        $sudo chown "$(id -u):$(id -g)" "$repo"
        tar -xf "$tarball" -C "$repo" --strip-components=1
        (
            cd "$repo" || exit 1
            git init -q -b main
            git -c user.name=bench -c user.email=bench@example.invalid add -A
            git -c user.name=bench -c user.email=bench@example.invalid commit -q -m "CPython 3.11.2 source"
        )
    fi
    git -C "$repo" reset -q --hard "$(git -C "$repo" rev-list --max-parents=0 HEAD)"
    git -C "$repo" clean -qfd
    printf '%s\n' "$repo"
}

# best_of CMD...: run the command $runs times (after one warm-up), print the best wall time in
# seconds. Exit codes 0 and 1 (findings) are fine; anything else stops the benchmark.
best_of() {
    local best="" start end status elapsed i
    for i in $(seq 0 "$runs"); do
        start=$(now)
        set +e
        "$@" >/dev/null 2>&1
        status=$?
        set -e
        end=$(now)
        if [ "$status" -gt 1 ]; then
            say "error: \`$*\` exited with $status"
            "$@" >&2 || true
            exit 2
        fi
        [ "$i" = 0 ] && continue   # warm-up: page cache, first-run costs
        elapsed=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", e - s }')
        if [ -z "$best" ] || awk -v a="$elapsed" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$elapsed
        fi
    done
    printf '%s\n' "$best"
}

# cpython_artifact VERSION: the path of a CPython artifact for the Dev Container benches:
# $SPECGATE_E2E_ARTIFACT, else the tree staged in "$cache/stage" packed once with
# `specgate package` (the Feature's static build, `make feature`) into
# /var/tmp/specgate-e2e/feature-artifact, where the end-to-end tests also leave one.
cpython_artifact() {
    local version=$1 artifact=${SPECGATE_E2E_ARTIFACT:-}
    if [ -z "$artifact" ]; then
        local out=/var/tmp/specgate-e2e/feature-artifact
        artifact="$out/cpython-$version-debian12-build1.tgz"
        if [ ! -s "$artifact" ]; then
            local stage=${SPECGATE_E2E_STAGE:-$cache/stage} scratch license=()
            [ -x "$stage/opt/python-$version/bin/python3" ] || { say "error: no artifact and no stage at $stage; set SPECGATE_E2E_ARTIFACT"; exit 2; }
            mkdir -p "$out"
            scratch=$(mktemp -d)
            [ -f "$cache/Python-$version/LICENSE" ] && license=(--license "$cache/Python-$version/LICENSE")
            "$here/target/x86_64-unknown-linux-gnu/release/specgate" -C "$scratch" package "$stage" --version "$version" \
                --distro debian12 --build 1 --no-ledger --out "$out" "${license[@]}" >&2
            rm -rf "$scratch"
        fi
    fi
    printf '%s\n' "$artifact"
}

# serve_folder DIR: a loopback HTTP server (python3 -m http.server) for DIR; sets `port` and
# `server_pid` (the caller kills it).
serve_folder() {
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    python3 -m http.server --bind 127.0.0.1 --directory "$1" "$port" >/dev/null 2>&1 &
    # shellcheck disable=SC2034 # read by the caller
    server_pid=$!
    for _ in $(seq 50); do
        python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break
        sleep 0.1
    done
}

# timed_devcontainer_build PROJECT IMAGE LOG: wall seconds of `devcontainer build` of PROJECT
# into IMAGE without the layer cache, its output in LOG; a failed build stops the bench with
# the log's last lines.
timed_devcontainer_build() {
    local start end
    start=$(now)
    if ! devcontainer build --docker-path podman --no-cache --workspace-folder "$1" --image-name "$2" >"$3" 2>&1; then
        say "error: devcontainer build of $1 failed; the last lines of its log:"
        tail -n 30 "$3" >&2
        exit 2
    fi
    end=$(now)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }'
}

# require_dev_containers IMAGE: podman, the devcontainers CLI, python3 (the loopback server) and
# the base image are there, or the bench stops saying how to get them.
require_dev_containers() {
    local tool
    for tool in podman devcontainer python3; do
        command -v "$tool" >/dev/null || { say "error: \`$tool\` is not installed; run \`make setup\`"; exit 2; }
    done
    podman image exists "$1" || { say "error: base image $1 is missing; run \`bash .ci/containers\`"; exit 2; }
}
