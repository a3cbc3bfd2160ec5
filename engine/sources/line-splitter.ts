import { StringDecoder } from "string_decoder";
import { Errors } from "../errors/messages";
import { log } from "../log";

/**
 * The default longest line a receiver or a text file stream keeps, in UTF-8 bytes
 * (`streamlab.receiver.maxLineLength`). A longer line is dropped up to its terminator, so a peer
 * that never sends a newline cannot grow one string until the process dies (V8's strings end at
 * about 512 MB).
 */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

/** Called once per dropped line, when it first grows past the limit. */
export type LineTooLongHandler = (limitBytes: number) => void;

/**
 * Splits UTF-8 bytes into lines exactly as Java's `BufferedReader.readLine` (Spark's socket
 * receiver) and Hadoop's LineReader (Spark's text files) do: a line ends at `\n`, `\r` or `\r\n`;
 * terminators are dropped; a last line without terminator is still a line; a `\r\n` split across
 * two chunks is one terminator. Malformed UTF-8 becomes U+FFFD, as Java's decoder does.
 *
 * A line longer than `maxLineBytes` UTF-8 bytes is dropped, whatever the chunking, and
 * `onTooLong` is told once, when it first passes the limit (Hadoop's LineRecordReader skips such
 * lines the same way); memory held for an unterminated line never exceeds the limit.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  /** UTF-8 bytes of `partial`. */
  private partialBytes = 0;
  /** The current line passed the limit: everything up to its terminator is dropped. */
  private dropping = false;
  /** The previous chunk ended with `\r`: a `\n` at the start of the next one belongs to it. */
  private skipLF = false;

  constructor(readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES, private readonly onTooLong: LineTooLongHandler = () => {}) {}

  /**
   * Drops the current line, which another reader found too long (LinePacker's byte path): its
   * bytes up to the next terminator are skipped. The caller has reported it already.
   */
  dropCurrentLine(): void {
    this.partial = "";
    this.partialBytes = 0;
    this.dropping = true;
  }

  /** The lines completed by `chunk`. */
  push(chunk: Buffer | string): string[] {
    return this.split(typeof chunk === "string" ? chunk : this.decoder.write(chunk));
  }

  /** The lines left at end of input. */
  end(): string[] {
    const lines = this.split(this.decoder.end());
    if (this.partial !== "") lines.push(this.partial);
    this.partial = "";
    this.partialBytes = 0;
    this.dropping = false;
    return lines;
  }

  private split(text: string): string[] {
    const lines: string[] = [];
    let start = 0;
    if (this.skipLF && text.length > 0) {
      if (text.charCodeAt(0) === 10) start = 1;
      this.skipLF = false;
    }
    // indexOf scans natively; the next \n and the next \r are each searched for once.
    let nextLF = text.indexOf("\n", start);
    let nextCR = text.indexOf("\r", start);
    for (;;) {
      if (nextLF !== -1 && nextLF < start) nextLF = text.indexOf("\n", start);
      if (nextCR !== -1 && nextCR < start) nextCR = text.indexOf("\r", start);
      let i = nextLF === -1 ? nextCR : nextCR === -1 ? nextLF : Math.min(nextLF, nextCR);
      if (i === -1) break;
      if (this.dropping) this.dropping = false;
      else if (this.fits(i - start, text, start, i)) lines.push(this.partial === "" ? text.slice(start, i) : this.partial + text.slice(start, i));
      else this.onTooLong(this.maxLineBytes);
      this.partial = "";
      this.partialBytes = 0;
      if (i === nextCR) {
        if (i + 1 === text.length) this.skipLF = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    if (this.dropping || start === text.length) return lines;
    const rest = text.slice(start);
    const restBytes = Buffer.byteLength(rest, "utf8");
    if (this.partialBytes + restBytes > this.maxLineBytes) {
      this.dropCurrentLine();
      this.onTooLong(this.maxLineBytes);
    } else {
      this.partial += rest;
      this.partialBytes += restBytes;
    }
    return lines;
  }

  /** Whether `partial` + `text[from, to)` (`chars` UTF-16 units) fits the limit; counts bytes only when it might not. */
  private fits(chars: number, text: string, from: number, to: number): boolean {
    // A UTF-16 unit is at most 3 UTF-8 bytes: short lines need no count.
    if (this.partialBytes + chars * 3 <= this.maxLineBytes) return true;
    return this.partialBytes + Buffer.byteLength(text.slice(from, to), "utf8") <= this.maxLineBytes;
  }
}

/**
 * The lines of a whole file with the byte offset where each starts: Hadoop TextInputFormat's
 * (LongWritable offset, Text line) records. Terminator bytes never occur inside a UTF-8 sequence,
 * so scanning bytes is safe. A UTF-8 byte order mark at the start of the file is not part of the
 * first line (Hadoop's LineRecordReader skips it; the next line's offset still counts its 3 bytes).
 * A line longer than `maxLineBytes` is skipped and `onTooLong` told (Hadoop's
 * `mapreduce.input.linerecordreader.line.maxlength`).
 */
export function fileLines(data: Buffer, maxLineBytes = DEFAULT_MAX_LINE_BYTES, onTooLong: LineTooLongHandler = () => {}): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  const bom = data.length >= 3 && data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? 3 : 0;
  const add = (start: number, end: number) => {
    const from = start === 0 ? bom : start;
    if (end - from > maxLineBytes) onTooLong(maxLineBytes);
    else out.push([start, data.toString("utf8", from, end)]);
  };
  let start = 0;
  for (let i = bom; i < data.length; i++) {
    const b = data[i];
    if (b !== 10 && b !== 13) continue;
    add(start, i);
    if (b === 13 && data[i + 1] === 10) i++;
    start = i + 1;
  }
  if (start < data.length) add(start, data.length);
  return out;
}

/**
 * Spark's `SocketReceiver.bytesToLines`: the converter of `socketTextStream`. Reads the input's
 * bytes as UTF-8 and yields its lines.
 */
export async function* bytesToLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<string, void, undefined> {
  const splitter = new LineSplitter(DEFAULT_MAX_LINE_BYTES, (limit) => log().warn(Errors.lineTooLong("a socket stream's converter", limit).message));
  for await (const chunk of input) yield* splitter.push(chunk);
  yield* splitter.end();
}
