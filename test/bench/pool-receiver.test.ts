import { PoolReceiver } from "./streamlab-runner";

/** A PoolReceiver whose stored blocks are recorded here instead of going to a supervisor. */
class RecordingPoolReceiver extends PoolReceiver {
  readonly blocks: string[][] = [];
  override storeBlock(records: Iterable<string> | Iterator<string>): void {
    this.blocks.push([...(records as Iterable<string>)]);
  }
}

describe("the bench's in-process generator (PoolReceiver)", () => {
  const pool = ["a", "b", "c"];

  it("stores the records due in each block interval as one block", () => {
    const receiver = new RecordingPoolReceiver(pool, 1000, 0, 200);
    receiver.storeDueUpTo(200);
    receiver.storeDueUpTo(400);
    expect(receiver.blocks.map((b) => b.length)).toEqual([200, 200]);
    expect(receiver.blocks[0].slice(0, 4)).toEqual(["a", "b", "c", "a"]);
    expect(receiver.blocks[1][0]).toBe(pool[200 % 3]);
  });

  it("after a late tick, stores each missed interval as its own block, as Spark's receiver thread would", () => {
    const receiver = new RecordingPoolReceiver(pool, 1000, 0, 200);
    receiver.storeDueUpTo(200);
    // The main thread ran a batch from 200 ms to 1130 ms: the next tick comes 730 ms late.
    receiver.storeDueUpTo(1130);
    expect(receiver.blocks.map((b) => b.length)).toEqual([200, 200, 200, 200, 200, 130]);
    receiver.storeDueUpTo(1200);
    expect(receiver.blocks.map((b) => b.length)).toEqual([200, 200, 200, 200, 200, 130, 70]);
    // Nothing lost or repeated: the records are the pool cycled, in order.
    const all = receiver.blocks.flat();
    expect(all).toHaveLength(1200);
    expect(all.every((r, k) => r === pool[k % 3])).toBe(true);
  });

  it("stores no empty block for an interval in which no record fell due", () => {
    // At 2 records/s the first two fall due at 500 and 1000 ms: in the intervals ending at 600 and 1000.
    const receiver = new RecordingPoolReceiver(pool, 2, 0, 200);
    receiver.storeDueUpTo(400);
    expect(receiver.blocks).toEqual([]);
    receiver.storeDueUpTo(1000);
    expect(receiver.blocks).toEqual([["a"], ["b"]]);
  });

  it("a record due exactly on a block boundary is in the block that ends there", () => {
    // At 5 records/s the first two fall due at 200 and 400 ms, the first two boundaries.
    const receiver = new RecordingPoolReceiver(pool, 5, 0, 200);
    receiver.storeDueUpTo(450);
    expect(receiver.blocks).toEqual([["a"], ["b"]]);
  });
});
