import { DStream, ManualClock, StreamingContext, TestInputStream } from "../../engine";
import { mulberry32, zipfSampler } from "../../engine/tools/prng";
import { salesCatalog, salesLines, salesRecords } from "../../engine/tools/sales-generator";
import { MalformedRecord, parseSale, parseSales, Sale } from "../../engine/tools/sales-parser";
import { salesStream } from "../../engine/tools/sales-stream";

const take = <T>(it: Iterable<T>, n: number): T[] => {
  const out: T[] = [];
  for (const x of it) { if (out.length >= n) break; out.push(x); }
  return out;
};

describe("mulberry32", () => {
  it("is a fixed sequence per seed", () => {
    const a = mulberry32(1);
    // Reference values from the C original (Tommy Ettinger), computed independently in Python.
    expect([a(), a(), a()].map((x) => Math.floor(x * 2 ** 32))).toEqual([2693262067, 11749833, 2265367787]);
  });

  it("zipf sampler favours low ranks", () => {
    const rnd = mulberry32(7);
    const pick = zipfSampler(10, 1);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 20000; i++) counts[pick(rnd)]++;
    // weights 1/(k+1): rank 0 expected 20000/H10 = 6828, rank 9 expected 683
    expect(counts[0]).toBeGreaterThan(6400);
    expect(counts[0]).toBeLessThan(7250);
    expect(counts[9]).toBeLessThan(900);
    for (let k = 1; k < 10; k++) expect(counts[k - 1]).toBeGreaterThan(counts[k] * 0.85);
  });
});

describe("salesLines", () => {
  it("gives the same lines for the same seed", () => {
    expect(take(salesLines(42), 500)).toEqual(take(salesLines(42), 500));
    expect([...salesLines(42, { count: 500 })]).toEqual(take(salesLines(42), 500));
  });

  it("gives different lines for different seeds", () => {
    expect(take(salesLines(42), 50)).not.toEqual(take(salesLines(43), 50));
  });

  it("writes the lecture's format with per-store prices", () => {
    const catalog = salesCatalog(42, { stores: 3, products: 8 });
    for (const r of salesRecords(42, { stores: 3, products: 8, count: 300 })) {
      expect(r.line).toMatch(/^s[1-3],p[1-8],[1-5],\d+\.\d\d$/);
      const s = r.sale as Sale;
      expect(r.line).toBe(`${s.storeId},${s.productId},${s.number},${s.totalPrice.toFixed(2)}`);
      expect(Math.round(s.totalPrice * 100)).toBe(s.number * catalog.unitPriceCents(s.storeId, s.productId));
    }
    // stores price the same product differently
    const prices = catalog.storeIds.map((st) => catalog.unitPriceCents(st, "p1"));
    expect(new Set(prices).size).toBeGreaterThan(1);
  });

  it("makes a few products much more popular than the rest", () => {
    const catalog = salesCatalog(42, { products: 20 });
    const sold = new Map<string, number>();
    for (const r of salesRecords(42, { products: 20, count: 20000 })) sold.set(r.sale!.productId, (sold.get(r.sale!.productId) ?? 0) + 1);
    const ranked = [...sold].sort((a, b) => b[1] - a[1]).map(([p]) => p);
    expect(ranked.slice(0, 3)).toEqual(catalog.productsByPopularity.slice(0, 3));
    const top = sold.get(ranked[0]) as number;
    const last = sold.get(ranked[ranked.length - 1]) as number;
    expect(top).toBeGreaterThan(10 * last);
  });

  it("inserts malformed lines without changing the good ones", () => {
    const clean = [...salesLines(5, { count: 1200 })];
    const records = take(salesRecords(5, { malformedRate: 0.1 }), 1200);
    const good = records.filter((r) => r.sale).map((r) => r.line);
    const bad = records.filter((r) => !r.sale);
    expect(good).toEqual(clean.slice(0, good.length));
    expect(bad.length).toBeGreaterThan(60);
    expect(bad.length).toBeLessThan(190);
    expect(new Set(bad.map((r) => r.defect))).toEqual(new Set(["field-count", "empty-field", "bad-number", "bad-price", "empty-line"]));
    for (const r of bad) {
      const parsed = parseSale(r.line);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.error.rule).toBe(r.defect);
    }
  });

  it("rejects bad options with a catalog error", () => {
    expect(() => [...salesLines(1, { stores: 0, count: 1 })]).toThrow(expect.objectContaining({
      code: "STREAM_ERR_BAD_OPTION",
      message: "sales option stores must be a whole number >= 1, got number 0. Pass e.g. { stores: 5 }.",
    }));
    expect(() => [...salesLines(1, { malformedRate: 2, count: 1 })]).toThrow(RangeError);
  });
});

describe("parseSale", () => {
  it("parses good lines", () => {
    expect(parseSale("s1,p7,2,19.98")).toEqual({ ok: true, sale: { storeId: "s1", productId: "p7", number: 2, totalPrice: 19.98 } });
    expect(parseSale(" s2 , p10 , 13 , 7 \r")).toEqual({ ok: true, sale: { storeId: "s2", productId: "p10", number: 13, totalPrice: 7 } });
  });

  const cases: Array<[string, MalformedRecord["rule"], string]> = [
    ["", "empty-line", "the line is empty"],
    ["   ", "empty-line", "the line is empty"],
    ["s1,p7,2", "field-count", "expected 4 comma-separated fields"],
    ["s1;p7;2;19.98", "field-count", "expected 4 comma-separated fields"],
    ["s1,p7,2,19.98,x", "field-count", "expected 4 comma-separated fields"],
    ["s1,,2,19.98", "empty-field", "a field is empty"],
    ["storeid,productid,number,totalprice", "bad-number", "number must be a whole number >= 1"],
    ["s1,p7,0,0.00", "bad-number", "number must be a whole number >= 1"],
    ["s1,p7,-2,19.98", "bad-number", "number must be a whole number >= 1"],
    ["s1,p7,1.5,19.98", "bad-number", "number must be a whole number >= 1"],
    ["s1,p7,2,N/A", "bad-price", "totalprice must be a non-negative decimal number such as 19.98"],
    ["s1,p7,2,-1.00", "bad-price", "totalprice must be a non-negative decimal number such as 19.98"],
  ];
  it.each(cases)("reports %j as %s", (line, rule, ruleText) => {
    expect(parseSale(line)).toEqual({
      ok: false,
      error: {
        line,
        rule,
        code: "STREAM_ERR_MALFORMED_SALE",
        message: `Malformed sale ${JSON.stringify(line)}: ${ruleText}. Expected storeid,productid,number,totalprice, e.g. "s1,p7,2,19.98".`,
      },
    });
  });
});

describe("parseSales", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("splits a stream into sales and malformed lines; nothing is lost, the stream goes on", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ appName: "t", master: "local[2]", batchDuration: 1000, clock });
    const input = new TestInputStream(ssc, [["s1,p1,2,4.00", "oops", "s2,p3,1,9.50"], ["s1,p1,x,1.00"], ["s3,p2,3,6.30"]]);
    const { sales, malformed } = parseSales(input as DStream<string>);
    const got: { sales: Sale[][]; bad: string[][]; badCount: number[] } = { sales: [], bad: [], badCount: [] };
    sales.foreachRDD((rdd) => { got.sales.push(rdd.collect()); });
    malformed.foreachRDD((rdd) => { got.bad.push(rdd.collect().map((m) => `${m.rule}:${m.line}`)); });
    malformed.count().foreachRDD((rdd) => { got.badCount.push(...rdd.collect()); });
    ssc.start();
    await clock.advance(3000);
    expect(got.sales).toEqual([
      [{ storeId: "s1", productId: "p1", number: 2, totalPrice: 4 }, { storeId: "s2", productId: "p3", number: 1, totalPrice: 9.5 }],
      [],
      [{ storeId: "s3", productId: "p2", number: 3, totalPrice: 6.3 }],
    ]);
    expect(got.bad).toEqual([["field-count:oops"], ["bad-number:s1,p1,x,1.00"], []]);
    expect(got.badCount).toEqual([1, 1, 0]);
  });
});

describe("salesStream", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("batch k holds lines (k-1)*n .. k*n-1 of salesLines, as a function of the batch time", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ appName: "t", master: "local[2]", batchDuration: 1000, clock });
    const stream = salesStream(ssc, { seed: 8, linesPerBatch: 4, count: 10, stores: 2 });
    const got: string[][] = [];
    stream.foreachRDD((rdd) => { got.push(rdd.collect()); });
    ssc.start();
    await clock.advance(4000);
    const all = [...salesLines(8, { count: 10, stores: 2 })];
    expect(got).toEqual([all.slice(0, 4), all.slice(4, 8), all.slice(8, 10), []]);
    // an earlier batch computed again (as after recovery) is the same
    expect(stream.slice(1000, 2000).map((r) => r.collect())).toEqual([all.slice(0, 4), all.slice(4, 8)]);
  });
});
