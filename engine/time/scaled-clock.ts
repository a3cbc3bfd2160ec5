import { performance } from "perf_hooks";
import { Errors } from "../errors/messages";
import { Clock, TimerHandle } from "./clock";

/** Options of `new ScaledClock({...})`. */
export interface ScaledClockOptions {
  /**
   * How many milliseconds of stream time pass per millisecond of wall time: 1 is real time,
   * 8640 plays a day in 10 seconds, 0.5 is slow motion.
   */
  speed: number;
  /** The stream time (epoch ms) the clock shows when created. Default: the current wall time. */
  start?: number;
}

/**
 * A clock on which stream time runs `speed` times faster than wall time (a streamlab addition;
 * Spark has only the system clock and a test ManualClock).
 *
 * Every engine component takes its time from `ssc.clock`, so with a ScaledClock the batch timer,
 * windows, state timeouts, checkpoint times and the times shown by print() and the displays are
 * all stream time, consistently: a 10-day window sliding every minute over 10-second batches
 * computes exactly what it would at speed 1, only sooner. Batch times stay on the exact grid; if
 * the machine cannot keep up, batches queue and run late (as in Spark when processing time exceeds
 * the batch interval) but their contents never change.
 *
 * Sources that stamp data with the wall time (e.g. a socket receiver cutting blocks every 200 ms)
 * still see stream time through the clock; a source that must give the same batches at any speed
 * should be a pure function of the batch time (TestInputStream, a seeded sales source).
 *
 * @example
 * const clock = new ScaledClock({ speed: 8640, start: Date.UTC(2024, 0, 1) }); // 1 day per 10 s
 * const ssc = new StreamingContext({ appName: "Sales", batchDuration: Durations.seconds(10), clock });
 */
export class ScaledClock implements Clock {
  /** Stream milliseconds per wall millisecond. */
  readonly speed: number;
  private readonly streamStart: number;
  // performance.now() is monotonic: a wall-clock adjustment (NTP) must not make stream time jump.
  private readonly wallStart = performance.now();

  /** @param options `speed` (required) and `start` (stream time at creation, epoch ms) */
  constructor(options: ScaledClockOptions) {
    const speed = options?.speed;
    if (typeof speed !== "number" || !Number.isFinite(speed) || speed <= 0) throw Errors.badClockSpeed(speed);
    const start = options.start ?? Date.now();
    if (typeof start !== "number" || !Number.isFinite(start)) {
      throw Errors.badOption("ScaledClock start", start, "must be a finite epoch time in milliseconds", "Use e.g. { start: Date.UTC(2024, 0, 1) }, or leave it out to start at the current time.");
    }
    this.speed = speed;
    this.streamStart = start;
  }

  /** The current stream time in epoch milliseconds (whole milliseconds, like Spark's clocks). */
  getTimeMillis(): number {
    return Math.floor(this.streamStart + (performance.now() - this.wallStart) * this.speed);
  }

  /** The stream time at the wall-clock moment `wallMs` (a `Date.now()` value). */
  timeAt(wallMs: number): number {
    return Math.floor(this.getTimeMillis() - (Date.now() - wallMs) * this.speed);
  }

  /** How many wall milliseconds `streamMillis` of stream time take at this speed. */
  wallDuration(streamMillis: number): number {
    return streamMillis / this.speed;
  }

  /** Runs `fn` once stream time reaches `at`: after about `(at - now) / speed` wall milliseconds. */
  schedule(at: number, fn: () => void): TimerHandle {
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    let cancelled = false;
    const fire = () => {
      if (cancelled) return;
      const delay = Math.ceil((at - this.getTimeMillis()) / this.speed);
      if (delay > 0) { timer = setTimeout(fire, Math.min(delay, 2 ** 31 - 1)); return; }
      fn();
    };
    // Never call fn synchronously, even when `at` has passed: at high speed a late timer has many
    // due batches, and a synchronous call would recurse through RecurringTimer's re-arming.
    // setImmediate lets due timers catch up far faster than setTimeout's 1 ms minimum.
    const delay = Math.ceil((at - this.getTimeMillis()) / this.speed);
    if (delay > 0) timer = setTimeout(fire, Math.min(delay, 2 ** 31 - 1));
    else immediate = setImmediate(fire);
    return {
      cancel: () => {
        cancelled = true;
        if (timer) clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
      },
    };
  }
}
