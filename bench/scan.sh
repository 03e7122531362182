#!/usr/bin/env bash
# bench/scan.sh: time specgate's content checks on a large real tree nobody here wrote, the
# CPython 3.11.2 source (Debian bookworm's python3.11 source package), committed into a
# temporary git repository, side by side with ripgrep as a floor. A benchmark, not a test:
# it prints seconds and ratios and asserts nothing about time.
#
# Usage: bash bench/scan.sh            (needs root or sudo for apt-get the first time; it also
#        runs bench/scan-secrets.sh unless SPECGATE_BENCH_SECRETS=0)
# Env:   SPECGATE_BENCH_CACHE  downloads and the prepared repository (default /var/cache/specgate-bench)
#        SPECGATE_BENCH_RUNS   timed runs per tool, the best is kept (default 3)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SPECGATE_BENCH_CACHE:-/var/cache/specgate-bench}
runs=${SPECGATE_BENCH_RUNS:-3}
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"


# --- inputs --------------------------------------------------------------------------------




# --- timing --------------------------------------------------------------------------------



# cpu_of CMD...: user + system CPU seconds of one run (the machine may be shared, so wall
# time alone can mislead). Empty when /usr/bin/time is missing.
cpu_of() {
    [ -x /usr/bin/time ] || { printf '\n'; return; }
    /usr/bin/time -f '%U %S' -o "$work/cpu" "$@" >/dev/null 2>&1 || true
    awk 'END { printf "%.2f\n", $1 + $2 }' "$work/cpu"   # the last line: time may print an exit status first
}


# --- run -----------------------------------------------------------------------------------

command -v rg >/dev/null || { say "installing ripgrep"; $sudo apt-get install -y -qq ripgrep >/dev/null; }

tarball=$(source_tarball)
repo=$(prepare_repository "$tarball" scan-cpython-3.11.2)
say "building specgate (release)"
(cd "$here" && cargo build --release --quiet)
specgate="$here/target/release/specgate"

files=$(git -C "$repo" ls-files | wc -l)
bytes=$(git -C "$repo" ls-files -z | (cd "$repo" && xargs -0 cat) | wc -c)

# The emoji rules as a ripgrep pattern: Emoji_Presentation code points, non-ASCII Emoji with
# VS16, keycaps. Flags, tag sequences, ZWJ and skin tones all contain an Emoji_Presentation
# code point, so the line set is the same; ripgrep counts lines, specgate counts clusters.
emoji_pattern='\p{Emoji_Presentation}|[\p{Emoji}--\p{ASCII}]\x{FE0F}|[0-9#*]\x{FE0F}?\x{20E3}'
# The absolute floor: every line holding a byte that could start an emoji (ASCII-only DFA).
byte_pattern='(?-u:[\xC2\xE2\xE3\xF0])'

# Comparable counts: ripgrep does not open archives and counts lines, so count the distinct
# (path, line) pairs of specgate's findings outside archive members too.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$repo" && { "$specgate" --format json check emoji --all >"$work/emoji.json" || true; })
read -r specgate_findings specgate_member_findings specgate_lines < <(awk '
    /"code":/ { code = $0 }
    /"path":/ { path = $0 }
    /"line":/ && code ~ /emoji-found/ {
        total++
        if (path ~ /!/) members++; else if (!seen[path $0]++) lines++
    }
    END { print total + 0, members + 0, lines + 0 }' "$work/emoji.json")
rg_lines=$(cd "$repo" && rg --no-messages -c "$emoji_pattern" | awk -F: '{ n += $NF } END { print n + 0 }')

load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
t_specgate=$(cd "$repo" && best_of "$specgate" check emoji --all)
t_rg=$(cd "$repo" && best_of rg --no-messages -c "$emoji_pattern")
t_floor=$(cd "$repo" && best_of rg --no-messages -c "$byte_pattern")
c_specgate=$(cd "$repo" && cpu_of "$specgate" check emoji --all)
c_rg=$(cd "$repo" && cpu_of rg --no-messages -c "$emoji_pattern")
c_floor=$(cd "$repo" && cpu_of rg --no-messages -c "$byte_pattern")

# Hook-style runs on a throwaway clone: one new commit on top of the history (pre-push), and
# two staged files (pre-commit).
git clone -q --shared "$repo" "$work/clone"
(
    cd "$work/clone"
    printf '# one more line\n' >>Lib/os.py
    printf 'One more line.\n' >>README.rst
    git -c user.name=bench -c user.email=bench@example.invalid commit -qam "one new commit"
    printf '# staged\n' >>Lib/json/__init__.py
    printf '# staged\n' >>Lib/json/decoder.py
    git add Lib/json/__init__.py Lib/json/decoder.py
)
t_range=$(cd "$work/clone" && best_of "$specgate" check emoji --range HEAD~1..HEAD)
t_staged=$(cd "$work/clone" && best_of "$specgate" check emoji --staged)
c_range=$(cd "$work/clone" && cpu_of "$specgate" check emoji --range HEAD~1..HEAD)
c_staged=$(cd "$work/clone" && cpu_of "$specgate" check emoji --staged)

printf '\nCPython 3.11.2 source: %s tracked files, %s bytes (%s)\n' "$files" "$bytes" "$repo"
printf 'best of %s runs, %s cores\n\n' "$runs" "$(nproc)"
printf 'load average before the runs: %s\n\n' "$load"
printf '%-44s %9s %10s %9s\n' "emoji" "seconds" "x floor" "cpu s"
printf '%-44s %9s %10s %9s\n' "specgate check emoji --all" "$t_specgate" "$(ratio "$t_specgate" "$t_rg")" "$c_specgate"
printf '%-44s %9s %10s %9s\n' "rg, emoji property pattern (floor)" "$t_rg" "1.00" "$c_rg"
printf '%-44s %9s %10s %9s\n' "rg, candidate lead bytes only" "$t_floor" "$(ratio "$t_floor" "$t_rg")" "$c_floor"
printf '%-44s %9s %10s %9s\n' "specgate check emoji --range (1 commit)" "$t_range" "(<0.05 s)" "$c_range"
printf '%-44s %9s %10s %9s\n' "specgate check emoji --staged (2 files)" "$t_staged" "(<0.05 s)" "$c_staged"
printf '\nspecgate: %s emoji clusters (%s inside archive members, which rg does not open);\n' "$specgate_findings" "$specgate_member_findings"
printf 'lines with an emoji outside archives: specgate %s, rg %s\n' "$specgate_lines" "$rg_lines"

# The secrets half (specgate, ripgrep with the same rules, kingfisher, detect-secrets) on the
# same tree, so `bash bench/scan.sh` measures the whole content gate in one run.
if [ "${SPECGATE_BENCH_SECRETS:-1}" = 1 ]; then
    printf '\n'
    bash "$here/bench/scan-secrets.sh"
fi
