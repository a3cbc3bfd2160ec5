import * as fs from "fs";
import * as path from "path";
import { Errors } from "../errors/messages";
import { log } from "../log";
import { decodeCheckpoint } from "./checkpoint-format";
import { METADATA_FILE } from "./checkpoint-writer";

/** A checkpoint file that was read and verified. */
export interface LoadedCheckpoint<T> {
  /** Absolute path of the file. */
  file: string;
  data: T;
}

/** The metadata checkpoint files of `dir`, newest first (Spark tries them in this order). */
export function listCheckpointFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((f) => METADATA_FILE.exec(f)).filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(b[1]) - Number(a[1])).map((m) => path.join(dir, m[0]));
}

/** Reads and verifies one checkpoint file (length, sha256, format); throws a coded error. */
export function readCheckpointFile<T>(file: string): T {
  return decodeCheckpoint(fs.readFileSync(file), file) as T;
}

/**
 * The newest readable checkpoint of `dir`, or undefined when it holds none. A torn or damaged
 * newer file is skipped with a warning naming it and the file used instead; when files exist but
 * none is readable, throws STREAM_ERR_CHECKPOINT_READ listing why each failed.
 * `accept` may reject a decoded file (e.g. one missing its state files) by throwing.
 */
export function readLatestCheckpoint<T>(dir: string, accept: (data: T, file: string) => void = () => {}): LoadedCheckpoint<T> | undefined {
  const files = listCheckpointFiles(dir);
  const failures: string[] = [];
  for (const file of files) {
    try {
      const data = readCheckpointFile<T>(file);
      accept(data, file);
      return { file, data };
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      failures.push(reason);
      const next = files[files.indexOf(file) + 1];
      log().warn(next
        ? `Checkpoint: skipping unreadable checkpoint file ${file}; falling back to the previous checkpoint ${path.basename(next)}. Reason: ${reason}`
        : `Checkpoint: skipping unreadable checkpoint file ${file}; no older checkpoint is left. Reason: ${reason}`);
    }
  }
  if (failures.length > 0) throw Errors.checkpointReadFailed(dir, failures);
  return undefined;
}
