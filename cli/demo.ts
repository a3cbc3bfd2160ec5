import * as net from "net";
import { Durations, StreamingContext } from "../engine";
import { installWebUi } from "../ui/index";
import { flag, parseArgs } from "./args";

const LINES = ["hello world hello", "bye bye", "hello again", "to be or not to be", "the stream goes on"];

/**
 * `npm start`: the lecture's first program, a socket word count with 1-second batches, fed by an
 * embedded line server on a free loopback port (no `nc` needed). Prints Spark's format for
 * `--batches N` batches (default 10), then stops gracefully; `--batches 0` runs until Ctrl-C.
 */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  const batches = Number(flag(parsed, "batches") ?? 10);
  const server = await startEmbeddedServer();
  const port = (server.address() as net.AddressInfo).port;
  process.stderr.write(`streamlab demo: word count over lines served on 127.0.0.1:${port} (like nc -lk ${port})\n`);

  installWebUi({ announce: (url) => process.stderr.write(`Streaming UI at ${url}\n`) });
  const ssc = new StreamingContext({ appName: "WordCountStreaming", master: "local[2]", batchDuration: Durations.seconds(1) });
  const lines = ssc.socketTextStream("127.0.0.1", port);
  const words = lines.flatMap((s) => s.split(" "));
  const wordCounts = words.mapToPair((s) => [s, 1]).reduceByKey((i1, i2) => i1 + i2);
  wordCounts.print();

  let seen = 0;
  const done = new Promise<void>((resolve) => {
    ssc.addStreamingListener({ onBatchCompleted: () => { if (batches > 0 && ++seen >= batches) resolve(); } });
  });
  const interrupted = new Promise<void>((resolve) => process.once("SIGINT", () => resolve()));
  ssc.start();
  await Promise.race([done, interrupted, ssc.awaitTermination()]);
  await ssc.stop({ stopGracefully: true });
  server.close();
  return 0;
}

/** Sends one demo line every 300 ms to every client, as someone typing into `nc -lk`. */
function startEmbeddedServer(): Promise<net.Server> {
  const clients = new Set<net.Socket>();
  let i = 0;
  const timer = setInterval(() => {
    const line = LINES[i++ % LINES.length] + "\n";
    for (const c of clients) c.write(line);
  }, 300);
  const server = net.createServer((socket) => {
    clients.add(socket);
    socket.on("close", () => clients.delete(socket));
    socket.on("error", () => clients.delete(socket));
  });
  server.on("close", () => { clearInterval(timer); for (const c of clients) c.destroy(); });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}
