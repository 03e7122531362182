#!/usr/bin/env bash
# `specgate build --profile fast` against the plain `./configure && make -j2 && make install`
# on the same CPython source, in one run (issue 7; SPEC_INFRA_001 4.1):
#   - specgate's overhead over the plain build (target: at most 5%); specgate also verifies the
#     source, validates the interpreter (imports, venv with ensurepip), slims and packs, and all
#     of that is counted as overhead. The fast profile configures with --disable-test-modules
#     (the test suite slim would delete is never built), which the plain build does not, so the
#     time of specgate's own steps is also printed as a share of the plain build;
#   - a cached rebuild (target: under 5 seconds);
#   - the artifact size (target for the stripped release profile: under 80 MB).
# The plain build uses the same configure flags (fast profile, same rpath) and -j2. With
# ROUNDS=N (default 1) the two builds run N times each, alternating which goes first (a
# compile's speed drifts with the page cache and the host), and the best of each is compared.
# Each build starts after the previous trees are deleted and `sync` has run, so neither pays
# for the other's deletion (on a disk with online discard that costs seconds).
# Both print the time of each step, so a gap can be traced to the step it comes from.
#
# Usage: [ROUNDS=N] bench/build.sh   (about 2 x N x the compile time; run it on an idle machine)
# Caches in /var/cache/specgate-bench (the source) and a fresh build cache per specgate run.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${BENCH_CACHE:-/var/cache/specgate-bench}
rounds=${ROUNDS:-1}
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

since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1f", e - s }'; }
min() { awk -v a="$1" -v b="$2" 'BEGIN { print (b == "" || a + 0 < b + 0) ? a : b }'; }

# The plain build, from the tarball (unpacking is timed on both sides); prints its total and
# appends its steps' times to $work/plain-steps.
plain_build() {
    local start step
    rm -rf "$work/plain" "$work/plain-stage"
    mkdir -p "$work/plain"
    sync
    start=$(now)
    step=$start
    tar -xf "$tarball" -C "$work/plain" --strip-components=1
    printf 'extract %s\n' "$(since "$step")" >>"$work/plain-steps"
    (
        cd "$work/plain"
        step=$(now)
        # shellcheck disable=SC2016 # the literal $$ORIGIN is for configure and make, as specgate passes it
        ./configure --prefix=/opt/python-3.11.2 --enable-shared --with-openssl=/usr --with-system-ffi \
            'LDFLAGS=-Wl,-rpath,\$$ORIGIN/../lib' >"$work/plain.log" 2>&1
        printf 'configure %s\n' "$(since "$step")" >>"$work/plain-steps"
        step=$(now)
        make -j2 >>"$work/plain.log" 2>&1
        printf 'make %s\n' "$(since "$step")" >>"$work/plain-steps"
        step=$(now)
        make install DESTDIR="$work/plain-stage" >>"$work/plain.log" 2>&1
        printf 'install %s\n' "$(since "$step")" >>"$work/plain-steps"
    ) || { say "error: the plain build failed; see $work/plain.log"; tail -n 20 "$work/plain.log" >&2; exit 2; }
    since "$start"
    rm -rf "$work/plain" "$work/plain-stage"
}

# specgate build, the same source and flags, a fresh cache; prints its total.
specgate_build() {
    local start
    rm -rf "$work/out" "$work/cache"
    sync
    start=$(now)
    "$specgate" -C "$here" build --python 3.11.2 --source "$tarball" --build 1 --profile fast --jobs 2 \
        --out "$work/out" --cache "$work/cache" --no-ledger >"$work/artifact" 2>"$work/specgate.log" \
        || { say "error: specgate build failed"; tail -n 30 "$work/specgate.log" >&2; exit 2; }
    since "$start"
    grep -E '^    [A-Za-z].*: ok in' "$work/specgate.log" | tee -a "$work/specgate-steps" \
        | awk '!/^    (extract|configure|make)/ { sub(/s$/, "", $NF); t += $NF } END { printf "%.1f\n", t }' >>"$work/own"
}

plain="" specgate_time=""
for round in $(seq 1 "$rounds"); do
    if [ $((round % 2)) = 1 ]; then order="plain specgate"; else order="specgate plain"; fi
    for side in $order; do
        if [ "$side" = plain ]; then
            t=$(plain_build)
            plain=$(min "$t" "$plain")
        else
            t=$(specgate_build)
            specgate_time=$(min "$t" "$specgate_time")
        fi
        say "round $round: $side ${t}s"
    done
done
artifact=$(cat "$work/artifact")

# The cached rebuild (the last specgate run's cache).
start=$(now)
"$specgate" -C "$here" build --python 3.11.2 --source "$tarball" --build 2 --profile fast --jobs 2 \
    --out "$work/out" --cache "$work/cache" --no-ledger >/dev/null 2>"$work/cached.log"
cached=$(awk -v s="$start" -v e="$(now)" 'BEGIN { printf "%.2f", e - s }')
grep -q 'compile: cached' "$work/cached.log" || { say "error: the rebuild did not use the cache"; exit 2; }

size=$(stat -c %s "$artifact")
printf 'plain tar x, configure+make+install %8ss   (best of %s)\n' "$plain" "$rounds"
printf 'specgate build --profile fast       %8ss   ratio %s (target <= 1.05)\n' "$specgate_time" "$(ratio "$specgate_time" "$plain")"
own=$(sort -n "$work/own" | head -n 1)
printf "  specgate's own steps (checks, slim, validate, package) %ss = %s%% of the plain build (best of %s)\n" \
    "$own" "$(awk -v o="$own" -v p="$plain" 'BEGIN { printf "%.1f", 100 * o / p }')" "$rounds"
printf 'cached rebuild                      %8ss   (target < 5s)\n' "$cached"
printf 'artifact (fast profile)             %8s bytes = %s MiB (release target < 80 MB)\n' "$size" "$(awk -v s="$size" 'BEGIN { printf "%.1f", s / 1048576 }')"
say "steps, every round, in run order:"
awk '{ printf "  plain    %-10s %6ss\n", $1, $2 }' "$work/plain-steps"
sed 's/^    /  specgate /' "$work/specgate-steps"
