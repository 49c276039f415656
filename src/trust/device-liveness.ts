// Whether a remembered device still stands — its record exists for that user, is not revoked
// and has not expired — for the sessions it admitted, which ask on every request. Answers
// are cached in-process for `cacheMs`, as session epochs are: another process sharing the
// store sees a revocation within that time, this process at once (`forget` / `forgetUser`,
// called by the remembered-device service after each revocation).
import type { Clock } from '../engine/capabilities.ts';
import type { Repository } from '../store/ports.ts';

export interface DeviceLiveness {
  /** A boolean when the answer is cached, a promise when the store must be asked. */
  isLive(userId: string, deviceId: string): boolean | Promise<boolean>;
  forget(deviceId: string): void;
  forgetUser(userId: string): void;
}

interface Seen {
  /** Null: no such device. */
  userId: string | null;
  revokedAt: number | null;
  expiresAt: number;
  fetchedAt: number;
}

const CACHE_MAX = 10_000;

export function createDeviceLiveness(
  repository: Pick<Repository, 'getDevice'>,
  clock: Clock,
  cacheMs = 1000,
): DeviceLiveness {
  const cache = new Map<string, Seen>();
  const live = (seen: Seen, userId: string) =>
    seen.userId === userId && seen.revokedAt === null && seen.expiresAt > clock.now();
  return {
    isLive(userId, deviceId) {
      const hit = cache.get(deviceId);
      if (hit && clock.now() - hit.fetchedAt < cacheMs) return live(hit, userId);
      return repository.getDevice(deviceId).then((device) => {
        const seen: Seen = {
          userId: device?.userId ?? null,
          revokedAt: device?.revokedAt ?? null,
          expiresAt: device?.expiresAt ?? 0,
          fetchedAt: clock.now(),
        };
        if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value ?? '');
        cache.set(deviceId, seen);
        return live(seen, userId);
      });
    },
    forget(deviceId) {
      cache.delete(deviceId);
    },
    forgetUser(userId) {
      for (const [id, seen] of cache) if (seen.userId === userId) cache.delete(id);
    },
  };
}
