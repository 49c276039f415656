// Methods: the sign-in methods a user has registered (authenticator apps, OATH hardware tokens,
// and whatever else a method of src/methods/ registers). The store keeps a method's own fields
// (`data`) as an opaque JSON object: each method defines and validates them, and seals any
// secret in them before they reach the store. The contract checks: an existing id is refused on
// insert, a user only ever sees and deletes their own methods, lists are oldest first, records
// go in and come out as copies, a lookup key finds its one method, a marked use only ever moves
// the last use forward, of fifty concurrent deletes of one method exactly one reports it removed,
// a method inserted with its counter is one write (a refused insert moves no counter), and so is
// a method removed with what it releases.
// For sealing-key rotation (`mfakit reseal`): every user's methods are listed page by page in id
// order, and a method's data is replaced only while it is still what was read (compare-and-set:
// of fifty concurrent replacements from the same read, exactly one wins).

/** A JSON value, as a method's `data` may hold it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A method's own fields: parameters, sealed secrets, public keys. Defined and checked by the method. */
export type MethodData = { readonly [key: string]: JsonValue };

/** What removing a method gives back, in the same write: its counter, its hardware token. */
export interface MethodRelease {
  /** A counter to delete. */
  counterKey?: string | undefined;
  /** A token to free, if the method's user holds it. */
  tokenSerial?: string | undefined;
}

/** A registered sign-in method. The store never sees a plain secret: a method seals what it keeps. */
export interface MethodRecord {
  id: string;
  userId: string;
  /** The kind of method that owns it (`totp`, `hotp`, …): see src/methods/. */
  kind: string;
  label: string;
  data: MethodData;
  /**
   * The counter its uses advance (a TOTP time step, a HOTP counter), or null. A method's last use
   * is also read from there (the counter store stamps it when the counter moves).
   */
  counterKey: string | null;
  /** A key that finds the method without knowing its user, unique among methods of its kind; or null. */
  lookupKey: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

export interface MethodStore {
  /**
   * `lastUsed: false` (what a verification asks for) lets an adapter skip working out
   * `lastUsedAt`, which may then be older than the method's last use.
   */
  listMethods(userId: string, options?: { lastUsed?: boolean }): Promise<MethodRecord[]>;
  getMethod(userId: string, methodId: string): Promise<MethodRecord | null>;
  /** The method of this kind with this lookup key, whoever its user, or null. */
  findMethodByLookupKey(kind: string, lookupKey: string): Promise<MethodRecord | null>;
  /**
   * Refuses (rejects) an existing id, or an existing lookup key of the same kind. With `counter`,
   * the method's counter (`counterKey`) moves to that value (as `advance`) in the same atomic
   * write: the step or count its registration proved, so that proof is spent. Both or neither,
   * also when the process dies half-way.
   */
  insertMethod(method: MethodRecord, counter?: number): Promise<void>;
  /**
   * Records a use of a method whose uses move no counter (a synced passkey always reports 0):
   * `lastUsedAt` becomes `at` unless it is already later. Nothing for an unknown method.
   */
  markMethodUsed(userId: string, methodId: string, at: number): Promise<void>;
  /**
   * Every user's methods ordered by id (in the store's own collation, the same on every call),
   * the first `limit` after `afterId` (null: from the first). Pass the last id of a page to get
   * the next, so a long walk visits each method once and resumes where it stopped.
   * `lastUsedAt` may be older than the method's last use.
   */
  listMethodsPage(afterId: string | null, limit: number): Promise<MethodRecord[]>;
  /**
   * Compare-and-set of a method's data: replaces it with `data` only if the method exists for
   * `userId` and its data is still `expected`: the data of the record as this store handed it
   * out (an adapter may compare it as JSON text, keys in that order). Returns whether it was
   * replaced; nothing else of the record changes.
   */
  replaceMethodData(
    userId: string,
    methodId: string,
    expected: MethodData,
    data: MethodData,
  ): Promise<boolean>;
  /**
   * Returns whether a method was removed. With `release`, deletes that counter and frees that
   * token (held by this user) in the same atomic write, only if the method was removed.
   */
  deleteMethod(userId: string, methodId: string, release?: MethodRelease): Promise<boolean>;
  deleteAllMethods(userId: string): Promise<number>;
}
