#!/usr/bin/env node
/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof`): self time per function, top N.
 * Usage: node test/bench/profile-summary.js FILE.cpuprofile [N]
 * e.g. node --expose-gc --cpu-prof --cpu-prof-dir=test/bench/results/profiles test/bench/run.js --sections=capacity --workloads=wordcount
 */
const fs = require("fs");
const [file, topArg] = process.argv.slice(2);
const profile = JSON.parse(fs.readFileSync(file, "utf8"));
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const dt = profile.timeDeltas;
for (let i = 0; i < profile.samples.length; i++) {
  const n = byId.get(profile.samples[i]);
  const f = n.callFrame;
  const key = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/work\/main\//, "").replace(/^file:\/\//, "")}:${f.lineNumber + 1}`;
  self.set(key, (self.get(key) || 0) + (dt[i] || 0));
}
const total = [...self.values()].reduce((a, b) => a + b, 0);
const top = [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg || 25));
for (const [k, us] of top) console.log(`${((100 * us) / total).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
