import { ChildProcess, spawn, spawnSync } from "child_process";
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { loadClient } from "../sources/kafka/client";
import { KafkaErrors } from "../sources/kafka/kafka-errors";

/** The Apache Kafka release the project fetches from Maven Central (org.apache.kafka:kafka_2.13). */
export const KAFKA_VERSION = "4.1.1";
/** log4j's SLF4J binding, so the broker logs through log4j2 (Kafka 4 ships log4j2's API and core). */
const LOG4J_VERSION = "2.24.3";

/** Options of {@link startKafka}. */
export interface KafkaBrokerOptions {
  /** The client (PLAINTEXT) port on 127.0.0.1. Default: a free port. */
  port?: number;
  /** The KRaft controller port on 127.0.0.1. Default: a free port. */
  controllerPort?: number;
  /**
   * Where the broker keeps its log segments, configuration and log. Default: a new temporary
   * directory, removed by `stop()`. A directory that already holds a formatted broker is reused
   * as it is (its topics survive), so a broker can be restarted on its data.
   */
  dataDir?: string;
  /** The JVM's maximum heap (`-Xmx`). Default "256m". */
  heap?: string;
  /** Where the Kafka jars are cached. Default `$STREAMLAB_CACHE` or `~/.cache/streamlab`. */
  cacheDir?: string;
  /** How long to wait for the broker to accept a produce. Default 120 s. */
  timeoutMs?: number;
  /** Keep the broker running after this process exits (`streamlab kafka start`). Default false. */
  detached?: boolean;
  /** Progress messages (fetching the jars, formatting, started). Default: none. */
  log?: (line: string) => void;
}

/** A broker started by {@link startKafka}. */
export interface KafkaBroker {
  /** `127.0.0.1:<port>`: the value of `bootstrap.servers`. */
  readonly bootstrap: string;
  readonly port: number;
  readonly controllerPort: number;
  /** The broker JVM's process id. */
  readonly pid: number;
  readonly dataDir: string;
  /** Milliseconds from the call to the first acknowledged produce (the jar fetch excluded). */
  readonly startMs: number;
  /** Shuts the broker down cleanly (SIGTERM, a controlled shutdown) and waits for it to exit. */
  stop(): Promise<void>;
  /** Ends the broker at once with SIGKILL (fault tests); `restart()` brings it back on its data. */
  kill(): Promise<void>;
  /** Starts the broker again on the same ports and data after stop() or kill(). */
  restart(): Promise<void>;
  /** The broker's resident memory in bytes (from /proc), or undefined when it is not running. */
  residentBytes(): number | undefined;
}

/** The directory that holds the cached Kafka jars of {@link KAFKA_VERSION}. */
export function kafkaHome(cacheDir = defaultCacheDir()): string {
  return path.join(cacheDir, `kafka-${KAFKA_VERSION}`);
}

function defaultCacheDir(): string {
  return process.env.STREAMLAB_CACHE || path.join(os.homedir(), ".cache", "streamlab");
}

/**
 * Fetches Apache Kafka's jars from Maven Central into the cache once (Maven resolves
 * `org.apache.kafka:kafka_2.13` and its runtime dependencies: 46 jars, 43 MB), and returns the
 * directory that holds them. Later calls find them there. Needs `mvn` and Java 17+.
 */
export function ensureKafkaJars(options: { cacheDir?: string; log?: (line: string) => void } = {}): string {
  const home = kafkaHome(options.cacheDir);
  const lib = path.join(home, "lib");
  if (fs.existsSync(path.join(lib, ".complete"))) return lib;
  requireTool("java", ["-version"]);
  requireTool("mvn", ["-v"]);
  fs.mkdirSync(home, { recursive: true });
  // Several processes may fetch at once (parallel test suites): each resolves into a directory
  // of its own and the first rename wins.
  const work = fs.mkdtempSync(path.join(home, "fetch-"));
  try {
    fs.writeFileSync(path.join(work, "pom.xml"), brokerPom());
    options.log?.(`streamlab: fetching Apache Kafka ${KAFKA_VERSION} from Maven Central into ${home} (once)`);
    const out = spawnSync("mvn", ["-q", "-B", "dependency:copy-dependencies", "-DincludeScope=runtime", `-DoutputDirectory=${path.join(work, "lib")}`], { cwd: work, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
    if (out.status !== 0) throw KafkaErrors.fetchFailed(KAFKA_VERSION, `${out.stdout ?? ""}${out.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n") || String(out.error ?? out.signal));
    fs.writeFileSync(path.join(work, "lib", ".complete"), `${KAFKA_VERSION}\n`);
    try {
      fs.renameSync(path.join(work, "lib"), lib);
    } catch (e) {
      if (!fs.existsSync(path.join(lib, ".complete"))) throw e;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return lib;
}

function requireTool(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.error) throw KafkaErrors.toolMissing(cmd);
}

function brokerPom(): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>streamlab</groupId><artifactId>kafka-broker</artifactId><version>1</version><packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${KAFKA_VERSION}</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>${LOG4J_VERSION}</version></dependency>
  </dependencies>
</project>
`;
}

/** A free TCP port on 127.0.0.1 (the OS picks it; another process could take it before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real Apache Kafka broker (KRaft, one node that is both broker and controller, on
 * 127.0.0.1): fetches the jars once (see {@link ensureKafkaJars}), formats the storage, starts the
 * JVM with a small heap and resolves once a produce to a probe topic is acknowledged.
 *
 * @example
 * const kafka = await startKafka();
 * const ssc = new StreamingContext({ batchDuration: Durations.seconds(1) });
 * KafkaUtils.createDirectStream(ssc, LocationStrategies.PreferConsistent(),
 *   ConsumerStrategies.Subscribe(["sales"], { "bootstrap.servers": kafka.bootstrap, "group.id": "course" }));
 * // ...
 * await kafka.stop();
 */
export async function startKafka(options: KafkaBrokerOptions = {}): Promise<KafkaBroker> {
  const started = Date.now();
  const lib = ensureKafkaJars(options);
  const ownDir = options.dataDir === undefined;
  const dataDir = path.resolve(options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-kafka-")));
  fs.mkdirSync(dataDir, { recursive: true });
  const configFile = path.join(dataDir, "server.properties");
  let port = options.port;
  let controllerPort = options.controllerPort;
  if (fs.existsSync(configFile) && fs.existsSync(path.join(dataDir, "logs", "meta.properties"))) {
    const props = fs.readFileSync(configFile, "utf8");
    port ??= Number(/^listeners=PLAINTEXT:\/\/127\.0\.0\.1:(\d+)/m.exec(props)?.[1]);
    controllerPort ??= Number(/CONTROLLER:\/\/127\.0\.0\.1:(\d+)/m.exec(props)?.[1]);
  } else {
    port ??= await freePort();
    controllerPort ??= await freePort();
    fs.writeFileSync(configFile, serverProperties(dataDir, port, controllerPort));
    fs.writeFileSync(path.join(dataDir, "log4j2.properties"), LOG4J_CONFIG);
    options.log?.(`streamlab: formatting Kafka storage in ${dataDir}`);
    const format = spawnSync("java", ["-Xmx128m", "-XX:TieredStopAtLevel=1", `-Dlog4j2.configurationFile=${path.join(dataDir, "log4j2.properties")}`, "-cp", `${lib}/*`, "kafka.tools.StorageTool", "format", "-t", clusterId(), "-c", configFile, "--standalone"], { encoding: "utf8" });
    if (format.status !== 0) throw KafkaErrors.brokerFailed(`127.0.0.1:${port}`, "formatting its storage failed", `${format.stdout}${format.stderr}`);
  }
  const heap = options.heap ?? "256m";
  const bootstrap = `127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    const logFile = path.join(dataDir, "broker.log");
    const fd = fs.openSync(logFile, "a");
    child = spawn("java", [`-Xmx${heap}`, "-Xms64m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
      `-Dlog4j2.configurationFile=${path.join(dataDir, "log4j2.properties")}`, "-cp", `${lib}/*`, "kafka.Kafka", configFile], {
      stdio: ["ignore", fd, fd], detached: !!options.detached,
    });
    fs.closeSync(fd);
    const proc = child;
    // A broker started for this process ends with it (a test worker that crashes, a kernel that
    // exits); only `streamlab kafka start` leaves one running on purpose.
    const killOnExit = () => { try { proc.kill("SIGKILL"); } catch { /* gone */ } };
    if (options.detached) proc.unref();
    else process.once("exit", killOnExit);
    exited = new Promise<void>((resolve) => proc.once("exit", () => { process.off("exit", killOnExit); resolve(); }));
    fs.writeFileSync(path.join(dataDir, "broker.pid"), `${proc.pid}\n`);
    let dead = false;
    void exited.then(() => { dead = true; });
    await waitUntilProduceSucceeds(bootstrap, options.timeoutMs ?? 120_000, () => dead, logFile);
  };

  const terminate = async (signal: NodeJS.Signals): Promise<void> => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    const timer = setTimeout(() => child?.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  };

  try {
    await launch();
  } catch (e) {
    await terminate("SIGKILL");
    if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const startMs = Date.now() - started;
  options.log?.(`streamlab: Kafka ${KAFKA_VERSION} started on ${bootstrap} in ${(startMs / 1000).toFixed(1)} s (pid ${child?.pid})`);
  return {
    bootstrap,
    port: port as number,
    controllerPort: controllerPort as number,
    get pid() { return child?.pid ?? -1; },
    dataDir,
    startMs,
    async stop() {
      await terminate("SIGTERM");
      if (ownDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
    kill: () => terminate("SIGKILL"),
    restart: () => launch(),
    residentBytes: () => (child?.pid ? residentBytes(child.pid) : undefined),
  };
}

/** A process's resident set size in bytes from /proc/<pid>/status (Linux), or undefined. */
export function residentBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what `StorageTool random-uuid` prints).
 * Like Kafka's `Uuid.randomUuid()` it never starts with "-": the storage tool's argument parser would
 * take such an id for an option ("--cluster-id/-t: expected one argument"), one start in 64.
 * @internal
 */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

function serverProperties(dataDir: string, port: number, controllerPort: number): string {
  return `# Written by streamlab (startKafka): one KRaft node, broker and controller, on 127.0.0.1 only.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:${controllerPort}
listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${path.join(dataDir, "logs")}
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
# The log cleaner's 128 MiB dedupe buffer would not fit a small heap.
log.cleaner.dedupe.buffer.size=16777216
`;
}

const LOG4J_CONFIG = `status = warn
# Without this, log4j's own shutdown hook cuts the broker's shutdown log.
shutdownHook = disable
appender.console.type = Console
appender.console.name = STDOUT
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.server.name = kafka.server.KafkaRaftServer
logger.server.level = INFO
`;

/** Polls until a produce to the probe topic is acknowledged, the broker dies, or time runs out. */
async function waitUntilProduceSucceeds(bootstrap: string, timeoutMs: number, isDead: () => boolean, logFile: string): Promise<void> {
  const { Admin, Producer, stringSerializers } = loadClient();
  const deadline = Date.now() + timeoutMs;
  let lastError = "";
  while (Date.now() < deadline) {
    if (isDead()) throw KafkaErrors.brokerFailed(bootstrap, "the broker process exited during start", tail(logFile));
    const admin = new Admin({ clientId: "streamlab-start", bootstrapBrokers: [bootstrap], retries: 0, timeout: 5000 });
    const producer = new Producer({ clientId: "streamlab-start", bootstrapBrokers: [bootstrap], retries: 0, timeout: 5000, serializers: stringSerializers, autocreateTopics: false });
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(PROBE_TOPIC)) await admin.createTopics({ topics: [PROBE_TOPIC], partitions: 1, replicas: 1 }).catch(() => undefined);
      await producer.send({ messages: [{ topic: PROBE_TOPIC, value: "ready" }], acks: -1 });
      return;
    } catch (e) {
      lastError = (e as Error).message;
    } finally {
      await producer.close().catch(() => undefined);
      await admin.close().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw KafkaErrors.brokerFailed(bootstrap, `no produce was acknowledged within ${timeoutMs} ms (last error: ${lastError})`, tail(logFile));
}

/** The topic startKafka produces to, to know the broker is ready. */
export const PROBE_TOPIC = "streamlab-ready";

function tail(file: string): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-20).join("\n");
  } catch {
    return "";
  }
}
