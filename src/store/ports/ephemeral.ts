// Ephemeral store: short-lived state with expiry (pending sign-ins, enrollment drafts,
// one-time marks, lockout and throttle counters), kept apart from the durable records so a
// deployment can put it on a cache. One key space for all operations; an entry is live while
// now < set-at + ttlMs. The contract checks, on a clock it moves by hand: `consumeOnce` is true
// for one of fifty concurrent callers (again after expiry), fifty concurrent `increment`s hand
// out 1..50, `decrement` never goes below zero nor revives an expired count, fifty concurrent
// `take`s hand the value to one, `take` of a count reads and clears it, and expiry is exact to
// the millisecond.

/**
 * Ephemeral state with expiry: pending principals, enrollment drafts, one-time marks, counters.
 * One key space for all operations; an entry is live while now < set-at + ttlMs.
 */
export interface EphemeralStore {
  /** True for the first caller only, within `ttlMs`. */
  consumeOnce(key: string, ttlMs: number): Promise<boolean>;
  /** Atomically adds one and returns the new count; each increment pushes the expiry to now + ttlMs. */
  increment(key: string, ttlMs: number): Promise<number>;
  /**
   * Atomically takes one off a live count and returns the new count, never below zero; the
   * expiry stays as it was. An absent or expired key stays absent (0). Releases a slot that an
   * `increment` reserved, without ever creating headroom below zero.
   */
  decrement(key: string): Promise<number>;
  getCount(key: string): Promise<number>;
  put(key: string, value: string, ttlMs: number): Promise<void>;
  get(key: string): Promise<string | null>;
  /** Atomically reads and deletes; a count (from `increment`) reads as its decimal value. */
  take(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
}
