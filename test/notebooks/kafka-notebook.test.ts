/**
 * notebooks/08-sales-from-kafka.ipynb, executed with nbclient on the streamlab kernel: it starts a
 * real Kafka broker itself (startKafka), writes the seeded sales to a topic and reads them with the
 * direct stream. Its answers must equal a reference computed here with plain loops from the same
 * seeded records (notebook 04's reference: every 10-day window holds the same lines in both).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { salesRecords } from "../../engine";
import { describeWithVenv, ROOT, runPython } from "../kernel/venv";

interface Output { output_type: string; text?: string; data?: Record<string, unknown> }
type Counts = Map<string, number>;

async function execute(name: string): Promise<Output[][]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-nb-"));
  const { code, output } = await runPython(["run_notebook.py", path.join(ROOT, "notebooks", name), path.join(dir, name)], 300_000)
    .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
  if (code !== 0) throw new Error(`nbclient failed on ${name} (exit ${code}):\n${output}`);
  const cells = JSON.parse(output.trim().split("\n").pop() as string) as Output[][];
  const errors = cells.flat().filter((o) => o.output_type === "error");
  if (errors.length) throw new Error(`${name}: a cell failed: ${JSON.stringify(errors)}`);
  return cells;
}
const stdout = (cell: Output[]) => cell.filter((o) => o.output_type === "stream").map((o) => o.text).join("");
const result = (cell: Output[]) => String(cell.find((o) => o.output_type === "execute_result")?.data?.["text/plain"]);
/** A string result as the string itself (tslab shows it JSON-quoted). */
const resultText = (cell: Output[]) => { const r = result(cell); return r.startsWith('"') ? (JSON.parse(r) as string) : r; };
const shown = (cell: Output[], i: number) => String(cell.filter((o) => o.output_type === "display_data")[i]?.data?.["text/plain"]);
const tableRows = (text: string) => text.split("\n").slice(2).map((l) => l.trim().split(/\s{2,}/));
const byCountThenName = ([a, m]: [string, number], [b, n]: [string, number]) => n - m || (a < b ? -1 : a > b ? 1 : 0);

describeWithVenv("notebook 08-sales-from-kafka, executed with nbclient against a broker it starts", () => {
  it("reads 240 offsets per 6-hour batch and gives notebook 04's answers; the stream's totals equal the topic's count", async () => {
    const [setup, , outputs, answers, topicCount, stop] = await execute("08-sales-from-kafka.ipynb");
    // In 1-hour slices of 40 lines, as notebook 04's reference: 08's 6-hour batches hold 6 slices each.
    const LINES = 40, BATCHES = 480, WINDOW = 240, SLIDE = 6;
    const records = [...salesRecords(42, { malformedRate: 0.02, shiftEvery: 4000, count: BATCHES * LINES })];
    const itemsPerProduct = (from: number, to: number) => {
      const counts: Counts = new Map();
      for (const r of records.slice((Math.max(1, from) - 1) * LINES, to * LINES)) if (r.sale) counts.set(r.sale.productId, (counts.get(r.sale.productId) ?? 0) + r.sale.number);
      return counts;
    };
    const best = (counts: Counts) => [...counts].sort(byCountThenName)[0];
    const leaders = Array.from({ length: BATCHES / SLIDE }, (_, i) => {
      const end = SLIDE * (i + 1);
      const [product, items] = best(itemsPerProduct(end - WINDOW + 1, end));
      return { day: end / 24, product, items };
    });
    const sinceStart = best(itemsPerProduct(1, BATCHES));
    const changes = leaders.filter((l, i) => i === 0 || l.product !== leaders[i - 1].product);
    const last = leaders[leaders.length - 1];
    const malformed = records.filter((r) => !r.sale).length;

    expect(resultText(setup)).toMatch(/^Apache Kafka 4\.\d+\.\d+ on 127\.0\.0\.1:\d+: 19200 sales lines \(seed 42\) in topic "sales"$/);
    expect(tableRows(shown(outputs, 0))).toEqual([[last.product, String(last.items)]]);
    expect(tableRows(shown(outputs, 1))).toEqual([[sinceStart[0], String(sinceStart[1])]]);
    expect(resultText(outputs)).toMatch(/^20 days of stream time \(80 batches\) read from Kafka in \d+\.\d s of wall time$/);

    const printed = stdout(answers).split("\n");
    expect(printed.slice(0, 3).map((l) => l.replace(/^\d+ ms: /, ""))).toEqual([0, 240, 480].map((from) => `OffsetRange(topic: 'sales', partition: 0, range: [${from} -> ${from + 240}])`));
    expect(printed.slice(3, 3 + changes.length)).toEqual(changes.map((c) => `day ${c.day.toFixed(2).padStart(5)}: ${c.product} leads the last 10 days with ${c.items} items`));
    expect(printed).toContain(`after 20 days: best seller of the last 10 days ${last.product} (${last.items} items), since the beginning ${sinceStart[0]} (${sinceStart[1]} items)`);
    expect(printed).toContain(`19200 lines read = ${19200 - malformed} sales + ${malformed} malformed`);

    expect(resultText(topicCount)).toBe("20 products, 19200 records in the topic: the stream's totals equal the topic's count");
    expect(resultText(stop)).toBe("broker stopped");
  }, 400_000);
});
