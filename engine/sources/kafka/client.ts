import type * as Platformatic from "@platformatic/kafka";
import { KafkaErrors } from "./kafka-errors";
import { OffsetRange } from "./offset-range";

/** The Kafka client library (@platformatic/kafka), loaded on first use. @internal */
export function loadClient(): typeof Platformatic {
  try {
    // An ES module: Node 20.19+ require()s it; loading it lazily keeps the rest of streamlab free of it.
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    return require("@platformatic/kafka");
  } catch (e) {
    throw KafkaErrors.clientUnavailable((e as Error).message);
  }
}

/** A topic and partition, Kafka's TopicPartition. */
export interface TopicPartition {
  topic: string;
  partition: number;
}

/** `topic-partition`, the key of per-partition maps. @internal */
export function tpKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** A record as fetched, before deserialization. @internal */
export interface RawRecord {
  offset: number;
  timestamp: number;
  logAppendTime: boolean;
  key: Buffer | null;
  value: Buffer | null;
  headers: [Buffer | null, Buffer | null][];
}

/** Connection settings taken from kafkaParams. @internal */
export interface ClientSettings {
  servers: string[];
  clientId: string;
  groupId: string;
  /** Attempts of each metadata or offsets request: spark.streaming.kafka.maxRetries + 1. */
  attempts: number;
  /** Wait between attempts (refresh.leader.backoff.ms, Spark's default 200 ms). */
  backoffMs: number;
  /** Per-request timeout (request.timeout.ms). */
  requestTimeoutMs: number;
}

const IS_CONTROL = 0x20;
const IS_TRANSACTIONAL = 0x10;
const LOG_APPEND_TIME = 0x08;
const OFFSET_OUT_OF_RANGE = 1;

/**
 * What the direct stream, createRDD and the tools ask of Kafka, over @platformatic/kafka: cluster
 * metadata, earliest/latest offsets, committed offsets of a group, commits, and raw fetches of an
 * explicit offset range (no group membership, as Spark's executors read a KafkaRDD). @internal
 */
export class KafkaClient {
  private readonly lib = loadClient();
  private readonly consumer: Platformatic.Consumer;
  private readonly admin: Platformatic.Admin;
  private closed = false;

  constructor(readonly settings: ClientSettings) {
    // The client retries what Kafka calls retriable (a group coordinator still loading, a leader
    // moving); withRetries adds Spark's attempts for a broker that cannot be reached.
    const base = { clientId: settings.clientId, bootstrapBrokers: settings.servers, retries: 5, retryDelay: 200, timeout: settings.requestTimeoutMs, connectTimeout: settings.requestTimeoutMs };
    this.consumer = new this.lib.Consumer({ ...base, groupId: settings.groupId, autocommit: false });
    this.admin = new this.lib.Admin(base);
  }

  /** The bootstrap servers as kafkaParams gave them. */
  get servers(): string { return this.settings.servers.join(","); }

  /** Runs `op` up to `attempts` times; a failure that looks like the broker being away becomes STREAM_ERR_KAFKA_UNREACHABLE. */
  async withRetries<T>(op: () => Promise<T>): Promise<T> {
    let last: unknown;
    for (let attempt = 1; attempt <= this.settings.attempts; attempt++) {
      try {
        return await op();
      } catch (e) {
        last = e;
        if (!isNetworkError(e)) throw e;
        if (attempt < this.settings.attempts) await sleep(this.settings.backoffMs);
      }
    }
    throw KafkaErrors.brokerUnreachable(this.servers, this.settings.attempts, describe(last));
  }

  /** Every topic's name (internal ones excluded). */
  listTopics(): Promise<string[]> {
    return this.withRetries(() => this.admin.listTopics());
  }

  /** Number of partitions of each topic; fails with STREAM_ERR_KAFKA_UNKNOWN_TOPIC for a missing one. */
  async partitionCounts(topics: string[]): Promise<Map<string, number>> {
    const existing = new Set(await this.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) throw KafkaErrors.unknownTopic(missing, this.servers, [...existing].filter((t) => !t.startsWith("streamlab-ready")).sort());
    if (topics.length === 0) return new Map();
    const md = await this.withRetries(() => this.consumer.metadata({ topics, forceUpdate: true }));
    return new Map(topics.map((t) => [t, md.topics.get(t)?.partitionsCount ?? 0]));
  }

  /**
   * Earliest (`-2`) or latest (`-1`) offsets of partitions; latest under read_committed is the last
   * stable offset, so a batch never reaches into an open transaction.
   */
  async listOffsets(tps: TopicPartition[], which: "earliest" | "latest", readCommitted: boolean): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (tps.length === 0) return out;
    const partitions: Record<string, number[]> = {};
    for (const { topic, partition } of tps) (partitions[topic] ??= []).push(partition);
    const offsets = await this.withRetries(() => this.consumer.listOffsets({
      topics: Object.keys(partitions), partitions,
      timestamp: which === "earliest" ? -2n : -1n,
      isolationLevel: readCommitted ? 1 : 0,
    }));
    for (const { topic, partition } of tps) {
      const o = offsets.get(topic)?.[partition];
      if (o !== undefined) out.set(tpKey(topic, partition), Number(o));
    }
    return out;
  }

  /** The group's committed offsets of these partitions (absent: none committed). */
  async committed(groupId: string, tps: TopicPartition[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (tps.length === 0) return out;
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of tps) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const groups = await this.withRetries(() => this.admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })) }],
    } as Platformatic.ListConsumerGroupOffsetsOptions));
    for (const g of groups) {
      for (const t of g.topics) {
        for (const p of t.partitions) if (p.committedOffset >= 0n) out.set(tpKey(t.name, p.partitionIndex), Number(p.committedOffset));
      }
    }
    return out;
  }

  /** Commits offsets for a group that has no live members (the admin API, as Spark's driver-side commit needs no poll loop here). */
  async commit(groupId: string, offsets: Map<string, { topic: string; partition: number; offset: number }>): Promise<void> {
    const byTopic = new Map<string, { partition: number; offset: bigint }[]>();
    for (const { topic, partition, offset } of offsets.values()) byTopic.set(topic, [...(byTopic.get(topic) ?? []), { partition, offset: BigInt(offset) }]);
    await this.withRetries(() => this.admin.alterConsumerGroupOffsets({ groupId, topics: [...byTopic].map(([name, partitionOffsets]) => ({ name, partitionOffsets })) }));
  }

  /**
   * The records of `[fromOffset, untilOffset)` of one partition, in offset order. Control records
   * (transaction markers) are never returned; under read_committed, records of aborted
   * transactions are dropped as Kafka's own consumer drops them. A gap in the offsets fails with
   * Spark's error unless `allowNonConsecutive` (spark.streaming.kafka.allowNonConsecutiveOffsets).
   */
  async fetchRange(range: OffsetRange, readCommitted: boolean, allowNonConsecutive: boolean, pollMs: number): Promise<RawRecord[]> {
    const out: RawRecord[] = [];
    if (range.untilOffset <= range.fromOffset) return out;
    const { topic, partition } = range;
    const deadline = Date.now() + pollMs;
    let next = BigInt(range.fromOffset);
    const until = BigInt(range.untilOffset);
    let expected = next;
    while (next < until) {
      if (Date.now() > deadline) throw KafkaErrors.fetchTimeout(topic, partition, next, until, pollMs);
      // Cached metadata (the client refreshes it when older than its metadataMaxAge or on a leader change).
      const md = await this.withRetries(() => this.consumer.metadata({ topics: [topic], forceUpdate: next !== BigInt(range.fromOffset) }));
      const tmd = md.topics.get(topic);
      if (!tmd) throw KafkaErrors.unknownTopic([topic], this.servers, []);
      const leader = tmd.partitions[partition]?.leader;
      const broker = md.brokers.get(leader);
      if (!broker) throw KafkaErrors.brokerUnreachable(this.servers, 1, `no broker with node id ${leader} in the metadata`);
      const response = await this.withRetries(() => this.rawFetch(broker, readCommitted ? 1 : 0,
        [{ topicId: tmd.id, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: next, lastFetchedEpoch: -1, partitionMaxBytes: 4 * 1024 * 1024 }] }]));
      const p = response.responses[0]?.partitions.find((x) => x.partitionIndex === partition);
      if (!p) continue;
      if (p.errorCode === OFFSET_OUT_OF_RANGE) throw KafkaErrors.offsetOutOfRange(topic, partition, next, p.logStartOffset, p.highWatermark);
      const aborted = [...(p.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
      const abortedProducers = new Set<bigint>();
      for (const batch of p.records ?? []) {
        const last = batch.firstOffset + BigInt(batch.lastOffsetDelta);
        if (last < next) continue;
        while (readCommitted && aborted.length > 0 && aborted[0].firstOffset <= last) abortedProducers.add((aborted.shift() as { producerId: bigint }).producerId);
        if (batch.attributes & IS_CONTROL) {
          // An abort marker ends its producer's aborted transaction.
          const rec = batch.records[0];
          if (rec?.key && rec.key.length >= 4 && rec.key.readInt16BE(2) === 0) abortedProducers.delete(batch.producerId);
          next = last + 1n;
          continue;
        }
        const skip = readCommitted && (batch.attributes & IS_TRANSACTIONAL) !== 0 && abortedProducers.has(batch.producerId);
        for (const r of batch.records) {
          const offset = batch.firstOffset + BigInt(r.offsetDelta);
          if (offset < next) continue;
          if (offset >= until) break;
          if (skip) continue;
          if (offset !== expected && !allowNonConsecutive) throw KafkaErrors.nonConsecutive(topic, partition, expected, offset);
          const logAppendTime = (batch.attributes & LOG_APPEND_TIME) !== 0;
          out.push({
            offset: Number(offset),
            timestamp: Number(logAppendTime ? batch.maxTimestamp : batch.firstTimestamp + r.timestampDelta),
            logAppendTime,
            key: r.key,
            value: r.value,
            headers: r.headers,
          });
          expected = offset + 1n;
        }
        next = last + 1n < until ? last + 1n : until;
      }
      // A range that ends in a gap (markers or aborted records up to untilOffset) is complete too.
      if (next >= until && expected < until && !allowNonConsecutive) throw KafkaErrors.nonConsecutive(topic, partition, expected, until);
    }
    return out;
  }

  /**
   * One Fetch request, answered as the broker sent it. The client's own `consumer.fetch()` filters
   * a read_committed answer first, wrongly: it keys aborted ranges by producer id only and runs
   * each from an aborted transaction's first offset to that producer's last abort marker in the
   * answer, so a transaction committed between two aborted ones of the same transactional id (an
   * exactly-once sink restarted after a kill, twice) was dropped as aborted (@platformatic/kafka
   * 1.35, Consumer#filterUncommittedMessages). fetchRange filters as Kafka's own consumer does.
   */
  private rawFetch(broker: unknown, isolationLevel: 0 | 1, topics: unknown[]): Promise<Platformatic.fetchV17.FetchResponse> {
    const consumer = this.consumer as unknown as Record<symbol, (...args: unknown[]) => void>;
    return new Promise((resolve, reject) => {
      consumer[this.lib.kGetApi]("Fetch", (error: Error | null, api: (...args: unknown[]) => void) => {
        if (error) return reject(error);
        consumer[this.lib.kGetConnection](broker, (error2: Error | null, connection: unknown) => {
          if (error2) return reject(error2);
          api(connection, 200, 1, 16 * 1024 * 1024, isolationLevel, 0, 0, topics, [], "", (error3: Error | null, response: Platformatic.fetchV17.FetchResponse) => {
            if (error3) reject(error3);
            else resolve(response);
          });
        });
      });
    });
  }

  /** Closes the connections (idempotent). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([this.consumer.close(true), this.admin.close()]);
  }
}

/** True for errors of the connection rather than of the request (refused, reset, timed out). @internal */
export function isNetworkError(e: unknown): boolean {
  const text = describe(e);
  return /ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|EHOSTUNREACH|socket|connect|Connection|closed|timed out|timeout|NetworkError|brokers are unavailable|No brokers/i.test(text);
}

/** An error's message with its causes (the client nests them). @internal */
export function describe(e: unknown): string {
  const parts: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; cur && depth < 4; depth++) {
    const err = cur as { message?: string; errors?: unknown[]; cause?: unknown; code?: string };
    parts.push(err.message ?? String(cur));
    cur = err.errors?.[0] ?? err.cause;
  }
  return [...new Set(parts)].join(": ");
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
