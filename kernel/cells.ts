import { AsyncLocalStorage } from "async_hooks";

/**
 * The notebook cells as the kernel sees them: which execute_request is running, which cell each
 * piece of code (and each callback it scheduled) came from, and what each cell's last run defined.
 *
 * A cell is identified by the `cellId` JupyterLab and nbclient put in the execute_request's
 * metadata; without one (other frontends), each execution is its own cell. The engine's owner of
 * everything a run defines is its label, `cell [N]` (N: the execution count), unique per run.
 */

/** One execute_request: the run of one cell. */
export interface CellRun {
  /** The notebook cell (metadata.cellId), or the request's msg_id when the frontend sent none. */
  readonly cellId: string;
  /** The execution count; 0 until the run starts. */
  count: number;
  /** Sends an IOPub message whose parent is this request (so it shows under this cell). */
  send(msgType: string, content: Record<string, unknown>): void;
  /** True once the execute_reply was sent. */
  finished: boolean;
  /** True once the cell ran again: its displays are gone from the screen and get no more updates. */
  replaced: boolean;
  /**
   * How many waits on a StreamingContext (`awaitTermination`, `awaitTerminationOrTimeout`, `stop`)
   * this cell's code has pending: while one is, the batches' display updates belong to this cell.
   */
  contextWaits: number;
}

/** `cell [N]`: how messages and titles name a cell run (JupyterLab shows `[N]` beside it). */
export function cellLabel(run: CellRun): string {
  return `cell [${run.count}]`;
}

/** What the code running now belongs to: a cell's code (and its callbacks), or an output's batch job. */
export type Scope = { kind: "cell"; cell: CellRun } | { kind: "job"; owner: string | undefined; outputOpId: number; batchTime: number; name: string };

/** Propagates the scope through callbacks and promises (a callback a cell scheduled belongs to it). */
export const scopes = new AsyncLocalStorage<Scope>();

let executing: CellRun | undefined;
const runsByLabel = new Map<string, CellRun>();

/** The cell whose execute_request is being handled now, if any. */
export function executingCell(): CellRun | undefined {
  return executing;
}

/** The cell the running code belongs to: its scope's cell, else the executing one. */
export function currentCell(): CellRun | undefined {
  const scope = scopes.getStore();
  return scope?.kind === "cell" ? scope.cell : scope?.kind === "job" ? undefined : executing;
}

/** The run that owns `owner` (`cell [N]`), if this kernel ran it. */
export function runOf(owner: string | undefined): CellRun | undefined {
  return owner === undefined ? undefined : runsByLabel.get(owner);
}

/** Marks `run` as executing now (or none); records it so its owner label finds it later. */
export function setExecuting(run: CellRun | undefined): void {
  executing = run;
  if (run && run.count > 0) runsByLabel.set(cellLabel(run), run);
}

/** The previous run of each cell (by cellId), for re-runs. */
const lastRunOfCell = new Map<string, CellRun>();

/** The previous run of `run`'s cell, and records `run` as its latest. */
export function replacePreviousRun(run: CellRun): CellRun | undefined {
  const previous = lastRunOfCell.get(run.cellId);
  lastRunOfCell.set(run.cellId, run);
  return previous === run ? undefined : previous;
}
