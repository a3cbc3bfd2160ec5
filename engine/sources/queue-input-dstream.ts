import { RDD } from "../rdd/rdd";
import type { StreamingContext } from "../streaming-context";
import { InputDStream } from "../dstream/input-dstream";

/**
 * Spark's queueStream: each batch dequeues one RDD (or all of them), or uses the default / an
 * empty RDD when the queue is empty. Plain arrays are parallelized, as pyspark does.
 */
export class QueueInputDStream<T> extends InputDStream<T> {
  constructor(ssc: StreamingContext, private readonly queue: Array<RDD<T> | T[]>, private readonly oneAtATime: boolean, private readonly defaultRDD?: RDD<T> | T[]) {
    super(ssc);
  }

  protected compute(time: number): RDD<T> {
    const taken = this.oneAtATime ? this.queue.splice(0, 1) : this.queue.splice(0);
    let rdd: RDD<T>;
    if (taken.length > 0) {
      const rdds = taken.map((x) => this.toRDD(x));
      rdd = rdds.length === 1 ? rdds[0] : new RDD(rdds.flatMap((r) => r.partitions), this.ssc.rddContext);
    } else {
      rdd = this.defaultRDD ? this.toRDD(this.defaultRDD) : this.ssc.emptyRDD<T>();
    }
    this.reportInput(time, rdd);
    return rdd;
  }

  private toRDD(x: RDD<T> | T[]): RDD<T> {
    return x instanceof RDD ? x : this.ssc.parallelize(x);
  }
}
