import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { createKafkaTopic, KafkaUtils, OffsetRange, StreamingContext } from "../../engine";
import { KafkaClient, loadClient } from "../../engine/sources/kafka/client";
import { BATCH_TIME_HEADER } from "../../engine/sources/kafka/save-to-kafka";
import { KafkaBroker, startKafka } from "../../engine/tools/kafka-broker";
import { ChildPrograms, transpileForChildren, waitExit } from "../checkpoint/child-process";
import { wordsOf } from "../checkpoint/crash-app";
import { WINDOW_MS } from "./kafka-crash-app";
import { waitUntil } from "../helpers/wait";

// The Kafka kill -9 harness: a child process runs kafka-crash-app.ts (a direct stream, a stateful
// word count, an exactly-once Kafka sink) and is SIGKILLed KILLS times at random moments while
// this process keeps producing to the input topic (also while the child is down); each time it is
// restarted and getOrCreate recovers it from its checkpoint, with no write-ahead log. Then a last
// run catches up and:
// - its totals must equal the word counts of every record in the input topic (read back from
//   Kafka: the ground truth), each counted once;
// - the sink's output, read with read_committed, must hold each batch's counts exactly once (no
//   batch time twice for a word) and add up to the same totals;
// - the last 2 s window (reduceByKeyAndWindow with an inverse function) must equal the sum of the
//   sink's per-batch counts of the batches it covers.

const KILLS = Number(process.env.STREAMLAB_KAFKA_KILLS ?? 20);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomBetween = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

let kafka: KafkaBroker;
let children: ChildPrograms;
beforeAll(async () => {
  children = transpileForChildren(["test/kafka/kafka-crash-app.ts", "test/checkpoint/crash-app.ts"]);
  kafka = await startKafka();
}, 180_000);
afterAll(async () => { await kafka?.stop(); });

/** Writes records `<k> <words of k>` to `topic` (two partitions) until stopped; resolves to the count. */
function startProducer(topic: string): { stop: () => Promise<number> } {
  const { Producer, stringSerializers } = loadClient();
  const producer = new Producer({ clientId: "kill-harness", bootstrapBrokers: [kafka.bootstrap], serializers: stringSerializers, idempotent: true, autocreateTopics: false, retries: 5 });
  let running = true;
  let k = 0;
  const loop = (async () => {
    while (running) {
      const messages = Array.from({ length: 5 }, () => { k++; return { topic, value: `${k} ${wordsOf(k).join(" ")}`, partition: k % 2 }; });
      await producer.send({ messages, acks: -1 });
      await sleep(25);
    }
  })();
  return { stop: async () => { running = false; await loop; await producer.close(); return k; } };
}

async function waitUntilAsync(pred: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

function readStatus(file: string): { time: number; totals: Record<string, number> } | undefined {
  try { return JSON.parse(fs.readFileSync(file, "utf8")); } catch { return undefined; }
}
const sum = (totals: Record<string, number>) => Object.values(totals).reduce((a, b) => a + b, 0);

/**
 * Which batches the sink misses: every batch the application computed (batches.log, written by
 * kafka-crash-app) against the batch times read back with read_committed, and whether a missing
 * batch is in the topic at all (read_uncommitted): written but aborted, or never written.
 */
async function diagnoseSink(client: KafkaClient, ssc: StreamingContext, dir: string, outTopic: string, committed: { headers: [unknown, Buffer | null][] ; value: unknown }[], stderr: string): Promise<string> {
  const batchOf = (r: { headers: [unknown, Buffer | null][] }) => Number(r.headers.find(([k]) => String(k) === BATCH_TIME_HEADER)?.[1]?.toString());
  const inSink = new Map<number, number>();
  for (const r of committed) inSink.set(batchOf(r), (inSink.get(batchOf(r)) ?? 0) + Number(r.value));
  const computed = new Map<number, string>();
  for (const line of fs.readFileSync(path.join(dir, "batches.log"), "utf8").split("\n").filter(Boolean)) {
    const [time, words, pid] = line.split(" ");
    computed.set(Number(time), `${words} words by pid ${pid}`);
  }
  const tps = [0, 1].map((partition) => ({ topic: outTopic, partition }));
  const end = await client.listOffsets(tps, "latest", false);
  const all = await KafkaUtils.createRDD(ssc, { "bootstrap.servers": client.servers, "isolation.level": "read_uncommitted" },
    tps.map(({ partition }) => OffsetRange.create(outTopic, partition, 0, end.get(`${outTopic}-${partition}`) ?? 0)));
  const uncommitted = new Set(all.collect().map((r) => batchOf(r as never)));
  const missing = [...computed.keys()].filter((t) => !inSink.has(t)).sort((a, b) => a - b);
  const lines = missing.slice(0, 40).map((t) => `  ${t}: ${computed.get(t)}, ${uncommitted.has(t) ? "in the topic but not committed" : "not in the topic"}`);
  // The raw record batches of the output topic (producer ids, epochs, markers, aborted lists), to
  // tell a transaction the broker aborted from one the reader dropped by mistake.
  const rawFile = path.join(os.tmpdir(), `sink-raw-${process.pid}.txt`);
  const raw: string[] = [];
  const consumer = (client as unknown as { consumer: { metadata: (o: unknown) => Promise<any>; fetch: (o: unknown) => Promise<any> } }).consumer;
  const md = await consumer.metadata({ topics: [outTopic] });
  const tmd = md.topics.get(outTopic);
  for (const { partition } of tps) {
    let next = 0n;
    const until = BigInt(end.get(`${outTopic}-${partition}`) ?? 0);
    while (next < until) {
      const resp = await consumer.fetch({ node: tmd.partitions[partition].leader, topics: [{ topicId: tmd.id, partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: next, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }], maxWaitTime: 200, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 1 });
      const part = resp.responses[0].partitions[0];
      raw.push(`partition ${partition} fetch from ${next}: aborted ${JSON.stringify((part.abortedTransactions ?? []).map((a: any) => [String(a.producerId), String(a.firstOffset)]))}`);
      for (const b of part.records ?? []) {
        const last = b.firstOffset + BigInt(b.lastOffsetDelta);
        raw.push(`  ${b.firstOffset}..${last} attr ${b.attributes.toString(16)} pid ${b.producerId} epoch ${b.producerEpoch} ${b.records.map((r: any) => (r.key ? r.key.toString("hex") : "-") + "=" + (r.value ? r.value.toString() : "-") + "@" + (r.headers?.map((h: any) => String(h[1])).join("/") ?? "")).join(",")}`);
        if (last + 1n > next) next = last + 1n;
      }
      if ((part.records ?? []).length === 0) break;
    }
  }
  fs.writeFileSync(rawFile, raw.join("\n"));
  const first = missing[0] ?? 0;
  const sinkLog = stderr.split("\n").filter((l) => /KafkaSink|saveToKafka|Error/.test(l) && !/ms committed to/.test(l) || new RegExp(`batch (${first - 1000}|${first - 800}|${first - 600}|${first - 400}|${first - 200}|${first}) ms`).test(l)).slice(0, 60);
  return `sink diagnosis: ${computed.size} batches computed, ${inSink.size} in the sink, ${missing.length} missing; raw batches in ${rawFile}` +
    ` (${missing.filter((t) => uncommitted.has(t)).length} of them in the topic uncommitted):\n${lines.join("\n")}\nsink log:\n${sinkLog.join("\n")}\n`;
}

describe("Kafka direct stream: kill -9 recovery with no write-ahead log", () => {
  it(`keeps state and the exactly-once sink exact through ${KILLS} SIGKILLs while the topic grows`, async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-kafka-kill-"));
    const inTopic = `kill-in-${process.pid}`;
    const outTopic = `kill-out-${process.pid}`;
    await createKafkaTopic(kafka.bootstrap, inTopic, { partitions: 2 });
    await createKafkaTopic(kafka.bootstrap, outTopic, { partitions: 2 });
    const producer = startProducer(inTopic);
    const run = () => children.spawn("test/kafka/kafka-crash-app.ts", [kafka.bootstrap, inTopic, outTopic, dir], "ignore");
    const statusFile = path.join(dir, "status.json");
    let stderr = "";
    const started = Date.now();
    for (let i = 0; i < KILLS; i++) {
      const child = run();
      child.stderr?.on("data", (d) => { stderr += String(d); });
      await sleep(randomBetween(600, 3000));
      child.kill("SIGKILL");
      expect(await waitExit(child)).toBe("SIGKILL");
      await sleep(randomBetween(0, 800));
    }
    const produced = await producer.stop();
    const last = run();
    last.stderr?.on("data", (d) => { stderr += String(d); });
    const truth = new Map<string, number>();
    for (let k = 1; k <= produced; k++) for (const w of wordsOf(k)) truth.set(w, (truth.get(w) ?? 0) + 1);
    const expectedWords = [...truth.values()].reduce((a, b) => a + b, 0);
    try {
      await waitUntil(() => sum(readStatus(statusFile)?.totals ?? {}) >= expectedWords, "the last run to catch up", 120_000);
      await sleep(600);
    } finally {
      last.kill("SIGKILL");
      await waitExit(last);
    }
    const elapsed = Date.now() - started;

    // The ground truth from the topic itself.
    const client = new KafkaClient({ servers: [kafka.bootstrap], clientId: "check", groupId: "check", attempts: 2, backoffMs: 200, requestTimeoutMs: 30_000 });
    try {
      const tps = [0, 1].map((partition) => ({ topic: inTopic, partition }));
      const latest = await client.listOffsets(tps, "latest", false);
      const inRdd = await KafkaUtils.createRDD(undefined, { "bootstrap.servers": kafka.bootstrap }, tps.map(({ partition }) => OffsetRange.create(inTopic, partition, 0, latest.get(`${inTopic}-${partition}`) ?? 0)));
      const fromTopic = new Map<string, number>();
      for (const r of inRdd.collect()) for (const w of (r.value ?? "").split(" ").slice(1)) fromTopic.set(w, (fromTopic.get(w) ?? 0) + 1);
      expect(inRdd.count()).toBe(produced);
      expect(Object.fromEntries([...fromTopic].sort())).toEqual(Object.fromEntries([...truth].sort()));

      const status = readStatus(statusFile);
      expect(Object.fromEntries(Object.entries(status?.totals ?? {}).sort())).toEqual(Object.fromEntries([...truth].sort()));

      const outTps = [0, 1].map((partition) => ({ topic: outTopic, partition }));
      // A committed transaction's markers are written after EndTxn returns: wait until no
      // transaction is open (the last stable offset has reached the end) before reading.
      let outLatest = new Map<string, number>();
      await waitUntilAsync(async () => {
        outLatest = await client.listOffsets(outTps, "latest", true);
        const end = await client.listOffsets(outTps, "latest", false);
        return [...end].every(([k, v]) => outLatest.get(k) === v);
      }, "the sink's last transaction to be complete", 30_000);
      // Transaction markers take offsets: the read must skip them, as a direct stream would with this flag.
      const gaps = new StreamingContext({ batchDuration: 1000, conf: { "spark.streaming.kafka.allowNonConsecutiveOffsets": true } });
      const outRdd = await KafkaUtils.createRDD(gaps, { "bootstrap.servers": kafka.bootstrap, "isolation.level": "read_committed" },
        outTps.map(({ partition }) => OffsetRange.create(outTopic, partition, 0, outLatest.get(`${outTopic}-${partition}`) ?? 0)),
      );
      const seen = new Set<string>();
      const duplicates: string[] = [];
      const sinkTotals = new Map<string, number>();
      for (const r of outRdd.collect()) {
        const batch = r.headers.find(([k]) => k === BATCH_TIME_HEADER)?.[1]?.toString();
        const id = `${batch}/${r.key}`;
        if (seen.has(id)) duplicates.push(id);
        seen.add(id);
        sinkTotals.set(r.key as string, (sinkTotals.get(r.key as string) ?? 0) + Number(r.value));
      }
      const sinkErrors = stderr.split("\n").filter((l) => /saveToKafka|KafkaSink: .*trying again/.test(l));
      if (sinkErrors.length > 0) process.stdout.write(`sink errors:\n${sinkErrors.slice(0, 20).join("\n")}\n`);
      expect(duplicates).toEqual([]);
      // The last window the application wrote equals the sink's per-batch counts of its batches.
      const win = JSON.parse(fs.readFileSync(path.join(dir, "window.json"), "utf8")) as { time: number; counts: Record<string, number> };
      const expectedWindow = new Map<string, number>();
      for (const r of outRdd.collect()) {
        const batch = Number(r.headers.find(([k]) => k === BATCH_TIME_HEADER)?.[1]?.toString());
        if (batch > win.time - WINDOW_MS && batch <= win.time) expectedWindow.set(r.key as string, (expectedWindow.get(r.key as string) ?? 0) + Number(r.value));
      }
      expect(Object.fromEntries(Object.entries(win.counts).sort())).toEqual(Object.fromEntries([...expectedWindow].filter(([, n]) => n > 0).sort()));
      if (sum(Object.fromEntries(sinkTotals)) !== expectedWords) process.stdout.write(await diagnoseSink(client, gaps, dir, outTopic, outRdd.collect(), stderr));
      expect(Object.fromEntries([...sinkTotals].sort())).toEqual(Object.fromEntries([...truth].sort()));
      // How often a recovered batch had already been committed by the sink before the kill (and was skipped).
      const skipped = (stderr.match(/is already committed to/g) ?? []).length;
      process.stdout.write(`kafka kill -9: ${KILLS} kills, ${produced} records (${expectedWords} words), ${seen.size} sink records, ${skipped} recomputed batches found already committed, in ${elapsed} ms\n`);
    } finally {
      await client.close();
    }
    expect(stderr).not.toMatch(/batch failed/);
  }, 400_000);
});
