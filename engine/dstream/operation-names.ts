import { withOperation } from "../ownership";
import { StreamingContext } from "../streaming-context";
import { CORE_METHODS, DStream } from "./dstream";

/**
 * Names every stream by the public operation that created it (`reduceByKey`, `window`,
 * `socketTextStream`), for output titles and `ssc.outputs()`: wraps each public method of
 * DStream and the stream-creating methods of StreamingContext so the streams created inside get
 * the outermost method's name. Runs once, after every operator has attached its method. @internal
 */
export function nameOperations(): void {
  // Only the operators' methods: DStream's own (getOrCompute, clearMetadata...) run every batch.
  wrapAll(DStream.prototype as unknown as Record<string, unknown>, Object.getOwnPropertyNames(DStream.prototype).filter((n) => !CORE_METHODS.has(n)));
  wrapAll(StreamingContext.prototype as unknown as Record<string, unknown>,
    ["queueStream", "receiverStream", "socketTextStream", "socketStream", "textFileStream", "fileStream", "binaryRecordsStream", "union", "transform"]);
}

const WRAPPED = Symbol("streamlab.operationName");

function wrapAll(proto: Record<string, unknown>, names: string[]): void {
  for (const name of names) {
    const desc = Object.getOwnPropertyDescriptor(proto, name);
    const fn = desc?.value as ((...args: unknown[]) => unknown) & { [WRAPPED]?: true } | undefined;
    if (name === "constructor" || typeof fn !== "function" || fn[WRAPPED] || name.startsWith("_")) continue;
    const wrapped = { [name](this: unknown, ...args: unknown[]) { return withOperation(name, () => fn.apply(this, args)); } }[name] as typeof fn;
    wrapped[WRAPPED] = true;
    Object.defineProperty(proto, name, { ...desc, value: wrapped });
  }
}
