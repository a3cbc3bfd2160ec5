import * as fs from "fs";
import * as path from "path";
import { spawn } from "child_process";

/** The repository root and the project's Python environment that npm install creates. */
export const ROOT = path.resolve(__dirname, "..", "..");
export const VENV_PYTHON = path.join(ROOT, ".venv", "bin", "python");
const KERNEL_SPEC = path.join(ROOT, ".venv", "share", "jupyter", "kernels", "streamlab", "kernel.json");
const BUILT_KERNEL = path.join(ROOT, "dist", "cli", "kernel.js");

/** Why the kernel tests cannot run here, or undefined when they can. Only a missing .venv skips. */
export function venvMissing(): string | undefined {
  if (!fs.existsSync(VENV_PYTHON)) return `${VENV_PYTHON} is missing: run npm install (it creates .venv) to run the Jupyter kernel tests`;
  return undefined;
}

/** `describe` when .venv exists, else a skipped suite that says why (once, on stderr). */
export function describeWithVenv(name: string, fn: () => void): void {
  const why = venvMissing();
  if (why) {
    process.stderr.write(`SKIPPED ${name}: ${why}\n`);
    describe.skip(name, fn);
    return;
  }
  describe(name, () => {
    beforeAll(() => {
      if (!fs.existsSync(BUILT_KERNEL)) throw new Error(`${BUILT_KERNEL} is missing: run npm run build first`);
      if (!fs.existsSync(KERNEL_SPEC)) throw new Error(`${KERNEL_SPEC} is missing: run node scripts/setup-python.js`);
    });
    fn();
  });
}

/** Runs a Python test file of test/kernel with .venv's Python; resolves with its exit code and output. */
export function runPython(args: string[], timeoutMs: number, env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(VENV_PYTHON, args, { cwd: __dirname, env: { ...process.env, PYTHONUNBUFFERED: "1", ...env } });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`python ${args.join(" ")} timed out after ${timeoutMs} ms:\n${output}`)); }, timeoutMs);
    child.on("error", (e) => { clearTimeout(timer); reject(e); });
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, output }); });
  });
}
