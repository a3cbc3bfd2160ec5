import * as v8 from "v8";
import { AppendOnlyMap } from "../../engine/rdd/append-only-map";
import { createOpenHashMap, openHashMapForEach, openHashMapGet, openHashMapSize, openHashMapUpdate } from "../../engine/rdd/open-hash-map";
import { compactStateMap, restoreStateMap, shouldCompact, StateMapCopy, stateMapEntries, stateMapFrom } from "../../engine/state/state-map";

const words = Array.from({ length: 100 }, (_, i) => `w${i}`).concat(["Aa", "BB", "AaBB", "BBAa"]);

describe("OpenHashMap emulation (Spark's util.collection.OpenHashMap)", () => {
  it("lays keys out as Spark's AppendOnlyMap does (same capacity, growth, probing, murmur rehash); null key first", () => {
    const open = createOpenHashMap<string | null, number>();
    const append = new AppendOnlyMap<string, number>();
    words.forEach((w, i) => { openHashMapUpdate(open, w, i); append.changeValue(w, () => i); });
    openHashMapUpdate(open, null, -1);
    const listed: [string | null, number][] = [];
    openHashMapForEach(open, (k, v) => listed.push([k, v]));
    expect(listed).toEqual([[null, -1], ...append.entries()]);
    expect(open.capacity).toBe(256); // 104 keys: grown at 45 (64 → 128) and at 90 (128 → 256)
    expect(openHashMapSize(open)).toBe(105);
    expect(openHashMapGet(open, "AaBB")).toBe(words.indexOf("AaBB"));
    expect(openHashMapGet(open, "nope")).toBeUndefined();
  });

  it("survives a v8 round trip (plain data) and keeps working", () => {
    const open = createOpenHashMap<string, number>();
    words.slice(0, 40).forEach((w, i) => openHashMapUpdate(open, w, i));
    const back = v8.deserialize(v8.serialize(open)) as typeof open;
    words.slice(40).forEach((w, i) => { openHashMapUpdate(open, w, i); openHashMapUpdate(back, w, i); });
    const a: string[] = [], b: string[] = [];
    openHashMapForEach(open, (k) => a.push(k));
    openHashMapForEach(back, (k) => b.push(k));
    expect(b).toEqual(a);
  });
});

describe("state map delta chain (Spark's OpenHashMapBasedStateMap)", () => {
  const base = stateMapFrom(words.slice(0, 10).map((w, i) => [w, i, 1000] as const), -1000);

  it("lists the parent's untouched states first, then the batch's delta in slot order; a removed key is hidden", () => {
    const batch = new StateMapCopy(base, 2000);
    batch.put("w3", 30, 2000);
    batch.put("new", 1, 2000);
    batch.remove("w5");
    const after = batch.result();
    const delta = createOpenHashMap<string, number>();
    ["w3", "new", "w5"].forEach((w) => openHashMapUpdate(delta, w, 0));
    const deltaOrder: string[] = [];
    openHashMapForEach(delta, (k) => { if (k !== "w5") deltaOrder.push(k); });
    const untouched = stateMapEntries(base).map(([k]) => k).filter((k) => !["w3", "w5"].includes(k));
    expect(stateMapEntries(after).map(([k]) => k)).toEqual([...untouched, ...deltaOrder]);
    expect(new StateMapCopy(after, 3000).get("w5")).toBeUndefined();
    expect(new StateMapCopy(after, 3000).get("w3")).toEqual({ state: 30 });
    expect(stateMapEntries(after).find(([k]) => k === "new")).toEqual(["new", 1, 2000]);
  });

  it("a batch that writes nothing holds the previous data itself (so replay sees the state unchanged)", () => {
    expect(new StateMapCopy(base, 2000).result()).toBe(base);
  });

  it("compacts at a depth of 20 maps: one parent level under the batch's own delta, same states", () => {
    let map = base; // 2 maps deep at 1000, as Spark's first batch
    for (let t = 1000; t <= 20000; t += 1000) {
      const batch = new StateMapCopy(map, t);
      if (t % 3000 !== 0) batch.put(`w${t / 1000}`, t, t);
      map = batch.result();
    }
    expect(shouldCompact(map, 18000, 1000, 20)).toBe(false); // 19 maps deep (batch k is k + 1 deep)
    expect(shouldCompact(map, 20000, 1000, 20)).toBe(true);
    const compacted = compactStateMap(map, 20000, 1000);
    expect(compacted.levels.map((l) => l.batchTime)).toEqual([-1, 20000]);
    expect(compacted.chainStart).toBe(19000);
    expect(new Set(stateMapEntries(compacted).map(String))).toEqual(new Set(stateMapEntries(map).map(String)));
    const restored = restoreStateMap(v8.deserialize(v8.serialize(map)), 20000, 1000);
    expect(restored.levels.map((l) => l.batchTime)).toEqual([-1, 20000]);
    expect(new Set(stateMapEntries(restored).map(String))).toEqual(new Set(stateMapEntries(map).map(String)));
  });
});
