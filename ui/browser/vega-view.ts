/** The little of vega's View API the page uses (vega.min.js is loaded as a script before the page's). */
export interface VegaView {
  data(name: string, values?: unknown[]): unknown[];
  runAsync(): Promise<VegaView>;
  finalize(): void;
}

interface VegaGlobal {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, options: { renderer: "canvas" | "svg"; container: Element; hover?: boolean }) => VegaView;
}

/** The vega global, or undefined when its script did not load. */
export function vegaGlobal(): VegaGlobal | undefined {
  return (globalThis as unknown as { vega?: VegaGlobal }).vega;
}
