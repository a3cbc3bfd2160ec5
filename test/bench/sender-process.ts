import { spawn } from "child_process";
import * as path from "path";

/** A running sender process (test/bench/sender.js). */
export interface Sender {
  port: number;
  /** Stops the sender; resolves with the time its line 0 was due (undefined if no client came). */
  stop(): Promise<number | undefined>;
}

/** Starts `node sender.js poolFile rate` and waits until it listens. */
export function startSender(poolFile: string, rate: number): Promise<Sender> {
  const child = spawn(process.execPath, [path.join(__dirname, "sender.js"), poolFile, String(rate)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  let t0: number | undefined;
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let resolved = false;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const t = /T0 (\d+)/.exec(out);
      if (t) t0 = Number(t[1]);
      const p = /PORT (\d+)/.exec(out);
      if (p && !resolved) {
        resolved = true;
        resolve({
          port: Number(p[1]),
          stop: async () => {
            child.kill("SIGTERM");
            await exited;
            return t0;
          },
        });
      }
    });
    child.on("exit", (code) => { if (!resolved) reject(new Error(`bench: sender exited with ${code} before listening`)); });
  });
}
