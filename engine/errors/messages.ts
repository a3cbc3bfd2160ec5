/**
 * The one catalog of streamlab's user-facing errors. Each entry returns an Error with a stable
 * `code`; the wording follows Spark's where Spark has a message (so search engines and the course
 * still help) and adds the fix. docs/errors.md lists the codes.
 */
import { createError } from "./streaming-error";

const ms = (d: number) => `${d} ms`;

export const Errors = {
  noOutput: () =>
    createError(Error, "requirement failed: No output operations registered, so nothing to execute. Add an output operation such as print(), foreachRDD() or saveAsTextFiles() before start().", "STREAM_ERR_NO_OUTPUT"),
  alreadyStopped: () =>
    createError(Error, "StreamingContext has already been stopped. A stopped context cannot be restarted: create a new StreamingContext.", "STREAM_ERR_CONTEXT_STOPPED"),
  anotherActive: (callSite: string) =>
    createError(Error, `Only one StreamingContext may be started in this process. Currently running StreamingContext was started at\n${callSite}\nStop it with StreamingContext.stopActive() (or ssc.stop()), or reuse it with StreamingContext.getActiveOrCreate().`, "STREAM_ERR_ANOTHER_CONTEXT_ACTIVE"),
  addAfterStart: () =>
    createError(Error, "Adding new inputs, transformations, and output operations after starting a context is not supported. Define the whole graph before ssc.start(), or stop the context and build a new one.", "STREAM_ERR_ADD_AFTER_START"),
  addAfterStop: () =>
    createError(Error, "Adding new inputs, transformations, and output operations after stopping a context is not supported. Create a new StreamingContext.", "STREAM_ERR_ADD_AFTER_STOP"),
  rememberTwice: (current: number) =>
    createError(Error, `Remember duration already set as ${ms(current)}. Cannot set it again.`, "STREAM_ERR_REMEMBER_TWICE"),
  badDuration: (name: string, value: unknown) =>
    createError(TypeError, `${name} must be a Duration (Durations.seconds(1)) or a number of milliseconds, got ${describe(value)}.`, "STREAM_ERR_BAD_DURATION"),
  nonPositiveDuration: (name: string, value: number) =>
    createError(RangeError, `${name} must be a positive whole number of milliseconds, got ${value}. Use e.g. Durations.seconds(1).`, "STREAM_ERR_BAD_DURATION"),
  badMaster: (master: string) =>
    createError(RangeError, `Unsupported master "${master}". Use "local", "local[N]" with N >= 1, or "local[*]".`, "STREAM_ERR_BAD_MASTER"),
  notInitialized: (stream: string) =>
    createError(Error, `${stream} has not been initialized. Start the StreamingContext first.`, "STREAM_ERR_NOT_INITIALIZED"),
  windowNotMultiple: (kind: "window" | "slide", cls: string, value: number, parentSlide: number) =>
    // Spark words the incremental variant (ReducedWindowedDStream) as a require(): keep each prefix verbatim.
    createError(RangeError, `${cls === "ReducedWindowedDStream" ? "requirement failed: " : ""}The ${kind} duration of ${cls} (${ms(value)}) must be ${cls === "ReducedWindowedDStream" ? "" : "a "}multiple of the slide duration of parent DStream (${ms(parentSlide)}). Use ${suggestMultiples(value, parentSlide)}.`, "STREAM_ERR_WINDOW_NOT_MULTIPLE"),
  differentSlides: (slides: number[]) =>
    createError(Error, `Some of the DStreams have different slide durations (${slides.map(ms).join(", ")}). Union, join, transformWith and cogroup need streams with the same slide; window the faster ones first.`, "STREAM_ERR_DIFFERENT_SLIDES"),
  differentContexts: () =>
    createError(Error, "Some of the DStreams belong to different StreamingContexts. Build all streams of one graph from one context.", "STREAM_ERR_DIFFERENT_CONTEXTS"),
  emptyUnion: () => createError(Error, "requirement failed: List of DStreams to union is empty. Pass at least one DStream.", "STREAM_ERR_EMPTY_UNION"),
  transformReturnedNull: () =>
    createError(TypeError, "Transform function must not return null. Return an empty RDD (ssc.emptyRDD()) instead to represent no element as the result of transformation.", "STREAM_ERR_TRANSFORM_NULL"),
  transformNotRDD: (value: unknown) =>
    createError(TypeError, `Transform function must return an RDD, got ${describe(value)}. Build one with rdd.map(...) or ssc.parallelize([...]).`, "STREAM_ERR_TRANSFORM_NOT_RDD"),
  missingParentBatch: (time: number, parent: string) =>
    createError(Error, `Couldn't generate RDD from parent at time ${ms(time)}: ${parent} has no batch at that time. Every stream that transform, transformWith, join or cogroup reads must have a batch at each of its batch times; give the missing one a batch (e.g. an empty RDD) or combine streams on the same grid.`, "STREAM_ERR_NO_PARENT_BATCH"),
  missingUnionBatch: (time: number, parent: string) =>
    createError(Error, `Could not generate RDD from a parent for unifying at time ${ms(time)}: ${parent} has no batch at that time. Every stream a union reads must have a batch at each of its batch times.`, "STREAM_ERR_NO_PARENT_BATCH"),
  checkpointDirNotSet: () =>
    createError(Error, "requirement failed: The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().", "STREAM_ERR_NO_CHECKPOINT_DIR"),
  checkpointIntervalTooLow: (cls: string, interval: number, slide: number) =>
    createError(RangeError, `requirement failed: The checkpoint interval for ${cls} has been set to ${ms(interval)} which is lower than its slide time (${ms(slide)}). Please set it to at least ${ms(slide)}.`, "STREAM_ERR_CHECKPOINT_INTERVAL"),
  checkpointIntervalNotMultiple: (cls: string, interval: number, slide: number) =>
    createError(RangeError, `requirement failed: The checkpoint interval for ${cls} has been set to ${ms(interval)} which not a multiple of its slide time (${ms(slide)}). Please set it to a multiple of ${ms(slide)}.`, "STREAM_ERR_CHECKPOINT_INTERVAL"),
  rememberNotMoreThanCheckpoint: (cls: string, remember: number, interval: number) =>
    createError(RangeError, `requirement failed: The remember duration for ${cls} has been set to ${ms(remember)} which is not more than the checkpoint interval (${ms(interval)}). Please set it to a value higher than ${ms(interval)}.`, "STREAM_ERR_REMEMBER_TOO_SHORT"),
  changeAfterStart: (what: "storage level" | "checkpoint interval") =>
    createError(Error, `Cannot change ${what} of a DStream after streaming context has started. Set it before ssc.start().`, "STREAM_ERR_CHANGE_AFTER_START"),
  // ---- live graph changes (issue 19) ----
  outputInterrupted: (output: string, owner: string | undefined, time: number) =>
    createError(Error, `The ${output}${owner ? ` defined by ${owner}` : ""} was interrupted while running its batch at ${ms(time)}, so it was stopped; the context and the other outputs go on, and stateful streams keep the state of the last completed batch. Fix the function (an endless loop?) and define the output again (re-run its cell).`, "STREAM_ERR_OUTPUT_INTERRUPTED"),
  streamRemoved: (stream: string, reason: string) =>
    createError(Error, `The stream ${stream} this output reads was removed from its running context (${reason}), so it will never have another batch. Use the stream defined by the new run of that code (re-run the cell that defines it), then define this output again.`, "STREAM_ERR_STREAM_REMOVED"),
  badOwner: (owner: unknown) =>
    createError(TypeError, `An owner must be a non-empty string such as a notebook cell id, got ${describe(owner)}.`, "STREAM_ERR_BAD_ARGUMENT"),
  stopInListener: () =>
    createError(Error, "Cannot stop StreamingContext within listener bus thread. Stop it from outside the listener, e.g. with setImmediate(() => ssc.stop()).", "STREAM_ERR_STOP_IN_LISTENER"),
  queueStreamCheckpoint: () =>
    createError(Error, "queueStream doesn't support checkpointing. Please don't use queueStream when checkpointing is enabled.", "STREAM_ERR_QUEUE_CHECKPOINT"),
  notPair: (op: string, value: unknown) =>
    createError(TypeError, `${op} needs a stream of [key, value] pairs, got the element ${describe(value)}. Make pairs first, e.g. .mapToPair((x) => [x, 1]).`, "STREAM_ERR_NOT_PAIR"),
  badNumPartitions: (value: unknown) =>
    createError(RangeError, `numPartitions must be a whole number >= 1, got ${describe(value)}.`, "STREAM_ERR_BAD_PARTITIONS"),
  emptyCollection: (op: string) =>
    createError(Error, `${op} of an empty collection. Check rdd.isEmpty() first, or use fold() with a zero value.`, "STREAM_ERR_EMPTY_COLLECTION"),
  noPreviousWindowValue: () =>
    createError(Error, "Neither previous window has value for key, nor new values found. Are you sure your key class hashes consistently?", "STREAM_ERR_WINDOW_STATE"),
  stateNotSet: () => createError(Error, "State is not set. Check state.exists() before state.get(), or use state.getOption().", "STREAM_ERR_STATE_NOT_SET"),
  stateUpdateAfterRemove: () =>
    createError(Error, "requirement failed: Cannot update the state after it has been removed", "STREAM_ERR_STATE_REMOVED"),
  stateUpdateTimingOut: () =>
    createError(Error, "requirement failed: Cannot update the state that is timing out", "STREAM_ERR_STATE_TIMING_OUT"),
  stateRemoveTimingOut: () =>
    createError(Error, "requirement failed: Cannot remove the state that is timing out", "STREAM_ERR_STATE_TIMING_OUT"),
  stateRemoveTwice: () =>
    createError(Error, "requirement failed: Cannot remove the state that has already been removed", "STREAM_ERR_STATE_REMOVED"),
  badConf: (key: string, value: unknown, rule: string) =>
    createError(RangeError, `Invalid value ${describe(value)} for configuration ${key}: ${rule}.`, "STREAM_ERR_BAD_CONF"),
  badArgument: (name: string, value: unknown, rule: string) =>
    createError(TypeError, `${name} ${rule}, got ${describe(value)}.`, "STREAM_ERR_BAD_ARGUMENT"),
  // ---- receivers and input sources ----
  receiverNotAttached: (cls: string) =>
    createError(Error, `A ReceiverSupervisor has not been attached to the receiver ${cls} yet. Maybe you are starting some computation in the receiver before the Receiver.onStart() has been called. Pass the receiver to ssc.receiverStream(receiver) and call store(...) only from onStart() on.`, "STREAM_ERR_RECEIVER_NOT_ATTACHED"),
  receiverReused: (cls: string, streamId: number) =>
    createError(Error, `This ${cls} already feeds input stream ${streamId}; a receiver can run for one stream only. Create a new receiver instance for each receiverStream(...).`, "STREAM_ERR_RECEIVER_REUSED"),
  binaryRecordLength: (actual: number, recordLength: number) =>
    createError(Error, `requirement failed: Byte array does not have correct length. ${actual} did not equal recordLength: ${recordLength}. Every file of a binaryRecordsStream must be a whole number of ${recordLength}-byte records.`, "STREAM_ERR_BINARY_RECORD_LENGTH"),
  // ---- checkpoints and recovery (issue 3) ----
  checkpointTruncated: (file: string, expected: number | undefined, actual: number) =>
    createError(Error, `Checkpoint file ${file} is truncated (${expected === undefined ? "its header is incomplete" : `${actual} of ${expected} bytes`}): it was torn by a crash while being written. Recovery uses the previous checkpoint; delete this file if it stays.`, "STREAM_ERR_CHECKPOINT_TRUNCATED"),
  checkpointChecksum: (file: string) =>
    createError(Error, `Checkpoint file ${file} failed its sha256 check: its content was changed or damaged after it was written, so streamlab refuses to load it. Restore the file, delete it to recover from the previous checkpoint, or use a new checkpoint directory.`, "STREAM_ERR_CHECKPOINT_CHECKSUM"),
  checkpointFormat: (file: string, reason: string) =>
    createError(Error, `Checkpoint file ${file} cannot be read: ${reason}. Point getOrCreate at a directory written by ssc.checkpoint(dir), or use a new checkpoint directory.`, "STREAM_ERR_CHECKPOINT_FORMAT"),
  checkpointReadFailed: (dir: string, reasons: string[]) =>
    createError(Error, `Failed to read checkpoint from directory ${dir}: no checkpoint file in it is readable.\n${reasons.map((r) => `  - ${r}`).join("\n")}\nStart from scratch with StreamingContext.getOrCreate(dir, create, { createOnError: true }), or use a new checkpoint directory.`, "STREAM_ERR_CHECKPOINT_READ"),
  checkpointGraphChanged: (file: string, differences: string[], unchangedStateful: string[]) =>
    createError(Error, `The checkpoint ${file} was written by a different DStream graph, so its state cannot be restored as is:\n${differences.map((d) => `  - ${d}`).join("\n")}\nEither start from scratch (getOrCreate(dir, create, { createOnError: true }) or a new checkpoint directory), or restore only the state of the stateful streams whose identity did not change (${unchangedStateful.length ? unchangedStateful.join(", ") : "none here"}) with getOrCreate(dir, create, { restoreUnchangedState: true }).`, "STREAM_ERR_CHECKPOINT_GRAPH_CHANGED"),
  writeAheadLogWithoutCheckpoint: () =>
    createError(Error, "Cannot enable receiver write-ahead log without checkpoint directory set. Please use streamingContext.checkpoint() to set the checkpoint directory. See documentation for more details.", "STREAM_ERR_WAL_NO_CHECKPOINT"),
  // ---- tools: line server, sales stream, scaled clock (issue 5) ----
  badOption: (option: string, value: unknown, rule: string, fix: string) =>
    createError(RangeError, `${option} ${rule}, got ${describe(value)}. ${fix}`, "STREAM_ERR_BAD_OPTION"),
  badClockSpeed: (value: unknown) =>
    createError(RangeError, `ScaledClock speed must be a positive, finite number (stream milliseconds per wall millisecond), got ${describe(value)}. Use e.g. new ScaledClock({ speed: 8640 }) to play a day of stream time in 10 seconds.`, "STREAM_ERR_BAD_CLOCK_SPEED"),
  notLoopback: (host: string) =>
    createError(RangeError, `The line server binds the loopback interface only, got host ${describe(host)}. Use "127.0.0.1" (the default), "localhost" or "::1".`, "STREAM_ERR_NOT_LOOPBACK"),
  // ---- backpressure (issue 6) ----
  unknownRateEstimator: (name: string) =>
    createError(RangeError, `Unknown rate estimator: ${name}. spark.streaming.backpressure.rateEstimator must be "pid" (the only estimator); remove the setting or set it to "pid".`, "STREAM_ERR_UNKNOWN_RATE_ESTIMATOR"),
  badPidParameter: (sparkMessage: string, setting: string) =>
    createError(RangeError, `requirement failed: ${sparkMessage} Fix ${setting} (defaults: proportional 1.0, integral 0.2, derived 0.0, minRate 100).`, "STREAM_ERR_BAD_PID_PARAMETER"),
};

/** A problem with one input record: counted and shown next to the stream, never thrown. */
export interface RecordProblem {
  /** Stable identifier, listed in docs/errors.md. */
  code: string;
  /** A sentence naming the record, the rule it breaks and the expected format. */
  message: string;
}

/**
 * Problems with single records. These are plain values rather than Errors: a stream with one bad
 * line in a hundred builds tens of thousands a second, and an Error captures a stack trace each
 * time (it cost 12% of the main thread in the sales benchmark) that nobody ever reads.
 */
export const RecordProblems = {
  malformedSale: (line: string, rule: string): RecordProblem => ({
    code: "STREAM_ERR_MALFORMED_SALE",
    message: `Malformed sale ${describe(line)}: ${rule}. Expected storeid,productid,number,totalprice, e.g. "s1,p7,2,19.98".`,
  }),
};

/** Describes a value for an error message: its type and a short rendering. */
export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? value.slice(0, 57) + "..." : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return `${typeof value} ${String(value)}`;
  if (typeof value === "function") return `a function`;
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  const name = (value as object).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

function suggestMultiples(value: number, base: number): string {
  const lower = Math.floor(value / base) * base;
  const upper = lower + base;
  return lower > 0 ? `${ms(lower)} or ${ms(upper)}` : ms(upper);
}
