import { linesInSegment } from "../receiver/packed-lines";
import { DEFAULT_MAX_LINE_BYTES, LineSplitter, LineTooLongHandler } from "./line-splitter";

/** Whole lines as UTF-8 bytes, each ended by `\n`, and how many (see PackedLines). */
export interface LineSegment {
  segment: Buffer;
  count: number;
}

/**
 * Splits a socket's bytes into the lines LineSplitter gives, but keeps them as bytes: a chunk's
 * whole lines are one subarray of it, so no string is made per line (see PackedLines).
 * Terminators are LineSplitter's (`\n`, `\r`, `\r\n`); a chunk holding a `\r` goes through
 * LineSplitter itself and its lines are encoded again, ended by `\n`. That path is kept until a
 * chunk ends with `\n`, when LineSplitter can hold nothing back (no part of a line, of a `\r\n`
 * or of a UTF-8 sequence).
 *
 * A line longer than `maxLineBytes` is dropped as LineSplitter drops it (`onTooLong` is told once
 * per line): the byte path hands such a line to LineSplitter, which skips it to its terminator.
 */
export class LinePacker {
  private readonly splitter: LineSplitter;
  /** Bytes of the line not yet ended, on the byte path (never containing `\r`). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The last chunk went through LineSplitter and did not end with `\n`. */
  private splitterMayHold = false;

  constructor(readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES, private readonly onTooLong: LineTooLongHandler = () => {}) {
    this.splitter = new LineSplitter(maxLineBytes, onTooLong);
  }

  /** The lines `chunk` completes, in order. */
  push(chunk: Buffer): LineSegment[] {
    // A chunk longer than the limit may hold a too-long line: LineSplitter checks each one.
    if (this.splitterMayHold || chunk.length > this.maxLineBytes || chunk.indexOf(13) !== -1) return this.viaSplitter(chunk);
    const first = chunk.indexOf(10);
    if (first === -1) {
      if (this.pendingBytes + chunk.length > this.maxLineBytes) {
        this.dropPending();
        this.splitter.dropCurrentLine();
        this.splitterMayHold = true;
        this.onTooLong(this.maxLineBytes);
      } else if (chunk.length > 0) {
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      }
      return [];
    }
    const out: LineSegment[] = [];
    let from = 0;
    if (this.pending.length > 0) {
      if (this.pendingBytes + first > this.maxLineBytes) this.onTooLong(this.maxLineBytes);
      else out.push({ segment: Buffer.concat([...this.pending, chunk.subarray(0, first + 1)]), count: 1 });
      this.dropPending();
      from = first + 1;
    }
    const last = chunk.lastIndexOf(10);
    if (last >= from) {
      const body = chunk.subarray(from, last + 1);
      out.push({ segment: body, count: linesInSegment(body) });
    }
    if (last + 1 < chunk.length) {
      this.pending.push(chunk.subarray(last + 1));
      this.pendingBytes = chunk.length - last - 1;
    }
    return out;
  }

  /** The lines left at end of input: a last line without terminator is still a line. */
  end(): LineSegment[] {
    const lines = this.pending.length > 0 ? this.splitter.push(Buffer.concat(this.pending)) : [];
    this.dropPending();
    lines.push(...this.splitter.end());
    return packed(lines);
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  private viaSplitter(chunk: Buffer): LineSegment[] {
    const bytes = this.pending.length > 0 ? Buffer.concat([...this.pending, chunk]) : chunk;
    this.dropPending();
    this.splitterMayHold = bytes.length === 0 ? this.splitterMayHold : bytes[bytes.length - 1] !== 10;
    return packed(this.splitter.push(bytes));
  }
}

function packed(lines: string[]): LineSegment[] {
  if (lines.length === 0) return [];
  return [{ segment: Buffer.from(lines.join("\n") + "\n", "utf8"), count: lines.length }];
}
