/**
 * The lecture's global word count with recovery, as a standalone program for the kill -9 demo
 * (notebook 6). Run it like spark-submit:
 *
 *   npx streamlab submit apps/global-word-count.ts 9999 checkpoints/kill-9
 *
 * It counts the words of the lines served on localhost:<port> since the start, prints all the
 * totals after every batch, and recovers them from <checkpointDir> when restarted after a crash.
 */
import { Durations, StreamingContext } from "streamlab";

const [port = "9999", checkpointDirectory = "checkpoints/kill-9"] = process.argv.slice(2);

const updateFunction = (values: number[], state?: number): number => {
  let newSum = state ?? 0;
  for (const i of values) newSum += i;
  return newSum;
};

// Everything is created here on a first start; after a crash getOrCreate rebuilds it from the checkpoint.
const create = (): StreamingContext => {
  const jsc = new StreamingContext({
    appName: "GlobalWordCount",
    master: "local[2]",
    batchDuration: Durations.milliseconds(500),
    // The receiver's write-ahead log: lines received but not yet processed survive the crash too.
    conf: { "spark.streaming.receiver.writeAheadLog.enable": true },
  });
  jsc.checkpoint(checkpointDirectory);
  const lines = jsc.socketTextStream("localhost", Number(port));
  const words = lines.flatMap((s) => s.split(" "));
  const wordCounts = words.mapToPair((s) => [s, 1] as [string, number]).updateStateByKey(updateFunction);
  wordCounts.print(1000);
  return jsc;
};

const jsc = StreamingContext.getOrCreate(checkpointDirectory, create);
jsc.start();
await jsc.awaitTermination();
