/**
 * streamlab's web UI: Spark's Streaming tab for each running StreamingContext, on 127.0.0.1 with
 * a token, pushed live over a WebSocket. It reads the engine only through its listener events and
 * is started by the engine's `webUiHooks`, which `installWebUi()` sets (the package's main entry,
 * the kernel runtime and `streamlab submit` call it).
 */
import { webUiHooks } from "../engine/ui-hooks";
import type { StreamingContext } from "../engine/streaming-context";
import { WebUi, WebUiOptions } from "./server/web-ui";

export { WebUi, DEFAULT_UI_PORT, UI_HOST } from "./server/web-ui";
export type { WebUiOptions } from "./server/web-ui";
export { StreamingUiModel } from "./server/ui-model";

let options: WebUiOptions = {};
const running = new WeakMap<StreamingContext, WebUi>();

/**
 * Makes every context started from now on start its page (unless `spark.ui.enabled` is false).
 * Idempotent; options given later are merged in (a later call without options keeps them).
 */
export function installWebUi(more: WebUiOptions = {}): void {
  options = { ...options, ...Object.fromEntries(Object.entries(more).filter(([, v]) => v !== undefined)) };
  webUiHooks.start = (ssc) => {
    const ui = new WebUi(ssc, options);
    running.set(ssc, ui);
    return ui;
  };
}

/** The page of a started context, if it has one (tests await `ready` on it). */
export function webUiOf(ssc: StreamingContext): WebUi | undefined {
  return running.get(ssc);
}
