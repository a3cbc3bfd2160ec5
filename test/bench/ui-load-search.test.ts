import type { ProbeAnalysis } from "./probe";
import { ModeResult, nextRate, round3, SearchOptions, searchReport } from "./ui-load";

/** A probe's analysis with the figures the search reads. */
const probe = (rate: number, processingP95: number, delivered = 1, sustainable = true): ProbeAnalysis => ({
  rate, sustainable, reasons: sustainable ? [] : ["failed"], measuredBatches: 60, processingP50: processingP95 / 2, processingP95, processingMax: processingP95,
  finalSchedulingDelay: 0, delivered, latencyP50: 100, latencyP99: 200,
});

describe("bench:ui's search of the sustainable rate", () => {
  it("rounds rates to three significant digits, at least 100", () => {
    expect([456_789, 1_234_567, 99_949, 50].map(round3)).toEqual([457_000, 1_230_000, 99_900, 100]);
    expect(round3(0)).toBe(1000);
  });

  it("climbs until a rate fails: aims at 85% of the batch from p95, at least 10% and at most 100% higher", () => {
    expect(nextRate(400_000, probe(400_000, 20), 400_000, Infinity, 100)).toBe(800_000);
    expect(nextRate(400_000, probe(400_000, 50), 400_000, Infinity, 100)).toBe(680_000);
    expect(nextRate(400_000, probe(400_000, 90), 400_000, Infinity, 100)).toBe(440_000);
  });

  it("bisects between the highest pass and the lowest fail, geometrically", () => {
    expect(nextRate(500_000, probe(500_000, 150, 1, false), 400_000, 500_000, 100)).toBe(447_000);
  });

  it("stops when nothing lies between them at three digits", () => {
    expect(nextRate(448_000, probe(448_000, 120, 1, false), 447_000, 448_000, 100)).toBeUndefined();
  });

  it("comes down from a first fail: by the processing time, 10% to 50% lower; under what came through when the input fell behind", () => {
    expect(nextRate(400_000, probe(400_000, 200, 1, false), 0, 400_000, 100)).toBe(200_000);
    expect(nextRate(400_000, probe(400_000, 110, 1, false), 0, 400_000, 100)).toBe(309_000);
    expect(nextRate(400_000, probe(400_000, 50, 0.5, false), 0, 400_000, 100)).toBe(180_000);
  });

  it("reports both rates, their ratio and what the brackets allow; no verdict while a rate has no fail above it", () => {
    const o: SearchOptions = { batchMs: 100, startRate: 400_000, probeSeconds: 6, probeWarmupSeconds: 2, precision: 0.03, maxProbes: 12, budgetSeconds: 300, confirmFails: true };
    const mode = (m: "off" | "page", best: number, lowestFail: number): ModeResult => ({ mode: m, best, lowestFail, stopped: "converged", probes: [] });
    const ratioLine = (off: ModeResult, page: ModeResult) => searchReport(o, { seconds: 200, off, page, probes: [] }).split("\n").find((l) => l.includes("page / off"));
    expect(ratioLine(mode("off", 3_000_000, 3_090_000), mode("page", 2_900_000, 2_980_000))).toBe("  page / off: 0.967 (-3.3%; the brackets allow 0.939–0.993); within 5%: yes");
    expect(ratioLine(mode("off", 3_000_000, 3_090_000), mode("page", 2_800_000, 2_880_000))).toBe("  page / off: 0.933 (-6.7%; the brackets allow 0.906–0.960); within 5%: NO");
    expect(ratioLine(mode("off", 3_000_000, 3_090_000), mode("page", 2_900_000, Infinity))).toMatch(/^  page \/ off: no verdict: the search of page ended before any rate failed/);
  });
});
