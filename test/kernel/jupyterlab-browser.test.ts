import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BrowserContext, chromium, Page } from "playwright-core";
import { CHROMIUM_FLAGS, ensureChromium } from "./chromium";
import { JupyterLab, startJupyterLab } from "./jupyterlab";
import { describeWithVenv } from "./venv";

/** Kept after the run (git-ignored): what the browser showed at the end of the test. */
const ARTIFACTS = path.join(__dirname, "artifacts");
const SCREENSHOT = path.join(ARTIFACTS, "jupyterlab-live-table-and-chart.png");
const FIXTURE = path.join(__dirname, "fixtures", "live-table-and-chart.ipynb");

// The fixture's batch k counts each word w_j 1 + (k * (j + 2)) % 7 times; batches are 400 ms apart.
const WORDS = ["alpha", "beta", "gamma", "delta", "epsilon"];
const BATCH_MS = 400;
const countsOfBatch = (k: number) => WORDS.map((_, j) => 1 + ((k * (j + 2)) % 7));
/** Vega's default mark color, #4c78a8. */
const MARK_RGB = [76, 120, 168];

// The page's DOM, typed just enough for the functions page.evaluate runs in the browser (the
// project compiles without lib "dom"; these declarations are local to this module).
interface PageElement {
  textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement>;
}
interface PageCanvas {
  width: number;
  height: number;
  getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray; width: number; height: number } } | null;
}
declare const document: PageElement;

interface TableSnapshot { time: number; keys: string[]; values: number[] }

/** The live table under the first code cell, as the browser shows it now. */
async function readTable(page: Page): Promise<TableSnapshot | undefined> {
  return page.evaluate(() => {
    const display = document.querySelector(".jp-CodeCell .jp-OutputArea-output .streamlab-display");
    const heading = display?.querySelector("div")?.textContent ?? "";
    const time = /Time: (\d+) ms/.exec(heading);
    const rows = [...(display?.querySelectorAll("tbody tr") ?? [])].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""));
    if (!time || rows.length === 0) return undefined;
    return { time: Number(time[1]), keys: rows.map((r) => r[0]), values: rows.map((r) => Number(r[1])) };
  });
}

/**
 * The chart's marks as drawn on vega-embed's canvas (JupyterLab renders Vega-Lite with the canvas
 * renderer): the bars are the runs of columns holding pixels of the mark color; each run's height
 * in pixels. Undefined while no chart is embedded.
 */
async function readBars(page: Page): Promise<number[] | undefined> {
  return page.evaluate((rgb) => {
    const canvas = document.querySelector(".jp-CodeCell .jp-RenderedVegaLite .vega-embed canvas.marks") as unknown as PageCanvas | null;
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx || canvas.width === 0) return undefined;
    const { data, width, height } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    const near = (i: number) => Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1]) + Math.abs(data[i + 2] - rgb[2]) < 30 && data[i + 3] > 200;
    const columnHeights = Array.from({ length: width }, (_, x) => {
      let n = 0;
      for (let y = 0; y < height; y++) if (near((y * width + x) * 4)) n++;
      return n;
    });
    const bars: number[] = [];
    let run = 0;
    for (const h of [...columnHeights, 0]) {
      if (h > 0) run = Math.max(run, h);
      else if (run > 0) { bars.push(run); run = 0; }
    }
    return bars;
  }, MARK_RGB);
}

/**
 * True when the bars (tallest first, as the chart sorts them) stand in proportion to `counts`,
 * within 2 px of rounding.
 */
function barsMatch(bars: number[], counts: number[]): boolean {
  if (bars.length !== counts.length || bars.some((h) => h <= 0)) return false;
  const heights = bars.slice().sort((a, b) => b - a);
  const values = counts.slice().sort((a, b) => b - a);
  const pxPerUnit = heights[0] / values[0];
  return values.every((v, i) => Math.abs(heights[i] - v * pxPerUnit) <= 2);
}

/** Polls `read` every 100 ms until `done` holds for what it returned; fails after `ms`. */
async function pollUntil<T>(what: string, ms: number, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + ms;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`${what}: not seen within ${ms} ms; last seen: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

describeWithVenv("JupyterLab in a real browser (Debian's Chromium driven by playwright-core): a live table and a live chart", () => {
  let chromiumPath = "";
  let lab: JupyterLab | undefined;
  let browser: BrowserContext | undefined;
  const temp: string[] = [];

  // Installing Chromium (root only, once per machine) may take minutes; the test itself is bounded.
  beforeAll(() => { chromiumPath = ensureChromium(); }, 660_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await lab?.stop();
    for (const dir of temp) fs.rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it("runs the notebook: the table's cells change batch after batch, the chart's bars render, another cell answers; a screenshot is kept", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-e2e-"));
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-chromium-"));
    temp.push(root, profile);
    fs.copyFileSync(FIXTURE, path.join(root, "live.ipynb"));
    lab = await startJupyterLab(root);
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath, headless: true, args: CHROMIUM_FLAGS, viewport: { width: 1280, height: 1200 },
    });
    const page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(30_000);
    try {
      await page.goto(`${lab.baseUrl}/lab/tree/live.ipynb?token=${lab.token}`);
      // The status bar names the kernel and its state once the kernel has started and connected.
      await page.getByText("TypeScript (streamlab) | Idle").waitFor();
      await page.getByRole("menuitem", { name: "Run", exact: true }).click();
      await page.getByRole("menuitem", { name: /^Run All Cells/ }).click();

      // At least four different tables, each exactly its batch's counts, later batches later.
      const seen: TableSnapshot[] = [];
      await pollUntil("four successive batches in the live table", 30_000, async () => {
        const t = await readTable(page);
        if (t && (seen.length === 0 || t.time !== seen[seen.length - 1].time)) seen.push(t);
        return seen.length;
      }, (n) => n >= 4);
      const first = seen[0];
      const k0 = [0, 1, 2, 3, 4, 5, 6].find((k) => JSON.stringify(countsOfBatch(k)) === JSON.stringify(first.values));
      expect(k0).toBeDefined();
      for (const t of seen) {
        expect(t.keys).toEqual(WORDS.slice().sort());
        const k = (k0 as number) + (t.time - first.time) / BATCH_MS;
        expect(Number.isInteger(k)).toBe(true);
        const byKey = new Map(WORDS.map((w, j) => [w, countsOfBatch(k)[j]]));
        expect(t.values).toEqual(t.keys.map((w) => byKey.get(w)));
      }
      for (let i = 1; i < seen.length; i++) {
        expect(seen[i].time).toBeGreaterThan(seen[i - 1].time);
        expect(seen[i].values).not.toEqual(seen[i - 1].values); // the cells themselves changed
      }

      // One bar per word, drawn by vega-embed on its canvas, their heights in proportion to the
      // counts of a batch the table showed (the chart re-embeds a little after the table, so poll
      // for a moment when both show the same batch; the sorted counts tell batches apart).
      const [, bars] = await pollUntil("the live chart's bars matching the table's counts", 15_000,
        () => Promise.all([readTable(page), readBars(page)]), ([t, b]) => !!t && !!b && barsMatch(b, t.values));
      expect(bars).toHaveLength(5);

      // The cell after the one that started the stream ran and answered while batches went on.
      const answer = page.locator(".jp-CodeCell").nth(1).locator(".jp-OutputArea-output");
      expect(await pollUntil("the second cell's answer", 10_000, () => answer.allInnerTexts(), (t) => t.length > 0)).toEqual(["ACTIVE"]);
    } finally {
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.locator(".jp-CodeCell").nth(1).scrollIntoViewIfNeeded().catch(() => undefined);
      await page.screenshot({ path: SCREENSHOT }).catch(() => undefined);
    }
  }, 90_000);
});
