import * as http from "http";
import * as net from "net";
import WebSocket from "ws";
import { ManualClock, StreamingContext } from "../../index";
import { webUiOf, WebUi } from "../../ui/index";
import type { UiMessage } from "../../ui/model/ui-state";

export const T0 = 1513517144000;

/** A started context on a ManualClock with its page on a free port (conf `spark.ui.port=0`). */
export async function startedContext(conf: Record<string, string | number | boolean> = {}, batches: string[][] = [["a b", "c"], ["d"], []]) {
  const clock = new ManualClock(T0);
  const ssc = new StreamingContext({ appName: "UiTest", master: "local[2]", batchDuration: 1000, clock, conf: { "spark.ui.port": 0, ...conf } });
  const counts = ssc.queueStream(batches).flatMap((l: string) => l.split(" ")).mapToPair((w: string) => [w, 1] as [string, number]).reduceByKey((a: number, b: number) => a + b);
  counts.foreachRDD(() => {});
  ssc.start();
  const ui = webUiOf(ssc) as WebUi;
  const url = ui ? await ui.ready : undefined;
  return { ssc, clock, ui, url: url as string, counts };
}

/** GET `path` on the page's server; resolves with status and body. */
export function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
  });
}

/** Opens the page's WebSocket; resolves with the socket and the messages it gets, or rejects with the HTTP status of a refusal. */
export function openSocket(port: number, query: string, origin?: string): Promise<{ ws: WebSocket; messages: UiMessage[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws${query}`, origin ? { origin } : {});
    const messages: UiMessage[] = [];
    ws.on("message", (d) => messages.push(JSON.parse(String(d)) as UiMessage));
    ws.on("open", () => resolve({ ws, messages }));
    ws.on("unexpected-response", (_req, res) => { reject(Object.assign(new Error(`refused with ${res.statusCode}`), { status: res.statusCode })); ws.terminate(); });
    ws.on("error", (e) => reject(e));
  });
}

/** Waits (bounded) until `cond()` holds. */
export async function until(cond: () => boolean, what: string, timeoutMs = 20000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A port that was free a moment ago, with `count` free ports from it. */
export async function freePorts(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 30000);
    const servers: net.Server[] = [];
    let ok = true;
    for (let i = 0; i < count && ok; i++) {
      ok = await new Promise<boolean>((resolve) => {
        const s = net.createServer();
        s.once("error", () => resolve(false));
        s.listen(base + i, "127.0.0.1", () => { servers.push(s); resolve(true); });
      });
    }
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    if (ok) return base;
  }
  throw new Error("no free port range");
}
