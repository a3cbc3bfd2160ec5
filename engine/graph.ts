import { Errors } from "./errors/messages";
import type { DStream } from "./dstream/dstream";
import type { ForEachDStream, Job } from "./dstream/foreach-dstream";
import type { InputDStream } from "./dstream/input-dstream";
import type { StreamNodeInfo, StreamSizeInfo } from "./scheduler/listener";

/**
 * The DStream graph of one context (Spark's DStreamGraph): every stream in creation order, the
 * input streams it starts, and the output streams it generates jobs from.
 */
export class DStreamGraph {
  /** Every stream in creation order; a stream's index is its id. */
  readonly streams: DStream<unknown>[] = [];
  readonly inputStreams: InputDStream<unknown>[] = [];
  readonly outputStreams: ForEachDStream<unknown>[] = [];
  zeroTime: number | undefined;
  startTime: number | undefined;
  rememberDuration: number | undefined;

  constructor(readonly batchDuration: number) {}

  /** Adds a stream; returns its id. @internal */
  register(stream: DStream<unknown>): number {
    this.streams.push(stream);
    return this.streams.length - 1;
  }

  addInputStream(s: InputDStream<unknown>): void { this.inputStreams.push(s); }

  /** Adds an output stream; returns its output operation id (definition order). */
  addOutputStream(s: ForEachDStream<unknown>): number {
    this.outputStreams.push(s);
    return this.outputStreams.length - 1;
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

  /** Every stream as listeners see it (onGraphUpdated). */
  describe(): StreamNodeInfo[] {
    return this.streams.map((s) => {
      const out = s as DStream<unknown> & Partial<ForEachDStream<unknown>>;
      const node: StreamNodeInfo = {
        id: s.id, kind: s.constructor.name, parents: s.dependencies.map((d) => d.id), slideDuration: s.slideDuration,
        input: this.inputStreams.includes(s as InputDStream<unknown>), stateful: s.isStateful,
      };
      if (out.outputOpId !== undefined) { node.outputOpId = out.outputOpId; node.outputOpName = out.opName; }
      return node;
    });
  }

  /** Each stream's batch size at `time` where it is known without computing anything (onStreamSizes). */
  sizesAt(time: number): StreamSizeInfo[] {
    const out: StreamSizeInfo[] = [];
    for (const s of this.streams) {
      const rdd = s.generatedRDDs.get(time);
      if (!rdd) continue;
      const info: StreamSizeInfo = { streamId: s.id };
      if (!rdd.isPipelined && !rdd.isCompacted) info.records = rdd.recordCounts ? rdd.recordCounts.reduce((a, b) => a + b, 0) : rdd.count();
      if (s.isStateful) info.stateSize = s.stateSizeAt(time);
      out.push(info);
    }
    return out;
  }

  /** The longest any input stream remembers its batches (bounds block and input-info clean-up). */
  maxInputRememberDuration(): number {
    return Math.max(0, ...this.inputStreams.map((i) => i.rememberDuration ?? 0));
  }
}
