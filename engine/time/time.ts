/**
 * A batch time, as Spark's `Time`: milliseconds since the epoch, printed as `"1357008430000 ms"`.
 * `valueOf()` is the number of milliseconds, so `time < other` and `time + 1000` work.
 */
export class Time {
  /** @param milliseconds the batch time in epoch milliseconds */
  constructor(readonly milliseconds: number) {}
  /** Spark's format: `"<millis> ms"`. */
  toString(): string { return `${this.milliseconds} ms`; }
  valueOf(): number { return this.milliseconds; }
  toJSON(): number { return this.milliseconds; }
  /** The time as a JavaScript Date. */
  toDate(): Date { return new Date(this.milliseconds); }
}

/** Floors `time` onto the grid `zeroTime + k * interval`, as Spark's `Time.floor(that, zeroTime)`. */
export function floorTime(time: number, interval: number, zeroTime = 0): number {
  return Math.floor((time - zeroTime) / interval) * interval + zeroTime;
}
