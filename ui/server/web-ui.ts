import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo, Socket } from "net";
import * as path from "path";
import { WebSocket, WebSocketServer } from "ws";
import { log } from "../../engine/log";
import type { StreamingContext } from "../../engine/streaming-context";
import type { WebUiHandle } from "../../engine/ui-hooks";
import { backpressureSpec, histogramSpec, inputStreamsSpec, memorySpec, METRICS, timelineSpec } from "../model/charts";
import type { UiMessage } from "../model/ui-state";
import { bundleCommonJs } from "./bundle";
import { PAGE_CSS, pageHtml } from "./page";
import { StreamingUiModel } from "./ui-model";

/** Spark's `spark.ui.port` default. */
export const DEFAULT_UI_PORT = 4040;
/** Spark's `spark.port.maxRetries` default: ports tried after the first. */
export const DEFAULT_PORT_RETRIES = 16;
/** The only address the page listens on. */
export const UI_HOST = "127.0.0.1";

/** How the environment wants the page started. */
export interface WebUiOptions {
  /** Called with the URL once the server listens (`streamlab submit` prints it). */
  announce?: (url: string) => void;
  /**
   * Log Spark's "could not bind on port 4040. Attempting port 4041." as a warning (default) or as
   * info. The kernel uses info: the warning would land under whichever cell runs, and the
   * dashboard shows the page's URL anyway.
   */
  portWarnings?: boolean;
}

/** Updates to a page are sent at most this often (changes in between are coalesced into one message). */
export const PUSH_INTERVAL_MS = 500;
/** A page whose socket has this much unsent is skipped, then sent a fresh snapshot once it drains. */
const MAX_BUFFERED_BYTES = 1 << 20;
const MEMORY_SAMPLE_MS = 1000;

interface Client { ws: WebSocket; stale: boolean }

/**
 * One context's Streaming page: an HTTP server and a WebSocket on 127.0.0.1, from `ssc.start()`
 * until the context stops. Every request needs the token (`?token=` or `Authorization: token …`)
 * and a Host of 127.0.0.1 or localhost; a request or WebSocket from another Origin is refused.
 * The page gets the whole state when it connects and then the changes, coalesced to at most one
 * message per 500 ms.
 */
export class WebUi implements WebUiHandle {
  /** The page's URL with the token, once listening. */
  url: string | undefined;
  /** The port, once listening. */
  port: number | undefined;
  /** Resolves with the URL once listening (undefined if it could not bind). */
  readonly ready: Promise<string | undefined>;
  readonly model: StreamingUiModel;
  readonly token: string;
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 4096 });
  private readonly clients = new Set<Client>();
  private readonly sockets = new Set<Socket>();
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  private readonly memoryTimer: NodeJS.Timeout;
  private stopped = false;
  /** Messages sent to pages so far (the load test reads it). */
  messagesSent = 0;

  constructor(private readonly ssc: StreamingContext, private readonly options: WebUiOptions = {}) {
    this.token = ssc.conf.get("streamlab.ui.token") ?? crypto.randomBytes(24).toString("hex");
    this.model = new StreamingUiModel(ssc);
    this.model.onChange = () => this.scheduleFlush();
    ssc.addStreamingListener(this.model);
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.on("connection", (s) => { s.unref(); this.sockets.add(s); s.on("close", () => this.sockets.delete(s)); });
    this.server.on("upgrade", (req, socket, head) => this.upgrade(req, socket as Socket, head));
    this.memoryTimer = setInterval(() => this.model.sampleMemory(Date.now(), process.memoryUsage()), MEMORY_SAMPLE_MS);
    this.memoryTimer.unref();
    this.model.sampleMemory(Date.now(), process.memoryUsage());
    this.ready = this.listen().catch((e) => {
      log().warn(`SparkUI: the web UI could not start: ${(e as Error).message}`);
      return undefined;
    });
  }

  private async listen(): Promise<string | undefined> {
    const conf = this.ssc.conf;
    const base = conf.getNumber("spark.ui.port", DEFAULT_UI_PORT);
    const retries = conf.getNumber("spark.port.maxRetries", DEFAULT_PORT_RETRIES);
    if (!Number.isInteger(base) || base < 0 || base > 65535) throw new Error(`spark.ui.port=${base} is not a port: use a whole number from 1024 to 65535, or 0 for any free port.`);
    for (let i = 0; ; i++) {
      const port = base === 0 ? 0 : base + i;
      try {
        await new Promise<void>((resolve, reject) => {
          const onError = (e: Error) => { this.server.off("listening", onListening); reject(e); };
          const onListening = () => { this.server.off("error", onError); resolve(); };
          this.server.once("error", onError);
          this.server.once("listening", onListening);
          this.server.listen(port, UI_HOST);
        });
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== "EADDRINUSE" || base === 0 || i >= retries || port >= 65535) throw e;
        const message = `Utils: Service 'SparkUI' could not bind on port ${port}. Attempting port ${port + 1}.`;
        if (this.options.portWarnings === false) log().info(message); else log().warn(message);
      }
    }
    this.server.unref();
    this.port = (this.server.address() as AddressInfo).port;
    if (this.stopped) { this.server.close(); return undefined; }
    this.url = `http://${UI_HOST}:${this.port}/streaming/?token=${encodeURIComponent(this.token)}`;
    log().info(`SparkUI: Bound SparkUI to ${UI_HOST}, and started at ${this.url}`);
    this.options.announce?.(this.url);
    return this.url;
  }

  /** Sends the last changes, tells the pages the context stopped, closes everything. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ssc.removeStreamingListener(this.model);
    clearInterval(this.memoryTimer);
    if (this.model.state.app.state !== "stopped") this.model.onStreamingStopped();
    this.flush();
    for (const c of this.clients) c.ws.close(1001, "the StreamingContext stopped");
    this.server.close();
    for (const s of this.sockets) s.destroy();
    this.url = undefined;
  }

  // ---- access ------------------------------------------------------------------------------

  private allowedOrigins(): string[] {
    return [`http://${UI_HOST}:${this.port}`, `http://localhost:${this.port}`];
  }

  /** Why a request is refused, or undefined when it may go on. */
  private refusal(req: http.IncomingMessage, url: URL): string | undefined {
    const host = req.headers.host ?? "";
    if (!this.allowedOrigins().some((o) => o === `http://${host}`)) return "unknown Host";
    const origin = req.headers.origin;
    if (origin !== undefined && !this.allowedOrigins().includes(origin)) return "foreign Origin";
    const auth = req.headers.authorization;
    const given = url.searchParams.get("token") ?? (auth?.startsWith("token ") ? auth.slice(6) : undefined);
    if (given === undefined || !sameSecret(given, this.token)) return "missing or wrong token";
    return undefined;
  }

  private upgrade(req: http.IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== "/ws" || this.refusal(req, url) || this.stopped) {
      socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws));
  }

  private connected(ws: WebSocket): void {
    // Pages already open get what is pending first: the snapshot below includes it, so no page sees a change twice.
    this.flush();
    const client: Client = { ws, stale: false };
    this.clients.add(client);
    ws.on("close", () => this.clients.delete(client));
    ws.on("error", () => this.clients.delete(client));
    ws.on("message", () => {});
    this.send(client, { type: "snapshot", state: this.model.state });
  }

  // ---- pushing -----------------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushTimer || this.stopped) return;
    const wait = Math.max(0, this.lastFlush + PUSH_INTERVAL_MS - Date.now());
    this.flushTimer = setTimeout(() => { this.flushTimer = undefined; this.flush(); }, wait);
    this.flushTimer.unref();
  }

  private flush(): void {
    if (this.flushTimer) { clearTimeout(this.flushTimer); this.flushTimer = undefined; }
    this.lastFlush = Date.now();
    const update = this.model.takeUpdate();
    if (!update || this.clients.size === 0) return;
    const text = JSON.stringify({ type: "update", update } satisfies UiMessage);
    for (const c of this.clients) {
      if (c.ws.readyState !== WebSocket.OPEN) continue;
      if (c.ws.bufferedAmount > MAX_BUFFERED_BYTES) { c.stale = true; continue; }
      if (c.stale) { c.stale = false; this.send(c, { type: "snapshot", state: this.model.state }); continue; }
      c.ws.send(text);
      this.messagesSent++;
    }
  }

  private send(c: Client, m: UiMessage): void {
    if (c.ws.readyState !== WebSocket.OPEN) return;
    c.ws.send(JSON.stringify(m));
    this.messagesSent++;
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://localhost");
    const refused = this.refusal(req, url);
    const headers = { "Cache-Control": "no-store", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer" };
    const reply = (status: number, type: string, body: string | Buffer) => {
      res.writeHead(status, { ...headers, "Content-Type": type });
      res.end(body);
    };
    if (refused) return reply(403, "text/plain; charset=utf-8", `403 Forbidden: ${refused}. Open the URL that ssc.uiWebUrl() returns (it carries the token).\n`);
    if (req.method !== "GET" && req.method !== "HEAD") return reply(405, "text/plain", "405 Method Not Allowed\n");
    const token = encodeURIComponent(this.token);
    try {
      switch (url.pathname) {
        case "/":
        case "/streaming":
          res.writeHead(302, { ...headers, Location: `/streaming/?token=${token}` });
          return void res.end();
        case "/streaming/":
        case "/streaming/batch/":
          return reply(200, "text/html; charset=utf-8", pageHtml(this.ssc.appName, this.token));
        case "/static/streaming.css":
          return reply(200, "text/css; charset=utf-8", PAGE_CSS);
        case "/static/streaming.js":
          return reply(200, "text/javascript; charset=utf-8", pageScript());
        case "/static/vega.min.js":
          return reply(200, "text/javascript; charset=utf-8", vegaScript());
        case "/api/state":
          return reply(200, "application/json", JSON.stringify(this.model.state));
        case "/api/specs":
          return reply(200, "application/json", JSON.stringify(compiledSpecs(this.ssc.batchDuration)));
        case "/api/batch": {
          const batch = this.model.batch(Number(url.searchParams.get("id")));
          return batch ? reply(200, "application/json", JSON.stringify(batch)) : reply(404, "application/json", JSON.stringify({ error: "no such batch: it is older than spark.streaming.ui.retainedBatches, or not yet submitted" }));
        }
        default:
          return reply(404, "text/plain", "404 Not Found\n");
      }
    } catch (e) {
      return reply(500, "text/plain", `500: ${(e as Error).message}\n`);
    }
  }
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a), y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

let rootDir: string | undefined;
/** The streamlab package's directory (built or from source). */
function packageRoot(): string {
  if (rootDir) return rootDir;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (fs.existsSync(manifest) && JSON.parse(fs.readFileSync(manifest, "utf8")).name === "streamlab") return (rootDir = dir);
    if (path.dirname(dir) === dir) throw new Error(`cannot find the streamlab package above ${__dirname}`);
  }
}

let script: string | undefined;
/** The page's script: the compiled front-end (dist/ui-browser, built by `npm run build`) in one file. */
function pageScript(): string {
  if (script) return script;
  const entry = path.join(packageRoot(), "dist", "ui-browser", "browser", "app.js");
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: run \`npm run build\``);
  return (script = bundleCommonJs(entry));
}

let vega: Buffer | undefined;
/** Vega's browser build, from the installed package (nothing is fetched from outside). */
function vegaScript(): Buffer {
  return (vega ??= fs.readFileSync(path.join(path.dirname(require.resolve("vega/package.json")), "build", "vega.min.js")));
}

const compiled = new Map<number, unknown>();
/** The page's charts as Vega specs (compiled from Vega-Lite here, so the page needs only vega). */
function compiledSpecs(batchDuration: number): unknown {
  const hit = compiled.get(batchDuration);
  if (hit) return hit;
  const vl = require("vega-lite") as { compile(spec: unknown): { spec: unknown } };
  const c = (spec: unknown) => vl.compile(spec).spec;
  const specs = {
    timelines: Object.fromEntries(METRICS.map((m) => [m.key, c(timelineSpec(m.key, batchDuration))])),
    histograms: Object.fromEntries(METRICS.map((m) => [m.key, c(histogramSpec(m.key))])),
    inputStreams: c(inputStreamsSpec()),
    backpressure: c(backpressureSpec()),
    memory: c(memorySpec()),
  };
  compiled.set(batchDuration, specs);
  return specs;
}
