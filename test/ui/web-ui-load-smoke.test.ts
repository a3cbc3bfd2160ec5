import { PUSH_INTERVAL_MS } from "../../ui/server/web-ui";
import { report, runUiLoad } from "../bench/ui-load";

// The short version of `npm run bench:ui` (test/bench/ui-load.ts): a fast stream with the page
// open in Chromium. The full run (100,000 records/s, 100 ms batches, 60 s with the page open,
// capacity against a run without the UI) is `npm run bench:ui`.
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
    expect(Number.isFinite(page.renderMsP95) && Number.isFinite(page.frameGapMsP95)).toBe(true);
    expect(page.pageErrors).toEqual([]);
  }, 120000);
});
