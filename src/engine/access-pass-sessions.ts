// Whether a session a Temporary Access Pass opened still stands, for the per-request check
// (`mfa.isCurrent`): only while the pass that admitted it is still the user's pass. Revoking the
// pass deletes it and issuing another replaces it with a newer one, so either ends the sessions
// the old pass opened; its own expiry or use does not (a pass is for getting in, as a password
// is). A session no pass opened is not looked at. Answers are cached per user for `cacheMs`, as
// remembered devices and session epochs are: another process sharing the store (`mfakit tap
// revoke`) is seen within that time, this process at once (`forget`, called after each issue
// and revoke).
import type { Repository } from '../store/ports.ts';
import type { Clock } from './capabilities.ts';
import type { AuthStamp } from './stamp.ts';

export interface AccessPassSessions {
  /** True for a session no pass opened; a boolean when cached, a promise when the store must be asked. */
  admits(stamp: AuthStamp): boolean | Promise<boolean>;
  /** Drops the cached answer for the user (their pass was just issued or revoked). */
  forget(userId: string): void;
}

interface Seen {
  /** When the user's current pass was created; null: the user has none. */
  createdAt: number | null;
  fetchedAt: number;
}

const CACHE_MAX = 10_000;

/** Whether the sign-in that made the stamp was a Temporary Access Pass (its first factor). */
const openedByAccessPass = (stamp: AuthStamp): boolean => stamp.methods.includes('temporaryAccessPass');

export function createAccessPassSessions(
  repository: Pick<Repository, 'getAccessPass'>,
  clock: Clock,
  cacheMs = 1000,
): AccessPassSessions {
  const cache = new Map<string, Seen>();
  // Bumped by every `forget`: a read that began before one is not cached, so a revocation in
  // this process is never hidden by an answer fetched just before it.
  let generation = 0;
  // The pass that admitted the session existed when it signed in; a pass created later is a
  // replacement, and no pass at all means it was revoked (or the user was reset).
  const stands = (seen: Seen, stamp: AuthStamp) =>
    seen.createdAt !== null && seen.createdAt <= stamp.authTime;
  return {
    admits(stamp) {
      if (!openedByAccessPass(stamp)) return true;
      const hit = cache.get(stamp.userId);
      if (hit && clock.now() - hit.fetchedAt < cacheMs) return stands(hit, stamp);
      const began = generation;
      return repository.getAccessPass(stamp.userId).then((record) => {
        const seen: Seen = { createdAt: record?.createdAt ?? null, fetchedAt: clock.now() };
        if (began === generation) {
          if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value ?? '');
          cache.set(stamp.userId, seen);
        }
        return stands(seen, stamp);
      });
    },
    forget(userId) {
      generation++;
      cache.delete(userId);
    },
  };
}
