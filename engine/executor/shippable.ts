/**
 * Which user functions a worker thread may run: those that can be rebuilt from their source text
 * alone. A worker compiles that text in a sandbox (sandbox.ts) where the only names in scope are
 * the function's own and a list of pure built-ins, so a function that reads a variable of the
 * notebook, the module or `console` fails there and runs in this thread instead, and is not
 * offered again.
 *
 * The source alone does not say what a built-in's name means: `const Math = { floor: ... }` in the
 * user's scope makes `Math.floor` a different function here than on a worker. So before a
 * function is offered, the scopes it closes over are read through V8's inspector (the same
 * `[[Scopes]]` a debugger shows): a function that can see its own binding of an allowed built-in's
 * name, or sits in a `with` or `eval` scope, or whose global built-in was replaced, stays here.
 */
import type * as Inspector from "inspector";

/** The built-ins a shipped function may name: pure, and the same in every thread. */
export const ALLOWED_BUILTINS: ReadonlySet<string> = new Set([
  "undefined", "NaN", "Infinity", "Math", "JSON", "Number", "String", "Boolean", "BigInt", "Symbol",
  "Array", "Object", "Map", "Set", "Date", "RegExp", "Error", "TypeError", "RangeError",
  "parseInt", "parseFloat", "isNaN", "isFinite", "encodeURIComponent", "decodeURIComponent",
  "Int8Array", "Uint8Array", "Int16Array", "Uint16Array", "Int32Array", "Uint32Array", "Float32Array", "Float64Array",
]);

/** The built-ins as this thread started with them: one replaced on globalThis means something else here. */
const PRISTINE = new Map([...ALLOWED_BUILTINS].map((name) => [name, (globalThis as Record<string, unknown>)[name]]));

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
    // Method shorthand (`f(x) { ... }`) and getters are not expressions. Workers compile in
    // strict mode (sandbox.ts): a function that is no valid strict code stays here.
    new Function(`"use strict"; return (${src}\n);`);
  } catch {
    return null;
  }
  return builtinsMeanTheSame(fn, src) ? src : null;
}

/**
 * True when every allowed built-in that `src` names means, where `fn` was defined, the global
 * built-in a worker has: no scope `fn` closes over binds that name (a user's `const Math`), none
 * is a `with` or `eval` scope, and globalThis still holds the original. Undecidable (no inspector
 * in this Node) counts as false.
 */
function builtinsMeanTheSame(fn: Function, src: string): boolean {
  const named = new Set((src.match(/[A-Za-z_$][\w$]*/g) ?? []).filter((w) => ALLOWED_BUILTINS.has(w)));
  for (const name of named) if ((globalThis as Record<string, unknown>)[name] !== PRISTINE.get(name)) return false;
  const scopes = closureScopes(fn);
  if (scopes === undefined) return false;
  for (const scope of scopes) {
    if (scope.type === "with" || scope.type === "eval") return false;
    if (scope.type !== "global" && scope.names.some((n) => named.has(n))) return false;
  }
  return true;
}

/** The inspector session of the probe under way (closureScopes). */
let session: Inspector.Session | null | undefined;

/** A synchronous call to this thread's own inspector session (the Runtime domain answers at once). */
function post<T>(method: string, params: object): T {
  let result: T | undefined;
  let error: Error | null = null;
  (session as Inspector.Session).post(method, params, (e: Error | null, r?: object) => { error = e; result = r as T; });
  if (error) throw error;
  if (result === undefined) throw new Error(`${method} did not answer synchronously`);
  return result;
}

interface RemoteObject { objectId?: string; description?: string; type?: string }

/** The execution context the last probe was found in (a test runner may run code in a vm context). */
let probeContext: number | undefined;

/**
 * The inspector's handle of `globalThis.__streamlabScopeProbe`, evaluated in the context whose
 * globalThis this module sees: the last one that worked, else each context in turn.
 */
function probeObjectId(): string | undefined {
  const find = (contextId: number | undefined): string | undefined => {
    try {
      const { result } = post<{ result: RemoteObject }>("Runtime.evaluate", {
        expression: "typeof globalThis.__streamlabScopeProbe === 'function' ? globalThis.__streamlabScopeProbe : undefined",
        objectGroup: "streamlab-scopes", ...(contextId === undefined ? {} : { contextId }),
      });
      return result.type === "function" ? result.objectId : undefined;
    } catch {
      return undefined;
    }
  };
  const known = find(probeContext);
  if (known !== undefined) return known;
  // Enabling Runtime reports every context at once; it is disabled again right away.
  const contexts: number[] = [];
  const onContext = (m: { params: { context: { id: number } } }) => contexts.push(m.params.context.id);
  const s = session as Inspector.Session;
  s.on("Runtime.executionContextCreated", onContext);
  try {
    post("Runtime.enable", {});
  } finally {
    try { post("Runtime.disable", {}); } catch { /* was not enabled */ }
    s.off("Runtime.executionContextCreated", onContext);
  }
  for (const id of contexts) {
    const found = find(id);
    if (found !== undefined) {
      probeContext = id;
      return found;
    }
  }
  return undefined;
}
interface PropertyList { result: Array<{ name: string; value?: RemoteObject }>; internalProperties?: Array<{ name: string; value?: RemoteObject }> }

/**
 * The scopes `fn` closes over, innermost first, with the names each binds (V8 keeps only the
 * bindings some closure uses, which include every name `fn` resolves there); undefined when the
 * inspector is not available.
 */
function closureScopes(fn: Function): Array<{ type: string; names: string[] }> | undefined {
  // A session is connected for this probe only: nothing of the inspector stays on afterwards.
  try {
    const inspector = require("inspector") as typeof Inspector;
    session = new inspector.Session();
    session.connect();
  } catch {
    session = null;
  }
  if (session === null) return undefined;
  const holder = globalThis as unknown as { __streamlabScopeProbe?: Function };
  holder.__streamlabScopeProbe = fn;
  try {
    const fnId = probeObjectId();
    if (fnId === undefined) return undefined;
    const own = post<PropertyList>("Runtime.getProperties", { objectId: fnId, ownProperties: true });
    const scopesId = own.internalProperties?.find((p) => p.name === "[[Scopes]]")?.value?.objectId;
    if (scopesId === undefined) return undefined;
    const out: Array<{ type: string; names: string[] }> = [];
    for (const entry of post<PropertyList>("Runtime.getProperties", { objectId: scopesId, ownProperties: true }).result) {
      const scope = entry.value;
      if (scope?.objectId === undefined) continue;
      // Descriptions are "Global", "Script", "Closure (outer)", "Block", "With Block", "Eval"...
      const description = scope.description ?? "";
      const type = description === "Global" ? "global" : description.startsWith("With") ? "with" : description.startsWith("Eval") ? "eval" : "local";
      const names = type === "global" ? [] : post<PropertyList>("Runtime.getProperties", { objectId: scope.objectId, ownProperties: true }).result.map((p) => p.name);
      out.push({ type, names });
    }
    return out;
  } catch {
    return undefined;
  } finally {
    delete holder.__streamlabScopeProbe;
    try { post("Runtime.releaseObjectGroup", { objectGroup: "streamlab-scopes" }); } catch { /* nothing held */ }
    session.disconnect();
    session = undefined;
  }
}
