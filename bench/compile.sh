#!/usr/bin/env bash
# bench/compile.sh: what the one-crate layout costs a developer, as the figures for the
# folders-or-crates decision in docs/architecture.md. It builds specgate (debug, dependencies
# already compiled) from clean, then again after an edit (a new function appended, then taken
# out again) of one file in each layer: a command (commands/), a check (gate/), a pipeline
# stage (pipeline/), the report model (shared/diag).
# A workspace of crates could only save the rebuilds of crates below the touched file, so the
# time of each rebuild is the most a split could win there. It prints wall and CPU seconds and
# asserts nothing. The rustc of each step is the only compiler running only if the machine is
# otherwise idle; CPU seconds are the steadier figure on a shared machine.
#
# Usage: bash bench/compile.sh     (uses target/ of this work tree; every edited file is restored)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$here"
say() { printf '%s\n' "$*" >&2; }

# timed LABEL COMMAND...: run the command, print "LABEL wall_s cpu_s".
timed() {
    local label=$1 out
    shift
    out=$(mktemp)
    /usr/bin/time -f '%e %U %S' -o "$out" "$@" >/dev/null 2>&1
    awk -v l="$label" '{ printf "%-44s %7.1f %7.1f\n", l, $1, $2 + $3 }' "$out"
    rm -f "$out"
}

say "warming up: dependencies and the test harnesses"
cargo build --locked --all-targets -q

printf '%-44s %7s %7s\n' "step" "wall s" "cpu s"
cargo clean -q -p specgate
timed "clean: lib + binary" cargo build --locked -q
timed "clean: + unit, integration, property tests" cargo build --locked -q --all-targets
# The file being edited and its copy; put back on any exit.
editing=""
copy=$(mktemp)
restore() { if [ -n "$editing" ]; then cp "$copy" "$editing"; fi; rm -f "$copy"; }
trap restore EXIT
n=0
for file in src/commands/check.rs src/gate/scan/emoji.rs src/pipeline/install/fetch.rs src/shared/diag/mod.rs; do
    n=$((n + 1))
    cp "$file" "$copy"
    editing=$file
    printf '\n#[allow(dead_code)]\nfn bench_compile_edit() -> u32 {\n    %s\n}\n' "$n" >>"$file"
    timed "edit $file: lib + binary" cargo build --locked -q
    cp "$copy" "$file"
    editing=""
    timed "undo the edit: all targets" cargo build --locked -q --all-targets
done
printf 'lines of Rust in src/: %s\n' "$(find src -name '*.rs' -exec cat {} + | wc -l)"
