// App passwords: generated passwords a user creates for a legacy client that cannot answer a
// second sign-in step (a mail client, a VPN without challenges, a calendar feed), each named,
// scoped to some applications and stored as a keyed hash only. The contract checks: a user holds
// at most `max` of them even when fifty additions race, lists are oldest first and per user,
// `lastUsedAt` only moves forward, and deleting one or all never touches another user's.

/** One app password. Only the keyed hash of the password is stored. */
export interface AppPasswordRecord {
  id: string;
  userId: string;
  /** The user's name for it, e.g. "Mail on my phone" (1–64 characters). */
  name: string;
  /** CodeHasher hash (key id + HMAC) of the password, bound to the user and this id. */
  hash: string;
  /** The applications (conditional-access app names) it may sign in to: at least one. */
  apps: string[];
  createdAt: number;
  /** Valid until (exclusive, ms since the epoch), or null for no expiry. */
  expiresAt: number | null;
  lastUsedAt: number | null;
}

export interface AppPasswordStore {
  /**
   * Adds the record if the user holds fewer than `max` app passwords, counting and inserting in
   * one atomic step (fifty racing additions never leave more than `max`): true if added. An
   * existing id throws.
   */
  addAppPassword(record: AppPasswordRecord, max: number): Promise<boolean>;
  /** The user's app passwords, oldest first (createdAt, then id). */
  listAppPasswords(userId: string): Promise<AppPasswordRecord[]>;
  /** Sets `lastUsedAt` to `at` if it is later than the stored value (or none): never moves back. */
  touchAppPassword(userId: string, id: string, at: number): Promise<void>;
  /** Returns whether the user's app password `id` was removed. */
  deleteAppPassword(userId: string, id: string): Promise<boolean>;
  /** Removes every app password of the user in one step; returns the ids removed (for the audit). */
  deleteAppPasswords(userId: string): Promise<string[]>;
}
