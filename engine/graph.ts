import { Errors } from "./errors/messages";
import type { DStream } from "./dstream/dstream";
import type { ForEachDStream, Job } from "./dstream/foreach-dstream";
import type { InputDStream } from "./dstream/input-dstream";

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

  /** The longest any input stream remembers its batches (bounds block and input-info clean-up). */
  maxInputRememberDuration(): number {
    return Math.max(0, ...this.inputStreams.map((i) => i.rememberDuration ?? 0));
  }
}
