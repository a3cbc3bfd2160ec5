/**
 * The streamlab package as `require("streamlab")` gives it: the engine's whole API, and each
 * started StreamingContext gets its Streaming page (Spark's web UI; `ssc.uiWebUrl()`), unless
 * `spark.ui.enabled` is false. The engine itself never loads the UI: this entry installs it.
 */
export * from "./engine/index";
import { installWebUi } from "./ui/index";

installWebUi();
