import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runBench, SMOKE } from "./main";

/*
 * CI's smoke test of `npm run bench`: the tiny configuration (no Spark, 2-second windows, small
 * batches, two short real-time Grep probes) must produce a well-formed results table. Timings are
 * never asserted: they depend on the machine and its load. It runs real-time probes for ~40 s
 * alone; on a loaded machine that passed jest's 60 s default, so it has a bound of its own.
 */
describe("benchmark suite, smoke version", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-bench-smoke-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("writes results.json, a markdown table and an SVG chart with every section", async () => {
    const lines: string[] = [];
    const results = await runBench({ config: SMOKE, sections: new Set(["capacity", "empty", "memory", "rates", "backpressure"]), resultsDir: dir, log: (l) => lines.push(l) });

    expect(results.capacity.map((c) => c.workload)).toEqual(["grep", "wordcount", "topk", "sales"]);
    for (const c of results.capacity) for (const v of [c.streamlab, c.loop, c.rx]) expect(v).toBeGreaterThan(0);
    expect(results.emptyBatch).toHaveLength(8);
    expect(results.state.map((s) => s.keys)).toEqual([1000]);
    expect(results.windowMemory.map((p) => p.t)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(results.rates.map((r) => [r.engine, r.workload, r.feed, r.batchMs])).toEqual([
      ["streamlab", "grep", "generator", 1000],
      ["streamlab", "grep", "socket", 1000],
    ]);
    for (const r of results.rates) {
      expect(r.error).toBeUndefined();
      expect(r.search.probes.length).toBeGreaterThan(0);
      for (const p of r.search.probes) expect(p.measuredBatches).toBeGreaterThan(0);
    }

    const md = fs.readFileSync(path.join(dir, "results.md"), "utf8");
    const table = (heading: string) => {
      const start = md.indexOf(heading);
      expect(start).toBeGreaterThanOrEqual(0);
      const lines = md.slice(start).split("\n");
      const first = lines.findIndex((l) => l.startsWith("|"));
      const end = lines.findIndex((l, i) => i > first && !l.startsWith("|"));
      return lines.slice(first, end);
    };
    const rateTable = table("## Maximum sustainable rate");
    expect(rateTable[0]).toBe("| Workload | Engine | Feed | Batch | Max sustainable rate | Processing p95 at max | Latency p50 / p99 at half rate | Target |");
    expect(rateTable.slice(2).map((l) => l.split("|").slice(1, 5).map((c) => c.trim()))).toEqual([
      ["Grep", "streamlab", "generator", "1 s"],
      ["Grep", "streamlab", "socket", "1 s"],
    ]);
    const capacityTable = table("## Flat-out capacity");
    expect(capacityTable).toHaveLength(2 + 4);
    for (const row of rateTable) expect(row.split("|")).toHaveLength(10);
    for (const row of capacityTable.slice(2)) expect(row.split("|")).toHaveLength(9);
    expect(table("## Engine cost of an empty batch")).toHaveLength(2 + 4);
    expect(md).toContain("Spark: skipped");
    const backpressure = table("## Backpressure");
    expect(backpressure.slice(2).map((l) => l.split("|")[1].trim())).toEqual(["true", "false"]);
    expect(results.backpressure?.map((b) => b.batches.length > 0)).toEqual([true, true]);

    const svg = fs.readFileSync(path.join(dir, "chart.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Flat-out capacity in one process");
    expect(JSON.parse(fs.readFileSync(path.join(dir, "results.json"), "utf8")).config.rateWorkloads).toEqual(["grep"]);
  }, 180_000);
});
