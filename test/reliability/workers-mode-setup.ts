/**
 * Jest setup for the worker equivalence test (worker-equivalence.test.ts), which runs the golden
 * and lecture suites with this file: `STREAMLAB_WORKERS=on` sends every map task that may go to
 * a worker thread there (no size or cost threshold), `off` keeps every task on the main thread.
 * Every print() output is appended, with its test's name, to `STREAMLAB_EQUIVALENCE_OUT`, and
 * after each suite the number of map tasks workers ran.
 */
import * as fs from "fs";
import * as os from "os";
import { mapTaskCounts, workerTuning } from "../../engine/executor/parallel-map-stage";
import { TaskWorkerPool } from "../../engine/executor/worker-pool";
import { outputHooks } from "../../engine/output-hooks";

const mode = process.env.STREAMLAB_WORKERS;
const out = process.env.STREAMLAB_EQUIVALENCE_OUT as string;

if (mode === "on") {
  Object.assign(workerTuning, { minTaskRecords: 1, minNanosPerRecord: 0, minCostOverCopy: 0 });
  // local[2] gets one worker thread only where there is a second core: pretend there is.
  if (os.cpus().length < 2) {
    const cpus = os.cpus();
    (os as { cpus: () => os.CpuInfo[] }).cpus = () => [...cpus, ...cpus];
  }
} else if (mode === "off") {
  workerTuning.minTaskRecords = Infinity;
}

outputHooks.createPrintSink = () => (text) => {
  fs.appendFileSync(out, JSON.stringify({ test: expect.getState().currentTestName, text }) + "\n");
  process.stdout.write(text);
};

afterAll(async () => {
  fs.appendFileSync(out, JSON.stringify({ posted: mapTaskCounts.posted, ranOnWorker: mapTaskCounts.ranOnWorker }) + "\n");
  await TaskWorkerPool.shutdown();
});
