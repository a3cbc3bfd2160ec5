import type { RDD } from "../../rdd/rdd";
import { KafkaErrors } from "./kafka-errors";

/**
 * A range of offsets of one Kafka partition, `[fromOffset, untilOffset)` (Spark's OffsetRange):
 * what one partition of a direct stream's batch reads. Each batch's ranges are kept in the
 * checkpoint, so a recovered batch reads exactly the same records.
 *
 * @example
 * stream.foreachRDD((rdd) => {
 *   for (const r of offsetRangesOf(rdd)) console.log(`${r.topic} ${r.partition} ${r.fromOffset} ${r.untilOffset}`);
 * });
 */
export class OffsetRange {
  /**
   * @param fromOffset the first offset of the range (inclusive)
   * @param untilOffset the offset after the last (exclusive)
   */
  constructor(readonly topic: string, readonly partition: number, readonly fromOffset: number, readonly untilOffset: number) {}

  /** Spark's `OffsetRange.create(topic, partition, fromOffset, untilOffset)`. */
  static create(topic: string, partition: number, fromOffset: number, untilOffset: number): OffsetRange {
    return new OffsetRange(topic, partition, fromOffset, untilOffset);
  }

  /** `untilOffset - fromOffset`: the records of the range when it has no gaps (Spark's count()). */
  count(): number {
    return this.untilOffset - this.fromOffset;
  }

  /** `topic-partition`, Kafka's TopicPartition. */
  get topicPartition(): string {
    return `${this.topic}-${this.partition}`;
  }

  /** Spark's format: `OffsetRange(topic: 'sales', partition: 0, range: [0 -> 100])`. */
  toString(): string {
    return `OffsetRange(topic: '${this.topic}', partition: ${this.partition}, range: [${this.fromOffset} -> ${this.untilOffset}])`;
  }
}

/** Something that knows the offset ranges it was read from (Spark's HasOffsetRanges). */
export interface HasOffsetRanges {
  readonly offsetRanges: readonly OffsetRange[];
}

/**
 * The offset ranges of a direct stream's batch (Spark's `rdd.asInstanceOf[HasOffsetRanges].offsetRanges`).
 * Only the batches of `KafkaUtils.createDirectStream` itself (in `foreachRDD` or `transform` on it,
 * before any other operation) and `KafkaUtils.createRDD` have them; anything else fails with
 * STREAM_ERR_KAFKA_NO_OFFSET_RANGES. Index i is the batch's partition i.
 *
 * @example
 * stream.foreachRDD((rdd) => {
 *   const ranges = offsetRangesOf(rdd);
 *   // ... write the batch's results ...
 *   stream.commitAsync(ranges);
 * });
 */
export function offsetRangesOf(rdd: RDD<unknown> | HasOffsetRanges): OffsetRange[] {
  const ranges = (rdd as Partial<HasOffsetRanges>)?.offsetRanges;
  if (!Array.isArray(ranges)) throw KafkaErrors.notDirectStream(String(rdd?.constructor?.name ?? rdd));
  return [...ranges];
}
