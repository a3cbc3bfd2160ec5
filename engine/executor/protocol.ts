/** The messages between the main thread and a map-task worker (worker-pool.ts, task-worker.ts). */

import type { JoinedStrings } from "./joined-strings";

/** A map task with map-side combining, as its shipped functions and its partition's records. */
export interface MapTaskMessage {
  /** Which dispatch (one shuffle's map stage) the task belongs to. */
  dispatch: number;
  task: number;
  /** Per task: 0 free, 1 taken by a worker, 2 taken by the main thread (SharedArrayBuffer). */
  claims: Int32Array;
  recipes: { kind: string; src: string }[];
  createCombiner: string;
  mergeValue: string;
  numPartitions: number;
  op: string;
  /** The partition's records; when all are strings, joined (joined-strings.ts). */
  records: unknown[] | JoinedStrings;
}

/** A task's outcome: its map output, or why the main thread must run it. */
export interface MapTaskResult {
  dispatch: number;
  task: number;
  /** What map-side combine wrote for each reduce partition. */
  output?: unknown[][];
  /** The main thread took the task first. */
  skipped?: boolean;
  /** The task failed here; the main thread runs it (and reports any error of the user's function). */
  failed?: string;
  /** The source of a function that named something outside the sandbox: never ship it again. */
  notShippable?: string;
}

export const CLAIM_FREE = 0;
export const CLAIM_WORKER = 1;
export const CLAIM_MAIN = 2;
