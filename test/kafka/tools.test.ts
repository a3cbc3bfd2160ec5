import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { KafkaUtils, OffsetRange, salesLines } from "../../engine";
import { KafkaClient } from "../../engine/sources/kafka/client";
import { main as kafkaCli } from "../../cli/kafka";
import { main as salesCli } from "../../cli/sales";

// The course's tools: `streamlab kafka start|status|stop` (a background broker) and
// `streamlab sales --kafka` (the seeded sales stream into a topic).

describe("streamlab kafka and streamlab sales --kafka", () => {
  it("starts a background broker, reports it, takes the seeded sales stream, and stops it", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-kafka-cli-"));
    const status: string[] = [];
    const io = { status: (l: string) => status.push(l) };
    const write = jest.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await kafkaCli(["start", "--dir", dir], io)).toBe(0);
      const state = JSON.parse(fs.readFileSync(path.join(dir, "broker.json"), "utf8")) as { bootstrap: string; pid: number };
      expect(state.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(write).toHaveBeenCalledWith(state.bootstrap + "\n");
      expect(await kafkaCli(["status", "--dir", dir], io)).toBe(0);
      expect(status.at(-1)).toContain(`running on ${state.bootstrap} (pid ${state.pid}`);

      expect(await salesCli(["--kafka", state.bootstrap, "--topic", "sales", "--rate", "0", "--count", "300", "--seed", "42"], io)).toBe(0);
      expect(status.at(-1)).toBe("streamlab: wrote 300 lines to sales");
      const client = new KafkaClient({ servers: [state.bootstrap], clientId: "t", groupId: "t", attempts: 1, backoffMs: 0, requestTimeoutMs: 10_000 });
      const end = (await client.listOffsets([{ topic: "sales", partition: 0 }], "latest", false)).get("sales-0") as number;
      await client.close();
      const rdd = await KafkaUtils.createRDD(undefined, { "bootstrap.servers": state.bootstrap }, [OffsetRange.create("sales", 0, 0, end)]);
      expect(rdd.collect().map((r) => r.value)).toEqual([...salesLines(42, { count: 300 })]);

      expect(await kafkaCli(["stop", "--dir", dir], io)).toBe(0);
      expect(status.at(-1)).toBe(`streamlab: stopped the Kafka broker on ${state.bootstrap}`);
      expect(await kafkaCli(["status", "--dir", dir], io)).toBe(1);
      // The JVM is gone (here a zombie until this process reaps it: its command line is empty).
      expect(fs.existsSync(`/proc/${state.pid}/cmdline`) ? fs.readFileSync(`/proc/${state.pid}/cmdline`, "utf8") : "").toBe("");
    } finally {
      write.mockRestore();
      const pid = Number(fs.existsSync(path.join(dir, "broker.pid")) ? fs.readFileSync(path.join(dir, "broker.pid"), "utf8") : NaN);
      try { if (pid) process.kill(pid, "SIGKILL"); } catch { /* stopped */ }
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
