/** A scheduled callback that can be cancelled. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * The source of time for every streamlab component. No engine module reads the wall clock
 * directly, so tests can drive a whole StreamingContext in virtual time with {@link ManualClock}.
 */
export interface Clock {
  /** Current time in epoch milliseconds. */
  getTimeMillis(): number;
  /** Runs `fn` once the clock reaches `at` (epoch ms). */
  schedule(at: number, fn: () => void): TimerHandle;
  /**
   * This clock's time at the wall-clock moment `wallMs` (a `Date.now()` value), for data stamped
   * on another thread. A clock without it (ManualClock) counts such data as stored when it is.
   */
  timeAt?(wallMs: number): number;
}

/** The wall clock: `Date.now()` and `setTimeout`. The default for every StreamingContext. */
export class SystemClock implements Clock {
  getTimeMillis(): number { return Date.now(); }

  timeAt(wallMs: number): number { return wallMs; }

  schedule(at: number, fn: () => void): TimerHandle {
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    let cancelled = false;
    // setTimeout may fire a millisecond early; re-arm until the clock has really reached `at`,
    // so a batch never runs before its own time (Spark's RecurringTimer waits the same way).
    const arm = () => {
      if (cancelled) return;
      const delay = at - Date.now();
      if (delay <= 0) { fn(); return; }
      timer = setTimeout(arm, Math.min(delay, 2 ** 31 - 1));
    };
    // Never synchronously, even when `at` has passed (a batch ran late): the caller is still
    // setting up, and what arrived meanwhile (socket data, block cuts) gets its turn first.
    if (at - Date.now() <= 0) immediate = setImmediate(arm);
    else arm();
    return {
      cancel: () => {
        cancelled = true;
        if (timer) clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
      },
    };
  }
}

/**
 * A clock that only moves when told to: the engine-test clock (Spark's ManualClock).
 *
 * `await clock.advance(ms)` moves time forward, firing every due timer in time order; after each
 * one it waits until every registered component is idle (all due batches have completed, outputs
 * written, checkpoints done). So after `await clock.advance(3000)` with 1-second batches, exactly
 * three batches have run to completion. No test needs to sleep.
 *
 * @example
 * const clock = new ManualClock();
 * const ssc = new StreamingContext({ master: "local[2]", appName: "t", batchDuration: 1000, clock });
 * ssc.queueStream([[1, 2], [3]]).print();
 * ssc.start();
 * await clock.advance(2000); // two batches printed
 */
export class ManualClock implements Clock {
  private time: number;
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  private seq = 0;
  private idleWaiters = new Set<() => Promise<void>>();

  /** @param startTime the initial time in epoch milliseconds (default 0) */
  constructor(startTime = 0) { this.time = startTime; }

  getTimeMillis(): number { return this.time; }

  schedule(at: number, fn: () => void): TimerHandle {
    const timer = { at, seq: this.seq++, fn };
    this.timers.push(timer);
    return { cancel: () => { this.timers = this.timers.filter((t) => t !== timer); } };
  }

  /** Moves time forward by `ms`, running due timers in order and waiting until all work is done. */
  async advance(ms: number): Promise<void> {
    await this.setTime(this.time + ms);
  }

  /** Moves time to `target` (never backwards), running due timers in order and waiting for idleness. */
  async setTime(target: number): Promise<void> {
    for (;;) {
      const due = this.nextDue(target);
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
      await this.waitTillIdle();
    }
    this.time = Math.max(this.time, target);
    await this.waitTillIdle();
  }

  /** Resolves when every registered component reports idle (e.g. no batch is queued or running). */
  async waitTillIdle(): Promise<void> {
    // Let already-resolved promise chains and I/O callbacks run before asking for idleness.
    await new Promise((r) => setImmediate(r));
    for (const waiter of [...this.idleWaiters]) await waiter();
  }

  /** Registers a component's idleness check; returns a function that unregisters it. @internal */
  addIdleWaiter(waiter: () => Promise<void>): () => void {
    this.idleWaiters.add(waiter);
    return () => this.idleWaiters.delete(waiter);
  }

  private nextDue(target: number) {
    let best: (typeof this.timers)[number] | undefined;
    for (const t of this.timers) {
      if (t.at <= target && (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq))) best = t;
    }
    return best;
  }
}

/** True for a clock that supports waiting for idleness (ManualClock or a compatible one). */
export function isManualClock(clock: Clock): clock is ManualClock {
  return typeof (clock as ManualClock).addIdleWaiter === "function";
}
