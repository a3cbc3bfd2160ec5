/**
 * streamlab as notebooks see it: the engine's whole public API, plus the notebook outputs that the
 * kernel adds to DStream and StreamingContext (display, chart, dashboard). Outside a kernel those
 * outputs fall back to text on stdout.
 */
export * from "../engine/index";

// Notebook outputs attach themselves to DStream and StreamingContext when loaded.
import "./display";
export type { DisplayOptions } from "./display";
import "./chart";
export type { ChartOptions } from "./chart-spec";
import "./print-output";
export type { PrintOptions } from "./print-output";
import "./dashboard";
export type { DashboardOptions } from "./dashboard";
