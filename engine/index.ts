/**
 * streamlab: Spark Streaming's DStream API in TypeScript.
 *
 * @example
 * import { StreamingContext, Durations } from "streamlab";
 * const ssc = new StreamingContext({ appName: "WordCount", master: "local[2]", batchDuration: Durations.seconds(1) });
 * ssc.socketTextStream("localhost", 9999)
 *   .flatMap((line) => line.split(" "))
 *   .mapToPair((w) => [w, 1])
 *   .reduceByKey((a, b) => a + b)
 *   .print();
 * ssc.start();
 * await ssc.awaitTermination();
 */

// Operators attach their methods to DStream when loaded: load them all with the package.
import "./dstream/mapped";
import "./dstream/flat-mapped";
import "./dstream/filtered";
import "./dstream/glommed";
import "./dstream/map-partitioned";
import "./dstream/transformed";
import "./dstream/union";
import "./dstream/map-valued";
import "./dstream/pair-functions";
import "./dstream/derived";
import "./dstream/window-functions";
import "./dstream/foreach-rdd";
import "./dstream/print";
import "./dstream/save-as-files";
import "./dstream/save-as-hadoop-files";
import "./dstream/update-state-by-key";
import "./dstream/map-with-state";
import "./sources/kafka/save-to-kafka";
import { nameOperations } from "./dstream/operation-names";

// Last, once every operator has attached its method: streams are named by the operation that made them.
nameOperations();

export { StreamingContext, StreamingContextState } from "./streaming-context";
export type { StreamingContextOptions, StopOptions, Removal } from "./streaming-context";
// Live graph changes and ownership (issue 19): see docs/live-graph.md.
export { setCurrentOwner, currentOwner, withOperation } from "./ownership";
export type { OutputHandle, OutputInfo, OutputStatus, OutputFailure } from "./scheduler/output-operation";
export { TextOutputFormat } from "./dstream/save-as-hadoop-files";
export type { HadoopOutputFormat } from "./dstream/save-as-hadoop-files";
export { SparkConf } from "./conf";
export type { ConfValue } from "./conf";
export { Duration, Durations, Milliseconds, Seconds, Minutes } from "./time/duration";
export type { DurationLike } from "./time/duration";
export { Time } from "./time/time";
export { ManualClock, SystemClock } from "./time/clock";
export type { Clock, TimerHandle } from "./time/clock";
export { DStream } from "./dstream/dstream";
export { InputDStream } from "./dstream/input-dstream";
export { ReceiverInputDStream } from "./dstream/receiver-input-dstream";
export { Receiver } from "./receiver/receiver";
export { SocketReceiver } from "./sources/socket-receiver";
export type { SocketConverter } from "./sources/socket-receiver";
export { bytesToLines, LineSplitter } from "./sources/line-splitter";
export { FileInputDStream, defaultFileFilter, textRecords, textLines, fixedLengthRecords } from "./sources/file-input-dstream";
export type { FileStreamOptions, FileFormat, FileStreamCheckpoint } from "./sources/file-input-dstream";
export { RDD } from "./rdd/rdd";
export type { PartitionSpec } from "./rdd/rdd";
export { HashPartitioner } from "./rdd/partitioner";
export type { Partitioner } from "./rdd/partitioner";
export { CompactBuffer, formatValue } from "./rdd/compact-buffer";
export { StorageLevel } from "./storage-level";
export { BatchInfo } from "./scheduler/batch-info";
export type { StreamInputInfo, OutputOperationInfo } from "./scheduler/batch-info";
export type { StreamingListener, ReceiverInfo, StreamNodeInfo, StreamSizeInfo, CheckpointWrittenInfo, CheckpointRestoredInfo } from "./scheduler/listener";
export { TestInputStream } from "./testing/test-input-stream";
export { formatBatch } from "./dstream/print";
export { readObjectFile, rddToFileName } from "./dstream/save-as-files";
export { outputHooks, setLiveGraphDefault } from "./output-hooks";
export type { OutputHooks, PrintSink, JobContext } from "./output-hooks";
export { setLogger } from "./log";
export type { Logger } from "./log";
export { hasCode } from "./errors/streaming-error";
export type { StreamingError } from "./errors/streaming-error";
export { State } from "./state/state";
export { StateSpec } from "./state/state-spec";
export type { MappingFunction, TimedMappingFunction } from "./state/state-spec";
export { MapWithStateDStream } from "./dstream/map-with-state";
export type { UpdateFunction, TimedUpdateFunction, IteratorUpdateFunction, PairKey, PairValue } from "./dstream/state";
export type { InitialState } from "./dstream/update-state-by-key";
// Tools for the course (issue 5): line server, seeded sales stream, faster stream time.
export { ScaledClock } from "./time/scaled-clock";
export type { ScaledClockOptions } from "./time/scaled-clock";
export { startLineServer } from "./tools/line-server";
export type { LineServer, LineServerOptions, LineSource } from "./tools/line-server";
export { salesLines, salesRecords, salesCatalog } from "./tools/sales-generator";
export type { SalesOptions, SalesRecord, SalesCatalog } from "./tools/sales-generator";
export { parseSale, parseSales } from "./tools/sales-parser";
export type { Sale, MalformedRecord, MalformedSaleRule, SaleParseResult, ParsedSales } from "./tools/sales-parser";
export { SalesFileWriter, writeLinesFile } from "./tools/sales-files";
export type { SalesFileWriterOptions } from "./tools/sales-files";
export { salesStream, SalesInputDStream } from "./tools/sales-stream";
export type { SalesStreamOptions } from "./tools/sales-stream";
export { mulberry32 } from "./tools/prng";
export type { Random } from "./tools/prng";
// Kafka (issue 20): the direct stream of spark-streaming-kafka-0-10, a sink, and the broker for the course.
export { KafkaUtils } from "./sources/kafka/kafka-utils";
export { ConsumerStrategies, LocationStrategies } from "./sources/kafka/strategies";
export type { ConsumerStrategy, LocationStrategy, StartingOffsets } from "./sources/kafka/strategies";
export { OffsetRange, offsetRangesOf } from "./sources/kafka/offset-range";
export type { HasOffsetRanges } from "./sources/kafka/offset-range";
export { KafkaRDD } from "./sources/kafka/kafka-rdd";
export { DirectKafkaInputDStream } from "./sources/kafka/direct-kafka-input-dstream";
export type { CanCommitOffsets, OffsetCommitCallback } from "./sources/kafka/direct-kafka-input-dstream";
export type { ConsumerRecord, TimestampType, KafkaHeader } from "./sources/kafka/consumer-record";
export type { KafkaParams, Deserializer } from "./sources/kafka/kafka-params";
export type { TopicPartition } from "./sources/kafka/client";
export { startKafka, KAFKA_VERSION } from "./tools/kafka-broker";
export type { KafkaBroker, KafkaBrokerOptions } from "./tools/kafka-broker";
export { createKafkaTopic, produceToKafka, startKafkaProducer } from "./tools/kafka-topics";
export { BATCH_TIME_HEADER } from "./sources/kafka/save-to-kafka";
export type { KafkaOutputRecord, ProducerConfig, SaveToKafkaOptions } from "./sources/kafka/save-to-kafka";
export type { CreateTopicOptions, ProduceRecord, KafkaProducerOptions, KafkaLineProducer } from "./tools/kafka-topics";
