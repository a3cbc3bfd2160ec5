import { Clock, SystemClock, TimerHandle } from "../../engine/time/clock";
import { RecurringTimer } from "../../engine/time/recurring-timer";

/**
 * A clock that has run ahead of its timers, as the system clock has after a batch that took
 * longer than the batch interval: it runs an overdue timer at once, as SystemClock used to.
 */
class LateClock implements Clock {
  private pending: Array<{ at: number; fn: () => void }> = [];
  constructor(private now: number) {}
  getTimeMillis(): number { return this.now; }
  schedule(at: number, fn: () => void): TimerHandle {
    if (at <= this.now) { fn(); return { cancel: () => undefined }; }
    const timer = { at, fn };
    this.pending.push(timer);
    return { cancel: () => { this.pending = this.pending.filter((t) => t !== timer); } };
  }
  /** The times of the timers still waiting. */
  get waiting(): number[] { return this.pending.map((t) => t.at); }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("RecurringTimer", () => {
  it("fires overdue times in order, each before the next is armed", () => {
    const clock = new LateClock(3500);
    const fired: number[] = [];
    const timer = new RecurringTimer(clock, 1000, (t) => fired.push(t));
    timer.start(1000);
    // Armed first, a late 1000 ran its successors before itself: [3000, 2000, 1000].
    expect(fired).toEqual([1000, 2000, 3000]);
    expect(clock.waiting).toEqual([4000]);
  });

  it("keeps ticking after a callback throws, and stop() ends it", () => {
    const clock = new LateClock(2500);
    const fired: number[] = [];
    const timer = new RecurringTimer(clock, 1000, (t) => {
      fired.push(t);
      if (t === 1000) throw new Error("batch 1000 failed");
    });
    expect(() => timer.start(1000)).toThrow("batch 1000 failed");
    expect(fired).toEqual([1000, 2000]);
    expect(clock.waiting).toEqual([3000]);
    expect(timer.stop()).toBe(2000);
    expect(clock.waiting).toEqual([]);
  });

  it("stopped from its own callback, arms nothing more", () => {
    const clock = new LateClock(5500);
    const fired: number[] = [];
    const timer: RecurringTimer = new RecurringTimer(clock, 1000, (t) => {
      fired.push(t);
      if (t === 2000) timer.stop();
    });
    timer.start(1000);
    expect(fired).toEqual([1000, 2000]);
    expect(clock.waiting).toEqual([]);
  });
});

describe("SystemClock.schedule", () => {
  it("runs a timer whose time has passed on a later turn, never inside schedule()", async () => {
    const clock = new SystemClock();
    const fired: string[] = [];
    clock.schedule(clock.getTimeMillis() - 1000, () => fired.push("overdue"));
    fired.push("scheduled");
    await nextTurn();
    expect(fired).toEqual(["scheduled", "overdue"]);
  });

  it("does not run an overdue timer cancelled before its turn", async () => {
    const clock = new SystemClock();
    const fired: string[] = [];
    clock.schedule(clock.getTimeMillis() - 1, () => fired.push("overdue")).cancel();
    await nextTurn();
    expect(fired).toEqual([]);
  });
});
