import {
  ConsumerRecord, ConsumerStrategies, createKafkaTopic, hasCode, KafkaParams, KafkaUtils, LocationStrategies, ManualClock,
  offsetRangesOf, produceToKafka, StreamingContext,
} from "../../engine";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setLogger } from "../../engine/log";
import { KafkaBroker, freePort, startKafka } from "../../engine/tools/kafka-broker";

// Faults around the direct stream, on a broker of this suite's own (one test stops and restarts it).

let kafka: KafkaBroker;
const warnings: string[] = [];
beforeAll(async () => {
  kafka = await startKafka();
  setLogger({ info: () => {}, warn: (m: string) => warnings.push(m) });
  const report = StreamingContext.prototype.reportError;
  StreamingContext.prototype.reportError = function (this: StreamingContext, message: string, error: Error) {
    reportedErrors.push(error);
    report.call(this, message, error);
  };
}, 180_000);
afterAll(async () => {
  await StreamingContext.stopActive();
  await kafka?.stop();
});
afterEach(async () => { await StreamingContext.stopActive(); warnings.length = 0; reportedErrors.length = 0; });

const params = (extra: Record<string, unknown> = {}): KafkaParams => ({ "bootstrap.servers": kafka.bootstrap, "auto.offset.reset": "earliest", ...extra });

interface Run { clock: ManualClock; ssc: StreamingContext; ranges: Map<number, string[]>; values: Map<number, unknown[]>; errors: Error[]; stream: ReturnType<typeof KafkaUtils.createDirectStream> }

function directStream(kafkaParams: KafkaParams, topics: string[], offsets?: Record<string, number>, conf: Record<string, string | number | boolean> = {}): Run {
  const clock = new ManualClock(0);
  const ssc = new StreamingContext({ appName: "kafka-faults", master: "local[2]", batchDuration: 1000, clock, conf });
  const stream = KafkaUtils.createDirectStream(ssc, LocationStrategies.PreferConsistent(), ConsumerStrategies.Subscribe(topics, kafkaParams, offsets));
  const run: Run = { clock, ssc, ranges: new Map(), values: new Map(), errors: [], stream };
  stream.foreachRDD((rdd, time) => {
    run.ranges.set(time.milliseconds, offsetRangesOf(rdd).map((r) => `${r.partition} ${r.fromOffset}->${r.untilOffset}`));
    run.values.set(time.milliseconds, rdd.collect().map((r: ConsumerRecord<unknown, unknown>) => r.value));
  });
  // awaitTermination gives only the latest batch error: every one is kept from reportError instead.
  Object.defineProperty(run, "errors", { get: () => reportedErrors });
  ssc.start();
  return run;
}

async function settle(): Promise<void> { await new Promise((r) => setImmediate(r)); }

const reportedErrors: Error[] = [];

let seq = 0;
async function topic(partitions = 1): Promise<string> {
  const name = `f-${process.pid}-${++seq}`;
  await createKafkaTopic(kafka.bootstrap, name, { partitions });
  return name;
}

describe("Kafka faults", () => {
  it("a broker absent at start fails each batch with the address and the fix, after Spark's retries", async () => {
    const port = await freePort();
    const run = directStream({ "bootstrap.servers": `127.0.0.1:${port}`, "request.timeout.ms": 2000 }, ["sales"]);
    await run.clock.advance(1000);
    await settle();
    expect(run.errors.length).toBeGreaterThanOrEqual(1);
    const err = run.errors[0];
    expect(hasCode(err, "STREAM_ERR_KAFKA_UNREACHABLE")).toBe(true);
    expect(err.message).toContain(`Could not reach a Kafka broker at bootstrap.servers=127.0.0.1:${port} (2 attempts, spark.streaming.kafka.maxRetries + 1`);
    expect(err.message).toContain("npx streamlab kafka start");
    expect(run.ranges.size).toBe(0);
  }, 60_000);

  it("an unknown topic fails with the topics that exist", async () => {
    const t = await topic();
    const run = directStream(params(), [`${t}-missing`]);
    await run.clock.advance(1000);
    await settle();
    expect(hasCode(run.errors[0], "STREAM_ERR_KAFKA_UNKNOWN_TOPIC")).toBe(true);
    expect(run.errors[0].message).toContain(`Unknown Kafka topic "${t}-missing" on ${kafka.bootstrap}`);
    expect(run.errors[0].message).toContain(t);
  });

  it("a failing deserializer: records dropped and counted by default, the batch failed with \"fail\"", async () => {
    const t = await topic();
    await produceToKafka(kafka.bootstrap, t, ['{"n":1}', "not json", '{"n":3}', "{oops"]);
    const skip = directStream(params({ "value.deserializer": "json" }), [t]);
    await skip.clock.advance(1000);
    expect(skip.values.get(1000)).toEqual([{ n: 1 }, { n: 3 }]);
    expect(skip.ranges.get(1000)).toEqual(["0 0->4"]);
    expect(skip.stream.deserializationErrors).toBe(2);
    expect(warnings.some((w) => w.includes("STREAM_ERR_KAFKA_DESERIALIZE") && w.includes(`value deserializer failed on 2 of 4 records of this batch (first: ${t}-0 offset 1`))).toBe(true);
    await skip.ssc.stop();

    const fail = directStream(params({ "value.deserializer": "json", "streamlab.kafka.deserializationErrors": "fail" }), [t]);
    await fail.clock.advance(1000);
    await settle();
    expect(hasCode(fail.errors[0], "STREAM_ERR_KAFKA_DESERIALIZE")).toBe(true);
    expect(fail.values.size).toBe(0);
  });

  it("offsets out of range follow auto.offset.reset, and fail with Spark's error under \"none\"", async () => {
    const t = await topic();
    await produceToKafka(kafka.bootstrap, t, ["a", "b", "c"]);
    const reset = directStream(params(), [t], { [`${t}-0`]: 100 });
    await reset.clock.advance(1000);
    expect(reset.ranges.get(1000)).toEqual(["0 0->3"]);
    expect(warnings.some((w) => w.includes(`offset 100 of ${t}-0 is out of range [0, 3]; resetting to 0 (auto.offset.reset=earliest)`))).toBe(true);
    await reset.ssc.stop();

    const none = directStream(params({ "auto.offset.reset": "none" }), [t], { [`${t}-0`]: 100 });
    await none.clock.advance(1000);
    await settle();
    expect(hasCode(none.errors[0], "STREAM_ERR_KAFKA_OFFSET_OUT_OF_RANGE")).toBe(true);
    expect(none.errors[0].message).toContain(`Offsets out of range with no configured reset policy for partitions: {${t}-0=100}`);
  });

  it("a broker stopped mid-stream fails the batches while it is down, then resumes from the right offsets", async () => {
    const t = await topic(2);
    await produceToKafka(kafka.bootstrap, t, ["a0", "a1", "a2"], { partitions: 2 });
    const run = directStream(params({ "request.timeout.ms": 2000 }), [t]);
    await run.clock.advance(1000);
    expect(run.ranges.get(1000)).toEqual(["0 0->2", "1 0->1"]);
    await kafka.kill();
    await run.clock.advance(2000);
    await settle();
    expect(run.ranges.has(2000) || run.ranges.has(3000)).toBe(false);
    expect(run.errors.length).toBeGreaterThanOrEqual(1);
    expect(hasCode(run.errors[0], "STREAM_ERR_KAFKA_UNREACHABLE")).toBe(true);
    await kafka.restart();
    await produceToKafka(kafka.bootstrap, t, ["b0", "b1", "b2", "b3"], { partitions: 2 });
    await run.clock.advance(1000);
    expect(run.ranges.get(4000)).toEqual(["0 2->4", "1 1->3"]);
    expect(run.values.get(4000)).toEqual(["b0", "b2", "b1", "b3"]);
  }, 180_000);

  it("after a crash, a batch time that failed (broker down) is replayed empty, and the batches after it keep their ranges", async () => {
    const t = await topic(1);
    await produceToKafka(kafka.bootstrap, t, ["a0", "a1"]);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-kafka-skip-"));
    const seen: string[] = [];
    const build = (clock: ManualClock) => () => {
      const ssc = new StreamingContext({ appName: "kafka-skip", master: "local[2]", batchDuration: 1000, clock });
      ssc.checkpoint(dir);
      const stream = KafkaUtils.createDirectStream(ssc, LocationStrategies.PreferConsistent(), ConsumerStrategies.Subscribe([t], params({ "request.timeout.ms": 2000 })));
      stream.foreachRDD((rdd, time) => { seen.push(`${time.milliseconds}: ${offsetRangesOf(rdd).map((r) => `${r.fromOffset}->${r.untilOffset}`).join(" ")}`); });
      return ssc;
    };
    const clockA = new ManualClock(0);
    const a = StreamingContext.getOrCreate(dir, build(clockA));
    a.start();
    await clockA.advance(1000);
    await kafka.kill();
    await clockA.advance(1000); // batch 2000 fails: no ranges
    await kafka.restart();
    await produceToKafka(kafka.bootstrap, t, ["b0", "b1", "b2"]);
    await clockA.advance(1000); // batch 3000 reads what 2000 could not
    a.abandonForTest();
    fs.rmSync(path.join(dir, "checkpoint-3000"), { force: true }); // killed before its checkpoint
    expect(seen).toEqual(["1000: 0->2", "3000: 2->5"]);
    await produceToKafka(kafka.bootstrap, t, ["c0"]);
    seen.length = 0;
    const clockB = new ManualClock(3000);
    const b = StreamingContext.getOrCreate(dir, build(clockB));
    b.start();
    await clockB.advance(1000);
    await b.stop();
    // 2000 is empty (not 5->6, which would put c0 before 3000's records); 3000 keeps its range.
    expect(seen).toEqual(["2000: 5->5", "3000: 2->5", "4000: 5->6"]);
    fs.rmSync(dir, { recursive: true, force: true });
  }, 180_000);
});
