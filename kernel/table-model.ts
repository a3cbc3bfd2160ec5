import { formatValue } from "../engine/rdd/compact-buffer";

/** One table row: a column name to a cell value. */
export type Row = Record<string, unknown>;

/**
 * How a stream element becomes a table row: a `[key, value]` pair gives the columns key and value,
 * a plain object its own fields, anything else a single column "value".
 */
export function toRow(element: unknown): Row {
  if (Array.isArray(element) && element.length === 2) return { key: element[0], value: element[1] };
  if (element !== null && typeof element === "object" && Object.getPrototypeOf(element) === Object.prototype) return element as Row;
  return { value: element };
}

/** The columns of `rows`, in first-seen order. */
export function columnsOf(rows: Row[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...seen];
}

/** Orders cell values: numbers numerically, everything else by its printed text. */
export function compareCells(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  const sa = formatValue(a), sb = formatValue(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/**
 * The rows to show: sorted by column `sortBy` (descending unless `ascending`; ties keep arrival
 * order), then the first `top`.
 */
export function selectRows(rows: Row[], sortBy: string | undefined, ascending: boolean, top: number): Row[] {
  if (sortBy === undefined) return rows.slice(0, top);
  const sign = ascending ? 1 : -1;
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => sign * compareCells(a.row[sortBy], b.row[sortBy]) || a.i - b.i)
    .slice(0, top)
    .map((x) => x.row);
}

/** A cell as text: Spark's print format for tuples and collections, `""` for a missing field. */
export function cellText(v: unknown): string {
  return v === undefined ? "" : formatValue(v);
}
