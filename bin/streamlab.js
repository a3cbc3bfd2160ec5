#!/usr/bin/env node
// The `streamlab` command: dispatches to the built CLI modules in dist/cli.
"use strict";
const path = require("path");
const fs = require("fs");

const commands = {
  submit: "submit",   // run a TypeScript/JavaScript streaming program, like spark-submit
  demo: "demo",       // the word-count demo on an embedded line source (npm start)
  install: "install", // register the Jupyter kernel
  kernel: "kernel",   // the kernel process itself (used by the kernelspec)
  lines: "lines",     // serve lines like `nc -lk 9999`
  sales: "sales",     // the seeded sales stream
  kafka: "kafka",     // a background Apache Kafka broker (start, stop, status)
  lab: "lab",         // open JupyterLab in notebooks/
};

const [cmd, ...args] = process.argv.slice(2);
if (!cmd || cmd === "--help" || cmd === "-h" || !commands[cmd]) {
  process.stderr.write(`usage: streamlab <command> [options]\ncommands: ${Object.keys(commands).join(", ")}\n`);
  process.exit(cmd && cmd !== "--help" && cmd !== "-h" ? 2 : 0);
}
const modulePath = path.join(__dirname, "..", "dist", "cli", `${commands[cmd]}.js`);
if (!fs.existsSync(modulePath)) {
  process.stderr.write(`streamlab: ${cmd} is not built (${modulePath} missing). Run npm install (or npm run build) first.\n`);
  process.exit(1);
}
Promise.resolve(require(modulePath).main(args)).then(
  (code) => { if (typeof code === "number") process.exitCode = code; },
  (err) => { process.stderr.write(`streamlab ${cmd}: ${err && err.message ? err.message : err}\n`); process.exit(1); },
);
