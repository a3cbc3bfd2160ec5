import * as fs from "fs";
import * as path from "path";
import { Errors } from "../errors/messages";
import { log } from "../log";
import { Clock, SystemClock, TimerHandle } from "../time/clock";
import { salesLines, SalesOptions } from "./sales-generator";

/**
 * Writes `lines` to `dir/name` atomically, as textFileStream needs: the data goes to a hidden temp
 * file first (names starting with "." are ignored by file streams, as in Spark), gets its
 * modification time, then is renamed into place, so a stream never sees a half-written file.
 *
 * @param mtimeMs the file's modification time (epoch ms); default: whatever the OS sets
 * @returns the path of the written file
 */
export async function writeLinesFile(dir: string, name: string, lines: readonly string[], mtimeMs?: number): Promise<string> {
  await fs.promises.mkdir(dir, { recursive: true });
  const target = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${process.pid}.tmp`);
  await fs.promises.writeFile(temp, lines.map((l) => l + "\n").join(""));
  if (mtimeMs !== undefined) await fs.promises.utimes(temp, new Date(mtimeMs), new Date(mtimeMs));
  await fs.promises.rename(temp, target);
  return target;
}

/** Options of `new SalesFileWriter(dir, {...})`. */
export interface SalesFileWriterOptions extends SalesOptions {
  /** The seed of the sales stream. */
  seed: number;
  /** Lines per file (default 100). */
  linesPerFile?: number;
  /** File name prefix: files are `<prefix>-000001.txt`, ... (default "sales"). */
  prefix?: string;
  /**
   * Modification times of the files: a Clock (its time when the file is written; pass the
   * streaming context's ScaledClock so fast stream time sees files as new), or a function of the
   * file's index (1, 2, ...). Default: the OS sets them.
   */
  mtime?: Clock | ((index: number) => number);
}

/**
 * Writes the seeded sales stream into a directory as a sequence of files, for textFileStream:
 * file k holds lines `(k-1)*linesPerFile` to `k*linesPerFile - 1` of `salesLines(seed, options)`.
 *
 * @example
 * const writer = new SalesFileWriter("data/sales", { seed: 42, linesPerFile: 50, mtime: ssc.clock });
 * const stop = writer.startEvery(Durations.seconds(10).milliseconds, ssc.clock); // a file every 10 s of stream time
 * const sales = ssc.textFileStream("data/sales");
 */
export class SalesFileWriter {
  /** Files written so far. */
  filesWritten = 0;
  private readonly lines: Iterator<string>;
  private readonly linesPerFile: number;
  private readonly prefix: string;

  /** @param dir the directory to write into (created if missing) */
  constructor(readonly dir: string, private readonly options: SalesFileWriterOptions) {
    this.linesPerFile = options.linesPerFile ?? 100;
    if (!Number.isSafeInteger(this.linesPerFile) || this.linesPerFile < 1) {
      throw Errors.badOption("SalesFileWriter linesPerFile", this.linesPerFile, "must be a whole number >= 1", "Use e.g. { linesPerFile: 100 }.");
    }
    this.prefix = options.prefix ?? "sales";
    this.lines = salesLines(options.seed, options);
  }

  /** Writes the next file; resolves with its path, or undefined once a `count`-limited stream is used up. */
  async writeNext(): Promise<string | undefined> {
    const batch: string[] = [];
    while (batch.length < this.linesPerFile) {
      const r = this.lines.next();
      if (r.done) break;
      batch.push(r.value);
    }
    if (batch.length === 0) return undefined;
    const index = ++this.filesWritten;
    const mtime = this.options.mtime;
    const mtimeMs = mtime === undefined ? undefined : typeof mtime === "function" ? mtime(index) : mtime.getTimeMillis();
    return writeLinesFile(this.dir, `${this.prefix}-${String(index).padStart(6, "0")}.txt`, batch, mtimeMs);
  }

  /**
   * Writes a file every `intervalMs` of `clock` time (default: the wall clock) until the returned
   * function is called, or the stream's `count` is used up. A write error stops the writer and
   * goes to `onError` (default: a warning in the engine log), never to an unhandled rejection.
   */
  startEvery(intervalMs: number, clock: Clock = new SystemClock(), onError: (e: Error) => void = (e) => log().warn(`SalesFileWriter: stopped: ${e.message}`)): () => void {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) {
      throw Errors.badOption("SalesFileWriter interval", intervalMs, "must be a positive number of milliseconds", "Use e.g. 10000 for a file every 10 seconds.");
    }
    let handle: TimerHandle | undefined;
    let stopped = false;
    const tick = (at: number) => {
      handle = clock.schedule(at, () => {
        if (stopped) return;
        this.writeNext().then(
          (file) => { if (file !== undefined && !stopped) tick(at + intervalMs); },
          (e) => onError(e instanceof Error ? e : new Error(String(e))),
        );
      });
    };
    tick(clock.getTimeMillis() + intervalMs);
    return () => { stopped = true; handle?.cancel(); };
  }
}
