#!/usr/bin/env bash
# Times `specgate check spec` on generated repositories of N interlinked specification
# documents (about 5 KB each, every one with the template's sections, four acceptance criteria
# with Gherkin, a test-case table, three `relacionados` ids and three Markdown links: two to
# headings of other documents, one to a heading of its own), plus one test file per ten
# documents with `verify` markers. Prints seconds and peak memory per N, the growth per
# document, and the links checked.
#
# Usage: bench/spec.sh [N ...]        (default: 1000 10000 50000)
# Optional: SPECGATE_BENCH_STRICTDOC=1 also times StrictDoc (PyPI) on 1,000 requirements;
# SPECGATE_BENCH_BIN=PATH times that binary instead of building this tree (an older build, for
# a before-and-after figure).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 50000)
work=${SPECGATE_BENCH_DIR:-/var/tmp/specgate-bench-spec}
mkdir -p "$work"

command -v /usr/bin/time >/dev/null || { echo "bench/spec.sh needs GNU time: apt-get install -y time" >&2; exit 2; }
bin=${SPECGATE_BENCH_BIN:-}
if [ -z "$bin" ]; then
  cargo build --release --locked --quiet --manifest-path "$here/Cargo.toml"
  bin="$here/target/release/specgate"
fi

generate() {
  local n=$1 dir=$2
  python3 - "$n" "$dir" <<'PY'
import os, sys
n, root = int(sys.argv[1]), sys.argv[2]
os.makedirs(os.path.join(root, "specs"), exist_ok=True)
os.makedirs(os.path.join(root, "tests"), exist_ok=True)
filler = ("Texto descriptivo de la sección con suficiente contenido para parecerse a una "
          "especificación real del equipo de infraestructura. ") * 3
def ident(i):
    return f"SPEC_B{i // 1000:03d}_{i % 1000:03d}"
for i in range(n):
    links = ", ".join(f'"{ident((i + k) % n)}"' for k in (1, 7, 31))
    crit = "".join(
        f"**CA-00{c}**: Criterio {c}\n```gherkin\nGiven un estado {c}\nWhen ocurre {c}\nThen resulta {c}\n```\n\n"
        for c in range(1, 5))
    cases = "".join(f"| CP-00{c} | Caso {c} | Funcional | CA-00{c} |\n" for c in range(1, 5))
    sections = "".join(f"## {s}\n\n{filler}\n\n" for s in (
        "Metadata", "Trazabilidad", "1. Resumen Ejecutivo", "2. Contexto y Motivación"))
    text = (f"---\nid: {ident(i)}\ntipo: especificacion\ncategoria: bench\nversion: 1.0.0\n"
            f"fecha_creacion: 2025-11-06\npropietario: equipo\nrelacionados: [{links}]\n---\n\n"
            f"# {ident(i)}\n\n{sections}## 3. Requisitos Funcionales\n\n### 3.1 Casos de Uso\n\n"
            f"#### UC-1: Uso\n\n{filler}\n\n### 3.2 Reglas de Negocio\n\n| ID | Regla |\n|----|----|\n"
            f"| BR-001 | Regla |\n\n### 3.3 Criterios de Aceptación\n\n{crit}"
            f"## 4. Requisitos No Funcionales\n\n{filler}\n\n## 5. Diseño de Solución\n\nVer {ident((i + 3) % n)}, "
            f"[sus criterios]({ident((i + 3) % n)}.md#33-criterios-de-aceptación), "
            f"[sus casos]({ident((i + 5) % n)}.md#72-casos-de-prueba) y [el resumen](#1-resumen-ejecutivo).\n\n"
            f"## 6. Dependencias\n\n{filler}\n\n## 7. Plan de Testing\n\n### 7.2 Casos de Prueba\n\n"
            f"| ID | Descripción | Tipo | Criterio Aceptación |\n|----|----|----|----|\n{cases}\n"
            f"## 10. Riesgos e Impacto\n\n{filler}\n\n## 14. Historial de Cambios\n\n| 1.0.0 | 2025-11-06 | x | y |\n")
    with open(os.path.join(root, "specs", ident(i) + ".md"), "w") as f:
        f.write(text)
for t in range(0, n, 10):
    lines = "".join(f"# spec[{'verify'} {ident(i)}#CA-00{c}]\n" for i in range(t, min(t + 10, n)) for c in range(1, 5))
    with open(os.path.join(root, "tests", f"test_{t}.py"), "w") as f:
        f.write(lines + "def test():\n    pass\n")
PY
  git -C "$dir" init -q -b main
  git -C "$dir" add -A
}

printf '%-8s %10s %12s %14s %10s\n' "docs" "seconds" "peak MB" "us per doc" "links"
for n in "${sizes[@]}"; do
  dir="$work/links-n$n"
  if [ ! -f "$dir/.generated" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    generate "$n" "$dir"
    touch "$dir/.generated"
  fi
  # One warm-up run so the page cache holds the files, then the measured run.
  "$bin" -C "$dir" check spec --quiet >/dev/null 2>&1 || true
  /usr/bin/time -v -o "$work/time.txt" "$bin" -C "$dir" check spec --quiet >/dev/null 2>&1 || true
  out=$(cat "$work/time.txt")
  secs=$(printf '%s\n' "$out" | awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  peak=$(printf '%s\n' "$out" | awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}')
  per=$(awk -v s="$secs" -v n="$n" 'BEGIN { printf "%.1f", s * 1e6 / n }')
  links=$("$bin" -C "$dir" check spec 2>&1 | sed -n 's/^note: spec: .*, \([0-9]*\) links\{0,1\}$/\1/p')
  printf '%-8s %10s %12s %14s %10s\n' "$n" "$secs" "$peak" "$per" "${links:-0}"
  findings=$("$bin" -C "$dir" check spec --format json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
  [ "$findings" = 0 ] || echo "  warning: the generated corpus produced $findings findings; the bench should be clean" >&2
done
echo "target: 10,000 documents in under 1 s and under 200 MB, linear growth (us per doc roughly constant)"

if [ "${SPECGATE_BENCH_STRICTDOC:-0}" = 1 ]; then
  echo "StrictDoc on 1,000 requirements (for scale; see the issue for the 8.6 s reference):"
  python3 -m pip install --quiet strictdoc >/dev/null
  sd="$work/strictdoc"; mkdir -p "$sd"
  python3 - "$sd/reqs.sdoc" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("[DOCUMENT]\nTITLE: Bench\n\n")
    for i in range(1000):
        f.write(f"[REQUIREMENT]\nUID: REQ-{i:04d}\nTITLE: Requisito {i}\nSTATEMENT: >>>\n" + "Texto. " * 100 + "\n<<<\n\n")
PY
  /usr/bin/time -f "strictdoc export: %e s, %M KB" strictdoc export "$sd" --output-dir "$sd/out" >/dev/null
fi
