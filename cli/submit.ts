import * as fs from "fs";
import Module from "module";
import * as path from "path";
import { submitDefaults } from "../engine/conf";
import { installWebUi } from "../ui/index";
import { flag, parseArgs } from "./args";

const USAGE = `usage: streamlab submit [--master local[N]] [--name APP] [--conf key=value]... app.ts [app args...]
Runs a TypeScript or JavaScript streaming program, as spark-submit does. --master and --conf become
defaults of every SparkConf/StreamingContext the program creates (settings in the code win).`;

/**
 * `streamlab submit app.ts`: compiles the program with TypeScript (no type check, like ts-node's
 * transpile-only mode), lets it `import ... from "streamlab"` wherever it lives, and runs it.
 * Top-level `await` works (the program body runs inside an async function).
 */
export async function main(args: string[]): Promise<number> {
  const parsed = parseArgs(args);
  const [file, ...appArgs] = parsed.positional;
  if (!file || parsed.flags.has("help")) {
    process.stderr.write(USAGE + "\n");
    return file ? 0 : 2;
  }
  const master = flag(parsed, "master");
  if (master) submitDefaults.set("spark.master", master);
  const name = flag(parsed, "name");
  if (name) submitDefaults.set("spark.app.name", name);
  for (const kv of parsed.flags.get("conf") ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new Error(`--conf takes key=value, got "${kv}"`);
    submitDefaults.set(kv.slice(0, eq), kv.slice(eq + 1));
  }
  const full = path.resolve(file);
  if (!fs.existsSync(full)) throw new Error(`no such program: ${full}`);
  installStreamlabResolution();
  // As spark-submit's log says where the UI is: on stderr, so the program's stdout stays its own.
  installWebUi({ announce: (url) => process.stderr.write(`Streaming UI at ${url}\n`) });
  process.argv = [process.argv[0], full, ...appArgs];
  await runProgram(full);
  return 0;
}

/** Makes `require("streamlab")` resolve to this package from any directory. */
export function installStreamlabResolution(): void {
  const root = path.resolve(__dirname, "..", "..");
  const M = Module as unknown as { _resolveFilename: (req: string, ...rest: unknown[]) => string };
  const original = M._resolveFilename;
  if ((original as { streamlab?: boolean }).streamlab) return;
  const patched = function (this: unknown, request: string, ...rest: unknown[]): string {
    if (request === "streamlab") return require.resolve(root);
    if (request.startsWith("streamlab/")) return require.resolve(path.join(root, request.slice("streamlab/".length)));
    return original.call(this, request, ...rest);
  };
  (patched as { streamlab?: boolean }).streamlab = true;
  M._resolveFilename = patched;
}

async function runProgram(file: string): Promise<void> {
  const source = fs.readFileSync(file, "utf8");
  const ts = require("typescript") as typeof import("typescript");
  const js = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false },
  }).outputText;
  const mod = new Module(file, module) as Module & { _compile(code: string, filename: string): void; paths: string[] };
  mod.filename = file;
  mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(path.dirname(file));
  // The body runs in an async function so programs can `await ssc.awaitTermination()` at top level.
  const wrapped = `module.exports.__streamlabMain = async function () {\n${js}\n};`;
  mod._compile(wrapped, file);
  await (mod.exports as { __streamlabMain: () => Promise<void> }).__streamlabMain();
}
