/**
 * The child program of the live-graph kill -9 test: a "notebook" whose first cell builds and
 * starts a context with getOrCreate (its graph: a replayable memory input and one output), and
 * whose second cell, run after start, adds crash-app's three stateful streams (updateStateByKey,
 * an incremental window, mapWithState with a timeout). The first run adds them at once; a
 * restarted run adds them after a random delay, as Run All does after the kernel restarted, so
 * they join well after the replayed batches and must catch up from the checkpoint.
 *
 * argv: `<checkpoint dir> <results log> <number of input batches> [finish]`. Appends
 * `<pid> <batch index> <results JSON>` per batch; with `finish`, exits 0 once a batch index
 * reaches the number of input batches + 5.
 */
import * as fs from "fs";
import type { DStream } from "../../engine";
import { BATCH_MS, buildApp, memoryBatches } from "./crash-app";

type Engine = typeof import("../../engine");

export function main(engine: Engine, argv: string[]): void {
  const [dir, log, n, mode] = argv;
  const numBatches = Number(n);
  const restarted = fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.startsWith("checkpoint-"));
  let lines: DStream<string> | undefined;
  const ssc = engine.StreamingContext.getOrCreate(dir, () => {
    const ssc = new engine.StreamingContext({ appName: "live-crash-app", master: "local[2]", batchDuration: BATCH_MS, conf: { "streamlab.graph.liveChanges": true } });
    ssc.checkpoint(dir);
    lines = new engine.TestInputStream<string>(ssc, memoryBatches(numBatches));
    lines.foreachRDD(() => {});
    return ssc;
  });
  ssc.start();
  const cell2 = () => {
    engine.setCurrentOwner("cell-2");
    buildApp(engine, lines as DStream<string>, {
      onResult: (time, result) => {
        const index = Math.round((time - (ssc.graph.zeroTime as number)) / BATCH_MS);
        fs.appendFileSync(log, `${process.pid} ${index} ${JSON.stringify(result)}\n`);
        if (mode === "finish" && index >= numBatches + 5) process.exit(0);
      },
    });
    engine.setCurrentOwner(undefined);
  };
  if (restarted) setTimeout(cell2, 100 + Math.floor(Math.random() * 500));
  else cell2();
}
