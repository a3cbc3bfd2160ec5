import { analyze, ProbeResult } from "./probe";

/**
 * A probe at 1000 records/s with 1 s batches from t0 = 0: batch at `time` holds the 1000 records
 * due in the second before it (or those due `lagMs` earlier) and finishes `procMs` after its time.
 */
function probe(procMs: number, lagMs = 0): ProbeResult {
  const batches = [];
  for (let time = 1000; time <= 20_000; time += 1000) {
    batches.push({ time: time + lagMs, numRecords: 1000, processingDelay: procMs, schedulingDelay: 0, processingEndTime: time + lagMs + procMs });
  }
  return { t0: 0, started: 0, stopped: 21_000 + lagMs, batches };
}

describe("the benchmark's judgement of a probe", () => {
  it("passes batches that finish within the interval and hold what fell due in it", () => {
    const a = analyze(probe(600), 1000, 1000, 2000);
    expect(a.reasons).toEqual([]);
    expect(a.sustainable).toBe(true);
    expect(a.delivered).toBe(1);
    // A record waits for the end of its second (0-1 s), then 600 ms of processing; of the 200
    // records sampled per batch the median is due 502 ms into its second.
    expect(a.latencyP50).toBe(1098);
  });

  it("fails a probe whose records reach their batches seconds late, even when every batch holds the offered rate on time", () => {
    const a = analyze(probe(600, 5000), 1000, 1000, 2000);
    expect(a.processingP95).toBe(600);
    expect(a.delivered).toBe(1);
    expect(a.sustainable).toBe(false);
    expect(a.reasons).toEqual(["latency p50 6098 ms >= 2 batch intervals: records reach their batch late"]);
  });

  it("fails processing over the interval, and names it", () => {
    const a = analyze(probe(1200), 1000, 1000, 2000);
    expect(a.sustainable).toBe(false);
    expect(a.reasons).toEqual(["p95 processing 1200 ms >= batch 1000 ms"]);
  });
});
