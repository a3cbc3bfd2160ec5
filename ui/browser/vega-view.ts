/** The little of vega's View API the page uses (vega.min.js is loaded as a script before the page's). */
export interface VegaView {
  data(name: string, values?: unknown[]): unknown[];
  change(name: string, changes: VegaChangeset): VegaView;
  runAsync(): Promise<VegaView>;
  finalize(): void;
}

/** A set of inserted and removed tuples (vega.changeset()). */
export interface VegaChangeset {
  insert(values: unknown[]): VegaChangeset;
  remove(predicate: (datum: unknown) => boolean): VegaChangeset;
}

interface VegaGlobal {
  parse(spec: unknown): unknown;
  changeset(): VegaChangeset;
  View: new (runtime: unknown, options: { renderer: "canvas" | "svg"; container: Element; hover?: boolean }) => VegaView;
}

/** The vega global, or undefined when its script did not load. */
export function vegaGlobal(): VegaGlobal | undefined {
  return (globalThis as unknown as { vega?: VegaGlobal }).vega;
}
