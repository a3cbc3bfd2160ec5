import { ManualClock, setLogger } from "../../engine";
import type { Clock } from "../../engine/time/clock";
import { BusyClock } from "../helpers/busy-clock";
import { BlockGenerator } from "../../engine/receiver/block-generator";
import { RateLimiter } from "../../engine/receiver/rate-limiter";

/** Lines as a packed segment: each ended by `\n`. */
const bytes = (text: string) => Buffer.from(text, "utf8");

function generator(clock: Clock, maxRate = Infinity) {
  const blocks: { time: number; records: string[]; packed?: true }[] = [];
  const gen = new BlockGenerator<string>(clock, 200, new RateLimiter(maxRate), (records) =>
    blocks.push(Array.isArray(records) ? { time: clock.getTimeMillis(), records } : { time: clock.getTimeMillis(), records: records.lines(), packed: true }));
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

  it("beforeCut stores what another thread received by the end of the interval into that interval's block", async () => {
    const clock = new ManualClock(1000);
    const { gen, blocks } = generator(clock);
    // Lines a reading thread has handed over but this thread has not yet taken, per interval.
    const pending = [["p1", "p2"], [], ["p3"]];
    const calls: number[] = [];
    gen.beforeCut = () => {
      calls.push(clock.getTimeMillis());
      for (const line of pending.shift() ?? []) gen.addData(line);
    };
    gen.start();
    gen.addData("a");
    await clock.advance(600);
    expect(calls).toEqual([1200, 1400, 1600]);
    expect(blocks).toEqual([{ time: 1200, records: ["a", "p1", "p2"] }, { time: 1600, records: ["p3"] }]);
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

  it("keeps packed lines packed in their block; a switch between packed and single records cuts a block early, keeping the order", async () => {
    const clock = new ManualClock(0);
    const { gen, blocks } = generator(clock);
    gen.start();
    expect(gen.addPackedLines(bytes("a\nb b\n\n"), 3)).toBeUndefined();
    gen.addPackedLines(bytes("c\n"), 1);
    expect(gen.numBufferedRecords).toBe(4);
    gen.addData("single");
    gen.addPackedLines(bytes("d\ne\n"), 2);
    await clock.advance(200);
    gen.addPackedLines(bytes("f\n"), 1);
    gen.stop();
    expect(blocks).toEqual([
      { time: 0, records: ["a", "b b", "", "c"], packed: true },
      { time: 0, records: ["single"] },
      { time: 200, records: ["d", "e"], packed: true },
      { time: 200, records: ["f"], packed: true },
    ]);
    expect(gen.numRecordsAdded).toBe(8);
  });

  it("rate-limits packed lines as that many records: a 3-line segment takes 3 permits", async () => {
    const clock = new ManualClock(0);
    const { gen, blocks } = generator(clock, 10);
    gen.start();
    expect(gen.rateLimit).toBe(10);
    expect(gen.addPackedLines(bytes("p\n"), 1)).toBeUndefined();
    const admitted: number[] = [];
    void gen.addPackedLines(bytes("q\nr\ns\n"), 3)?.then(() => admitted.push(clock.getTimeMillis()));
    void gen.addPackedLines(bytes("t\n"), 1)?.then(() => admitted.push(clock.getTimeMillis()));
    expect(gen.numBufferedRecords).toBe(5);
    await clock.advance(600);
    // Permits at 0, 100, 200, 300, 400: the segment enters with its last permit, at 300.
    expect(admitted).toEqual([300, 400]);
    expect(blocks).toEqual([{ time: 200, records: ["p"], packed: true }, { time: 400, records: ["q", "r", "s"], packed: true }, { time: 600, records: ["t"], packed: true }]);
  });

  describe("lines another thread received while this one was busy", () => {
    /** A BusyClock at 1000 whose generator has its first cut due at 1200. */
    function busy() {
      const clock = new BusyClock(1000);
      const { gen, blocks } = generator(clock);
      gen.start();
      return { clock, gen, blocks };
    }

    it("a late cut takes only the lines that arrived by the end of its interval; the rest wait for theirs", () => {
      const { clock, gen, blocks } = busy();
      gen.addPackedLines(bytes("a\n"), 1, 1100);
      gen.addPackedLines(bytes("b\nc\n"), 2, 1300);
      gen.addPackedLines(bytes("d\n"), 1, 1650);
      clock.setTime(1700);
      clock.runDue();
      // One block per interval, as a receiving thread would have cut them; all in one before.
      expect(blocks).toEqual([
        { time: 1700, records: ["a"], packed: true },
        { time: 1700, records: ["b", "c"], packed: true },
      ]);
      expect(gen.numBufferedRecords).toBe(1);
      clock.setTime(1800);
      clock.runDue();
      expect(blocks[2]).toEqual({ time: 1800, records: ["d"], packed: true });
      expect(gen.numBufferedRecords).toBe(0);
    });

    it("cutBlocksDueBy(t) cuts the overdue intervals up to t, and leaves later lines for later blocks", () => {
      const { clock, gen, blocks } = busy();
      gen.addPackedLines(bytes("a\n"), 1, 1150);
      gen.addPackedLines(bytes("b\n"), 1, 1950);
      gen.addPackedLines(bytes("c\n"), 1, 2000);
      gen.addPackedLines(bytes("d\n"), 1, 2040);
      clock.setTime(2050);
      // What the batch at 2000, generated late, does first.
      gen.cutBlocksDueBy(2000);
      expect(blocks).toEqual([
        { time: 2050, records: ["a"], packed: true },
        { time: 2050, records: ["b", "c"], packed: true },
      ]);
      expect(gen.numBufferedRecords).toBe(1);
      expect(clock.waiting).toEqual([2200]);
      clock.setTime(2200);
      clock.runDue();
      expect(blocks[2]).toEqual({ time: 2200, records: ["d"], packed: true });
    });

    it("keeps the order: lines behind a later arrival wait with it; a single record and stop() cut everything", () => {
      const { clock, gen, blocks } = busy();
      gen.addPackedLines(bytes("late\n"), 1, 1500);
      gen.addPackedLines(bytes("end\n"), 1);
      clock.setTime(1300);
      clock.runDue();
      expect(blocks).toEqual([]);
      gen.addData("x");
      expect(blocks).toEqual([{ time: 1300, records: ["late", "end"], packed: true }]);
      gen.addPackedLines(bytes("y\n"), 1, 9000);
      gen.stop();
      expect(blocks.slice(1)).toEqual([{ time: 1300, records: ["x"] }, { time: 1300, records: ["y"], packed: true }]);
    });

    it("rate-limited lines received during a busy spell take their permits from their arrival: each block of the spell holds the limit, and a rate set meanwhile grants no burst", () => {
      const clock = new BusyClock(1000);
      const { gen, blocks } = generator(clock, 1000);
      gen.start();
      expect(gen.addPackedLines(bytes("first\n"), 1, 1000)).toBeUndefined();
      // Busy until 1800. A batch completed first (backpressure set the rate again); meanwhile the
      // reading thread received 16 chunks of 100 lines, 2000 lines/s, twice the limit.
      clock.setTime(1800);
      gen.updateRate(1000);
      const chunk = (k: number) => bytes(Array.from({ length: 100 }, (_, j) => `${k}.${j}\n`).join(""));
      // As the socket receiver stores them: in order, until one has to wait for its permits.
      let waiting: Promise<void> | undefined;
      for (let k = 0; k < 16 && waiting === undefined; k++) waiting = gen.addPackedLines(chunk(k), 100, 1000 + 50 * k);
      expect(waiting).toBeDefined();
      clock.runDue();
      // Permits 1 ms apart from 1000: chunk k's last at 1100 + 100k, so two chunks per 200 ms block.
      expect(blocks.map((b) => [b.time, b.records.length])).toEqual([[1800, 201], [1800, 200], [1800, 200], [1800, 200]]);
      expect([blocks[0].records[0], blocks[0].records[200], blocks[3].records[199]]).toEqual(["first", "1.99", "7.99"]);
      expect(gen.numBufferedRecords).toBe(100);
      clock.setTime(2000);
      clock.runDue();
      expect(blocks.slice(4).map((b) => [b.time, b.records[0], b.records.length])).toEqual([[2000, "8.0", 100]]);
    });

    it("on a ManualClock (no arrival times) cutBlocksDueBy leaves the clock's own order of equal times alone", async () => {
      const clock = new ManualClock(1000);
      const { gen, blocks } = generator(clock);
      // Scheduled first, so at 1200 it runs before the generator's cut, as a batch timer does.
      let blocksSeen = -1;
      clock.schedule(1200, () => { gen.cutBlocksDueBy(1200); blocksSeen = blocks.length; });
      gen.start();
      gen.addPackedLines(bytes("a\n"), 1, 5000);
      await clock.advance(200);
      expect(blocksSeen).toBe(0);
      expect(blocks).toEqual([{ time: 1200, records: ["a"], packed: true }]);
    });
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
