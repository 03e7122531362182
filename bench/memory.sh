#!/usr/bin/env bash
# bench/memory.sh: peak memory (maximum resident set size) of specgate's checks and of the
# pre-push hook on hostile single files, beside the same command on an empty repository
# (the baseline) and beside ripgrep searching the same file for what the checks look for (a
# floor: one pass, no findings kept), and the time of each case beside the time of the same
# case at half size (a ratio near 2 means linear time). A benchmark, not a test: it prints figures and asserts
# nothing. The budget it measures (docs/diagnostics.md, "Long lines and many findings"): any
# single file up to the scan size limit costs less than 100 MB above the baseline.
#
# Usage: bash bench/memory.sh [CASE...]
#        cases: bundle emoji markers related related-fit; default all
# Env:   SPECGATE_BENCH_SIZE_MB  size of the minified bundle (default 16, the scan limit)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
size_mb=${SPECGATE_BENCH_SIZE_MB:-16}
say() { printf '%s\n' "$*" >&2; }
[ -x /usr/bin/time ] || { say "bench/memory.sh needs GNU time (apt-get install time)"; exit 2; }
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
command -v rg >/dev/null || { say "installing ripgrep"; $sudo apt-get install -y -qq ripgrep >/dev/null; }

say "building specgate (release)"
(cd "$here" && cargo build --release --quiet)
specgate="$here/target/release/specgate"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- inputs --------------------------------------------------------------------------------

# make_input CASE SCALE FILE: write one hostile file; SCALE is 1 (full) or 2 (half size).
make_input() {
    python3 - "$1" "$2" "$3" "$size_mb" <<'PY'
import random, sys
case, scale, path, size_mb = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rng = random.Random(7)
opener = "spec" + "["  # built here, so the project's own gate does not read a marker
alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
if case == "bundle":
    # A minified bundle just under the scan size limit: one line of identifiers, numbers,
    # base64-like blobs, marker-like text and secret-like assignments (fake, generated here),
    # no newline.
    target = (size_mb * 1024 * 1024 - 64 * 1024) // scale
    parts, size = [], 0
    upper = alphabet[26:36] + alphabet[36:]
    while size < target:
        kind = rng.random()
        if kind < 0.02:
            value = "".join(rng.choice(alphabet) for _ in range(24))
            part = f'var password="{value}";'
        elif kind < 0.03:
            part = 'k="AKIA' + "".join(rng.choice(upper) for _ in range(16)) + '";'
        elif kind < 0.1:
            blob = "".join(rng.choice(alphabet) for _ in range(rng.randint(20, 60)))
            part = f'var k{size}="{blob}";'
        elif kind < 0.2:
            part = f'{opener}verfy x{size}] '
        else:
            name = "".join(rng.choice(alphabet[:26]) for _ in range(rng.randint(1, 8)))
            part = f"function {name}(a,b){{return a+b*{rng.randint(0, 99999)}}};"
        parts.append(part)
        size += len(part)
    text = "".join(parts)
elif case == "emoji":
    text = "x = '" + "\U0001F600 " * (20000 // scale) + "'\n"
elif case == "markers":
    text = "# " + f"{opener}verfy " * (20000 // scale) + "\n"
elif case in ("related", "related-fit"):
    # A spec whose `relacionados` list is 10 MB on one line (refused by the front-matter size
    # limit), or as long as that limit accepts (each id unresolved: one finding per id).
    ids, size = [], 0
    target = (10 * 1024 * 1024 if case == "related" else 250 * 1024) // scale
    while size < target:
        ident = f"SPEC_INFRA_{len(ids):07d}"
        ids.append(ident)
        size += len(ident) + 2
    text = (
        "---\nid: SPEC_INFRA_900\ntitulo: Grande\ncategoria: infra\nversion: 1.0.0\n"
        "estado: borrador\nautor: bench\nfecha: 2026-01-01\nrelacionados: [" + ", ".join(ids) + "]\n---\n"
        "# Grande\n"
    )
else:
    sys.exit(f"unknown case {case}")
with open(path, "w", encoding="utf-8") as out:
    out.write(text)
PY
}

# A repository with one commit holding FILE at PATH (or nothing), a bare remote, and the
# pre-push hook installed; the push under test is of a second commit that adds the file.
make_repo() {
    local dir=$1 file=${2:-} path=${3:-}
    git init -q -b main "$dir"
    git init -q --bare "$dir.remote"
    (
        cd "$dir"
        git config user.name bench
        git config user.email bench@example.invalid
        git remote add origin "$dir.remote"
        printf '# bench\n' >README.md
        git add README.md
        git commit -q -m base
        git push -q origin main
        if [ -n "$file" ]; then
            mkdir -p "$(dirname "$path")"
            cp "$file" "$path"
            git add "$path"
            git commit -q -m "add $path"
        fi
        "$specgate" hooks install --binary "$specgate" >/dev/null 2>&1
    )
}

# --- measuring -----------------------------------------------------------------------------

# measure DIR CMD...: "peak-MiB seconds" of one run of CMD in DIR (exit status ignored: the
# cases are meant to produce findings).
measure() {
    local dir=$1
    shift
    (cd "$dir" && /usr/bin/time -f '%M %e' -o "$work/time" "$@" >/dev/null 2>&1) || true
    awk 'END { printf "%.0f %s\n", $1 / 1024, $2 }' "$work/time"
}

row() { printf '%-12s %-9s %9s %9s %9s %9s %9s\n' "$@"; }

# What each check looks for, as one ripgrep pattern: markers, secret keywords, emoji.
floor_pattern='spec\[|password|AKIA|relacionados|\p{Emoji_Presentation}'


cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(bundle emoji markers related related-fit)

make_repo "$work/empty"
read -r base_check _ < <(measure "$work/empty" "$specgate" check)
read -r base_push _ < <(measure "$work/empty" git push -q origin main)
say "baseline (empty repository): check ${base_check} MiB, pre-push ${base_push} MiB"

row case command "peak MiB" "above" "rg MiB" seconds "x half"
for case in "${cases[@]}"; do
    case $case in
        bundle) path=web/bundle.min.js ;;
        emoji) path=src/faces.py ;;
        markers) path=src/markers.py ;;
        related | related-fit) path=specs/SPEC_INFRA_900.md ;;
        *) say "unknown case $case"; exit 2 ;;
    esac
    for scale in 1 2; do
        make_input "$case" "$scale" "$work/$case.$scale"
        make_repo "$work/$case-$scale" "$work/$case.$scale" "$path"
    done
    read -r floor _ < <(measure "$work" rg -c "$floor_pattern" "$work/$case.1")
    for command in check pre-push; do
        if [ "$command" = check ]; then set -- "$specgate" check; base=$base_check
        else set -- git push -q origin main; base=$base_push; fi
        read -r peak seconds < <(measure "$work/$case-1" "$@")
        read -r _ half < <(measure "$work/$case-2" "$@")
        # The failed push leaves the remote as it was, so both runs push the same commit.
        ratio=$(awk -v a="$seconds" -v b="$half" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
        row "$case" "$command" "$peak" "$((peak - base))" "$floor" "$seconds" "$ratio"
    done
done
