import type { StreamingContext } from "./streaming-context";

/** A context's running web UI, as the engine sees it. */
export interface WebUiHandle {
  /** The page's URL with its token, once the server listens; undefined before. */
  readonly url: string | undefined;
  /** Stops the server (the context stopped). */
  stop(): void;
}

/**
 * How an environment gives each started context its web UI (Spark's Streaming tab). The engine
 * never imports the UI: the package's main entry, the kernel runtime and `streamlab submit`
 * install `start`; tests that load the engine alone get no UI.
 */
export interface WebUiHooks {
  /** Called by `start()` unless `spark.ui.enabled` is false; registers its listener on `ssc`. */
  start?(ssc: StreamingContext): WebUiHandle | undefined;
}

/** The installed hooks; empty when only the engine is loaded. */
export const webUiHooks: WebUiHooks = {};
