import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Browser, chromium, Page } from "playwright-core";
import { BatchInfo, Durations, StreamingContext, startLineServer } from "../../index";
import type { LineServer } from "../../index";
import { webUiOf, WebUi } from "../../ui/index";
import type { UiState } from "../../ui/model/ui-state";
import { CHROMIUM_FLAGS, ensureChromium } from "../kernel/chromium";
import { get } from "./ui-helpers";

/** Kept after the run (git-ignored): what the browser showed. */
const ARTIFACTS = path.join(__dirname, "artifacts");
const ROOT = path.resolve(__dirname, "..", "..");
const METRICS = ["inputRate", "schedulingDelay", "processingTime", "totalDelay"] as const;
const LINES = ["to be or not to be", "that is the question", "bye"];
const BATCH_S = 1;

// The page's globals, typed just enough for page.evaluate (the project compiles without lib "dom").
interface PageRow { time: number; inputRate: number; schedulingDelay: number; processingTime: number; totalDelay: number }
interface PageGlobals {
  streamlab: { state: UiState; views: Record<string, { data(name: string): PageRow[] }>; stats: { snapshots: number; messages: number } };
  document: { querySelectorAll(s: string): ArrayLike<{ textContent: string | null; getAttribute(a: string): string | null }>; querySelector(s: string): { textContent: string | null; getAttribute(a: string): string | null } | null };
}
declare const window: PageGlobals;
declare const document: PageGlobals["document"];

/** The latest point of each of the four timelines as the page's Vega views hold them. */
function latestPoints(page: Page): Promise<Record<string, PageRow | undefined>> {
  return page.evaluate((metrics) => Object.fromEntries(metrics.map((m) => {
    const rows = window.streamlab.views[`timeline-${m}`]?.data("rows") ?? [];
    return [m, rows[rows.length - 1]];
  })), METRICS as unknown as string[]);
}

const text = (page: Page, selector: string) => page.evaluate((s) => document.querySelector(s)?.textContent ?? "", selector);
const count = (page: Page, selector: string) => page.evaluate((s) => document.querySelectorAll(s).length, selector);

async function pollPage<T>(page: Page, read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 30000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: last ${JSON.stringify(v)}`);
    await page.waitForTimeout(50);
  }
}

describe("the Streaming page in Chromium", () => {
  let browser: Browser;
  beforeAll(async () => {
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_FLAGS });
  }, 120000);
  afterAll(async () => { await browser?.close(); });

  describe("a running context", () => {
    let server: LineServer;
    let ssc: StreamingContext;
    let ui: WebUi;
    const engineBatches = new Map<number, BatchInfo>();
    const quiet: jest.SpyInstance[] = [];
    beforeAll(async () => {
      server = await startLineServer({ lines: LINES, rate: 12, loop: true });
      ssc = new StreamingContext({ appName: "PageTest", master: "local[2]", batchDuration: Durations.seconds(BATCH_S),
        conf: { "spark.ui.port": 0, "streamlab.ui.token": "browser-token" } });
      ssc.checkpoint(fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-ui-cp-")));
      const words = ssc.socketTextStream("127.0.0.1", server.port).flatMap((l: string) => l.split(" "));
      words.mapToPair((w: string) => [w, 1] as [string, number]).updateStateByKey((vs: number[], s?: number) => vs.reduce((a, b) => a + b, s ?? 0)).print(3);
      words.foreachRDD((rdd) => {
        if (rdd.collect().includes("bye")) throw Object.assign(new Error("cannot handle bye"), { code: "APP_BYE" });
      });
      ssc.addStreamingListener({ onBatchCompleted: ({ batchInfo }) => { engineBatches.set(batchInfo.batchTime, batchInfo); } });
      // print() and the failing output's warnings would flood the test's output.
      quiet.push(jest.spyOn(process.stdout, "write").mockImplementation(() => true), jest.spyOn(process.stderr, "write").mockImplementation(() => true));
      ssc.start();
      ui = webUiOf(ssc) as WebUi;
      await ui.ready;
    }, 60000);
    afterAll(async () => {
      await ssc?.stop();
      for (const q of quiet) q.mockRestore();
      await server?.close();
    });

    it("shows the four timelines, whose latest points change with each batch, and a growing batch table", async () => {
      const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(ui.url as string);
      await pollPage(page, () => text(page, "#conn"), (t) => t === "live", "the page to connect");
      let last = await pollPage(page, () => latestPoints(page), (p) => METRICS.every((m) => p[m] !== undefined), "the first points");
      let rows = await count(page, "table.completed-batches tbody tr a.batch-link");
      let shownUpTo = last.inputRate?.time as number;
      for (let step = 0; step < 3; step++) {
        const before = last.inputRate?.time as number;
        last = await pollPage(page, () => latestPoints(page), (p) => METRICS.every((m) => (p[m]?.time ?? 0) > before), `a batch after ${before}`);
        // The newest batch is the latest point of all four timelines, with the engine's own figures.
        // (Batches that end within one redraw, e.g. a backlog catching up, arrive together.)
        const t = last.inputRate?.time as number;
        const info = engineBatches.get(t) as BatchInfo;
        const point = { time: t, inputRate: info.numRecords / BATCH_S, schedulingDelay: info.schedulingDelay, processingTime: info.processingDelay, totalDelay: info.totalDelay };
        expect(last).toEqual({ inputRate: point, schedulingDelay: point, processingTime: point, totalDelay: point });
        // Every batch is on the timelines: one point per batch interval up to the latest, none missing.
        const times = await page.evaluate(() => window.streamlab.views["timeline-totalDelay"].data("rows").map((r) => r.time));
        expect(times.slice(-10)).toEqual(Array.from({ length: Math.min(10, times.length) }, (_, i) => t - (Math.min(10, times.length) - 1 - i) * BATCH_S * 1000));
        for (const m of METRICS) {
          await pollPage(page, () => page.evaluate((id) => document.querySelector(id)?.getAttribute("data-batch-time"), `#latest-${m}`), (v) => Number(v) >= t, `the latest ${m} label`);
        }
        // The completed table grows by the batches that completed, the newest on top.
        // Read together: the table's newest batch and its rows, from one render.
        const table = () => page.evaluate(() => {
          const links = Array.from(document.querySelectorAll("table.completed-batches tbody tr a.batch-link"));
          return { newest: Number(new URL(links[0]?.getAttribute("href") ?? "/", "http://x").searchParams.get("id")), rows: links.length };
        });
        const { newest, rows: grown } = await pollPage(page, table, (tb) => tb.newest >= t, "the newest batch on top of the table");
        expect(grown).toBe(rows + (newest - shownUpTo) / (BATCH_S * 1000));
        rows = grown;
        shownUpTo = newest;
      }
      expect(await text(page, "#active-title")).toMatch(/^Active Batches \(\d+\)$/);
      expect(await count(page, "#timeline-processingTime canvas")).toBe(1);
      await page.screenshot({ path: path.join(ARTIFACTS, "streaming-page.png"), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    }, 120000);

    it("draws every operator of the DStream graph with its batch and state size", async () => {
      const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
      await page.goto(ui.url as string);
      const nodes = () => page.evaluate(() => Array.from(document.querySelectorAll("#graph g.dstream")).map((g) => ({ id: Number(g.getAttribute("data-stream-id")), kind: g.getAttribute("data-kind"), text: g.textContent })));
      const shown = await pollPage(page, nodes, (ns) => ns.some((n) => /state: 9 keys/.test(n.text ?? "")), "the state size of the word totals");
      expect(shown.map((n) => [n.id, n.kind])).toEqual([
        [0, "SocketInputDStream"], [1, "FlatMappedDStream"], [2, "MappedDStream"], [3, "StateDStream"], [4, "ForEachDStream"], [5, "ForEachDStream"],
      ]);
      expect(shown.map((n) => n.id)).toEqual(ui.model.state.graph.map((n) => n.id));
      expect(shown[3].text).toMatch(/^StateDStream #3\d[\d,]* records · state: 9 keys$/);
      expect(shown[4].text).toBe("print (output 0) #4output operation");
      expect(shown[5].text).toBe("foreachRDD (output 1) #5output operation");
      expect(shown[0].text).toMatch(/^SocketInputDStream #0\d[\d,]* records$/);
      await page.close();
    }, 60000);

    it("a batch's page shows a failed output's error and code", async () => {
      const page = await browser.newPage({ viewport: { width: 1300, height: 800 } });
      await page.goto(ui.url as string);
      const link = await pollPage(page, () => page.evaluate(() => document.querySelector("table.failing-outputs a")?.getAttribute("href")), (h) => !!h, "a failed batch");
      expect(await text(page, "table.failing-outputs tbody tr td:nth-child(6)")).toBe("APP_BYE");
      await page.goto(new URL(link as string, ui.url as string).toString());
      await pollPage(page, () => text(page, "table.batch-ops tbody"), (t) => t.includes("Failed"), "the batch's output operations");
      const ops = await page.evaluate(() => Array.from(document.querySelectorAll("table.batch-ops tbody tr")).map((r) => r.textContent));
      expect(ops).toHaveLength(2);
      expect(ops[0]).toMatch(/^0print\d+ msSucceeded-$/);
      expect(ops[1]).toMatch(/^1foreachRDD\d+ msFailedAPP_BYE Error: cannot handle byestack/);
      expect(await text(page, "#batch-title")).toMatch(/^Details of batch at \d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \(\d+ ms\)$/);
      const id = Number(new URL(link as string, ui.url as string).searchParams.get("id"));
      expect((await text(page, "#batch-title")).endsWith(`(${id} ms)`)).toBe(true);
      await page.screenshot({ path: path.join(ARTIFACTS, "batch-page-failed-output.png"), fullPage: true });
      await page.close();
    }, 60000);

    it("a reload reconnects and the page keeps updating", async () => {
      const page = await browser.newPage({ viewport: { width: 1300, height: 800 } });
      await page.goto(ui.url as string);
      await pollPage(page, () => text(page, "#conn"), (t) => t === "live", "the page to connect");
      const before = await pollPage(page, () => latestPoints(page), (p) => p.totalDelay !== undefined, "points");
      await page.reload();
      // A new page: it connects again and gets the whole state once.
      await pollPage(page, () => page.evaluate(() => window.streamlab.stats.snapshots), (n) => n === 1, "the reloaded page's snapshot");
      expect(await text(page, "#conn")).toBe("live");
      const after = await pollPage(page, () => latestPoints(page), (p) => (p.totalDelay?.time ?? 0) > (before.totalDelay?.time as number), "a batch after the reload");
      expect(after.totalDelay?.time).toBeGreaterThan(before.totalDelay?.time as number);
      await page.close();
    }, 60000);
  });

  describe("a streamlab submit application killed with SIGKILL and restarted", () => {
    let server: LineServer;
    const children: ChildProcess[] = [];
    afterAll(async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      await server?.close();
    });

    function submit(dir: string): Promise<{ child: ChildProcess; url: string }> {
      const child = spawn(process.execPath, [path.join(ROOT, "bin", "streamlab.js"), "submit", "--conf", "spark.ui.port=0",
        path.join(ROOT, "test", "fixtures", "ui-recovery-app.ts"), dir, String(server.port)], { stdio: ["ignore", "ignore", "pipe"] });
      children.push(child);
      return new Promise((resolve, reject) => {
        let err = "";
        child.stderr?.on("data", (d) => {
          err += d;
          const m = /Streaming UI at (\S+)\n/.exec(err);
          if (m) resolve({ child, url: m[1] });
        });
        child.on("exit", (code) => reject(new Error(`the application exited (${code}) before its UI started: ${err}`)));
      });
    }
    const state = async (url: string) => JSON.parse((await get(Number(new URL(url).port), `/api/state?token=${new URL(url).searchParams.get("token")}`)).body) as UiState;

    it("the checkpoint panel shows the restore: from which checkpoint, how many batches replayed", async () => {
      server = await startLineServer({ lines: LINES, rate: 20, loop: true });
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-ui-recovery-"));
      const first = await submit(dir);
      let s = await state(first.url);
      expect(s.checkpoint.restoredFrom).toBeUndefined();
      const end = Date.now() + 60000;
      while (s.checkpoint.written < 4 && Date.now() < end) { await new Promise((r) => setTimeout(r, 200)); s = await state(first.url); }
      expect(s.checkpoint.written).toBeGreaterThanOrEqual(4);
      const lastBefore = s.checkpoint.lastBatchTime as number;
      first.child.kill("SIGKILL");
      await new Promise((r) => first.child.once("exit", r));
      expect(first.child.signalCode).toBe("SIGKILL");

      const second = await submit(dir);
      let restored = await state(second.url);
      const until2 = Date.now() + 30000;
      while (!restored.checkpoint.restoredFrom && Date.now() < until2) { await new Promise((r) => setTimeout(r, 100)); restored = await state(second.url); }
      const r = restored.checkpoint.restoredFrom as NonNullable<UiState["checkpoint"]["restoredFrom"]>;
      expect(r.file).toBe(path.join(dir, `checkpoint-${r.checkpointTime}`));
      expect(r.checkpointTime).toBeGreaterThanOrEqual(lastBefore);
      expect(r.replayedBatches).toBeGreaterThanOrEqual(1);
      expect(r.restoredStreams).toBe(5);

      const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
      await page.goto(second.url);
      const panel = await pollPage(page, () => text(page, "#checkpoint"), (t) => t.includes("Restored"), "the checkpoint panel");
      expect(await text(page, "#checkpoint .restored")).toBe(`from ${r.file}`);
      expect(await text(page, "#checkpoint .replayed")).toBe(String(r.replayedBatches));
      expect(panel).toContain(`Directory${dir}`);
      expect(panel).toMatch(/Write-ahead log\d/);
      await page.evaluate(() => (document.querySelector("#checkpoint") as unknown as { scrollIntoView(): void }).scrollIntoView());
      await page.screenshot({ path: path.join(ARTIFACTS, "checkpoint-restored.png"), fullPage: true });
      await page.close();
      second.child.kill("SIGKILL");
    }, 180000);
  });
});
