import { Subject, filter, map, mergeMap, scan, window, count, reduce, from } from "rxjs";
import { parseSale } from "../../engine/tools/sales-parser";
import { GREP_PATTERN } from "./records";
import { better, BatchProcessor, topK, WindowShape, WorkloadName } from "./workloads";

/**
 * The workloads as RxJS pipelines, the way a JavaScript programmer would write them: records are
 * pushed one by one through a Subject, `window(batchEnd$)` cuts them into batches, `reduce` counts
 * a batch, and `scan` keeps the sliding window incrementally (RxJS has no windowed reduce by key).
 */
export function createRx(workload: WorkloadName, shape: WindowShape): BatchProcessor {
  const record$ = new Subject<string>();
  const batchEnd$ = new Subject<void>();
  let last: unknown;
  const windowBatches = shape.windowMs / shape.batchMs;
  const slideBatches = shape.slideMs / shape.batchMs;
  const perBatch = (pairs$: ReturnType<typeof pairsOf>) => pairs$.pipe(
    window(batchEnd$),
    mergeMap((batch$) => batch$.pipe(reduce((m, [k, n]) => m.set(k, (m.get(k) ?? 0) + n), new Map<string, number>()))),
  );
  const pairsOf = (source: Subject<string>) =>
    workload === "sales"
      ? source.pipe(map(parseSale), filter((r) => r.ok), map((r) => [(r as { sale: { productId: string } }).sale.productId, (r as { sale: { number: number } }).sale.number] as [string, number]))
      : source.pipe(mergeMap((l) => from(l.split(" "))), map((w) => [w, 1] as [string, number]));

  if (workload === "grep") {
    record$.pipe(filter((l) => l.includes(GREP_PATTERN)), window(batchEnd$), mergeMap((b$) => b$.pipe(count())))
      .subscribe((n) => { last = n; });
  } else {
    perBatch(pairsOf(record$)).pipe(
      scan((acc, counts) => {
        for (const [k, n] of counts) acc.totals.set(k, (acc.totals.get(k) ?? 0) + n);
        acc.ring.push(counts);
        if (acc.ring.length > windowBatches) {
          for (const [k, n] of acc.ring.shift() as Map<string, number>) acc.totals.set(k, (acc.totals.get(k) as number) - n);
        }
        acc.seen++;
        return acc;
      }, { totals: new Map<string, number>(), ring: [] as Map<string, number>[], seen: 0 }),
      filter((acc) => acc.seen % slideBatches === 0),
      map((acc) => {
        if (workload === "wordcount") return acc.totals.size;
        if (workload === "topk") return topK(acc.totals, 10);
        let best: [string, number] | undefined;
        for (const e of acc.totals) best = best ? better(best, e) : e;
        return best;
      }),
    ).subscribe((out) => { last = out; });
  }
  return {
    batch(parts) {
      last = undefined;
      for (const p of parts) for (let i = 0; i < p.length; i++) record$.next(p[i]);
      batchEnd$.next();
      return last;
    },
  };
}
