// Per-user sign-in epochs: "every sign-in of this user before now is void". Bumped by an
// admin reset, a session revocation or a fraud flag; a stamp whose `authTime` is older is
// refused by the per-request session check (`mfa.isCurrent`, current-session.ts), so a
// stolen session does not outlive the reset that should evict it.
//
// That check runs on every request, so epochs are cached in-process for `cacheMs` (another
// process sharing the store sees a bump within that time; this process sees it at once, even
// by a read already under way: fresh-cache.ts).
import type { Repository } from '../store/ports.ts';
import type { Clock } from './capabilities.ts';
import { createFreshCache } from './fresh-cache.ts';
import type { InvalidationBus } from './invalidation-bus.ts';

/** Other processes drop a user's cached epoch when it is bumped. */
export const SESSION_EPOCH_TOPIC = 'session-epochs';

import type { AuthStamp } from './stamp.ts';

export interface SessionEpochs {
  /** A boolean when the answer is cached, a promise when the store must be asked (always when `uncached`). */
  isCurrent(stamp: AuthStamp, uncached?: boolean): boolean | Promise<boolean>;
  revokeAll(userId: string): Promise<void>;
}

const key = (userId: string) => `signin-epoch:${userId}`;

export function createSessionEpochs(
  repository: Repository,
  clock: Clock,
  bus?: InvalidationBus,
  cacheMs = 1000,
): SessionEpochs {
  const epochs = createFreshCache<number>(clock, cacheMs);
  bus?.on(SESSION_EPOCH_TOPIC, (userId) => epochs.forget(userId));
  // A sign-in completed in the very millisecond of the revocation counts as after it.
  const decide = (stamp: AuthStamp, epoch: number) => stamp.authTime >= epoch;
  return {
    isCurrent(stamp, uncached) {
      const cached = uncached ? undefined : epochs.peek(stamp.userId);
      if (cached !== undefined) return decide(stamp, cached);
      return epochs
        .load(stamp.userId, async () => (await repository.getCounter(key(stamp.userId))) ?? -1)
        .then((epoch) => decide(stamp, epoch));
    },
    async revokeAll(userId) {
      await repository.advance(key(userId), clock.now());
      epochs.forget(userId);
      bus?.announce(SESSION_EPOCH_TOPIC, userId);
    },
  };
}
