/**
 * Recovery time and per-batch checkpoint cost of a running pipeline at 10^5 and 10^6 state keys:
 * `node test/checkpoint/recovery-bench.js [keys...]` (not part of npm test; its numbers go in
 * docs/fault-tolerance.md). A global word count (updateStateByKey, state checkpoint every 5
 * batches) gets K distinct words in its first batch and a few words per batch after that; the
 * context runs in virtual time on a real checkpoint directory. Measured:
 * - per batch: the checkpoint work after the batch (afterBatchCompleted), split into batches that
 *   write the state file and batches that write only the metadata file;
 * - recovery: getOrCreate + start on the directory of a crashed run, until the first batch after
 *   the restart has been processed (state file read, verified, decoded, batches replayed).
 * Process start-up (node + engine load, ~70-150 ms) comes on top; the kill -9 harness measures it.
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

const BATCH = 1000;
const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];
const now = () => Number(process.hrtime.bigint()) / 1e6;

function app(dir, clock, keys, onBatch) {
  return () => {
    const ssc = new engine.StreamingContext({ appName: "bench", master: "local[2]", batchDuration: BATCH, clock });
    ssc.checkpoint(dir);
    const first = Array.from({ length: keys / 1000 }, (_, l) => Array.from({ length: 1000 }, (_, i) => `w${l * 1000 + i}`).join(" "));
    const batches = [first, ...Array.from({ length: 100 }, (_, i) => [`w${i} w${i + 1} new${i}`])];
    new engine.TestInputStream(ssc, batches).flatMap((l) => l.split(" ")).mapToPair((w) => [w, 1])
      .updateStateByKey((vs, s) => vs.reduce((a, b) => a + b, s ?? 0)).checkpoint(5 * BATCH)
      .foreachRDD((rdd, t) => onBatch(t.milliseconds, rdd));
    return ssc;
  };
}

/** Wraps the context's checkpoint hook to time it per batch. */
function timeCheckpoints(ssc, into) {
  const hooks = ssc.recoveryHooks;
  const original = hooks.afterBatchCompleted.bind(hooks);
  hooks.afterBatchCompleted = (time) => {
    const t0 = now();
    const r = original(time);
    into.push({ time, ms: now() - t0 });
    return r;
  };
}

async function measure(keys) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-recovery-bench-"));
  const clock = new engine.ManualClock(0);
  let stateSize = 0;
  const ssc = engine.StreamingContext.getOrCreate(dir, app(dir, clock, keys, (t, rdd) => { stateSize = rdd.count(); }));
  ssc.start();
  const checkpoints = [];
  timeCheckpoints(ssc, checkpoints);
  const t0 = now();
  await clock.advance(BATCH);
  const firstBatchMs = now() - t0;
  await clock.advance(11 * BATCH);
  ssc.abandonForTest();
  const stateFiles = fs.readdirSync(path.join(dir, "state"));
  const stateBytes = Math.max(...stateFiles.map((f) => fs.statSync(path.join(dir, "state", f)).size));
  const metaBytes = fs.statSync(path.join(dir, "checkpoint-12000")).size;
  const withState = checkpoints.filter((c) => c.time % (5 * BATCH) === 0).map((c) => c.ms);
  const metadataOnly = checkpoints.filter((c) => c.time > BATCH && c.time % (5 * BATCH) !== 0).map((c) => c.ms);

  // Recovery: the checkpoint of 12000 references the state file of 10000; batches 11000 and 12000
  // were checkpointed as metadata, so the restart at 12500 replays nothing before 13000.
  const clock2 = new engine.ManualClock(12_500);
  let firstAfterRestart;
  const r0 = now();
  const ssc2 = engine.StreamingContext.getOrCreate(dir, app(dir, clock2, keys, (t, rdd) => { if (firstAfterRestart === undefined) firstAfterRestart = { t, ms: now() - r0, count: rdd.count() }; }));
  ssc2.start();
  await clock2.advance(500);
  await ssc2.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  console.log(`${keys} keys (state ${stateSize} keys): first batch ${firstBatchMs.toFixed(0)} ms; state file ${(stateBytes / 1e6).toFixed(1)} MB, metadata file ${metaBytes} B; ` +
    `checkpoint after a batch: ${median(withState).toFixed(0)} ms with the state file (every 5th batch), ${median(metadataOnly).toFixed(1)} ms metadata only; ` +
    `recovery (getOrCreate + start to first batch ${firstAfterRestart.t} processed, ${firstAfterRestart.count} keys): ${firstAfterRestart.ms.toFixed(0)} ms`);
}

(async () => {
  const sizes = process.argv.slice(2).map(Number);
  for (const keys of sizes.length ? sizes : [1e5, 1e6]) await measure(keys);
})();
