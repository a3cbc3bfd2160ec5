import { InputDStream } from "../dstream/input-dstream";
import { RDD } from "../rdd/rdd";
import type { StreamingContext } from "../streaming-context";

/**
 * A replayable in-memory source for tests (Spark's TestInputStream): the i-th batch after start
 * holds `batches[i]` (empty past the end). Unlike queueStream it is a pure function of the batch
 * time, so it works with checkpointing and recovery.
 *
 * @example
 * const input = new TestInputStream(ssc, [["a", "b"], [], ["a"]]);
 */
export class TestInputStream<T> extends InputDStream<T> {
  /**
   * @param batches the elements of each batch, in order
   * @param numPartitions partitions per batch (default 2, as Spark's TestSuiteBase)
   */
  constructor(ssc: StreamingContext, private readonly batches: readonly (readonly T[])[], private readonly numPartitions = 2) {
    super(ssc);
  }

  protected compute(time: number): RDD<T> {
    const index = Math.round((time - (this.zeroTime as number)) / this.slideDuration) - 1;
    const rdd = this.ssc.parallelize(this.batches[index] ?? [], this.numPartitions);
    this.reportInput(time, rdd);
    return rdd;
  }
}
