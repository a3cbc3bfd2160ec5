/**
 * Which user functions a worker thread may run: those that can be rebuilt from their source text
 * alone. A worker compiles that text in a sandbox (sandbox.ts) where the only names in scope are
 * the function's own and a list of pure built-ins, so a function that reads a variable of the
 * notebook, the module or `console` fails there and runs in this thread instead, and is not
 * offered again.
 */

const sources = new WeakMap<object, string | null>();

/** The source text of `fn` if a worker may try it, else undefined. Checked once per function. */
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
