/** A Vega-Lite v5 spec as JSON (see https://vega.github.io/vega-lite/docs/). */
export type VegaLiteSpec = Record<string, unknown>;

/** The MIME type JupyterLab 4, Notebook 7 and VS Code render natively (v6 is not rendered by JupyterLab 4). */
export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

interface VegaLiteModule { compile(spec: unknown, opt?: { logger?: unknown }): { spec: unknown } }
interface VegaView { toSVG(): Promise<string>; finalize(): void }
interface VegaModule {
  parse(spec: unknown): unknown;
  View: new (runtime: unknown, opts: { renderer: "none"; logLevel?: number }) => VegaView;
  Error: number;
}

let modules: { vl: VegaLiteModule; vega: VegaModule } | undefined;

// vega and vega-lite load in ~200 ms: only when the first chart renders.
function load(): { vl: VegaLiteModule; vega: VegaModule } {
  return (modules ??= { vl: require("vega-lite") as VegaLiteModule, vega: require("vega") as VegaModule });
}

/** What rendering produced: the SVG, and Vega-Lite's warnings (e.g. a field that is not in the data). */
export interface Rendered { svg: string; warnings: string[] }

/**
 * Renders a Vega-Lite spec (with inline data) to SVG in-process, without a browser or canvas, so
 * saved notebooks, nbconvert and GitHub show the chart without JavaScript.
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<Rendered> {
  const { vl, vega } = load();
  const warnings: string[] = [];
  const logger = {
    level(this: unknown) { return this; },
    warn: (...a: unknown[]) => { warnings.push(a.join(" ")); return logger; },
    info: () => logger,
    debug: () => logger,
    error: (...a: unknown[]) => { throw new Error(a.join(" ")); },
  };
  // A copy: vega tags the data objects it ingests, and `spec` is also sent as the chart's JSON.
  const compiled = vl.compile(JSON.parse(JSON.stringify(spec)), { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.Error });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}
