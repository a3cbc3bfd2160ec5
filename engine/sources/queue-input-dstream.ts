import { Errors } from "../errors/messages";
import { RDD } from "../rdd/rdd";
import type { StreamingContext } from "../streaming-context";
import { InputDStream } from "../dstream/input-dstream";

/**
 * Spark's queueStream: each batch dequeues one RDD (or all of them), or uses the default / an
 * empty RDD when the queue is empty. Plain arrays are parallelized, as pyspark does. Anything
 * else (a string would be split into characters, null would fail deep inside a batch) is refused
 * with STREAM_ERR_QUEUE_ELEMENT: at queueStream() for what is queued then, in the batch that takes
 * it for what is pushed later.
 */
export class QueueInputDStream<T> extends InputDStream<T> {
  constructor(ssc: StreamingContext, private readonly queue: Array<RDD<T> | T[]>, private readonly oneAtATime: boolean, private readonly defaultRDD?: RDD<T> | T[]) {
    if (!Array.isArray(queue)) throw Errors.badArgument("queueStream's queue", queue, "must be an array of RDDs or arrays of records");
    queue.forEach((x, i) => checkElement(x, i));
    if (defaultRDD !== undefined && defaultRDD !== null) checkElement(defaultRDD, -1);
    super(ssc);
  }

  protected compute(time: number): RDD<T> {
    const taken = this.oneAtATime ? this.queue.splice(0, 1) : this.queue.splice(0);
    taken.forEach((x, i) => checkElement(x, i));
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

/** Throws STREAM_ERR_QUEUE_ELEMENT unless `x` is an RDD or an array (`index` -1: the default RDD). */
function checkElement(x: unknown, index: number): void {
  if (!(x instanceof RDD) && !Array.isArray(x)) throw Errors.badQueueElement(index, x);
}
