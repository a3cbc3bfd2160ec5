#!/usr/bin/env node
/**
 * `npm run bench`: runs the benchmark suite (test/bench/main.ts) in one Node process, with
 * --expose-gc (memory figures are taken after a full collection) and a heap large enough for
 * 10^6 keys of state. Options: `npm run bench -- --help`.
 */
const { spawnSync } = require("child_process");

if (typeof global.gc !== "function") {
  const r = spawnSync(process.execPath, ["--expose-gc", "--max-old-space-size=8192", __filename, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status === null ? 1 : r.status);
}

require("./ts-register");
require("./main")
  .main(process.argv.slice(2))
  .then((code) => process.exit(code ?? 0))
  .catch((e) => {
    process.stderr.write(`bench: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
