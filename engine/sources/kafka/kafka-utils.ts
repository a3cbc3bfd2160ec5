import type { StreamingContext } from "../../streaming-context";
import { KafkaClient } from "./client";
import type { ConsumerRecord } from "./consumer-record";
import { DirectKafkaInputDStream } from "./direct-kafka-input-dstream";
import { KafkaErrors } from "./kafka-errors";
import { decodeHeaders, KafkaParams, resolveParams } from "./kafka-params";
import { KafkaRDD } from "./kafka-rdd";
import { OffsetRange } from "./offset-range";
import type { ConsumerStrategy, LocationStrategy } from "./strategies";

/**
 * Spark's KafkaUtils (spark-streaming-kafka-0-10): the direct stream and batch reads of explicit
 * offset ranges.
 */
export const KafkaUtils = {
  /**
   * A stream of Kafka records with no receiver: each batch reads, per partition, from where the
   * last one stopped to the latest offset (bounded by `spark.streaming.kafka.maxRatePerPartition`
   * and backpressure), one batch partition per Kafka partition; see DirectKafkaInputDStream.
   * Keys and values are strings unless kafkaParams choose other deserializers.
   *
   * @example
   * const stream = KafkaUtils.createDirectStream(ssc, LocationStrategies.PreferConsistent(),
   *   ConsumerStrategies.Subscribe(["sales"], { "bootstrap.servers": "127.0.0.1:9092", "group.id": "course", "auto.offset.reset": "earliest" }));
   * stream.map((r) => r.value).print();
   */
  createDirectStream<K = string, V = string>(ssc: StreamingContext, locationStrategy: LocationStrategy, consumerStrategy: ConsumerStrategy): DirectKafkaInputDStream<K, V> {
    if (!locationStrategy || typeof locationStrategy.kind !== "string") throw KafkaErrors.badParam("locationStrategy", String(locationStrategy), "pass LocationStrategies.PreferConsistent()");
    if (!consumerStrategy || typeof consumerStrategy.kind !== "string") throw KafkaErrors.badParam("consumerStrategy", String(consumerStrategy), "pass ConsumerStrategies.Subscribe([...topics], kafkaParams)");
    return new DirectKafkaInputDStream<K, V>(ssc, consumerStrategy);
  },

  /**
   * The records of explicit offset ranges as one RDD (Spark's KafkaUtils.createRDD), one partition
   * per range. Asynchronous here (`await`), as reading Kafka is; Spark's RDD reads lazily instead.
   *
   * @example
   * const rdd = await KafkaUtils.createRDD(ssc, { "bootstrap.servers": kafka.bootstrap }, [OffsetRange.create("sales", 0, 0, 100)]);
   */
  async createRDD<K = string, V = string>(ssc: StreamingContext | undefined, kafkaParams: KafkaParams, offsetRanges: OffsetRange[], _locationStrategy?: LocationStrategy): Promise<KafkaRDD<K, V>> {
    const params = resolveParams(kafkaParams, ssc?.conf);
    const client = new KafkaClient(params.client);
    try {
      const raw = await Promise.all(offsetRanges.map((r) => client.fetchRange(r, params.readCommitted, params.allowNonConsecutiveOffsets, params.pollMs)));
      const partitions = offsetRanges.map((range, i) => raw[i].map((r): ConsumerRecord<K, V> => {
        const meta = { topic: range.topic, partition: range.partition, offset: r.offset };
        return {
          topic: range.topic, partition: range.partition, offset: r.offset, timestamp: r.timestamp,
          timestampType: r.logAppendTime ? "LogAppendTime" : "CreateTime",
          key: params.keyDeserializer(r.key, meta) as K | null, value: params.valueDeserializer(r.value, meta) as V | null,
          headers: decodeHeaders(r.headers),
        };
      }));
      return new KafkaRDD<K, V>(offsetRanges.map((r) => new OffsetRange(r.topic, r.partition, r.fromOffset, r.untilOffset)), partitions, ssc?.rddContext);
    } finally {
      await client.close();
    }
  },
};
