import { randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Errors } from "../errors/messages";
import { log } from "../log";

/** The lock file of a checkpoint directory: `<dir>/.lock`. */
export const LOCK_FILE = ".lock";

interface LockOwner {
  pid: number;
  host: string;
  /** The owner's start time as /proc says it (Linux), so a reused pid is not mistaken for it. */
  procStart?: string;
  token: string;
  since: string;
}

/**
 * One live writer per checkpoint directory. Two programs on one directory used to run without a
 * word, each overwriting the other's checkpoints. A writer creates `<dir>/.lock` (exclusively)
 * naming its process; another that finds the owner alive fails with STREAM_ERR_CHECKPOINT_LOCKED.
 * A lock whose process is gone (kill -9, a crash, a power loss) is stale and is taken over with a
 * warning, so recovery after a kill needs no clean-up. A stop releases it; a crash leaves it stale.
 */
export class CheckpointLock {
  private constructor(private readonly file: string, private readonly token: string) {}

  /** Takes the lock of `dir` or throws STREAM_ERR_CHECKPOINT_LOCKED. */
  static acquire(dir: string): CheckpointLock {
    const file = path.join(dir, LOCK_FILE);
    const me: LockOwner = { pid: process.pid, host: os.hostname(), procStart: procStartTime(process.pid), token: randomBytes(8).toString("hex"), since: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        fs.writeFileSync(file, JSON.stringify(me) + "\n", { flag: "wx" });
        return new CheckpointLock(file, me.token);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
          // A directory where no lock can be made (read-only) has no second writer to fear either.
          log().warn(`Checkpoint: could not create the lock file ${file} (${(e as Error).message}); running without it.`);
          return new CheckpointLock(file, "");
        }
      }
      const owner = readOwner(file);
      if (owner && ownerAlive(owner)) throw Errors.checkpointLocked(dir, `process ${owner.pid} on ${owner.host}, since ${owner.since}`);
      // This process's own lock was left by a context that was never stopped: no one to warn about.
      if (owner?.pid !== process.pid || owner.host !== os.hostname()) log().warn(`Checkpoint: taking over the stale lock ${file}${owner ? ` of process ${owner.pid}, which is no longer running` : " (unreadable)"}.`);
      fs.rmSync(file, { force: true });
    }
    throw Errors.checkpointLocked(dir, "another process kept taking the lock");
  }

  /** Removes the lock file if it is still this writer's. */
  release(): void {
    if (this.token === "") return;
    try {
      if (readOwner(this.file)?.token === this.token) fs.rmSync(this.file, { force: true });
    } catch { /* gone or unreadable: nothing to release */ }
  }
}

function readOwner(file: string): LockOwner | undefined {
  try {
    const owner = JSON.parse(fs.readFileSync(file, "utf8")) as LockOwner;
    return Number.isInteger(owner?.pid) ? owner : undefined;
  } catch {
    return undefined;
  }
}

/** True while the lock's process runs: the same pid (and, on Linux, the same start time), not a zombie. */
function ownerAlive(owner: LockOwner): boolean {
  // Another host's process cannot be checked from here: assume it runs (a shared file system).
  if (owner.host !== os.hostname()) return true;
  if (owner.pid === process.pid) return false; // this process's own, left by a context not stopped
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
  const stat = procStat(owner.pid);
  if (stat === undefined) return true;
  if (stat.state === "Z" || stat.state === "X") return false;
  return owner.procStart === undefined || owner.procStart === stat.start;
}

function procStartTime(pid: number): string | undefined {
  return procStat(pid)?.start;
}

/** State and start time of `pid` from /proc (Linux); undefined elsewhere. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: fields start after the last ")".
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0], start: fields[19] };
  } catch {
    return undefined;
  }
}
