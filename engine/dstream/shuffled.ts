import { Partitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import { Aggregator } from "../rdd/shuffle";
import { DStream } from "./dstream";
import { OneParentDStream } from "./one-parent-dstream";

/** Per-batch `combineByKey` (Spark's ShuffledDStream): the engine of reduceByKey and groupByKey. */
export class ShuffledDStream<K, V, C> extends OneParentDStream<[K, V], [K, C]> {
  constructor(parent: DStream<[K, V]>, private readonly agg: Aggregator<V, C>, private readonly partitioner: Partitioner, private readonly mapSideCombine = true) {
    super(parent);
    this.track(agg.createCombiner);
    this.track(agg.mergeValue);
    this.track(agg.mergeCombiners);
  }

  protected computeFrom(rdd: RDD<[K, V]>): RDD<[K, C]> {
    return rdd.combineByKeyWith(this.agg, this.partitioner, this.mapSideCombine);
  }
}
