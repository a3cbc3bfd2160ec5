#!/usr/bin/env node
/** `npm run bench:ui`: the Streaming page under load (test/bench/ui-load.ts). Needs `npm run build` (the page's script). */
require("./ts-register");
require("./ui-load")
  .main(process.argv.slice(2))
  .then((code) => process.exit(code ?? 0))
  .catch((e) => {
    process.stderr.write(`bench:ui: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
