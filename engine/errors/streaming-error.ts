/**
 * Every user-facing streamlab error carries a stable `code` (listed in docs/errors.md) next to a
 * sentence that names the value, the rule and the fix. Tests assert class, message and code together.
 */
export interface StreamingError extends Error {
  /** Stable identifier such as `STREAM_ERR_NO_OUTPUT`; safe to match on, unlike the message. */
  readonly code: string;
}

type ErrorClass = new (message: string) => Error;

/**
 * Builds an error of the right built-in class (TypeError for wrong types, RangeError for
 * out-of-range durations, Error for illegal state) with a stable `code` property.
 */
export function createError<C extends ErrorClass>(ctor: C, message: string, code: string): InstanceType<C> & StreamingError {
  const err = new ctor(message) as InstanceType<C> & { code: string };
  Object.defineProperty(err, "code", { value: code, enumerable: true });
  return err as InstanceType<C> & StreamingError;
}

/** True when `e` is a streamlab error with the given code. */
export function hasCode(e: unknown, code: string): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === code;
}
