/** Kafka's two kinds of record timestamp (Kafka's TimestampType). */
export type TimestampType = "CreateTime" | "LogAppendTime";

/** One Kafka header: a key and its raw bytes (null when the producer sent none). */
export type KafkaHeader = [key: string, value: Buffer | null];

/**
 * A record read from Kafka (Kafka's ConsumerRecord): what each element of a direct stream's batch
 * is. Plain data: it can be handed to worker threads and checkpointed (Spark's ConsumerRecord is
 * not serializable; map it to its values before windows or state there).
 *
 * @example
 * stream.map((r) => r.value).print();
 */
export interface ConsumerRecord<K = string, V = string> {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset in its partition. */
  readonly offset: number;
  /** Milliseconds since the epoch, of the kind `timestampType` says. */
  readonly timestamp: number;
  readonly timestampType: TimestampType;
  /** The deserialized key (null when the record has none). */
  readonly key: K | null;
  /** The deserialized value (null for a tombstone). */
  readonly value: V | null;
  readonly headers: KafkaHeader[];
}
