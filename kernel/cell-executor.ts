import Module = require("module");
import * as path from "path";
import * as vm from "vm";
import { declarationsThatRan } from "./declarations";

/**
 * tslab's executor (tslab/dist/executor.js, v1.0.22) rewritten with what a streaming notebook
 * needs; the kernel installs it in place of tslab's:
 * - a cell that fails keeps the declarations that ran before the failure (its imports, the values
 *   assigned before the failing line): tslab forgot every declaration of a failed cell, so
 *   `Cannot find name 'jsc'` followed an interrupted `await jsc.awaitTermination()`;
 * - an Interrupt while the cell awaits ends the wait with a one-line message, no stack, and the
 *   promise it stopped waiting for can no longer fail the process later;
 * - each cell's code is compiled under its own file name (`cell [4]`), so stack frames say which
 *   cell and line instead of `evalmachine.<anonymous>`.
 */

/** tslab's converters (tslab/dist/converter.js). */
interface Converter {
  convert(prevDecl: string, src: string): {
    output?: string; declOutput?: string; diagnostics: Diagnostic[]; hasToplevelAwait?: boolean;
    sideOutputs?: Array<{ path: string; data: string }>; lastExpressionVar?: string;
  };
  inspect(prevDecl: string, src: string, position: number): unknown;
  complete(prevDecl: string, src: string, position: number): unknown;
  addModule(name: string, src: string, meta: unknown): Diagnostic[];
}
interface Diagnostic { fileName?: string; start: { line: number; character: number }; messageText: string }
export interface ConverterSet { node: Converter; browser: Converter; close(): void }
export interface ExecutorConsole { log(value: unknown): void; error(...args: unknown[]): void }

/** What the kernel tells the executor about the cell it runs. */
export interface CellSource {
  /** The file name stack frames show for this cell's code, e.g. `cell [4]`. */
  fileName: string;
  /** Called with the compiled JavaScript before it runs (stack frames' lines refer to it). */
  onCompiled?(js: string): void;
}

/** The error an Interrupt ends an awaiting cell with: a message, no stack. */
export class CellInterrupted extends Error {
  constructor() {
    super("the cell stopped waiting. What it declared stays defined, and running streams go on (stop them with ssc.stop()).");
    this.name = "Interrupted";
  }
}

/** `require` for notebook code: resolves from the notebook directory; `tslab` and in-notebook modules (%module) are served. */
function wrapRequire(req: NodeRequire, dirname: string, sideOutputs: Map<string, string>, sideModules: Map<string, Module>): NodeRequire {
  const fromSideOutputs = (id: string): unknown => {
    let filename = path.join(dirname, id);
    if (path.extname(filename) === "") filename += ".js";
    const cached = sideModules.get(filename);
    if (cached) return cached.exports;
    const data = sideOutputs.get(filename);
    if (data === undefined) return null;
    const mod = new Module(filename, module) as Module & { _compile(code: string, file: string): void };
    mod.filename = filename;
    mod.paths = (Module as unknown as { _nodeModulePaths(d: string): string[] })._nodeModulePaths(path.dirname(filename));
    mod.require = wrapRequire(mod.require as NodeRequire, path.dirname(filename), sideOutputs, sideModules);
    mod._compile(data, filename);
    sideModules.set(filename, mod);
    return mod.exports;
  };
  return new Proxy(req, {
    apply(_target, thisArg, args: unknown[]) {
      if (args.length !== 1) return Reflect.apply(req, thisArg, args);
      const id = args[0] as string;
      if (id === "tslab") return require("tslab");
      return fromSideOutputs(id) ?? Reflect.apply(req, thisArg, args);
    },
  });
}

/** The `exports` object cells share: named imports are stored as plain (rewritable) values. */
function createExports(): Record<string, unknown> {
  const target: Record<string, unknown> = {};
  return new Proxy(target, {
    defineProperty(_t, prop, attrs) {
      if (prop === "__esModule") return true;
      target[prop as string] = attrs.get ? attrs.get() : attrs.value;
      return true;
    },
  });
}

let endWait: (() => void) | undefined;

/**
 * Ends the wait of the cell that is awaiting now (as SIGINT does when no batch job holds the
 * thread); false when no cell awaits.
 */
export function interruptWaitingCell(): boolean {
  if (!endWait) return false;
  endWait();
  return true;
}

/** Creates the executor; same interface as tslab's createExecutor plus `execute(src, cell)`. */
export function createCellExecutor(rootDir: string, convs: ConverterSet, out: ExecutorConsole) {
  const sideOutputs = new Map<string, string>();
  const sideModules = new Map<string, Module>();
  const exports = createExports();
  const req = wrapRequire(Module.createRequire(path.join(rootDir, "src.js")), rootDir, sideOutputs, sideModules);
  vm.runInThisContext("(x) => { globalThis.__tslab__ = x; }")({ exports, require: req });

  let prevDecl = "";
  let interruptWaiting: (() => void) | undefined;
  /** An Interrupt arrived while the cell was compiling or starting: it ends the cell at its next step. */
  let executing = false;
  let interruptPending = false;

  function printDiagnostics(diagnostics: Diagnostic[]): void {
    for (const d of diagnostics) out.error("%s%d:%d - %s", d.fileName ? d.fileName + " " : "", d.start.line + 1, d.start.character + 1, d.messageText);
  }

  /** Ends the current cell's wait (SIGINT), or the cell at its next step while it compiles. */
  function interrupt(): void {
    if (interruptWaiting) interruptWaiting();
    else if (executing) interruptPending = true;
  }

  async function execute(src: string, cell: CellSource = { fileName: "cell" }): Promise<boolean> {
    executing = true;
    interruptPending = false;
    try {
      return await executeCell(src, cell);
    } finally {
      executing = false;
      interruptPending = false;
    }
  }

  async function executeCell(src: string, cell: CellSource): Promise<boolean> {
    const meta = (require("tslab/dist/metadata.js") as { getCodeMetadata(s: string): { module?: string; mode?: string } }).getCodeMetadata(src);
    if (meta.module) {
      printDiagnostics((meta.mode === "browser" ? convs.browser : convs.node).addModule(meta.module, src, meta));
      return true;
    }
    if (meta.mode === "browser") return true;
    const converted = convs.node.convert(prevDecl, src);
    for (const o of converted.sideOutputs ?? []) {
      sideModules.delete(o.path);
      sideOutputs.set(o.path, o.data);
    }
    if (converted.diagnostics.length > 0) {
      printDiagnostics(converted.diagnostics);
      return false;
    }
    if (!converted.output) {
      prevDecl = converted.declOutput || "";
      return true;
    }
    const compiled = converted.output;
    const failed = (e: unknown): false => {
      prevDecl = declarationsThatRan(converted.declOutput || "", compiled, exports);
      out.error(e);
      return false;
    };
    let promise: Promise<unknown> | undefined;
    if (interruptPending) {
      out.error(new CellInterrupted());
      return false;
    }
    try {
      // A function wrapper (tslab#11), async when the cell awaits at top level.
      const prefix = converted.hasToplevelAwait ? "(async function(exports, require) { " : "(function(exports, require) { ";
      cell.onCompiled?.(compiled);
      const ret = vm.runInThisContext(prefix + compiled + "\n})(__tslab__.exports, __tslab__.require)", { filename: cell.fileName, breakOnSigint: true });
      if (converted.hasToplevelAwait) promise = ret as Promise<unknown>;
    } catch (e) {
      return failed(e);
    }
    if (promise) {
      const waited = promise;
      try {
        await new Promise<void>((resolve, reject) => {
          interruptWaiting = endWait = () => reject(new CellInterrupted());
          if (interruptPending) interruptWaiting();
          waited.then(() => resolve(), reject);
        });
      } catch (e) {
        // The cell stopped waiting; whatever it awaited may still fail later (awaitTermination
        // rejects on a failed batch): that must not become an unhandled rejection.
        if (e instanceof CellInterrupted) waited.catch(() => undefined);
        return failed(e);
      } finally {
        interruptWaiting = endWait = undefined;
      }
    }
    prevDecl = converted.declOutput || "";
    if (converted.lastExpressionVar && exports[converted.lastExpressionVar] != null) {
      const value = exports[converted.lastExpressionVar];
      delete exports[converted.lastExpressionVar];
      out.log(value);
    }
    return true;
  }

  const converterFor = (src: string) =>
    (require("tslab/dist/metadata.js") as { getCodeMetadata(s: string): { mode?: string } }).getCodeMetadata(src).mode === "browser" ? convs.browser : convs.node;

  return {
    execute,
    inspect: (src: string, position: number) => converterFor(src).inspect(prevDecl, src, position),
    complete: (src: string, position: number) => converterFor(src).complete(prevDecl, src, position),
    locals: exports,
    reset() {
      prevDecl = "";
      for (const name of Object.getOwnPropertyNames(exports)) delete exports[name];
    },
    interrupt,
    close: () => convs.close(),
  };
}

export type CellExecutor = ReturnType<typeof createCellExecutor>;
