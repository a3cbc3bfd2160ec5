import * as util from "util";
import { packageRoot } from "./package-root";

/**
 * Brings tslab's replies closer to the Jupyter messaging protocol (v5.3), the way ipykernel
 * answers, so Jupyter's conformance suite, nbclient and JupyterLab get what they expect:
 * - kernel_info_reply carries `status: "ok"` and names the streamlab kernel;
 * - a failing cell sends an `error` message (ename, evalue, traceback) and its execute_reply
 *   carries the same fields; the texts are tslab's own (`line:col - message` for compile errors,
 *   the stack for runtime errors);
 * - a cell's last expression becomes an `execute_result` (tslab writes it to stdout);
 * - comm_info_reply has its own message type;
 * - history_request (JupyterLab sends one for every notebook it opens) gets a history_reply with
 *   an empty history, instead of no reply and an "unknown msg_type" warning: tslab keeps none;
 * - execute_request's `stop_on_error: false` is honoured (nbclient sends it for cells that may
 *   fail): the next cells run. tslab aborted every request for 200 ms after any failure;
 * - an aborted request's reply says `status: "aborted"`, as ipykernel's does and frontends expect
 *   (tslab wrote "abort", the messaging docs' typo, jupyter_client#1063).
 */

interface ZmqMessage {
  header: Record<string, unknown>;
  content: Record<string, unknown>;
  createReply(): ZmqMessage;
  signAndSend(key: string, sock: unknown): void;
}
interface ZmqServerLike {
  connInfo: { key: string };
  iopub: unknown;
  handler: HandlerLike;
  publishStatus(status: string, parent: ZmqMessage): void;
}
/** tslab's ZmqMessage class (not exported; taken from the first message it hands us). */
interface ZmqMessageClass { fromRaw(key: string, raw: Buffer[]): ZmqMessage }
interface HandlerLike {
  execCount: number;
  execQueue: { add<T>(task: () => Promise<T>): Promise<T>; reset(delayMs?: number): void };
  handleKernel(): Record<string, unknown>;
  handleExecute(req: unknown, writeStream: StreamWriter, writeDisplayData: DisplayWriter): Promise<Record<string, unknown>>;
  handleExecuteImpl(req: unknown, writeStream: StreamWriter, writeDisplayData: DisplayWriter): Promise<unknown>;
}
type StreamWriter = (name: string, text: string) => void;
type DisplayWriter = ((data: unknown, update: boolean) => void) & { cell?: CellRun };
interface ExecutorConsole { log(...a: unknown[]): void; error(...a: unknown[]): void }

/** One execute_request while it runs. */
interface CellRun {
  send(msgType: string, content: Record<string, unknown>): void;
  handler: HandlerLike;
  errors: Array<{ ename: string; evalue: string; traceback: string[] }>;
}

let current: CellRun | undefined;

/** Installs the protocol fixes into tslab's modules; call before startKernel. */
export function installProtocolFixes(): void {
  const jupyter = require("tslab/dist/jupyter.js");
  const executor = require("tslab/dist/executor.js");
  const tsVersion = require(require.resolve("@tslab/typescript-for-tslab/package.json", { paths: [require.resolve("tslab/package.json")] })).version;
  const version = JSON.parse(require("fs").readFileSync(require("path").join(packageRoot(), "package.json"), "utf8")).version;

  const handleKernel = jupyter.JupyterHandlerImpl.prototype.handleKernel;
  jupyter.JupyterHandlerImpl.prototype.handleKernel = function (this: HandlerLike) {
    const reply = handleKernel.call(this) as { language_info: Record<string, unknown> } & Record<string, unknown>;
    reply.language_info.version = tsVersion;
    return { status: "ok", ...reply, implementation: "streamlab", implementation_version: version, banner: `TypeScript (streamlab ${version}, tslab, TypeScript ${tsVersion}, Node ${process.version})` };
  };

  const handleExecuteImpl = jupyter.JupyterHandlerImpl.prototype.handleExecuteImpl;
  jupyter.JupyterHandlerImpl.prototype.handleExecuteImpl = function (this: HandlerLike, req: unknown, writeStream: StreamWriter, writeDisplayData: DisplayWriter) {
    current = writeDisplayData.cell;
    return handleExecuteImpl.call(this, req, writeStream, writeDisplayData);
  };

  const { TaskCanceledError } = require("tslab/dist/util.js") as { TaskCanceledError: new () => Error };
  // tslab's own handleExecute, except that a failure with stop_on_error false neither fails the
  // queue nor aborts what follows.
  jupyter.JupyterHandlerImpl.prototype.handleExecute = async function (this: HandlerLike, req: { stop_on_error?: boolean }, writeStream: StreamWriter, writeDisplayData: DisplayWriter) {
    const stopOnError = req.stop_on_error !== false;
    try {
      const run = await this.execQueue.add(async () => {
        try {
          return { count: await this.handleExecuteImpl(req, writeStream, writeDisplayData), failed: false };
        } catch (e) {
          if (stopOnError || !isExecutionCount(e)) throw e;
          return { count: e, failed: true };
        }
      });
      return { status: run.failed ? "error" : "ok", execution_count: (run.count as { count: number }).count };
    } catch (e) {
      if (e instanceof TaskCanceledError) return { status: "aborted", execution_count: undefined };
      if (!isExecutionCount(e)) console.error("unexpected error:", e);
      // As tslab does: the failed cell's queue stays rejected for 200 ms, aborting the requests
      // already queued behind it (yunabe/tslab#19), then starts afresh.
      this.execQueue.reset(200);
      return { status: "error", execution_count: isExecutionCount(e) ? e.count : undefined };
    }
  };

  jupyter.ZmqServer.prototype.handleExecute = async function (this: ZmqServerLike, sock: unknown, msg: ZmqMessage) {
    const send = (msgType: string, content: Record<string, unknown>) => {
      const m = msg.createReply();
      m.header.msg_type = msgType;
      m.content = content;
      m.signAndSend(this.connInfo.key, this.iopub);
    };
    const cell: CellRun = { send, handler: this.handler, errors: [] };
    const writeStream: StreamWriter = (name, text) => send("stream", { name, text });
    const writeDisplayData: DisplayWriter = Object.assign((data: unknown, update: boolean) => send(update ? "update_display_data" : "display_data", data as Record<string, unknown>), { cell });
    const content = await this.handler.handleExecute(msg.content, writeStream, writeDisplayData);
    if (content.status === "error") {
      const err = cell.errors[0] ?? { ename: "Error", evalue: "The cell failed.", traceback: [] };
      const traceback = cell.errors.flatMap((e) => e.traceback);
      send("error", { ename: err.ename, evalue: err.evalue, traceback });
      Object.assign(content, { ename: err.ename, evalue: err.evalue, traceback });
    } else if (content.status === "ok") {
      // Diagnostics of a %module cell do not fail it: show them as tslab does, on stderr.
      for (const e of cell.errors) writeStream("stderr", e.traceback.join("\n") + "\n");
    }
    const reply = msg.createReply();
    reply.header.msg_type = "execute_reply";
    reply.content = content;
    reply.signAndSend(this.connInfo.key, sock);
  };

  jupyter.ZmqServer.prototype.handleCommInfoRequest = function (this: ZmqServerLike, sock: unknown, msg: ZmqMessage) {
    const reply = msg.createReply();
    reply.header.msg_type = "comm_info_reply";
    reply.content = { status: "ok", comms: {} };
    reply.signAndSend(this.connInfo.key, sock);
  };

  installHistoryReply(jupyter.ZmqServer.prototype);

  const createExecutor = executor.createExecutor;
  executor.createExecutor = (rootDir: string, convs: unknown, _console: ExecutorConsole) => createExecutor(rootDir, convs, executorConsole);
}

/** tslab's handleExecuteImpl fails with its ExecutionCount (not exported) when a cell fails. */
function isExecutionCount(e: unknown): e is { count: number } {
  return typeof e === "object" && e !== null && e.constructor?.name === "ExecutionCount" && typeof (e as { count?: unknown }).count === "number";
}

const DELIMITER = "<IDS|MSG>";

/** The msg_type of a raw shell message (its header frame follows the delimiter and the signature). */
function rawMsgType(raw: Buffer[]): string | undefined {
  const i = raw.findIndex((b) => b.length === DELIMITER.length && b.toString() === DELIMITER);
  try {
    return i >= 0 && raw[i + 2] ? (JSON.parse(raw[i + 2].toString()) as { msg_type?: string }).msg_type : undefined;
  } catch {
    return undefined;
  }
}

function installHistoryReply(server: ZmqServerLike & { handleShellMessage(sock: unknown, ...raw: Buffer[]): Promise<void> }): void {
  let messageClass: ZmqMessageClass | undefined;
  const publishStatus = server.publishStatus;
  // Every shell message is announced with status busy first (kernel_info_request always comes first).
  server.publishStatus = function (this: ZmqServerLike, status: string, parent: ZmqMessage) {
    messageClass ??= parent.constructor as unknown as ZmqMessageClass;
    publishStatus.call(this, status, parent);
  };
  const handleShellMessage = server.handleShellMessage;
  server.handleShellMessage = async function (this: ZmqServerLike, sock: unknown, ...raw: Buffer[]) {
    if (!messageClass || rawMsgType(raw) !== "history_request") return handleShellMessage.call(this, sock, ...raw);
    const msg = messageClass.fromRaw(this.connInfo.key, raw); // verifies the signature
    this.publishStatus("busy", msg);
    const reply = msg.createReply();
    reply.header.msg_type = "history_reply";
    reply.content = { status: "ok", history: [] };
    reply.signAndSend(this.connInfo.key, sock);
    this.publishStatus("idle", msg);
  };
}

/** The console tslab's executor reports through: only its own messages, never the user's. */
const executorConsole: ExecutorConsole = {
  // The executor logs exactly one thing: the value of the cell's last expression.
  log(value: unknown) {
    if (!current) return void console.log(value);
    const text = typeof value === "string" ? value : util.inspect(value);
    current.send("execute_result", { execution_count: current.handler.execCount, data: { "text/plain": text }, metadata: {} });
  },
  error(...args: unknown[]) {
    if (!current) return void console.error(...args);
    current.errors.push(describeError(args));
  },
};

function describeError(args: unknown[]): { ename: string; evalue: string; traceback: string[] } {
  const [first] = args;
  if (args.length === 1 && first instanceof Error) {
    return { ename: first.name, evalue: first.message, traceback: (first.stack ?? `${first.name}: ${first.message}`).split("\n") };
  }
  if (args.length === 1 && first !== null && typeof first === "object" && "message" in first) {
    const e = first as { name?: unknown; message: unknown; stack?: unknown };
    return { ename: String(e.name ?? "Error"), evalue: String(e.message), traceback: String(e.stack ?? e.message).split("\n") };
  }
  if (args.length === 1) return { ename: "Error", evalue: util.inspect(first), traceback: [`Uncaught ${util.inspect(first)}`] };
  // Diagnostics: ("%s%d:%d - %s", file, line, column, message).
  const text = util.format(...args);
  return { ename: "CompileError", evalue: text, traceback: [text] };
}
