import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// Child processes for the kill -9 and shutdown tests: the engine and the child programs are
// transpiled to plain CommonJS once per test file (no type check: `npm test` type-checks), so a
// child starts in well under a second and can be SIGKILLed like any Node program.

const ROOT = path.resolve(__dirname, "..", "..");

/** A directory of transpiled JS: the engine plus `programs` (test files exporting `main(engine, argv)`). */
export interface ChildPrograms {
  /** Starts `program` (a path relative to the repository, e.g. "test/checkpoint/crash-app.ts") with `args`. */
  spawn(program: string, args: string[], stdio?: "pipe" | "ignore"): ChildProcess;
}

export function transpileForChildren(programs: string[]): ChildPrograms {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "streamlab-children-"));
  const ts = require("typescript") as typeof import("typescript");
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
  for (const file of [...walk(path.join(ROOT, "engine")), ...programs.map((p) => path.join(ROOT, p))]) {
    const js = ts.transpileModule(fs.readFileSync(file, "utf8"), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
    }).outputText;
    const target = path.join(out, path.relative(ROOT, file)).replace(/\.ts$/, ".js");
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, js);
  }
  const launcher = path.join(out, "launch.js");
  fs.writeFileSync(launcher, `require(require("path").join(__dirname, process.argv[2])).main(require("./engine/index.js"), process.argv.slice(3));\n`);
  const env = { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") };
  return {
    spawn: (program, args, stdio = "ignore") => spawn(process.execPath, [launcher, program.replace(/\.ts$/, ".js"), ...args], { env, stdio: ["ignore", stdio, "pipe"] }),
  };
}

/** Resolves with the child's exit signal, or its exit code. */
export function waitExit(child: ChildProcess): Promise<number | string | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.signalCode ?? child.exitCode);
  return new Promise((resolve) => child.on("exit", (code, signal) => resolve(signal ?? code)));
}

/** One batch of `print()` output: its time and its lines. */
export interface PrintedBatch { time: number; lines: string[] }

/** Collects a child's stdout and parses it into Spark's print() batches. */
export function printedBatches(child: ChildProcess): () => PrintedBatch[] {
  let text = "";
  child.stdout?.on("data", (d) => { text += String(d); });
  return () => [...text.matchAll(/-{43}\nTime: (\d+) ms\n-{43}\n((?:.+\n)*)\n/g)]
    .map((m) => ({ time: Number(m[1]), lines: m[2].split("\n").filter((l) => l !== "") }));
}
