import { Errors } from "../errors/messages";
import { formatValue } from "../rdd/compact-buffer";

/**
 * The state of one key inside a `mapWithState` mapping function (Spark's `State[S]`): read it with
 * `exists()`, `get()` or `getOption()`, change it with `update(s)` or `remove()`. When the spec has a
 * timeout, an idle key gets one last call with `value === undefined` and `isTimingOut() === true`;
 * its state is removed after that call.
 *
 * streamlab creates State objects; a mapping function only uses them.
 *
 * @example
 * const runningCount = (word: string, one: number | undefined, state: State<number>) => {
 *   const sum = (one ?? 0) + (state.getOption() ?? 0);
 *   state.update(sum);
 *   return [word, sum] as [string, number];
 * };
 * pairs.mapWithState(StateSpec.function(runningCount)).print();
 */
export class State<S> {
  private state: S | undefined;
  private defined = false;
  private timingOut = false;
  private updated = false;
  private removed = false;

  /** Whether the key has a state. */
  exists(): boolean {
    return this.defined;
  }

  /** The state; throws `STREAM_ERR_STATE_NOT_SET` when there is none (check `exists()` first). */
  get(): S {
    if (!this.defined) throw Errors.stateNotSet();
    return this.state as S;
  }

  /**
   * Sets the key's state. Not allowed after `remove()` (`STREAM_ERR_STATE_REMOVED`) or while the
   * state is timing out (`STREAM_ERR_STATE_TIMING_OUT`).
   */
  update(newState: S): void {
    // Spark checks removal first, then timing out (State.scala StateImpl.update).
    if (this.removed) throw Errors.stateUpdateAfterRemove();
    if (this.timingOut) throw Errors.stateUpdateTimingOut();
    this.state = newState;
    this.defined = true;
    this.updated = true;
  }

  /**
   * Removes the key's state after this call. Not allowed while timing out (the state goes away
   * anyway) or twice.
   */
  remove(): void {
    if (this.timingOut) throw Errors.stateRemoveTimingOut();
    if (this.removed) throw Errors.stateRemoveTwice();
    this.defined = false;
    this.updated = false;
    this.removed = true;
  }

  /** True only in the final call for a key that has been idle longer than the spec's timeout. */
  isTimingOut(): boolean {
    return this.timingOut;
  }

  /** The state, or `undefined` when there is none (Spark's `Option`). */
  getOption(): S | undefined {
    return this.defined ? this.state : undefined;
  }

  /** The state as Scala prints it, or `<state not set>`. */
  toString(): string {
    return this.defined ? formatValue(this.state) : "<state not set>";
  }

  /** Whether `remove()` was called since the last wrap. @internal */
  isRemoved(): boolean {
    return this.removed;
  }

  /** Whether `update()` was called since the last wrap. @internal */
  isUpdated(): boolean {
    return this.updated;
  }

  /**
   * Points this object at a key's current state (`hasState` false: none), clearing the flags, so one
   * object serves every record of a partition as in Spark. @internal
   */
  wrap(hasState: boolean, state?: S): void {
    this.state = hasState ? state : undefined;
    this.defined = hasState;
    this.timingOut = false;
    this.removed = false;
    this.updated = false;
  }

  /** Points this object at a state that is being removed for idleness. @internal */
  wrapTimingOutState(state: S): void {
    this.state = state;
    this.defined = true;
    this.timingOut = true;
    this.removed = false;
    this.updated = false;
  }
}
