// Per-user sign-in epochs: "every sign-in of this user before now is void". Bumped by an
// admin reset, a session revocation or a fraud flag; a stamp whose `authTime` is older is
// refused by the per-request session check (`mfa.isCurrent`, current-session.ts), so a
// stolen session does not outlive the reset that should evict it.
//
// That check runs on every request, so epochs are cached in-process for `cacheMs` (another
// process sharing the store sees a bump within that time; this process sees it at once).
import type { Repository } from '../store/ports.ts';
import type { Clock } from './capabilities.ts';
import type { AuthStamp } from './stamp.ts';

export interface SessionEpochs {
  /** A boolean when the answer is cached, a promise when the store must be asked. */
  isCurrent(stamp: AuthStamp): boolean | Promise<boolean>;
  revokeAll(userId: string): Promise<void>;
}

const CACHE_MAX = 10_000;
const key = (userId: string) => `signin-epoch:${userId}`;

export function createSessionEpochs(repository: Repository, clock: Clock, cacheMs = 1000): SessionEpochs {
  const cache = new Map<string, { epoch: number; fetchedAt: number }>();
  // A sign-in completed in the very millisecond of the revocation counts as after it.
  const decide = (stamp: AuthStamp, epoch: number) => stamp.authTime >= epoch;
  return {
    isCurrent(stamp) {
      const hit = cache.get(stamp.userId);
      if (hit && clock.now() - hit.fetchedAt < cacheMs) return decide(stamp, hit.epoch);
      return repository.getCounter(key(stamp.userId)).then((stored) => {
        const epoch = stored ?? -1;
        if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value ?? '');
        cache.set(stamp.userId, { epoch, fetchedAt: clock.now() });
        return decide(stamp, epoch);
      });
    },
    async revokeAll(userId) {
      await repository.advance(key(userId), clock.now());
      cache.delete(userId);
    },
  };
}
