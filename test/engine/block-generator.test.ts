import { ManualClock, setLogger } from "../../engine";
import { BlockGenerator } from "../../engine/receiver/block-generator";
import { RateLimiter } from "../../engine/receiver/rate-limiter";

function generator(clock: ManualClock, maxRate = Infinity) {
  const blocks: { time: number; records: string[] }[] = [];
  const gen = new BlockGenerator<string>(clock, 200, new RateLimiter(maxRate), (records) => blocks.push({ time: clock.getTimeMillis(), records }));
  return { gen, blocks };
}

describe("BlockGenerator", () => {
  it("cuts the buffered records into one block per 200 ms interval, on the clock's grid, skipping empty intervals", async () => {
    const clock = new ManualClock(1000);
    const { gen, blocks } = generator(clock);
    gen.start();
    gen.addData("a");
    gen.addData("b");
    await clock.advance(100);
    gen.addData("c");
    await clock.advance(100); // t = 1200: first cut
    gen.addData("d");
    await clock.advance(400); // t = 1600: cut at 1400 holds d, nothing at 1600
    expect(blocks).toEqual([{ time: 1200, records: ["a", "b", "c"] }, { time: 1400, records: ["d"] }]);
    expect(gen.numRecordsAdded).toBe(4);
  });

  it("stop() pushes what is buffered as a last block and drops later records", async () => {
    const clock = new ManualClock(0);
    const { gen, blocks } = generator(clock);
    gen.start();
    gen.addData("x");
    await clock.advance(50);
    gen.addData("y");
    gen.stop();
    expect(blocks).toEqual([{ time: 50, records: ["x", "y"] }]);
    const warnings: string[] = [];
    const prev = setLogger({ warn: (m) => warnings.push(m), info: () => {} });
    try {
      expect(gen.addData("late")).toBeUndefined();
      gen.addData("later");
    } finally {
      setLogger(prev);
    }
    await clock.advance(1000);
    expect(blocks).toHaveLength(1);
    expect(warnings).toEqual(["BlockGenerator: Cannot add data as BlockGenerator of receiver has been stopped; dropping records stored after stop."]);
  });

  it("lets records in at maxRate: 10 records/s means 2 records per 200 ms block", async () => {
    const clock = new ManualClock(0);
    const { gen, blocks } = generator(clock, 10);
    gen.start();
    const admitted: number[] = [];
    for (let i = 0; i < 5; i++) void gen.addData(`r${i}`)?.then(() => admitted.push(clock.getTimeMillis()));
    expect(gen.isThrottled).toBe(true);
    expect(gen.numBufferedRecords).toBe(5);
    await clock.advance(600);
    expect(blocks).toEqual([
      { time: 200, records: ["r0", "r1"] },
      { time: 400, records: ["r2", "r3"] },
      { time: 600, records: ["r4"] },
    ]);
    // r0 entered at once (no promise); the others when their permit came.
    expect(admitted).toEqual([100, 200, 300, 400]);
    expect(gen.isThrottled).toBe(false);
  });

  it("stop() also pushes records still waiting for the rate limiter: a stored record is never lost", async () => {
    const clock = new ManualClock(0);
    const { gen, blocks } = generator(clock, 1);
    gen.start();
    const waits = ["a", "b", "c"].map((r) => gen.addData(r));
    expect(waits[0]).toBeUndefined();
    gen.stop();
    expect(blocks).toEqual([{ time: 0, records: ["a", "b", "c"] }]);
    await Promise.all(waits);
  });
});

describe("RateLimiter (Guava SmoothBursty, as Spark's receiver limiter)", () => {
  it("spaces permits 1/rate apart, the first one free", () => {
    const limiter = new RateLimiter(4);
    expect([0, 0, 0, 0, 0].map(() => limiter.reserve(1000))).toEqual([1000, 1250, 1500, 1750, 2000]);
  });

  it("stores up to one second of unused permits, then bursts", () => {
    const limiter = new RateLimiter(10);
    expect(limiter.reserve(0)).toBe(0);
    // Idle for 2 s: 10 permits stored (one second's worth), so 11 records pass at once, the 12th waits.
    const times = Array.from({ length: 12 }, () => limiter.reserve(2000));
    expect(times).toEqual([2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2000, 2100]);
  });

  it("is unlimited for 0, negative or absent maxRate; updateRate is capped by maxRate", () => {
    expect(new RateLimiter(0).isLimited).toBe(false);
    expect(new RateLimiter(-5).isLimited).toBe(false);
    expect(new RateLimiter(Infinity).reserve(7)).toBe(7);
    const limiter = new RateLimiter(100, 10);
    expect(limiter.currentLimit).toBe(10);
    limiter.updateRate(1000, 0);
    expect(limiter.currentLimit).toBe(100);
    limiter.updateRate(0, 0);
    expect(limiter.currentLimit).toBe(100);
  });
});
