import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/**
 * A real, small file system that can be filled and freed: a tmpfs mounted for the test (root
 * only). Returns undefined where mounting is not permitted; the tests then say so and skip.
 */
export interface SmallDisk {
  dir: string;
  /** Writes a filler file until the disk refuses (ENOSPC), then frees `leaveBytes` of it (a nearly full disk: short writes). */
  fill(leaveBytes?: number): void;
  /** Deletes the filler file. */
  free(): void;
  unmount(): void;
}

export function mountSmallDisk(sizeKb: number): SmallDisk | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-disk-"));
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", `size=${sizeKb}k`, "tmpfs", dir], { stdio: "ignore" });
  } catch {
    fs.rmdirSync(dir);
    return undefined;
  }
  const filler = path.join(dir, "filler");
  return {
    dir,
    fill(leaveBytes = 0) {
      const fd = fs.openSync(filler, "a");
      const chunk = Buffer.alloc(4096, 1);
      try {
        for (;;) fs.writeSync(fd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOSPC") throw e;
        fs.ftruncateSync(fd, Math.max(0, fs.fstatSync(fd).size - leaveBytes));
      } finally {
        fs.closeSync(fd);
      }
    },
    free() { fs.rmSync(filler, { force: true }); },
    unmount() {
      execFileSync("umount", [dir], { stdio: "ignore" });
      fs.rmdirSync(dir);
    },
  };
}
