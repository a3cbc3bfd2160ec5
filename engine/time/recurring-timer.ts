import { Clock, TimerHandle } from "./clock";

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

  private arm(): void {
    this.handle = this.clock.schedule(this.nextTime, () => {
      if (this.stopped) return;
      const time = this.nextTime;
      this.nextTime += this.period;
      this.arm();
      this.callback(time);
    });
  }
}
