/**
 * Store ports. Two of them, so a deployment can put durable records on a database
 * and ephemeral, TTL-bound state on a cache. Every one-time rule in mfakit rests on
 * the three atomic primitives here (`advance`, `consumeOnce`, `increment`); the
 * contract suite in test/store/contract.ts proves each adapter implements them.
 */

export type MethodKind = 'totp' | 'hotp';

/** A registered second-factor method. `sealedSecret` is AES-256-GCM sealed; the store never sees a seed. */
export interface MethodRecord {
  id: string;
  userId: string;
  kind: MethodKind;
  label: string;
  sealedSecret: string;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: 6 | 8;
  /** TOTP period in seconds (0 for HOTP). */
  period: number;
  /** Serial number of an OATH hardware token, when the method is one. */
  tokenSerial: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

/** An OATH hardware token in the inventory, assigned to at most one user. */
export interface OathTokenRecord {
  serial: string;
  kind: MethodKind;
  sealedSecret: string;
  algorithm: 'sha1' | 'sha256' | 'sha512';
  digits: 6 | 8;
  period: number;
  assignedTo: string | null;
  importedAt: number;
}

export interface RememberedDeviceRecord {
  id: string;
  userId: string;
  /** HMAC of the cookie's secret part; the cookie value itself is never stored. */
  secretHash: string;
  userAgent: string;
  createdAt: number;
  lastUsedAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

export type UserMfaState = 'disabled' | 'enabled' | 'enforced';

export interface AuditEventRecord {
  id: string;
  at: number;
  type: string;
  userId: string | null;
  data: Record<string, unknown>;
}

/**
 * Where a method's last accepted step/counter lives. A hardware token's is keyed by its
 * serial, so it survives reassignment: codes a previous holder used never work again.
 * Adapters may rely on this scheme (SQLite joins on it to read last-used times).
 */
export const methodCounterKey = (method: Pick<MethodRecord, 'id' | 'kind' | 'tokenSerial'>) =>
  method.tokenSerial !== null ? `token:${method.tokenSerial}` : `${method.kind}:${method.id}`;

/** The conditional-access policy document as last saved, with its version (1, 2, ...). */
export interface PolicyDocumentRecord {
  version: number;
  /** The JSON document exactly as saved (already validated by the caller). */
  document: unknown;
  updatedAt: number;
  updatedBy: string | null;
}

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

/** Kinds of things the engine remembers seeing at a user's successful sign-ins (risk signals). */
export type SightingKind = 'network' | 'device';

/**
 * Durable records. Survives restarts.
 * Conventions every adapter follows (the contract suite checks them): inserting an existing
 * id throws; lists of methods and devices are oldest first; audit is newest first by append
 * order; counters passed to `advance` are integers ≥ 0.
 */
export interface Repository {
  /**
   * `lastUsed: false` (what a verification asks for) lets an adapter skip working out
   * `lastUsedAt`, which may then be older than the method's last use.
   */
  listMethods(userId: string, options?: { lastUsed?: boolean }): Promise<MethodRecord[]>;
  getMethod(userId: string, methodId: string): Promise<MethodRecord | null>;
  insertMethod(method: MethodRecord): Promise<void>;
  /** Returns whether a method was removed. */
  deleteMethod(userId: string, methodId: string): Promise<boolean>;
  deleteAllMethods(userId: string): Promise<number>;

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
  getCounter(key: string): Promise<number | null>;
  deleteCounter(key: string): Promise<void>;

  /** Replaces all recovery codes of a user (the old ones die) in one transaction. */
  replaceRecoveryCodes(userId: string, hashes: string[], at: number): Promise<void>;
  /** Atomically marks one unused code used; true for the first caller only. */
  consumeRecoveryCode(userId: string, hash: string, at: number): Promise<boolean>;
  /** Unused codes only. */
  countRecoveryCodes(userId: string): Promise<number>;
  deleteRecoveryCodes(userId: string): Promise<void>;

  insertDevice(device: RememberedDeviceRecord): Promise<void>;
  getDevice(id: string): Promise<RememberedDeviceRecord | null>;
  listDevices(userId: string): Promise<RememberedDeviceRecord[]>;
  touchDevice(id: string, at: number): Promise<void>;
  revokeDevice(userId: string, id: string, at: number): Promise<boolean>;
  revokeAllDevices(userId: string, at: number): Promise<number>;

  /** Inserts tokens; all or nothing. Fails if a serial already exists. */
  importTokens(tokens: OathTokenRecord[]): Promise<void>;
  getToken(serial: string): Promise<OathTokenRecord | null>;
  listTokens(): Promise<OathTokenRecord[]>;
  /** Atomically assigns an unassigned token; false if taken or absent. */
  assignToken(serial: string, userId: string): Promise<boolean>;
  /** Frees one token held by `userId`; false if that user does not hold it. */
  unassignToken(serial: string, userId: string): Promise<boolean>;
  unassignTokens(userId: string): Promise<number>;

  getUserState(userId: string): Promise<UserMfaState | null>;
  setUserState(userId: string, state: UserMfaState): Promise<void>;

  appendAudit(event: AuditEventRecord): Promise<void>;
  listAudit(filter: { userId?: string; limit: number }): Promise<AuditEventRecord[]>;

  /** The current policy document, or null if none was ever saved. */
  getPolicyDocument(): Promise<PolicyDocumentRecord | null>;
  /**
   * Compare-and-set: stores `document` as version expectedVersion + 1 only if the stored version is
   * `expectedVersion` (0 when none was saved yet). Returns the new record, or null when another
   * writer got there first (nothing written). The document is stored as JSON text.
   */
  putPolicyDocument(
    document: unknown,
    expectedVersion: number,
    at: number,
    by: string | null,
  ): Promise<PolicyDocumentRecord | null>;
  /** When this user last completed a sign-in with this network/device key, or null if never. */
  getSighting(userId: string, kind: SightingKind, key: string): Promise<number | null>;
  /** Upsert: lastSeen becomes max(stored, at). */
  recordSighting(userId: string, kind: SightingKind, key: string, at: number): Promise<void>;
  /** When the user was flagged by a fraud report, or null if not flagged. */
  getFraudFlag(userId: string): Promise<number | null>;
  /** Flags (at = time) or clears (null) the fraud flag. */
  setFraudFlag(userId: string, at: number | null): Promise<void>;

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
  /** Atomically reads and deletes. */
  take(key: string): Promise<string | null>;
  delete(key: string): Promise<void>;
}

/**
 * Storage for an OpenID provider's models (oidc-provider's adapter contract, see src/oidc/adapter.ts):
 * JSON payloads keyed by (model, id), looked up also by `payload.uid`, `payload.userCode` and
 * revoked by `payload.grantId`. An entry is live while now < expiresAtMs (null: no expiry);
 * expired entries are never returned. Payloads come back as fresh copies of the JSON stored.
 */
export interface OidcStore {
  /** Inserts or replaces the entry; its uid, userCode and grantId are re-read from `payload`. */
  upsert(
    model: string,
    id: string,
    payload: Record<string, unknown>,
    expiresAtMs: number | null,
  ): Promise<void>;
  find(model: string, id: string): Promise<Record<string, unknown> | null>;
  findByUid(model: string, uid: string): Promise<Record<string, unknown> | null>;
  findByUserCode(model: string, userCode: string): Promise<Record<string, unknown> | null>;
  /**
   * Atomically sets `payload.consumed = atSeconds` on a live, not yet consumed entry.
   * True for the first caller only; false if absent, expired or already consumed.
   */
  consume(model: string, id: string, atSeconds: number): Promise<boolean>;
  destroy(model: string, id: string): Promise<void>;
  /** Removes every entry of `model` whose `payload.grantId` is `grantId` (other models are untouched). */
  revokeByGrantId(model: string, grantId: string): Promise<void>;
}

export interface Stores {
  repository: Repository;
  ephemeral: EphemeralStore;
  /** For an embedded OpenID provider; adapters that have none leave it out. */
  oidc?: OidcStore;
  close?(): Promise<void>;
}
