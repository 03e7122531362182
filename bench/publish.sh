#!/usr/bin/env bash
# Upload speed of `specgate publish` beside `curl --data-binary` on the same endpoint: the
# loopback GitHub of the tests (examples/github_fake.rs, which hashes every upload as GitHub
# does for `digest`), an 80 MB incompressible artifact. Prints:
#   - the upload of the tarball alone: specgate's own timing line against curl's, as a
#     throughput ratio (target: at least 0.80);
#   - the whole `specgate publish` (gate: sha256, LICENSE, secrets scan of the members; release;
#     three uploads; ledger) beside curl's single upload, for context;
#   - a re-publish: its time, and the number of uploads it made (must be 0).
#
# Usage: bench/publish.sh [SIZE_MB]   (default 80). RUNS=N keeps the best of N runs.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck disable=SC2034 # used by lib.sh helpers this script does not call
cache=/var/tmp/specgate-bench
# shellcheck disable=SC2034
sudo=""
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"

size_mb=${1:-80}
runs=${RUNS:-3}
repo_name=acme/bench
token=bench-token-not-secret

say "building release binaries (cargo build --release)..."
(cd "$here" && cargo build --release --quiet --bin specgate --example github_fake)
specgate="$here/target/release/specgate"
fake="$here/target/release/examples/github_fake"

work=$(mktemp -d)
fake_pid=""
stop_fake() {
    if [ -n "$fake_pid" ]; then
        kill "$fake_pid" 2>/dev/null || true
        wait "$fake_pid" 2>/dev/null || true
        fake_pid=""
    fi
}
trap 'stop_fake; rm -rf "$work"' EXIT

# A fresh server (empty releases) per measurement; sets api, uploads and the log file.
start_fake() {
    stop_fake
    log="$work/fake-$RANDOM.log"
    FAKE_GITHUB_TOKEN=$token "$fake" "$repo_name" >"$work/fake.out" 2>"$log" &
    fake_pid=$!
    for _ in $(seq 100); do
        [ -s "$work/fake.out" ] && break
        sleep 0.05
    done
    read -r api uploads <"$work/fake.out"
    : >"$work/fake.out"
}

uploads_in_log() { grep -c '^fake-github: upload POST .* -> 201' "$1" || true; }

# The repository with one artifact of SIZE_MB incompressible bytes and its ledger row.
say "packing a ${size_mb} MB artifact..."
git init -q -b main "$work/repo"
stage="$work/stage/opt/python-3.12.6"
mkdir -p "$stage/bin" "$stage/lib/python3.12"
printf 'PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2\n' >"$stage/LICENSE"
printf '#!/bin/sh\n' >"$stage/bin/python3.12"
head -c "$((size_mb * 1000 * 1000))" /dev/urandom >"$stage/lib/python3.12/blob.so"
(cd "$work/repo" && "$specgate" package "$work/stage" --version 3.12.6 --distro debian12 --build 1 >/dev/null 2>&1)
name=cpython-3.12.6-debian12-build1.tgz
artifact="$work/repo/artifacts/$name"
bytes=$(stat -c %s "$artifact")
echo "artifact: $name, $bytes bytes; cores: $(nproc); runs: $runs (best kept)"
cat "$artifact" >/dev/null   # page cache

# curl: create a release once per server, then time the upload of the same file. `Expect:` is
# emptied so curl does not wait a second for a `100 Continue` the server never sends.
curl_upload() {
    local release_id
    release_id=$(curl -fsS -X POST "$api/repos/$repo_name/releases" \
        -H "Authorization: Bearer $token" -H 'Accept: application/vnd.github+json' \
        -H 'X-GitHub-Api-Version: 2022-11-28' -H 'Content-Type: application/json' \
        --data "{\"tag_name\":\"curl-$RANDOM$RANDOM\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    local start end
    start=$(now)
    curl -fsS -o /dev/null -X POST "$uploads/repos/$repo_name/releases/$release_id/assets?name=$name" \
        -H "Authorization: Bearer $token" -H 'Accept: application/vnd.github+json' \
        -H 'X-GitHub-Api-Version: 2022-11-28' -H 'Content-Type: application/gzip' -H 'Expect:' \
        --data-binary "@$artifact"
    end=$(now)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f\n", e - s }'
}

best=""
best_whole=""
best_curl=""
min() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == "" || a + 0 < b + 0) print a; else print b }'; }
for _ in $(seq "$runs"); do
    start_fake
    t_curl=$(curl_upload)
    best_curl=$(min "$t_curl" "$best_curl")

    start_fake
    sed -i 's#| https://[^ ]* | Activo |#| - | Activo |#' "$work/repo/artifacts/ARTIFACTS.md"
    # The whole run includes the second GitHub asks between writes (draft, 3 uploads, publish:
    # 4 pauses); the upload line specgate prints times the transfer alone.
    start=$(now)
    (cd "$work/repo" && GH_TOKEN=$token "$specgate" publish "artifacts/$name" --repo "$repo_name" --api-url "$api" 2>"$work/publish.err")
    end=$(now)
    whole=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f\n", e - s }')
    best_whole=$(min "$whole" "$best_whole")
    # specgate's own line: uploaded `NAME` to ... (76.3 MiB, 0.21 s, 363 MiB/s)
    t_upload=$(sed -n "s/^uploaded \`$name\` .*, \([0-9.]*\) s, .*/\1/p" "$work/publish.err")
    [ -n "$t_upload" ] || { cat "$work/publish.err" >&2; exit 2; }
    best=$(min "$t_upload" "$best")
done
uploads_first=$(uploads_in_log "$log")

start=$(now)
(cd "$work/repo" && GH_TOKEN=$token "$specgate" publish "artifacts/$name" --repo "$repo_name" --api-url "$api" 2>"$work/republish.err")
end=$(now)
t_again=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f\n", e - s }')
uploads_after=$(uploads_in_log "$log")

mb() { awk -v b="$bytes" -v t="$1" 'BEGIN { if (t > 0) printf "%.0f", b / t / 1000000; else print "n/a" }'; }
echo
printf '%-52s %8s s  %6s MB/s\n' "curl --data-binary (upload only)" "$best_curl" "$(mb "$best_curl")"
printf '%-52s %8s s  %6s MB/s\n' "specgate publish, tarball upload (its own timing)" "$best" "$(mb "$best")"
printf '%-52s %8s s\n' "specgate publish, whole (gate + 3 uploads + ledger)" "$best_whole"
printf '%-52s %8s s  (%s uploads)\n' "specgate publish again (nothing to do)" "$t_again" "$((uploads_after - uploads_first))"
echo
echo "upload throughput, specgate / curl: $(ratio "$best_curl" "$best") (target >= 0.80)"
echo "whole publish vs curl's upload alone: $(ratio "$best_whole" "$best_curl")x the time"
if [ "$((uploads_after - uploads_first))" != 0 ]; then
    echo "error: the re-publish uploaded something" >&2
    exit 1
fi
echo "re-publish: no upload"
