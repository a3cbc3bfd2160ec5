import * as fs from "fs";
import * as path from "path";
import { mulberry32, zipfSampler } from "../../engine/tools/prng";
import { salesLines } from "../../engine/tools/sales-generator";

/**
 * The benchmark's input: a seeded pool of records that every engine and every feed cycles through.
 *
 * - Text records (Grep, WordCount, TopKCount) are the paper's 100-byte records: ten 9-letter words
 *   separated by spaces (99 characters) plus the newline on the wire. Words come from a seeded
 *   vocabulary with Zipf(1.0) popularity, so windows hold every word and a few words dominate.
 * - Sales records are the lecture's `storeid,productid,number,totalprice` lines from the seeded
 *   sales generator (engine/tools/sales-generator.ts), with 1% malformed lines.
 *
 * Engines read the same pool: in-process generators cycle through the array, the socket sender
 * and the Spark program read the pool file.
 */
export interface RecordPool {
  /** "words" or "sales". */
  kind: PoolKind;
  records: string[];
  /** The pool as one UTF-8 file, one record per line (what the sender and Spark read). */
  file: string;
}

export type PoolKind = "words" | "sales";

/** Grep's pattern: a bigram that about one line in nine contains. */
export const GREP_PATTERN = "qu";
export const WORD_LENGTH = 9;
export const WORDS_PER_LINE = 10;

const SEED = 2013; // the D-Streams paper's year

/** The seeded vocabulary: `size` distinct lowercase words of WORD_LENGTH letters. */
export function vocabulary(size: number, seed = SEED): string[] {
  const rnd = mulberry32(seed);
  const seen = new Set<string>();
  while (seen.size < size) {
    let w = "";
    for (let i = 0; i < WORD_LENGTH; i++) w += String.fromCharCode(97 + Math.floor(rnd() * 26));
    seen.add(w);
  }
  return [...seen];
}

/** `count` text records of exactly 99 characters (100 bytes with the newline). */
export function wordRecords(count: number, vocabularySize = 10_000, seed = SEED): string[] {
  const words = vocabulary(vocabularySize, seed);
  const pick = zipfSampler(words.length, 1.0);
  const rnd = mulberry32(seed ^ 0x9e3779b9);
  const out: string[] = new Array(count);
  const line: string[] = new Array(WORDS_PER_LINE);
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < WORDS_PER_LINE; j++) line[j] = words[pick(rnd)];
    out[i] = line.join(" ");
  }
  return out;
}

/** `count` sales lines of the lecture's format. */
export function salesRecords(count: number, seed = SEED): string[] {
  return [...salesLines(seed, { stores: 10, products: 100, malformedRate: 0.01, count })];
}

/** Builds (or reuses) a pool of `size` records and writes its file under `dir`. */
export function loadPool(kind: PoolKind, size: number, dir: string): RecordPool {
  const records = kind === "words" ? wordRecords(size) : salesRecords(size);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${kind}-${size}.txt`);
  if (!fs.existsSync(file)) fs.writeFileSync(file, records.join("\n") + "\n");
  return { kind, records, file };
}

/**
 * Records [from, from + n) of the pool, cycling, cut into `blocks` partitions as a receiver's
 * block generator would cut them.
 */
export function slicePool(records: readonly string[], from: number, n: number, blocks: number): string[][] {
  const parts: string[][] = [];
  const len = records.length;
  for (let b = 0; b < blocks; b++) {
    const start = from + Math.floor((b * n) / blocks);
    const end = from + Math.floor(((b + 1) * n) / blocks);
    const part: string[] = new Array(end - start);
    for (let i = start, j = 0; i < end; i++, j++) part[j] = records[i % len];
    parts.push(part);
  }
  return parts;
}
