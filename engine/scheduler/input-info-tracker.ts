import { StreamInputInfo } from "./batch-info";

/** Collects what each input stream read for each batch (Spark's InputInfoTracker). */
export class InputInfoTracker {
  private readonly batches = new Map<number, Map<number, StreamInputInfo>>();

  reportInfo(batchTime: number, info: StreamInputInfo): void {
    let m = this.batches.get(batchTime);
    if (!m) this.batches.set(batchTime, (m = new Map()));
    m.set(info.inputStreamId, info);
  }

  getInfo(batchTime: number): Map<number, StreamInputInfo> {
    return new Map(this.batches.get(batchTime) ?? []);
  }

  /** Forgets batches at or before `time`. */
  cleanup(time: number): void {
    for (const t of this.batches.keys()) if (t <= time) this.batches.delete(t);
  }
}
