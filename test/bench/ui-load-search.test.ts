import type { ProbeAnalysis } from "./probe";
import { nextRate, round3 } from "./ui-load";

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
});
