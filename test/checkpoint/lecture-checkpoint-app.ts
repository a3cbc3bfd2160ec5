/**
 * The lecture's checkpoint example (spark-streaming-lecture.txt, "Checkpointing"), written as a
 * student would translate it: the global word count (updateStateByKey) on a socket, everything
 * built in `create`, recovered with `getOrCreate`. Run in a child process by
 * lecture-checkpoint.test.ts, which kills it with SIGKILL and starts it again.
 * argv: [checkpointDirectory, port].
 */
type Engine = typeof import("../../engine");

export function main(engine: Engine, argv: string[]): void {
  const { Durations, SparkConf, StreamingContext } = engine;
  const [checkpointDirectory, port] = argv;
  const updateFunction = (values: number[], state: number | undefined) => {
    let newSum = state ?? 0; // the value of state if defined, else 0
    for (const i of values) newSum += i;
    return newSum;
  };

  // Create a StreamingContext and initialize treatments
  const create = () => {
    const sparkConf = new SparkConf().setAppName("WordCountStreaming").setMaster("local[2]");
    const jsc = new StreamingContext({ conf: sparkConf, batchDuration: Durations.seconds(1) });
    jsc.checkpoint(checkpointDirectory);
    const lines = jsc.socketTextStream("localhost", Number(port));
    const words = lines.flatMap((s) => s.split(" "));
    const wordCounts = words.mapToPair((s): [string, number] => [s, 1]).updateStateByKey(updateFunction);
    wordCounts.print();
    return jsc;
  };

  // Recover the StreamingContext from checkpoint data or create a new one
  const jsc = StreamingContext.getOrCreate(checkpointDirectory, create);
  jsc.start();
  void jsc.awaitTermination();
}
