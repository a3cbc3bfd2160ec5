import { Errors } from "../errors/messages";
import { Partitioner } from "../rdd/partitioner";
import { RDD } from "../rdd/rdd";
import { StorageLevel } from "../storage-level";
import { DStream } from "./dstream";

/**
 * `parent.window(windowDuration, slideDuration)` (Spark's WindowedDStream): at every valid time T
 * (a multiple of the slide after zeroTime) the union of the parent's batches in (T − window, T].
 * Early windows just hold fewer batches. The parent is persisted and remembers one window more.
 */
export class WindowedDStream<T> extends DStream<T> {
  /**
   * @param windowDuration ms, a multiple of the parent's slide
   * @param windowSlide ms, a multiple of the parent's slide
   */
  constructor(readonly parent: DStream<T>, readonly windowDuration: number, private readonly windowSlide: number) {
    checkWindow("windowed DStream", parent, windowDuration, windowSlide);
    super(parent.ssc);
    parent.persist(StorageLevel.MEMORY_ONLY_SER);
  }

  get dependencies(): DStream<unknown>[] { return [this.parent as DStream<unknown>]; }
  get slideDuration(): number { return this.windowSlide; }
  override get parentRememberDuration(): number | undefined { return (this.rememberDuration ?? 0) + this.windowDuration; }

  /**
   * Persists the parent instead: windows share the parent's batches, so storing each window would
   * keep many copies of the same records (Spark does the same).
   */
  override persist(level: StorageLevel = StorageLevel.MEMORY_ONLY_SER): this {
    if (this.isInitialized) throw Errors.changeAfterStart("storage level");
    this.parent.persist(level);
    return this;
  }

  /** @internal */
  override fingerprintParams(): unknown[] { return [this.windowDuration, this.windowSlide]; }

  protected compute(time: number): RDD<T> {
    const rdds = this.parent.slice(time - this.windowDuration + this.parent.slideDuration, time);
    return unionOfWindow(rdds, this.ssc.rddContext);
  }
}

/**
 * Spark's choice of union for a window: when every batch is laid out by the same partitioner,
 * partition i of the window is partition i of each batch in turn and the partitioner is kept
 * (PartitionerAwareUnionRDD), so a following reduceByKey needs no shuffle; otherwise the batches'
 * partitions are concatenated (UnionRDD).
 */
function unionOfWindow<T>(rdds: RDD<T>[], context: RDD<T>["context"]): RDD<T> {
  const partitioner: Partitioner | undefined = rdds[0]?.partitioner;
  if (partitioner && rdds.every((r) => partitioner.equals(r.partitioner))) {
    const parts = Array.from({ length: partitioner.numPartitions }, (_, i) => rdds.flatMap((r) => r.partitions[i]));
    return new RDD(parts, context, partitioner);
  }
  return new RDD(rdds.flatMap((r) => r.partitions), context);
}

/**
 * Spark's construction-time check of window operators: window and slide must be multiples of the
 * parent's slide. @internal
 */
export function checkWindow(cls: string, parent: { slideDuration: number }, windowDuration: number, slideDuration: number): void {
  const parentSlide = parent.slideDuration;
  if (windowDuration % parentSlide !== 0) throw Errors.windowNotMultiple("window", cls, windowDuration, parentSlide);
  if (slideDuration % parentSlide !== 0) throw Errors.windowNotMultiple("slide", cls, slideDuration, parentSlide);
}
