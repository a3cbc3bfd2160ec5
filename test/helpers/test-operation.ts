import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DStream, ManualClock, RDD, StreamingContext, TestInputStream } from "../../engine";

/** Options of a golden batch test. */
export interface TestOperationOptions {
  /** Batch interval in ms (default 1000). */
  batchDuration?: number;
  /** How many batches to run (default: the number of expected batches). */
  numBatches?: number;
  /** Compare each batch as a multiset instead of in order (default false: Spark's exact order). */
  ordered?: boolean;
  /** master, default local[2]. */
  master?: string;
  /** Partitions of each input batch (default 2, as Spark's TestSuiteBase). */
  inputPartitions?: number;
  /** Set a checkpoint directory (a fresh temp dir) before start (default true). */
  checkpoint?: boolean;
  /** Extra configuration. */
  conf?: Record<string, string | number | boolean>;
}

/** The clock every golden test starts at: batch times are then 1000, 2000, ... after zero. */
export const TEST_START = 0;

/**
 * Spark's `testOperation`: feeds `input[i]` as the i-th batch, applies `op`, runs the batches on a
 * ManualClock and returns what the output stream produced per batch (collected in order).
 */
export async function runOperation<T, U>(
  input: T[][],
  op: (s: DStream<T>, ssc: StreamingContext) => DStream<U>,
  numBatches: number,
  options: TestOperationOptions = {},
): Promise<U[][]> {
  const { ssc, clock, output } = setupOperation(input, op, options);
  ssc.start();
  try {
    await clock.advance(numBatches * (options.batchDuration ?? 1000));
  } finally {
    await ssc.stop();
  }
  return output.map((o) => o.items);
}

/** Runs a golden test and asserts the output batches. */
export async function testOperation<T, U>(input: T[][], op: (s: DStream<T>, ssc: StreamingContext) => DStream<U>, expected: U[][], options: TestOperationOptions = {}): Promise<void> {
  const got = await runOperation(input, op, options.numBatches ?? expected.length, options);
  if (options.ordered === false) {
    const norm = (b: U[][]) => b.map((batch) => batch.map((x) => JSON.stringify(x)).sort());
    expect(norm(got)).toEqual(norm(expected));
  } else {
    expect(toPlain(got)).toEqual(toPlain(expected));
  }
}

/** Builds a context on a ManualClock at TEST_START with a TestInputStream and an output collector. */
export function setupOperation<T, U>(input: T[][], op: (s: DStream<T>, ssc: StreamingContext) => DStream<U>, options: TestOperationOptions = {}) {
  const clock = new ManualClock(TEST_START);
  const ssc = new StreamingContext({ appName: "test", master: options.master ?? "local[2]", batchDuration: options.batchDuration ?? 1000, clock, conf: options.conf });
  if (options.checkpoint !== false) ssc.checkpoint(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-test-")));
  const inputStream = new TestInputStream<T>(ssc, input, options.inputPartitions ?? 2);
  const out = op(inputStream, ssc);
  const output: { time: number; items: U[] }[] = [];
  out.foreachRDD((rdd: RDD<U>, time) => { output.push({ time: time.milliseconds, items: rdd.collect() }); });
  return { ssc, clock, output, inputStream };
}

/** Arrays of arrays with CompactBuffers etc. turned into plain arrays, for toEqual. */
export function toPlain<V>(v: V): V {
  return JSON.parse(JSON.stringify(v, (_k, x) => (x === undefined ? "__undefined__" : x))) as V;
}
