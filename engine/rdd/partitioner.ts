import { hashCode, keyEquals, nonNegativeMod } from "./java-hash";

/** Decides which partition a key goes to (Spark's `Partitioner`). */
export interface Partitioner {
  readonly numPartitions: number;
  getPartition(key: unknown): number;
  /** Two partitioners are equal when they place every key in the same partition. */
  equals(other: Partitioner | undefined): boolean;
}

/** Spark's HashPartitioner: `nonNegativeMod(key.hashCode, numPartitions)`; null keys go to 0. */
export class HashPartitioner implements Partitioner {
  constructor(readonly numPartitions: number) {}
  getPartition(key: unknown): number {
    return key === null || key === undefined ? 0 : nonNegativeMod(hashCode(key), this.numPartitions);
  }
  equals(other: Partitioner | undefined): boolean {
    return other instanceof HashPartitioner && other.numPartitions === this.numPartitions;
  }
}

/** Places sorted keys into contiguous ranges (what `sortByKey`/`sortBy` produce). */
export class RangePartitioner implements Partitioner {
  constructor(readonly numPartitions: number, private readonly bounds: unknown[], private readonly compare: (a: unknown, b: unknown) => number) {}
  getPartition(key: unknown): number {
    let p = 0;
    while (p < this.bounds.length && this.compare(key, this.bounds[p]) > 0) p++;
    return p;
  }
  equals(other: Partitioner | undefined): boolean {
    return other instanceof RangePartitioner && other.numPartitions === this.numPartitions &&
      other.bounds.length === this.bounds.length && other.bounds.every((b, i) => keyEquals(b, this.bounds[i]));
  }
}
