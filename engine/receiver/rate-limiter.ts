import type { SparkConf } from "../conf";

/**
 * Spark's receiver RateLimiter: at most `spark.streaming.receiver.maxRate` records per second per
 * receiver, enforced on `store(record)` only. Spark delegates to Guava's SmoothBursty limiter
 * (burst of at most one second of permits, none stored at creation); this is the same algorithm
 * on an injected clock, so tests run it in virtual time. Instead of blocking the caller, `reserve`
 * returns the time from which the record may enter the current block.
 */
export class RateLimiter {
  private ratePerSec: number;
  private storedPermits = 0;
  private maxPermits = 0;
  private nextFreeTicketMs: number | undefined;

  /**
   * @param maxRate records per second; 0, negative or Infinity mean "no limit" (Spark's default
   * is Long.MaxValue)
   */
  constructor(private readonly maxRate: number, initialRate = maxRate) {
    this.ratePerSec = limitOf(Math.min(initialRate, limitOf(maxRate)));
  }

  /** Spark's rate-limiter settings: `receiver.maxRate`, and `backpressure.initialRate` when backpressure is on. */
  static fromConf(conf: SparkConf): RateLimiter {
    const maxRate = conf.getNumber("spark.streaming.receiver.maxRate", Infinity);
    const backpressure = conf.getBoolean("spark.streaming.backpressure.enabled", false);
    const initial = backpressure ? conf.getNumber("spark.streaming.backpressure.initialRate", maxRate) : maxRate;
    return new RateLimiter(maxRate, initial);
  }

  /** The current limit in records per second (Infinity when unlimited). */
  get currentLimit(): number { return this.ratePerSec; }

  /** True when records are limited at all. */
  get isLimited(): boolean { return Number.isFinite(this.ratePerSec); }

  /**
   * Takes one permit at time `nowMs`; returns the time (>= nowMs) at which the caller may proceed.
   * Guava's reserveEarliestAvailable: stored permits are free, fresh ones cost 1/rate each.
   */
  reserve(nowMs: number): number {
    if (!this.isLimited) return nowMs;
    this.resync(nowMs);
    const at = this.nextFreeTicketMs as number;
    const fromStored = Math.min(1, this.storedPermits);
    this.nextFreeTicketMs = at + (1 - fromStored) * this.stableIntervalMs;
    this.storedPermits -= fromStored;
    return Math.max(at, nowMs);
  }

  /** Backpressure's new rate, capped by maxRate (Spark's updateRate; ignored unless positive). */
  updateRate(newRate: number, nowMs: number): void {
    if (!(newRate > 0)) return;
    if (this.isLimited) this.resync(nowMs);
    const oldMax = this.maxPermits;
    this.ratePerSec = Math.min(newRate, limitOf(this.maxRate));
    this.maxPermits = this.isLimited ? this.ratePerSec : 0;
    this.storedPermits = oldMax === 0 ? 0 : (this.storedPermits * this.maxPermits) / oldMax;
    if (this.nextFreeTicketMs === undefined) this.nextFreeTicketMs = nowMs;
  }

  private get stableIntervalMs(): number { return 1000 / this.ratePerSec; }

  private resync(nowMs: number): void {
    // Guava starts its stopwatch when the limiter is created; Spark creates it lazily on first use.
    if (this.nextFreeTicketMs === undefined) { this.nextFreeTicketMs = nowMs; this.maxPermits = this.ratePerSec; }
    if (nowMs > this.nextFreeTicketMs) {
      this.storedPermits = Math.min(this.maxPermits, this.storedPermits + (nowMs - this.nextFreeTicketMs) / this.stableIntervalMs);
      this.nextFreeTicketMs = nowMs;
    }
  }
}

function limitOf(rate: number): number {
  return rate > 0 ? rate : Infinity;
}
