// The mfakit stamp of each oidc-provider session, kept server-side by the session's stable
// `uid`. A sign-in finishes its interaction with a one-time reference to its stamp; when the
// provider resumes and has written the login into the session, the reference is claimed
// (atomically, once) and the stamp is bound to that session's uid. A stamp is only ever read
// back for the account it was issued to.
import { randomBytes } from 'node:crypto';
import { parseStamp } from '../engine/parse-stamp.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import type { EphemeralStore } from '../store/ports.ts';

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

export function createSessionStamps(
  ephemeral: EphemeralStore,
  ttl: { sessionSeconds: number; handOffSeconds: number },
): SessionStamps {
  const refKey = (ref: string) => `oidc-stamp-ref:${ref}`;
  const sessionKey = (uid: string) => `oidc-stamp:${uid}`;
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
      await ephemeral.put(sessionKey(sessionUid), JSON.stringify(stamp), ttl.sessionSeconds * 1000);
      return stamp;
    },
    get: async (sessionUid, accountId) => parse(await ephemeral.get(sessionKey(sessionUid)), accountId),
    forget: (sessionUid) => ephemeral.delete(sessionKey(sessionUid)),
  };
}
