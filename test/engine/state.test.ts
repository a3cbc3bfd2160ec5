import { Durations, HashPartitioner, ManualClock, State, StateSpec, StreamingContext, Time } from "../../engine";

// Spark's MapWithStateSuite "state - get, exists, update, remove" plus the exact messages and codes.

const errorWith = (code: string, message: string) => expect.objectContaining({ code, message });
const NOT_SET = errorWith("STREAM_ERR_STATE_NOT_SET", "State is not set. Check state.exists() before state.get(), or use state.getOption().");
const UPDATE_REMOVED = errorWith("STREAM_ERR_STATE_REMOVED", "requirement failed: Cannot update the state after it has been removed");
const UPDATE_TIMING_OUT = errorWith("STREAM_ERR_STATE_TIMING_OUT", "requirement failed: Cannot update the state that is timing out");
const REMOVE_TIMING_OUT = errorWith("STREAM_ERR_STATE_TIMING_OUT", "requirement failed: Cannot remove the state that is timing out");
const REMOVE_TWICE = errorWith("STREAM_ERR_STATE_REMOVED", "requirement failed: Cannot remove the state that has already been removed");

function expectState(state: State<number>, expected: number | undefined, flags: { updated?: boolean; removed?: boolean; timingOut?: boolean } = {}): void {
  if (expected !== undefined) {
    expect(state.exists()).toBe(true);
    expect(state.get()).toBe(expected);
    expect(state.getOption()).toBe(expected);
    expect(state.getOption() ?? -1).toBe(expected);
  } else {
    expect(state.exists()).toBe(false);
    expect(() => state.get()).toThrow(NOT_SET);
    expect(state.getOption()).toBeUndefined();
    expect(state.getOption() ?? -1).toBe(-1);
  }
  expect(state.isTimingOut()).toBe(!!flags.timingOut);
  if (flags.timingOut) {
    expect(() => state.remove()).toThrow(REMOVE_TIMING_OUT);
    expect(() => state.update(-1)).toThrow(UPDATE_TIMING_OUT);
  }
  expect(state.isUpdated()).toBe(!!flags.updated);
  expect(state.isRemoved()).toBe(!!flags.removed);
  if (flags.removed) {
    expect(() => state.remove()).toThrow(REMOVE_TWICE);
    expect(() => state.update(-1)).toThrow(UPDATE_REMOVED);
  }
}

describe("State", () => {
  it("get, exists, update, remove (Spark's sequence)", () => {
    let state = new State<number>();
    expectState(state, undefined);

    state.wrap(false);
    expectState(state, undefined);

    state.wrap(true, 1);
    expectState(state, 1);

    state.update(2);
    expectState(state, 2, { updated: true });

    state = new State<number>();
    state.update(2);
    expectState(state, 2, { updated: true });

    state.remove();
    expectState(state, undefined, { removed: true });

    state.wrapTimingOutState(3);
    expectState(state, 3, { timingOut: true });
  });

  it("wrap clears the flags of the previous record", () => {
    const state = new State<number>();
    state.wrap(true, 1);
    state.remove();
    state.wrap(true, 5);
    expectState(state, 5);
  });

  it("errors are instances of Error with Spark's wording", () => {
    const state = new State<number>();
    expect(() => state.get()).toThrow(Error);
    state.remove();
    expect(() => state.update(1)).toThrow("requirement failed: Cannot update the state after it has been removed");
  });

  it("a state that is defined as undefined still exists, as Scala's update(null)", () => {
    const state = new State<number | undefined>();
    state.update(undefined);
    expect(state.exists()).toBe(true);
    expect(state.get()).toBeUndefined();
  });

  it("toString is the state as Scala prints it, or <state not set>", () => {
    const state = new State<unknown>();
    expect(state.toString()).toBe("<state not set>");
    state.update(42);
    expect(state.toString()).toBe("42");
    state.update(["a", 1]);
    expect(state.toString()).toBe("(a,1)");
    expect(`${state}`).toBe("(a,1)");
  });
});

describe("StateSpec", () => {
  afterEach(async () => { await StreamingContext.stopActive(); });

  it("tells the short form from the full form by arity, as Spark by type", () => {
    const state = new State<number>();
    state.wrap(false);
    const short = StateSpec.function((_k: string, _v: number | undefined, _s: State<number>) => undefined);
    // The short form's result is always emitted, even undefined (Spark wraps it in Some).
    expect(short.getFunction()(new Time(1000), "a", 1, state)).toEqual([undefined]);
    const full = StateSpec.function((t: Time, k: string, _v: number | undefined, _s: State<number>) => (k === "a" ? undefined : `${k}@${t}`));
    expect(full.getFunction()(new Time(1000), "a", 1, state)).toEqual([]);
    expect(full.getFunction()(new Time(1000), "b", 1, state)).toEqual(["b@1000 ms"]);
  });

  it("builder methods return the spec and record their settings", () => {
    const spec = StateSpec.function((_k: string, v: number | undefined, _s: State<number>) => v);
    const p = new HashPartitioner(3);
    expect(spec.numPartitions(4)).toBe(spec);
    expect(spec.getPartitioner()).toEqual(new HashPartitioner(4));
    expect(spec.partitioner(p).getPartitioner()).toBe(p);
    expect(spec.timeout(Durations.seconds(3)).getTimeout()).toBe(3000);
    expect(spec.initialState([["a", 1]]).getInitialState()).toEqual([["a", 1]]);
  });

  it("rejects bad arguments with coded errors", () => {
    expect(() => StateSpec.function(42 as never)).toThrow(errorWith("STREAM_ERR_BAD_ARGUMENT",
      "StateSpec.function's mapping function must be a function (key, value, state) => mapped or (time, key, value, state) => mapped | undefined, got number 42."));
    const spec = StateSpec.function((_k: string, v: number | undefined, _s: State<number>) => v);
    expect(() => spec.numPartitions(0)).toThrow(errorWith("STREAM_ERR_BAD_PARTITIONS", "numPartitions must be a whole number >= 1, got number 0."));
    expect(() => spec.timeout(-5)).toThrow(errorWith("STREAM_ERR_BAD_DURATION", "StateSpec timeout must be a positive whole number of milliseconds, got -5. Use e.g. Durations.seconds(1)."));
    expect(() => spec.initialState("a" as never)).toThrow(errorWith("STREAM_ERR_BAD_ARGUMENT", 'StateSpec.initialState must be an RDD or an array of [key, state] pairs, got "a".'));
    expect(() => spec.partitioner({} as never)).toThrow(errorWith("STREAM_ERR_BAD_ARGUMENT", "StateSpec.partitioner must be a Partitioner such as new HashPartitioner(2), got an object."));
  });

  it("mapWithState rejects what is not a StateSpec", () => {
    const ssc = new StreamingContext({ batchDuration: 1000, clock: new ManualClock() });
    const pairs = ssc.queueStream<[string, number]>([]);
    expect(() => pairs.mapWithState({} as never)).toThrow(errorWith("STREAM_ERR_BAD_ARGUMENT",
      "mapWithState's spec must be a StateSpec, e.g. StateSpec.function((key, value, state) => ...), got an object."));
  });
});
