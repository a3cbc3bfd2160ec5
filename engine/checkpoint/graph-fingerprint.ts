import { createHash } from "crypto";
import type { DStream } from "../dstream/dstream";
import type { DStreamGraph } from "../graph";

/**
 * The stable identity of one DStream, stored in every checkpoint: its id (creation order), its
 * operator class, the ids it is computed from, and a hash of its user functions' source text.
 * JavaScript closures cannot be serialized, so recovery rebuilds the graph with `create()` and
 * matches streams by this identity instead. Captured variables are not part of a function's
 * source: changing a constant a closure reads is not detected.
 */
export interface StreamIdentity {
  id: number;
  operator: string;
  dependencies: number[];
  functionsHash: string;
  /** True when the stream keeps state across batches (it has a checkpoint interval). */
  stateful: boolean;
  /** What the stream computes, independent of ids: see `structuralFingerprint`. */
  structure?: string;
  /** Who defined it (e.g. a notebook cell id). */
  owner?: string;
  /** The public operation that created it, e.g. `updateStateByKey`. */
  operation?: string;
  /** For a stream added while the context ran: the batch time it joined at. */
  joinTime?: number;
}

/** The identities of every stream of a graph, in id order. */
export function fingerprintGraph(graph: DStreamGraph): StreamIdentity[] {
  return graph.streams.map((s) => ({
    id: s.id,
    operator: s.constructor.name,
    dependencies: s.dependencies.map((d) => d.id),
    functionsHash: functionsHash(s),
    stateful: s.checkpointDuration !== undefined,
    structure: structuralFingerprint(s),
    owner: s.owner,
    operation: s.operation,
    joinTime: s.joinTime ?? joinedAtStart(graph, s),
  }));
}

/**
 * A stream of the graph at start that `getOrCreate`'s `create()` did not build (defined between
 * getOrCreate and start): recovery cannot expect it from `create()`, so it is recorded as joining
 * at the first batch.
 */
function joinedAtStart(graph: DStreamGraph, s: DStream<unknown>): number | undefined {
  if (!graph.createdIds || graph.createdIds.has(s.id) || graph.zeroTime === undefined) return undefined;
  return graph.zeroTime + graph.batchDuration;
}

function functionsHash(s: DStream<unknown>): string {
  return createHash("sha256").update(s.userFunctions.map((f) => f.toString()).join("\u0000")).digest("hex").slice(0, 16);
}

const structures = new WeakMap<DStream<unknown>, string>();

/**
 * What a stream computes, whatever its id: its operator, its functions' source, its parameters
 * (window length, partitions, slide) and, recursively, its parents' structural fingerprints.
 * Two definitions of the same computation get the same fingerprint, in any context and any
 * position: this is how a re-run notebook cell's stateful stream finds the state of the stream
 * it replaces, and how a stream added after start finds its state after a crash.
 */
export function structuralFingerprint(s: DStream<unknown>): string {
  let fp = structures.get(s);
  if (fp === undefined) {
    const parts = [s.constructor.name, functionsHash(s), String(s.slideDuration), JSON.stringify(s.fingerprintParams()), ...s.dependencies.map(structuralFingerprint)];
    fp = createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 16);
    structures.set(s, fp);
  }
  return fp;
}

/** Describes a stream for messages: `stream 4 (StateDStream)`. */
export function describeStream(s: Pick<StreamIdentity, "id" | "operator">): string {
  return `stream ${s.id} (${s.operator})`;
}

/** True when `a` and `b` are the same operator on the same inputs with the same function source. */
export function sameIdentity(a: StreamIdentity | undefined, b: StreamIdentity | undefined): boolean {
  return !!a && !!b && a.operator === b.operator && a.functionsHash === b.functionsHash && a.dependencies.join() === b.dependencies.join();
}

/** One sentence per difference between the checkpoint's graph and the new one; empty when equal. */
export function diffFingerprints(saved: StreamIdentity[], current: StreamIdentity[]): string[] {
  const out: string[] = [];
  for (let id = 0; id < Math.max(saved.length, current.length); id++) {
    const was = saved[id];
    const now = current[id];
    if (!now) { out.push(`${describeStream(was)} is in the checkpoint but not in the new graph`); continue; }
    if (!was) { out.push(`${describeStream(now)} is new: the checkpoint has no stream ${id}`); continue; }
    if (was.operator !== now.operator) { out.push(`stream ${id} was ${was.operator}, is now ${now.operator}`); continue; }
    if (was.functionsHash !== now.functionsHash) out.push(`${describeStream(now)}: its function's source code changed`);
    if (was.dependencies.join() !== now.dependencies.join()) {
      out.push(`${describeStream(now)}: its inputs changed from streams [${was.dependencies.join(", ")}] to [${now.dependencies.join(", ")}]`);
    }
  }
  return out;
}
