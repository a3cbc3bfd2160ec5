/**
 * Issue 19's acceptance test: a student's live session in JupyterLab, replayed in Debian's Chromium
 * (playwright-core) step by step as a person does it (paste a cell, run it, press Interrupt,
 * re-run, kill -9 the kernel, Run All), asserting what the screen shows.
 *
 * The steps share one browser and one notebook and run in order; each is its own test, so the
 * report names the step that fails. Ground truth is on the test's side: the line server counts
 * the connections it accepted and holds, and every line sent is remembered with the batch whose
 * printed counts show it. Waits are bounded and generous (a loaded 2-core machine); assertions
 * are exact. Screenshots of every step are kept in test/kernel/artifacts/ (git-ignored).
 */
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { BrowserContext, chromium, Locator, Page } from "playwright-core";
import { CHROMIUM_FLAGS, ensureChromium } from "./chromium";
import { JupyterLab, startJupyterLab } from "./jupyterlab";
import { describeWithVenv } from "./venv";

const ARTIFACTS = path.join(__dirname, "artifacts");
const BATCH_MS = 1000;
const VEGA_LITE = "application/vnd.vegalite.v5+json";

// The browser's DOM and JupyterLab's app (exposed with --LabApp.expose_app_in_browser), typed just
// enough for the functions page.evaluate runs there (the project compiles without lib "dom").
interface PageElement {
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
  dispatchEvent(event: unknown): boolean;
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray; width: number } } | null;
}
declare const DataTransfer: new () => { setData(type: string, data: string): void };
declare const ClipboardEvent: new (type: string, init: { clipboardData: unknown; bubbles: boolean; cancelable: boolean }) => unknown;
declare const window: { jupyterapp: { shell: { currentWidget: { content: { widgets: Array<{ model: { outputs: { toJSON(): unknown } } }> } } } } };

/** One output of a cell as JupyterLab's model holds it (nbformat). */
interface CellOutput { output_type: string; text?: string | string[]; data?: Record<string, unknown>; ename?: string; evalue?: string; traceback?: string[] }

/** One batch of a print() output: its time and its element lines, in order. */
interface PrintedBatch { time: number; lines: string[] }

/** Parses Spark's print() text: `---` / `Time: <ms> ms` / `---`, the elements, a blank line. */
function parsePrinted(text: string): PrintedBatch[] {
  const batches: PrintedBatch[] = [];
  for (const line of text.split("\n")) {
    const time = /^Time: (\d+) ms$/.exec(line);
    if (time) batches.push({ time: Number(time[1]), lines: [] });
    else if (batches.length > 0 && line !== "" && !/^-{43}$/.test(line)) batches[batches.length - 1].lines.push(line);
  }
  return batches;
}

type Counts = Map<string, number>;
const countWords = (lines: string[]): Counts => {
  const counts: Counts = new Map();
  for (const line of lines) for (const w of line.split(" ")) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
};
const sortedEntries = (c: Counts) => [...c].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
const addCounts = (...cs: Counts[]): Counts => {
  const sum: Counts = new Map();
  for (const c of cs) for (const [k, n] of c) sum.set(k, (sum.get(k) ?? 0) + n);
  return sum;
};

/**
 * The line server a student starts with `nc -lk <port>`: every line written goes to every client
 * connected now. It counts the connections it accepted and the ones still open (the ground truth
 * for "exactly one receiver").
 */
class LineServer {
  readonly sockets = new Set<net.Socket>();
  accepted = 0;
  private readonly server = net.createServer((socket) => {
    this.accepted++;
    this.sockets.add(socket);
    socket.on("error", () => socket.destroy());
    socket.on("close", () => this.sockets.delete(socket));
    socket.resume();
  });
  port = 0;

  async listen(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  get open(): number { return this.sockets.size; }

  /** Writes the lines in one write (so they land in one block) to every connected client. */
  send(lines: string[]): void {
    if (this.sockets.size === 0) throw new Error(`no client is connected to the line server on port ${this.port}`);
    for (const s of this.sockets) s.write(lines.map((l) => l + "\n").join(""));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `read` every 100 ms until `done` holds for what it returned; fails after `ms` with the last value seen. */
async function pollUntil<T>(what: string, ms: number, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${ms} ms; last seen: ${JSON.stringify(last, (_, v) => (v instanceof Map ? [...v] : v))}`);
    await sleep(100);
    last = await read();
  }
  return last;
}

/** A notebook open in JupyterLab, driven as a person does: code cells only, counted from 0. */
class NotebookPage {
  constructor(readonly page: Page) {}

  /** The notebook on screen (JupyterLab keeps other open notebooks in hidden tabs). */
  private notebook(): Locator { return this.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"); }

  cell(i: number): Locator { return this.notebook().locator(".jp-Cell").nth(i); }

  cellCount(): Promise<number> { return this.notebook().locator(".jp-Cell").count(); }

  /**
   * Adds empty cells at the end until cell i exists, as a person does (command mode, `b`). Running
   * the last cell with Shift+Enter adds one already; this covers a step whose predecessor failed.
   */
  async ensureCell(i: number): Promise<void> {
    while ((await this.cellCount()) <= i) {
      const n = await this.cellCount();
      await this.cell(n - 1).locator(".jp-InputArea-prompt").click();
      await this.page.keyboard.press("Escape");
      await this.page.keyboard.press("b");
      await pollUntil(`cell ${n} added`, 10_000, () => this.cellCount(), (c) => c > n);
    }
  }

  /** What the cell's prompt shows: "[3]:", "[*]:" or "[ ]:". */
  async prompt(i: number): Promise<string> {
    return ((await this.cell(i).locator(".jp-InputArea-prompt").innerText()) ?? "").trim();
  }

  /** Clicks into the cell's editor, selects everything and pastes `code` (a real paste event). */
  async paste(i: number, code: string): Promise<void> {
    await this.ensureCell(i);
    const editor = this.cell(i).locator(".cm-content");
    await editor.click();
    await this.page.keyboard.press("Control+A");
    await editor.evaluate((el: unknown, text: string) => {
      const data = new DataTransfer();
      data.setData("text/plain", text);
      (el as PageElement).dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
    }, code);
    const shown = await pollUntil(`cell ${i} holding the pasted code`, 10_000,
      () => this.cell(i).locator(".cm-line").allTextContents(), (lines) => lines.join("\n") === code);
    expect(shown.join("\n")).toBe(code);
  }

  /**
   * Runs cell i with Shift+Enter (on the last cell JupyterLab adds a new one below) or Ctrl+Enter
   * (stays). Resolves once the kernel has taken the request (the prompt shows [*] or a new number).
   */
  async run(i: number, keys: "Shift+Enter" | "Control+Enter"): Promise<void> {
    const before = await this.prompt(i);
    await this.cell(i).locator(".cm-content").click();
    await this.page.keyboard.press(keys);
    await pollUntil(`cell ${i} taken by the kernel`, 30_000, () => this.prompt(i), (p) => p !== before && p !== "[ ]:");
  }

  /** Waits until cell i shows an execution count (not [*]); returns it. */
  async finished(i: number, ms = 60_000): Promise<number> {
    const p = await pollUntil(`cell ${i} finished`, ms, () => this.prompt(i), (s) => /^\[\d+\]:$/.test(s));
    return Number(/\d+/.exec(p)![0]);
  }

  /** Pastes `code` into cell i, runs it with Shift+Enter and waits for it to finish; returns its execution count. */
  async enter(i: number, code: string): Promise<number> {
    await this.paste(i, code);
    await this.run(i, "Shift+Enter");
    return this.finished(i);
  }

  /** The texts the cell's output area shows, one per output. */
  outputTexts(i: number): Promise<string[]> { return this.cell(i).locator(".jp-OutputArea-output").allInnerTexts(); }

  /** The cell's outputs as JupyterLab's model holds them (every MIME type of each bundle). */
  modelOutputs(i: number): Promise<CellOutput[]> {
    return this.page.evaluate((index) => window.jupyterapp.shell.currentWidget.content.widgets[index].model.outputs.toJSON(), i) as Promise<CellOutput[]>;
  }

  /** The batches the print() outputs of cell i show now (each output parsed on its own: a note after it is not a batch's line). */
  async printed(i: number): Promise<PrintedBatch[]> {
    return (await this.outputTexts(i)).flatMap(parsePrinted);
  }

  /** The kernel's state as the status bar shows it ("Idle", "Busy", ...). */
  async kernelStatus(): Promise<string> {
    const text = await this.page.locator(".jp-StatusBar-Widget").allInnerTexts();
    return /TypeScript \(streamlab\) \| (\w+)/.exec(text.join(" "))?.[1] ?? `(not shown: ${text.join(" | ")})`;
  }

  async menu(top: string, item: RegExp): Promise<void> {
    await this.page.getByRole("menuitem", { name: top, exact: true }).click();
    await this.page.getByRole("menuitem", { name: item }).click();
  }

  interrupt(): Promise<void> { return this.menu("Kernel", /^Interrupt Kernel/); }

  async screenshot(name: string): Promise<void> {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    const file = path.join(ARTIFACTS, `live-session-${name}.png`);
    fs.rmSync(file, { force: true });
    await this.page.screenshot({ path: file, fullPage: true });
    // Kept as the step's evidence: a real PNG of the whole notebook, not an empty file.
    expect(fs.readFileSync(file).subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(fs.statSync(file).size).toBeGreaterThan(10_000);
  }
}

/** The bars drawn on the chart's canvas in cell i (runs of columns holding Vega's default mark color #4c78a8). */
async function barsDrawn(nb: NotebookPage, i: number): Promise<number[] | undefined> {
  return nb.cell(i).evaluate((cell: unknown) => {
    const canvas = (cell as PageElement).querySelector(".jp-RenderedVegaLite .vega-embed canvas.marks") as unknown as PageCanvas | null;
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx || canvas.width === 0) return undefined;
    const { data, width } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const near = (p: number) => Math.abs(data[p] - 76) + Math.abs(data[p + 1] - 120) + Math.abs(data[p + 2] - 168) < 30 && data[p + 3] > 200;
    const bars: number[] = [];
    let run = 0;
    for (let x = 0; x <= width; x++) {
      let h = 0;
      if (x < width) for (let y = 0; y < canvas.height; y++) if (near((y * width + x) * 4)) h++;
      if (h > 0) run = Math.max(run, h);
      else if (run > 0) { bars.push(run); run = 0; }
    }
    return bars;
  });
}

/** A chart output's batch time (from its text/plain) and its data rows (from its Vega-Lite spec). */
function chartState(outputs: CellOutput[]): { time: number; rows: Array<Record<string, unknown>> } | undefined {
  const chart = outputs.find((o) => o.data?.[VEGA_LITE] !== undefined);
  if (!chart) return undefined;
  const time = /Time: (\d+) ms/.exec(String(chart.data!["text/plain"]));
  if (!time) return undefined;
  const spec = chart.data![VEGA_LITE] as { data?: { values?: Array<Record<string, unknown>> } };
  return { time: Number(time[1]), rows: spec.data?.values ?? [] };
}

/** The table of a live display() in cell i as the screen shows it: key → value. */
async function tableShown(nb: NotebookPage, i: number): Promise<Counts | undefined> {
  const rows = await nb.cell(i).evaluate((cell: unknown) => {
    const table = (cell as PageElement).querySelector(".streamlab-display table");
    if (!table) return undefined;
    return [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""));
  });
  return rows && new Map(rows.map((r) => [r[0], Number(r[1])]));
}

/** The pid of the kernel process behind a kernel id: the process whose command line names its connection file. */
function kernelPid(kernelId: string): number {
  const pids = fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).filter((pid) => {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
      return argv.some((a) => a.endsWith(`kernel-${kernelId}.json`)) && argv.some((a) => a.endsWith("streamlab.js"));
    } catch {
      return false;
    }
  });
  if (pids.length !== 1) throw new Error(`expected one kernel process for kernel ${kernelId}, found ${pids.length}`);
  return Number(pids[0]);
}

async function kernelIdOf(lab: JupyterLab, notebook: string): Promise<string> {
  const sessions = (await (await fetch(`${lab.baseUrl}/api/sessions`, { headers: { Authorization: `token ${lab.token}` } })).json()) as Array<{ path: string; kernel: { id: string } }>;
  const session = sessions.find((s) => s.path === notebook);
  if (!session) throw new Error(`no session for ${notebook}: ${JSON.stringify(sessions)}`);
  return session.kernel.id;
}

/** An empty notebook (nbformat 4.5: cells have ids, so the kernel learns which cell runs) on the streamlab kernel. */
function emptyNotebook(): string {
  return JSON.stringify({
    cells: [{ cell_type: "code", id: "first", metadata: {}, source: [], execution_count: null, outputs: [] }],
    metadata: { kernelspec: { name: "streamlab", display_name: "TypeScript (streamlab)", language: "typescript" }, language_info: { name: "typescript", file_extension: ".ts" } },
    nbformat: 4, nbformat_minor: 5,
  }, null, 1);
}

// The student's cells. The lecture's program is README's TypeScript version of the course's Java
// word count, against the test's line server instead of `nc -lk 9999`.
const lectureProgram = (port: number) => `import { StreamingContext, SparkConf, Durations } from "streamlab";

const conf = new SparkConf().setAppName("WordCountStreaming").setMaster("local[2]");
const jsc = new StreamingContext(conf, Durations.seconds(1));
const lines = jsc.socketTextStream("localhost", ${port});
const words = lines.flatMap((s) => s.split(" "));
const wordCounts = words.mapToPair((s) => [s, 1]).reduceByKey((i1, i2) => i1 + i2);
wordCounts.print();
jsc.start();
await jsc.awaitTermination();`;
const WINDOW_MS = 3000;
const windowedChart = `const windowCounts = wordCounts.reduceByKeyAndWindow((i1, i2) => i1 + i2, Durations.seconds(3), Durations.seconds(1));
windowCounts.chart({ mark: "bar", title: "Words of the last 3 seconds" });`;
const throwingMap = `const lengths = lines.map((line) => {
  if (line.includes("bye")) throw new Error("cannot handle bye");
  return line.length;
});
lengths.print();`;
const runawayFilter = `const spinning = lines.filter((line) => {
  while (line === "spin") {}
  return true;
});
spinning.count().print();`;
const CHECKPOINT = "checkpoints/live-totals";
const recoveryContext = (port: number) => `import { DStream, Durations, StreamingContext } from "streamlab";

let words!: DStream<string>;
const ssc = StreamingContext.getOrCreate("${CHECKPOINT}", () => {
  const ssc = new StreamingContext({ appName: "LiveTotals", master: "local[2]", batchDuration: Durations.seconds(1),
    conf: { "spark.streaming.receiver.writeAheadLog.enable": true } });
  ssc.checkpoint("${CHECKPOINT}");
  words = ssc.socketTextStream("localhost", ${port}).flatMap((line) => line.split(" "));
  words.count().print();
  return ssc;
});
ssc.start();`;
const totalsCell = `const totals = words.mapToPair((w) => [w, 1]).updateStateByKey((ones: number[], total?: number) => ones.length + (total ?? 0));
totals.display({ title: "Word totals", sortBy: "key", ascending: true, top: 50 });`;

const LECTURE_INPUT = ["hello world hello", "bye bye"];
const LECTURE_OUTPUT = ["(hello,2)", "(bye,2)", "(world,1)"];

describeWithVenv("issue 19: a student's live session in JupyterLab (Debian's Chromium), replayed and checked on screen", () => {
  let chromiumPath = "";
  let lab: JupyterLab | undefined;
  let browser: BrowserContext | undefined;
  let page: Page;
  let nb: NotebookPage;
  let root = "";
  const servers: LineServer[] = [];
  let server: LineServer;
  /** Every send of the lecture's session: the lines and the batch (of cell 0's print) they landed in. */
  const sends: Array<{ lines: string[]; batch: number }> = [];
  let lastBatchSeen = 0;
  /** What the steps measured, kept beside the screenshots (live-session-timings.json). */
  const measured: Record<string, number> = {};
  /** The execution count of the lecture cell's first run. */
  let lectureRun = 0;

  // The cells of lecture.ipynb, in the order the student adds them.
  const LECTURE = 0, STATE = 1, CHART = 2, DASHBOARD = 3, OUTPUTS = 4, THROWS = 5, ONE_PLUS_ONE = 6, RUNAWAY = 7, AFTER_INTERRUPT = 8;

  /** The latest batch time the lecture's print() shows (0 before any). */
  const latestBatch = async () => Math.max(0, ...(await nb.printed(LECTURE)).map((b) => b.time));

  /**
   * Sends lines to the line server and waits for the batch of the lecture's print() that shows
   * exactly `printed` (the lines' word counts in Spark's order); remembers that batch.
   */
  async function sendAndSee(lines: string[], printed: string[], ms = 20_000): Promise<number> {
    const after = Math.max(lastBatchSeen, await latestBatch());
    server.send(lines);
    const batch = await pollUntil(`a batch after ${after} ms printing ${printed.join(" ")} under the lecture's cell`, ms,
      async () => (await nb.printed(LECTURE)).find((b) => b.time > after && b.lines.length > 0),
      (b) => b !== undefined);
    expect(batch!.lines).toEqual(printed);
    sends.push({ lines, batch: batch!.time });
    lastBatchSeen = batch!.time;
    return batch!.time;
  }

  /** The word counts of every line sent to the lecture's stream whose batch lies in the window ending at `time`. */
  const windowAt = (time: number) => countWords(sends.filter((s) => s.batch > time - WINDOW_MS && s.batch <= time).flatMap((s) => s.lines));

  beforeAll(async () => {
    chromiumPath = ensureChromium();
    root = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-live-session-"));
    fs.writeFileSync(path.join(root, "lecture.ipynb"), emptyNotebook());
    fs.writeFileSync(path.join(root, "recovery.ipynb"), emptyNotebook());
    server = await new LineServer().listen();
    servers.push(server);
    lab = await startJupyterLab(root, 60_000, ["--LabApp.expose_app_in_browser=True"]);
    const profile = path.join(root, ".chromium-profile");
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 1600 },
    });
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30_000);
    nb = new NotebookPage(page);
    await page.goto(`${lab.baseUrl}/lab/tree/lecture.ipynb?token=${lab.token}`);
    await page.getByText("TypeScript (streamlab) | Idle").waitFor({ timeout: 60_000 });
  }, 660_000);

  afterAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    fs.writeFileSync(path.join(ARTIFACTS, "live-session-timings.json"), JSON.stringify(measured, null, 1) + "\n");
    await browser?.close().catch(() => undefined);
    await lab?.stop();
    for (const s of servers) await s.close();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  }, 60_000);

  it("the lecture's program pasted into one cell with awaitTermination: Interrupt ends the wait without a stack trace, and the next cell uses jsc", async () => {
    try {
      await nb.paste(LECTURE, lectureProgram(server.port));
      await nb.run(LECTURE, "Shift+Enter");
      await pollUntil("one receiver connected to the line server", 30_000, async () => server.open, (n) => n === 1);
      // While the cell waits in awaitTermination it is running: the status bar says so.
      expect(await nb.prompt(LECTURE)).toBe("[*]:");
      expect(await pollUntil("the status bar saying Busy while the cell runs", 10_000, () => nb.kernelStatus(), (s) => s === "Busy")).toBe("Busy");
      // The lecture's input, typed into nc, comes out as the lecture shows it.
      await sendAndSee(LECTURE_INPUT, LECTURE_OUTPUT);

      await nb.interrupt();
      lectureRun = await nb.finished(LECTURE, 30_000);
      const shown = (await nb.outputTexts(LECTURE)).join("\n");
      expect(shown).not.toMatch(/Interrupted asynchronously|node_modules|dist\/|evalmachine|^\s+at /m);
      expect(await pollUntil("the status bar saying Idle after the interrupt", 15_000, () => nb.kernelStatus(), (s) => s === "Idle")).toBe("Idle");
      // The stream runs on after the wait ended: the same print() output shows later batches.
      const interruptedAt = await latestBatch();
      await pollUntil("a batch printed after the interrupt", 15_000, latestBatch, (t) => t >= interruptedAt + 2 * BATCH_MS);

      expect(await nb.enter(STATE, "jsc.getState()")).toBeGreaterThan(0);
      expect(await nb.outputTexts(STATE)).toEqual(["ACTIVE"]);
      expect(server.open).toBe(1);
    } finally {
      await nb.screenshot("1-lecture-interrupted");
    }
  }, 240_000);

  it("a later cell adds a windowed chart to the running context; it draws within two batches and shows exactly the window's counts", async () => {
    try {
      // What was sent before lies outside the first windows the chart shows.
      const last = sends.length ? sends[sends.length - 1].batch : 0;
      await pollUntil("the last lines sent leaving the 3 s window", 20_000, latestBatch, (t) => t >= last + WINDOW_MS);
      await nb.paste(CHART, windowedChart);
      const pressed = Date.now();
      await nb.run(CHART, "Shift+Enter");
      await nb.finished(CHART);
      const added = await latestBatch();
      const first = await pollUntil("the chart's first batch", 20_000, async () => chartState(await nb.modelOutputs(CHART)), (s) => s !== undefined);
      // Within two batches both in stream time (its first batch) and on the wall clock (Shift+Enter
      // to the chart's data in JupyterLab; polled every 100 ms).
      measured.chartFirstBatchAfterCellMs = first!.time - added;
      measured.chartShownAfterShiftEnterMs = Date.now() - pressed;
      expect(first!.time).toBeLessThanOrEqual(added + 2 * BATCH_MS);
      expect(measured.chartShownAfterShiftEnterMs).toBeLessThanOrEqual(2 * BATCH_MS);

      const sent = await sendAndSee(LECTURE_INPUT, LECTURE_OUTPUT);
      const state = await pollUntil("the chart showing the batch of the lines sent", 20_000,
        async () => chartState(await nb.modelOutputs(CHART)), (s) => s !== undefined && s.time >= sent);
      expect(state!.time - sent).toBeLessThan(WINDOW_MS);
      const expected = windowAt(state!.time);
      expect(sortedEntries(new Map(state!.rows.map((r) => [String(r.key), Number(r.value)])))).toEqual(sortedEntries(expected));
      // On screen: one chart under the cell, one bar per word of the window.
      expect(await nb.cell(CHART).locator(".jp-RenderedVegaLite").count()).toBe(1);
      const bars = await pollUntil("the chart's bars drawn on its canvas", 15_000, () => barsDrawn(nb, CHART), (b) => b !== undefined && b.length === expected.size);
      expect(bars).toHaveLength(expected.size);
    } finally {
      await nb.screenshot("2-windowed-chart-added");
    }
  }, 180_000);

  it("re-running the chart cell three times leaves exactly one chart and the same output count (ssc.outputs() and the dashboard)", async () => {
    try {
      await nb.enter(DASHBOARD, "jsc.dashboard()");
      await nb.enter(OUTPUTS, `jsc.outputs().filter((o) => o.status === "running").length`);
      expect(await nb.outputTexts(OUTPUTS)).toEqual(["2"]); // the lecture's print() and the chart (ssc.outputs() also lists stopped ones)
      const outputOps = async () => {
        // The completed batches' table, latest first: `2026/12/02 15:04:05 (1796223845000 ms) … 2/2`.
        const text = (await nb.outputTexts(DASHBOARD)).join("\n").split("Completed batches")[1] ?? "";
        const rows = text.split("\n").map((l) => /\((\d+) ms\).*\b(\d+)\/(\d+)\b/.exec(l)).filter((m) => m !== null);
        return rows.length ? { time: Number(rows[0]![1]), total: Number(rows[0]![3]) } : undefined;
      };
      const before = await pollUntil("the dashboard's latest batch", 20_000, outputOps, (o) => o !== undefined);
      expect(before!.total).toBe(2);

      for (let run = 0; run < 3; run++) {
        await nb.run(CHART, "Control+Enter");
        await nb.finished(CHART);
      }
      const rerun = await latestBatch();
      // The re-run's chart joins at the next batch (its placeholder until then), then it is the only output.
      await pollUntil("the re-run chart drawn", 20_000, () => nb.cell(CHART).locator(".jp-RenderedVegaLite").count(), (n) => n > 0);
      expect(await nb.cell(CHART).locator(".jp-OutputArea-output").count()).toBe(1);
      expect(await nb.cell(CHART).locator(".jp-RenderedVegaLite").count()).toBe(1);
      await nb.run(OUTPUTS, "Control+Enter");
      await nb.finished(OUTPUTS);
      expect(await nb.outputTexts(OUTPUTS)).toEqual(["2"]);
      // The dashboard's batches after the re-runs ran the same two output operations.
      const after = await pollUntil("a dashboard batch two batches after the re-runs", 20_000, outputOps, (o) => o !== undefined && o.time >= rerun + 2 * BATCH_MS);
      expect(after!.total).toBe(2);

      // The one chart left is live: it shows the next lines sent.
      const sent = await sendAndSee(LECTURE_INPUT, LECTURE_OUTPUT);
      const state = await pollUntil("the re-run chart showing the batch of the lines sent", 20_000,
        async () => chartState(await nb.modelOutputs(CHART)), (s) => s !== undefined && s.time >= sent);
      expect(sortedEntries(new Map(state!.rows.map((r) => [String(r.key), Number(r.value)])))).toEqual(sortedEntries(windowAt(state!.time)));
      expect(await nb.cell(CHART).locator(".jp-RenderedVegaLite").count()).toBe(1);
    } finally {
      await nb.screenshot("3-chart-rerun-three-times");
    }
  }, 180_000);

  it("re-running the context cell leaves exactly one receiver connected to the line server", async () => {
    try {
      const acceptedBefore = server.accepted;
      expect(server.open).toBe(1);
      await nb.run(LECTURE, "Control+Enter");
      await pollUntil("the new context's receiver connecting", 30_000, async () => server.accepted, (n) => n === acceptedBefore + 1);
      await nb.interrupt();
      const rerunCount = await nb.finished(LECTURE, 30_000);
      await pollUntil("exactly one connection open", 15_000, async () => server.open, (n) => n === 1);
      // And it stays one: nothing left over reconnects.
      await sleep(3 * BATCH_MS);
      expect({ open: server.open, accepted: server.accepted }).toEqual({ open: 1, accepted: acceptedBefore + 1 });
      // The new context counts what is sent now, under the re-run cell.
      lastBatchSeen = 0;
      await sendAndSee(LECTURE_INPUT, LECTURE_OUTPUT);
      expect((await nb.outputTexts(LECTURE)).join("\n")).not.toMatch(/already started|evalmachine/);
      // The chart built on the old context says it stopped, why, and what to do.
      const chart = (await nb.modelOutputs(CHART)).find((o) => o.data?.[VEGA_LITE] !== undefined);
      expect(String(chart?.data?.["text/plain"]).split("\n").at(-1)).toBe(`■ stopped: its context was replaced when cell [${lectureRun}] re-ran (now cell [${rerunCount}]): re-run this cell`);
    } finally {
      await nb.screenshot("4-context-cell-rerun");
    }
  }, 180_000);

  it("a map that throws shows its error once under its own output while an unrelated 1 + 1 cell shows only 2", async () => {
    try {
      const cell = await nb.enter(THROWS, throwingMap);
      const failed: number[] = [];
      for (let i = 0; i < 3; i++) failed.push(await sendAndSee(["bye bye"], ["(bye,2)"]));
      expect(await nb.enter(ONE_PLUS_ONE, "1 + 1")).toBeGreaterThan(0);
      for (let i = 0; i < 2; i++) failed.push(await sendAndSee(["bye bye"], ["(bye,2)"]));
      await sleep(2 * BATCH_MS);

      expect(await nb.outputTexts(ONE_PLUS_ONE)).toEqual(["2"]);
      // Under its own output: the first failure in full (where, when, the user's line), then one
      // running summary line, not a line per failed batch.
      const clock = "\\(\\d\\d:\\d\\d:\\d\\d\\)";
      const own = (await nb.outputTexts(THROWS)).join("\n").split("\n").map((l) => l.trim());
      expect(own.filter((l) => l.includes("cannot handle bye"))).toEqual([
        expect.stringMatching(new RegExp(`^✖ print of map · cell \\[${cell}\\] failed at batch ${failed[0]} ms ${clock}: Error: cannot handle bye$`)),
        `in cell [${cell}] line 2: if (line.includes("bye")) throw new Error("cannot handle bye");`,
        expect.stringMatching(new RegExp(`^failed in ${failed.length} batches since \\d\\d:\\d\\d:\\d\\d; last: batch ${failed[failed.length - 1]} ms ${clock}: Error: cannot handle bye$`)),
      ]);
      for (let i = 0; i < (await nb.cellCount()); i++) {
        if (i === THROWS || i === DASHBOARD) continue;
        expect([i, (await nb.outputTexts(i)).join("\n")]).not.toEqual([i, expect.stringContaining("cannot handle bye")]);
      }
      // The stream went on: the lecture's counts still come out.
      await sendAndSee(LECTURE_INPUT, LECTURE_OUTPUT);
    } finally {
      await nb.screenshot("5-map-throws");
    }
  }, 180_000);

  it("an infinite loop in a map function plus Interrupt returns the kernel within 2 s, and the other outputs keep updating", async () => {
    try {
      const cell = await nb.enter(RUNAWAY, runawayFilter);
      server.send(["spin"]);
      // The batch holding "spin" never ends: the lecture's print() stops moving.
      let shownBatch = -1;
      let movedAt = Date.now();
      await pollUntil("the stream stuck in the loop (no new batch for 3 s)", 30_000, async () => {
        const t = await latestBatch();
        if (t !== shownBatch) { shownBatch = t; movedAt = Date.now(); }
        return Date.now() - movedAt;
      }, (quietMs) => quietMs >= 3 * BATCH_MS);
      await nb.paste(AFTER_INTERRUPT, "jsc.getState()");
      await nb.run(AFTER_INTERRUPT, "Shift+Enter");
      await sleep(1000);
      expect(await nb.prompt(AFTER_INTERRUPT)).toBe("[*]:"); // the kernel cannot answer while the loop runs

      const pressed = Date.now();
      await nb.interrupt();
      await pollUntil("the waiting cell's answer after Interrupt", 10_000, () => nb.outputTexts(AFTER_INTERRUPT), (t) => t.length > 0);
      const answeredMs = Date.now() - pressed;
      measured.interruptToAnswerMs = answeredMs;
      expect(await nb.outputTexts(AFTER_INTERRUPT)).toEqual(["ACTIVE"]);
      expect(answeredMs).toBeLessThanOrEqual(2000);

      // The looping output stopped with an error that says so; the other outputs go on.
      const stopped = (await nb.outputTexts(RUNAWAY)).join("\n").split("\n").map((l) => l.trim());
      expect(stopped.filter((l) => l.startsWith("✖"))).toEqual([expect.stringMatching(
        new RegExp(`^✖ print of count · cell \\[${cell}\\] failed at batch \\d+ ms \\(\\d\\d:\\d\\d:\\d\\d\\): Error \\[STREAM_ERR_OUTPUT_INTERRUPTED\\]: The print defined by cell \\[${cell}\\] was interrupted`))]);
      await sendAndSee(LECTURE_INPUT, LECTURE_OUTPUT);
      const lengthsAfter = await pollUntil("the lengths output printing a batch after the interrupt", 15_000,
        async () => (await nb.printed(THROWS)).filter((b) => b.time >= lastBatchSeen), (bs) => bs.length > 0);
      expect(lengthsAfter.length).toBeGreaterThan(0);
    } finally {
      await nb.screenshot("6-runaway-interrupted");
    }
  }, 180_000);

  it("kill -9 of the kernel, restart, Run All: a stateful stream added after start resumes its totals exactly", async () => {
    const totalsServer = await new LineServer().listen();
    servers.push(totalsServer);
    try {
      // The lecture's kernel is done (shut down, so it does not load the machine); the recovery notebook gets its own.
      await fetch(`${lab!.baseUrl}/api/kernels/${await kernelIdOf(lab!, "lecture.ipynb")}`, { method: "DELETE", headers: { Authorization: `token ${lab!.token}` } });
      await page.goto(`${lab!.baseUrl}/lab/tree/recovery.ipynb?token=${lab!.token}`);
      await page.getByText("TypeScript (streamlab) | Idle").waitFor({ timeout: 60_000 });
      const CONTEXT = 0, TOTALS = 1;
      await nb.enter(CONTEXT, recoveryContext(totalsServer.port));
      await pollUntil("the receiver connecting", 30_000, async () => totalsServer.open, (n) => n === 1);
      await nb.enter(TOTALS, totalsCell);

      const before = ["to be or not to be", "that is the question", "to be is to do"];
      const after = ["do be do be do", "the question is"];
      for (const line of before) { totalsServer.send([line]); await sleep(BATCH_MS); }
      const expectedBefore = countWords(before);
      await pollUntil("the totals of the lines sent", 30_000, () => tableShown(nb, TOTALS),
        (t) => t !== undefined && JSON.stringify(sortedEntries(t)) === JSON.stringify(sortedEntries(expectedBefore)));
      // A few batches later the checkpoint holds them.
      const shownAt = Date.now();
      await pollUntil("a checkpoint written after the totals were shown", 30_000, async () => {
        const dir = path.join(root, CHECKPOINT);
        return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^checkpoint-\d+$/.test(f)).map((f) => fs.statSync(path.join(dir, f)).mtimeMs) : [];
      }, (times) => times.some((t) => t >= shownAt + 2 * BATCH_MS));
      await nb.screenshot("7a-before-kill");

      const kernelId = await kernelIdOf(lab!, "recovery.ipynb");
      process.kill(kernelPid(kernelId), "SIGKILL");
      await pollUntil("the dead receiver's connection closing", 15_000, async () => totalsServer.open, (n) => n === 0);
      // Jupyter restarts the kernel; JupyterLab says so in a dialog the student dismisses, and the
      // status bar says Idle again.
      const dialog = page.locator(".jp-Dialog");
      await dialog.waitFor({ timeout: 30_000 });
      await dialog.locator(".jp-Dialog-button.jp-mod-accept").click();
      const statusAfterRestart = await pollUntil("the status bar saying Idle after the restart", 60_000, () => nb.kernelStatus(), (s) => s === "Idle")
        .catch(async () => `${await nb.kernelStatus()} (the server says: ${await (await fetch(`${lab!.baseUrl}/api/kernels/${kernelId}`, { headers: { Authorization: `token ${lab!.token}` } })).text()})`);
      expect(await kernelIdOf(lab!, "recovery.ipynb")).toBe(kernelId); // restarted, not replaced
      await nb.menu("Run", /^Run All Cells/);
      await nb.finished(TOTALS, 60_000);
      await pollUntil("the restarted receiver connecting", 30_000, async () => totalsServer.open, (n) => n === 1);

      // Every table the restarted display shows is the totals before the kill, then with the new lines.
      const seen: string[] = [];
      const expectedAfter = addCounts(expectedBefore, countWords(after));
      const readTable = async () => {
        const t = await tableShown(nb, TOTALS);
        const s = t && JSON.stringify(sortedEntries(t));
        if (s && seen[seen.length - 1] !== s) seen.push(s);
        return s;
      };
      await pollUntil("the resumed totals", 30_000, readTable, (s) => s !== undefined);
      await sleep(2 * BATCH_MS);
      await readTable();
      totalsServer.send(after);
      await pollUntil("the totals with the lines sent after the restart", 30_000, readTable, (s) => s === JSON.stringify(sortedEntries(expectedAfter)));
      expect(seen).toEqual([JSON.stringify(sortedEntries(expectedBefore)), JSON.stringify(sortedEntries(expectedAfter))]);
      expect(statusAfterRestart).toBe("Idle");
    } finally {
      await nb.screenshot("7-recovered-after-kill-9");
    }
  }, 300_000);
});
