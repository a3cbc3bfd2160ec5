import * as fs from "fs";
import * as path from "path";
import { packageRoot } from "./package-root";

/** The module notebooks get for `import ... from "streamlab"`: the engine plus the notebook outputs. */
function notebookEntry(): string {
  return require.resolve("./index");
}

/**
 * Makes `require("streamlab")` resolve, from any directory, to this installation's streamlab (the
 * one whose runtime hooks are installed), even when the notebook directory has no node_modules or
 * holds another copy.
 */
export function installRequireHook(): void {
  const Module = require("module") as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
  const original = Module._resolveFilename;
  const entry = notebookEntry();
  Module._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    if (request === "streamlab") return entry;
    return original.call(this, request, ...rest);
  };
}

/** The parts of TypeScript's `ts.sys` that module resolution reads. */
interface TsSys {
  readFile(p: string, encoding?: string): string | undefined;
  fileExists(p: string): boolean;
  directoryExists(p: string): boolean;
  realpath?(p: string): string;
  getDirectories(p: string): string[];
  readDirectory(p: string, ...rest: unknown[]): string[];
  getCurrentDirectory(): string;
}

/**
 * Lets tslab's TypeScript compiler (5.0, moduleResolution node10) find streamlab's types from any
 * notebook directory: `<cwd>/node_modules/streamlab/...` is served from this package (tslab does
 * the same for its own `tslab` module). The virtual package.json points at the notebook entry's
 * declarations, so completions and tooltips include display(), chart() and dashboard().
 */
export function installTypeResolution(): void {
  const tslabDir = path.dirname(require.resolve("tslab/package.json"));
  const ts = require(require.resolve("@tslab/typescript-for-tslab", { paths: [tslabDir] })) as { sys: TsSys };
  const sys = ts.sys;
  const root = packageRoot();
  const version = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")).version;
  const manifest = JSON.stringify({ name: "streamlab", version, main: "dist/kernel/index.js", types: "dist/kernel/index.d.ts" });
  const virtualDir = () => path.join(sys.getCurrentDirectory(), "node_modules", "streamlab");
  /** The real path behind a virtual one, or undefined when `p` is not under the virtual package. */
  const forward = (p: string): string | undefined => {
    const rel = path.relative(virtualDir(), p);
    if (rel.startsWith("..") || path.isAbsolute(rel)) return undefined;
    return path.join(root, rel);
  };
  const isManifest = (p: string) => path.resolve(p) === path.join(virtualDir(), "package.json");
  const original = { ...sys, realpath: sys.realpath?.bind(sys) } as TsSys;
  sys.readFile = (p, enc) => (isManifest(p) ? manifest : original.readFile(forward(p) ?? p, enc));
  sys.fileExists = (p) => isManifest(p) || original.fileExists(forward(p) ?? p);
  sys.directoryExists = (p) =>
    p === path.join(sys.getCurrentDirectory(), "node_modules") || original.directoryExists(forward(p) ?? p);
  sys.getDirectories = (p) => original.getDirectories(forward(p) ?? p);
  sys.readDirectory = (p, ...rest) => original.readDirectory(forward(p) ?? p, ...rest);
  // Once resolved, a declaration file lives at its real path, so its own imports (vega-lite's
  // types, relative files) resolve from this package as usual.
  sys.realpath = (p) => {
    const real = isManifest(p) ? undefined : forward(p);
    return real ?? (original.realpath ? original.realpath(p) : p);
  };
}
