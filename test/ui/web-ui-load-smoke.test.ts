import { Browser, chromium } from "playwright-core";
import { Durations, StreamingContext } from "../../index";
import { webUiOf, WebUi } from "../../ui/index";
import { PUSH_INTERVAL_MS } from "../../ui/server/web-ui";
import { report, runUiLoad } from "../bench/ui-load";
import { CHROMIUM_FLAGS, ensureChromium } from "../kernel/chromium";

// The page's globals, typed just enough for page.evaluate (the project compiles without lib "dom").
interface Stats { renders: number; messages: number }
declare const window: { streamlab: { stats: Stats; state?: { totalCompleted: number } } };
declare const document: { dispatchEvent(e: unknown): void };
declare const Event: new (type: string) => unknown;

// The short version of `npm run bench:ui` (test/bench/ui-load.ts): a fast stream with the page
// open in Chromium. The full run (the sustainable rate with the page open and without, searched
// side by side; 100,000 records/s, 100 ms batches, 60 s with the page open) is `npm run bench:ui`.
describe("the Streaming page under load (smoke)", () => {
  it("sends a bounded number of messages, and the page measures its frames", async () => {
    const o = { rate: 20000, batchMs: 100, phaseSeconds: 3, warmupSeconds: 1, phases: ["page" as const] };
    const [r] = await runUiLoad(o);
    process.stderr.write(report(o, [r]) + "\n");
    const page = r.page as NonNullable<typeof r.page>;
    expect(r.batches).toBeGreaterThan(0);
    // Coalesced: at most one message per push interval, however many batches and events there were.
    expect(page.serverMessagesPerSecond).toBeLessThanOrEqual(1000 / PUSH_INTERVAL_MS + 0.5);
    expect(page.pageMessagesPerSecond).toBeGreaterThan(0);
    expect(page.renders).toBeGreaterThan(0);
    expect(page.frameGapMsP50).toBeGreaterThan(0);
    expect(Number.isFinite(page.renderMsP95) && Number.isFinite(page.frameGapMsP95)).toBe(true);
    expect(page.pageErrors).toEqual([]);
  }, 120000);

  describe("a hidden tab", () => {
    let browser: Browser;
    let ssc: StreamingContext;
    beforeAll(async () => {
      browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_FLAGS });
    }, 120000);
    afterAll(async () => {
      await ssc?.stop();
      await browser?.close();
    });

    it("draws nothing while hidden, keeps its state, and catches up when shown", async () => {
      ssc = new StreamingContext({ appName: "HiddenTab", master: "local[2]", batchDuration: Durations.milliseconds(100), conf: { "spark.ui.port": 0 } });
      ssc.queueStream(Array.from({ length: 1000 }, (_, i) => [i]), true).foreachRDD((rdd) => { rdd.count(); });
      ssc.start();
      const ui = webUiOf(ssc) as WebUi;
      const page = await browser.newPage();
      await page.goto((await ui.ready) as string);
      const stats = () => page.evaluate(() => ({ renders: window.streamlab.stats.renders, messages: window.streamlab.stats.messages, completed: window.streamlab.state?.totalCompleted ?? 0 }));
      await page.waitForFunction(() => window.streamlab.stats.renders > 0);
      // Headless Chromium's tab is always visible: the test makes the document say hidden, as a background tab's does.
      const setHidden = (h: boolean) => page.evaluate((hide) => {
        Object.defineProperty(document, "visibilityState", { value: hide ? "hidden" : "visible", configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
      }, h);
      await setHidden(true);
      await page.waitForTimeout(600); // a render queued before hiding may still run
      const before = await stats();
      await page.waitForTimeout(1500);
      const hiddenAfter = await stats();
      expect(hiddenAfter.renders).toBe(before.renders);
      expect(hiddenAfter.messages).toBeGreaterThan(before.messages);
      expect(hiddenAfter.completed).toBeGreaterThan(before.completed);
      await setHidden(false);
      await page.waitForFunction((n) => window.streamlab.stats.renders > n, hiddenAfter.renders, { timeout: 5000 });
      await page.close();
    }, 60000);
  });
});
