import * as fs from "fs";
import * as path from "path";
import { FSWatcher, watch } from "chokidar";
import { Errors } from "../errors/messages";
import { InputDStream } from "../dstream/input-dstream";
import { log } from "../log";
import { RDD } from "../rdd/rdd";
import type { StreamingContext } from "../streaming-context";
import { DEFAULT_MAX_LINE_BYTES, fileLines } from "./line-splitter";

/**
 * Reads one file's bytes into records: the role of Spark's Hadoop InputFormat. The default,
 * `textRecords`, is TextInputFormat's `[byteOffset, line]` pairs.
 */
export type FileFormat<T> = (data: Buffer, path: string, limits?: FileReadLimits) => T[];

/** What the file stream passes a format: the line-length limit of text formats. */
export interface FileReadLimits {
  /** The longest line kept, in UTF-8 bytes (`streamlab.receiver.maxLineLength`, default 64 MB). */
  maxLineBytes: number;
  /** Called when a line longer than that is skipped. */
  onLineTooLong: (limitBytes: number) => void;
}

/** Options of `ssc.fileStream(dir, options)`. */
export interface FileStreamOptions<T = [number, string]> {
  /**
   * Which files to read, given the file's full path. Replaces the default filter, which skips names
   * starting with "." (editors' and copy tools' temporary files).
   */
  filter?: (path: string) => boolean;
  /** Read only files modified after the stream was created (default true); false also reads the files already there. */
  newFilesOnly?: boolean;
  /** How to read a file into records (default: `[byteOffset, line]` pairs, as TextInputFormat). */
  format?: FileFormat<T>;
  /** Watch by polling instead of OS events, e.g. on network file systems (default false). */
  usePolling?: boolean;
}

/** What a file stream checkpoints: Spark's FileInputDStreamCheckpointData, as plain data. */
export interface FileStreamCheckpoint {
  batchTimeToSelectedFiles: Map<number, string[]>;
  initialModTimeIgnoreThreshold: number;
}

/** TextInputFormat's records: `[byte offset of the line, line]`; lines end at \n, \r or \r\n. */
export const textRecords: FileFormat<[number, string]> = (data, _path, limits) => fileLines(data, limits?.maxLineBytes, limits?.onLineTooLong);

/** TextInputFormat's lines without their offsets (textFileStream). */
export const textLines: FileFormat<string> = (data, _path, limits) => fileLines(data, limits?.maxLineBytes, limits?.onLineTooLong).map(([, line]) => line);

/** Spark's FixedLengthBinaryInputFormat + binaryRecordsStream's length check. */
export function fixedLengthRecords(recordLength: number): FileFormat<Buffer> {
  return (data) => {
    const records: Buffer[] = [];
    for (let i = 0; i < data.length; i += recordLength) {
      const record = Buffer.from(data.subarray(i, i + recordLength));
      if (record.length !== recordLength) throw Errors.binaryRecordLength(record.length, recordLength);
      records.push(record);
    }
    return records;
  };
}

/** Spark's default filter: skip hidden files, whose names start with ".". */
export function defaultFileFilter(file: string): boolean {
  return !path.basename(file).startsWith(".");
}

/**
 * Spark's FileInputDStream: at every batch time T it lists `directory` and reads the files that
 * pass the filter, whose modification time is in (ignoreThreshold, T] and that it has not read
 * within the remember window; ignoreThreshold = max(initial threshold, T - remember window), the
 * initial threshold being the creation time (or 0 with `newFilesOnly: false`) and the remember
 * window `spark.streaming.fileStream.minRememberDuration` (60 s) rounded up to whole batches.
 * So files are assigned to batches by modification time, must be moved (renamed) into the
 * directory whole, and a file changed after it was read is not read again.
 *
 * A chokidar watcher keeps the modification times of the directory's files. A batch lists the
 * directory (new names are seen at once, whatever the watcher's latency) and stats every file
 * except those the watcher reported as older than the ignore threshold: such a file can only come
 * back by being changed in place (`touch`, `fs.utimes`), which the watcher reports, usually within
 * milliseconds; a change made in that gap is seen one batch later. Each batch is one partition per
 * file (Spark splits big files into several). Files are taken in name order (Hadoop lists them in
 * directory order). Deviation: a batch's input info counts the records read (Spark reports 0 for
 * file streams because its RDDs are lazy).
 */
export class FileInputDStream<T> extends InputDStream<T> {
  /** The absolute path of the watched directory. */
  readonly directory: string;
  /** The files each remembered batch read (Spark's batchTimeToSelectedFiles); plain data, checkpointed. */
  readonly batchTimeToSelectedFiles = new Map<number, string[]>();
  /** How far back files are considered: minRememberDuration rounded up to whole batches. */
  readonly durationToRemember: number;
  private readonly recentlySelectedFiles = new Set<string>();
  private readonly fileFilter: (path: string) => boolean;
  private initialModTimeIgnoreThreshold: number;
  /** Modification times reported by the watcher (undefined: not a regular file). */
  private readonly knownModTimes = new Map<string, number | undefined>();
  private watcher: FSWatcher | undefined;
  private readonly maxLineBytes: number;
  /** The directory's names while recovery replays down-time batches (beginReplay). */
  private listingSnapshot: string[] | undefined;

  constructor(ssc: StreamingContext, directory: string, private readonly format: FileFormat<T>, private readonly options: FileStreamOptions<T> = {}) {
    super(checkDirectory(ssc, directory));
    this.directory = path.resolve(directory);
    this.fileFilter = options.filter ? this.track(options.filter) : defaultFileFilter;
    this.initialModTimeIgnoreThreshold = options.newFilesOnly === false ? 0 : ssc.clock.getTimeMillis();
    const legacy = ssc.conf.getTimeMs("spark.streaming.minRememberDuration", 60_000, "s");
    const minRemember = ssc.conf.getTimeMs("spark.streaming.fileStream.minRememberDuration", legacy, "s");
    this.durationToRemember = this.slideDuration * Math.ceil(minRemember / this.slideDuration);
    this.remember(this.durationToRemember);
    this.maxLineBytes = ssc.conf.getSizeBytes("streamlab.receiver.maxLineLength", DEFAULT_MAX_LINE_BYTES);
  }

  override start(): void {
    this.watcher = watch(this.directory, { depth: 0, alwaysStat: true, persistent: false, usePolling: !!this.options.usePolling });
    const update = (file: string, stats?: fs.Stats) => this.knownModTimes.set(file, stats?.isFile() ? Math.floor(stats.mtimeMs) : undefined);
    this.watcher.on("add", update).on("change", update).on("unlink", (file) => this.knownModTimes.delete(file));
    this.watcher.on("error", (e) => log().warn(`FileInputDStream: watching ${this.directory} failed: ${(e as Error).message ?? e}`));
  }

  override async stop(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }

  protected compute(time: number): RDD<T> {
    // A batch restored from a checkpoint reads exactly the files it selected before the crash.
    let files = this.batchTimeToSelectedFiles.get(time);
    if (!files) {
      files = this.findNewFiles(time);
      this.batchTimeToSelectedFiles.set(time, files);
      for (const f of files) this.recentlySelectedFiles.add(f);
    }
    log().info(`FileInputDStream: New files at time ${time} ms:\n${files.join("\n")}`);
    const rdd = new RDD(files.map((f) => this.readFile(f)), this.ssc.rddContext);
    this.reportInput(time, rdd, { files: [...files], Description: files.join("\n") });
    return rdd;
  }

  override clearMetadata(time: number): void {
    super.clearMetadata(time);
    const limit = time - (this.rememberDuration ?? 0);
    for (const [t, files] of this.batchTimeToSelectedFiles) {
      if (t >= limit) continue;
      this.batchTimeToSelectedFiles.delete(t);
      for (const f of files) this.recentlySelectedFiles.delete(f);
    }
  }

  override checkpointState(_time: number): FileStreamCheckpoint {
    const copy = new Map([...this.batchTimeToSelectedFiles].map(([t, files]) => [t, [...files]] as [number, string[]]));
    return { batchTimeToSelectedFiles: copy, initialModTimeIgnoreThreshold: this.initialModTimeIgnoreThreshold };
  }

  /**
   * Throws STREAM_ERR_CHECKPOINT_PATH unless every file of a restored `batchTimeToSelectedFiles`
   * is directly in the watched directory (what this stream can have selected). @internal
   */
  checkRestoredFiles(state: unknown, checkpointFile: string): void {
    const s = state as FileStreamCheckpoint;
    for (const [, files] of new Map(s?.batchTimeToSelectedFiles ?? [])) {
      for (const f of Array.isArray(files) ? files : [files]) {
        if (typeof f !== "string" || path.dirname(path.resolve(f)) !== this.directory) throw Errors.checkpointPathOutside(checkpointFile, "an input file", f, this.directory);
      }
    }
  }

  override restoreState(state: unknown, _time: number): void {
    this.checkRestoredFiles(state, "(restored)");
    const s = state as FileStreamCheckpoint;
    const entries = [...new Map(s.batchTimeToSelectedFiles)].sort((a, b) => a[0] - b[0]);
    for (const [t, files] of entries) {
      log().info(`FileInputDStream: Restoring files for time ${t} ms - [${files.join(", ")}]`);
      this.batchTimeToSelectedFiles.set(t, [...files]);
      for (const f of files) this.recentlySelectedFiles.add(f);
    }
    this.initialModTimeIgnoreThreshold = s.initialModTimeIgnoreThreshold;
  }

  /**
   * For recovery's replay of down-time batches, which runs in one go: lists the directory once
   * for all of them (a file arriving meanwhile is newer than every down-time batch anyway), with
   * the files' modification times as the watcher would report them, so the replayed batches
   * neither list the directory nor stat old files again. Returns the modification times of the
   * files that pass the filter. `endReplay()` goes back to listing per batch. @internal
   */
  beginReplay(): number[] {
    this.listingSnapshot = undefined;
    const names = this.listDirectory();
    const out: number[] = [];
    for (const name of names) {
      const file = path.join(this.directory, name);
      if (!this.fileFilter(file)) continue;
      const modTime = this.modTime(file, -Infinity);
      if (!this.knownModTimes.has(file)) this.knownModTimes.set(file, modTime);
      if (modTime !== undefined) out.push(modTime);
    }
    this.listingSnapshot = names;
    return out;
  }

  /** Ends what beginReplay() started. @internal */
  endReplay(): void {
    this.listingSnapshot = undefined;
  }

  /** Spark's findNewFiles + isNewFile for batch time `currentTime`. */
  private findNewFiles(currentTime: number): string[] {
    const threshold = Math.max(this.initialModTimeIgnoreThreshold, currentTime - this.durationToRemember);
    const selected: string[] = [];
    for (const name of this.listDirectory()) {
      const file = path.join(this.directory, name);
      if (!this.fileFilter(file) || this.recentlySelectedFiles.has(file)) continue;
      const modTime = this.modTime(file, threshold);
      if (modTime === undefined || modTime <= threshold || modTime > currentTime) continue;
      selected.push(file);
    }
    return selected;
  }

  private listDirectory(): string[] {
    if (this.listingSnapshot) return this.listingSnapshot;
    try {
      return fs.readdirSync(this.directory).sort();
    } catch (e) {
      // Spark: a directory that does not exist (yet) has no new files.
      if ((e as NodeJS.ErrnoException).code === "ENOENT" || (e as NodeJS.ErrnoException).code === "ENOTDIR") return [];
      throw e;
    }
  }

  /** Modification time in whole ms (Hadoop's FileStatus), or undefined for what is not a regular file. */
  private modTime(file: string, threshold: number): number | undefined {
    const known = this.knownModTimes.get(file);
    if (known !== undefined && known <= threshold) return known;
    try {
      const st = fs.statSync(file);
      return st.isFile() ? Math.floor(st.mtimeMs) : undefined;
    } catch {
      return undefined;
    }
  }

  private readFile(file: string): T[] {
    const data = fs.readFileSync(file);
    if (data.length === 0) {
      log().warn(`FileInputDStream: File ${file} has no data in it. Spark Streaming can only ingest files that have been "moved" to the directory assigned to the file stream. Refer to the streaming programming guide for more details.`);
    }
    return this.format(data, file, {
      maxLineBytes: this.maxLineBytes,
      onLineTooLong: (limit) => log().warn(`FileInputDStream: ${Errors.lineTooLong(file, limit).message}`),
    });
  }
}

/** Fails before the stream joins the graph when `directory` is not a path. */
function checkDirectory(ssc: StreamingContext, directory: unknown): StreamingContext {
  if (typeof directory !== "string" || directory === "") throw Errors.badArgument("The file stream's directory", directory, "must be a path such as \"data/in\"");
  return ssc;
}
