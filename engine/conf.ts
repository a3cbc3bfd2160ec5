import { Errors } from "./errors/messages";

/** A configuration value as given by a user: strings as Spark takes them, or plain numbers/booleans. */
export type ConfValue = string | number | boolean;

/**
 * Settings given on the command line (`streamlab submit --master local[4] --conf k=v`), applied to
 * every SparkConf created in this process before its own settings, as spark-submit does.
 * @internal
 */
export const submitDefaults = new Map<string, string>();

/**
 * Spark's `SparkConf`: string keys such as `spark.streaming.blockInterval`, with typed getters that
 * accept Spark's unit suffixes (`200ms`, `2s`, `1min`). Setters chain, as in the Java lecture:
 * `new SparkConf().setAppName("WordCount").setMaster("local[2]")`.
 */
export class SparkConf {
  private readonly settings = new Map<string, string>();

  /** @param entries initial settings, e.g. `{ "spark.streaming.receiver.maxRate": 1000 }` */
  constructor(entries?: Record<string, ConfValue> | Iterable<[string, ConfValue]>) {
    for (const [k, v] of submitDefaults) this.settings.set(k, v);
    if (entries) {
      const pairs = Symbol.iterator in Object(entries) ? (entries as Iterable<[string, ConfValue]>) : Object.entries(entries);
      for (const [k, v] of pairs) this.set(k, v);
    }
  }

  /** Sets `key` to `value` (stored as a string, as Spark does). */
  set(key: string, value: ConfValue): this { this.settings.set(key, String(value)); return this; }
  /** Sets `spark.app.name`. */
  setAppName(name: string): this { return this.set("spark.app.name", name); }
  /** Sets `spark.master`, e.g. `local[2]`. */
  setMaster(master: string): this { return this.set("spark.master", master); }
  /** True when `key` is set. */
  contains(key: string): boolean { return this.settings.has(key); }
  /** The raw string value, or `defaultValue`. */
  get(key: string, defaultValue?: string): string | undefined { return this.settings.get(key) ?? defaultValue; }
  /** Removes `key`. */
  remove(key: string): this { this.settings.delete(key); return this; }
  /** All settings as [key, value] pairs. */
  getAll(): [string, string][] { return [...this.settings]; }
  /** A copy of this configuration. */
  clone(): SparkConf { return new SparkConf(this.getAll()); }

  /** A numeric setting; rejects a value that is not a number with a clear error. */
  getNumber(key: string, defaultValue: number): number {
    const raw = this.settings.get(key);
    if (raw === undefined) return defaultValue;
    const n = Number(raw);
    if (!Number.isFinite(n)) throw Errors.badConf(key, raw, "expected a number");
    return n;
  }

  /** A boolean setting (`true`/`false`). */
  getBoolean(key: string, defaultValue: boolean): boolean {
    const raw = this.settings.get(key);
    if (raw === undefined) return defaultValue;
    if (raw === "true") return true;
    if (raw === "false") return false;
    throw Errors.badConf(key, raw, "expected true or false");
  }

  /** A size setting in bytes; accepts `65536`, `512k`, `64m`, `1g` (a bare number is in bytes). */
  getSizeBytes(key: string, defaultValue: number): number {
    const raw = this.settings.get(key);
    if (raw === undefined) return defaultValue;
    return parseSizeBytes(key, raw);
  }

  /** A time setting in milliseconds; accepts `200`, `200ms`, `2s`, `1min`, `1h` (a bare number is in `defaultUnit`). */
  getTimeMs(key: string, defaultValue: number, defaultUnit: "ms" | "s" = "ms"): number {
    const raw = this.settings.get(key);
    if (raw === undefined) return defaultValue;
    return parseTimeMs(key, raw, defaultUnit);
  }
}

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, m: 1024 ** 2, mb: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3 };

/** Parses Spark's size strings (`512k`, `64m`, `1g`); a bare number is in bytes. */
export function parseSizeBytes(key: string, raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m ? (m[2] || "b").toLowerCase() : "";
  if (!m || !(unit in SIZE_UNITS) || Number(m[1]) * SIZE_UNITS[unit] < 1) throw Errors.badConf(key, raw, "expected a size of at least 1 byte such as 65536, 512k, 64m or 1g");
  return Math.floor(Number(m[1]) * SIZE_UNITS[unit]);
}

const UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses Spark's time strings (`200ms`, `2s`, `1min`); a bare number is in `defaultUnit`. */
export function parseTimeMs(key: string, raw: string, defaultUnit: "ms" | "s" = "ms"): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(raw);
  const unit = m ? (m[2] || defaultUnit).toLowerCase() : "";
  if (!m || !(unit in UNITS)) throw Errors.badConf(key, raw, "expected a time such as 200ms, 2s or 1min");
  return Number(m[1]) * UNITS[unit];
}

/** Parses `local`, `local[N]`, `local[*]` into a core count. */
export function parseMaster(master: string, cpuCount: number): number {
  if (master === "local") return 1;
  const m = /^local\[(\d+|\*)(?:,\s*\d+)?\]$/.exec(master);
  if (!m) throw Errors.badMaster(master);
  const n = m[1] === "*" ? cpuCount : Number(m[1]);
  if (n < 1) throw Errors.badMaster(master);
  return n;
}
