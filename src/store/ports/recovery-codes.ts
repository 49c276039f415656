// Recovery codes: a user's set of one-time codes, stored as keyed hashes only. The contract
// checks: replacing the set kills every old code in one step, a code is consumed by the first
// caller only (fifty concurrent consumes of one code: exactly one true; spread over ten codes:
// one per code), only unused codes are counted, and users are kept apart.

export interface RecoveryCodeStore {
  /** Replaces all recovery codes of a user (the old ones die) in one transaction. */
  replaceRecoveryCodes(userId: string, hashes: string[], at: number): Promise<void>;
  /** Atomically marks one unused code used; true for the first caller only. */
  consumeRecoveryCode(userId: string, hash: string, at: number): Promise<boolean>;
  /** Unused codes only. */
  countRecoveryCodes(userId: string): Promise<number>;
  deleteRecoveryCodes(userId: string): Promise<void>;
}
