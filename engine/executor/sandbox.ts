import * as path from "path";
import { ENGINE_FUNCTION } from "./shippable";

/**
 * Compiles a shipped function's source on a worker thread so that it can only see its arguments,
 * its own locals and pure built-ins. Any other free name (a notebook variable, `console`,
 * `require`, `process`) throws NotShippable when read or written, and the task is run in the main
 * thread instead, where that name means what the user meant.
 */

/** The built-ins a shipped function may name: pure, and the same in every thread. */
const ALLOWED = new Set([
  "undefined", "NaN", "Infinity", "Math", "JSON", "Number", "String", "Boolean", "BigInt", "Symbol",
  "Array", "Object", "Map", "Set", "Date", "RegExp", "Error", "TypeError", "RangeError",
  "parseInt", "parseFloat", "isNaN", "isFinite", "encodeURIComponent", "decodeURIComponent",
  "Int8Array", "Uint8Array", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
]);

/** Thrown when a shipped function names something outside its sandbox. */
export class NotShippable extends Error {
  /**
   * @param freeName the name it looked up
   * @param src the source of the function that looked it up
   */
  constructor(readonly freeName: string, readonly src: string) {
    super(`names ${freeName}, which a worker thread does not have`);
  }
}

/** The scope a function is compiled in: claims every name but the allowed ones, and throws on use. */
function scopeFor(src: string): object {
  return new Proxy(Object.create(null) as object, {
    // Claiming a name makes the `with` scope, not the global one, resolve it.
    has: (_, name) => typeof name === "string" && !ALLOWED.has(name),
    get: (_, name) => {
      if (name === Symbol.unscopables) return undefined;
      throw new NotShippable(String(name), src);
    },
    set: (_, name) => { throw new NotShippable(String(name), src); },
  });
}

const compiled = new Map<string, (...args: unknown[]) => unknown>();

/**
 * The function whose source is `src`, confined to the sandbox; compiled once per source. An
 * `engine:<module>#<export>` name (shippable.ts, shipByName) is loaded from the engine instead.
 */
export function sandboxed(src: string): (...args: unknown[]) => unknown {
  let fn = compiled.get(src);
  if (fn === undefined) {
    fn = ENGINE_FUNCTION.test(src) ? engineFunction(src) : confined(src);
    compiled.set(src, fn);
  }
  return fn;
}

/** Compiles `src` in a scope that claims every name but the allowed built-ins. */
function confined(src: string): (...args: unknown[]) => unknown {
  // `with` is what confines the names; it exists only in sloppy-mode code, hence new Function.
  const fn: unknown = new Function("scope", `with (scope) { return (${src}\n); }`)(scopeFor(src));
  if (typeof fn !== "function") throw new NotShippable("(not a function)", src);
  return fn as (...args: unknown[]) => unknown;
}

/** The engine function named `engine:<module>#<export>`, from this thread's copy of the engine. */
function engineFunction(ref: string): (...args: unknown[]) => unknown {
  const [, module, exportName] = ENGINE_FUNCTION.exec(ref) as RegExpExecArray;
  let fn: unknown;
  try {
    // The pattern admits only lower-case path segments under engine/: nothing outside it loads.
    fn = (require(path.join(__dirname, "..", module)) as Record<string, unknown>)[exportName];
  } catch {
    fn = undefined;
  }
  // Not offered again, as a function that names something outside the sandbox.
  if (typeof fn !== "function") throw new NotShippable(`${module}#${exportName} (not an engine function)`, ref);
  return fn as (...args: unknown[]) => unknown;
}
