#!/usr/bin/env bash
# Install speed of `specgate install`, side by side in one run, on the same artifact served by
# the same loopback HTTP server (python3 -m http.server):
#   specgate install (cold: empty cache, nothing installed)
#   the shell pipeline a user would write: curl -o f && sha256sum -c && tar xzf
#   uv python install (PyPI uv), with UV_PYTHON_DOWNLOADS_JSON_URL pointing at a list we write
#     for the same tree repacked in python-build-standalone's install_only layout (python/...)
#   the floor: gzip -dc > /dev/null
#   specgate install again (idempotent rerun)
# Targets (issue 4): cold install at most 0.5x the shell pipeline and faster than uv; rerun
# under 20 ms.
#
# Usage: bench/install.sh [ARTIFACT.tgz]
#   Without an argument the artifact is packed by `specgate package` from
#   /var/cache/specgate-bench/stage (see bench/package.sh). RUNS=N keeps the best of N rounds;
#   each round runs every tool once, in turn, after `sync`, so no tool inherits another's
#   writeback or a colder file system. BENCH_DIR=DIR works in DIR (default /var/tmp): a tmpfs
#   there measures CPU cost alone; on a disk, creating ~9,000 files can dominate every tool
#   (ext4 on a virtual disk here: 0.2 ms to 1.2 ms per file, depending on what is cached).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-3}
port=${PORT:-8766}
command -v uv >/dev/null || { echo "uv is missing: python3 -m pip install uv" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is missing: apt-get install curl" >&2; exit 2; }

echo "building specgate (cargo build --release)..." >&2
(cd "$here" && cargo build --release --quiet --bin specgate)
specgate="$here/target/release/specgate"

work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/specgate-bench-install.XXXXXX")
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

artifact=${1:-}
if [ -z "$artifact" ]; then
    stage=/var/cache/specgate-bench/stage
    [ -d "$stage/opt" ] || { echo "no artifact given and no $stage; run bench/package.sh first or pass one" >&2; exit 2; }
    "$specgate" package "$stage" --version 3.11.2 --distro debian12 --build 1 --no-ledger --out "$work/serve" >/dev/null 2>&1
    artifact=$(ls "$work"/serve/cpython-*.tgz)
else
    mkdir -p "$work/serve"
    cp "$artifact" "$artifact.sha256" "$work/serve/"
    artifact="$work/serve/$(basename "$artifact")"
fi
name=$(basename "$artifact")
version=$(echo "$name" | sed -E 's/^cpython-([0-9]+\.[0-9]+\.[0-9]+)-.*/\1/')
prefix="opt/python-$version"

# The same tree in python-build-standalone's install_only layout, for uv.
mkdir -p "$work/pbs/python"
tar -xzf "$artifact" -C "$work/pbs"
mv "$work/pbs/$prefix"/* "$work/pbs/python/"
pbs_name="cpython-$version+20250101-x86_64-unknown-linux-gnu-install_only.tar.gz"
tar -C "$work/pbs" -c python | gzip -6 > "$work/serve/$pbs_name"
rm -rf "$work/pbs"
pbs_sha=$(sha256sum "$work/serve/$pbs_name" | cut -d' ' -f1)
IFS=. read -r major minor patch <<<"$version"
cat > "$work/downloads.json" <<JSON
{
  "cpython-$version-linux-x86_64-gnu": {
    "name": "cpython", "arch": {"family": "x86_64", "variant": null}, "os": "linux", "libc": "gnu",
    "major": $major, "minor": $minor, "patch": $patch, "prerelease": "",
    "url": "http://127.0.0.1:$port/$pbs_name", "sha256": "$pbs_sha", "variant": null, "build": "20250101"
  }
}
JSON

(cd "$work/serve" && exec python3 -m http.server --bind 127.0.0.1 "$port" >/dev/null 2>&1) &
server_pid=$!
for _ in $(seq 50); do curl -fsS -o /dev/null "http://127.0.0.1:$port/" 2>/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/$name"

# timed CMD...: the wall time of one run of CMD, in seconds.
timed() {
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || { echo "error: \`$*\` failed:" >&2; "$@" >&2 || true; exit 2; }
    end=$(date +%s.%N)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f", e - s }'
}
# min A B: the smaller time (A may be empty).
min() { if [ -z "$1" ] || awk -v a="$2" -v b="$1" 'BEGIN { exit !(a < b) }'; then printf '%s' "$2"; else printf '%s' "$1"; fi; }

sg_install() { "$specgate" install --version "$version" --url "$url" --root "$work/sg" --cache "$work/sg-cache" --progress lines; }
shell_install() {
    (cd "$work/sh" && curl -fsS -o "$name" "$url" && curl -fsS -o "$name.sha256" "$url.sha256" \
        && sha256sum -c --quiet "$name.sha256" && tar xzf "$name" -C "$work/sh/root")
}
uv_install() {
    UV_PYTHON_INSTALL_DIR="$work/uv" UV_PYTHON_DOWNLOADS_JSON_URL="$work/downloads.json" \
        UV_CACHE_DIR="$work/uv-cache" UV_NO_PROGRESS=1 UV_PYTHON_BIN_DIR="$work/uv-bin" \
        uv python install "$version"
}
floor() { gzip -dc "$artifact" > /dev/null; }

echo "artifact: $name, $(($(stat -c %s "$artifact") / 1000000)) MB, $(tar -tzf "$artifact" | wc -l) members; cores: $(nproc); rounds: $runs; file system of $work: $(stat -f -c %T "$work")" >&2
fresh_sg() { rm -rf "$work/sg" "$work/sg-cache"; sync; }
fresh_sh() { rm -rf "$work/sh"; mkdir -p "$work/sh/root"; sync; }
fresh_uv() { rm -rf "$work/uv" "$work/uv-cache" "$work/uv-bin"; sync; }
t_sg="" t_sh="" t_uv="" t_floor="" t_rerun=""
for round in $(seq "$runs"); do
    fresh_sg; t=$(timed sg_install); t_sg=$(min "$t_sg" "$t")
    fresh_sh; t=$(timed shell_install); t_sh=$(min "$t_sh" "$t")
    fresh_uv; t=$(timed uv_install); t_uv=$(min "$t_uv" "$t")
    t=$(timed floor); t_floor=$(min "$t_floor" "$t")
    echo "round $round: specgate $t_sg, shell $t_sh, uv $t_uv (best so far)" >&2
done
fresh_sg
sg_install >/dev/null 2>&1
for _ in $(seq "$runs"); do t=$(timed sg_install); t_rerun=$(min "$t_rerun" "$t"); done
"$specgate" install --version "$version" --url "$url" --root "$work/sg" --cache "$work/sg-cache" 2>&1 | grep -q "already installed"

printf '%-44s %8s s\n' "specgate install (cold)" "$t_sg"
printf '%-44s %8s s\n' "curl && sha256sum -c && tar xzf" "$t_sh"
printf '%-44s %8s s\n' "uv python install (same tree, install_only)" "$t_uv"
printf '%-44s %8s s\n' "floor: gzip -dc > /dev/null" "$t_floor"
printf '%-44s %8s s\n' "specgate install (idempotent rerun)" "$t_rerun"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "ratio specgate / shell pipeline: $(ratio "$t_sg" "$t_sh") (target <= 0.50)"
echo "ratio specgate / uv:             $(ratio "$t_sg" "$t_uv") (target < 1.00)"
echo "specgate verifies the sha256, validates the interpreter (runs it, imports ssl sqlite3 uuid lzma bz2) and links; the shell pipeline and uv do neither validation nor links"
