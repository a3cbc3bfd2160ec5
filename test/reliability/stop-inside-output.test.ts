import { ManualClock, StreamingContext } from "../../engine";
import { TestInputStream } from "../../engine/testing/test-input-stream";

// `await ssc.stop()` inside foreachRDD used to deadlock for good: the stop waited for the batch,
// the batch for the stop, and StreamingContext.stopActive() from outside hung too (issue 22,
// finding 3). Now the stop resolves at once there and the context stops after the current batch.

function within<T>(p: Promise<T>, what: string, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout;
  const t = new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not return within ${ms} ms`)), ms); });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

describe("stop() from inside an output operation", () => {
  afterEach(() => within(StreamingContext.stopActive(), "stopActive after the test"));

  it.each([false, true])("await ssc.stop({ stopGracefully: %s }) in foreachRDD stops after the current batch; nothing hangs", async (stopGracefully) => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ appName: "StopInside", master: "local[2]", batchDuration: 1000, clock });
    const seen: string[] = [];
    let stopReturned = false;
    new TestInputStream(ssc, [[1], [2], [3], [4]], 1).foreachRDD(async (rdd, t) => {
      seen.push(`start ${t.milliseconds}: ${rdd.collect()}`);
      if (t.milliseconds === 2000) {
        // After awaits that leave the output operation's own stack (a macrotask in between).
        await new Promise((r) => setImmediate(r));
        await Promise.resolve();
        await ssc.stop({ stopGracefully });
        stopReturned = true;
      }
      seen.push(`end ${t.milliseconds}`);
    });
    ssc.start();
    const terminated = ssc.awaitTermination();
    await within(clock.advance(2000), "the batch that calls stop()");
    await within(terminated, "awaitTermination");
    expect(stopReturned).toBe(true);
    expect(ssc.getState()).toBe("STOPPED");
    expect(seen).toEqual(["start 1000: 1", "end 1000", "start 2000: 2", "end 2000"]);
    await within(clock.advance(2000), "advancing a stopped context's clock");
    expect(seen).toHaveLength(4);
    await within(StreamingContext.stopActive(), "stopActive");
    await within(ssc.stop(), "a second stop");
  });

  it("stopActive() from outside returns while a batch that called stop() is still running", async () => {
    const clock = new ManualClock(0);
    const ssc = new StreamingContext({ appName: "StopInside2", master: "local[2]", batchDuration: 1000, clock });
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let outsideDone = false;
    new TestInputStream(ssc, [[1], [2]], 1).foreachRDD(async () => {
      await ssc.stop();
      await gate; // the batch goes on after asking to stop
    });
    ssc.start();
    void clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    const outside = StreamingContext.stopActive().then(() => { outsideDone = true; });
    await new Promise((r) => setTimeout(r, 20));
    expect(outsideDone).toBe(false); // it waits for the running batch, as a stop from outside does
    release();
    await within(outside, "stopActive");
    expect(ssc.getState()).toBe("STOPPED");
  });
});
