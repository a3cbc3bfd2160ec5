import { startKafkaProducer } from "../engine/tools/kafka-topics";
import { startLineServer } from "../engine/tools/line-server";
import { SalesFileWriter } from "../engine/tools/sales-files";
import { salesLines, SalesOptions } from "../engine/tools/sales-generator";
import { flag, parseArgs, ParsedArgs } from "./args";
import { CliIO, numberFlag, serveUntilStopped } from "./lines";

const USAGE = `usage: streamlab sales [--port 9999] [--rate 10] [--seed 42] [SALES OPTIONS]
       streamlab sales --kafka BOOTSTRAP [--topic sales] [--partitions 1] [--rate 10] [--seed 42] [SALES OPTIONS]
       streamlab sales --dir DIR [--files N] [--lines-per-file 100] [--interval-ms 1000] [--seed 42] [SALES OPTIONS]
Serves the seeded sales stream (lines storeid,productid,number,totalprice) to every client, or
writes it into DIR as files for textFileStream (atomically: temp file, then rename), or to a
Kafka topic (created when missing; --rate 0 writes as fast as the broker takes it).
SALES OPTIONS: --stores 5 --products 20 --skew 1.2 --max-number 5 --malformed-rate 0 --count N
The same seed and options always give the same lines (salesLines(seed, options) in code).`;

/** `streamlab sales`: the seeded sales stream over TCP, or as files in a directory. */
export async function main(args: string[], io: CliIO = {}): Promise<number> {
  const parsed = parseArgs(args, ["help"]);
  const status = io.status ?? ((line: string) => process.stderr.write(line + "\n"));
  if (parsed.flags.has("help")) { status(USAGE); return 0; }
  const seed = numberFlag(parsed, "seed", 42) as number;
  const options = salesOptions(parsed);
  const dir = flag(parsed, "dir");
  if (dir !== undefined) return writeFiles(dir, seed, options, parsed, { ...io, status });
  const kafka = flag(parsed, "kafka");
  if (kafka !== undefined) return produceToTopic(kafka, seed, options, parsed, { ...io, status });
  const server = await startLineServer({
    port: numberFlag(parsed, "port", 9999),
    host: flag(parsed, "host"),
    rate: numberFlag(parsed, "rate", 10),
    lines: salesLines(seed, options),
  });
  return serveUntilStopped(server, `sales stream (seed ${seed})`, { ...io, status });
}

function salesOptions(parsed: ParsedArgs): SalesOptions {
  return {
    stores: numberFlag(parsed, "stores"),
    products: numberFlag(parsed, "products"),
    skew: numberFlag(parsed, "skew"),
    maxNumber: numberFlag(parsed, "max-number"),
    malformedRate: numberFlag(parsed, "malformed-rate"),
    count: numberFlag(parsed, "count"),
  };
}

/** Writes `--files` files (default: until stopped), one every `--interval-ms`. */
async function writeFiles(dir: string, seed: number, options: SalesOptions, parsed: ParsedArgs, io: CliIO & { status: (l: string) => void }): Promise<number> {
  const writer = new SalesFileWriter(dir, { seed, ...options, linesPerFile: numberFlag(parsed, "lines-per-file", 100) });
  const files = numberFlag(parsed, "files");
  const intervalMs = numberFlag(parsed, "interval-ms", 1000) as number;
  io.status(`streamlab: writing the sales stream (seed ${seed}) into ${dir}, a file every ${intervalMs} ms (Ctrl-C to stop)`);
  const stopped = new Promise<void>((resolve) => {
    if (io.signal) { io.signal.addEventListener("abort", () => resolve(), { once: true }); if (io.signal.aborted) resolve(); return; }
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  let running = true;
  void stopped.then(() => { running = false; });
  while (running && (files === undefined || writer.filesWritten < files)) {
    const file = await writer.writeNext();
    if (file === undefined) break;
    io.status(`streamlab: wrote ${file}`);
    if (files !== undefined && writer.filesWritten >= files) break;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([stopped, new Promise((r) => { timer = setTimeout(r, intervalMs); })]);
    clearTimeout(timer);
  }
  return 0;
}

/** Writes the sales stream to a Kafka topic until stopped (or `--count` lines are written). */
async function produceToTopic(bootstrap: string, seed: number, options: SalesOptions, parsed: ParsedArgs, io: CliIO & { status: (l: string) => void }): Promise<number> {
  const topic = flag(parsed, "topic") ?? "sales";
  const producer = await startKafkaProducer({ bootstrap, topic, lines: salesLines(seed, options), rate: numberFlag(parsed, "rate", 10), partitions: numberFlag(parsed, "partitions", 1) });
  io.status(`streamlab: writing the sales stream (seed ${seed}) to Kafka topic ${topic} on ${bootstrap} (Ctrl-C to stop)`);
  const stopped = new Promise<void>((resolve) => {
    if (io.signal) { io.signal.addEventListener("abort", () => resolve(), { once: true }); if (io.signal.aborted) resolve(); return; }
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
  await Promise.race([stopped, producer.done]);
  const n = await producer.stop();
  io.status(`streamlab: wrote ${n} lines to ${topic}`);
  return 0;
}
