import { describe, loadClient } from "../sources/kafka/client";
import { KafkaErrors } from "../sources/kafka/kafka-errors";

/** Options of {@link createKafkaTopic}. */
export interface CreateTopicOptions {
  /** Number of partitions (default 1). */
  partitions?: number;
  /** Topic configuration, e.g. `{ "cleanup.policy": "compact" }`. */
  config?: Record<string, string>;
}

/**
 * Creates a topic on the broker at `bootstrap` (nothing happens when it exists already).
 * @example
 * await createKafkaTopic(kafka.bootstrap, "sales", { partitions: 2 });
 */
export async function createKafkaTopic(bootstrap: string, topic: string, options: CreateTopicOptions = {}): Promise<void> {
  const { Admin } = loadClient();
  const admin = new Admin({ clientId: "streamlab-tools", bootstrapBrokers: bootstrap.split(","), retries: 2 });
  try {
    if ((await admin.listTopics()).includes(topic)) return;
    await admin.createTopics({
      topics: [topic], partitions: options.partitions ?? 1, replicas: 1,
      configs: Object.entries(options.config ?? {}).map(([name, value]) => ({ name, value })),
    });
  } catch (e) {
    throw KafkaErrors.brokerUnreachable(bootstrap, 3, describe(e));
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** A record for {@link produceToKafka}: a line (the value), or key, value and partition. */
export type ProduceRecord = string | { key?: string | null; value: string | null; partition?: number; headers?: Record<string, string> };

/**
 * Writes records to a topic with an idempotent producer and waits for every acknowledgement;
 * resolves to the offsets written, in order. Records without a partition and key go round-robin
 * over `partitions` (default: the topic's first partition only, for predictable offsets).
 * @example
 * await produceToKafka(kafka.bootstrap, "lines", ["to be or not to be", "that is the question"]);
 */
export async function produceToKafka(bootstrap: string, topic: string, records: Iterable<ProduceRecord>, options: { partitions?: number; transactional?: "commit" | "abort"; transactionalId?: string } = {}): Promise<number[]> {
  const { Producer, stringSerializers } = loadClient();
  const producer = new Producer({
    clientId: "streamlab-tools", bootstrapBrokers: bootstrap.split(","), serializers: stringSerializers,
    idempotent: true, autocreateTopics: false, retries: 3,
    ...(options.transactional ? { transactionalId: options.transactionalId ?? `streamlab-tools-${process.pid}-${Date.now()}`, producerId: -1n, producerEpoch: -1 } : {}),
  });
  const partitions = options.partitions ?? 1;
  let i = 0;
  const messages = [...records].map((r) => {
    const rec = typeof r === "string" ? { value: r } : r;
    const partition = rec.partition ?? (partitions > 1 ? i++ % partitions : 0);
    return { topic, key: rec.key ?? undefined, value: rec.value ?? undefined, partition, headers: rec.headers };
  });
  try {
    if (messages.length === 0) return [];
    if (options.transactional) {
      const tx = await producer.beginTransaction();
      const result = await tx.send({ messages, acks: -1 });
      if (options.transactional === "commit") await tx.commit();
      else await tx.abort();
      return (result.offsets ?? []).map((o) => Number(o.offset));
    }
    const result = await producer.send({ messages, acks: -1 });
    return (result.offsets ?? []).map((o) => Number(o.offset));
  } finally {
    await producer.close().catch(() => undefined);
  }
}

/** Options of {@link startKafkaProducer}. */
export interface KafkaProducerOptions {
  /** `bootstrap.servers` of the broker. */
  bootstrap: string;
  /** The topic (created with `partitions` partitions when missing). */
  topic: string;
  /** The lines to write, e.g. `salesLines(42)`; an endless iterable is fine. */
  lines: Iterable<string>;
  /** Lines per second (default 10); 0 writes as fast as the broker acknowledges. */
  rate?: number;
  /** Partitions of a topic created here, and the round-robin of the lines over them (default 1). */
  partitions?: number;
}

/** A running {@link startKafkaProducer}. */
export interface KafkaLineProducer {
  /** Lines acknowledged so far. */
  readonly produced: number;
  /** Resolves when every line was written (a finite `lines`), or after stop(). */
  readonly done: Promise<number>;
  /** Stops writing; resolves to the number of lines written. */
  stop(): Promise<number>;
}

/**
 * Writes lines to a Kafka topic at a steady rate in the background, as `startLineServer` serves
 * them over TCP: the Kafka form of the course's line sources (`npx streamlab sales --kafka`).
 * @example
 * const producer = await startKafkaProducer({ bootstrap: kafka.bootstrap, topic: "sales", lines: salesLines(42), rate: 200 });
 * // ... later
 * await producer.stop();
 */
export async function startKafkaProducer(options: KafkaProducerOptions): Promise<KafkaLineProducer> {
  const partitions = options.partitions ?? 1;
  await createKafkaTopic(options.bootstrap, options.topic, { partitions });
  const { Producer, stringSerializers } = loadClient();
  const producer = new Producer({ clientId: "streamlab-producer", bootstrapBrokers: options.bootstrap.split(","), serializers: stringSerializers, idempotent: true, autocreateTopics: false, retries: 5, retryDelay: 200 });
  const rate = options.rate ?? 10;
  const iterator = options.lines[Symbol.iterator]();
  let produced = 0;
  let running = true;
  const started = Date.now();
  const done = (async () => {
    try {
      while (running) {
        // Each round writes what is due by now (at most 1000 lines), then waits for the next 10 ms.
        const due = rate > 0 ? Math.min(1000, Math.floor(((Date.now() - started) * rate) / 1000) - produced) : 1000;
        const messages: { topic: string; value: string; partition: number }[] = [];
        for (let i = 0; i < due; i++) {
          const next = iterator.next();
          if (next.done) { running = false; break; }
          messages.push({ topic: options.topic, value: next.value, partition: (produced + i) % partitions });
        }
        if (messages.length > 0) {
          await producer.send({ messages, acks: -1 });
          produced += messages.length;
        }
        if (running) await new Promise((r) => setTimeout(r, 10));
      }
    } finally {
      await producer.close().catch(() => undefined);
    }
    return produced;
  })();
  return {
    get produced() { return produced; },
    done,
    stop: async () => { running = false; return done; },
  };
}
