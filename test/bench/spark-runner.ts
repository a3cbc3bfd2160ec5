import { ChildProcessWithoutNullStreams, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { ProbeResult, ProbeSpec } from "./probe";
import { deleteBenchTopic, kafkaOf, newBenchTopic, startKafkaFeed } from "./kafka-feed";
import { GREP_PATTERN } from "./records";
import { startSender } from "./sender-process";
import { blockIntervalFor } from "./streamlab-runner";

/**
 * Apache Spark Streaming, fetched from Maven Central and run by the benchmark: Maven builds
 * test/bench/spark (spark-streaming_2.13 + spark-core + spark-streaming-kafka-0-10, `local[2]`)
 * into the results folder, then a fresh JVM runs each probe (see SparkBench.java for the stdin
 * protocol). One JVM for every probe read low after an overloaded probe: Spark's WordCount from
 * the generator sustained 130k/s in a full run whose first probe overloaded the JVM, and 210k/s as
 * one of the first probes of a fresh JVM; over TCP no rate passed at all after an overloaded probe.
 */

const SPARK_DIR = path.join(__dirname, "spark");
/** Where the pom sends Maven's output (git-ignored), whatever folder the results go to. */
const SPARK_BUILD = path.join(__dirname, "results", "spark-build");

/** Java 17 needs these for Spark 3.5 (what spark-submit adds: JavaModuleOptions). */
const JVM_OPTIONS = [
  // The same 8 GB the benchmark gives its own Node process (--max-old-space-size=8192).
  "-XX:+IgnoreUnrecognizedVMOptions", "-Xmx8g",
  ...["java.lang", "java.lang.invoke", "java.lang.reflect", "java.io", "java.net", "java.nio", "java.util", "java.util.concurrent",
    "java.util.concurrent.atomic", "sun.nio.ch", "sun.nio.cs", "sun.security.action", "sun.util.calendar"].map((p) => `--add-opens=java.base/${p}=ALL-UNNAMED`),
  "-Djdk.reflect.useDirectMethodHandle=false",
];

/** Builds the Spark program with Maven (fetching Spark on first use). Returns the classpath, or why not. */
export function buildSpark(log: (line: string) => void): { classpath?: string; error?: string } {
  const buildDir = SPARK_BUILD;
  const jar = path.join(buildDir, "streamlab-spark-bench-0.1.0.jar");
  const cpFile = path.join(buildDir, "classpath.txt");
  const sources = ["pom.xml", "src/main/java/streamlab/bench/SparkBench.java", "src/main/java/streamlab/bench/KafkaFeed.java"].map((f) => path.join(SPARK_DIR, f));
  const fresh = fs.existsSync(jar) && fs.existsSync(cpFile) && sources.every((f) => fs.statSync(jar).mtimeMs >= fs.statSync(f).mtimeMs);
  if (!fresh) {
    log("  mvn package (fetches spark-streaming_2.13, spark-core and spark-streaming-kafka-0-10 from Maven Central on first use)...");
    const r = spawnSync("mvn", ["-q", "-B", "-f", path.join(SPARK_DIR, "pom.xml"), "package", "dependency:build-classpath"], { encoding: "utf8", timeout: 20 * 60_000 });
    if (r.error) return { error: `mvn could not run: ${r.error.message}` };
    if (r.status !== 0) return { error: `mvn failed (exit ${r.status}): ${(r.stdout + r.stderr).split("\n").filter((l) => l.includes("ERROR")).slice(0, 5).join(" | ")}` };
  }
  if (!fs.existsSync(jar) || !fs.existsSync(cpFile)) return { error: "mvn ran but produced no jar/classpath" };
  return { classpath: [jar, fs.readFileSync(cpFile, "utf8").trim()].join(path.delimiter) };
}

/**
 * Spark's side of the probes: each probe runs in a JVM of its own (started, probed, stopped), so
 * no probe inherits an earlier one's heap, threads or backlog.
 */
export class SparkEngine {
  readonly version: string;

  private constructor(private readonly classpath: string, private readonly wordsFile: string, private readonly salesFile: string, private readonly logFile: string) {
    this.version = /spark-core_2\.13-([\d.]+)\.jar/.exec(classpath)?.[1] ?? "?";
  }

  /** Starts and stops one JVM, so that a broken set-up shows before the first probe. */
  static async start(classpath: string, wordsFile: string, salesFile: string, logFile: string): Promise<SparkEngine> {
    const engine = new SparkEngine(classpath, wordsFile, salesFile, logFile);
    await (await SparkJvm.start(classpath, wordsFile, salesFile, logFile)).stop();
    return engine;
  }

  /**
   * Runs one probe in a fresh JVM. A JVM that dies during the probe (out of memory on an
   * overloaded rate: Spark without backpressure buffers what it cannot process) makes the probe
   * unsustainable.
   */
  async probe(spec: ProbeSpec): Promise<ProbeResult> {
    const jvm = await SparkJvm.start(this.classpath, this.wordsFile, this.salesFile, this.logFile);
    const started = Date.now();
    try {
      return await jvm.probe(spec);
    } catch (e) {
      if (!jvm.hasExited()) throw e;
      return { t0: started, started, stopped: Date.now(), batches: [], aborted: (e as Error).message };
    } finally {
      await jvm.stop();
    }
  }

  /** Nothing runs between probes. */
  async stop(): Promise<void> {}
}

/** A running SparkBench JVM. */
class SparkJvm {
  private buffer = "";
  /** Rejects when the JVM exits. */
  private exited: Promise<never> = new Promise(() => {});
  private waiters: Array<(line: string) => void> = [];

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      this.buffer += chunk;
      let i: number;
      while ((i = this.buffer.indexOf("\n")) >= 0) {
        const line = this.buffer.slice(0, i);
        this.buffer = this.buffer.slice(i + 1);
        if (line.startsWith("READY") || line.startsWith("RESULT ")) this.waiters.shift()?.(line);
      }
    });
  }

  /** Starts the JVM with the two pool files; resolves once its SparkContext is up. */
  static async start(classpath: string, wordsFile: string, salesFile: string, logFile: string): Promise<SparkJvm> {
    const child = spawn("java", [...JVM_OPTIONS, "-cp", classpath, "streamlab.bench.SparkBench", wordsFile, salesFile, GREP_PATTERN], { stdio: ["pipe", "pipe", "pipe"] });
    const log = fs.createWriteStream(logFile, { flags: "a" });
    child.stderr.pipe(log);
    const jvm = new SparkJvm(child);
    jvm.exited = new Promise<never>((_, reject) => child.on("exit", (code) => reject(new Error(`Spark JVM exited with ${code} (e.g. out of memory on an overloaded probe); see ${logFile}`))));
    jvm.exited.catch(() => {}); // observed by every later call; never an unhandled rejection
    try {
      await Promise.race([jvm.next(), jvm.exited, timeout(180_000, "Spark did not start within 180 s")]);
    } catch (e) {
      child.kill("SIGKILL");
      throw e;
    }
    return jvm;
  }

  hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  private next(): Promise<string> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  async probe(spec: ProbeSpec): Promise<ProbeResult> {
    const topic = spec.feed === "kafka" ? await newBenchTopic(kafkaOf(spec), spec.workload) : undefined;
    try {
      const sender = spec.feed === "socket" ? await startSender(spec.poolFile, spec.rate) : undefined;
      const answer = this.next();
      this.child.stdin.write(`probe ${spec.workload} ${spec.feed} ${spec.shape.batchMs} ${spec.shape.slideMs} ${spec.rate} ${spec.seconds} ${sender?.port ?? 0} ${spec.shape.blockMs ?? blockIntervalFor(spec.shape.batchMs)}${topic ? ` ${kafkaOf(spec).bootstrap} ${topic}` : ""}\n`);
      // The topic is read from its first offset, so the feed may start as the context does.
      const feed = topic ? await startKafkaFeed(kafkaOf(spec), topic, spec.poolFile, spec.rate) : sender;
      let line: string;
      try {
        line = await Promise.race([answer, this.exited, timeout((spec.seconds + 120) * 1000, "Spark probe did not answer")]);
      } catch (e) {
        await feed?.stop();
        throw e;
      }
      const result = JSON.parse(line.slice("RESULT ".length)) as ProbeResult;
      const feedT0 = feed ? await feed.stop() : undefined;
      return { ...result, t0: feedT0 ?? result.t0 };
    } finally {
      if (topic) await deleteBenchTopic(kafkaOf(spec), topic);
    }
  }

  async stop(): Promise<void> {
    if (this.hasExited()) return;
    this.child.stdin.write("quit\n");
    const gone = new Promise((r) => this.child.on("exit", r));
    await Promise.race([gone, new Promise((r) => setTimeout(r, 20_000))]);
    if (!this.hasExited()) {
      this.child.kill("SIGKILL");
      await gone;
    }
  }
}

function timeout(ms: number, message: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref());
}
