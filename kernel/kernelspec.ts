import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "./package-root";

/** The kernelspec name: `jupyter kernelspec list` shows it; notebooks select it by this name. */
export const KERNEL_NAME = "streamlab";
/** What Jupyter's launcher shows. */
export const KERNEL_DISPLAY_NAME = "TypeScript (streamlab)";

/** The content of kernel.json (Jupyter's kernelspec). */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: "signal" | "message";
  metadata: Record<string, unknown>;
}

/**
 * The kernelspec that starts this installation's kernel: this Node binary running
 * `bin/streamlab.js kernel`. Absolute paths, so the kernel starts from any notebook directory and
 * does not depend on PATH (Jupyter servers often run with a reduced PATH).
 * Interrupts are SIGINT (tslab's way): a cell waiting on a promise returns, the stream goes on.
 */
export function kernelSpec(nodeBinary = process.execPath): KernelSpec {
  return {
    argv: [nodeBinary, path.join(packageRoot(), "bin", "streamlab.js"), "kernel", "--config-path", "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "signal",
    metadata: { debugger: false },
  };
}

/** Writes `<kernelsDir>/streamlab/kernel.json`; returns the kernelspec directory. Idempotent. */
export function writeKernelSpec(kernelsDir: string, spec: KernelSpec = kernelSpec()): string {
  const dir = path.join(kernelsDir, KERNEL_NAME);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "kernel.json");
  const text = JSON.stringify(spec, null, 2) + "\n";
  if (!fs.existsSync(file) || fs.readFileSync(file, "utf8") !== text) fs.writeFileSync(file, text);
  return dir;
}
