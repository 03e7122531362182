#!/usr/bin/env bash
# bench/hooks.sh: the pre-push hook on a large real history. The CPython 3.11.2 source
# committed as one repository (prepared by bench/scan.sh), 200 commits on top already on the
# remote, then one new commit to push. Times, side by side, with the critical tests disabled:
#   - `specgate hook pre-push` on that one-commit push (what `git push` runs),
#   - specgate's own full scan of the same tree (`check emoji --all`, and `check secrets --all`
#     when this build has it),
#   - `pre-commit run --hook-stage pre-push` running the same specgate hooks as local hooks.
# A benchmark, not a test: it prints seconds and ratios. Target: the pre-push under 100 ms.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache=${SPECGATE_BENCH_CACHE:-/var/cache/specgate-bench}
runs=${SPECGATE_BENCH_RUNS:-5}
source_repo="$cache/scan-cpython-3.11.2"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"
# shellcheck source=bench/lib.sh
source "$here/bench/lib.sh"

if [ ! -d "$source_repo/.git" ]; then
    echo "preparing the CPython repository with bench/scan.sh first" >&2
    bash "$here/bench/scan.sh" >/dev/null
fi
cargo build --release --quiet --manifest-path "$here/Cargo.toml"
specgate="$here/target/release/specgate"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
repo="$work/repo"
git clone -q --local "$source_repo" "$repo"
git init -q --bare "$work/remote.git"
cd "$repo"
git config user.name bench
git config user.email bench@example.invalid
git remote remove origin
git remote add origin "$work/remote.git"
for i in $(seq 1 200); do
    printf 'line %s\n' "$i" >>Misc/bench-history.txt
    git add Misc/bench-history.txt
    git commit -q --no-verify -m "history $i"
done
git push -q --no-verify origin main
printf 'def new_feature():\n    return 42\n' >Lib/bench_new_feature.py
git add Lib/bench_new_feature.py
git commit -q --no-verify -m "one new commit"
local_sha=$(git rev-parse HEAD)
remote_sha=$(git rev-parse origin/main)
push_line="refs/heads/main $local_sha refs/heads/main $remote_sha"

pre_push() { printf '%s\n' "$push_line" | "$specgate" hook pre-push origin "$work/remote.git"; }
full_scan() {
    "$specgate" check emoji --all
    if "$specgate" check --help | grep -q secrets; then "$specgate" check secrets --all; fi
}

cat >.pre-commit-config.yaml <<CONFIG
repos:
  - repo: local
    hooks:
      - id: specgate-pre-push
        name: specgate pre-push
        entry: $specgate hook pre-push
        language: system
        pass_filenames: false
        always_run: true
        stages: [pre-push]
CONFIG
framework() {
    PRE_COMMIT_HOME="$work/pre-commit-home" pre-commit run --hook-stage pre-push \
        --from-ref "$remote_sha" --to-ref "$local_sha" --config .pre-commit-config.yaml
}

files=$(git ls-files | wc -l)
commits=$(git rev-list --count HEAD)
t_push=$(best_of pre_push)
t_full=$(best_of full_scan)
printf 'CPython 3.11.2 tree: %s files, %s commits of history\n\n' "$files" "$commits"
printf '%-58s %10s\n' "run" "seconds"
printf '%-58s %10s\n' "specgate hook pre-push (1 new commit)" "$t_push"
printf '%-58s %10s\n' "specgate full scan of the tree (--all)" "$t_full"
if command -v pre-commit >/dev/null; then
    t_framework=$(best_of framework)
    printf '%-58s %10s\n' "pre-commit run --hook-stage pre-push (same hook)" "$t_framework"
    awk -v a="$t_framework" -v b="$t_push" 'BEGIN { printf "framework / specgate pre-push: %.1fx\n", a / b }'
else
    echo "pre-commit is not installed (pip install pre-commit): framework run skipped"
fi
awk -v a="$t_full" -v b="$t_push" 'BEGIN { printf "full scan / pre-push: %.1fx\n", a / b }'
echo "target: the one-commit pre-push under 0.100 s"
