#!/usr/bin/env bash
# Packing and unpacking speed of `specgate package` and specgate's unpacker on a real CPython
# install tree, side by side with the shell pipelines they replace:
#   pack:   tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -c | gzip -n -6
#   unpack: sha256sum -c <sidecar> && tar xzf
# Targets (issue 3): packing at most 0.6x the pipeline, unpacking plus verification at most 1.0x.
#
# Usage: bench/package.sh [STAGE_DIR]
#   STAGE_DIR is a DESTDIR holding opt/python-X.Y.Z/ (default /var/cache/specgate-bench/stage,
#   made by `./configure --prefix=/opt/python-3.11.2 && make -j2 && make install DESTDIR=...`
#   from Debian's python3.11 source package). RUNS=N repeats each step and keeps the best time.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
stage=${1:-/var/cache/specgate-bench/stage}
runs=${RUNS:-1}
prefix=$(cd "$stage" && find opt -mindepth 1 -maxdepth 1 -name 'python-*' | sort | head -n 1)
version=${prefix#opt/python-}
[ -d "$stage/$prefix" ] || { echo "no opt/python-X.Y.Z in $stage" >&2; exit 2; }

echo "building release binaries (cargo build --release)..." >&2
(cd "$here" && cargo build --release --quiet --bin specgate --example unpack)
specgate="$here/target/release/specgate"
unpacker="$here/target/release/examples/unpack"

work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

# Best wall time in seconds of running "$@" $runs times; a setup command in $before runs first.
best() {
    local best_time="" start end elapsed
    for _ in $(seq "$runs"); do
        [ -n "${before:-}" ] && eval "$before"
        start=$(date +%s.%N)
        "$@"
        end=$(date +%s.%N)
        elapsed=$(echo "$end - $start" | bc -l)
        if [ -z "$best_time" ] || [ "$(echo "$elapsed < $best_time" | bc -l)" = 1 ]; then best_time=$elapsed; fi
    done
    printf '%.2f' "$best_time"
}

pack_specgate() { "$specgate" package "$stage" --version "$version" --distro debian12 --build 1 --no-ledger --out "$work/sg" 2>/dev/null; }
pack_specgate_zst() { "$specgate" package "$stage" --version "$version" --distro debian12 --build 1 --no-ledger --compression zst --out "$work/zst" 2>/dev/null; }
pack_shell() { (cd "$stage" && tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -c "$prefix" | gzip -n -6 > "$work/shell.tgz"); }
name="cpython-$version-debian12-build1.tgz"
unpack_specgate() { "$unpacker" "$work/sg/$name" "$work/out-sg/tree" 2>/dev/null; }
unpack_shell() { (cd "$work/sg" && sha256sum -c --quiet "$name.sha256" && tar xzf "$name" -C "$work/out-shell"); }

content=$(du -sb "$stage/$prefix" | cut -f1)
files=$(find "$stage/$prefix" | wc -l)
echo "tree: $stage/$prefix, $files entries, $((content / 1000000)) MB; cores: $(nproc); runs: $runs"
# Warm the page cache so both sides read the tree from memory.
tar -c -C "$stage" "$prefix" > /dev/null

t_shell=$(best pack_shell)
t_sg=$(best pack_specgate)
t_zst=$(best pack_specgate_zst)
# shellcheck disable=SC2016 # expanded later, inside `best`
before='rm -rf "$work/out-sg"; mkdir -p "$work/out-sg"'
u_sg=$(best unpack_specgate)
# shellcheck disable=SC2016 # expanded later, inside `best`
before='rm -rf "$work/out-shell"; mkdir -p "$work/out-shell"'
u_shell=$(best unpack_shell)
before=

size() { stat -c %s "$1"; }
printf '\n%-44s %8s %10s\n' "step" "seconds" "MB"
printf '%-44s %8s %10.1f\n' "pack: tar | gzip -n -6" "$t_shell" "$(echo "$(size "$work/shell.tgz") / 1000000" | bc -l)"
printf '%-44s %8s %10.1f\n' "pack: specgate package (.tgz, parallel gzip)" "$t_sg" "$(echo "$(size "$work/sg/$name") / 1000000" | bc -l)"
printf '%-44s %8s %10.1f\n' "pack: specgate package (.tar.zst)" "$t_zst" "$(echo "$(size "$work/zst/cpython-$version-debian12-build1.tar.zst") / 1000000" | bc -l)"
printf '%-44s %8s\n' "unpack: sha256sum -c && tar xzf" "$u_shell"
printf '%-44s %8s\n' "unpack: specgate (verify + safe unpack)" "$u_sg"
echo
printf 'pack ratio   specgate/shell: %.2f (target <= 0.60)\n' "$(echo "$t_sg / $t_shell" | bc -l)"
printf 'unpack ratio specgate/shell: %.2f (target <= 1.00)\n' "$(echo "$u_sg / $u_shell" | bc -l)"
# Same tree either way: our unpack equals plain tar's.
if diff -r --no-dereference "$work/out-sg/tree" "$work/out-shell" > /dev/null; then
    echo "unpacked trees are identical"
else
    echo "unpacked trees DIFFER" >&2
    exit 1
fi
