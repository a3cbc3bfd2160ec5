import { RDD, RDDContext } from "../../rdd/rdd";
import type { ConsumerRecord } from "./consumer-record";
import type { HasOffsetRanges, OffsetRange } from "./offset-range";

/**
 * A batch read from Kafka (Spark's KafkaRDD): one partition per offset range, in the order of
 * `offsetRanges`. `rdd.offsetRanges` (or `offsetRangesOf(rdd)`) gives the ranges.
 */
export class KafkaRDD<K = string, V = string> extends RDD<ConsumerRecord<K, V>> implements HasOffsetRanges {
  /** @internal */
  constructor(readonly offsetRanges: readonly OffsetRange[], partitions: ConsumerRecord<K, V>[][], context?: RDDContext) {
    super(partitions, context);
  }
}
