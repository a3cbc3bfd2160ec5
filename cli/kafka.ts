import * as fs from "fs";
import * as path from "path";
import { KAFKA_VERSION, kafkaHome, residentBytes, startKafka } from "../engine/tools/kafka-broker";
import { flag, parseArgs } from "./args";
import { CliIO, numberFlag } from "./lines";

const USAGE = `usage: streamlab kafka start [--port N] [--dir DIR] [--heap 256m]
       streamlab kafka stop [--dir DIR]
       streamlab kafka status [--dir DIR]
Runs a real Apache Kafka ${KAFKA_VERSION} broker (KRaft, one node) on 127.0.0.1 in the background.
The first start fetches Kafka from Maven Central into ~/.cache/streamlab (needs Java 17+ and Maven).
start prints the bootstrap address (bootstrap.servers); its topics live in DIR (default
~/.cache/streamlab/broker) and survive stop and start. stop shuts it down cleanly.`;

interface BrokerState { pid: number; bootstrap: string; port: number; dataDir: string }

/** `streamlab kafka start|stop|status`: a background Kafka broker for the course. */
export async function main(args: string[], io: CliIO = {}): Promise<number> {
  // The action comes first (`kafka start --port 9092`): parseArgs would take what follows a
  // positional argument as positional too.
  const action = args[0] !== undefined && !args[0].startsWith("--") ? args[0] : undefined;
  const parsed = parseArgs(action ? args.slice(1) : args, ["help"]);
  const status = io.status ?? ((line: string) => process.stderr.write(line + "\n"));
  if (parsed.flags.has("help") || !action) { status(USAGE); return action ? 0 : 2; }
  const dir = path.resolve(flag(parsed, "dir") ?? path.join(path.dirname(kafkaHome()), "broker"));
  const stateFile = path.join(dir, "broker.json");
  const running = readState(stateFile);
  switch (action) {
    case "start": {
      if (running) { status(`streamlab: Kafka is already running on ${running.bootstrap} (pid ${running.pid})`); process.stdout.write(running.bootstrap + "\n"); return 0; }
      const broker = await startKafka({ dataDir: dir, port: numberFlag(parsed, "port"), heap: flag(parsed, "heap"), detached: true, log: status });
      const state: BrokerState = { pid: broker.pid, bootstrap: broker.bootstrap, port: broker.port, dataDir: dir };
      fs.writeFileSync(stateFile, JSON.stringify(state) + "\n");
      const rss = residentBytes(broker.pid);
      status(`streamlab: Kafka broker pid ${broker.pid}, ${rss ? Math.round(rss / 2 ** 20) + " MiB resident, " : ""}data in ${dir}; stop it with: npx streamlab kafka stop`);
      process.stdout.write(broker.bootstrap + "\n");
      return 0;
    }
    case "stop": {
      if (!running) { status("streamlab: no Kafka broker is running"); return 0; }
      process.kill(running.pid, "SIGTERM");
      const deadline = Date.now() + 30_000;
      while (alive(running.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      if (alive(running.pid)) process.kill(running.pid, "SIGKILL");
      fs.rmSync(stateFile, { force: true });
      status(`streamlab: stopped the Kafka broker on ${running.bootstrap}`);
      return 0;
    }
    case "status": {
      if (!running) { status("streamlab: no Kafka broker is running"); return 1; }
      const rss = residentBytes(running.pid);
      status(`streamlab: Kafka ${KAFKA_VERSION} running on ${running.bootstrap} (pid ${running.pid}${rss ? `, ${Math.round(rss / 2 ** 20)} MiB resident` : ""}, data in ${running.dataDir})`);
      process.stdout.write(running.bootstrap + "\n");
      return 0;
    }
    default:
      status(USAGE);
      return 2;
  }
}

function readState(file: string): BrokerState | undefined {
  try {
    const s = JSON.parse(fs.readFileSync(file, "utf8")) as BrokerState;
    return alive(s.pid) ? s : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return cmd.includes("kafka.Kafka");
  } catch {
    return false;
  }
}
