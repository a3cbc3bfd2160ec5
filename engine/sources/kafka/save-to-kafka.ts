import type * as Platformatic from "@platformatic/kafka";
import { DStream } from "../../dstream/dstream";
import { ForEachDStream } from "../../dstream/foreach-dstream";
import { log } from "../../log";
import { formatValue } from "../../rdd/compact-buffer";
import type { RDD } from "../../rdd/rdd";
import { describe, KafkaClient, loadClient } from "./client";
import { KafkaErrors } from "./kafka-errors";
import { OffsetRange } from "./offset-range";

/** A record written by saveToKafka: a value, and optionally a key, a partition and headers. */
export interface KafkaOutputRecord {
  key?: string | Buffer | null;
  value: string | Buffer | null;
  partition?: number;
  headers?: Record<string, string>;
}

/** Producer settings of saveToKafka, with Kafka's names. */
export type ProducerConfig = Record<string, unknown> & {
  "bootstrap.servers": string | string[];
  /** The transactional id of the exactly-once mode (default `streamlab-<appName>-<output op id>`). */
  "transactional.id"?: string;
  "client.id"?: string;
};

/** Options of saveToKafka. */
export interface SaveToKafkaOptions {
  /**
   * Write each batch's results in one Kafka transaction tied to the batch time, so that however
   * often the application is killed and recovered, a `read_committed` consumer of `topic` sees
   * each batch's results exactly once. Default false: at-least-once (an idempotent producer; a
   * batch recomputed after a crash is written again).
   */
  exactlyOnce?: boolean;
}

declare module "../../dstream/dstream" {
  interface DStream<T> {
    /**
     * Writes every batch's elements to Kafka `topic` with an idempotent producer (acks=all) and
     * waits for the acknowledgements before the batch completes. `toRecord` makes a record of an
     * element (default: a pair `[k, v]` becomes key and value, anything else the value, in
     * print()'s format). At-least-once by default; `{ exactlyOnce: true }` writes each batch in one
     * transaction tied to its batch time and skips a batch that is already committed, so a
     * `read_committed` consumer sees each batch exactly once after any number of crashes. (Spark's
     * DStreams have no Kafka sink: the usual pattern is foreachRDD with a producer per partition.)
     *
     * @example
     * totals.saveToKafka({ "bootstrap.servers": kafka.bootstrap }, "totals", ([k, v]) => ({ key: k, value: String(v) }), { exactlyOnce: true });
     */
    saveToKafka(producerConfig: ProducerConfig, topic: string, toRecord?: (element: T) => KafkaOutputRecord | string, options?: SaveToKafkaOptions): void;
  }
}

DStream.prototype.saveToKafka = function <T>(this: DStream<T>, producerConfig: ProducerConfig, topic: string, toRecord?: (element: T) => KafkaOutputRecord | string, options: SaveToKafkaOptions = {}): void {
  if (typeof topic !== "string" || topic === "") throw KafkaErrors.badParam("topic", topic, "saveToKafka needs the name of an existing topic");
  const servers = toServers(producerConfig);
  const convert = toRecord ?? defaultRecord;
  const sink = new KafkaSink<T>(servers, topic, convert, producerConfig, options.exactlyOnce === true, this.ssc.appName);
  const out = new ForEachDStream(this, (rdd: RDD<T>, time) => sink.write(rdd, time.milliseconds), "saveToKafka", `saveToKafka(${topic}) at ${this}`);
  sink.outputOpId = out.outputOpId;
};

function toServers(config: ProducerConfig): string[] {
  const raw = config?.["bootstrap.servers"];
  const servers = (Array.isArray(raw) ? raw : typeof raw === "string" ? raw.split(",") : []).map((s) => String(s).trim()).filter(Boolean);
  if (servers.length === 0) throw KafkaErrors.missingParam("bootstrap.servers", `saveToKafka({ "bootstrap.servers": "127.0.0.1:9092" }, "topic")`);
  return servers;
}

function defaultRecord(x: unknown): KafkaOutputRecord {
  if (Array.isArray(x) && x.length === 2) return { key: formatValue(x[0]), value: formatValue(x[1]) };
  return { value: formatValue(x) };
}

const SINK_ATTEMPTS = 8;

/** The header that ties a record to its batch: `streamlab.batch.time` = the batch time in ms. */
export const BATCH_TIME_HEADER = "streamlab.batch.time";

/**
 * One saveToKafka output: a producer per process, created on first use. In exactly-once mode the
 * producer is transactional (Kafka fences an earlier incarnation with the same id and aborts its
 * open transaction), and each batch's transaction also writes the batch time to a progress topic
 * of its own (`streamlab-progress-<transactional id>`), committed with the results: after a crash,
 * the newest committed batch time is read back and a recomputed batch at or before it is skipped.
 * @internal
 */
class KafkaSink<T> {
  outputOpId = 0;
  private producer: Platformatic.Producer<Buffer | string, Buffer | string, string, string> | undefined;
  private lastCommitted: number | undefined;

  constructor(
    private readonly servers: string[],
    private readonly topic: string,
    private readonly toRecord: (element: T) => KafkaOutputRecord | string,
    private readonly config: ProducerConfig,
    private readonly exactlyOnce: boolean,
    private readonly appName: string,
  ) {}

  private get transactionalId(): string {
    return String(this.config["transactional.id"] ?? `streamlab-${this.appName}-${this.outputOpId}`).replace(/[^A-Za-z0-9._-]/g, "_");
  }

  private get progressTopic(): string {
    return `streamlab-progress-${this.transactionalId}`;
  }

  /**
   * Writes batch `time`, trying up to 8 times over about 7 s (a new incarnation can meet the broker
   * still aborting the killed one's transaction); a failure after that fails the output operation,
   * and that batch's results are missing from the topic.
   */
  async write(rdd: RDD<T>, time: number): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.writeOnce(rdd, time);
      } catch (e) {
        if (attempt >= SINK_ATTEMPTS) throw e;
        log().warn(`KafkaSink: ${(e as Error).message}; trying again (attempt ${attempt + 1} of ${SINK_ATTEMPTS})`);
        await new Promise((r) => setTimeout(r, 250 * attempt));
      }
    }
  }

  private async writeOnce(rdd: RDD<T>, time: number): Promise<void> {
    const messages = rdd.collect().map((x) => {
      const r = this.toRecord(x);
      const rec = typeof r === "string" ? { value: r } : r;
      return { topic: this.topic, key: rec.key ?? undefined, value: rec.value ?? undefined, partition: rec.partition, headers: { ...(rec.headers ?? {}), [BATCH_TIME_HEADER]: String(time) } };
    });
    try {
      if (!this.exactlyOnce) {
        if (messages.length > 0) await this.open().send({ messages, acks: -1 });
        return;
      }
      if (this.lastCommitted === undefined) this.lastCommitted = await this.readProgress();
      if (time <= this.lastCommitted) {
        log().info(`KafkaSink: batch ${time} ms is already committed to ${this.topic} (newest committed batch ${this.lastCommitted} ms): not written again`);
        return;
      }
      const tx = await this.open().beginTransaction();
      try {
        await tx.send({ messages: [...messages, { topic: this.progressTopic, key: this.transactionalId, value: String(time), partition: 0, headers: { [BATCH_TIME_HEADER]: String(time) } }], acks: -1 });
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => undefined);
        throw e;
      }
      this.lastCommitted = time;
      log().info(`KafkaSink: batch ${time} ms committed to ${this.topic} (${messages.length} records, producer ${this.producer?.producerId}/${this.producer?.producerEpoch})`);
    } catch (e) {
      // A producer in an unknown state is replaced for the next batch.
      await this.producer?.close().catch(() => undefined);
      this.producer = undefined;
      this.lastCommitted = undefined;
      throw KafkaErrors.sinkFailed(this.topic, time, describe(e));
    }
  }

  private open(): Platformatic.Producer<Buffer | string, Buffer | string, string, string> {
    if (this.producer) return this.producer;
    const lib = loadClient();
    const serializers = { key: stringOrBuffer, value: stringOrBuffer, headerKey: stringOrBuffer, headerValue: stringOrBuffer };
    this.producer = new lib.Producer({
      clientId: String(this.config["client.id"] ?? "streamlab-sink"), bootstrapBrokers: this.servers, idempotent: true, acks: -1,
      autocreateTopics: false, retries: 5, retryDelay: 200, serializers: serializers as never,
      // producerId/epoch -1: a new incarnation. The client's default (0, 0) is refused as fenced
      // by the broker once an earlier producer with this transactional id has run.
      ...(this.exactlyOnce ? { transactionalId: this.transactionalId, producerId: -1n, producerEpoch: -1 } : {}),
    }) as never;
    return this.producer as Platformatic.Producer<Buffer | string, Buffer | string, string, string>;
  }

  /** The newest batch time committed to the progress topic (creating it when missing), or -Infinity. */
  private async readProgress(): Promise<number> {
    const client = new KafkaClient({ servers: this.servers, clientId: "streamlab-sink", groupId: "streamlab-sink", attempts: 2, backoffMs: 200, requestTimeoutMs: 30_000 });
    try {
      if (!(await client.listTopics()).includes(this.progressTopic)) {
        const { Admin } = loadClient();
        const admin = new Admin({ clientId: "streamlab-sink", bootstrapBrokers: this.servers, retries: 5, retryDelay: 200 });
        try {
          await admin.createTopics({ topics: [this.progressTopic], partitions: 1, replicas: 1 });
        } catch (e) {
          if (!/exist/i.test(describe(e))) throw e;
        } finally {
          await admin.close().catch(() => undefined);
        }
        return -Infinity;
      }
      const tp = [{ topic: this.progressTopic, partition: 0 }];
      const end = (await client.listOffsets(tp, "latest", true)).get(`${this.progressTopic}-0`) ?? 0;
      const start = (await client.listOffsets(tp, "earliest", false)).get(`${this.progressTopic}-0`) ?? 0;
      // Each transaction takes two offsets (the record and its commit marker); aborted ones more.
      for (let from = Math.max(start, end - 64); ; from = Math.max(start, from - 1024)) {
        const records = await client.fetchRange(new OffsetRange(this.progressTopic, 0, from, end), true, true, 60_000);
        const last = records.at(-1);
        if (last?.value) return Number(last.value.toString("utf8"));
        if (from === start) return -Infinity;
      }
    } finally {
      await client.close();
    }
  }
}

function stringOrBuffer(x: unknown): Buffer | undefined {
  if (x === undefined || x === null) return undefined;
  return Buffer.isBuffer(x) ? x : Buffer.from(String(x), "utf8");
}
