/**
 * The Kafka errors of streamlab (docs/errors.md, "Kafka"): each names the value, the rule and the
 * fix, with a stable code. Kept apart from the engine's catalog so the Kafka source stays in
 * files of its own.
 */
import { createError } from "../../errors/streaming-error";

export const KafkaErrors = {
  toolMissing: (cmd: string) =>
    createError(Error, `The Kafka broker needs ${cmd === "mvn" ? "Maven (mvn)" : "Java 17 or later (java)"} on the PATH to ${cmd === "mvn" ? "fetch Apache Kafka from Maven Central" : "run"}, and ${cmd} was not found. Install it, e.g. apt-get install -y ${cmd === "mvn" ? "maven" : "openjdk-17-jre-headless"}.`, "STREAM_ERR_KAFKA_TOOL_MISSING"),
  fetchFailed: (version: string, output: string) =>
    createError(Error, `Fetching Apache Kafka ${version} (org.apache.kafka:kafka_2.13) from Maven Central failed. Maven said:\n${output}\nCheck the network access to repo.maven.apache.org (or Maven's settings.xml mirror) and try again.`, "STREAM_ERR_KAFKA_FETCH"),
  brokerFailed: (address: string, why: string, log: string) =>
    createError(Error, `The Kafka broker on ${address} did not start: ${why}. Its log ends with:\n${log}\nCheck that Java 17+ is installed and the port is free (another port: --port N).`, "STREAM_ERR_KAFKA_BROKER_START"),
  clientUnavailable: (cause: string) =>
    createError(Error, `The Kafka client (@platformatic/kafka) could not be loaded: ${cause}. It needs Node 20.19 or later (require of ES modules); run npm install in the project.`, "STREAM_ERR_KAFKA_CLIENT"),
  brokerUnreachable: (servers: string, attempts: number, cause: string) =>
    createError(Error, `Could not reach a Kafka broker at bootstrap.servers=${servers} (${attempts} attempt${attempts === 1 ? "" : "s"}, spark.streaming.kafka.maxRetries + 1; last error: ${cause}). Start one (npx streamlab kafka start, or startKafka() in a cell) and set bootstrap.servers to the address it prints.`, "STREAM_ERR_KAFKA_UNREACHABLE"),
  unknownTopic: (topics: string[], servers: string, known: string[]) =>
    createError(Error, `Unknown Kafka topic${topics.length > 1 ? "s" : ""} ${topics.map((t) => `"${t}"`).join(", ")} on ${servers}: a direct stream reads existing topics only (the broker does not create topics on read). Create ${topics.length > 1 ? "them" : "it"} first (createKafkaTopic(...) or kafka-topics.sh --create), or fix the name; topics there: ${known.length ? known.join(", ") : "none"}.`, "STREAM_ERR_KAFKA_UNKNOWN_TOPIC"),
  missingParam: (name: string, example: string) =>
    createError(TypeError, `kafkaParams must set "${name}", e.g. ${example}.`, "STREAM_ERR_KAFKA_PARAMS"),
  badParam: (name: string, value: unknown, rule: string) =>
    createError(RangeError, `kafkaParams "${name}" is ${JSON.stringify(value)}: ${rule}.`, "STREAM_ERR_KAFKA_PARAMS"),
  offsetOutOfRange: (topic: string, partition: number, offset: bigint | number, earliest: bigint | number, latest: bigint | number) =>
    // Spark's KafkaRDD: "Offsets out of range with no configured reset policy for partitions".
    createError(Error, `Offsets out of range with no configured reset policy for partitions: {${topic}-${partition}=${offset}} (the partition holds offsets ${earliest} to ${latest}). Set "auto.offset.reset" to "earliest" or "latest" in kafkaParams to start from there, or give offsets inside that range.`, "STREAM_ERR_KAFKA_OFFSET_OUT_OF_RANGE"),
  rangeUnavailable: (topic: string, partition: number, from: bigint | number, until: bigint | number, earliest: bigint | number) =>
    createError(Error, `The offset range ${topic}-${partition} [${from}, ${until}) of a recovered batch is no longer in Kafka (the partition now starts at ${earliest}: retention or compaction removed the records). The batch cannot be recomputed exactly; raise the topic's retention.ms, or delete the checkpoint to start over.`, "STREAM_ERR_KAFKA_RANGE_GONE"),
  nonConsecutive: (topic: string, partition: number, expected: bigint, got: bigint) =>
    // Spark's KafkaDataConsumer: "Got wrong record for ... even after seeking to offset ...".
    createError(Error, `Got wrong record for ${topic}-${partition} even after seeking to offset ${expected}: got offset ${got} instead. The partition has gaps (transactions or compaction): set spark.streaming.kafka.allowNonConsecutiveOffsets=true.`, "STREAM_ERR_KAFKA_NON_CONSECUTIVE"),
  deserializer: (which: "key" | "value", failed: number, total: number, first: { topic: string; partition: number; offset: bigint; error: string }) =>
    createError(Error, `The ${which} deserializer failed on ${failed} of ${total} records of this batch (first: ${first.topic}-${first.partition} offset ${first.offset}: ${first.error}). Fix the deserializer or the producer; "streamlab.kafka.deserializationErrors": "skip" (the default) drops and counts such records, "fail" fails the batch.`, "STREAM_ERR_KAFKA_DESERIALIZE"),
  notDirectStream: (what: string) =>
    createError(TypeError, `${what} has no Kafka offset ranges: only the batches of KafkaUtils.createDirectStream (before any operation) and KafkaUtils.createRDD have them. Call offsetRangesOf(rdd) in foreachRDD or transform on the direct stream itself.`, "STREAM_ERR_KAFKA_NO_OFFSET_RANGES"),
  commitFailed: (group: string, cause: string) =>
    createError(Error, `Committing offsets for consumer group "${group}" failed: ${cause}. The offsets are committed again with the next batch's commit.`, "STREAM_ERR_KAFKA_COMMIT"),
  fetchTimeout: (topic: string, partition: number, from: bigint, until: bigint, ms: number) =>
    // Spark's KafkaDataConsumer: "Failed to get records for ... after polling for ...".
    createError(Error, `Failed to get records for ${topic}-${partition} [${from}, ${until}) after polling for ${ms} ms (spark.streaming.kafka.consumer.poll.ms). Is the broker up? The batch is retried by recovery; raise the poll time if the broker is slow.`, "STREAM_ERR_KAFKA_POLL_TIMEOUT"),
  sinkFailed: (topic: string, time: number, cause: string) =>
    createError(Error, `Writing batch ${time} ms to Kafka topic "${topic}" failed: ${cause}.`, "STREAM_ERR_KAFKA_SINK"),
};
