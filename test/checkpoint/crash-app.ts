/**
 * The program the kill -9 harness runs in a child process (and, uninterrupted, in-process for the
 * ground truth): a stateful word count, an incremental window and mapWithState with a timeout,
 * on a replayable input, recovered with getOrCreate. `buildApp` is shared by both.
 */
import * as fs from "fs";
import * as path from "path";
import type { StreamingContext as SC, DStream as DS } from "../../engine";

type Engine = typeof import("../../engine");
type Pair = [string, number];

export const BATCH_MS = 100;

/** Batch i (1-based) of the input: deterministic words, every 7th batch empty. */
export function inputBatches(n: number): string[][] {
  return Array.from({ length: n }, (_, i) => (i % 7 === 6 ? [] : [`w${i % 5} w${(i * 3) % 11}`, `w${i % 2}`]));
}

/** The results after batch `finalIndex`: totals, the 500 ms window, the mapWithState states. */
export interface AppResult { totals: Pair[]; window: Pair[]; sessions: Pair[] }

export function buildApp(engine: Engine, ssc: SC, n: number, onResult: (time: number, r: AppResult) => void): void {
  const pairs = new engine.TestInputStream(ssc, inputBatches(n)).flatMap((l) => l.split(" ")).mapToPair((w): Pair => [w, 1]);
  const totals = pairs.updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0)).checkpoint(3 * BATCH_MS);
  const window = pairs.reduceByKeyAndWindow((a: number, b: number) => a + b, (a: number, b: number) => a - b, 5 * BATCH_MS, BATCH_MS);
  const spec = engine.StateSpec.function((word: string, one: number | undefined, state: { exists(): boolean; get(): number; update(s: number): void; isTimingOut(): boolean }) => {
    if (!state.isTimingOut()) state.update((state.exists() ? state.get() : 0) + (one ?? 0));
    return word;
  }).timeout(4 * BATCH_MS);
  const sessions = (pairs.mapWithState(spec) as unknown as { stateSnapshots(): DS<Pair> }).stateSnapshots();
  const sorted = (xs: Pair[]) => xs.slice().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const latest: Partial<Record<keyof AppResult, Pair[]>> = {};
  totals.foreachRDD((rdd) => { latest.totals = sorted(rdd.collect()); });
  window.foreachRDD((rdd) => { latest.window = sorted(rdd.collect()); });
  sessions.foreachRDD((rdd, t) => {
    latest.sessions = sorted(rdd.collect());
    onResult(t.milliseconds, latest as AppResult);
  });
}

/**
 * Child-process entry: records the time from process start to its first processed batch (the
 * recovery time, node start-up included).
 * `node launch.js <checkpointDir> <resultFile> <numBatches>`.
 */
export function main(engine: Engine, argv: string[]): void {
  const [dir, resultFile, nText] = argv;
  const n = Number(nText);
  let firstBatchReported = false;
  const ssc = engine.StreamingContext.getOrCreate(dir, () => {
    const ssc = new engine.StreamingContext({ appName: "crash-app", master: "local[2]", batchDuration: BATCH_MS });
    ssc.checkpoint(dir);
    buildApp(engine, ssc, n, (time, result) => {
      if (!firstBatchReported) {
        firstBatchReported = true;
        fs.appendFileSync(path.join(dir, "..", "recovery-times"), `${Math.round(process.uptime() * 1000)}\n`);
      }
      const index = Math.round((time - (ssc.graph.zeroTime as number)) / BATCH_MS);
      if (index === n) {
        fs.writeFileSync(`${resultFile}.tmp`, JSON.stringify(result));
        fs.renameSync(`${resultFile}.tmp`, resultFile);
        process.exit(0);
      }
    });
    return ssc;
  });
  ssc.start();
}
