// Temporary Access Passes: at most one per user, issued by an administrator, stored as a keyed
// hash. The contract checks: issuing replaces the user's pass in one step and returns the one
// replaced, a one-time pass is consumed by exactly one of fifty concurrent callers, and a
// replaced, revoked or another user's pass is never consumed.

/**
 * A Temporary Access Pass: at most one per user (issuing a new one replaces it). Only the keyed
 * hash of the pass is stored. A one-time pass is used up by `consumeAccessPass` (usedAt set once).
 */
export interface AccessPassRecord {
  id: string;
  userId: string;
  /** CodeHasher hash (key id + HMAC) of the pass, bound to the user and the pass id. */
  hash: string;
  createdAt: number;
  /** Valid from startsAt (inclusive) to expiresAt (exclusive), ms since the epoch. */
  startsAt: number;
  expiresAt: number;
  oneTime: boolean;
  usedAt: number | null;
  /** Who issued it (an administrator's name, `cli`), or null. */
  createdBy: string | null;
}

export interface AccessPassStore {
  /** Stores the user's Temporary Access Pass, replacing theirs in one step; returns the replaced one or null. */
  putAccessPass(record: AccessPassRecord): Promise<AccessPassRecord | null>;
  getAccessPass(userId: string): Promise<AccessPassRecord | null>;
  /**
   * Atomically marks the user's pass `id` used at `at`: true for the first caller only, and only
   * while that pass is still the user's and unused (a replaced or revoked pass is never consumed).
   */
  consumeAccessPass(userId: string, id: string, at: number): Promise<boolean>;
  /** Returns whether a pass was removed. */
  deleteAccessPass(userId: string): Promise<boolean>;
}
