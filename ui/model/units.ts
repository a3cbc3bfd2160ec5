/**
 * Human units for the Streaming page and the notebook dashboard (shared by Node and the browser:
 * no imports). Durations as ms, s, min, h; batch times as local dates with the ms value beside.
 */

/** A duration: `162 ms`, `1.6 s`, `2 min 3 s`, `1 h 2 min`; `-` when unknown. */
export function formatDuration(ms: number | undefined | null): string {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return "-";
  const sign = ms < 0 ? "-" : "";
  const a = Math.abs(ms);
  if (a < 1000) return `${sign}${Math.round(a)} ms`;
  if (a < 10_000) return `${sign}${Math.round(a / 100) / 10} s`;
  if (a < 60_000) return `${sign}${Math.round(a / 1000)} s`;
  if (a < 3_600_000) {
    const min = Math.floor(a / 60_000), s = Math.floor((a % 60_000) / 1000);
    return `${sign}${min} min${s ? ` ${s} s` : ""}`;
  }
  const h = Math.floor(a / 3_600_000), min = Math.floor((a % 3_600_000) / 60_000);
  return `${sign}${h} h${min ? ` ${min} min` : ""}`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** A batch time as Spark's pages print it, local time: `2026/12/02 15:04:05` (`.250` with sub-second batches). */
export function formatDate(ms: number, withMillis = ms % 1000 !== 0): string {
  const d = new Date(ms);
  const base = `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return withMillis ? `${base}.${pad(d.getMilliseconds(), 3)}` : base;
}

/** A batch time with its ms value beside it: `2026/12/02 15:04:05 (1796223845000 ms)`. */
export function formatBatchTime(ms: number): string {
  return `${formatDate(ms)} (${ms} ms)`;
}

/** Bytes: `512 B`, `1.5 KiB`, `12.3 MiB`, `1.02 GiB`; `-` when unknown. */
export function formatBytes(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return "-";
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024, i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** A rate: `1,234.56 records/sec` (Spark's wording). */
export function formatRate(perSecond: number | undefined | null): string {
  if (perSecond === undefined || perSecond === null || !Number.isFinite(perSecond)) return "-";
  return `${perSecond.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })} records/sec`;
}

/** A count with thousands separators: `12,345`. */
export function formatCount(n: number | undefined | null): string {
  return n === undefined || n === null || !Number.isFinite(n) ? "-" : n.toLocaleString("en-US");
}
