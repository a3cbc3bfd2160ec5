import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { ProbeResult, ProbeSpec } from "./probe";

/**
 * Runs probeStreamlab(spec) in a new Node process (probe-child.js), with the flags `npm run bench`
 * gives its own, so the probe's resident memory is its own and not what earlier probes left.
 * A rate limit of Infinity comes back as null (JSON); readers treat a missing limit as none.
 */
export async function probeInOwnProcess(spec: ProbeSpec): Promise<ProbeResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-probe-"));
  const specFile = path.join(dir, "spec.json");
  const resultFile = path.join(dir, "result.json");
  try {
    fs.writeFileSync(specFile, JSON.stringify({ ...spec, pool: undefined }));
    const child = spawn(process.execPath, ["--expose-gc", "--max-old-space-size=8192", path.join(__dirname, "probe-child.js"), specFile, resultFile], { stdio: ["ignore", "inherit", "inherit"] });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("exit", (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`bench: the probe's process (probe-child.js) exited with ${code}`);
    return JSON.parse(fs.readFileSync(resultFile, "utf8")) as ProbeResult;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
