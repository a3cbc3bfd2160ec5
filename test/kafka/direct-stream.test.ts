import {
  ConsumerRecord, ConsumerStrategies, KafkaParams, ConsumerStrategy, createKafkaTopic, DStream, hasCode, KafkaUtils, LocationStrategies, ManualClock,
  OffsetRange, offsetRangesOf, produceToKafka, StreamingContext,
} from "../../engine";
import { KafkaClient, loadClient } from "../../engine/sources/kafka/client";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setLogger } from "../../engine/log";
import { KafkaBroker, startKafka } from "../../engine/tools/kafka-broker";

// The direct stream against a real Apache Kafka broker, started by the project's own code (one per
// suite). Batches run in virtual time (ManualClock): advancing the clock runs a batch to completion,
// its Kafka reads included; offsets are exact because each test writes its own topics.

let kafka: KafkaBroker;
const warnings: string[] = [];
beforeAll(async () => {
  kafka = await startKafka();
  setLogger({ info: () => {}, warn: (m: string) => warnings.push(m) });
}, 180_000);
afterAll(async () => {
  await StreamingContext.stopActive();
  await kafka?.stop();
});
afterEach(async () => { await StreamingContext.stopActive(); });

const params = (extra: Record<string, unknown> = {}): KafkaParams => ({ "bootstrap.servers": kafka.bootstrap, "auto.offset.reset": "earliest", ...extra });
const range = (r: OffsetRange) => `${r.topic}-${r.partition} ${r.fromOffset}->${r.untilOffset}`;

interface Run {
  clock: ManualClock;
  ssc: StreamingContext;
  ranges: Map<number, string[]>;
  values: Map<number, string[]>;
  errors: Error[];
}

/** A context with one direct stream whose batches' ranges and values are recorded by batch time. */
function directStream(strategy: ConsumerStrategy, conf: Record<string, string | number | boolean> = {}, onStream?: (s: ReturnType<typeof KafkaUtils.createDirectStream>) => void): Run {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ appName: "kafka-test", master: "local[2]", batchDuration: 1000, clock, conf });
  const stream = KafkaUtils.createDirectStream(ssc, LocationStrategies.PreferConsistent(), strategy);
  const run: Run = { clock, ssc, ranges: new Map(), values: new Map(), errors: [] };
  stream.foreachRDD((rdd, time) => {
    run.ranges.set(time.milliseconds, offsetRangesOf(rdd).map(range));
    run.values.set(time.milliseconds, rdd.collect().map((r: ConsumerRecord) => `${r.partition}:${r.offset}:${r.value}`));
  });
  onStream?.(stream);
  ssc.addStreamingListener({ onOutputOperationCompleted: ({ outputOperationInfo }) => { if (outputOperationInfo.failureReason) run.errors.push(new Error(outputOperationInfo.failureReason)); } });
  ssc.start();
  return run;
}

let topicSeq = 0;
async function topic(partitions: number, prefix = "t"): Promise<string> {
  const name = `${prefix}-${process.pid}-${++topicSeq}`;
  await createKafkaTopic(kafka.bootstrap, name, { partitions });
  return name;
}
/** Resolves once partition 0 of `t` has no open transaction (its last stable offset is its end). */
async function markersWritten(t: string): Promise<void> {
  const client = new KafkaClient({ servers: [kafka.bootstrap], clientId: "test", groupId: "test", attempts: 1, backoffMs: 0, requestTimeoutMs: 10_000 });
  try {
    for (let i = 0; i < 200; i++) {
      const tp = [{ topic: t, partition: 0 }];
      const [stable, end] = await Promise.all([client.listOffsets(tp, "latest", true), client.listOffsets(tp, "latest", false)]);
      if (stable.get(`${t}-0`) === end.get(`${t}-0`)) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`a transaction on ${t} stayed open`);
  } finally {
    await client.close();
  }
}
const lines = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`);

describe("KafkaUtils.createDirectStream on a real broker", () => {
  it("reads each batch from the current to the latest offset, one partition per Kafka partition", async () => {
    const t = await topic(2);
    await produceToKafka(kafka.bootstrap, t, lines(5, "a").map((value) => ({ value, partition: 0 })));
    await produceToKafka(kafka.bootstrap, t, lines(3, "b").map((value) => ({ value, partition: 1 })));
    const run = directStream(ConsumerStrategies.Subscribe([t], params()));
    await run.clock.advance(1000);
    await produceToKafka(kafka.bootstrap, t, lines(2, "c").map((value) => ({ value, partition: 0 })));
    await run.clock.advance(2000);
    expect(Object.fromEntries(run.ranges)).toEqual({
      1000: [`${t}-0 0->5`, `${t}-1 0->3`],
      2000: [`${t}-0 5->7`, `${t}-1 3->3`],
      3000: [`${t}-0 7->7`, `${t}-1 3->3`],
    });
    expect(run.values.get(1000)).toEqual(["0:0:a0", "0:1:a1", "0:2:a2", "0:3:a3", "0:4:a4", "1:0:b0", "1:1:b1", "1:2:b2"]);
    expect(run.values.get(2000)).toEqual(["0:5:c0", "0:6:c1"]);
    expect(run.values.get(3000)).toEqual([]);
    expect(run.errors).toEqual([]);
  });

  it("bounds each partition's range by maxRatePerPartition x batch seconds", async () => {
    const t = await topic(2);
    await produceToKafka(kafka.bootstrap, t, lines(10, "a").map((value) => ({ value, partition: 0 })));
    await produceToKafka(kafka.bootstrap, t, lines(4, "b").map((value) => ({ value, partition: 1 })));
    const run = directStream(ConsumerStrategies.Subscribe([t], params()), { "spark.streaming.kafka.maxRatePerPartition": 3 });
    await run.clock.advance(5000);
    expect(Object.fromEntries(run.ranges)).toEqual({
      1000: [`${t}-0 0->3`, `${t}-1 0->3`],
      2000: [`${t}-0 3->6`, `${t}-1 3->4`],
      3000: [`${t}-0 6->9`, `${t}-1 4->4`],
      4000: [`${t}-0 9->10`, `${t}-1 4->4`],
      5000: [`${t}-0 10->10`, `${t}-1 4->4`],
    });
  });

  it("with backpressure, splits the rate over the partitions by their lag (initialRate before the first estimate)", async () => {
    const t = await topic(2);
    await produceToKafka(kafka.bootstrap, t, lines(10, "a").map((value) => ({ value, partition: 0 })));
    await produceToKafka(kafka.bootstrap, t, lines(2, "b").map((value) => ({ value, partition: 1 })));
    // rate 4/s, lags 10 and 2: 4 x 10/12 = 3.33 -> 3 records, 4 x 2/12 = 0.67 -> minRatePerPartition 1.
    const run = directStream(ConsumerStrategies.Subscribe([t], params()), { "spark.streaming.backpressure.enabled": true, "spark.streaming.backpressure.initialRate": 4 });
    await run.clock.advance(2000);
    // Batches take no virtual time, so the PID estimator never gets a processing delay: initialRate stays.
    // Lags then 7 and 1: 4 x 7/8 = 3.5 -> 3, 4 x 1/8 = 0.5 -> 1.
    expect(Object.fromEntries(run.ranges)).toEqual({
      1000: [`${t}-0 0->3`, `${t}-1 0->1`],
      2000: [`${t}-0 3->6`, `${t}-1 1->2`],
    });
  });

  it("starts at the given offsets, else at auto.offset.reset (latest: only what is written after start)", async () => {
    const t = await topic(1);
    await produceToKafka(kafka.bootstrap, t, lines(6, "a"));
    const given = directStream(ConsumerStrategies.Subscribe([t], params(), { [`${t}-0`]: 4 }));
    await given.clock.advance(1000);
    expect(given.ranges.get(1000)).toEqual([`${t}-0 4->6`]);
    await given.ssc.stop();

    const latest = directStream(ConsumerStrategies.Subscribe([t], params({ "auto.offset.reset": "latest" })));
    await latest.clock.advance(1000);
    await produceToKafka(kafka.bootstrap, t, ["new"]);
    await latest.clock.advance(1000);
    expect(Object.fromEntries(latest.ranges)).toEqual({ 1000: [`${t}-0 6->6`], 2000: [`${t}-0 6->7`] });
    expect(latest.values.get(2000)).toEqual(["0:6:new"]);
  });

  it("SubscribePattern reads every matching topic, Assign exactly the given partitions", async () => {
    const a = await topic(1, "pat");
    const b = await topic(2, "pat");
    const other = await topic(1, "other");
    for (const x of [a, b, other]) await produceToKafka(kafka.bootstrap, x, ["x", "y"]);
    const prefix = new RegExp(`^pat-${process.pid}-`);
    const pattern = directStream(ConsumerStrategies.SubscribePattern(prefix, params()));
    await pattern.clock.advance(1000);
    expect(pattern.ranges.get(1000)).toEqual([`${a}-0 0->2`, `${b}-0 0->2`, `${b}-1 0->0`]);
    await pattern.ssc.stop();

    await produceToKafka(kafka.bootstrap, b, [{ value: "p1", partition: 1 }]);
    const assign = directStream(ConsumerStrategies.Assign([{ topic: b, partition: 1 }], params()));
    await assign.clock.advance(1000);
    expect(assign.ranges.get(1000)).toEqual([`${b}-1 0->1`]);
    expect(assign.values.get(1000)).toEqual(["1:0:p1"]);
  });

  it("commitAsync commits the ranges to the group with the next batch; a new stream of the group starts there", async () => {
    const t = await topic(2);
    const group = `g-${process.pid}-${topicSeq}`;
    await produceToKafka(kafka.bootstrap, t, lines(4, "a"), { partitions: 2 });
    const commits: Array<[string, number][]> = [];
    let committed = false;
    const run = directStream(ConsumerStrategies.Subscribe([t], params({ "group.id": group })), {}, (stream) => {
      stream.foreachRDD((rdd) => {
        if (committed) return;
        committed = true;
        stream.commitAsync(offsetRangesOf(rdd), (offsets, err) => { if (!err) commits.push([...offsets].sort()); });
      });
    });
    const client = new KafkaClient({ servers: [kafka.bootstrap], clientId: "test", groupId: group, attempts: 1, backoffMs: 0, requestTimeoutMs: 10_000 });
    const tps = [{ topic: t, partition: 0 }, { topic: t, partition: 1 }];
    try {
      await run.clock.advance(1000);
      expect(commits).toEqual([]);
      expect([...(await client.committed(group, tps))]).toEqual([]);
      await produceToKafka(kafka.bootstrap, t, ["later"]);
      await run.clock.advance(1000);
      expect(commits).toEqual([[[`${t}-0`, 2], [`${t}-1`, 2]]]);
      expect([...(await client.committed(group, tps))].sort()).toEqual([[`${t}-0`, 2], [`${t}-1`, 2]]);
      await run.ssc.stop();

      const again = directStream(ConsumerStrategies.Subscribe([t], params({ "group.id": group })));
      await again.clock.advance(1000);
      expect(again.ranges.get(1000)).toEqual([`${t}-0 2->3`, `${t}-1 2->2`]);
    } finally {
      await client.close();
    }
  });

  it("skips transaction markers and aborted records (read_committed) when allowNonConsecutiveOffsets is set", async () => {
    const t = await topic(1);
    // A transaction's marker is written after EndTxn returns: wait for it, so offsets are as commented.
    await produceToKafka(kafka.bootstrap, t, ["c0", "c1", "c2"], { transactional: "commit" }); // 0-2, marker 3
    await markersWritten(t);
    await produceToKafka(kafka.bootstrap, t, ["x0", "x1"], { transactional: "abort" }); // 4-5, marker 6
    await markersWritten(t);
    await produceToKafka(kafka.bootstrap, t, ["p0", "p1"]); // 7-8
    const conf = { "spark.streaming.kafka.allowNonConsecutiveOffsets": true };
    const committed = directStream(ConsumerStrategies.Subscribe([t], params({ "isolation.level": "read_committed" })), conf);
    await committed.clock.advance(1000);
    expect(committed.ranges.get(1000)).toEqual([`${t}-0 0->9`]);
    expect(committed.values.get(1000)).toEqual(["0:0:c0", "0:1:c1", "0:2:c2", "0:7:p0", "0:8:p1"]);
    await committed.ssc.stop();

    const uncommitted = directStream(ConsumerStrategies.Subscribe([t], params()), conf);
    await uncommitted.clock.advance(1000);
    expect(uncommitted.values.get(1000)).toEqual(["0:0:c0", "0:1:c1", "0:2:c2", "0:4:x0", "0:5:x1", "0:7:p0", "0:8:p1"]);
    await uncommitted.ssc.stop();

    // Without it, Spark's error: the range has a gap.
    const strict = directStream(ConsumerStrategies.Subscribe([t], params()));
    const failure = new Promise<unknown>((resolve) => { strict.ssc.awaitTermination().catch(resolve); });
    await strict.clock.advance(1000);
    const err = await failure;
    expect(hasCode(err, "STREAM_ERR_KAFKA_NON_CONSECUTIVE")).toBe(true);
    expect((err as Error).message).toContain(`Got wrong record for ${t}-0 even after seeking to offset 3`);
    expect(strict.ranges.size).toBe(0);
  });

  it("reads a transaction committed between two aborted ones of the same transactional id (read_committed)", async () => {
    // What an exactly-once sink restarted twice leaves: the first incarnation's transaction
    // aborted with its records, the second's committed, the third's aborted with no record in this
    // partition (it was killed between adding the partition and producing). The Kafka client's own
    // read_committed filter took everything from the first aborted record to the last abort marker
    // as aborted, so the committed records between were lost.
    const t = await topic(1);
    const txId = `between-${process.pid}`;
    await produceToKafka(kafka.bootstrap, t, ["x0"], { transactional: "abort", transactionalId: txId }); // 0, marker 1
    await markersWritten(t);
    await produceToKafka(kafka.bootstrap, t, ["c0", "c1"], { transactional: "commit", transactionalId: txId }); // 2-3, marker 4
    await markersWritten(t);
    const { Producer, stringSerializers } = loadClient();
    const producer = new Producer({ clientId: "test", bootstrapBrokers: [kafka.bootstrap], serializers: stringSerializers, idempotent: true, autocreateTopics: false, transactionalId: txId, producerId: -1n, producerEpoch: -1 });
    try {
      const tx = await producer.beginTransaction();
      const metadata = await producer.metadata({ topics: [t] });
      await tx.addPartitions(metadata, [{ topic: t, partition: 0, value: Buffer.from("never sent") }]);
      await tx.abort(); // marker 5, no record
    } finally {
      await producer.close();
    }
    await markersWritten(t);
    await produceToKafka(kafka.bootstrap, t, ["p0"]); // 6
    const gaps = new StreamingContext({ batchDuration: 1000, conf: { "spark.streaming.kafka.allowNonConsecutiveOffsets": true } });
    const rdd = await KafkaUtils.createRDD(gaps, { "bootstrap.servers": kafka.bootstrap, "isolation.level": "read_committed" }, [OffsetRange.create(t, 0, 0, 7)]);
    expect(rdd.collect().map((r) => `${r.offset}:${r.value}`)).toEqual(["2:c0", "3:c1", "6:p0"]);
  });

  it("after a crash, getOrCreate recomputes a batch that ran but was not checkpointed from exactly its ranges, then goes on", async () => {
    const t = await topic(1);
    await produceToKafka(kafka.bootstrap, t, lines(5, "a"));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-kafka-recovery-"));
    const seen: Array<{ time: number; ranges: string[]; total: number }> = [];
    const build = (clock: ManualClock) => () => {
      const ssc = new StreamingContext({ appName: "kafka-recovery", master: "local[2]", batchDuration: 1000, clock, conf: { "spark.streaming.kafka.maxRatePerPartition": 2 } });
      ssc.checkpoint(dir);
      const stream = KafkaUtils.createDirectStream(ssc, LocationStrategies.PreferConsistent(), ConsumerStrategies.Subscribe([t], params()));
      const ranges = new Map<number, string[]>();
      stream.foreachRDD((rdd, time) => { ranges.set(time.milliseconds, offsetRangesOf(rdd).map(range)); });
      stream.map((r): [string, number] => ["records", 1]).updateStateByKey((ones: number[], n?: number) => ones.length + (n ?? 0))
        .foreachRDD((rdd, time) => { seen.push({ time: time.milliseconds, ranges: ranges.get(time.milliseconds) ?? [], total: (rdd.collect()[0]?.[1] as number) ?? 0 }); });
      return ssc;
    };
    const clockA = new ManualClock(0);
    const a = StreamingContext.getOrCreate(dir, build(clockA));
    a.start();
    await clockA.advance(3000);
    a.abandonForTest();
    // The crash came after batch 3000 ran and before its checkpoint was written.
    fs.rmSync(path.join(dir, "checkpoint-3000"));
    expect(seen).toEqual([
      { time: 1000, ranges: [`${t}-0 0->2`], total: 2 },
      { time: 2000, ranges: [`${t}-0 2->4`], total: 4 },
      { time: 3000, ranges: [`${t}-0 4->5`], total: 5 },
    ]);
    await produceToKafka(kafka.bootstrap, t, lines(3, "b")); // written while the application is down
    seen.length = 0;
    const clockB = new ManualClock(3000);
    const b = StreamingContext.getOrCreate(dir, build(clockB));
    b.start();
    await clockB.advance(2000);
    await b.stop();
    expect(seen).toEqual([
      { time: 3000, ranges: [`${t}-0 4->5`], total: 5 }, // the same range, not 4->6
      { time: 4000, ranges: [`${t}-0 5->7`], total: 7 },
      { time: 5000, ranges: [`${t}-0 7->8`], total: 8 },
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("KafkaUtils.createRDD reads explicit ranges; rdd.offsetRanges gives them back", async () => {
    const t = await topic(2);
    await produceToKafka(kafka.bootstrap, t, lines(6, "v"), { partitions: 2 });
    const ranges = [OffsetRange.create(t, 0, 1, 3), OffsetRange.create(t, 1, 0, 2)];
    const rdd = await KafkaUtils.createRDD(undefined, params(), ranges);
    expect(rdd.offsetRanges.map(range)).toEqual([`${t}-0 1->3`, `${t}-1 0->2`]);
    expect(rdd.partitions.map((p) => p.map((r) => r.value))).toEqual([["v2", "v4"], ["v1", "v3"]]);
    expect(ranges[0].count()).toBe(2);
    expect(() => offsetRangesOf(rdd.map((r) => r.value) as never)).toThrow(expect.objectContaining({ code: "STREAM_ERR_KAFKA_NO_OFFSET_RANGES" }));
    void DStream;
  });
});
