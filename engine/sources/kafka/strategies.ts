import { KafkaErrors } from "./kafka-errors";
import type { KafkaParams } from "./kafka-params";
import type { TopicPartition } from "./client";

/**
 * Starting offsets for some partitions: `{ "sales-0": 42 }` (topic-partition to offset) or
 * `[{ topic: "sales", partition: 0, offset: 42 }]` (Spark's `Map[TopicPartition, Long]`).
 */
export type StartingOffsets = Record<string, number> | Map<string, number> | Array<TopicPartition & { offset: number }>;

/**
 * Which partitions a direct stream reads and from where (Spark's ConsumerStrategy): made by
 * {@link ConsumerStrategies}. @internal fields; the object is opaque to programs.
 */
export interface ConsumerStrategy {
  readonly kind: "Subscribe" | "SubscribePattern" | "Assign";
  readonly topics?: readonly string[];
  readonly pattern?: RegExp;
  readonly partitions?: readonly TopicPartition[];
  readonly kafkaParams: KafkaParams;
  /** Offsets to start from, by `topic-partition`. */
  readonly offsets: ReadonlyMap<string, number>;
}

/**
 * Spark's ConsumerStrategies: `Subscribe` (a fixed list of topics, every partition, new ones
 * included), `SubscribePattern` (every topic whose name matches, checked at each batch) and
 * `Assign` (a fixed list of partitions). A partition starts at the offset given here, else at the
 * group's committed offset, else per `auto.offset.reset`.
 *
 * @example
 * ConsumerStrategies.Subscribe(["sales"], { "bootstrap.servers": kafka.bootstrap, "group.id": "course", "auto.offset.reset": "earliest" })
 */
export const ConsumerStrategies = {
  /** Every partition of `topics`. */
  Subscribe(topics: string[] | readonly string[], kafkaParams: KafkaParams, offsets?: StartingOffsets): ConsumerStrategy {
    if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== "string" || t === "")) {
      throw KafkaErrors.badParam("topics", topics, `Subscribe takes a non-empty list of topic names, e.g. ["sales"]`);
    }
    return { kind: "Subscribe", topics: [...topics], kafkaParams, offsets: offsetMap(offsets) };
  },
  /** Every partition of every topic whose name matches `pattern` (looked up at each batch). */
  SubscribePattern(pattern: RegExp, kafkaParams: KafkaParams, offsets?: StartingOffsets): ConsumerStrategy {
    if (!(pattern instanceof RegExp)) throw KafkaErrors.badParam("pattern", String(pattern), "SubscribePattern takes a RegExp, e.g. /^sales-.*/");
    return { kind: "SubscribePattern", pattern, kafkaParams, offsets: offsetMap(offsets) };
  },
  /** Exactly these partitions. */
  Assign(topicPartitions: TopicPartition[], kafkaParams: KafkaParams, offsets?: StartingOffsets): ConsumerStrategy {
    if (!Array.isArray(topicPartitions) || topicPartitions.length === 0 || topicPartitions.some((tp) => typeof tp?.topic !== "string" || !Number.isInteger(tp?.partition) || tp.partition < 0)) {
      throw KafkaErrors.badParam("topicPartitions", topicPartitions, `Assign takes a non-empty list of { topic, partition }, e.g. [{ topic: "sales", partition: 0 }]`);
    }
    return { kind: "Assign", partitions: topicPartitions.map(({ topic, partition }) => ({ topic, partition })), kafkaParams, offsets: offsetMap(offsets) };
  },
};

/** A LocationStrategy: where a partition is read. streamlab reads every partition in its one process. */
export interface LocationStrategy {
  readonly kind: "PreferConsistent" | "PreferBrokers" | "PreferFixed";
}

/**
 * Spark's LocationStrategies. They choose executors for partitions; streamlab runs in one
 * process, so all three are accepted and mean the same.
 */
export const LocationStrategies = {
  /** Spread partitions over executors (the usual choice). */
  PreferConsistent: (): LocationStrategy => ({ kind: "PreferConsistent" }),
  /** Read on the executor that runs on the partition's leader broker. */
  PreferBrokers: (): LocationStrategy => ({ kind: "PreferBrokers" }),
  /** Read partitions on given hosts. */
  PreferFixed: (_hostMap?: unknown): LocationStrategy => ({ kind: "PreferFixed" }),
};

function offsetMap(offsets: StartingOffsets | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (offsets === undefined) return out;
  const entries: [string, unknown][] = Array.isArray(offsets) ? offsets.map((o) => [`${o.topic}-${o.partition}`, o.offset])
    : offsets instanceof Map ? [...offsets] : Object.entries(offsets);
  for (const [k, v] of entries) {
    if (!/^.+-\d+$/.test(k) || !Number.isInteger(v) || (v as number) < 0) throw KafkaErrors.badParam("offsets", { [k]: v }, `starting offsets map "topic-partition" to a whole offset >= 0, e.g. { "sales-0": 42 }`);
    out.set(k, v as number);
  }
  return out;
}
