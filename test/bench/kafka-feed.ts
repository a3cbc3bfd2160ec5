import { spawn } from "child_process";
import { createKafkaTopic } from "../../engine/tools/kafka-topics";
import { loadClient } from "../../engine/sources/kafka/client";
import type { ProbeSpec } from "./probe";
import type { Sender } from "./sender-process";

/**
 * The Kafka feed of the benchmark (issue 20): a real broker started by the project's own code
 * (startKafka), a fresh topic of `partitions` partitions per probe, and a producer process
 * (KafkaFeed.java, built with the Spark side) writing the 100-byte record pool at the probe's rate.
 * Both engines read the topic with their direct stream from its first offset.
 */
export interface KafkaBench {
  bootstrap: string;
  /** The classpath of the Maven build of test/bench/spark (KafkaFeed and kafka-clients). */
  classpath: string;
  partitions: number;
}

let topics = 0;

/** Creates a new, empty topic for one probe. */
export async function newBenchTopic(kafka: KafkaBench, workload: string): Promise<string> {
  const topic = `bench-${workload}-${process.pid}-${++topics}`;
  await createKafkaTopic(kafka.bootstrap, topic, { partitions: kafka.partitions });
  return topic;
}

/** Deletes a probe's topic (a probe writes up to a few GB). Failures only leave disk used. */
export async function deleteBenchTopic(kafka: KafkaBench, topic: string): Promise<void> {
  const { Admin } = loadClient();
  const admin = new Admin({ clientId: "streamlab-bench", bootstrapBrokers: [kafka.bootstrap] });
  try {
    await admin.deleteTopics({ topics: [topic] });
  } catch {
    // the next probe uses a topic of its own
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/**
 * Starts the producer; resolves once record 0 is due (its `T0` line). `stop()` closes its stdin,
 * which makes it flush and exit, and resolves with t0.
 */
export function startKafkaFeed(kafka: KafkaBench, topic: string, poolFile: string, rate: number, log: (line: string) => void = () => {}): Promise<Sender> {
  const child = spawn("java", ["-Xmx512m", "-cp", kafka.classpath, "streamlab.bench.KafkaFeed", kafka.bootstrap, topic, poolFile, String(rate), String(kafka.partitions)], { stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => { err = (err + chunk).slice(-4000); });
  return new Promise((resolve, reject) => {
    let t0: number | undefined;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const t = /T0 (\d+)/.exec(out);
      if (t && t0 === undefined) {
        t0 = Number(t[1]);
        resolve({
          port: 0,
          stop: async () => {
            child.stdin.end();
            const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
            await exited;
            clearTimeout(killer);
            const failed = /ERROR (.*)/.exec(out);
            if (failed) log(`    Kafka feed: a send failed: ${failed[1]}`);
            return t0;
          },
        });
      }
    });
    child.on("exit", (code) => {
      if (t0 === undefined) reject(new Error(`bench: the Kafka feed exited with ${code} before producing: ${err.trim().split("\n").slice(-3).join(" | ")}`));
    });
  });
}

/** The Kafka set-up of a probe on the Kafka feed. */
export function kafkaOf(spec: ProbeSpec): KafkaBench {
  if (!spec.kafka) throw new Error("bench: a probe on the Kafka feed needs the broker (ProbeSpec.kafka)");
  return spec.kafka;
}
