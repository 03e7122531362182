#!/usr/bin/env bash
# bench/precommit.sh: the first run of a specgate hook under the real pre-commit framework, with
# the hooks of pre-commit/ (`language: python`, the wheel of `make wheel` from a local folder)
# beside the hooks of the repository root (`language: rust`, built with `cargo install`). Each
# starts from an empty PRE_COMMIT_HOME and, for the source hooks, an empty cargo target folder:
# what a developer waits for the first time. A benchmark, not a test: it prints seconds and the
# ratio and asserts nothing.
#
# Usage: bash bench/precommit.sh     (needs pre-commit, maturin and twine: `make setup`)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
say() { printf '%s\n' "$*" >&2; }
now() { date +%s.%N; }
for tool in pre-commit maturin twine git; do
    command -v "$tool" >/dev/null || { say "bench/precommit.sh needs $tool (make setup)"; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

say "building the wheel (make wheel)"
make -C "$here" --quiet wheel >/dev/null
# setuptools, which pip needs to install the hook repository's package with no index.
python3 -m pip download --quiet --only-binary :all: --dest "$work/requirements" 'setuptools>=61'

# The hook repository of pre-commit/, as its own git repository.
mkdir "$work/hooks"
cp "$here/pre-commit/.pre-commit-hooks.yaml" "$here/pre-commit/pyproject.toml" "$here/pre-commit/README.md" "$work/hooks/"
git -C "$work/hooks" init -q
git -C "$work/hooks" add -A
git -C "$work/hooks" -c user.name=bench -c user.email=bench@example.invalid commit -qm hooks

# A repository with one file to check.
git init -q "$work/repo"
printf 'plain text\n' >"$work/repo/notes.md"
git -C "$work/repo" add notes.md

# first_run NAME REPO [ENV...]: seconds of `pre-commit try-repo REPO specgate-emoji` from empty caches.
first_run() {
    local name=$1 repo=$2 start end
    shift 2
    rm -rf "$work/home-$name" "$work/target-$name"
    start=$(now)
    (cd "$work/repo" && env PRE_COMMIT_HOME="$work/home-$name" CARGO_TARGET_DIR="$work/target-$name" "$@" \
        pre-commit try-repo "$repo" specgate-emoji --files notes.md >"$work/$name.log" 2>&1) \
        || { say "pre-commit ($name) failed:"; cat "$work/$name.log" >&2; exit 2; }
    end=$(now)
    awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f\n", e - s }'
}

say "first run with the wheel hooks"
wheel=$(first_run wheel "$work/hooks" PIP_NO_INDEX=1 PIP_FIND_LINKS="$here/target/wheels $work/requirements")
say "first run with the source hooks (cargo install; minutes)"
source=$(first_run source "$here")
printf '%-34s %8s\n' "first pre-commit run" seconds
printf '%-34s %8s\n' "wheel hooks (language: python)" "$wheel"
printf '%-34s %8s\n' "source hooks (language: rust)" "$source"
awk -v a="$source" -v b="$wheel" 'BEGIN { printf "ratio source/wheel: %.1f\n", a / b }'
