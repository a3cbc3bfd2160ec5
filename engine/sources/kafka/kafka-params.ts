import { randomBytes } from "crypto";
import type { SparkConf } from "../../conf";
import type { ClientSettings, RawRecord } from "./client";
import { KafkaErrors } from "./kafka-errors";

/**
 * A deserializer: `"string"` (UTF-8, the default), `"json"` (UTF-8 then JSON.parse), `"buffer"`
 * (the raw bytes), or a function of the bytes (null for a missing key or a tombstone).
 */
export type Deserializer<T = unknown> = "string" | "json" | "buffer" | ((data: Buffer | null, record: { topic: string; partition: number; offset: number }) => T);

/**
 * The consumer settings of a direct stream, with Kafka's names (Spark passes them to Kafka's
 * consumer). streamlab reads:
 * - `bootstrap.servers` (required): `"127.0.0.1:9092"`, comma-separated, or an array;
 * - `group.id`: the consumer group whose committed offsets are the starting point and which
 *   `commitAsync` commits to (default: a random group, nothing committed);
 * - `auto.offset.reset`: `"latest"` (Kafka's default), `"earliest"` or `"none"`: where a partition
 *   with no committed or given offset starts, and what an out-of-range offset does;
 * - `key.deserializer`, `value.deserializer`: see {@link Deserializer} (default `"string"`);
 * - `isolation.level`: `"read_uncommitted"` (default) or `"read_committed"` (skip aborted
 *   transactions and stop at the last stable offset);
 * - `client.id`, `request.timeout.ms` (default 30000);
 * - `streamlab.kafka.deserializationErrors`: `"skip"` (default: a record whose key or value
 *   deserializer throws is dropped, counted in `stream.deserializationErrors` and the batch's
 *   input info, and a warning with STREAM_ERR_KAFKA_DESERIALIZE names the first one) or `"fail"`
 *   (the batch fails with that error; as the input of later stateful batches it fails them too).
 * `enable.auto.commit` is ignored (always false, as Spark forces it).
 */
export type KafkaParams = Record<string, unknown> & {
  "bootstrap.servers": string | string[];
  "group.id"?: string;
  "auto.offset.reset"?: "latest" | "earliest" | "none";
  "key.deserializer"?: Deserializer;
  "value.deserializer"?: Deserializer;
  "isolation.level"?: "read_uncommitted" | "read_committed";
};

/** kafkaParams checked and resolved, with the Spark settings the stream reads. @internal */
export interface ResolvedParams {
  client: ClientSettings;
  /** The group of committed offsets and commitAsync; undefined when kafkaParams gave none. */
  groupId: string | undefined;
  autoOffsetReset: "latest" | "earliest" | "none";
  readCommitted: boolean;
  keyDeserializer: (data: Buffer | null, rec: { topic: string; partition: number; offset: number }) => unknown;
  valueDeserializer: (data: Buffer | null, rec: { topic: string; partition: number; offset: number }) => unknown;
  skipBadRecords: boolean;
  allowNonConsecutiveOffsets: boolean;
  pollMs: number;
}

/** Checks kafkaParams and reads the spark.streaming.kafka.* settings. @internal */
export function resolveParams(params: KafkaParams, conf?: SparkConf): ResolvedParams {
  if (!params || typeof params !== "object") throw KafkaErrors.missingParam("bootstrap.servers", `{ "bootstrap.servers": "127.0.0.1:9092" }`);
  const rawServers = params["bootstrap.servers"];
  const servers = (Array.isArray(rawServers) ? rawServers : typeof rawServers === "string" ? rawServers.split(",") : []).map((s) => String(s).trim()).filter(Boolean);
  if (servers.length === 0) throw KafkaErrors.missingParam("bootstrap.servers", `{ "bootstrap.servers": "127.0.0.1:9092" } (the address \`npx streamlab kafka start\` prints)`);
  const reset = params["auto.offset.reset"] ?? "latest";
  if (reset !== "latest" && reset !== "earliest" && reset !== "none") throw KafkaErrors.badParam("auto.offset.reset", reset, `must be "latest", "earliest" or "none"`);
  const isolation = params["isolation.level"] ?? "read_uncommitted";
  if (isolation !== "read_uncommitted" && isolation !== "read_committed") throw KafkaErrors.badParam("isolation.level", isolation, `must be "read_uncommitted" or "read_committed"`);
  const onError = params["streamlab.kafka.deserializationErrors"] ?? "skip";
  if (onError !== "fail" && onError !== "skip") throw KafkaErrors.badParam("streamlab.kafka.deserializationErrors", onError, `must be "fail" or "skip"`);
  const groupId = params["group.id"] === undefined ? undefined : String(params["group.id"]);
  const timeout = Number(params["request.timeout.ms"] ?? 30_000);
  if (!(timeout > 0)) throw KafkaErrors.badParam("request.timeout.ms", params["request.timeout.ms"], "must be a positive number of milliseconds");
  const maxRetries = conf?.getNumber("spark.streaming.kafka.maxRetries", 1) ?? 1;
  return {
    client: {
      servers,
      clientId: String(params["client.id"] ?? "streamlab"),
      groupId: groupId ?? `streamlab-${randomBytes(6).toString("hex")}`,
      attempts: Math.max(1, Math.floor(maxRetries) + 1),
      backoffMs: Number(params["refresh.leader.backoff.ms"] ?? 200),
      requestTimeoutMs: timeout,
    },
    groupId,
    autoOffsetReset: reset,
    readCommitted: isolation === "read_committed",
    keyDeserializer: deserializer("key.deserializer", params["key.deserializer"]),
    valueDeserializer: deserializer("value.deserializer", params["value.deserializer"]),
    skipBadRecords: onError === "skip",
    allowNonConsecutiveOffsets: conf?.getBoolean("spark.streaming.kafka.allowNonConsecutiveOffsets", false) ?? false,
    pollMs: conf?.getTimeMs("spark.streaming.kafka.consumer.poll.ms", 120_000) ?? 120_000,
  };
}

function deserializer(name: string, d: unknown): ResolvedParams["keyDeserializer"] {
  // Spark programs name Kafka's classes: StringDeserializer reads as "string", ByteArrayDeserializer as "buffer".
  if (typeof d === "string" && /StringDeserializer$/.test(d)) d = "string";
  if (typeof d === "string" && /ByteArrayDeserializer$/.test(d)) d = "buffer";
  if (d === undefined || d === "string") return (b) => (b === null ? null : b.toString("utf8"));
  if (d === "json") return (b) => (b === null ? null : JSON.parse(b.toString("utf8")));
  if (d === "buffer") return (b) => b;
  if (typeof d === "function") return d as ResolvedParams["keyDeserializer"];
  throw KafkaErrors.badParam(name, typeof d === "string" ? d : String(d), `must be "string", "json", "buffer" or a function (bytes, record) => value (Kafka's class names such as StringDeserializer are "string")`);
}

/** A raw header list as `[key, value]` pairs with string keys. @internal */
export function decodeHeaders(headers: RawRecord["headers"]): [string, Buffer | null][] {
  return headers.map(([k, v]) => [k ? k.toString("utf8") : "", v]);
}
