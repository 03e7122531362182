#!/usr/bin/env bash
# `specgate build --profile fast` against the plain `./configure && make -j2 && make install`
# on the same CPython source, in one run (issue 7; SPEC_INFRA_001 4.1):
#   - specgate's overhead over the plain build (target: at most 5%); specgate also verifies the
#     source, validates the interpreter (imports, venv with ensurepip), slims and packs, and all
#     of that is counted as overhead;
#   - a cached rebuild (target: under 5 seconds);
#   - the artifact size (target for the stripped release profile: under 80 MB).
# The plain build uses the same configure flags (fast profile, same rpath) and -j2.
#
# Usage: bench/build.sh            (about 2 x the compile time; run it on an idle machine)
# Caches in /var/cache/specgate-bench (the source) and a fresh build cache per run.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${BENCH_CACHE:-/var/cache/specgate-bench}
sudo=""
[ "$(id -u)" = 0 ] || sudo=sudo
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"

tarball=$(source_tarball)
say "source: $tarball"
(cd "$here" && cargo build --release --quiet --bin specgate)
specgate="$here/target/release/specgate"

work=$(mktemp -d /var/tmp/specgate-bench-build.XXXXXX)
trap 'rm -rf "$work"' EXIT

# 1. The plain build, from the tarball (unpacking is timed on both sides).
mkdir -p "$work/plain"
start=$(now)
tar -xf "$tarball" -C "$work/plain" --strip-components=1
(
    cd "$work/plain"
    # shellcheck disable=SC2016 # the literal $$ORIGIN is for configure and make, as specgate passes it
    ./configure --prefix=/opt/python-3.11.2 --enable-shared --with-openssl=/usr --with-system-ffi \
        'LDFLAGS=-Wl,-rpath,\$$ORIGIN/../lib' >"$work/plain.log" 2>&1
    make -j2 >>"$work/plain.log" 2>&1
    make install DESTDIR="$work/plain-stage" >>"$work/plain.log" 2>&1
) || { say "error: the plain build failed; see $work/plain.log"; tail -n 20 "$work/plain.log" >&2; exit 2; }
plain=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }')
rm -rf "$work/plain" "$work/plain-stage"

# 2. specgate build, the same source and flags, a fresh cache.
start=$(now)
artifact=$("$specgate" -C "$here" build --python 3.11.2 --source "$tarball" --build 1 --profile fast --jobs 2 \
    --out "$work/out" --cache "$work/cache" --no-ledger 2>"$work/specgate.log") \
    || { say "error: specgate build failed"; tail -n 30 "$work/specgate.log" >&2; exit 2; }
specgate_time=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }')

# 3. The cached rebuild.
start=$(now)
"$specgate" -C "$here" build --python 3.11.2 --source "$tarball" --build 2 --profile fast --jobs 2 \
    --out "$work/out" --cache "$work/cache" --no-ledger >/dev/null 2>"$work/cached.log"
cached=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }')
grep -q 'compile: cached' "$work/cached.log" || { say "error: the rebuild did not use the cache"; exit 2; }

size=$(stat -c %s "$artifact")
printf 'plain tar x, configure+make+install %8ss\n' "$plain"
printf 'specgate build --profile fast       %8ss   ratio %s (target <= 1.05)\n' "$specgate_time" "$(ratio "$specgate_time" "$plain")"
printf 'cached rebuild                      %8ss   (target < 5s)\n' "$cached"
printf 'artifact (fast profile)             %8s bytes = %s MiB (release target < 80 MB)\n' "$size" "$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }')"
grep -E '^    [a-z].*: ok in' "$work/specgate.log" | sed 's/^    /  step /'
