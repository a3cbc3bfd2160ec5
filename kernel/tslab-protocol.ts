import * as util from "util";
import { setCurrentOwner } from "../engine/ownership";
import { processWrite } from "./background";
import { CellExecutor, CellInterrupted, ConverterSet, createCellExecutor, ExecutorConsole } from "./cell-executor";
import { CellRun, cellLabel, currentCell, executingCell, scopes, setExecuting } from "./cells";
import { cellTraceback, recordCellCode } from "./error-text";
import { packageRoot } from "./package-root";
import { replacePrevious } from "./rerun";

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
 *   (tslab wrote "abort", the messaging docs' typo, jupyter_client#1063);
 * - shell requests are handled one after the other, as ipykernel does: each one's `busy` is sent
 *   when it starts and its `idle` when it ends, so the status stays Busy while any cell runs
 *   (tslab announced every queued request at once: the previous cell's idle arrived after the
 *   next cell's busy, and the status bar said Idle under a running cell). Control requests
 *   (shutdown) are not queued;
 * - each execution knows its notebook cell (`cellId` in the request's metadata) and runs in that
 *   cell's scope (cells.ts): the engine's owner is set around it, a re-run first replaces what
 *   the cell's previous run defined (rerun.ts), and its output goes to its own request;
 * - failed cells show the error's name, code and message and the user's frames (error-text.ts);
 * - execute_input is sent (tslab sent none), as ipykernel does: JupyterLab times cells from it.
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
type DisplayWriter = ((data: unknown, update: boolean) => void) & { cell?: Execution };

/** One execute_request while it runs: its cell run and what its code reported. */
interface Execution extends CellRun {
  handler: HandlerLike;
  errors: Array<{ ename: string; evalue: string; traceback: string[] }>;
}

/** tslab fails a cell with its ExecutionCount (not exported); isExecutionCount recognizes this one too. */
class ExecutionCount {
  constructor(readonly count: number) {}
}

let current: Execution | undefined;

const writeToCurrentCell = (data: unknown, update: boolean) =>
  currentCell()?.send(update ? "update_display_data" : "display_data", data as Record<string, unknown>);

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

  // tslab's handleExecuteImpl, run in the cell's scope with the engine's owner set, after the
  // previous run of the same cell was replaced. Output is routed by scope (background.ts), not by
  // swapping process.stdout.write for the latest cell's.
  jupyter.JupyterHandlerImpl.prototype.handleExecuteImpl = async function (this: HandlerLike & { executor: CellExecutor }, req: { code: string }, _writeStream: StreamWriter, writeDisplayData: DisplayWriter) {
    const cell = writeDisplayData.cell as Execution;
    current = cell;
    // tslab's display API (require("tslab").display) writes through this: to the cell whose
    // code calls it, even from a callback that cell scheduled, not to the latest cell.
    jupyter.lastWriteDisplayData = writeToCurrentCell;
    cell.count = ++this.execCount;
    // As ipykernel: the code and its execution count, before anything the code shows.
    cell.send("execute_input", { code: req.code, execution_count: cell.count });
    setExecuting(cell);
    const label = cellLabel(cell);
    await replacePrevious(cell);
    const previousOwner = setCurrentOwner(label);
    try {
      const ok = await scopes.run({ kind: "cell", cell }, () =>
        this.executor.execute(req.code, { fileName: label, onCompiled: (js) => recordCellCode(label, req.code, js) }));
      if (!ok) throw new ExecutionCount(cell.count);
      return new ExecutionCount(cell.count);
    } finally {
      setCurrentOwner(previousOwner);
    }
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
    const metadata = (msg as unknown as { metadata?: { cellId?: unknown } }).metadata;
    const cellId = typeof metadata?.cellId === "string" && metadata.cellId !== "" ? metadata.cellId : String(msg.header.msg_id);
    const cell: Execution = { cellId, count: 0, send, finished: false, replaced: false, contextWaits: 0, handler: this.handler, errors: [] };
    const writeStream: StreamWriter = (name, text) => send("stream", { name, text });
    const writeDisplayData: DisplayWriter = Object.assign((data: unknown, update: boolean) => send(update ? "update_display_data" : "display_data", data as Record<string, unknown>), { cell });
    let content: Record<string, unknown>;
    try {
      content = await this.handler.handleExecute(msg.content, writeStream, writeDisplayData);
    } finally {
      if (executingCell() === cell) setExecuting(undefined);
      if (current === cell) current = undefined;
    }
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
    cell.finished = true;
  };

  jupyter.ZmqServer.prototype.handleCommInfoRequest = function (this: ZmqServerLike, sock: unknown, msg: ZmqMessage) {
    const reply = msg.createReply();
    reply.header.msg_type = "comm_info_reply";
    reply.content = { status: "ok", comms: {} };
    reply.signAndSend(this.connInfo.key, sock);
  };

  installHistoryReply(jupyter.ZmqServer.prototype);

  executor.createExecutor = (rootDir: string, convs: ConverterSet) => createCellExecutor(rootDir, convs, executorConsole);
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
  const handleOne = async function (this: ZmqServerLike, sock: unknown, ...raw: Buffer[]) {
    if (!messageClass || rawMsgType(raw) !== "history_request") return handleShellMessage.call(this, sock, ...raw);
    const msg = messageClass.fromRaw(this.connInfo.key, raw); // verifies the signature
    this.publishStatus("busy", msg);
    const reply = msg.createReply();
    reply.header.msg_type = "history_reply";
    reply.content = { status: "ok", history: [] };
    reply.signAndSend(this.connInfo.key, sock);
    this.publishStatus("idle", msg);
  };
  // One shell request at a time, in arrival order (tslab's receive loop does not await them).
  let queue: Promise<void> = Promise.resolve();
  server.handleShellMessage = function (this: ZmqServerLike & { control?: unknown }, sock: unknown, ...raw: Buffer[]) {
    if (sock === this.control) return handleOne.call(this, sock, ...raw);
    const next = () => handleOne.call(this, sock, ...raw).catch((e) => { processWrite.stderr(`streamlab: handling a shell message failed: ${(e as Error)?.stack ?? e}\n`); });
    queue = queue.then(next, next);
    return queue;
  };
}

/** The console tslab's executor reports through: only its own messages, never the user's. */
const executorConsole: ExecutorConsole = {
  // The executor logs exactly one thing: the value of the cell's last expression.
  log(value: unknown) {
    if (!current) return void console.log(value);
    // Output operations return a handle where Spark returns Unit: `counts.print()` as a cell's
    // last line shows nothing, as in Spark's shell.
    if (isOutputHandle(value)) return;
    const text = typeof value === "string" ? value : util.inspect(value);
    current.send("execute_result", { execution_count: current.count, data: { "text/plain": text }, metadata: {} });
  },
  error(...args: unknown[]) {
    if (!current) return void console.error(...args);
    current.errors.push(describeError(args));
  },
};

function isOutputHandle(v: unknown): boolean {
  const h = v as { stop?: unknown; status?: unknown; id?: unknown } | null;
  return typeof h === "object" && h !== null && typeof h.stop === "function" && typeof h.status === "function" && typeof h.id === "number";
}

function describeError(args: unknown[]): { ename: string; evalue: string; traceback: string[] } {
  const [first] = args;
  if (args.length === 1 && first instanceof CellInterrupted) return { ename: first.name, evalue: first.message, traceback: [`${first.name}: ${first.message}`] };
  if (args.length === 1 && first instanceof Error) return { ename: first.name, evalue: first.message, traceback: cellTraceback(first) };
  if (args.length === 1 && first !== null && typeof first === "object" && "message" in first) {
    const e = first as { name?: unknown; message: unknown; stack?: unknown };
    return { ename: String(e.name ?? "Error"), evalue: String(e.message), traceback: String(e.stack ?? e.message).split("\n") };
  }
  if (args.length === 1) return { ename: "Error", evalue: util.inspect(first), traceback: [`Uncaught ${util.inspect(first)}`] };
  // Diagnostics: ("%s%d:%d - %s", file, line, column, message).
  const text = util.format(...args);
  return { ename: "CompileError", evalue: text, traceback: [text] };
}
