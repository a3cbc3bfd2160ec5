import type { DStream } from "../../engine/dstream/dstream";
import { parseSale } from "../../engine/tools/sales-parser";
import { parseSales } from "../../engine/tools/sales-parser";
import { GREP_PATTERN, PoolKind } from "./records";
import "../../engine/index";

/**
 * The benchmark's workloads, each written three ways over the same records: as a streamlab DStream
 * program (the lecture's style), as a hand-written single loop (the ceiling) and as an RxJS
 * pipeline (the JavaScript alternative). The Spark version is test/bench/spark/.../SparkBench.java.
 *
 * - grep: count the lines containing GREP_PATTERN, per batch.
 * - wordcount: word counts over a sliding window, incremental (reduce plus inverse reduce).
 * - topk: the 10 most frequent words over the same window.
 * - sales: the lecture's best seller: parse sales, units sold per product over the window
 *   (incremental), the product with the most units (ties to the smaller id).
 */
export type WorkloadName = "grep" | "wordcount" | "topk" | "sales";

export interface Workload {
  name: WorkloadName;
  title: string;
  pool: PoolKind;
  windowed: boolean;
}

export const WORKLOADS: Workload[] = [
  { name: "grep", title: "Grep", pool: "words", windowed: false },
  { name: "wordcount", title: "WordCount (30 s window)", pool: "words", windowed: true },
  { name: "topk", title: "TopKCount (30 s window)", pool: "words", windowed: true },
  { name: "sales", title: "Sales best seller (30 s window)", pool: "sales", windowed: true },
];

/** Window geometry in milliseconds; slide and window are multiples of the batch interval. */
export interface WindowShape {
  batchMs: number;
  windowMs: number;
  slideMs: number;
  /** The receivers' block interval (blockIntervalFor in streamlab-runner.ts), when not the default. */
  blockMs?: number;
}

type Counted = [string, number];
const add = (a: number, b: number) => a + b;
const sub = (a: number, b: number) => a - b;
const byCount = (a: Counted, b: Counted) => a[1] - b[1];
/** The lecture's reduce, ties broken by product id so the winner does not depend on order. */
export const better = (a: Counted, b: Counted): Counted => (a[1] > b[1] || (a[1] === b[1] && a[0] < b[0]) ? a : b);

/** Builds `workload` on `lines` with streamlab; `sink` gets each output (forcing the computation). */
export function buildStreamlab(workload: WorkloadName, lines: DStream<string>, shape: WindowShape, sink: (out: unknown) => void): void {
  const { windowMs, slideMs } = shape;
  switch (workload) {
    case "grep":
      lines.filter((l) => l.includes(GREP_PATTERN)).count().foreachRDD((rdd) => sink(rdd.collect()));
      return;
    case "wordcount":
    case "topk": {
      const counts = lines.flatMap((l) => l.split(" ")).mapToPair((w) => [w, 1] as Counted)
        .reduceByKeyAndWindow(add, sub, windowMs, slideMs);
      if (workload === "wordcount") counts.foreachRDD((rdd) => sink(rdd.count()));
      else counts.foreachRDD((rdd) => sink(rdd.top(10, byCount)));
      return;
    }
    case "sales":
      parseSales(lines).sales.mapToPair((s) => [s.productId, s.number] as Counted)
        .reduceByKeyAndWindow(add, sub, windowMs, slideMs)
        .reduce(better)
        .foreachRDD((rdd) => sink(rdd.collect()));
      return;
  }
}

/** A workload fed batch by batch; returns the output of a batch that ends a slide, else undefined. */
export interface BatchProcessor {
  batch(partitions: string[][]): unknown;
}

/** The hand-written single loop: what a programmer would write for this one job, no framework. */
export function createLoop(workload: WorkloadName, shape: WindowShape): BatchProcessor {
  if (workload === "grep") {
    return {
      batch(parts) {
        let n = 0;
        for (const p of parts) for (let i = 0; i < p.length; i++) if (p[i].includes(GREP_PATTERN)) n++;
        return n;
      },
    };
  }
  const countBatch = workload === "sales" ? countSales : countWords;
  const window = new SlidingCounts(shape);
  return {
    batch(parts) {
      const counts = countBatch(parts);
      if (!window.push(counts)) return undefined;
      if (workload === "wordcount") return window.totals.size;
      if (workload === "topk") return topK(window.totals, 10);
      let best: Counted | undefined;
      for (const e of window.totals) best = best ? better(best, e) : e;
      return best;
    },
  };
}

function countWords(parts: string[][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      for (const w of p[i].split(" ")) m.set(w, (m.get(w) ?? 0) + 1);
    }
  }
  return m;
}

function countSales(parts: string[][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const r = parseSale(p[i]);
      if (r.ok) m.set(r.sale.productId, (m.get(r.sale.productId) ?? 0) + r.sale.number);
    }
  }
  return m;
}

/** An incremental sliding window of per-batch counts: add the entering batch, subtract the leaving one. */
export class SlidingCounts {
  readonly totals = new Map<string, number>();
  private readonly ring: Map<string, number>[] = [];
  private readonly windowBatches: number;
  private readonly slideBatches: number;
  private seen = 0;

  constructor(shape: WindowShape) {
    this.windowBatches = shape.windowMs / shape.batchMs;
    this.slideBatches = shape.slideMs / shape.batchMs;
  }

  /** Adds a batch; true when the batch ends a slide (the window is due). */
  push(counts: Map<string, number>): boolean {
    for (const [k, n] of counts) this.totals.set(k, (this.totals.get(k) ?? 0) + n);
    this.ring.push(counts);
    if (this.ring.length > this.windowBatches) {
      const leaving = this.ring.shift() as Map<string, number>;
      for (const [k, n] of leaving) this.totals.set(k, (this.totals.get(k) as number) - n);
    }
    return ++this.seen % this.slideBatches === 0;
  }
}

/** The k largest counts, largest first, without sorting everything. */
export function topK(counts: Iterable<Counted>, k: number): Counted[] {
  const top: Counted[] = [];
  for (const e of counts) {
    if (top.length === k && e[1] <= top[k - 1][1]) continue;
    let i = Math.min(top.length, k - 1);
    while (i > 0 && top[i - 1][1] < e[1]) i--;
    top.splice(i, 0, [e[0], e[1]]);
    if (top.length > k) top.pop();
  }
  return top;
}
