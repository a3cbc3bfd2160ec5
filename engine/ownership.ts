/**
 * Who is defining streams right now. An environment that runs user code in pieces (the Jupyter
 * kernel runs cells) sets the current owner around each piece; every stream and output operation
 * created meanwhile records it, so `ssc.removeOwnedBy(owner)` can later remove exactly what that
 * piece defined (re-running a cell replaces what its previous run defined). Plain Node programs
 * never set it: everything is then owned by `undefined`.
 */

let owner: string | undefined;
let operation: string | undefined;

/**
 * Sets the owner recorded by every stream and output defined from now on (e.g. a notebook
 * cell's id), or `undefined` for none. Returns the previous owner, so callers can restore it.
 * @example
 * const previous = setCurrentOwner("cell-3");
 * try { runCell(); } finally { setCurrentOwner(previous); }
 */
export function setCurrentOwner(next: string | undefined): string | undefined {
  const previous = owner;
  owner = next;
  return previous;
}

/** The owner that streams defined now record, or undefined. */
export function currentOwner(): string | undefined {
  return owner;
}

/**
 * Runs `fn` with `name` as the public operation being defined (`reduceByKey`, `print`...): the
 * outermost one wins, so the internal streams of `countByValue` are all named `countByValue`.
 * Output operations defined outside the engine (the kernel's `display`, `chart`) use it to name
 * their output.
 * @example DStream.prototype.display = function (o) { return withOperation("display", () => this.foreachRDD(...)); }
 */
export function withOperation<R>(name: string, fn: () => R): R {
  if (operation !== undefined) return fn();
  operation = name;
  try {
    return fn();
  } finally {
    operation = undefined;
  }
}

/** The public operation being defined now, if any. @internal */
export function currentOperation(): string | undefined {
  return operation;
}
