import { structuralFingerprint } from "./checkpoint/graph-fingerprint";
import { Errors } from "./errors/messages";
import type { DStream } from "./dstream/dstream";
import type { ForEachDStream, Job } from "./dstream/foreach-dstream";
import type { InputDStream } from "./dstream/input-dstream";
import type { OutputInfo } from "./scheduler/output-operation";

/** How many removed outputs `ssc.outputs()` still lists. */
const MAX_STOPPED_KEPT = 200;

/** Streams that left the graph at one boundary; let go once the batches before it completed. */
interface Retirement {
  streams: DStream<unknown>[];
  /** The newest batch generated while they were in the graph. */
  lastBatch: number | undefined;
  done: Array<() => void>;
}

/** What changed at one batch boundary. @internal */
export interface GraphChange {
  time: number;
  added: DStream<unknown>[];
  removed: DStream<unknown>[];
}

/**
 * The DStream graph of one context (Spark's DStreamGraph): every stream in creation order, the
 * input streams it starts, and the output streams it generates jobs from.
 *
 * While the context runs (with live changes on) streams and outputs defined meanwhile wait in
 * `joining`, and removals in `leaving`; both are applied at the next batch boundary, when the
 * job generator calls `applyChanges(time)`, never while a batch is being generated. A removed
 * stream is let go (its batches dropped, its input stopped) once every batch generated before
 * the boundary has completed.
 */
export class DStreamGraph {
  /** Every stream in the graph, in creation order. */
  readonly streams: DStream<unknown>[] = [];
  readonly inputStreams: InputDStream<unknown>[] = [];
  readonly outputStreams: ForEachDStream<unknown>[] = [];
  /** Every output operation defined on this graph and not yet let go. @internal */
  readonly allOutputs: ForEachDStream<unknown>[] = [];
  /** The last statuses of outputs let go (the newest MAX_STOPPED_KEPT), so `ssc.outputs()` still lists them. @internal */
  readonly stoppedOutputs: OutputInfo[] = [];
  zeroTime: number | undefined;
  startTime: number | undefined;
  rememberDuration: number | undefined;
  /**
   * The streams `getOrCreate`'s `create()` built, when the context came from getOrCreate: the
   * others (defined later, before or after start) are recorded in checkpoints as added later, to
   * be matched when their code runs again. @internal
   */
  createdIds: Set<number> | undefined;
  /** Input batches after this time are kept (see DStream.clearMetadata). @internal */
  historyPin: number | undefined;
  /** Called with each boundary's changes (recovery matches joining streams here). @internal */
  onChange: Array<(change: GraphChange) => void> = [];
  /** Changes whenever streams join or leave a started graph (what checkpoints cache by). @internal */
  version = 0;
  private nextStreamId = 0;
  private nextOutputId = 0;
  private readonly joining: DStream<unknown>[] = [];
  /** Members that no output read until an output defined since the last boundary. */
  private readonly waking: DStream<unknown>[] = [];
  private readonly leaving = new Map<DStream<unknown>, string | undefined>();
  private readonly retiring: Retirement[] = [];
  private readonly waitingForBoundary: Array<() => void> = [];

  constructor(readonly batchDuration: number) {}

  /** True once the graph started (its streams are initialized on the time grid). */
  get started(): boolean { return this.zeroTime !== undefined; }

  /** Adds a stream (at the next boundary when the graph runs); returns its id. @internal */
  register(stream: DStream<unknown>): number {
    if (this.started) this.joining.push(stream);
    else this.streams.push(stream);
    return this.nextStreamId++;
  }

  /** Records an input stream; it starts with the graph, or when it joins a running one. @internal */
  addInputStream(s: InputDStream<unknown>): void {
    if (!this.started) this.inputStreams.push(s);
  }

  /** Adds an output stream; returns its output operation id (definition order). @internal */
  addOutputStream(s: ForEachDStream<unknown>): number {
    this.allOutputs.push(s);
    if (!this.started) this.outputStreams.push(s);
    return this.nextOutputId++;
  }

  /** The next stream id: streams added later get this id or higher. @internal */
  reserveIdsBelow(id: number): void {
    this.nextStreamId = Math.max(this.nextStreamId, id);
  }

  /** The streams in the graph or joining it that `owner` defined. @internal */
  ownedBy(owner: string): DStream<unknown>[] {
    return this.withJoining().filter((s) => s.owner === owner);
  }

  /** The streams in the graph and those waiting to join it. @internal */
  withJoining(): DStream<unknown>[] {
    return [...this.streams, ...this.joining];
  }

  /** The stream with this id, if it is in the graph. */
  streamById(id: number): DStream<unknown> | undefined {
    return this.streams.find((s) => s.id === id);
  }

  /** Sets the remember duration of the output streams (ssc.remember). */
  remember(duration: number): void {
    if (this.rememberDuration !== undefined) throw Errors.rememberTwice(this.rememberDuration);
    this.rememberDuration = duration;
  }

  /** Spark's graph validation at start. */
  validate(): void {
    if (this.outputStreams.length === 0) throw Errors.noOutput();
  }

  /** Initializes every stream on the grid through `zeroTime`, validates them, starts the inputs. */
  start(zeroTime: number, startTime: number): void {
    this.zeroTime = zeroTime;
    this.startTime = startTime;
    this.countConsumers();
    for (const o of this.outputStreams) o.initialize(zeroTime);
    for (const o of this.outputStreams) o.remember(this.rememberDuration);
    for (const o of this.outputStreams) o.validateAtStart();
    for (const i of this.inputStreams) i.start();
  }

  /**
   * Readies an output defined while the graph runs, so that a mistake (a stateful stream without
   * a checkpoint directory) fails in the code that defined it: initializes its new streams on
   * the grid and makes the streams it reads remember what its windows need. @internal
   */
  prepareLive(output: ForEachDStream<unknown>): void {
    const removed = removedInLineage(output as unknown as DStream<unknown>);
    if (removed) throw Errors.streamRemoved(`${removed.operation} [${removed.id}]`, removed.removedBecause as string);
    const members = new Set(this.streams);
    const waking = lineage(output as unknown as DStream<unknown>).filter((s) => !s.isInitialized && members.has(s));
    output.initialize(this.zeroTime as number);
    output.remember(this.rememberDuration);
    output.validateAtStart();
    // A stream that joined earlier with nothing reading it (a cell that only defines it) starts
    // computing with this output: for its history and its state, that is when it joins.
    this.waking.push(...waking);
  }

  /** Forgets a stream that failed to be defined. @internal */
  discard(stream: DStream<unknown>): void {
    remove(this.joining, stream);
    remove(this.streams, stream);
    remove(this.allOutputs, stream as unknown as ForEachDStream<unknown>);
    remove(this.outputStreams, stream as unknown as ForEachDStream<unknown>);
  }

  /**
   * Asks for `streams` to leave the graph at the next boundary, with every stream and output
   * computed from them. Before start they leave at once. Resolves once they are let go.
   * @internal
   */
  requestRemoval(streams: DStream<unknown>[], reason: string | undefined): Promise<void> {
    for (const s of streams) if (!this.leaving.has(s)) this.leaving.set(s, reason);
    if (!this.started) {
      this.applyRemovals(undefined);
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waitingForBoundary.push(resolve));
  }

  /** True when something waits for the next boundary. @internal */
  get hasPendingChanges(): boolean { return this.joining.length > 0 || this.leaving.size > 0 || this.waking.length > 0; }

  /**
   * Applies the changes asked for since the last boundary; batch `time` is the first generated
   * with them. `lastGenerated` is the newest batch generated before. @internal
   */
  applyChanges(time: number, lastGenerated: number | undefined, isPendingUpTo: (t: number) => boolean): GraphChange | undefined {
    if (!this.hasPendingChanges) return undefined;
    const removed = this.applyRemovals(lastGenerated);
    // A stream defined on one that had already left (no output can read it) never joins.
    const added = this.joining.splice(0).filter((s) => {
      const gone = removedInLineage(s);
      if (gone && gone !== s) s.removedBecause = `its input stream ${gone.operation} [${gone.id}] was removed`;
      return !gone;
    });
    for (const s of added) {
      s.joinTime = time;
      this.streams.push(s);
      if (isInput(s)) {
        this.inputStreams.push(s);
        s.onJoin();
      }
    }
    for (const s of added) if (isOutput(s)) this.outputStreams.push(s);
    for (const s of this.waking.splice(0)) {
      if (!this.streams.includes(s)) continue;
      s.joinTime = time;
      added.push(s);
    }
    pairAdopters(removed, added);
    this.countConsumers();
    this.version++;
    const change = { time, added, removed };
    for (const listener of this.onChange) listener(change);
    this.retireDue(isPendingUpTo);
    return change;
  }

  private applyRemovals(lastGenerated: number | undefined): DStream<unknown>[] {
    if (this.leaving.size === 0) return [];
    const reasons = new Map(this.leaving);
    this.leaving.clear();
    // Whatever is computed from a removed stream can never compute again: it leaves too.
    const roots = new Set(reasons.keys());
    const gone = new Set(roots);
    for (const s of [...this.streams, ...this.joining]) {
      const root = gone.has(s) ? undefined : removedAncestor(s, roots);
      if (root) {
        gone.add(s);
        reasons.set(s, `its input stream ${root.operation} [${root.id}] was removed${reasons.get(root) ? ` (${reasons.get(root)})` : ""}`);
      }
    }
    const removed = [...gone];
    for (const s of removed) {
      s.removedBecause = reasons.get(s) ?? "it was removed";
      remove(this.streams, s);
      remove(this.joining, s);
      remove(this.inputStreams, s as InputDStream<unknown>);
      if (remove(this.outputStreams, s as ForEachDStream<unknown>) || isOutput(s)) (s as ForEachDStream<unknown>).markStopped(reasons.get(s));
    }
    const retirement: Retirement = { streams: removed, lastBatch: lastGenerated, done: [] };
    this.retiring.push(retirement);
    this.resolveBoundaryWaiters(retirement.done);
    if (!this.started) this.retireDue(() => false);
    return removed;
  }

  private resolveBoundaryWaiters(into: Array<() => void>): void {
    into.push(...this.waitingForBoundary.splice(0));
  }

  /**
   * Lets go of removed streams once no batch generated while they were in the graph is pending:
   * their state goes to the stream that adopts it, their batches are dropped, inputs stop.
   * @internal
   */
  retireDue(isPendingUpTo: (t: number) => boolean): void {
    for (let i = 0; i < this.retiring.length; i++) {
      const r = this.retiring[i];
      if (r.lastBatch !== undefined && isPendingUpTo(r.lastBatch)) continue;
      this.retiring.splice(i--, 1);
      for (const s of r.streams) {
        for (const a of this.streams) {
          if (a.adoptsFrom !== s) continue;
          a.adoptHistory(s);
          a.adoptsFrom = undefined;
        }
      }
      for (const s of r.streams) {
        s.generatedRDDs.clear();
        if (isInput(s)) void s.onLeave();
        // A notebook re-runs cells for hours: keep a removed output's last status, not the output
        // (its functions and the streams they hold).
        if (isOutput(s) && remove(this.allOutputs, s)) {
          this.stoppedOutputs.push(s.status());
          if (this.stoppedOutputs.length > MAX_STOPPED_KEPT) this.stoppedOutputs.shift();
        }
      }
      for (const d of r.done) d();
    }
  }

  /**
   * Sets each stream's consumers: how many streams that lead to an output read its batches. A
   * stream nothing reads (e.g. the unused half of parseSales) does not count, so its parent can
   * still pipeline into the one that is used.
   */
  private countConsumers(): void {
    const reachable = new Set<DStream<unknown>>();
    const visit = (s: DStream<unknown>): void => {
      if (reachable.has(s)) return;
      reachable.add(s);
      for (const d of s.dependencies) visit(d);
    };
    for (const o of this.outputStreams) visit(o as DStream<unknown>);
    for (const s of this.streams) s.consumers = 0;
    for (const s of reachable) for (const d of s.dependencies) d.consumers++;
  }

  async stop(): Promise<void> {
    await Promise.all(this.inputStreams.map((i) => i.stop()));
    for (const w of this.waitingForBoundary.splice(0)) w();
    for (const r of this.retiring.splice(0)) for (const d of r.done) d();
  }

  /** One job per output stream that has a batch at `time`, in definition order. */
  generateJobs(time: number): Job[] {
    const jobs: Job[] = [];
    for (const o of this.outputStreams) {
      const job = o.generateJob(time);
      if (job) jobs.push(job);
    }
    return jobs;
  }

  clearMetadata(time: number): void {
    for (const o of this.outputStreams) o.clearMetadata(time);
  }

  /** The longest any input stream remembers its batches (bounds block and input-info clean-up). */
  maxInputRememberDuration(): number {
    return Math.max(0, ...this.inputStreams.map((i) => i.rememberDuration ?? 0));
  }
}

function isInput(s: DStream<unknown>): s is InputDStream<unknown> {
  return typeof (s as unknown as Partial<InputDStream<unknown>>).onJoin === "function";
}

function isOutput(s: DStream<unknown>): s is ForEachDStream<unknown> {
  return typeof (s as unknown as Partial<ForEachDStream<unknown>>).generateJob === "function";
}

function remove<T>(list: T[], item: T): boolean {
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
  return i >= 0;
}

/** `s` and every stream it is computed from. */
function lineage(s: DStream<unknown>, seen = new Set<DStream<unknown>>()): DStream<unknown>[] {
  if (!seen.has(s)) {
    seen.add(s);
    for (const d of s.dependencies) lineage(d, seen);
  }
  return [...seen];
}

/** A stream `s` is computed from (or `s`) that already left its graph, if any. */
function removedInLineage(s: DStream<unknown>): DStream<unknown> | undefined {
  if (s.removedBecause !== undefined) return s;
  for (const d of s.dependencies) {
    const found = removedInLineage(d);
    if (found) return found;
  }
  return undefined;
}

/** A stream asked to be removed that `s` is computed from, if any. */
function removedAncestor(s: DStream<unknown>, roots: Set<DStream<unknown>>): DStream<unknown> | undefined {
  for (const d of s.dependencies) {
    const found = roots.has(d) ? d : removedAncestor(d, roots);
    if (found) return found;
  }
  return undefined;
}

/**
 * A stateful stream that joins at the boundary where a stateful stream with the same structural
 * fingerprint leaves adopts its state (re-running an unchanged cell keeps its totals). Same owner
 * first, then definition order.
 */
function pairAdopters(removed: DStream<unknown>[], added: DStream<unknown>[]): void {
  const candidates = removed.filter((s) => s.keepsHistory && s.isInitialized);
  if (candidates.length === 0) return;
  for (const a of added) {
    if (!a.keepsHistory || a.dependencies.length === 0) continue;
    const fp = structuralFingerprint(a);
    const same = candidates.filter((r) => structuralFingerprint(r) === fp);
    const from = same.find((r) => r.owner === a.owner) ?? same[0];
    if (!from) continue;
    a.adoptsFrom = from;
    candidates.splice(candidates.indexOf(from), 1);
  }
}
