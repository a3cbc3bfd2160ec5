import { BATCH_TIME_HEADER, createKafkaTopic, KafkaUtils, ManualClock, OffsetRange, StreamingContext } from "../../engine";
import { KafkaClient, loadClient } from "../../engine/sources/kafka/client";
import { setLogger } from "../../engine/log";
import { KafkaBroker, startKafka } from "../../engine/tools/kafka-broker";

// dstream.saveToKafka on a real broker: what a consumer of the output topic reads back.

let kafka: KafkaBroker;
beforeAll(async () => {
  kafka = await startKafka();
  setLogger({ info: () => {}, warn: () => {} });
}, 180_000);
afterAll(async () => {
  await StreamingContext.stopActive();
  await kafka?.stop();
});

/** Every record of partition 0 of `topic` as `value@batch time`, read with the given isolation. */
async function readBack(topic: string, isolation: "read_committed" | "read_uncommitted"): Promise<string[]> {
  const client = new KafkaClient({ servers: [kafka.bootstrap], clientId: "check", groupId: "check", attempts: 1, backoffMs: 0, requestTimeoutMs: 10_000 });
  try {
    const end = (await client.listOffsets([{ topic, partition: 0 }], "latest", isolation === "read_committed")).get(`${topic}-0`) ?? 0;
    const gaps = new StreamingContext({ batchDuration: 1000, conf: { "spark.streaming.kafka.allowNonConsecutiveOffsets": true } });
    const rdd = await KafkaUtils.createRDD(gaps, { "bootstrap.servers": kafka.bootstrap, "isolation.level": isolation }, [OffsetRange.create(topic, 0, 0, end)]);
    return rdd.collect().map((r) => `${r.key === null ? "" : `${r.key}=`}${r.value}@${r.headers.find(([k]) => k === BATCH_TIME_HEADER)?.[1]}`);
  } finally {
    await client.close();
  }
}

function context(appName: string): { clock: ManualClock; ssc: StreamingContext } {
  const clock = new ManualClock(0);
  return { clock, ssc: new StreamingContext({ appName, master: "local[2]", batchDuration: 1000, clock }) };
}

describe("saveToKafka", () => {
  it("writes every batch's elements (pairs as key and value) and waits for the acknowledgements", async () => {
    const topic = `sink-${process.pid}-1`;
    await createKafkaTopic(kafka.bootstrap, topic);
    const { clock, ssc } = context("sink-alo");
    ssc.queueStream([[["a", 1], ["b", 2]], [["c", 3]]]).saveToKafka({ "bootstrap.servers": kafka.bootstrap }, topic);
    ssc.start();
    await clock.advance(2000);
    await ssc.stop();
    expect(await readBack(topic, "read_uncommitted")).toEqual(["a=1@1000", "b=2@1000", "c=3@2000"]);
  });

  it("exactly-once: a recomputed batch that is already committed is not written again, a killed incarnation's open transaction is aborted", async () => {
    const topic = `sink-${process.pid}-2`;
    await createKafkaTopic(kafka.bootstrap, topic);
    const first = context("sink-eo");
    first.ssc.queueStream([["x1"], ["x2"]]).saveToKafka({ "bootstrap.servers": kafka.bootstrap }, topic, (v: string) => v, { exactlyOnce: true });
    first.ssc.start();
    await first.clock.advance(2000);
    await first.ssc.stop();

    // An incarnation killed inside its transaction: records written, never committed.
    const { Producer, stringSerializers } = loadClient();
    const zombie = new Producer({ clientId: "zombie", bootstrapBrokers: [kafka.bootstrap], serializers: stringSerializers, transactionalId: "streamlab-sink-eo-0", producerId: -1n, producerEpoch: -1, idempotent: true, autocreateTopics: false });
    const tx = await zombie.beginTransaction();
    await tx.send({ messages: [{ topic, value: "zombie", partition: 0, headers: { [BATCH_TIME_HEADER]: "3000" } }], acks: -1 });
    await zombie.close(true);

    // The same application recomputes batches 1000 and 2000 (as after a crash) and goes on.
    const second = context("sink-eo");
    second.ssc.queueStream([["x1"], ["x2"], ["x3"]]).saveToKafka({ "bootstrap.servers": kafka.bootstrap }, topic, (v: string) => v, { exactlyOnce: true });
    second.ssc.start();
    await second.clock.advance(3000);
    await second.ssc.stop();
    expect(await readBack(topic, "read_committed")).toEqual(["x1@1000", "x2@2000", "x3@3000"]);
    expect(await readBack(topic, "read_uncommitted")).toEqual(["x1@1000", "x2@2000", "zombie@3000", "x3@3000"]);
  }, 120_000);
});
