/**
 * The seven coursework notebooks of notebooks/, executed top to bottom with nbclient on the streamlab
 * kernel. Every asserted number comes from a reference computed here with plain loops from the same
 * input (data/lecture.txt, or the seeded sales records), never from the engine.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { salesRecords, SalesRecord } from "../../engine";
import { describeWithVenv, ROOT, runPython } from "../kernel/venv";

interface Output { output_type: string; text?: string; data?: Record<string, unknown> }
type Counts = Map<string, number>;

/** Executes notebooks/<name> with nbclient; returns each code cell's outputs. */
async function execute(name: string): Promise<Output[][]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-nb-"));
  const { code, output } = await runPython(["run_notebook.py", path.join(ROOT, "notebooks", name), path.join(dir, name)], 120_000)
    .finally(() => fs.rmSync(dir, { recursive: true, force: true }));
  if (code !== 0) throw new Error(`nbclient failed on ${name} (exit ${code}):\n${output}`);
  const cells = JSON.parse(output.trim().split("\n").pop() as string) as Output[][];
  const errors = cells.flat().filter((o) => o.output_type === "error");
  if (errors.length) throw new Error(`${name}: a cell failed: ${JSON.stringify(errors)}`);
  return cells;
}

/** A cell's printed text (its stream outputs, concatenated). */
const stdout = (cell: Output[]) => cell.filter((o) => o.output_type === "stream").map((o) => o.text).join("");
/** The text/plain of a cell's only execute_result. */
const result = (cell: Output[]) => String(cell.find((o) => o.output_type === "execute_result")?.data?.["text/plain"]);
/** The text/plain of the i-th display of a cell. */
const shown = (cell: Output[], i: number) => String(cell.filter((o) => o.output_type === "display_data")[i]?.data?.["text/plain"]);
const displayData = (cell: Output[], i: number) => cell.filter((o) => o.output_type === "display_data")[i]?.data as Record<string, unknown>;
/** The rows of a display's text table (after its heading and column line). */
const tableRows = (text: string) => text.split("\n").slice(2).map((l) => l.trim().split(/\s{2,}/));
const timeOf = (text: string) => Number(/Time: (\d+) ms/.exec(text)?.[1]);

const byCountThenName = ([a, m]: [string, number], [b, n]: [string, number]) => n - m || (a < b ? -1 : a > b ? 1 : 0);
const pairsText = (pairs: Array<[string, number]>) => pairs.map(([w, n]) => `(${w},${n})`).join(" ");
const sum = (xs: Iterable<number>) => [...xs].reduce((a, b) => a + b, 0);

function countWords(lines: string[]): Counts {
  const counts: Counts = new Map();
  for (const line of lines) for (const w of line.split(" ")) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** A display's rows must be the reference's top values, each with its reference count (ties may come in any order). */
function expectTopRows(rows: string[][], reference: Counts, top: number): void {
  expect(rows.map((r) => Number(r[1]))).toEqual([...reference.values()].sort((a, b) => b - a).slice(0, top));
  for (const [key, value] of rows) expect([key, Number(value)]).toEqual([key, reference.get(key)]);
}

const TEXT = fs.readFileSync(path.join(ROOT, "notebooks", "data", "lecture.txt"), "utf8").split("\n").filter((l) => l !== "");
const HOUR = 3_600_000;
const VEGA_LITE = "application/vnd.vegalite.v5+json";

describeWithVenv("the coursework notebooks (notebooks/0*.ipynb), executed with nbclient", () => {
  jest.setTimeout(150_000);

  it("01-socket-word-count: per-batch counts that add up to the text's word count", async () => {
    const [server, program, run, check] = await execute("01-socket-word-count.ipynb");
    const reference = countWords(TEXT);
    const words = sum(reference.values());
    expect(words).toBe(160);
    expect(result(server)).toMatch(new RegExp(`^line server on 127\\.0\\.0\\.1:\\d+: ${TEXT.length} lines, ${words} words to send$`));
    const batchCount = Number(/in (\d+) non-empty batches$/.exec(result(run))?.[1]);
    expect(result(run)).toBe(`${TEXT.length} lines sent, ${words} words counted in ${batchCount} non-empty batches`);
    expect(batchCount).toBeGreaterThanOrEqual(3); // 22 lines at 8 per second span at least three 1-second batches

    const lines = stdout(check).trimEnd().split("\n");
    const perBatch = lines.slice(0, -1).map((l) => /^(\d+) ms: (\d+) distinct words$/.exec(l)!);
    expect(perBatch).toHaveLength(batchCount);
    const top = [...reference].sort(byCountThenName).slice(0, 8);
    expect(lines.at(-1)).toBe(`all batches together: ${words} words, ${reference.size} distinct; most frequent: ${pairsText(top)}`);

    // print(): Spark's text of the latest batches; the live table: the last batch, sorted by count.
    const printed = shown(program, 0);
    const lastTime = Number(perBatch.at(-1)![1]);
    expect(printed).toMatch(/^-{43}\nTime: \d+ ms\n-{43}\n/);
    expect([...printed.matchAll(/Time: (\d+) ms/g)].map((m) => Number(m[1])).at(-1)).toBe(lastTime);
    for (const [, w, n] of printed.matchAll(/^\((.+),(\d+)\)$/gm)) expect(Number(n)).toBeLessThanOrEqual(reference.get(w)!);
    const table = shown(program, 1);
    const lastDistinct = Number(perBatch.at(-1)![2]);
    expect(table.split("\n")[0]).toBe(`Word counts of the latest batch · Time: ${lastTime} ms · ${lastDistinct} record${lastDistinct === 1 ? "" : "s"}${lastDistinct > 8 ? " · showing the first 8 by value" : ""}`);
    expect(tableRows(table)).toHaveLength(Math.min(8, lastDistinct));
    const values = tableRows(table).map((r) => Number(r[1]));
    expect(values).toEqual([...values].sort((a, b) => b - a));
    for (const [w, n] of tableRows(table)) expect(Number(n)).toBeLessThanOrEqual(reference.get(w)!);
  });

  it("02-global-word-count: the state holds the text's counts, then adds a new line's words", async () => {
    const [setup, program, run, more, stop] = await execute("02-global-word-count.ipynb");
    const before = countWords(TEXT);
    const after = countWords([...TEXT, "hello again hello"]);
    expect(result(setup)).toBe(`22 lines, ${sum(before.values())} words to send; checkpoints go to a temporary directory`);
    expect(result(run)).toBe(`${sum(before.values())} words counted, ${before.size} distinct words in the state`);
    expect(result(more)).toBe(`hello: ${after.get("hello")} (it was ${before.get("hello")} before the new line)`);

    const table = shown(program, 0);
    expect(table.split("\n")[0]).toMatch(new RegExp(`^Word counts since the start · Time: \\d+ ms · ${after.size} records · showing the first 10 by value$`));
    expectTopRows(tableRows(table), after, 10);

    const [files, final] = stdout(stop).trimEnd().split("\n");
    const [, fileCount, t1, t2] = /^(\d+) files in the checkpoint directory, e\.g\. checkpoint-(\d+), checkpoint-(\d+)$/.exec(files) ?? [];
    expect(Number(fileCount)).toBeGreaterThanOrEqual(3); // checkpoint files and the state directory
    expect(Number(t2) - Number(t1)).toBe(1000); // one checkpoint per 1-second batch
    expect(final).toBe(`final state: ${sum(after.values())} words, ${after.size} distinct; most frequent: ${pairsText([...after].sort(byCountThenName).slice(0, 10))}`);
  });

  it("03-windowed-word-count: every window equals the reference, with and without the inverse function", async () => {
    const [, program, run, compare, cost] = await execute("03-windowed-word-count.ipynb");
    // Batch b (1-based) holds line (b-1) mod 22 for b <= 66; a window at batch 5k holds batches 5k-59..5k.
    const windows = Array.from({ length: 24 }, (_, i) => {
      const end = 5 * (i + 1);
      const lines: string[] = [];
      for (let b = Math.max(1, end - 59); b <= Math.min(end, 66); b++) lines.push(TEXT[(b - 1) % TEXT.length]);
      return countWords(lines);
    });
    const last = windows[23];
    const lastTime = Number(/the last at (\d+) ms$/.exec(result(run))?.[1]);
    expect(result(run)).toBe(`24 windows in 120 s of stream time, the last at ${lastTime} ms`);

    const table = shown(program, 0);
    expect(table.split("\n")[0]).toBe(`Word counts over the last 60 s (with the inverse function) · Time: ${lastTime} ms · ${last.size} records · showing the first 8 by value`);
    expectTopRows(tableRows(table), last, 8);

    expect(stdout(compare).trimEnd().split("\n")).toEqual([
      "incremental = recomputed in 24 of 24 windows",
      "unfiltered without its zeros = recomputed in 24 of 24 windows",
      // Without a filterFunc a key, once in a window, stays with 0: all the text's words by then.
      `last window: ${last.size} words; the unfiltered version also keeps ${countWords(TEXT).size - last.size} words with count 0`,
      `words per window: ${windows.map((w) => sum(w.values())).join(" ")}`,
    ]);
    const [, recomputed, incremental] = /^reduce calls per full window: recomputed (\d+), incremental (\d+) \(sum and inverse\)$/.exec(stdout(cost).trim()) ?? [];
    expect(Number(incremental) * 3).toBeLessThan(Number(recomputed));
  });

  it("04-best-seller: the best seller of every 10-day window and since the beginning equal the reference", async () => {
    const [setup, , outputs, run, answers] = await execute("04-best-seller.ipynb");
    const LINES = 40, BATCHES = 480, WINDOW = 240, SLIDE = 6;
    const records = [...salesRecords(42, { malformedRate: 0.02, shiftEvery: 4000, count: BATCHES * LINES })];
    const batch = (b: number) => records.slice((b - 1) * LINES, b * LINES);
    const itemsPerProduct = (from: number, to: number) => {
      const counts: Counts = new Map();
      for (let b = Math.max(1, from); b <= to; b++) for (const r of batch(b)) if (r.sale) counts.set(r.sale.productId, (counts.get(r.sale.productId) ?? 0) + r.sale.number);
      return counts;
    };
    // Most items; on a tie, the smaller product id (as the notebook says).
    const best = (counts: Counts) => [...counts].sort(byCountThenName)[0];
    const leaders = Array.from({ length: BATCHES / SLIDE }, (_, i) => {
      const end = SLIDE * (i + 1);
      const [product, items] = best(itemsPerProduct(end - WINDOW + 1, end));
      return { day: end / 24, product, items };
    });
    const lastWindow = itemsPerProduct(BATCHES - WINDOW + 1, BATCHES);
    const sinceStart = best(itemsPerProduct(1, BATCHES));

    expect(stdout(setup)).toBe(`seed 42, 40 lines per batch, 480 batches; the first lines:\n${records.slice(0, 5).map((r) => r.line).join("\n")}\n`);
    expect(result(run)).toMatch(/^20 days of stream time \(480 batches\) in \d+\.\d s of wall time$/);

    // The bar chart: the top 10 products of the last window, as Vega-Lite data and as SVG bars.
    const bars = displayData(outputs, 0);
    const barValues = (bars["application/vnd.vegalite.v5+json"] as { data: { values: Array<{ key: string; value: number }> } }).data.values;
    expect(barValues.map((v) => v.value)).toEqual([...lastWindow.values()].sort((a, b) => b - a).slice(0, 10));
    for (const v of barValues) expect(v.value).toBe(lastWindow.get(v.key));
    expect(String(bars["image/svg+xml"]).match(/<path aria-label="key: p\d+; value: [\d,]+"/g)).toHaveLength(10);

    // The line chart holds every window's leader.
    const line = displayData(outputs, 1);
    const lineValues = (line["application/vnd.vegalite.v5+json"] as { data: { values: Array<Record<string, unknown>> } }).data.values;
    expect(lineValues.map(({ day, product, items }) => ({ day, product, items }))).toEqual(leaders);
    expect(String(line["image/svg+xml"])).toContain("<svg");

    expect(tableRows(shown(outputs, 2))).toEqual([[sinceStart[0], String(sinceStart[1])]]);
    const defects = new Map<string, number>();
    for (const r of records) if (r.defect) defects.set(r.defect, (defects.get(r.defect) ?? 0) + 1);
    const ruleRows = tableRows(shown(outputs, 3));
    expect(ruleRows.map((r) => Number(r[1]))).toEqual([...defects.values()].sort((a, b) => b - a));
    for (const [rule, n] of ruleRows) expect(Number(n)).toBe(defects.get(rule));
    for (const i of [0, 2, 3]) expect(timeOf(shown(outputs, i))).toBe(timeOf(shown(outputs, 1))); // all end on day 20

    const changes = leaders.filter((l, i) => i === 0 || l.product !== leaders[i - 1].product);
    expect(new Set(changes.map((c) => c.product)).size).toBeGreaterThan(2); // the leader does change
    const malformed = records.filter((r) => !r.sale);
    const examples = malformed.slice(0, 4).map((r) => `${JSON.stringify(r.line)}: ${r.defect}`);
    const last = leaders.at(-1)!;
    expect(stdout(answers).trimEnd().split("\n")).toEqual([
      ...changes.map((c) => `day ${c.day.toFixed(2).padStart(5)}: ${c.product} leads the last 10 days with ${c.items} items`),
      `after 20 days: best seller of the last 10 days ${last.product} (${last.items} items), since the beginning ${sinceStart[0]} (${sinceStart[1]} items)`,
      `80 windows; lines ${records.length} = ${records.length - malformed.length} sales + ${malformed.length} malformed; e.g. ${examples.join(", ")}`,
    ]);
  });

  it("05-exploring-sales: revenue windows, the join, the idle store and the dashboard equal the reference", async () => {
    const [, revenueCell, joinCell, idleCell, runCell, noticed] = await execute("05-exploring-sales.ipynb");
    const BATCHES = 120, CLOSING_BATCH = 48;
    const north = [...salesRecords(42, { malformedRate: 0.02, count: BATCHES * 40 })];
    const south = [...salesRecords(7, { count: BATCHES * 25 })];
    const salesIn = (records: SalesRecord[], lines: number, b: number, closes: boolean) => records.slice((b - 1) * lines, b * lines)
      .flatMap((r) => (r.sale && !(closes && b > CLOSING_BATCH && r.sale.storeId === "s5") ? [r.sale] : []));
    const northAt = (b: number) => salesIn(north, 40, b, true);
    const southAt = (b: number) => salesIn(south, 25, b, false);
    const perKey = (from: number, to: number, at: (b: number) => Array<{ storeId: string; productId: string; number: number; totalPrice: number }>, key: "storeId" | "productId", value: (s: { number: number; totalPrice: number }) => number) => {
      const m: Counts = new Map();
      for (let b = Math.max(1, from); b <= to; b++) for (const s of at(b)) m.set(s[key], (m.get(s[key]) ?? 0) + value(s));
      return m;
    };
    const cents = (s: { totalPrice: number }) => Math.round(s.totalPrice * 100);
    const sortedByKey = (m: Counts) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

    // 1. Revenue per store over the last 24 hours: the live table and every window of the chart.
    const revenueTable = shown(revenueCell, 0);
    const end = timeOf(revenueTable);
    const lastRevenue = perKey(BATCHES - 23, BATCHES, northAt, "storeId", cents);
    expect(revenueTable.split("\n")[0]).toBe(`North: revenue per store over the last 24 hours · Time: ${end} ms · ${lastRevenue.size} records`);
    expect(tableRows(revenueTable)).toEqual(sortedByKey(lastRevenue).map(([s, c]) => [s, String(c / 100)]));
    expect(lastRevenue.has("s5")).toBe(false);
    const chartRows = (displayData(revenueCell, 1)["application/vnd.vegalite.v5+json"] as { data: { values: Array<{ key: string; value: number; time: number }> } }).data.values;
    const windowsCharted = new Set(chartRows.map((r) => r.time));
    expect(windowsCharted.size).toBe(20);
    for (const t of windowsCharted) {
      const b = BATCHES - (end - t) / HOUR;
      const expected = sortedByKey(perKey(b - 23, b, northAt, "storeId", cents)).map(([s, c]) => [s, c / 100]);
      expect(sortedByKey(new Map(chartRows.filter((r) => r.time === t).map((r) => [r.key, r.value])))).toEqual(expected);
    }

    // 2. The join of the two regions' windows.
    const northUnits = perKey(BATCHES - 23, BATCHES, northAt, "productId", (s) => s.number);
    const southUnits = perKey(BATCHES - 23, BATCHES, southAt, "productId", (s) => s.number);
    const joined = new Map([...northUnits].filter(([p]) => southUnits.has(p)).map(([p, n]) => [p, [n, southUnits.get(p)!]] as const));
    const joinTable = shown(joinCell, 0);
    expect(joinTable.split("\n")[0]).toBe(`Units per product in both regions, last 24 hours · Time: ${end} ms · ${joined.size} records · showing the first 8 by total`);
    const totals = new Map([...joined].map(([p, [n, s]]) => [p, n + s]));
    const joinRows = tableRows(joinTable);
    expect(joinRows.map((r) => Number(r[3]))).toEqual([...totals.values()].sort((a, b) => b - a).slice(0, 8));
    for (const [p, n, s, t] of joinRows) expect([p, Number(n), Number(s), Number(t)]).toEqual([p, ...joined.get(p)!, totals.get(p)]);

    // 3. mapWithState: the stores still open, and s5 timed out at the first full scan (every 10 batches) 12 idle hours after its last sale.
    const salesPerStore = perKey(1, BATCHES, northAt, "storeId", () => 1);
    const lastSale = (store: string) => Math.max(...Array.from({ length: BATCHES }, (_, i) => i + 1).filter((b) => northAt(b).some((s) => s.storeId === store)));
    expect(tableRows(shown(idleCell, 0))).toEqual(sortedByKey(salesPerStore).filter(([s]) => s !== "s5").map(([s, n]) => [s, String(n), (lastSale(s) / 24).toFixed(2)]));
    const s5Last = lastSale("s5");
    let timeoutBatch = s5Last + 13;
    while (timeoutBatch % 10 !== 0) timeoutBatch++;
    const northSales = north.filter((r) => r.sale).length;
    expect(stdout(noticed).trimEnd().split("\n")).toEqual([
      `s5 timed out on day ${(timeoutBatch / 24).toFixed(2)}: last sale on day ${(s5Last / 24).toFixed(2)}, ${salesPerStore.get("s5")} sales in all`,
      `north: ${northSales} sales and ${north.length - northSales} malformed lines (counted, skipped; the stream went on) in 120 batches of 40 lines`,
    ]);

    // 4. The dashboard: every batch completed, each with the 40 + 25 lines of the two sources, and no failed output.
    expect(shown(runCell, 0)).toMatch(/^Streaming Statistics · ExploringSales · batches of 1 h · (running|ran) for [\d a-z]+ since \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d · 120 completed batches, 7,800 records\n  Input rate: 0\.02 records\/sec\n/);
    // The timelines chart: the last 100 batches (the dashboard's default history), one row each.
    expect((displayData(runCell, 1)["application/vnd.vegalite.v5+json"] as { data: { values: Array<{ time: number }> } }).data.values.map((r) => r.time))
      .toEqual(Array.from({ length: 100 }, (_, i) => end - (99 - i) * HOUR));
    const tables = shown(runCell, 2);
    const batchRows = tables.split("\n").filter((l) => /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \(\d+ ms\) /.test(l));
    expect(batchRows.map((l) => timeOf(`Time: ${/\((\d+ ms)\)/.exec(l)?.[1]}`))).toEqual([0, 1, 2, 3, 4].map((i) => end - i * HOUR));
    for (const row of batchRows) expect(row).toMatch(/^\S+ \S+ \(\d+ ms\)\s+65 records\s+.*\s(\d+)\/\1$/);
    expect(result(runCell)).toBe("stopped after 5 days of stream time");
  });

  it("06-kill-9-recovery: the totals survive SIGKILL and end equal to a run without a crash", async () => {
    const [setup, first, kill, restart, finish, evidence] = await execute("06-kill-9-recovery.ipynb");
    const firstHalf = countWords(TEXT.slice(0, 11));
    const whole = countWords(TEXT);
    const words = (c: Counts) => sum(c.values());
    expect(result(setup)).toMatch(new RegExp(`^line server on port \\d+; checkpoints in a temporary directory; ${words(firstHalf)} \\+ ${words(whole) - words(firstHalf)} words to send$`));
    const pid = /^application pid (\d+):/.exec(result(first))?.[1];
    expect(result(first)).toMatch(new RegExp(`^application pid ${pid}: ${words(firstHalf)} words counted, ${firstHalf.size} distinct \\(batch \\d+ ms\\)$`));
    expect(result(kill)).toBe(`pid ${pid} exited with code null, signal SIGKILL; the checkpoint directory holds: .lock, receivedData, state, checkpoint-<time> files`);
    const restartedPid = /^restarted as pid (\d+):/.exec(result(restart))?.[1];
    expect(restartedPid).not.toBe(pid);
    expect(result(restart)).toBe(`restarted as pid ${restartedPid}: first totals ${words(firstHalf)} words, ${firstHalf.size} distinct; identical to before the kill: true`);
    expect(result(finish)).toBe(`${words(whole)} words counted in all, ${whole.size} distinct`);
    const row = (w: string) => `${w.padEnd(12)}${String(firstHalf.get(w) ?? 0).padStart(11)}${String(firstHalf.get(w) ?? 0).padStart(15)}${String(whole.get(w) ?? 0).padStart(7)}${String(whole.get(w) ?? 0).padStart(11)}`;
    expect(stdout(evidence).trimEnd().split("\n")).toEqual([
      "word        before kill  after restart  final  reference",
      ...["the", "a", "hello", "each", "state", "global", "checkpoint", "window", "best"].map(row),
      "before the kill = the first half of the text: true",
      "after the restart = before the kill: true",
      "final = the whole text, as without a crash: true",
    ]);
  });

  it("07-live-exploration: the window added live, the re-run filter, the stopped output, the interrupted runaway and the dashboard equal the reference", async () => {
    const [start, windowCell, filterCell, stopCell, runawayCell, statusCell, dashboardCell, finish] = await execute("07-live-exploration.ipynb");
    // The stream stops at the end of a day that depends on how fast the cells ran; everything else follows from it.
    const lastDay = Number(/^stopped at the end of day (\d+) \((\d+) batches\)$/.exec(result(finish))?.[1]);
    expect(result(finish)).toBe(`stopped at the end of day ${lastDay} (${lastDay * 24} batches)`);
    const END = lastDay * 24, LINES = 40;
    const records = [...salesRecords(42, { malformedRate: 0.02, count: END * LINES })];
    const salesOf = (b: number) => records.slice((b - 1) * LINES, b * LINES).flatMap((r) => (r.sale ? [r.sale] : []));

    // The re-run filter: one table, the edited one (>= 250), showing the last batch.
    const filterTable = shown(filterCell, 0);
    const endTime = timeOf(filterTable);
    const batchAt = (time: number) => END - (endTime - time) / HOUR;
    const big = salesOf(END).filter((s) => s.totalPrice >= 250).sort((a, b) => b.totalPrice - a.totalPrice);
    expect(filterCell.filter((o) => o.output_type === "display_data")).toHaveLength(1);
    expect(filterTable.split("\n")[0]).toBe(`Sales of 250 or more, latest hour · Time: ${endTime} ms · ${big.length} record${big.length === 1 ? "" : "s"}${big.length > 5 ? " · showing the first 5 by total" : ""}`);
    expect(tableRows(filterTable)).toEqual(big.slice(0, 5).map((s) => [s.storeId, s.productId, String(s.number), String(s.totalPrice)]));

    // The window added live: full by the end, it holds the last 24 batches.
    const items: Counts = new Map();
    for (let b = END - 23; b <= END; b++) for (const s of salesOf(b)) items.set(s.productId, (items.get(s.productId) ?? 0) + s.number);
    const bars = (displayData(windowCell, 0)[VEGA_LITE] as { data: { values: Array<{ key: string; value: number; time: number }> } }).data.values;
    expect(bars.map((v) => v.value)).toEqual([...items.values()].sort((a, b) => b - a).slice(0, 10));
    for (const v of bars) expect([v.key, v.value, v.time]).toEqual([v.key, items.get(v.key), endTime]);

    // The output stopped by its handle keeps the last batch it drew, before the end.
    const revenueTable = shown(start, 0);
    const stoppedAt = batchAt(timeOf(revenueTable));
    expect(stoppedAt).toBeGreaterThanOrEqual(1);
    expect(stoppedAt).toBeLessThan(END);
    const revenue = new Map<string, number>();
    for (const s of salesOf(stoppedAt)) revenue.set(s.storeId, (revenue.get(s.storeId) ?? 0) + Math.round(s.totalPrice * 100));
    const [stoppedNote, ...revenueLines] = revenueTable.split("\n").reverse();
    expect(stoppedNote).toBe("■ stopped: stopped by its handle");
    expect(tableRows(revenueLines.reverse().join("\n"))).toEqual([...revenue].sort(([a], [b]) => (a < b ? -1 : 1)).map(([store, cents]) => [store, String(cents / 100)]));

    // ssc.outputs() after the stop: the first run of the filter cell was replaced by its re-run.
    const filterChain = "SalesInputDStream → map → filter → map → filter → map → display";
    expect(stdout(stopCell).split("\n").filter((l) => l !== "")).toEqual([
      "output 0: SalesInputDStream → map → filter → map → mapToPair → reduceByKey → mapValues → display · stopped (stopped by its handle)",
      "output 1: SalesInputDStream → map → filter → map → mapToPair → reduceByKeyAndWindow → chart · running",
      `output 2: ${filterChain} · stopped (cell [3] re-ran (now cell [4]))`,
      `output 3: ${filterChain} · running`,
    ]);

    // The runaway: Interrupt stopped its output at its first batch, and only it.
    const interrupted = /^the runaway output is failed: The print defined by cell \[6\] was interrupted while running its batch at (\d+) ms, so it was stopped;/.exec(result(statusCell));
    expect(interrupted).not.toBeNull();
    const runawayBatch = batchAt(Number(interrupted![1]));
    expect(runawayBatch).toBeGreaterThan(stoppedAt);
    expect(runawayBatch).toBeLessThan(END);
    expect(runawayCell.filter((o) => o.output_type === "error")).toEqual([]);
    // Its own output shows why it stopped (the saved notebook too, not only JupyterLab).
    expect(shown(runawayCell, 0)).toContain(`Error [STREAM_ERR_OUTPUT_INTERRUPTED]: The print defined by cell [6] was interrupted while running its batch at ${interrupted![1]} ms`);

    // The dashboard ends on the last batch, whose three output operations (the window's chart, the
    // re-run filter's table, the last cell's count) all succeeded.
    // Its third output holds the tables; completed batches, latest first: `2024/01/04 00:00:00 (1704326400000 ms) … 3/3`.
    const completed = shown(dashboardCell, 2).split("Completed batches")[1] ?? "";
    const batchRows = completed.split("\n").filter((l) => /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \(\d+ ms\) /.test(l));
    expect(timeOf(`Time: ${/\((\d+ ms)\)/.exec(batchRows[0] ?? "")?.[1]}`)).toBe(endTime);
    expect(batchRows[0]).toMatch(/\s3\/3$/);
    // Made in a late cell, it lists every output of the session with its status: the stopped ones say why.
    const outputTable = (completed.split("Output operations\n")[1] ?? "").split("\nCheckpoint")[0].split("\n").slice(1);
    expect(outputTable.map((l) => l.split(/\s{2,}/).slice(0, 3).join(" | "))).toEqual([
      "0 | display | stopped: stopped by its handle",
      "1 | chart | ok",
      "2 | display | stopped: cell [3] re-ran (now cell [4])",
      "3 | display | ok",
      "4 | print | stopped",
      "5 | foreachRDD | ok",
    ]);
    expect(outputTable[4]).toContain("[STREAM_ERR_OUTPUT_INTERRUPTED] Error: The print defined by cell [6] was interrupted");
  });
});

describe("the coursework notebooks as committed", () => {
  const notebooks = fs.readdirSync(path.join(ROOT, "notebooks")).filter((f) => /^0\d-.*\.ipynb$/.test(f)).sort();
  interface Cell { cell_type: string; source: string | string[]; outputs?: Output[] }

  it("are the eight of the course, in order", () => {
    expect(notebooks).toEqual(["01-socket-word-count.ipynb", "02-global-word-count.ipynb", "03-windowed-word-count.ipynb",
      "04-best-seller.ipynb", "05-exploring-sales.ipynb", "06-kill-9-recovery.ipynb", "07-live-exploration.ipynb", "08-sales-from-kafka.ipynb"]);
  });

  it.each(notebooks)("%s carries the outputs of a real run (so GitHub shows them), with no error", (name) => {
    const nb = JSON.parse(fs.readFileSync(path.join(ROOT, "notebooks", name), "utf8")) as { cells: Cell[]; metadata: { kernelspec: { name: string } } };
    expect(nb.metadata.kernelspec.name).toBe("streamlab");
    const code = nb.cells.filter((c) => c.cell_type === "code");
    const outputs = code.flatMap((c) => c.outputs ?? []);
    expect(outputs.filter((o) => o.output_type === "error")).toEqual([]);
    // Every cell that ends in an expression or draws something has its output saved.
    expect(code.filter((c) => (c.outputs ?? []).length > 0).length).toBeGreaterThanOrEqual(code.length - 2);
    expect(outputs.some((o) => JSON.stringify(o).includes("waiting for the first batch"))).toBe(false);
    const svgs = outputs.filter((o) => o.data?.["image/svg+xml"] !== undefined).length;
    // Charts, and in 05 and 07 the dashboard's timelines, each with its static SVG.
    expect(svgs).toBe({ "04-best-seller.ipynb": 2, "05-exploring-sales.ipynb": 2, "07-live-exploration.ipynb": 2 }[name] ?? 0);
    expect(nb.cells.filter((c) => c.cell_type === "markdown").length).toBeGreaterThanOrEqual(3); // the teaching text
  });
});
