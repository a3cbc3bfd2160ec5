/**
 * The per-record steps of the narrow transformations, by name, so that a chain of them can be
 * rebuilt from its functions alone, in this thread or on a worker thread (RDD.fromRecipes). A
 * step takes the sink of the transformation's records and returns the sink of its parent's.
 */

/** The narrow transformations a map task can rebuild from their user function. */
export type NarrowKind = "map" | "flatMap" | "filter" | "mapValues" | "flatMapValues";

/** A narrow transformation as its kind and user function: what a worker needs to redo it. */
export interface NarrowRecipe {
  kind: NarrowKind;
  fn: (...args: never[]) => unknown;
}

type Sink<T> = (t: T) => void;
type Step = (sink: Sink<unknown>) => Sink<unknown>;

type Fn = (...args: unknown[]) => unknown;

const NARROW_STEPS: Record<NarrowKind, (f: Fn) => Step> = {
  map: (f) => (sink) => (x) => sink(f(x)),
  flatMap: (f) => (sink) => (x) => {
    const ys = f(x) as Iterable<unknown>;
    // Arrays (what split() returns) are read by index: much faster than the iterator protocol.
    if (Array.isArray(ys)) for (let j = 0; j < ys.length; j++) sink(ys[j]);
    else for (const y of ys) sink(y);
  },
  filter: (f) => (sink) => (x) => { if (f(x)) sink(x); },
  mapValues: (f) => (sink) => (x) => {
    const [k, v] = x as [unknown, unknown];
    sink([k, f(v)]);
  },
  flatMapValues: (f) => (sink) => (x) => {
    const [k, v] = x as [unknown, unknown];
    for (const u of f(v) as Iterable<unknown>) sink([k, u]);
  },
};

/** The step of `recipe`. */
export function stepOf(recipe: NarrowRecipe): Step {
  return NARROW_STEPS[recipe.kind](recipe.fn as Fn);
}
