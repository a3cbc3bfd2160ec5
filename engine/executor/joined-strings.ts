import type { NarrowRecipe } from "../rdd/narrow-steps";

/**
 * A map task's records, when every one is a string, as one string and each record's length: the
 * form in which they are posted to a worker thread.
 *
 * Why: a posted array of strings arrives as that many strings in the worker's young generation.
 * They live for the whole task, so every scavenge during it copies them, and then promotes them.
 * At 1.5M 100-byte records/s from an in-process receiver that was 15% of the worker's time. One
 * joined string arrives as one object in V8's large-object space, which scavenges never copy, and
 * the worker cuts it into records a chunk at a time, so each record lives only while it is read
 * (1.7% of the worker's time). Joining costs the main thread about what serializing the array
 * one string at a time did: both copy every record once.
 * (Lines received over a socket already travel as bytes: receiver/packed-lines.ts.)
 */
export interface JoinedStrings {
  text: string;
  lengths: Int32Array;
}

/** How many records the worker cuts from the joined string at a time. */
const CHUNK = 1024;

/** `records` joined, or undefined when one of them is not a string. */
export function joinStrings(records: readonly unknown[]): JoinedStrings | undefined {
  const lengths = new Int32Array(records.length);
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (typeof r !== "string") return undefined;
    lengths[i] = r.length;
  }
  return { text: records.join(""), lengths };
}

/**
 * The records of `joined` as a partition of chunk numbers and the flatMap step that turns a chunk
 * number into its records, in order: put before a task's narrow chain, it reads the records the
 * main thread had.
 */
export function unjoinedPartition(joined: JoinedStrings): { chunks: number[]; recipe: NarrowRecipe } {
  const { text, lengths } = joined;
  const chunks: number[] = [];
  // starts[c]: where chunk c's first record begins in text.
  const starts: number[] = [];
  let at = 0;
  for (let i = 0; i < lengths.length; i++) {
    if (i % CHUNK === 0) { chunks.push(chunks.length); starts.push(at); }
    at += lengths[i];
  }
  const recordsOf = (chunk: number): string[] => {
    const first = chunk * CHUNK;
    const end = Math.min(lengths.length, first + CHUNK);
    const out: string[] = new Array(end - first);
    let from = starts[chunk];
    for (let i = first; i < end; i++) {
      const to = from + lengths[i];
      out[i - first] = text.slice(from, to);
      from = to;
    }
    return out;
  };
  return { chunks, recipe: { kind: "flatMap", fn: recordsOf } };
}
