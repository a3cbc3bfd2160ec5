/**
 * The program the kill -9 harness runs in child processes (and, uninterrupted in virtual time,
 * in-process for the ground truth): a stateful word count (updateStateByKey), an incremental
 * window (reduceByKeyAndWindow with an inverse function) and mapWithState with a timeout,
 * recovered with getOrCreate. Its input is one of
 * - `memory`: a TestInputStream (replayable by construction, a fixed number of batches);
 * - `files`: `ssc.textFileStream(dir)` (replayable: the files selected per batch are checkpointed);
 * - `socket`: `ssc.socketTextStream(host, port)` with the receiver write-ahead log on.
 *
 * Every input line is `<id> <word> <word> ...`: the id makes each record traceable. The child
 * appends to `batches.log`, per batch, `in <batch index> <ids>` (non-empty batches) and
 * `out <batch index> <results JSON>`, after a `run <first batch index>` line per process. These
 * are at-least-once outputs (a re-run batch logs again; the last run's lines count), from which
 * the harness checks that each record was assigned to exactly one batch and recomputes every
 * batch's totals, window and sessions from that assignment.
 */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { StreamingContext as SC, DStream as DS } from "../../engine";

type Engine = typeof import("../../engine");
export type Pair = [string, number];

export const BATCH_MS = 100;
export const WINDOW_MS = 5 * BATCH_MS;
export const SESSION_TIMEOUT_MS = 4 * BATCH_MS;
/** Batches the child keeps running after it saw the stop request, before it reports. */
export const BATCHES_AFTER_STOP = 10;

const VOCABULARY = ["spark", "stream", "batch", "state", "window", "kill", "node", "file", "socket", "log", "sum"];

/** The words of record number `k` (deterministic, 1 to 4 words from a small vocabulary). */
export function wordsOf(k: number): string[] {
  const n = 1 + ((k * 7) % 4);
  return Array.from({ length: n }, (_, j) => VOCABULARY[(k * 13 + j * 5 + (k >> 3)) % VOCABULARY.length]);
}

/** The record with id `id` and words `wordsOf(k)`. */
export function recordLine(id: string, k: number): string {
  return [id, ...wordsOf(k)].join(" ");
}

/** Batch i (1-based) of the memory source: two records, every 7th batch empty. */
export function memoryBatches(n: number): string[][] {
  return Array.from({ length: n }, (_, i) => (i % 7 === 6 ? [] : [recordLine(`m${i}a`, i), recordLine(`m${i}b`, i + 1000)]));
}

/** The results at one batch: totals, the window, the mapWithState states (each sorted by key). */
export interface AppResult { totals: Pair[]; window: Pair[]; sessions: Pair[] }

export interface AppOutputs {
  /** Called first in every batch with its input lines. */
  onInput?: (time: number, lines: string[]) => void;
  /** Called last in every batch with the three results. */
  onResult: (time: number, r: AppResult) => void;
}

/** Builds the pipeline on `lines`; shared by the child and the ground truth. */
export function buildApp(engine: Engine, lines: DS<string>, out: AppOutputs): void {
  if (out.onInput) {
    const onInput = out.onInput;
    lines.foreachRDD((rdd, t) => onInput(t.milliseconds, rdd.collect()));
  }
  const pairs = lines.flatMap((l) => l.split(" ").slice(1)).mapToPair((w): Pair => [w, 1]);
  const totals = pairs.updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0)).checkpoint(3 * BATCH_MS);
  // Short checkpoint intervals, so a 10-second run writes many state files and trims its WAL
  // (the window's default, 10 s, would make every input batch be remembered for 20 s).
  const window = pairs.reduceByKeyAndWindow((a: number, b: number) => a + b, (a: number, b: number) => a - b, WINDOW_MS, BATCH_MS).checkpoint(4 * BATCH_MS);
  const spec = engine.StateSpec.function((word: string, one: number | undefined, state: { exists(): boolean; get(): number; update(s: number): void; isTimingOut(): boolean }) => {
    if (!state.isTimingOut()) state.update((state.exists() ? state.get() : 0) + (one ?? 0));
    return word;
  }).timeout(SESSION_TIMEOUT_MS);
  const sessions = (pairs.mapWithState(spec) as unknown as { stateSnapshots(): DS<Pair> }).stateSnapshots();
  const sorted = (xs: Pair[]) => xs.slice().sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const latest: Partial<Record<keyof AppResult, Pair[]>> = {};
  totals.foreachRDD((rdd) => { latest.totals = sorted(rdd.collect()); });
  window.foreachRDD((rdd) => { latest.window = sorted(rdd.collect()); });
  sessions.foreachRDD((rdd, t) => {
    latest.sessions = sorted(rdd.collect());
    out.onResult(t.milliseconds, { ...latest } as AppResult);
  });
}

/** What the harness passes to a child (as one JSON argument). */
export interface ChildConfig {
  source: "memory" | "files" | "socket";
  /** The checkpoint directory. */
  dir: string;
  /** Where the child writes batches.log, recovery-times and result.json, and finds `stop`. */
  work: string;
  /** memory: the number of batches of input. */
  numBatches?: number;
  /** files: the directory the harness moves files into. */
  inputDir?: string;
  /** socket: the harness's line server and acknowledgement server. */
  port?: number;
  ackPort?: number;
}

/** The files of the child's work directory. */
export const workFiles = (work: string) => ({
  batchLog: path.join(work, "batches.log"),
  recoveryTimes: path.join(work, "recovery-times"),
  result: path.join(work, "result.json"),
  stop: path.join(work, "stop"),
});

/**
 * Child-process entry (see child-process.ts), argv: `['<ChildConfig JSON>']`. Records the time from process start
 * to its first processed batch (the restart-to-first-batch time, node start-up included), and
 * writes result.json and exits 0 BATCHES_AFTER_STOP batches after it saw the harness's `stop` file.
 */
export function main(engine: Engine, argv: string[]): void {
  const config = JSON.parse(argv[0]) as ChildConfig;
  const files = workFiles(config.work);
  const restarted = fs.existsSync(config.dir) && fs.readdirSync(config.dir).some((f) => f.startsWith("checkpoint-"));
  let firstBatchReported = false;
  let firstBatchLogged = false;
  let reportAt: number | undefined;
  const startedAt = Date.now();
  const ssc = engine.StreamingContext.getOrCreate(config.dir, () => {
    const conf = new engine.SparkConf().setAppName(`crash-app-${config.source}`).setMaster("local[2]");
    if (config.source === "socket") conf.set("spark.streaming.receiver.writeAheadLog.enable", "true");
    const ssc = new engine.StreamingContext({ conf, batchDuration: BATCH_MS });
    ssc.checkpoint(config.dir);
    const lines = config.source === "memory" ? new engine.TestInputStream(ssc, memoryBatches(config.numBatches as number))
      : config.source === "files" ? ssc.textFileStream(config.inputDir as string)
      : ssc.socketTextStream("127.0.0.1", config.port as number);
    const indexOf = (time: number) => Math.round((time - (ssc.graph.zeroTime as number)) / BATCH_MS);
    buildApp(engine, lines, {
      onInput: (time, input) => {
        // A run re-runs every batch from its first one on: its log supersedes earlier runs' from there.
        if (!firstBatchLogged) fs.appendFileSync(files.batchLog, `run ${indexOf(time)}\n`);
        firstBatchLogged = true;
        if (input.length > 0) fs.appendFileSync(files.batchLog, `in ${indexOf(time)} ${input.map((l) => l.split(" ", 1)[0]).join(",")}\n`);
      },
      onResult: (time, result) => {
        const index = indexOf(time);
        fs.appendFileSync(files.batchLog, `out ${index} ${JSON.stringify(result)}\n`);
        if (!firstBatchReported) {
          firstBatchReported = true;
          fs.appendFileSync(files.recoveryTimes, `${restarted ? "restart" : "first"} ${Math.round(process.uptime() * 1000)}\n`);
        }
        // Counted from a batch of this run's own time, not a replayed one: on a loaded machine the
        // last run may still be replaying down time when the harness asks it to stop, and the
        // records of the batches after the replay must be in its result too.
        if (reportAt === undefined && time >= startedAt && fs.existsSync(files.stop)) reportAt = Math.max(index, config.numBatches ?? 0) + BATCHES_AFTER_STOP;
        if (index === reportAt) {
          fs.writeFileSync(`${files.result}.tmp`, JSON.stringify({ index, ...result }));
          fs.renameSync(`${files.result}.tmp`, files.result);
          process.exit(0);
        }
      },
    });
    return ssc;
  });
  ssc.start();
  if (config.source === "socket") acknowledgeDurableBlocks(ssc, config.ackPort as number);
}

/**
 * Tells the harness which records are durable: right after the write-ahead log has appended and
 * fsynced a block (the tracker's block hook, which the WAL installed in start()), sends the
 * highest record number of the block. This is the acknowledgement a reliable source would get;
 * the harness resends whatever was neither acknowledged nor found in the WAL after a kill.
 */
function acknowledgeDurableBlocks(ssc: SC, ackPort: number): void {
  const acks = net.createConnection({ host: "127.0.0.1", port: ackPort });
  acks.on("error", () => {});
  const tracker = ssc.receiverTracker;
  const logBlock = tracker.blockAddedHook;
  if (!logBlock) throw new Error("crash-app: the write-ahead log is not on");
  tracker.blockAddedHook = (block) => {
    logBlock(block);
    const ids = (block.records as string[]).map((l) => Number(l.slice(1, l.indexOf(" "))));
    acks.write(`${Math.max(...ids)}\n`);
  };
}
