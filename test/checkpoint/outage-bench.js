/**
 * Restart after a long outage with a file stream and state (issue 22, finding 7):
 * `node test/checkpoint/outage-bench.js` (not part of npm test; its numbers go in
 * docs/fault-tolerance.md). A word count over `textFileStream` (updateStateByKey) runs in virtual
 * time on real directories: 300 files arrive over its first 30 s, then it is dropped as a crash
 * would drop it. It restarts (getOrCreate + start) after 1 h with 100 ms batches and after 1 day
 * with 1 s batches, with no file or 3 files that arrived during the outage. Measured: wall time from
 * getOrCreate to the first live batch processed, and heap in use then (after a GC) against the
 * heap of the first run in steady state (after a GC, before the crash).
 * Run with --expose-gc for the heap figures: `node --expose-gc test/checkpoint/outage-bench.js`.
 */
const fs = require("fs");
const os = require("os");
const path = require("path");
const ts = require("typescript");

require.extensions[".ts"] = (module, filename) => {
  const js = ts.transpileModule(fs.readFileSync(filename, "utf8"), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  }).outputText;
  module._compile(js, filename);
};

const engine = require("../../engine/index.ts");
engine.setLogger({ warn: () => {}, info: () => {} });

const T0 = 1_700_000_000_000;
const now = () => Number(process.hrtime.bigint()) / 1e6;
const heapMb = () => { global.gc?.(); return process.memoryUsage().heapUsed / 1e6; };

function app(dir, input, clock, batch, onBatch) {
  return () => {
    const ssc = new engine.StreamingContext({ appName: "outage", master: "local[2]", batchDuration: batch, clock });
    ssc.checkpoint(dir);
    ssc.textFileStream(input).flatMap((l) => l.split(" ")).mapToPair((w) => [w, 1])
      .updateStateByKey((vs, s) => vs.reduce((a, b) => a + b, s ?? 0))
      .foreachRDD((rdd, t) => onBatch(t.milliseconds, rdd));
    return ssc;
  };
}

/** Moves a file with `words` into `input`, modified at `mtime`. */
function put(root, input, name, words, mtime) {
  const staged = path.join(root, name);
  fs.writeFileSync(staged, words.join(" ") + "\n");
  fs.utimesSync(staged, (mtime + 0.5) / 1000, (mtime + 0.5) / 1000);
  fs.renameSync(staged, path.join(input, name));
}

async function measure(label, batch, outageMs, lateFiles) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-outage-bench-"));
  const dir = path.join(root, "cp");
  const input = path.join(root, "in");
  fs.mkdirSync(input);
  const clock = new engine.ManualClock(T0);
  let keys = 0;
  const ssc = engine.StreamingContext.getOrCreate(dir, app(dir, input, clock, batch, (t, rdd) => { keys = rdd.count(); }));
  ssc.start();
  const runMs = 30_000;
  for (let i = 0; i < 300; i++) put(root, input, `f${i}.txt`, Array.from({ length: 20 }, (_, j) => `w${(i * 7 + j) % 500}`), T0 + 1 + (i * runMs) / 300);
  await clock.advance(runMs);
  const steadyHeap = heapMb();
  ssc.abandonForTest();

  const restartAt = T0 + runMs + outageMs;
  for (let i = 0; i < lateFiles; i++) put(root, input, `late${i}.txt`, ["late", `x${i}`], T0 + runMs + ((i + 1) * outageMs) / 4);
  const clock2 = new engine.ManualClock(restartAt);
  let first;
  const r0 = now();
  const ssc2 = engine.StreamingContext.getOrCreate(dir, app(dir, input, clock2, batch, (t, rdd) => {
    if (first === undefined && t > restartAt) first = { t, ms: now() - r0, keys: rdd.count() };
  }));
  ssc2.start();
  const startedMs = now() - r0;
  const replayed = ssc2.jobScheduler.pendingTimes.length;
  while (first === undefined) await clock2.advance(batch);
  const heap = heapMb();
  await ssc2.stop();
  fs.rmSync(root, { recursive: true, force: true });
  console.log(`${label}: restart to first live batch ${first.ms.toFixed(0)} ms (${first.keys} keys, before the crash ${keys}); ` +
    `getOrCreate + start (replay planned) ${startedMs.toFixed(0)} ms, ${replayed} batches replayed; heap ${heap.toFixed(0)} MB after it vs ${steadyHeap.toFixed(0)} MB in steady state; RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
}

(async () => {
  const only = process.argv[2];
  if (only) return measure(`${only} ms outage, 100 ms batches, 3 files in it`, 100, Number(only), 3);
  await measure("1 h outage, 100 ms batches, no file in it", 100, 3_600_000, 0);
  await measure("1 h outage, 100 ms batches, 3 files in it", 100, 3_600_000, 3);
  await measure("1 day outage, 1 s batches, no file in it", 1000, 86_400_000, 0);
  await measure("1 day outage, 1 s batches, 3 files in it", 1000, 86_400_000, 3);
})();
