#!/usr/bin/env node
/**
 * One streamlab probe in a process of its own: `node probe-child.js SPEC_FILE RESULT_FILE` reads a
 * ProbeSpec (JSON, without its pool: a generator probe reads the pool from `poolFile`), runs
 * probeStreamlab and writes the ProbeResult as JSON. Used where a probe's memory is the figure
 * (backpressure): the allocator keeps a process's high-water mark, so a probe that runs after an
 * overloaded one in the same process would start from that mark.
 */
const fs = require("fs");

require("./ts-register");
const { probeStreamlab } = require("./streamlab-runner");

const [specFile, resultFile] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specFile, "utf8"));
const pool = spec.feed === "generator" ? fs.readFileSync(spec.poolFile, "utf8").split("\n").slice(0, -1) : [];
probeStreamlab({ ...spec, pool })
  .then((result) => {
    fs.writeFileSync(resultFile, JSON.stringify(result));
    process.exit(0);
  })
  .catch((e) => {
    process.stderr.write(`bench probe: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  });
