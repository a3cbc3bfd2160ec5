import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { mapTaskCounts, workerTuning } from "../../engine/executor/parallel-map-stage";
import { TaskWorkerPool } from "../../engine/executor/worker-pool";
import { RDD, RDDContext } from "../../engine/rdd/rdd";

// One result whichever thread runs a task (issue 22, finding 5). A function goes to a worker only
// when it means the same there: a user's binding that shadows a built-in keeps it on the main
// thread, and workers compile strict code (a task that throws there runs again here, in the
// function's own mode). Then the golden and lecture suites, run with workers forced on and forced
// off, must print the same, output for output.

const ROOT = path.resolve(__dirname, "..", "..");
const onMain: RDDContext = { defaultParallelism: 2, parallelismIsSet: false, workerThreads: 0 };
const withWorker: RDDContext = { defaultParallelism: 2, parallelismIsSet: false, workerThreads: 1 };
const saved = { ...workerTuning };

beforeAll(async () => {
  Object.assign(workerTuning, { minTaskRecords: 1, minNanosPerRecord: 0, minCostOverCopy: 0 });
  await TaskWorkerPool.get(1)?.ready();
});
afterAll(async () => {
  Object.assign(workerTuning, saved);
  await TaskWorkerPool.shutdown();
});

/** Six partitions of 2000 numbers: 0..11999 in order. */
const numbers = Array.from({ length: 6 }, (_, p) => Array.from({ length: 2000 }, (_, i) => p * 2000 + i));
const add = (a: number, b: number) => a + b;

/** `job` on the main thread alone and with a worker: its outputs or its error, and the tasks a worker ran. */
function both<T>(job: (ctx: RDDContext) => RDD<T>): { alone: unknown; shared: unknown; ranOnWorker: number } {
  const run = (ctx: RDDContext) => { try { return job(ctx).partitions; } catch (e) { return `threw ${(e as Error).message}`; } };
  const alone = run(onMain);
  const before = mapTaskCounts.ranOnWorker;
  const shared = run(withWorker);
  return { alone, shared, ranOnWorker: mapTaskCounts.ranOnWorker - before };
}

describe("a function runs on a worker only when it means the same there", () => {
  it("a user's `const Math` shadowing the built-in keeps the function on the main thread", () => {
    const Math = { floor: (_x: number) => -1 };
    for (let run = 0; run < 3; run++) {
      const { alone, shared, ranOnWorker } = both((ctx) => new RDD(numbers, ctx).map((x): [number, number] => [Math.floor(x / 3), 1]).reduceByKey(add));
      expect((alone as unknown[][]).flat()).toEqual([[-1, 12000]]);
      expect(shared).toEqual(alone);
      expect(ranOnWorker).toBe(0);
    }
  });

  it("the same function without the shadowing binding does go to a worker, with the same output", () => {
    // The main thread takes every task a worker has not claimed yet, so on a loaded machine (a
    // clean clone's full run) a few runs can pass with none on a worker: up to ten runs, stopping
    // at the first a worker took part in. Every run's output is compared.
    let ranOnWorker = 0;
    for (let run = 0; run < 10 && ranOnWorker === 0; run++) {
      const r = both((ctx) => new RDD(numbers, ctx).map((x): [number, number] => [Math.floor(x / 3) % 5, 1]).reduceByKey(add));
      expect(r.shared).toEqual(r.alone);
      ranOnWorker += r.ranOnWorker;
    }
    expect(ranOnWorker).toBeGreaterThan(0);
  });

  it("strict code (this file is 'use strict'): a write to a frozen array throws on every thread", () => {
    // Only the last partition writes: tasks are posted last first, so a worker takes it while
    // this thread works through the five big ones before it.
    const parts = [...Array.from({ length: 5 }, (_, p) => Array.from({ length: 30_000 }, (_, i) => p * 30_000 + i)), Array.from({ length: 100 }, (_, i) => 1_000_000 + i)];
    for (let run = 0; run < 3; run++) {
      const r = both((ctx) => new RDD(parts, ctx).map((x): [number, number] => {
        const cell = Object.freeze([x % 7]);
        if (x >= 1_000_000) (cell as number[])[0] = 99;
        return [cell[0], 1];
      }).reduceByKey(add));
      expect(r.alone).toBe("threw Cannot assign to read only property '0' of object '[object Array]'");
      // The task that threw on the worker ran again here, strict as written, and threw the same.
      expect(r.shared).toEqual(r.alone);
    }
  });

  it("sloppy code: the same write is ignored on every thread", () => {
    // new Function compiles sloppy code, whatever the mode of this file.
    const sloppy = new Function("x", "var cell = Object.freeze([x % 7]); if (x >= 2000) cell[0] = 99; return [cell[0], 1];") as (x: number) => [number, number];
    const r = both((ctx) => new RDD(numbers, ctx).map(sloppy).reduceByKey(add));
    expect((r.alone as Array<[number, number]>[]).flat().sort((a, b) => a[0] - b[0])).toEqual([[0, 1715], [1, 1715], [2, 1714], [3, 1714], [4, 1714], [5, 1714], [6, 1714]]);
    expect(r.shared).toEqual(r.alone);
  });
});

describe("the golden and lecture suites print the same with workers forced on and forced off", () => {
  it("every print() output of every test is identical, and workers did run tasks when on", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-equivalence-"));
    const runSuites = (mode: "on" | "off") => {
      const out = path.join(dir, `${mode}.jsonl`);
      const res = spawnSync(process.execPath, [
        path.join(ROOT, "node_modules", "jest", "bin", "jest.js"), "test/spark-golden", "test/lecture", "--runInBand", "--ci",
        "--setupFilesAfterEnv", path.join(__dirname, "workers-mode-setup.ts"),
      ], { cwd: ROOT, env: { ...process.env, STREAMLAB_WORKERS: mode, STREAMLAB_EQUIVALENCE_OUT: out }, encoding: "utf8", timeout: 300_000 });
      expect({ mode, status: res.status, tail: res.status === 0 ? "" : res.stderr.slice(-3000) }).toEqual({ mode, status: 0, tail: "" });
      const lines = fs.readFileSync(out, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
      const prints = new Map<string, string>();
      for (const l of lines) if (l.test !== undefined) prints.set(l.test, (prints.get(l.test) ?? "") + l.text);
      const counts = lines.filter((l) => l.posted !== undefined);
      return { prints, posted: counts.reduce((n, c) => n + c.posted, 0), ranOnWorker: counts.reduce((n, c) => n + c.ranOnWorker, 0) };
    };
    const on = runSuites("on");
    const off = runSuites("off");
    expect(off.posted).toBe(0);
    expect(on.ranOnWorker).toBeGreaterThan(0);
    expect(on.prints.size).toBeGreaterThan(20);
    expect([...on.prints.keys()].sort()).toEqual([...off.prints.keys()].sort());
    for (const [test, text] of off.prints) expect({ test, text: on.prints.get(test) }).toEqual({ test, text });
    process.stdout.write(`worker equivalence: ${on.prints.size} tests' print output identical; ${on.ranOnWorker} map tasks ran on workers when on\n`);
  }, 600_000);
});
