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
import { createFreshCache } from './fresh-cache.ts';
import type { InvalidationBus } from './invalidation-bus.ts';
import type { AuthStamp } from './stamp.ts';

export interface AccessPassSessions {
  /** True for a session no pass opened; a boolean when cached, a promise when the store must be asked (always when `uncached`). */
  admits(stamp: AuthStamp, uncached?: boolean): boolean | Promise<boolean>;
  /** Drops the cached answer for the user (their pass was just issued or revoked). */
  forget(userId: string): void;
}

interface Seen {
  /** When the user's current pass was created; null: the user has none. */
  createdAt: number | null;
}

/** Whether the sign-in that made the stamp was a Temporary Access Pass (its first factor). */
const openedByAccessPass = (stamp: AuthStamp): boolean => stamp.methods.includes('temporaryAccessPass');

/** Other processes drop a user's cached pass when it is issued, replaced or revoked. */
export const ACCESS_PASS_TOPIC = 'access-passes';

export function createAccessPassSessions(
  repository: Pick<Repository, 'getAccessPass'>,
  clock: Clock,
  bus?: InvalidationBus,
  cacheMs = 1000,
): AccessPassSessions {
  const passes = createFreshCache<Seen>(clock, cacheMs);
  bus?.on(ACCESS_PASS_TOPIC, (userId) => passes.forget(userId));
  // The pass that admitted the session existed when it signed in; a pass created later is a
  // replacement, and no pass at all means it was revoked (or the user was reset).
  const stands = (seen: Seen, stamp: AuthStamp) =>
    seen.createdAt !== null && seen.createdAt <= stamp.authTime;
  return {
    admits(stamp, uncached) {
      if (!openedByAccessPass(stamp)) return true;
      const cached = uncached ? undefined : passes.peek(stamp.userId);
      if (cached !== undefined) return stands(cached, stamp);
      return passes
        .load(stamp.userId, async () => ({
          createdAt: (await repository.getAccessPass(stamp.userId))?.createdAt ?? null,
        }))
        .then((seen) => stands(seen, stamp));
    },
    forget(userId) {
      passes.forget(userId);
      bus?.announce(ACCESS_PASS_TOPIC, userId);
    },
  };
}
