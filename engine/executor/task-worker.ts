/**
 * A worker thread that runs map tasks with map-side combining (worker-pool.ts starts it): it
 * rebuilds the task's narrow chain from the functions' sources, confined to the sandbox, runs
 * the same combineMapTask as the main thread, and posts the map output on its result port, then
 * bumps the shared signal the main thread waits on.
 */
import { MessagePort, parentPort, workerData } from "worker_threads";
import { combineMapTask } from "../rdd/map-side-combine";
import type { NarrowKind, NarrowRecipe } from "../rdd/narrow-steps";
import { HashPartitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import { unjoinedPartition } from "./joined-strings";
import { CLAIM_FREE, CLAIM_WORKER, MapTaskMessage, MapTaskResult } from "./protocol";
import { NotShippable, sandboxed } from "./sandbox";

const { results, signal } = workerData as { results: MessagePort; signal: Int32Array };

parentPort?.on("message", (task: MapTaskMessage) => {
  let result: MapTaskResult;
  if (Atomics.compareExchange(task.claims, task.task, CLAIM_FREE, CLAIM_WORKER) !== CLAIM_FREE) {
    result = { dispatch: task.dispatch, task: task.task, skipped: true };
  } else {
    result = run(task);
  }
  try {
    results.postMessage(result);
  } catch (e) {
    // An output that cannot be cloned (a function or symbol in a combiner): the main thread runs it.
    results.postMessage({ dispatch: task.dispatch, task: task.task, failed: String(e) });
  }
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});

function run(task: MapTaskMessage): MapTaskResult {
  try {
    const recipes: NarrowRecipe[] = task.recipes.map((r) => ({ kind: r.kind as NarrowKind, fn: sandboxed(r.src) }));
    let records = task.records;
    if (!Array.isArray(records)) {
      const { chunks, recipe } = unjoinedPartition(records);
      records = chunks;
      recipes.unshift(recipe);
    }
    const mergeValue = sandboxed(task.mergeValue);
    const agg = { createCombiner: sandboxed(task.createCombiner), mergeValue, mergeCombiners: mergeValue };
    // The task's one partition is partition 0 of the rebuilt RDD.
    const source = RDD.fromRecipes(records, recipes) as RDD<readonly [unknown, unknown]>;
    const output = combineMapTask(source, 0, agg, new HashPartitioner(task.numPartitions), task.op);
    return { dispatch: task.dispatch, task: task.task, output };
  } catch (e) {
    return {
      dispatch: task.dispatch,
      task: task.task,
      failed: e instanceof Error ? e.message : String(e),
      notShippable: e instanceof NotShippable ? e.src : undefined,
    };
  }
}
