import { randomBytes } from "crypto";
import { BundleRenderer, LiveOutput, MimeBundle } from "./live-output";

/** The content of a Jupyter `display_data` / `update_display_data` message. */
export interface DisplayContent {
  data: MimeBundle;
  metadata: Record<string, unknown>;
  transient: { display_id: string };
}

/**
 * Sends one display message on IOPub; `update` selects `update_display_data`. tslab's
 * The kernel's routes by the display's cell (runtime.ts), a capturing fake in tests.
 */
export type DisplayPort = (content: DisplayContent, update: boolean) => void;

/** Real-time scheduling, injectable for tests. */
export interface DisplayTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
}

const realTimers: DisplayTimers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
};

/**
 * Default minimum time between two redraws of one output. JupyterLab stops forwarding IOPub above
 * 1000 messages/s, and each Vega-Lite update re-embeds the whole chart, so fast streams are
 * coalesced: the latest state wins, intermediate ones are skipped.
 */
export const DEFAULT_MIN_INTERVAL_MS = 100;

/**
 * A live output bound to one Jupyter display id: `display_data` at creation (while the defining
 * cell runs), then `update_display_data` with the same id, at most one per `minIntervalMs`.
 */
export class JupyterDisplay implements LiveOutput {
  readonly displayId = randomBytes(8).toString("hex");
  private pending: BundleRenderer | undefined;
  private lastSent = -Infinity;
  private timerSet = false;
  private sending: Promise<void> = Promise.resolve();
  private lastData: MimeBundle;

  constructor(private readonly port: DisplayPort, initial: MimeBundle, private readonly minIntervalMs = DEFAULT_MIN_INTERVAL_MS,
    private readonly timers: DisplayTimers = realTimers) {
    this.lastData = initial;
    this.send(initial, false);
  }

  update(render: BundleRenderer): void {
    this.pending = render;
    if (this.timerSet) return;
    const wait = this.lastSent + this.minIntervalMs - this.timers.now();
    if (wait <= 0) { void this.flush(); return; }
    this.timerSet = true;
    this.timers.setTimeout(() => { this.timerSet = false; void this.flush(); }, wait);
  }

  flush(resend = false): Promise<void> {
    const render = this.pending;
    this.pending = undefined;
    if (!render && resend) {
      // Sent again while a cell runs: nbclient keeps only the executing cell's messages, so an
      // update made between cells would otherwise be missing from the saved notebook.
      this.sending = this.sending.then(() => this.send(this.lastData, true));
    } else if (render) {
      this.lastSent = this.timers.now();
      this.sending = this.sending.then(async () => this.send(await render(), true)).catch((e) => {
        this.send({ "text/plain": `streamlab: could not render this output: ${(e as Error)?.message ?? e}` }, true);
      });
    }
    return this.sending;
  }

  private send(data: MimeBundle, update: boolean): void {
    this.lastData = data;
    this.port({ data, metadata: {}, transient: { display_id: this.displayId } }, update);
  }
}
