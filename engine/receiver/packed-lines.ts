import { shipByName } from "../executor/shippable";

/**
 * Received text lines kept as the bytes they arrived in: segments of UTF-8, each one or more
 * lines each ended by `\n` (never `\r`), and the number of lines in all. A line becomes a string
 * only while a batch reads it, and is decoded anew on every read.
 *
 * Why: a receiver that stored every line as its own string kept millions of small strings alive
 * for as long as the batch is remembered (a 30 s window keeps its input 30 s). Each one was copied
 * by V8's young-generation collector and promoted, and at 2.6M lines/s over TCP those collections
 * took most of the thread that also reads the socket. A segment's bytes live outside the
 * JavaScript heap (a Buffer), so the collector moves one small object per socket read instead of
 * a thousand strings. This is streamlab's form of Spark's serialized storage levels
 * (socketTextStream stores MEMORY_AND_DISK_SER_2 blocks, deserialized on every read).
 */
export class PackedLines {
  /**
   * @param segments UTF-8 bytes of whole lines, each ended by `\n`
   * @param count the number of lines in all segments
   */
  constructor(readonly segments: readonly Uint8Array[], readonly count: number) {}

  /** The lines, decoded anew on every call (nothing is kept). */
  lines(): string[] {
    if (this.segments.length === 1) return unpackSegment(this.segments[0]);
    const out: string[] = [];
    for (const s of this.segments) for (const line of unpackSegment(s)) out.push(line);
    return out;
  }
}

/**
 * The lines of one segment. A worker thread loads it by name, so a block's segments are copied
 * there as bytes and decoded there (a Buffer posted to a worker arrives as a Uint8Array).
 */
export function unpackSegment(segment: Uint8Array): string[] {
  const text = Buffer.from(segment.buffer, segment.byteOffset, segment.byteLength).toString("utf8");
  const lines = text.split("\n");
  lines.pop(); // the empty string after the last `\n`
  return lines;
}
shipByName(unpackSegment, "receiver/packed-lines", "unpackSegment");

/**
 * The next `maxLines` lines of `segment` from byte `from` (fewer at its end): the byte after the
 * last one's `\n`, and how many lines that is.
 */
export function lineRun(segment: Uint8Array, from: number, maxLines: number): { end: number; lines: number } {
  let end = from;
  let lines = 0;
  // Every line ends with `\n`, so a search from inside the segment always finds one.
  for (; lines < maxLines && end < segment.length; lines++) end = segment.indexOf(10, end) + 1;
  return { end, lines };
}

/** The number of lines in `segment`: its `\n` bytes. */
export function linesInSegment(segment: Buffer): number {
  let n = 0;
  for (let i = segment.indexOf(10); i !== -1; i = segment.indexOf(10, i + 1)) n++;
  return n;
}
