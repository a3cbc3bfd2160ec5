import { Errors } from "../errors/messages";

/**
 * Fails with a clear error when an element of a pair operation's input is not a `[key, value]`
 * array. Without it, `reduceByKey` on a stream of strings would silently treat "hello" as the
 * pair ("h", "e").
 */
export function checkPairs(op: string, partitions: readonly (readonly unknown[])[]): void {
  for (const p of partitions) {
    for (const rec of p) if (!Array.isArray(rec)) throw Errors.notPair(op, rec);
  }
}
