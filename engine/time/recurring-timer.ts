import { Clock, isManualClock, TimerHandle } from "./clock";

/**
 * Calls `callback(time)` at every multiple of `period` (Spark's RecurringTimer). Times are on an
 * absolute grid, so a late wake-up never shifts later batches.
 */
export class RecurringTimer {
  private handle: TimerHandle | undefined;
  private nextTime = 0;
  private stopped = true;

  constructor(private readonly clock: Clock, readonly period: number, private readonly callback: (time: number) => void) {}

  /** The first aligned time strictly after now: `(floor(now / period) + 1) * period`. */
  getStartTime(): number {
    return (Math.floor(this.clock.getTimeMillis() / this.period) + 1) * this.period;
  }

  /** The first aligned time after now on the grid that passes through `originalStartTime`. */
  getRestartTime(originalStartTime: number): number {
    const gap = this.clock.getTimeMillis() - originalStartTime;
    return (Math.floor(gap / this.period) + 1) * this.period + originalStartTime;
  }

  /** Starts firing at `startTime`; returns it. */
  start(startTime = this.getStartTime()): number {
    this.stopped = false;
    this.nextTime = startTime;
    this.arm();
    return startTime;
  }

  /** Stops firing; returns the last time that fired (or would have fired next minus a period). */
  stop(): number {
    this.stopped = true;
    this.handle?.cancel();
    return this.nextTime - this.period;
  }

  /**
   * Runs now, in order, the ticks up to `upTo` whose time has come, instead of waiting for their
   * turn after timers that are due as well. On a live clock, timers due at the same millisecond run
   * in no set order, so a tick at exactly now runs here too; a ManualClock runs those in the order
   * they were scheduled, and tests rely on that, so there only ticks before now run here.
   */
  fireOverdue(upTo: number): void {
    const now = this.clock.getTimeMillis();
    const manual = isManualClock(this.clock);
    const due = (t: number) => t <= upTo && (manual ? t < now : t <= now);
    if (this.stopped || !due(this.nextTime)) return;
    this.handle?.cancel();
    try {
      while (!this.stopped && due(this.nextTime)) this.tick();
    } finally {
      if (!this.stopped) this.arm();
    }
  }

  /** Runs the callback for the next time and moves on a period. */
  private tick(): void {
    const time = this.nextTime;
    this.nextTime += this.period;
    this.callback(time);
  }

  private arm(): void {
    const at = this.nextTime;
    const handle = this.clock.schedule(at, () => {
      if (this.stopped) return;
      // The next tick is armed only after this one's callback: a clock may run an overdue timer
      // at once, and arming first would then run a late time's successors before it (a late
      // batch 9000 would come after 10000, which took 9000's blocks).
      try {
        this.tick();
      } finally {
        if (!this.stopped) this.arm();
      }
    });
    // Unless the clock ran it at once and the handle of a later tick is already in place.
    if (this.nextTime === at) this.handle = handle;
  }
}
