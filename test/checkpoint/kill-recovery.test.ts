import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import * as engine from "../../engine";
import { TEMP_FILE } from "../../engine/checkpoint/checkpoint-writer";
import { readSegment } from "../../engine/checkpoint/write-ahead-log";
import { setLogger } from "../../engine/log";
import { waitUntil } from "../helpers/wait";
import { ChildPrograms, transpileForChildren, waitExit } from "./child-process";
import { AppResult, BATCH_MS, buildApp, ChildConfig, memoryBatches, Pair, recordLine, workFiles, wordsOf } from "./crash-app";

// The kill -9 harness. For each source a child process runs crash-app.ts; the harness SIGKILLs
// it KILLS times at random moments and restarts it each time (getOrCreate recovers it), then lets
// a last run finish and compares its state with the ground truth:
// - totals (updateStateByKey) must equal the word counts of every record sent, counted once;
// - batches.log must assign every record to exactly one batch (a run's log supersedes the entries
//   of earlier runs from the batch it restarted at: those batches were re-run);
// - window (reduceByKeyAndWindow with inverse) and sessions (mapWithState with a timeout) must
//   equal an uninterrupted run in virtual time over that same assignment of records to batches.
// Kills rotate between a random moment, the moment a checkpoint temp file appears in the directory
// (mid-checkpoint-write) and the moment a batch has logged its input (mid-batch). A temp file left
// behind proves the kill hit a checkpoint write; a last log line with input but no results proves
// it hit a batch.

const KILLS = 20;
const MEMORY_BATCHES = 60;

const workDir = (source: string) => fs.mkdtempSync(path.join(os.tmpdir(), `streamlab-kill-${source}-`));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomBetween = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

/** Resolves when a checkpoint temp file appears in `dir` or its state/ (or after `timeoutMs`). */
function checkpointWriteStarted(dir: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const watchers: fs.FSWatcher[] = [];
    const done = () => { clearTimeout(timer); for (const w of watchers) w.close(); resolve(); };
    const timer = setTimeout(done, timeoutMs);
    for (const d of [dir, path.join(dir, "state")]) {
      try {
        watchers.push(fs.watch(d, (_event, name) => { if (name && TEMP_FILE.test(String(name))) done(); }));
      } catch { /* not created yet: the timeout decides */ }
    }
  });
}

/** The last line of the batch log is an input line: a batch read its input and has not finished. */
const inBatch = (batchLog: string) => fs.existsSync(batchLog) && /^in /.test(fs.readFileSync(batchLog, "utf8").trimEnd().split("\n").at(-1) ?? "");

/** Resolves when a batch with input has started (its input is logged, its results not yet), or after `timeoutMs`. */
function batchStarted(batchLog: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    let watcher: fs.FSWatcher | undefined;
    const done = () => { clearTimeout(timer); watcher?.close(); resolve(); };
    const timer = setTimeout(done, timeoutMs);
    try {
      watcher = fs.watch(batchLog, () => { if (inBatch(batchLog)) done(); });
    } catch { /* no batch logged yet: the timeout decides */ }
  });
}

function tempFilesLeft(dir: string): number {
  return [dir, path.join(dir, "state")].filter((d) => fs.existsSync(d)).flatMap((d) => fs.readdirSync(d)).filter((f) => TEMP_FILE.test(f)).length;
}

/** One source's side of the harness: how it feeds the child and judges what was delivered. */
interface Feeder {
  config: Partial<ChildConfig>;
  /** Called once a checkpoint exists: the child's time grid and file threshold are durable. */
  begin(): void;
  /** Called after each kill, before the restart. */
  afterKill(): Promise<void>;
  /** Stops feeding and resolves once every record sent is delivered to the last run. */
  finish(): Promise<void>;
  /** Every record delivered, by id. */
  records(): Map<string, string>;
  close(): Promise<void>;
  stats(): string;
}

interface HarnessReport {
  kills: number;
  midCheckpointWrite: number;
  midBatch: number;
  restartMs: number[];
  result: AppResult & { index: number };
  /** The records of each batch, and each batch's results, as last logged. */
  assignment: Map<number, string[]>;
  outputs: Map<number, AppResult>;
}

async function runHarness(children: ChildPrograms, source: ChildConfig["source"], work: string, feeder: Feeder): Promise<HarnessReport> {
  const dir = path.join(work, "checkpoint");
  const config: ChildConfig = { source, dir, work, ...feeder.config };
  const stderr: string[] = [];
  const run = () => {
    const child = children.spawn("test/checkpoint/crash-app.ts", [JSON.stringify(config)]);
    child.stderr?.on("data", (d) => stderr.push(String(d)));
    return child;
  };
  const files = workFiles(work);
  let began = false;
  let midCheckpointWrite = 0;
  let midBatch = 0;
  let kills = 0;
  try {
    for (; kills < KILLS; kills++) {
      const child = run();
      if (kills % 3 === 0) {
        await sleep(randomBetween(150, 650));
      } else if (kills % 3 === 1) {
        await sleep(randomBetween(150, 400));
        await checkpointWriteStarted(dir, 600);
      } else {
        await sleep(randomBetween(150, 400));
        await batchStarted(files.batchLog, 600);
      }
      child.kill("SIGKILL");
      expect([kills, await waitExit(child)]).toEqual([kills, "SIGKILL"]);
      if (tempFilesLeft(dir) > 0) midCheckpointWrite++;
      // The last batch logged its input but not its results: the kill came in the middle of it.
      if (inBatch(files.batchLog)) midBatch++;
      await feeder.afterKill();
      if (!began && fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.startsWith("checkpoint-"))) {
        began = true;
        feeder.begin();
      }
    }
    expect(began).toBe(true);
    const last = run();
    await feeder.finish();
    fs.writeFileSync(files.stop, "");
    const deadline = setTimeout(() => last.kill("SIGKILL"), 30_000);
    const code = await waitExit(last);
    clearTimeout(deadline);
    expect([code, stderr.join("").split("\n").filter((l) => /Error|error/.test(l))]).toEqual([0, []]);
  } finally {
    await feeder.close();
  }
  const restartMs = fs.readFileSync(files.recoveryTimes, "utf8").trim().split("\n").filter((l) => l.startsWith("restart ")).map((l) => Number(l.split(" ")[1]));
  const result = JSON.parse(fs.readFileSync(files.result, "utf8")) as AppResult & { index: number };
  return { kills, midCheckpointWrite, midBatch, restartMs, result, ...effectiveLog(fs.readFileSync(files.batchLog, "utf8")) };
}

/**
 * The batch each record was finally processed in and each batch's results, from batches.log.
 * Each run starts with a `run <first batch>` line: it re-ran every batch from there on, so it
 * supersedes what earlier runs logged for those batches. Fails if a record is in two batches.
 */
function effectiveLog(log: string): { assignment: Map<number, string[]>; outputs: Map<number, AppResult> } {
  const batches = new Map<number, string[]>();
  const outputs = new Map<number, AppResult>();
  for (const line of log.split("\n")) {
    const run = /^run (\d+)$/.exec(line);
    if (run) {
      for (const map of [batches, outputs]) for (const i of [...map.keys()]) if (i >= Number(run[1])) map.delete(i);
      continue;
    }
    const input = /^in (\d+) (\S+)$/.exec(line);
    if (input) batches.set(Number(input[1]), input[2].split(","));
    const output = /^out (\d+) (\{.*\})$/.exec(line);
    if (output) outputs.set(Number(output[1]), JSON.parse(output[2]) as AppResult);
  }
  const seen = new Map<string, number>();
  const twice: string[] = [];
  for (const [i, ids] of batches) for (const id of ids) {
    if (seen.has(id)) twice.push(`${id} in batches ${seen.get(id)} and ${i}`);
    seen.set(id, i);
  }
  expect(twice).toEqual([]);
  return { assignment: batches, outputs };
}

/** Each batch's three results in an uninterrupted run, in virtual time, over `assignment` up to batch `index`. */
async function groundTruth(assignment: Map<number, string[]>, records: Map<string, string>, index: number): Promise<Map<number, AppResult>> {
  const clock = new engine.ManualClock(0);
  const ssc = new engine.StreamingContext({ appName: "truth", master: "local[2]", batchDuration: BATCH_MS, clock });
  ssc.checkpoint(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-truth-")));
  const batches = Array.from({ length: index }, (_, i) => (assignment.get(i + 1) ?? []).map((id) => records.get(id) as string));
  const results = new Map<number, AppResult>();
  buildApp(engine, new engine.TestInputStream(ssc, batches), { onResult: (time, r) => results.set(time / BATCH_MS, r) });
  ssc.start();
  await clock.advance(index * BATCH_MS);
  await ssc.stop();
  return results;
}

function wordCounts(lines: Iterable<string>): Pair[] {
  const counts = new Map<string, number>();
  for (const l of lines) for (const w of l.split(" ").slice(1)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return [...counts].sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** Runs the harness for one source and checks the final state against the ground truth. */
async function killAndCompare(children: ChildPrograms, source: ChildConfig["source"], work: string, feeder: Feeder): Promise<HarnessReport> {
  const report = await runHarness(children, source, work, feeder);
  const records = feeder.records();
  const { result, assignment } = report;
  // Every record delivered was processed in exactly one batch, and nothing else was.
  const assigned = [...assignment.values()].flat().sort();
  expect(assigned).toEqual([...records.keys()].sort());
  // No record lost, none counted twice: the totals are the word counts of all input.
  expect(result.totals).toEqual(wordCounts(records.values()));
  // Every batch's totals, window and sessions, as last output, equal an uninterrupted run's.
  const truth = await groundTruth(assignment, records, result.index);
  expect({ totals: result.totals, window: result.window, sessions: result.sessions }).toEqual(truth.get(result.index));
  const differing = [...report.outputs].filter(([i, r]) => JSON.stringify(r) !== JSON.stringify(truth.get(i))).map(([i, r]) => ({ batch: i, got: r, truth: truth.get(i) }));
  expect(differing).toEqual([]);
  expect(report.outputs.size).toBeGreaterThan(result.index / 2);
  const r = report.restartMs.sort((a, b) => a - b);
  process.stdout.write(`kill -9 harness [${source}]: ${report.kills} kills (${report.midBatch} mid-batch, ${report.midCheckpointWrite} left a torn checkpoint temp file), ${records.size} records, ` +
    `${result.totals.reduce((a, [, n]) => a + n, 0)} words counted over ${result.index} batches, ${feeder.stats()}` +
    `restart-to-first-batch ms: median ${r[r.length >> 1]}, max ${r.at(-1)} (${r.length} restarts)\n`);
  expect(report.kills).toBe(KILLS);
  return report;
}

/** The memory source: its input is fixed; only the checks matter. */
function memoryFeeder(): Feeder {
  const batches = memoryBatches(MEMORY_BATCHES);
  return {
    config: { numBatches: MEMORY_BATCHES },
    begin() {},
    async afterKill() {},
    async finish() { await sleep(200); },
    records: () => new Map(batches.flat().map((l) => [l.split(" ", 1)[0], l])),
    async close() {},
    stats: () => "",
  };
}

/**
 * The files source: every 40 ms a file of 1 to 3 records is written under a hidden name and
 * renamed into the directory (the way Spark wants files to arrive), also while the child is down.
 * A file in the directory is delivered: the directory is the replayable source.
 */
function filesFeeder(work: string): Feeder {
  const inputDir = path.join(work, "in");
  fs.mkdirSync(inputDir, { recursive: true });
  const records = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let k = 0;
  const writeFile = () => {
    const lines = Array.from({ length: 1 + (k % 3) }, (_, j) => recordLine(`f${k}x${j}`, k * 3 + j));
    const hidden = path.join(inputDir, `.f${k}`);
    fs.writeFileSync(hidden, lines.join("\n") + "\n");
    fs.renameSync(hidden, path.join(inputDir, `f${String(k).padStart(6, "0")}`));
    for (const l of lines) records.set(l.split(" ", 1)[0], l);
    k++;
  };
  return {
    config: { inputDir },
    begin() { timer = setInterval(writeFile, 40); },
    async afterKill() {},
    async finish() {
      await sleep(600);
      clearInterval(timer);
      await sleep(300);
    },
    records: () => records,
    async close() { clearInterval(timer); },
    stats: () => `${k} files, `,
  };
}

/**
 * The socket source, with the receiver write-ahead log on. A plain socket cannot be replayed, so
 * a line the receiver had read but not yet written to its WAL dies with the process. The rule:
 * the server sends lines `s<n> ...` in order; a line is delivered once it is durable, which the
 * harness learns from the child's acknowledgements (sent right after the WAL fsynced a block)
 * and, after each kill, by reading the WAL itself (a block fsynced just before the kill was never
 * acknowledged). The receiver stores lines in order, so the delivered lines are a prefix; after a
 * restart the server resends from the first line past that prefix. The ground truth is every
 * line sent, each counted once: a line lost from the WAL, or one resent although it was durable,
 * makes the totals differ.
 */
async function socketFeeder(work: string): Promise<Feeder> {
  const lines: string[] = [];
  let acked = -1;
  let delivered = -1;
  let nextToSend = 0;
  let resendFrom = 0;
  let resent = 0;
  let feeding = false;
  let tornTails = 0;
  let conn: net.Socket | undefined;
  let ackConn: net.Socket | undefined;
  const server = net.createServer((sock) => {
    conn?.destroy();
    conn = sock;
    nextToSend = resendFrom;
    sock.on("error", () => {});
    sock.on("close", () => { if (conn === sock) conn = undefined; });
  });
  const ackServer = net.createServer((sock) => {
    ackConn = sock;
    let rest = "";
    sock.on("data", (d) => {
      const parts = (rest + String(d)).split("\n");
      rest = parts.pop() as string;
      for (const p of parts) acked = Math.max(acked, Number(p));
    });
    sock.on("error", () => {});
  });
  const listen = (s: net.Server) => new Promise<number>((r) => s.listen(0, "127.0.0.1", () => r((s.address() as net.AddressInfo).port)));
  const [port, ackPort] = [await listen(server), await listen(ackServer)];
  const pump = setInterval(() => {
    if (!conn) return;
    const upTo = feeding ? nextToSend + 4 : Math.min(lines.length, nextToSend + 4);
    while (lines.length < upTo) lines.push(recordLine(`s${lines.length}`, lines.length));
    const batch = lines.slice(nextToSend, upTo);
    if (batch.length > 0) conn.write(batch.join("\n") + "\n");
    nextToSend = upTo;
  }, 20);
  const walDir = path.join(work, "checkpoint", "receivedData");
  /** The highest record number in the blocks of the write-ahead log (a torn tail is not durable). */
  const highestInWal = (): number => {
    const prev = setLogger({ warn: () => { tornTails++; }, info: () => {} });
    try {
      const segments = fs.existsSync(walDir) ? fs.readdirSync(walDir).filter((f) => f.startsWith("log-")) : [];
      return Math.max(-1, ...segments.flatMap((f) => readSegment(path.join(walDir, f)))
        .flatMap((r) => (r.kind === "block" ? (r.records as string[]).map((l) => Number(l.slice(1, l.indexOf(" ")))) : [])));
    } finally {
      setLogger(prev);
    }
  };
  return {
    config: { port, ackPort },
    begin() { feeding = true; },
    async afterKill() {
      // The acknowledgements the child wrote before it died are still in flight: read them all.
      const sock = ackConn;
      if (sock && !sock.destroyed) await new Promise((r) => { sock.once("close", r); setTimeout(r, 2000); });
      ackConn = undefined;
      delivered = Math.max(delivered, acked, highestInWal());
      resendFrom = delivered + 1;
      resent += Math.max(0, nextToSend - resendFrom);
      conn?.destroy();
      conn = undefined;
    },
    async finish() {
      await sleep(400);
      feeding = false;
      await waitUntil(() => acked >= lines.length - 1, `all ${lines.length} lines durable (acknowledged up to ${acked})`, 20_000);
    },
    records: () => new Map(lines.map((l) => [l.split(" ", 1)[0], l])),
    async close() {
      clearInterval(pump);
      conn?.destroy();
      ackConn?.destroy();
      await Promise.all([server, ackServer].map((s) => new Promise((r) => s.close(r))));
    },
    stats: () => `${resent} lines resent after kills, ${tornTails} torn WAL tails found, `,
  };
}

describe("kill -9 harness", () => {
  let children: ChildPrograms;
  beforeAll(() => { children = transpileForChildren(["test/checkpoint/crash-app.ts"]); });

  it(`memory input: ${KILLS} kills, the final state equals the ground truth`, async () => {
    const report = await killAndCompare(children, "memory", workDir("memory"), memoryFeeder());
    // The replayable input puts every record in its own batch, whatever the kills.
    const expected = memoryBatches(MEMORY_BATCHES).map((b, i) => [i + 1, b.map((l) => l.split(" ", 1)[0])] as const).filter(([, ids]) => ids.length > 0);
    expect([...report.assignment].sort((a, b) => a[0] - b[0])).toEqual(expected);
  }, 90_000);

  it(`textFileStream: ${KILLS} kills while files keep arriving; no record lost, none counted twice`, async () => {
    const work = workDir("files");
    await killAndCompare(children, "files", work, filesFeeder(work));
  }, 90_000);

  it(`socketTextStream with the WAL: ${KILLS} kills; every durable line counted once, undelivered ones resent`, async () => {
    const work = workDir("socket");
    await killAndCompare(children, "socket", work, await socketFeeder(work));
  }, 90_000);
});
