// The mfakit stamp of each oidc-provider session, kept server-side by the session's stable
// `uid`. A sign-in finishes its interaction with a one-time reference to its stamp; when the
// provider resumes and has written the login into the session, the reference is claimed
// (atomically, once) and the stamp is bound to that session's uid. A stamp is only ever read
// back for the account it was issued to.
//
// Where they live: the one-time hand-off in the ephemeral store (minutes); the stamp bound to a
// session beside the provider's sessions — in the OpenID provider's store as the model
// `MfakitSessionStamp` (id: the session uid, expiring with the session), so a deployment that
// keeps sessions durable (PostgreSQL, with short-lived models on Redis) keeps their stamps too
// and a Redis restart signs nobody out. Stores without an `oidc` store keep them in the
// ephemeral store.
import { randomBytes } from 'node:crypto';
import type { Clock } from '../engine/capabilities.ts';
import { parseStamp } from '../engine/parse-stamp.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import type { EphemeralStore, OidcStore } from '../store/ports.ts';

/** The OpenID-store model the stamps bound to sessions are kept under. */
export const SESSION_STAMP_MODEL = 'MfakitSessionStamp';

export interface SessionStamps {
  /** Keeps the stamp under a fresh one-time reference (valid for `handOffSeconds`). */
  handOff(stamp: AuthStamp): Promise<string>;
  /** Binds the referenced stamp to the session; null when unknown, used or for another account. */
  claim(ref: string, sessionUid: string, accountId: string): Promise<AuthStamp | null>;
  /** The session's stamp, if it is for `accountId`. */
  get(sessionUid: string, accountId: string): Promise<AuthStamp | null>;
  forget(sessionUid: string): Promise<void>;
}

const REF_PATTERN = /^[A-Za-z0-9_-]{20,64}$/;

/** Where the stamps bound to sessions are kept: the stamp's JSON by session uid, with expiry. */
interface BoundStamps {
  put(uid: string, json: string, ttlMs: number): Promise<void>;
  get(uid: string): Promise<string | null>;
  delete(uid: string): Promise<void>;
}

function boundStampsIn(stores: { ephemeral: EphemeralStore; oidc?: OidcStore | undefined }, clock: Clock) {
  const { ephemeral, oidc } = stores;
  if (!oidc) {
    const key = (uid: string) => `oidc-stamp:${uid}`;
    return {
      put: (uid, json, ttlMs) => ephemeral.put(key(uid), json, ttlMs),
      get: (uid) => ephemeral.get(key(uid)),
      delete: (uid) => ephemeral.delete(key(uid)),
    } satisfies BoundStamps;
  }
  return {
    put: (uid, json, ttlMs) => oidc.upsert(SESSION_STAMP_MODEL, uid, { stamp: json }, clock.now() + ttlMs),
    async get(uid) {
      const stamp = (await oidc.find(SESSION_STAMP_MODEL, uid))?.stamp;
      return typeof stamp === 'string' ? stamp : null;
    },
    delete: (uid) => oidc.destroy(SESSION_STAMP_MODEL, uid),
  } satisfies BoundStamps;
}

/**
 * `stores.oidc` (when there is one) keeps the stamps bound to sessions, `stores.ephemeral` the
 * hand-offs (and the bound stamps too without an oidc store); `clock` times their expiry.
 */
export function createSessionStamps(
  stores: { ephemeral: EphemeralStore; oidc?: OidcStore | undefined },
  clock: Clock,
  ttl: { sessionSeconds: number; handOffSeconds: number },
): SessionStamps {
  const { ephemeral } = stores;
  const bound: BoundStamps = boundStampsIn(stores, clock);
  const refKey = (ref: string) => `oidc-stamp-ref:${ref}`;
  // What the store gives back may be an older release's stamp, or anything: parsed, upgraded
  // once, and refused (no session: sign in again) when it is not a stamp of this account.
  const parse = (raw: string | null, accountId: string): AuthStamp | null => {
    if (raw === null) return null;
    let stored: unknown;
    try {
      stored = JSON.parse(raw);
    } catch {
      return null;
    }
    const stamp = parseStamp(stored);
    return stamp !== null && stamp.userId === accountId ? stamp : null;
  };
  return {
    async handOff(stamp) {
      const ref = randomBytes(24).toString('base64url');
      await ephemeral.put(refKey(ref), JSON.stringify(stamp), ttl.handOffSeconds * 1000);
      return ref;
    },
    async claim(ref, sessionUid, accountId) {
      if (!REF_PATTERN.test(ref)) return null;
      const raw = await ephemeral.take(refKey(ref));
      const stamp = parse(raw, accountId);
      if (stamp === null) return null;
      await bound.put(sessionUid, JSON.stringify(stamp), ttl.sessionSeconds * 1000);
      return stamp;
    },
    get: async (sessionUid, accountId) => parse(await bound.get(sessionUid), accountId),
    forget: (sessionUid) => bound.delete(sessionUid),
  };
}
