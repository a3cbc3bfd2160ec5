/**
 * Checkpoint cost at 10^5 and 10^6 state keys: `node test/bench/checkpoint-bench.js [keys...]`.
 * Measures, for a state of K [word, count] pairs in 2 partitions: the state file's size, the time
 * to encode + write + fsync + rename it (paid once per checkpoint interval), the metadata file
 * written after every batch, and the time to read + verify + decode the state on recovery.
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

const { CheckpointWriter } = require("../../engine/checkpoint/checkpoint-writer.ts");
const { readCheckpointFile } = require("../../engine/checkpoint/checkpoint-reader.ts");

function median(xs) { return xs.slice().sort((a, b) => a - b)[xs.length >> 1]; }
function ms(t0) { return Number(process.hrtime.bigint() - t0) / 1e6; }

const sizes = process.argv.slice(2).map(Number);
for (const keys of sizes.length ? sizes : [1e5, 1e6]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-"));
  const writer = new CheckpointWriter(dir);
  const partitions = [[], []];
  for (let i = 0; i < keys; i++) partitions[i % 2].push([`word-${i}`, i % 1000]);
  const writes = [], reads = [], metas = [];
  let bytes = 0;
  for (let run = 1; run <= 5; run++) {
    let t0 = process.hrtime.bigint();
    bytes = writer.writeState(3, run * 1000, { partitions, hashPartitions: 2 }).bytes;
    writes.push(ms(t0));
    t0 = process.hrtime.bigint();
    const data = readCheckpointFile(path.join(dir, "state", `stream-3-${run * 1000}`));
    reads.push(ms(t0));
    if (data.partitions[0].length + data.partitions[1].length !== keys) throw new Error("bad read");
    t0 = process.hrtime.bigint();
    writer.writeMetadata(run * 1000, { version: 1, checkpointTime: run * 1000, streams: [{ id: 3, batch: { time: run * 1000, file: `state/stream-3-${run * 1000}` } }] });
    metas.push(ms(t0));
  }
  console.log(`${keys} keys: state file ${(bytes / 1e6).toFixed(1)} MB; write+fsync ${median(writes).toFixed(0)} ms (per checkpoint interval); read+verify+decode ${median(reads).toFixed(0)} ms (recovery); metadata per batch ${median(metas).toFixed(1)} ms`);
  fs.rmSync(dir, { recursive: true, force: true });
}
