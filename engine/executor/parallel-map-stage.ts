import type { RDD } from "../rdd/rdd";
import { combineMapTask } from "../rdd/map-side-combine";
import { HashPartitioner, Partitioner } from "../rdd/partitioner";
import type { Aggregator } from "../rdd/shuffle";
import { CLAIM_FREE, CLAIM_MAIN, MapTaskMessage } from "./protocol";
import { markNotShippable, shippableSource } from "./shippable";
import { TaskWorkerPool } from "./worker-pool";

/**
 * When a map stage goes to worker threads: a task must read at least `minTaskRecords` records and
 * cost at least `minNanosPerRecord` on the main thread. Copying a 100-byte record to a worker
 * costs the main thread about 90 ns, so cheap per-record work (a filter) stays here. @internal
 */
export const workerTuning = { minTaskRecords: 10_000, minNanosPerRecord: 250 };

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
  const stage = plan.userFunctions[0];
  let posted = paidLastTime.has(stage) ? postTasks(plan, threads, partitioner, op) : undefined;
  const started = process.hrtime.bigint();
  local(0);
  const records = plan.base.partitions[0].length;
  const pays = records >= workerTuning.minTaskRecords && Number(process.hrtime.bigint() - started) / records >= workerTuning.minNanosPerRecord;
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

/** Stages (by their first function) whose map tasks were worth posting on their last run. */
const paidLastTime = new WeakSet<object>();

interface PostedTasks {
  pool: TaskWorkerPool;
  dispatch: number;
  /** Per task: who runs it (protocol.ts). */
  claims: Int32Array;
  /** The tasks posted to workers. */
  remote: Set<number>;
}

/** Posts the stage's last tasks, last first, so that workers and this thread meet in the middle. */
function postTasks(plan: ShipPlan, threads: number, partitioner: Partitioner, op: string): PostedTasks | undefined {
  const pool = TaskWorkerPool.get(threads);
  if (pool === undefined) return undefined;
  const n = plan.base.partitions.length;
  const workers = pool.size;
  const count = Math.min(n - 1, Math.ceil((n * workers) / (workers + 1)));
  const claims = new Int32Array(new SharedArrayBuffer(4 * n));
  const dispatch = pool.newDispatch();
  const remote = new Set<number>();
  for (let m = n - 1, i = 0; m >= n - count; m--, i++) {
    const records = plan.base.partitions[m];
    if (pool.post(i, { dispatch, task: m, claims, ...plan.functions, numPartitions: partitioner.numPartitions, op, records })) remote.add(m);
  }
  return { pool, dispatch, claims, remote };
}

interface ShipPlan {
  base: RDD<unknown>;
  functions: Pick<MapTaskMessage, "recipes" | "createCombiner" | "mergeValue">;
  userFunctions: object[];
}

/** What a worker needs to run the stage's map tasks, or undefined when some of it cannot go. */
function shipPlan<K, V, C>(source: RDD<readonly [K, V]>, agg: Aggregator<V, C>, partitioner: Partitioner): ShipPlan | undefined {
  if (partitioner.constructor !== HashPartitioner) return undefined;
  const pipeline = source.pipeline();
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
  return { base: pipeline.base, functions: { recipes, createCombiner, mergeValue }, userFunctions };
}
