import { AppendOnlyMap, PartitionedAppendOnlyMap } from "../../engine/rdd/append-only-map";
import { hashCode, tupleHash } from "../../engine/rdd/java-hash";
import { HashPartitioner } from "../../engine/rdd/partitioner";
import { mulberry32 } from "../../engine/tools/prng";

/*
 * The shuffle's map side was sped up (issue 6) by keying a PartitionedAppendOnlyMap by
 * (partition, key) instead of allocating a [partition, key] tuple per record. Spark's output order
 * depends on the exact slots, so the fast map must iterate exactly as the tuple-keyed map did:
 * checked here on seeded random keys of every kind, through several table growths.
 */
describe("PartitionedAppendOnlyMap iterates exactly as AppendOnlyMap keyed by [partition, key]", () => {
  const kinds: Array<(r: () => number) => unknown> = [
    (r) => `w${Math.floor(r() * 5000)}`,
    (r) => Math.floor(r() * 3000) - 1500,
    (r) => r() * 100,
    (r) => [Math.floor(r() * 30), `p${Math.floor(r() * 30)}`],
    (r) => (r() < 0.5 ? null : r() < 0.5),
  ];
  it.each(kinds.map((k, i) => [i, k]))("key kind %i", (_i, kind) => {
    const rnd = mulberry32(42);
    const partitioner = new HashPartitioner(3);
    const tupleKeyed = new AppendOnlyMap<[number, unknown], number>((pk) => tupleHash(pk));
    const fast = new PartitionedAppendOnlyMap<unknown, number>();
    for (let i = 0; i < 20_000; i++) {
      const k = (kind as (r: () => number) => unknown)(rnd);
      const v = Math.floor(rnd() * 10);
      const pid = partitioner.getPartition(k);
      tupleKeyed.changeValue([pid, k], (had, old) => (had ? (old as number) + v : v));
      fast.combineInPartition(pid, k, hashCode(k), v, (x) => x, (c, x) => c + x);
    }
    const expected: unknown[] = [];
    tupleKeyed.forEach((c, pk) => expected.push([pk[0], pk[1], c]));
    const actual: unknown[] = [];
    fast.forEachInPartitions((pid, k, c) => actual.push([pid, k, c]));
    expect(actual).toEqual(expected);
    expect(fast.size).toBe(tupleKeyed.size);
  });

  it("combine() matches changeValue(), null key first", () => {
    const rnd = mulberry32(7);
    const a = new AppendOnlyMap<string | null, number>();
    const b = new AppendOnlyMap<string | null, number>();
    for (let i = 0; i < 10_000; i++) {
      const k = rnd() < 0.01 ? null : `k${Math.floor(rnd() * 2000)}`;
      a.changeValue(k, (had, old) => (had ? (old as number) + 1 : 1));
      b.combine(k, 1, (x) => x, (c, x) => c + x);
    }
    expect(b.entries()).toEqual(a.entries());
  });
});
