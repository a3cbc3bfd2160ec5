/**
 * Which user functions a worker thread may run: those that can be rebuilt from their source text
 * alone. A worker compiles that text in a sandbox (sandbox.ts) where the only names in scope are
 * the function's own and a list of pure built-ins, so a function that reads a variable of the
 * notebook, the module or `console` fails there and runs in this thread instead, and is not
 * offered again.
 */

const sources = new WeakMap<object, string | null>();

/** How a shipped engine function is named in place of source: `engine:<module>#<export>`. */
export const ENGINE_FUNCTION = /^engine:([a-z][a-z0-9-]*(?:\/[a-z][a-z0-9-]*)*)#([A-Za-z_$][\w$]*)$/;

/**
 * Lets a worker thread run the engine function `fn` by loading its module, for a pure function
 * that calls helpers of its own module (a parser) and so cannot be rebuilt from its source alone.
 * @param module its module under engine/, e.g. "tools/sales-parser"
 * @param exportName the name it is exported under
 */
export function shipByName(fn: (...args: never[]) => unknown, module: string, exportName: string): void {
  const ref = `engine:${module}#${exportName}`;
  if (!ENGINE_FUNCTION.test(ref)) throw new Error(`shipByName: ${ref} is not an engine module and export name`);
  sources.set(fn, ref);
}

/**
 * The source text of `fn` if a worker may try it (or, for an engine function registered with
 * shipByName, its `engine:` name), else undefined. Checked once per function.
 */
export function shippableSource(fn: unknown): string | undefined {
  if (typeof fn !== "function") return undefined;
  let src = sources.get(fn);
  if (src === undefined) {
    src = sourceIfCompilable(fn);
    sources.set(fn, src);
  }
  return src ?? undefined;
}

/** Records that `fn` failed on a worker for a reason other than its input: never offer it again. */
export function markNotShippable(fn: object): void {
  sources.set(fn, null);
}

function sourceIfCompilable(fn: Function): string | null {
  const src = Function.prototype.toString.call(fn);
  // Native and bound functions have no source; classes need `new`; `arguments`, `eval` and
  // `this` would mean something else in the worker's wrapper.
  if (/\[native code\]\s*\}\s*$/.test(src) || /^\s*class\b/.test(src) || /\b(arguments|eval|this|super)\b/.test(src)) return null;
  try {
    // Method shorthand (`f(x) { ... }`) and getters are not expressions.
    new Function(`return (${src}\n);`);
    return src;
  } catch {
    return null;
  }
}
