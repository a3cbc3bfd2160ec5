import { StringDecoder } from "string_decoder";

/**
 * Splits UTF-8 bytes into lines exactly as Java's `BufferedReader.readLine` (Spark's socket
 * receiver) and Hadoop's LineReader (Spark's text files) do: a line ends at `\n`, `\r` or `\r\n`;
 * terminators are dropped; a last line without terminator is still a line; a `\r\n` split across
 * two chunks is one terminator. Malformed UTF-8 becomes U+FFFD, as Java's decoder does.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder("utf8");
  private partial = "";
  /** The previous chunk ended with `\r`: a `\n` at the start of the next one belongs to it. */
  private skipLF = false;

  /** The lines completed by `chunk`. */
  push(chunk: Buffer | string): string[] {
    return this.split(typeof chunk === "string" ? chunk : this.decoder.write(chunk));
  }

  /** The lines left at end of input. */
  end(): string[] {
    const lines = this.split(this.decoder.end());
    if (this.partial !== "") lines.push(this.partial);
    this.partial = "";
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
      lines.push(this.partial === "" ? text.slice(start, i) : this.partial + text.slice(start, i));
      this.partial = "";
      if (i === nextCR) {
        if (i + 1 === text.length) this.skipLF = true;
        else if (text.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    this.partial += text.slice(start);
    return lines;
  }
}

/**
 * The lines of a whole file with the byte offset where each starts: Hadoop TextInputFormat's
 * (LongWritable offset, Text line) records. Terminator bytes never occur inside a UTF-8 sequence,
 * so scanning bytes is safe.
 */
export function fileLines(data: Buffer): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let start = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i];
    if (b !== 10 && b !== 13) continue;
    out.push([start, data.toString("utf8", start, i)]);
    if (b === 13 && data[i + 1] === 10) i++;
    start = i + 1;
  }
  if (start < data.length) out.push([start, data.toString("utf8", start)]);
  return out;
}

/**
 * Spark's `SocketReceiver.bytesToLines`: the converter of `socketTextStream`. Reads the input's
 * bytes as UTF-8 and yields its lines.
 */
export async function* bytesToLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<string, void, undefined> {
  const splitter = new LineSplitter();
  for await (const chunk of input) yield* splitter.push(chunk);
  yield* splitter.end();
}
