import { createHash } from "crypto";
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
}

/** The identities of every stream of a graph, in id order. */
export function fingerprintGraph(graph: DStreamGraph): StreamIdentity[] {
  return graph.streams.map((s) => ({
    id: s.id,
    operator: s.constructor.name,
    dependencies: s.dependencies.map((d) => d.id),
    functionsHash: createHash("sha256").update(s.userFunctions.map((f) => f.toString()).join("\u0000")).digest("hex").slice(0, 16),
    stateful: s.checkpointDuration !== undefined,
  }));
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
