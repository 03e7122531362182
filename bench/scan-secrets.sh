#!/usr/bin/env bash
# bench/scan-secrets.sh: time `specgate check secrets` on a large real tree nobody here wrote,
# the CPython 3.11.2 source (Debian bookworm's python3.11 source package) committed into a
# temporary git repository, beside ripgrep running the same rule regexes (the floor),
# kingfisher (PyPI kingfisher-bin) and detect-secrets (PyPI), plus a pre-push style one-commit
# `--range` and a pre-commit style two-file `--staged` run. A benchmark, not a test: it prints
# seconds and ratios and asserts nothing about time.
#
# Usage: bash bench/scan-secrets.sh      (root or sudo for apt-get the first time)
# Env:   SPECGATE_BENCH_CACHE   downloads, tools and the prepared repository, outside the clone
#                               (default /var/cache/specgate-bench, shared with bench/scan.sh)
#        SPECGATE_BENCH_RUNS    timed runs per tool, the best is kept (default 3)
#        SPECGATE_BENCH_DETECT_SECRETS  0 skips detect-secrets (minutes of CPU on this tree)
#        SPECGATE_BENCH_DETECT_SECRETS_TIMEOUT  seconds before detect-secrets is stopped (900)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SPECGATE_BENCH_CACHE:-/var/cache/specgate-bench}
runs=${SPECGATE_BENCH_RUNS:-3}
run_detect_secrets=${SPECGATE_BENCH_DETECT_SECRETS:-1}
detect_timeout=${SPECGATE_BENCH_DETECT_SECRETS_TIMEOUT:-900}
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"


# --- inputs --------------------------------------------------------------------------------




# kingfisher and detect-secrets in a virtualenv inside the cache; empty when they do not install.
python_tools() {
    local venv="$cache/venv-secrets"
    if [ ! -x "$venv/bin/python" ]; then
        $sudo python3 -m venv "$venv" || return 0
    fi
    [ -x "$venv/bin/kingfisher" ] || $sudo "$venv/bin/pip" install -q kingfisher-bin >&2 || say "kingfisher-bin did not install"
    [ -x "$venv/bin/detect-secrets" ] || $sudo "$venv/bin/pip" install -q detect-secrets >&2 || say "detect-secrets did not install"
    printf '%s\n' "$venv/bin"
}

# --- timing --------------------------------------------------------------------------------


# best_of_counted N CMD...: run the command N times (after one warm-up), print the best wall time.
# Exit codes 0..1 and 200 (kingfisher: findings) are fine; others stop the benchmark.
best_of_counted() {
    local count=$1 best="" start end status elapsed i
    shift
    for i in $(seq 0 "$count"); do
        start=$(now)
        set +e
        "$@" >/dev/null 2>&1
        status=$?
        set -e
        end=$(now)
        if [ "$status" -gt 1 ] && [ "$status" -ne 200 ] && [ "$status" -ne 205 ]; then
            say "error: \`$*\` exited with $status"
            printf 'failed\n'
            return 0
        fi
        [ "$i" = 0 ] && [ "$count" -gt 1 ] && continue
        elapsed=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.4f", e - s }')
        if [ -z "$best" ] || awk -v a="$elapsed" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$elapsed
        fi
    done
    printf '%s\n' "$best"
}


# --- run -----------------------------------------------------------------------------------

command -v rg >/dev/null || { say "installing ripgrep"; $sudo apt-get install -y -qq ripgrep >/dev/null; }

tarball=$(source_tarball)
repo=$(prepare_repository "$tarball" secrets-cpython-3.11.2)
tools=$(python_tools)
say "building specgate (release)"
(cd "$here" && cargo build --release --quiet)
specgate="$here/target/release/specgate"

files=$(git -C "$repo" ls-files | wc -l)
bytes=$(git -C "$repo" ls-files -z | (cd "$repo" && xargs -0 cat) | wc -c)

# The floor: ripgrep with the same rule regexes (keyword rules; the path-scoped .env rule would
# match every `X=Y` line of the tree), no validation, one pass over every file.
patterns=()
literals=()
# (Split by hand: `read` with a tab IFS would merge the empty keyword field of the .env rule.)
while IFS= read -r line; do
    rest=${line#*$'\t'}
    keywords=${rest%%$'\t'*}
    regex=${rest#*$'\t'}
    [ -n "$keywords" ] || continue
    patterns+=(-e "$regex")
    IFS=, read -r -a words <<<"$keywords"
    for word in "${words[@]}"; do literals+=(-e "$word"); done
done < <("$specgate" -C "$repo" check secrets --list-rules)
rg_floor=(rg --no-messages -uu --glob '!.git' -c "${patterns[@]}")
# Below any regex: the keywords alone, as case-insensitive literals (what specgate's prefilter does).
rg_keywords=(rg --no-messages -uu --glob '!.git' -c -i -F "${literals[@]}")

specgate_findings=$(cd "$repo" && { "$specgate" --format json check secrets --all 2>/dev/null | grep -c '"code": "secret-detected"' || true; })
rg_lines=$(cd "$repo" && "${rg_floor[@]}" | awk -F: '{ n += $NF } END { print n + 0 }')

t_all=$(cd "$repo" && best_of_counted "$runs" "$specgate" check secrets --all)
t_rg=$(cd "$repo" && best_of_counted "$runs" "${rg_floor[@]}")
t_keywords=$(cd "$repo" && best_of_counted "$runs" "${rg_keywords[@]}")

t_kingfisher=n/a
if [ -x "$tools/kingfisher" ]; then
    t_kingfisher=$(cd "$repo" && best_of_counted "$runs" "$tools/kingfisher" --no-update-check scan . --no-validate --git-history none)
fi
t_detect=n/a
if [ "$run_detect_secrets" != 0 ] && [ -x "$tools/detect-secrets" ]; then
    say "running detect-secrets once (slow: minutes of CPU)"
    t_detect=$(cd "$repo" && best_of_counted 1 timeout "$detect_timeout" "$tools/detect-secrets" scan)
fi

# Pre-push: one new commit on top of the history, scanned as a range.
(
    cd "$repo"
    printf '\n# bench: a new line\nAPI_TOKEN = "%s"\n' "Qm8Rk2Vx9Lp4Tn7Wz3YbCd5F" >>Lib/secrets.py  # specgate: allow-secret
    printf 'bench line\n' >>README.rst
    git -c user.name=bench -c user.email=bench@example.invalid commit -qam "bench: one commit"
)
range_found=$(cd "$repo" && { "$specgate" --format json check secrets --range HEAD~1..HEAD 2>/dev/null | grep -c '"code": "secret-detected"' || true; })
t_range=$(cd "$repo" && best_of_counted "$runs" "$specgate" check secrets --range HEAD~1..HEAD)
git -C "$repo" reset -q --hard HEAD~1

# Pre-commit: two staged files.
(
    cd "$repo"
    printf '\nbench = 1\n' >>Lib/json/__init__.py
    printf '\nbench = 2\n' >>Lib/http/client.py
    git add Lib/json/__init__.py Lib/http/client.py
)
t_staged=$(cd "$repo" && best_of_counted "$runs" "$specgate" check secrets --staged)
git -C "$repo" reset -q --hard

printf '\nCPython 3.11.2 source: %s tracked files, %s bytes (%s)\n' "$files" "$bytes" "$repo"
printf 'best of %s runs, %s cores; detect-secrets: one run\n\n' "$runs" "$(nproc)"
printf '%-52s %9s %9s %12s\n' "secrets, whole tree" "seconds" "x floor" "x specgate"
printf '%-52s %9s %9s %12s\n' "specgate check secrets --all" "$t_all" "$(ratio "$t_all" "$t_rg")" "1.00"
printf '%-52s %9s %9s %12s\n' "rg, $((${#patterns[@]} / 2)) rule regexes (floor)" "$t_rg" "1.00" "$(ratio "$t_rg" "$t_all")"
printf '%-52s %9s %9s %12s\n' "rg, $((${#literals[@]} / 2)) keywords as literals (prefilter only)" "$t_keywords" "$(ratio "$t_keywords" "$t_rg")" "$(ratio "$t_keywords" "$t_all")"
printf '%-52s %9s %9s %12s\n' "kingfisher scan --no-validate --git-history none" "$t_kingfisher" "$(ratio "$t_kingfisher" "$t_rg")" "$(ratio "$t_kingfisher" "$t_all")"
printf '%-52s %9s %9s %12s\n' "detect-secrets scan" "$t_detect" "$(ratio "$t_detect" "$t_rg")" "$(ratio "$t_detect" "$t_all")"
printf '\n%-52s %9s\n' "hooks" "seconds"
printf '%-52s %9s\n' "specgate check secrets --range HEAD~1..HEAD (1 commit)" "$t_range"
printf '%-52s %9s\n' "specgate check secrets --staged (2 files)" "$t_staged"
printf '\nspecgate secret findings on the tree: %s; rg matching lines: %s; range findings: %s (expected 1)\n' \
    "$specgate_findings" "$rg_lines" "$range_found"
