/** What one input stream contributed to a batch (Spark's StreamInputInfo). */
export interface StreamInputInfo {
  inputStreamId: number;
  numRecords: number;
  /** e.g. `{ Description: "files: a.txt" }`; the Description key is shown by dashboards. */
  metadata: Record<string, unknown>;
}

/** One output operation's run within a batch (Spark's OutputOperationInfo). */
export interface OutputOperationInfo {
  batchTime: number;
  id: number;
  name: string;
  description: string;
  startTime?: number;
  endTime?: number;
  /** Set when the output operation failed: the error's message and stack. */
  failureReason?: string;
  /** streamlab: the failed error's stable `code` (see docs/errors.md), when it has one. */
  errorCode?: string;
}

/**
 * Spark's BatchInfo: the timing and size of one batch. Delays are in milliseconds and undefined
 * until known.
 */
export class BatchInfo {
  constructor(
    readonly batchTime: number,
    readonly streamIdToInputInfo: Map<number, StreamInputInfo>,
    readonly submissionTime: number,
    public processingStartTime: number | undefined,
    public processingEndTime: number | undefined,
    readonly outputOperationInfos: Map<number, OutputOperationInfo>,
  ) {}

  /** Time from submission until the first job started. */
  get schedulingDelay(): number | undefined {
    return this.processingStartTime === undefined ? undefined : this.processingStartTime - this.submissionTime;
  }
  /** Time from the first job's start to the last job's end. */
  get processingDelay(): number | undefined {
    return this.processingStartTime === undefined || this.processingEndTime === undefined ? undefined : this.processingEndTime - this.processingStartTime;
  }
  /** schedulingDelay + processingDelay. */
  get totalDelay(): number | undefined {
    const s = this.schedulingDelay, p = this.processingDelay;
    return s === undefined || p === undefined ? undefined : s + p;
  }
  /** Records received by all input streams for this batch. */
  get numRecords(): number {
    let n = 0;
    for (const info of this.streamIdToInputInfo.values()) n += info.numRecords;
    return n;
  }
  /** A snapshot safe to keep after the batch (listeners may store it). */
  copy(): BatchInfo {
    return new BatchInfo(this.batchTime, new Map(this.streamIdToInputInfo), this.submissionTime, this.processingStartTime,
      this.processingEndTime, new Map([...this.outputOperationInfos].map(([k, v]) => [k, { ...v }])));
  }
}
