import * as v8 from "v8";
import type { Pipeline, RDD } from "../rdd/rdd";
import { combineMapTask } from "../rdd/map-side-combine";
import { HashPartitioner, Partitioner } from "../rdd/partitioner";
import type { NarrowRecipe } from "../rdd/narrow-steps";
import type { Aggregator } from "../rdd/shuffle";
import { unpackSegment } from "../receiver/packed-lines";
import { concatSegments } from "./concatenated-segments";
import { JoinedStrings, joinStrings } from "./joined-strings";
import { CLAIM_FREE, CLAIM_MAIN, MapTaskMessage } from "./protocol";
import { markNotShippable, shippableSource } from "./shippable";
import { TaskWorkerPool } from "./worker-pool";

/**
 * When a map stage goes to worker threads: a task must read at least `minTaskRecords` records and
 * cost, per record, at least `minCostOverCopy` times what copying a record to a worker costs the
 * main thread (measured on a sample of the task's records: about 40 ns for a 15-character sales
 * line, 75 ns for a 100-byte line). So a cheap filter stays here, and a parser of short lines goes.
 * `minNanosPerRecord` is an absolute floor. @internal
 */
export const workerTuning = { minTaskRecords: 10_000, minCostOverCopy: 3, minNanosPerRecord: 100 };

/** Map tasks so far: posted to workers, and of those, run by a worker or run here after all. @internal */
export const mapTaskCounts = { posted: 0, ranOnWorker: 0, ranHereAfterPosting: 0 };

type Output<K, C> = [K, C][][];

/**
 * The map stage of a shuffle with map-side combining: every map task's output, in map order.
 * The main thread runs task 0 and times it; when the tasks are costly enough, their functions
 * self-contained (shippable.ts) and the partitioner a HashPartitioner, the later tasks are posted
 * to worker threads while the main thread works forward from task 1, taking any posted task no
 * worker has started. A worker runs the very same combineMapTask on a copy of the records, so
 * every output is what the main thread would have written. A task that fails on a worker (a
 * function that names a variable, a bad record, a user function that throws) is run again here,
 * as Spark retries a failed task, and any error then comes from here.
 */
export function runMapStage<K, V, C>(
  source: RDD<readonly [K, V]>,
  agg: Aggregator<V, C>,
  partitioner: Partitioner,
  op: string,
): Output<K, C>[] {
  const n = source.numPartitions;
  const outputs: Output<K, C>[] = new Array(n);
  const local = (m: number) => { outputs[m] = combineMapTask(source, m, agg, partitioner, op); };
  const threads = source.context.workerThreads ?? 0;
  const plan = threads > 0 && n > 1 ? shipPlan(source, agg, partitioner) : undefined;
  if (plan === undefined) {
    for (let m = 0; m < n; m++) local(m);
    return outputs;
  }
  // A stage whose functions paid off on the last batch posts at once, so workers start with task 0.
  const stage = plan.stageKey;
  let posted = paidLastTime.has(stage) ? postTasks(plan, threads, partitioner, op) : undefined;
  const started = process.hrtime.bigint();
  local(0);
  const { records: elements, recordCount: records } = plan.first;
  const nanosPerRecord = Number(process.hrtime.bigint() - started) / records;
  const pays = records >= workerTuning.minTaskRecords && nanosPerRecord >= workerTuning.minNanosPerRecord
    && copyCostAtMost(plan, elements, records, workerTuning.minCostOverCopy > 0 ? nanosPerRecord / workerTuning.minCostOverCopy : Infinity);
  if (pays) paidLastTime.add(stage);
  else paidLastTime.delete(stage);
  if (posted === undefined && pays) posted = postTasks(plan, threads, partitioner, op);
  if (posted === undefined) {
    for (let m = 1; m < n; m++) local(m);
    return outputs;
  }
  const { pool, dispatch, claims, remote } = posted;
  mapTaskCounts.posted += remote.size;
  for (let m = 1; m < n; m++) {
    if (!remote.has(m)) local(m);
    else if (Atomics.compareExchange(claims, m, CLAIM_FREE, CLAIM_MAIN) === CLAIM_FREE) { local(m); mapTaskCounts.ranHereAfterPosting++; }
  }
  for (const r of pool.awaitResults(dispatch, remote.size)) {
    if (r.output) { outputs[r.task] = r.output as Output<K, C>; mapTaskCounts.ranOnWorker++; }
    if (r.notShippable !== undefined) for (const f of plan.userFunctions) if (shippableSource(f) === r.notShippable) markNotShippable(f);
  }
  // Failed on a worker, or never answered (a worker died): run here, in task order.
  for (const m of [...remote].sort((a, b) => a - b)) if (outputs[m] === undefined) { local(m); mapTaskCounts.ranHereAfterPosting++; }
  return outputs;
}

/** Per stage (by its `stageKey`): the lowest cost of copying one of its records timed so far. */
const copyCosts = new WeakMap<object, number>();

/**
 * True when copying a record of the plan's stage costs at most `nanos`. Timed on the first batch,
 * and again only while it looks dearer (a first timing can be cold), so a stage that pays costs
 * no timing on later batches.
 */
function copyCostAtMost(plan: ShipPlan, elements: readonly unknown[], records: number, nanos: number): boolean {
  let best = copyCosts.get(plan.stageKey) ?? Infinity;
  if (best > nanos) {
    best = Math.min(best, copyNanosPerRecord(plan, elements, records));
    copyCosts.set(plan.stageKey, best);
  }
  return best <= nanos;
}

/**
 * What posting one of `records` to a worker costs this thread, per record: the time to put a
 * sample of them in the form they are posted in and, unless that form is transferred, serialize
 * it, as postMessage does (the faster of two tries: a single one is noisy).
 */
function copyNanosPerRecord(plan: ShipPlan, elements: readonly unknown[], records: number): number {
  const sample = elements.slice(0, COPY_SAMPLE);
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const started = process.hrtime.bigint();
    const shipped = shippedRecords(plan, sample);
    if (shipped.transfer.length === 0) v8.serialize(shipped.records);
    best = Math.min(best, Number(process.hrtime.bigint() - started));
  }
  return best / Math.max(1, (sample.length * records) / Math.max(1, elements.length));
}

const COPY_SAMPLE = 2000;

/** Stages (by their `stageKey`) whose map tasks were worth posting on their last run. */
const paidLastTime = new WeakSet<object>();

interface PostedTasks {
  pool: TaskWorkerPool;
  dispatch: number;
  /** Per task: who runs it (protocol.ts). */
  claims: Int32Array;
  /** The tasks posted to workers. */
  remote: Set<number>;
}

/**
 * Posts the stage's last tasks, last first, so that workers and this thread meet in the middle.
 * A task on another chain than task 0's (the other side of a union) stays here.
 */
function postTasks(plan: ShipPlan, threads: number, partitioner: Partitioner, op: string): PostedTasks | undefined {
  const pool = TaskWorkerPool.get(threads);
  if (pool === undefined) return undefined;
  const n = plan.source.numPartitions;
  // Only now, when tasks are posted, is each task's pipeline looked up.
  const candidates: [number, Pipeline][] = [];
  for (let m = 1; m < n; m++) {
    const task = plan.source.pipelineOf(m);
    if (task !== undefined && sameChain(task.recipes, plan.first.recipes)) candidates.push([m, task]);
  }
  const workers = pool.size;
  // Of the k tasks on task 0's chain, workers take k·w/(w+1): as many each as this thread.
  const count = Math.min(candidates.length, Math.ceil(((candidates.length + 1) * workers) / (workers + 1)));
  const claims = new Int32Array(new SharedArrayBuffer(4 * n));
  const dispatch = pool.newDispatch();
  const remote = new Set<number>();
  for (let c = candidates.length - 1, i = 0; c >= candidates.length - count; c--, i++) {
    const [m, task] = candidates[c];
    const { records, transfer } = shippedRecords(plan, task.records);
    if (pool.post(i, { dispatch, task: m, claims, ...plan.functions, numPartitions: partitioner.numPartitions, op, records }, transfer)) remote.add(m);
  }
  return { pool, dispatch, claims, remote };
}

interface ShipPlan {
  /** What the stage's map tasks read. */
  source: RDD<unknown>;
  /** Task 0's pipeline: tasks on its chain may go to workers; the others stay here. */
  first: Pipeline;
  functions: Pick<MapTaskMessage, "recipes" | "createCombiner" | "mergeValue">;
  userFunctions: object[];
  /** The stage's own function, the same on every batch (a chain's first may be the engine's unpackSegment). */
  stageKey: object;
  /** The chain starts by decoding a socket block's segments: they are posted as one buffer (concatenated-segments.ts). */
  decodesSegments: boolean;
}

/** What a worker needs to run the stage's map tasks, or undefined when some of it cannot go. */
function shipPlan<K, V, C>(source: RDD<readonly [K, V]>, agg: Aggregator<V, C>, partitioner: Partitioner): ShipPlan | undefined {
  if (partitioner.constructor !== HashPartitioner) return undefined;
  const pipeline = source.pipelineOf(0);
  if (pipeline === undefined) return undefined;
  const recipes: { kind: string; src: string }[] = [];
  for (const r of pipeline.recipes) {
    const src = shippableSource(r.fn);
    if (src === undefined) return undefined;
    recipes.push({ kind: r.kind, src });
  }
  const createCombiner = shippableSource(agg.createCombiner);
  const mergeValue = shippableSource(agg.mergeValue);
  if (createCombiner === undefined || mergeValue === undefined) return undefined;
  const userFunctions = [...pipeline.recipes.map((r) => r.fn), agg.createCombiner, agg.mergeValue];
  const stageKey = pipeline.recipes.length > 0 ? pipeline.recipes[pipeline.recipes.length - 1].fn : agg.mergeValue;
  const decodesSegments = pipeline.recipes.length > 0 && pipeline.recipes[0].kind === "flatMap" && pipeline.recipes[0].fn === unpackSegment;
  return { source: source as RDD<unknown>, first: pipeline, functions: { recipes, createCombiner, mergeValue }, userFunctions, stageKey, decodesSegments };
}

/** A task's records as they are posted, and what goes by transfer: segments to decode as one new buffer, strings joined. */
function shippedRecords(plan: ShipPlan, records: unknown[]): { records: unknown[] | JoinedStrings; transfer: ArrayBuffer[] } {
  if (plan.decodesSegments && records.every((r) => ArrayBuffer.isView(r))) {
    const whole = concatSegments(records as Uint8Array[]);
    return { records: [whole], transfer: [whole.buffer as ArrayBuffer] };
  }
  return { records: joinStrings(records) ?? records, transfer: [] };
}

function sameChain(a: readonly NarrowRecipe[], b: readonly NarrowRecipe[]): boolean {
  return a.length === b.length && a.every((r, i) => r.fn === b[i].fn && r.kind === b[i].kind);
}
