/**
 * A global word count on a socket with `spark.streaming.stopGracefullyOnShutdown` on and no
 * write-ahead log, recovered with getOrCreate. Run in a child process by shutdown.test.ts, which
 * sends it SIGTERM. argv: [checkpointDirectory, port].
 */
type Engine = typeof import("../../engine");

export function main(engine: Engine, argv: string[]): void {
  const { SparkConf, StreamingContext } = engine;
  const [dir, port] = argv;
  const ssc = StreamingContext.getOrCreate(dir, () => {
    const conf = new SparkConf().setAppName("GracefulWordCount").setMaster("local[2]").set("spark.streaming.stopGracefullyOnShutdown", "true");
    const ssc = new StreamingContext({ conf, batchDuration: 1000 });
    ssc.checkpoint(dir);
    ssc.socketTextStream("127.0.0.1", Number(port)).flatMap((l) => l.split(" ")).mapToPair((w): [string, number] => [w, 1])
      .updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0))
      .print();
    return ssc;
  });
  ssc.start();
}
