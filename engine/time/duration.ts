import { Errors } from "../errors/messages";

/**
 * A span of time in milliseconds, as Spark's `Duration`. Prints as `"1000 ms"`, like Spark.
 * Anywhere streamlab takes a duration it also takes a plain number of milliseconds.
 *
 * @example
 * const batch = Durations.seconds(1);
 * batch.times(60).milliseconds; // 60000
 */
export class Duration {
  /** @param milliseconds the length, in milliseconds */
  constructor(readonly milliseconds: number) {}

  /** Sum of two durations. */
  plus(that: DurationLike): Duration { return new Duration(this.milliseconds + toMillis(that)); }
  /** Difference of two durations. */
  minus(that: DurationLike): Duration { return new Duration(this.milliseconds - toMillis(that)); }
  /** This duration times a whole factor. */
  times(factor: number): Duration { return new Duration(this.milliseconds * factor); }
  /** How many times `that` fits into this duration (a ratio, not floored). */
  div(that: DurationLike): number { return this.milliseconds / toMillis(that); }
  /** True when this duration is a whole multiple of `that`. */
  isMultipleOf(that: DurationLike): boolean { const t = toMillis(that); return t === 0 ? this.milliseconds === 0 : this.milliseconds % t === 0; }
  /** True for a zero-length duration. */
  isZero(): boolean { return this.milliseconds === 0; }
  less(that: DurationLike): boolean { return this.milliseconds < toMillis(that); }
  lessEq(that: DurationLike): boolean { return this.milliseconds <= toMillis(that); }
  greater(that: DurationLike): boolean { return this.milliseconds > toMillis(that); }
  greaterEq(that: DurationLike): boolean { return this.milliseconds >= toMillis(that); }
  min(that: DurationLike): Duration { return new Duration(Math.min(this.milliseconds, toMillis(that))); }
  max(that: DurationLike): Duration { return new Duration(Math.max(this.milliseconds, toMillis(that))); }
  /** Spark's `prettyPrint`: `"500 ms"`, `"1.5 s"`, `"2.0 min"`, `"1.0 h"`. */
  prettyPrint(): string { return prettyDuration(this.milliseconds); }
  /** Spark's format: `"<millis> ms"`. */
  toString(): string { return `${this.milliseconds} ms`; }
  /** Lets durations compare with `<` and add with `+` as numbers of milliseconds. */
  valueOf(): number { return this.milliseconds; }
  toJSON(): number { return this.milliseconds; }
}

/** A Duration or a plain number of milliseconds. */
export type DurationLike = Duration | number;

/** Java-style factories, as in the lecture: `Durations.seconds(1)`. */
export const Durations = {
  /** A duration of `n` milliseconds. */
  milliseconds: (n: number): Duration => new Duration(n),
  /** A duration of `n` seconds. */
  seconds: (n: number): Duration => new Duration(n * 1000),
  /** A duration of `n` minutes. */
  minutes: (n: number): Duration => new Duration(n * 60_000),
  /** A duration of `n` hours (streamlab addition, handy for "last 10 days" windows). */
  hours: (n: number): Duration => new Duration(n * 3_600_000),
  /** A duration of `n` days (streamlab addition). */
  days: (n: number): Duration => new Duration(n * 86_400_000),
};

/** Scala-style factory: `Milliseconds(500)`. */
export const Milliseconds = (n: number): Duration => Durations.milliseconds(n);
/** Scala-style factory: `Seconds(1)`. */
export const Seconds = (n: number): Duration => Durations.seconds(n);
/** Scala-style factory: `Minutes(1)`. */
export const Minutes = (n: number): Duration => Durations.minutes(n);

/** Milliseconds of a Duration or number; rejects anything else with a clear error. */
export function toMillis(d: DurationLike, name = "duration"): number {
  if (typeof d === "number" && Number.isFinite(d)) return d;
  if (d instanceof Duration) return d.milliseconds;
  // Durations from another copy of the module (a notebook importing a second build) still work.
  if (d && typeof d === "object" && typeof (d as { milliseconds?: unknown }).milliseconds === "number") return (d as Duration).milliseconds;
  throw Errors.badDuration(name, d);
}

/** Like toMillis, but also requires a positive whole number of milliseconds. */
export function positiveMillis(d: DurationLike, name: string): number {
  const m = toMillis(d, name);
  if (!(m > 0) || !Number.isInteger(m)) throw Errors.nonPositiveDuration(name, m);
  return m;
}

/** Spark's Duration.prettyPrint rendering of a number of milliseconds. */
export function prettyDuration(ms: number): string {
  const second = 1000, minute = 60 * second, hour = 60 * minute;
  if (ms < second) return `${ms} ms`;
  if (ms < minute) return `${(ms / second).toFixed(1)} s`;
  if (ms < hour) return `${(ms / minute).toFixed(1)} min`;
  return `${(ms / hour).toFixed(1)} h`;
}
