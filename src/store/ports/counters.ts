// Counters: the last accepted TOTP time step or HOTP counter of each method, keyed by the
// method's `counterKey`, and other durable integers: session epochs, the lockout's consecutive
// second-factor failures (`lockout:consecutive:<user>`) and the first-factor throttle's hard
// locks and unlocks (`ff-hard:…`, `ff-unlock:…`, times). Every one-time code rests on `advance`:
// a value moves the counter only if it is greater than the stored one, in one atomic step; a
// failure count rests on `incrementCounter`, one atomic step too. The contract checks: an absent
// counter counts as -1, a counter only moves forward, fifty concurrent advances to one value
// have exactly one winner (the maximum always wins), fifty concurrent increments hand out 1..50,
// and `recordUse` moves the counter and stamps the method's last use together or not at all,
// once for fifty concurrent uses of one step.

/** Counters passed to `advance` are integers ≥ 0. */
export interface CounterStore {
  /**
   * Atomically moves the counter at `key` to `value` only if `value` is greater than the
   * stored one (absent counts as -1). Returns whether it moved. TOTP time steps, HOTP counters.
   */
  advance(key: string, value: number): Promise<boolean>;
  /**
   * A verified one-time code, recorded atomically: `advance(counterKey, value)` and, only if
   * the counter moved, the method's `lastUsedAt = at`. Returns whether it moved.
   */
  recordUse(use: { counterKey: string; value: number; methodId: string; at: number }): Promise<boolean>;
  /**
   * Atomically adds one to the counter at `key` (absent counts as 0) and returns the new value:
   * concurrent callers, in any process, each get a different value. Failure counts that must
   * survive a cache restart (the lockout's hard limit).
   */
  incrementCounter(key: string): Promise<number>;
  getCounter(key: string): Promise<number | null>;
  deleteCounter(key: string): Promise<void>;
}
