import type { Clock, TimerHandle } from "../../engine/time/clock";

/**
 * A live clock as this thread sees it while a batch keeps it busy: time moves on (`setTime`) but
 * no timer runs until the test says the thread is free (`runDue`, in time order). Data stamped on
 * another thread is on this clock's time (`timeAt` is the identity), as on the system clock.
 */
export class BusyClock implements Clock {
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  private seq = 0;
  constructor(private now: number) {}
  getTimeMillis(): number { return this.now; }
  timeAt(wallMs: number): number { return wallMs; }
  schedule(at: number, fn: () => void): TimerHandle {
    const timer = { at, seq: this.seq++, fn };
    this.timers.push(timer);
    return { cancel: () => { this.timers = this.timers.filter((t) => t !== timer); } };
  }
  /** Moves time on without running any timer. */
  setTime(now: number): void { this.now = now; }
  /** Runs every timer due by now, earliest first (those they schedule included). */
  runDue(): void {
    for (;;) {
      const due = this.timers.filter((t) => t.at <= this.now).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) return;
      this.timers = this.timers.filter((t) => t !== due);
      due.fn();
    }
  }
  /** The times of the timers waiting. */
  get waiting(): number[] { return this.timers.map((t) => t.at).sort((a, b) => a - b); }
}
