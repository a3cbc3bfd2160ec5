/**
 * The child of the over-long line test: socketTextStream to `127.0.0.1:<port>` in real time,
 * printing one JSON object per line on stdout: `{"lines": [...]}` per non-empty batch,
 * `{"receiverError": "<message>: <first line of the error>"}` per onReceiverError, `{"rss": max}` (the largest RSS sampled every
 * 20 ms, in bytes) after every batch. Runs until killed.
 */
type Engine = typeof import("../../engine");

export function main(engine: Engine, argv: string[]): void {
  const port = Number(argv[0]);
  const conf: Record<string, string> = { "spark.streaming.receiverRestartDelay": "200" };
  if (argv[1]) conf["streamlab.receiver.maxLineLength"] = argv[1];
  engine.setLogger({ info: () => {}, warn: () => {} });
  let maxRss = process.memoryUsage.rss();
  setInterval(() => { maxRss = Math.max(maxRss, process.memoryUsage.rss()); }, 20).unref();
  const ssc = new engine.StreamingContext({ appName: "long-lines", master: "local[2]", batchDuration: 200, conf });
  ssc.addStreamingListener({
    onReceiverError: ({ receiverInfo }) => {
      const error = `${receiverInfo.lastErrorMessage}: ${receiverInfo.lastError.split("\n")[0]}`;
      process.stdout.write(JSON.stringify({ receiverError: error }) + "\n");
    },
  });
  ssc.socketTextStream("127.0.0.1", port).foreachRDD((rdd) => {
    const lines = rdd.collect();
    // A line is printed as its length when long, so stdout stays small.
    if (lines.length > 0) process.stdout.write(JSON.stringify({ lines: lines.map((l) => (l.length > 100 ? `<${l.length} chars>` : l)) }) + "\n");
    process.stdout.write(JSON.stringify({ rss: maxRss }) + "\n");
  });
  ssc.start();
}
