/**
 * The program the Kafka kill -9 harness runs in child processes: a direct stream of lines
 * `<id> <word> <word> ...`, a stateful word count (updateStateByKey), each batch's word counts
 * written to Kafka by the exactly-once sink, and a 2 s window of word counts (incremental, with
 * the inverse function), recovered with getOrCreate. After every batch it writes its totals to
 * `status.json` and the window to `window.json` (atomically), which the harness reads.
 */
import * as fs from "fs";
import * as path from "path";

type Engine = typeof import("../../engine");
type Pair = [string, number];

export const BATCH_MS = 200;
export const WINDOW_MS = 2000;

export function main(engine: Engine, argv: string[]): void {
  const [bootstrap, inTopic, outTopic, dir] = argv;
  const checkpointDir = path.join(dir, "checkpoint");
  const statusFile = path.join(dir, "status.json");
  const windowFile = path.join(dir, "window.json");
  const journalFile = path.join(dir, "batches.log");
  // The sink's "already committed" notes go to stderr too: the harness counts them.
  engine.setLogger({ info: (m) => { if (m.startsWith("KafkaSink:")) process.stderr.write(`INFO [${process.pid}] ${m}\n`); }, warn: (m) => process.stderr.write(`WARN ${m}\n`) });
  const ssc = engine.StreamingContext.getOrCreate(checkpointDir, () => {
    const ssc = new engine.StreamingContext({ appName: "kafka-kill", master: "local[2]", batchDuration: BATCH_MS, conf: { "streamlab.workerThreads": 0 } });
    ssc.checkpoint(checkpointDir);
    const stream = engine.KafkaUtils.createDirectStream(ssc, engine.LocationStrategies.PreferConsistent(),
      engine.ConsumerStrategies.Subscribe([inTopic], { "bootstrap.servers": bootstrap, "group.id": "kafka-kill", "auto.offset.reset": "earliest" }));
    const pairs = stream.flatMap((r) => (r.value ?? "").split(" ").slice(1)).mapToPair((w): Pair => [w, 1]);
    const counts = pairs.reduceByKey((a: number, b: number) => a + b);
    counts.saveToKafka({ "bootstrap.servers": bootstrap }, outTopic, ([w, n]: Pair) => ({ key: w, value: String(n) }), { exactlyOnce: true });
    // Every batch computed (recomputed ones again) and its word count: if the sink ever misses a
    // batch, the harness names which.
    counts.foreachRDD((rdd, time) => {
      const words = (rdd.collect() as Pair[]).reduce((a, [, n]) => a + n, 0);
      if (words > 0) fs.appendFileSync(journalFile, `${time.milliseconds} ${words} ${process.pid}\n`);
    });
    pairs.updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0))
      .foreachRDD((rdd, time) => {
        const tmp = `${statusFile}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify({ time: time.milliseconds, pid: process.pid, totals: Object.fromEntries(rdd.collect() as Pair[]) }));
        fs.renameSync(tmp, statusFile);
      });
    // An incremental window (with the inverse function): its state must come back exactly too.
    pairs.reduceByKeyAndWindow((a: number, b: number) => a + b, (a: number, b: number) => a - b, WINDOW_MS, BATCH_MS, 2, ([, n]: Pair) => n > 0)
      .foreachRDD((rdd, time) => {
        const tmp = `${windowFile}.tmp`;
        fs.writeFileSync(tmp, JSON.stringify({ time: time.milliseconds, counts: Object.fromEntries(rdd.collect() as Pair[]) }));
        fs.renameSync(tmp, windowFile);
      });
    return ssc;
  });
  ssc.start();
  ssc.awaitTermination().catch((e) => process.stderr.write(`batch failed: ${(e as Error).message}\n`));
}
