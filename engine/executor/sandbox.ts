import * as path from "path";
import { ALLOWED_BUILTINS, ENGINE_FUNCTION } from "./shippable";

/**
 * Compiles a shipped function's source on a worker thread so that it can only see its arguments,
 * its own locals and pure built-ins. Any other free name (a notebook variable, `console`,
 * `require`, `process`) throws NotShippable when read or written, and the task is run in the main
 * thread instead, where that name means what the user meant.
 */

const ALLOWED = ALLOWED_BUILTINS;

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

/**
 * Compiles `src` in a scope that claims every name but the allowed built-ins, as strict code.
 * Strict whatever the function was on the main thread: what strict code does differently without
 * an error (`this`, `arguments`, `eval`) is refused by shippable.ts, so the one difference left is
 * that strict code throws where sloppy code goes on silently (a write to a frozen object); a task
 * that throws here is run again on the main thread, in the function's own mode. Rebuilt sloppy,
 * a `'use strict'` function that throws on the main thread was silently ignored here.
 */
function confined(src: string): (...args: unknown[]) => unknown {
  // `with` is what confines the names; it exists only in sloppy-mode code, hence new Function,
  // with the function itself compiled inside a strict one.
  let fn: unknown;
  try {
    fn = new Function("scope", `with (scope) { return (function () { "use strict"; return (${src}\n); })(); }`)(scopeFor(src));
  } catch {
    throw new NotShippable("(no valid strict-mode code)", src);
  }
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
