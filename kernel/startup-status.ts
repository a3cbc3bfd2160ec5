import * as crypto from "crypto";
import { executingCell } from "./cells";

/** After a bind, when the status is said again: a frontend's SUB socket may join late. */
const REPEAT_AFTER_MS = [0, 1000, 3000];

interface ZmqServerInternals {
  connInfo: { key: string; signature_scheme?: string };
  iopub: { send(frames: Array<string | Buffer>): Promise<void> | void };
  init(): Promise<void>;
}

/**
 * Publishes `status: starting`, then `idle`, with an empty parent header once the kernel's sockets
 * are bound, as ipykernel does. JupyterLab ignores a status whose parent is a kernel_info_request,
 * and after Jupyter restarts a dead kernel that is the only request it sends: without this, its
 * status bar said "Unknown" after a `kill -9` until a cell ran. The idle is said again a few times
 * (never while a cell runs), since the server's subscription to the new kernel may start after
 * the first one was sent.
 */
export function installStartupStatus(): void {
  const jupyter = require("tslab/dist/jupyter.js") as { ZmqServer: { prototype: ZmqServerInternals } };
  const init = jupyter.ZmqServer.prototype.init;
  jupyter.ZmqServer.prototype.init = async function (this: ZmqServerInternals): Promise<void> {
    await init.call(this);
    const session = crypto.randomUUID();
    publishStatus(this, session, "starting");
    for (const delay of REPEAT_AFTER_MS) {
      setTimeout(() => { if (!executingCell()) publishStatus(this, session, "idle"); }, delay).unref();
    }
  };
}

function publishStatus(server: ZmqServerInternals, session: string, state: "starting" | "idle"): void {
  const header = {
    msg_id: crypto.randomUUID(), msg_type: "status", username: "kernel", session,
    date: new Date().toISOString(), version: "5.3",
  };
  const bodies = [header, {}, {}, { execution_state: state }].map((part) => JSON.stringify(part));
  const signature = server.connInfo.key
    ? bodies.reduce((hmac, body) => hmac.update(body), crypto.createHmac("sha256", server.connInfo.key)).digest("hex")
    : "";
  try {
    void Promise.resolve(server.iopub.send([Buffer.from("status"), "<IDS|MSG>", signature, ...bodies])).catch(() => undefined);
  } catch {
    // A socket closed meanwhile (shutdown): nobody is left to tell.
  }
}
