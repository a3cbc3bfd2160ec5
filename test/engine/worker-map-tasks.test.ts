import { concatSegments } from "../../engine/executor/concatenated-segments";
import { mapTaskCounts, workerTuning } from "../../engine/executor/parallel-map-stage";
import { JoinedStrings, joinStrings, unjoinedPartition } from "../../engine/executor/joined-strings";
import { ENGINE_FUNCTION, shipByName, shippableSource } from "../../engine/executor/shippable";
import { TaskWorkerPool } from "../../engine/executor/worker-pool";
import { RDD, RDDContext } from "../../engine/rdd/rdd";
import { StreamingContext } from "../../engine/streaming-context";
import { ManualClock } from "../../engine/time/clock";
import { mulberry32 } from "../../engine/tools/prng";
import { MalformedRecord, parseSale, Sale } from "../../engine/tools/sales-parser";
import { unpackSegment } from "../../engine/receiver/packed-lines";

/*
 * Map tasks of self-contained functions run on real worker threads (issue 6: use both cores).
 * Every test compares with the same job on the main thread alone: outputs must be identical,
 * pair order included, and errors the same. The thresholds that keep small tasks on the main
 * thread are lowered so that these small jobs go to a worker.
 */
const onMain: RDDContext = { defaultParallelism: 2, parallelismIsSet: false, workerThreads: 0 };
const withWorker: RDDContext = { defaultParallelism: 2, parallelismIsSet: false, workerThreads: 1 };
const saved = { ...workerTuning };

beforeAll(async () => {
  workerTuning.minTaskRecords = 1;
  workerTuning.minNanosPerRecord = 0;
  workerTuning.minCostOverCopy = 0;
  // Started workers, so that the main thread does not take every posted task while they boot.
  await TaskWorkerPool.get(1)?.ready();
});
afterAll(async () => {
  Object.assign(workerTuning, saved);
  await TaskWorkerPool.shutdown();
});

/** Lines of words, some of whose Java hash codes collide ("Aa" and "BB" hash alike). */
function lines(count: number, seed: number): string[][] {
  const rnd = mulberry32(seed);
  const words = ["AaAa", "AaBB", "BBAa", "BBBB", ...Array.from({ length: 300 }, (_, i) => `w${i}`)];
  const parts: string[][] = [];
  for (let p = 0; p < 6; p++) {
    const part: string[] = [];
    for (let i = 0; i < count; i++) part.push(Array.from({ length: 8 }, () => words[Math.floor(rnd() * words.length)]).join(" "));
    parts.push(part);
  }
  return parts;
}

const split = (l: string) => l.split(" ");
const one = (w: string): [string, number] => [w, 1];
const add = (a: number, b: number) => a + b;

/** Runs `job` on the main thread alone, then with a worker; returns both outputs and the tasks workers ran. */
function both<T>(job: (ctx: RDDContext) => RDD<T>): { alone: T[][]; shared: T[][]; ranOnWorker: number } {
  const alone = job(onMain).partitions;
  const before = mapTaskCounts.ranOnWorker;
  const shared = job(withWorker).partitions;
  return { alone, shared, ranOnWorker: mapTaskCounts.ranOnWorker - before };
}

describe("map tasks on worker threads", () => {
  const parts = lines(5000, 7);

  it("word count: the same pairs in the same order, with tasks run by the worker", () => {
    let ranOnWorker = 0;
    for (let run = 0; run < 3; run++) {
      const result = both((ctx) => new RDD(parts, ctx).flatMap(split).mapToPair(one).reduceByKey(add));
      expect(result.shared).toEqual(result.alone);
      ranOnWorker += result.ranOnWorker;
    }
    expect(ranOnWorker).toBeGreaterThan(0);
  });

  it("a chain of every narrow kind, number keys and three reduce partitions", () => {
    const { alone, shared, ranOnWorker } = both((ctx) =>
      new RDD(parts, ctx)
        .filter((l) => !l.startsWith("BB"))
        .flatMap((l) => l.split(" "))
        .map((w): [number, string] => [w.length * 1000 + w.charCodeAt(w.length - 1), w])
        .mapValues((w) => w.toUpperCase())
        .flatMapValues((w) => [w, w.toLowerCase()])
        .combineByKey((v: string) => [v], (c: string[], v: string) => (c.push(v), c), (a: string[], b: string[]) => a.concat(b), 3));
    expect(shared).toEqual(alone);
    expect(ranOnWorker).toBeGreaterThan(0);
  });

  it("distinct() (the engine's own functions) agrees", () => {
    const count = both((ctx) => new RDD(parts, ctx).flatMap(split).distinct());
    expect(count.shared).toEqual(count.alone);
    expect(count.ranOnWorker).toBeGreaterThan(0);
  });

  it("a function that reads a captured variable runs on the main thread, with its value, and is not posted again", () => {
    const weight = 3;
    const weighted = (w: string): [string, number] => [w, weight];
    const job = (ctx: RDDContext) => new RDD(parts, ctx).flatMap(split).mapToPair(weighted).reduceByKey(add);
    const first = both(job);
    expect(first.shared).toEqual(first.alone);
    expect(first.ranOnWorker).toBe(0);
    expect(first.shared[0][0][1] % 3).toBe(0);
    expect(shippableSource(weighted)).toBeUndefined();
    const posted = mapTaskCounts.posted;
    expect(job(withWorker).partitions).toEqual(first.alone);
    expect(mapTaskCounts.posted).toBe(posted);
  });

  it("console and other globals outside the sandbox keep a function on the main thread", () => {
    const logged: string[] = [];
    const spy = jest.spyOn(console, "log").mockImplementation((m: string) => { logged.push(m); });
    try {
      const noisy = (l: string) => { if (l.startsWith("AaAa AaAa")) console.log(`saw ${l}`); return l.split(" "); };
      const { alone, shared } = both((ctx) => new RDD(parts, ctx).flatMap(noisy).mapToPair(one).reduceByKey(add));
      expect(shared).toEqual(alone);
      const expected = parts.flat().filter((l) => l.startsWith("AaAa AaAa")).map((l) => `saw ${l}`);
      expect(logged).toEqual([...expected, ...expected]);
    } finally {
      spy.mockRestore();
    }
  });

  // Only the last partition, which a worker takes, holds the bad word.
  const withBadWord = [...parts.slice(0, -1), [...parts[parts.length - 1], "w1 ZZZZ w2"]];

  it("a user function that throws fails the job with its own error, as on the main thread", () => {
    const picky = (w: string): [string, number] => { if (w === "ZZZZ") throw new RangeError("no ZZZZ"); return [w, 1]; };
    const job = (ctx: RDDContext) => new RDD(withBadWord, ctx).flatMap(split).mapToPair(picky).reduceByKey(add).partitions;
    expect(() => job(onMain)).toThrow(new RangeError("no ZZZZ"));
    const posted = mapTaskCounts.posted;
    expect(() => job(withWorker)).toThrow(new RangeError("no ZZZZ"));
    expect(mapTaskCounts.posted).toBeGreaterThan(posted);
  });

  it("a record that is not a pair gets the same error code", () => {
    const job = (ctx: RDDContext) => new RDD(withBadWord, ctx).flatMap(split).map((w) => (w === "ZZZZ" ? w : [w, 1]) as unknown as [string, number]).reduceByKey(add).partitions;
    let alone: unknown;
    let shared: unknown;
    try { job(onMain); } catch (e) { alone = e; }
    try { job(withWorker); } catch (e) { shared = e; }
    expect(alone).toBeInstanceOf(Error);
    expect(shared).toEqual(alone);
    expect((shared as { code: string }).code).toBe((alone as { code: string }).code);
  });

  it("ships only functions a worker can rebuild from their source", () => {
    expect(shippableSource((l: string) => l.split(" "))).toBe(`(l) => l.split(" ")`);
    expect(shippableSource(function named(a: number, b: number) { return a + b; })).toMatch(/^function named/);
    expect(shippableSource(Math.max)).toBeUndefined();
    expect(shippableSource(add.bind(null))).toBeUndefined();
    expect(shippableSource({ m(x: number) { return x; } }.m)).toBeUndefined();
    expect(shippableSource(class {})).toBeUndefined();
    expect(shippableSource(function (this: unknown) { return this; })).toBeUndefined();
  });

  it("the sales parser, which calls its module's helpers, goes to a worker by name: the same sales and malformed records", () => {
    expect(shippableSource(parseSale)).toBe("engine:tools/sales-parser#parseSale");
    const rnd = mulberry32(11);
    const salesParts = Array.from({ length: 4 }, () => Array.from({ length: 3000 }, (_, i) =>
      i % 97 === 0 ? `s1,p${i % 5},two,1.5` : i % 89 === 0 ? " " : `s${i % 3},p${Math.floor(rnd() * 20)},${1 + (i % 4)},${(rnd() * 100).toFixed(2)}`));
    // As in the word count above, up to three runs: on a cold start (a fresh clone, the worker
    // still loading the parser's module) the main thread can take every posted task first.
    let ranOnWorker = 0;
    for (let run = 0; run < 3 && ranOnWorker === 0; run++) {
      const units = both((ctx) => new RDD(salesParts, ctx).map(parseSale).filter((r) => r.ok)
        .map((r) => (r as { ok: true; sale: Sale }).sale).mapToPair((s) => [s.productId, s.number] as [string, number]).reduceByKey(add));
      expect(units.shared).toEqual(units.alone);
      ranOnWorker += units.ranOnWorker;
    }
    expect(ranOnWorker).toBeGreaterThan(0);
    const rules = both((ctx) => new RDD(salesParts, ctx).map(parseSale).filter((r) => !r.ok)
      .map((r) => (r as { ok: false; error: MalformedRecord }).error).mapToPair((e) => [e.message, 1] as [string, number]).reduceByKey(add));
    expect(rules.shared).toEqual(rules.alone);
    const counts = new Map(rules.alone.flat());
    expect([...counts].filter(([m]) => m.startsWith("Malformed sale \" \": the line is empty.")).map(([, n]) => n)).toEqual([4 * 33]);
    expect([...counts].filter(([m]) => m.includes("number must be a whole number")).reduce((sum, [, n]) => sum + n, 0)).toBe(4 * 31);
  });

  it("socket lines packed as bytes go to a worker as bytes and are decoded there: the same word counts", () => {
    expect(shippableSource(unpackSegment)).toBe("engine:receiver/packed-lines#unpackSegment");
    const packed = parts.map((p) => [Buffer.from(p.slice(0, 2000).join("\n") + "\n"), Buffer.from(p.slice(2000).join("\n") + "\n")]);
    const counts = both((ctx) => {
      const segments = new RDD<Uint8Array>(packed, ctx);
      segments.recordCounts = parts.map((p) => p.length);
      return segments.flatMap(unpackSegment).flatMap(split).mapToPair(one).reduceByKey(add);
    });
    const fromStrings = new RDD(parts, onMain).flatMap(split).mapToPair(one).reduceByKey(add).partitions;
    expect(counts.alone).toEqual(fromStrings);
    expect(counts.shared).toEqual(fromStrings);
    expect(counts.ranOnWorker).toBeGreaterThan(0);
    // Posted as a copy: the block here still has its bytes (a window reads it again).
    expect(packed.map((p) => Buffer.concat(p).toString().split("\n").length - 1)).toEqual(parts.map((p) => p.length));
  });

  it("concatSegments: views at any offset of shared chunks, multi-byte lines included, become one buffer of their bytes in order", () => {
    const chunk = Buffer.from("é1\n日本\nx\n😀 y\nlast\n");
    const cut = [0, 4, 11, 13, chunk.length];
    const segments = cut.slice(1).map((end, i) => chunk.subarray(cut[i], end));
    const whole = concatSegments(segments);
    expect(whole.byteOffset).toBe(0);
    expect(whole.buffer.byteLength).toBe(chunk.length);
    expect(unpackSegment(whole)).toEqual(segments.flatMap(unpackSegment));
    expect(unpackSegment(whole)).toEqual(["é1", "日本", "x", "😀 y", "last"]);
    expect(concatSegments([]).byteLength).toBe(0);
  });

  it("string records go to a worker joined into one string and are cut back there: the same records, across chunks, empty and non-ASCII ones included", () => {
    const rnd = mulberry32(11);
    const odd = ["", "é", "日本", "a\nb", "😀x", " ", "AaAa"];
    const mixed = Array.from({ length: 4 }, () => Array.from({ length: 26_000 }, (_, i) => (i % 7 === 0 ? odd[Math.floor(rnd() * odd.length)] : `w${Math.floor(rnd() * 50)} ${i % 13}`)));
    const byRecord = both((ctx) => new RDD(mixed, ctx).mapToPair((l) => [l, l.length] as [string, number]).reduceByKey(add));
    expect(byRecord.shared).toEqual(byRecord.alone);
    expect(byRecord.ranOnWorker).toBeGreaterThan(0);
    expect(new Map(byRecord.alone.flat()).get("a\nb")).toBe(3 * mixed.flat().filter((l) => l === "a\nb").length);
  });

  it("joinStrings keeps each record's length and gives up on a record that is not a string", () => {
    const records = ["ab", "", "日本語", "x".repeat(3000), ...Array.from({ length: 2100 }, (_, i) => String(i))];
    const joined = joinStrings(records);
    expect(joined?.text.length).toBe(records.reduce((n, r) => n + r.length, 0));
    const { chunks, recipe } = unjoinedPartition(joined as JoinedStrings);
    expect(chunks).toEqual([0, 1, 2]);
    expect(chunks.flatMap((c) => (recipe.fn as (c: number) => string[])(c))).toEqual(records);
    expect(joinStrings(["a", 1, "b"])).toBeUndefined();
    expect(unjoinedPartition(joinStrings([]) as JoinedStrings).chunks).toEqual([]);
  });

  it("count()'s union with its zero partition reads through to the filter, which goes to a worker; the zero stays here", () => {
    const zero = (ctx: RDDContext) => RDD.parallelize([[null, 0] as [null, number]], 1, ctx);
    // DStream.count(): map(_ => (null, 1)).transform(_.union(makeRDD(Seq((null, 0)), 1))).reduceByKey(_ + _)
    const grep = (ctx: RDDContext) => {
      const ones = new RDD(parts, ctx).filter((l) => l.includes("AaAa")).map((): [null, number] => [null, 1]);
      const union = ones.union(zero(ctx));
      expect(union.isPipelined).toBe(true);
      expect(union.numPartitions).toBe(7);
      return union.reduceByKey(add);
    };
    const expected = parts.flat().filter((l) => l.includes("AaAa")).length;
    let ranOnWorker = 0;
    for (let run = 0; run < 3; run++) {
      const posted = mapTaskCounts.posted;
      const result = both(grep);
      // An RDD's reduceByKey keeps its parent's partition count (7); null's hash code is 0.
      expect(result.alone).toEqual([[[null, expected]], [], [], [], [], [], []]);
      expect(result.shared).toEqual(result.alone);
      // Of the six filtered partitions, workers get three; never the zero partition (task 6).
      expect(mapTaskCounts.posted - posted).toBe(3);
      ranOnWorker += result.ranOnWorker;
    }
    expect(ranOnWorker).toBeGreaterThan(0);
    expect(both((ctx) => new RDD<string>([], ctx).map((): [null, number] => [null, 1]).union(zero(ctx)).reduceByKey(add)).shared).toEqual([[[null, 0]]]);
  });

  it("a union of two chains: tasks on task 0's chain go to the worker, the other side's stay here, the output unchanged", () => {
    const upper = (l: string) => l.toUpperCase().split(" ");
    const union = (ctx: RDDContext) => new RDD(parts.slice(0, 3), ctx).flatMap(split).union(new RDD(parts.slice(3), ctx).flatMap(upper))
      .mapToPair(one).reduceByKey(add);
    const posted = mapTaskCounts.posted;
    const result = both(union);
    expect(result.shared).toEqual(result.alone);
    expect(new Map(result.alone.flat()).get("AAAA")).toBe(parts.slice(3).flat().join(" ").split(" ").filter((w) => w === "AaAa").length);
    // Tasks 1 and 2 run task 0's chain (split): workers get ceil(3 · 1/2) = 2 of them.
    expect(mapTaskCounts.posted - posted).toBe(2);
  });

  it("an engine name a worker cannot load runs on the main thread, and is not posted again", () => {
    const words = (l: string) => l.split(" ");
    shipByName(words, "tools/no-such-module", "words");
    const job = (ctx: RDDContext) => new RDD(parts, ctx).flatMap(words).mapToPair(one).reduceByKey(add);
    const first = both(job);
    expect(first.shared).toEqual(first.alone);
    expect(first.ranOnWorker).toBe(0);
    expect(shippableSource(words)).toBeUndefined();
    const posted = mapTaskCounts.posted;
    expect(job(withWorker).partitions).toEqual(first.alone);
    expect(mapTaskCounts.posted).toBe(posted);
  });

  it("names only engine modules: shipByName rejects anything else, and a worker will not load a path", () => {
    expect(() => shipByName(add, "../outside", "add")).toThrow("shipByName: engine:../outside#add is not an engine module and export name");
    expect(ENGINE_FUNCTION.test("engine:tools/sales-parser#parseSale")).toBe(true);
    expect(["engine:/etc/passwd#x", "engine:tools/../../x#y", "engine:Tools#x"].some((r) => ENGINE_FUNCTION.test(r))).toBe(false);
  });
});

describe("streamlab.workerThreads", () => {
  const make = (master: string, conf: Record<string, string> = {}) => new StreamingContext({ master, appName: "t", batchDuration: 1000, clock: new ManualClock(), conf });

  it("defaults to local[N] − 1 workers, at most the other cores, and can be set", () => {
    const cores = require("os").availableParallelism() as number;
    expect(make("local[1]").rddContext.workerThreads).toBe(0);
    expect(make("local[2]").rddContext.workerThreads).toBe(Math.min(2, cores) - 1);
    expect(make("local[2]", { "streamlab.workerThreads": "0" }).rddContext.workerThreads).toBe(0);
    expect(make("local[2]", { "streamlab.workerThreads": "3" }).rddContext.workerThreads).toBe(3);
  });

  it("rejects a value that is not a whole number, naming it", () => {
    expect(() => make("local[2]", { "streamlab.workerThreads": "two" })).toThrow(
      expect.objectContaining({ code: "STREAM_ERR_BAD_CONF", message: `Invalid value "two" for configuration streamlab.workerThreads: expected a whole number of threads, 0 or more.` }),
    );
  });
});
