import { ChildProcessWithoutNullStreams, spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { ProbeResult, ProbeSpec } from "./probe";
import { GREP_PATTERN } from "./records";
import { startSender } from "./sender-process";
import { blockIntervalFor } from "./streamlab-runner";

/**
 * Apache Spark Streaming, fetched from Maven Central and run by the benchmark: Maven builds
 * test/bench/spark (spark-streaming_2.13 + spark-core, `local[2]`) into the results folder, then
 * one JVM runs every probe (see SparkBench.java for the stdin protocol).
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
  const source = path.join(SPARK_DIR, "src/main/java/streamlab/bench/SparkBench.java");
  const fresh = fs.existsSync(jar) && fs.existsSync(cpFile) && fs.statSync(jar).mtimeMs >= fs.statSync(source).mtimeMs;
  if (!fresh) {
    log("  mvn package (fetches spark-streaming_2.13 and spark-core from Maven Central on first use)...");
    const r = spawnSync("mvn", ["-q", "-B", "-f", path.join(SPARK_DIR, "pom.xml"), "package", "dependency:build-classpath"], { encoding: "utf8", timeout: 20 * 60_000 });
    if (r.error) return { error: `mvn could not run: ${r.error.message}` };
    if (r.status !== 0) return { error: `mvn failed (exit ${r.status}): ${(r.stdout + r.stderr).split("\n").filter((l) => l.includes("ERROR")).slice(0, 5).join(" | ")}` };
  }
  if (!fs.existsSync(jar) || !fs.existsSync(cpFile)) return { error: "mvn ran but produced no jar/classpath" };
  return { classpath: [jar, fs.readFileSync(cpFile, "utf8").trim()].join(path.delimiter) };
}

/** A running SparkBench JVM. */
export class SparkEngine {
  private buffer = "";
  /** Rejects when the JVM exits. */
  private exited: Promise<never> = new Promise(() => {});
  private waiters: Array<(line: string) => void> = [];
  readonly version: string;
  /** The JVM probes run in: this one, or its replacement after it died. */
  private current: SparkEngine = this;
  private startArgs: Parameters<typeof SparkEngine.start> = ["", "", "", ""];

  private constructor(private readonly child: ChildProcessWithoutNullStreams, version: string) {
    this.version = version;
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
  static async start(classpath: string, wordsFile: string, salesFile: string, logFile: string): Promise<SparkEngine> {
    const child = spawn("java", [...JVM_OPTIONS, "-cp", classpath, "streamlab.bench.SparkBench", wordsFile, salesFile, GREP_PATTERN], { stdio: ["pipe", "pipe", "pipe"] });
    const log = fs.createWriteStream(logFile, { flags: "a" });
    child.stderr.pipe(log);
    const version = /spark-core_2\.13-([\d.]+)\.jar/.exec(classpath)?.[1] ?? "?";
    const engine = new SparkEngine(child, version);
    engine.exited = new Promise<never>((_, reject) => child.on("exit", (code) => reject(new Error(`Spark JVM exited with ${code} (e.g. out of memory on an overloaded probe); see ${logFile}`))));
    engine.exited.catch(() => {}); // observed by every later call; never an unhandled rejection
    await Promise.race([engine.next(), engine.exited, timeout(180_000, "Spark did not start within 180 s")]);
    engine.startArgs = [classpath, wordsFile, salesFile, logFile];
    return engine;
  }

  private next(): Promise<string> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * Runs one probe in a JVM. A JVM that dies during the probe (out of memory on an overloaded rate:
   * Spark without backpressure buffers what it cannot process) makes the probe unsustainable, and
   * a fresh JVM runs the next one, so one overloaded probe does not end Spark's part of the run.
   */
  async probe(spec: ProbeSpec): Promise<ProbeResult> {
    if (this.current.child.exitCode !== null) this.current = await SparkEngine.start(...this.startArgs);
    const started = Date.now();
    try {
      return await this.current.probeOnce(spec);
    } catch (e) {
      if (this.current.child.exitCode === null) throw e;
      const message = (e as Error).message;
      return { t0: started, started, stopped: Date.now(), batches: [], aborted: message };
    }
  }

  private async probeOnce(spec: ProbeSpec): Promise<ProbeResult> {
    const sender = spec.feed === "socket" ? await startSender(spec.poolFile, spec.rate) : undefined;
    const answer = this.next();
    this.child.stdin.write(`probe ${spec.workload} ${spec.feed} ${spec.shape.batchMs} ${spec.shape.slideMs} ${spec.rate} ${spec.seconds} ${sender?.port ?? 0} ${spec.shape.blockMs ?? blockIntervalFor(spec.shape.batchMs)}\n`);
    let line: string;
    try {
      line = await Promise.race([answer, this.exited, timeout((spec.seconds + 120) * 1000, "Spark probe did not answer")]);
    } catch (e) {
      await sender?.stop();
      throw e;
    }
    const result = JSON.parse(line.slice("RESULT ".length)) as ProbeResult;
    const senderT0 = sender ? await sender.stop() : undefined;
    return { ...result, t0: senderT0 ?? result.t0 };
  }

  async stop(): Promise<void> {
    if (this.current !== this) return this.current.stop();
    if (this.child.exitCode !== null) return;
    this.child.stdin.write("quit\n");
    await Promise.race([new Promise((r) => this.child.on("exit", r)), new Promise((r) => setTimeout(r, 20_000))]);
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

function timeout(ms: number, message: string): Promise<never> {
  return new Promise((_, reject) => setTimeout(() => reject(new Error(message)), ms).unref());
}
