// Whether a remembered device still stands — its record exists for that user, is not revoked
// and has not expired — for the sessions it admitted, which ask on every request. Answers
// are cached in-process for `cacheMs`, as session epochs are: another process sharing the
// store sees a revocation within that time, this process at once (`forget` / `forgetUser`,
// called by the remembered-device service after each revocation, and seen by a read already
// under way: src/engine/fresh-cache.ts).
import type { Clock } from '../engine/capabilities.ts';
import { createFreshCache } from '../engine/fresh-cache.ts';
import type { InvalidationBus } from '../engine/invalidation-bus.ts';
import type { Repository } from '../store/ports.ts';

export interface DeviceLiveness {
  /** A boolean when the answer is cached, a promise when the store must be asked (always when `uncached`). */
  isLive(userId: string, deviceId: string, uncached?: boolean): boolean | Promise<boolean>;
  forget(deviceId: string): void;
  forgetUser(userId: string): void;
}

interface Seen {
  /** Null: no such device. */
  userId: string | null;
  revokedAt: number | null;
  expiresAt: number;
}

/** Other processes drop a revoked device (`device:<id>`) or all of a user's (`user:<id>`). */
export const DEVICES_TOPIC = 'devices';

export function createDeviceLiveness(
  repository: Pick<Repository, 'getDevice'>,
  clock: Clock,
  bus?: InvalidationBus,
  cacheMs = 1000,
): DeviceLiveness {
  const devices = createFreshCache<Seen>(clock, cacheMs);
  const forgetUser = (userId: string) => devices.forgetWhere((seen) => seen.userId === userId);
  bus?.on(DEVICES_TOPIC, (message) => {
    if (message.startsWith('device:')) devices.forget(message.slice('device:'.length));
    else if (message.startsWith('user:')) forgetUser(message.slice('user:'.length));
  });
  const live = (seen: Seen, userId: string) =>
    seen.userId === userId && seen.revokedAt === null && seen.expiresAt > clock.now();
  return {
    isLive(userId, deviceId, uncached) {
      const cached = uncached ? undefined : devices.peek(deviceId);
      if (cached !== undefined) return live(cached, userId);
      return devices
        .load(deviceId, async () => {
          const device = await repository.getDevice(deviceId);
          return {
            userId: device?.userId ?? null,
            revokedAt: device?.revokedAt ?? null,
            expiresAt: device?.expiresAt ?? 0,
          };
        })
        .then((seen) => live(seen, userId));
    },
    forget(deviceId) {
      devices.forget(deviceId);
      bus?.announce(DEVICES_TOPIC, `device:${deviceId}`);
    },
    forgetUser(userId) {
      forgetUser(userId);
      bus?.announce(DEVICES_TOPIC, `user:${userId}`);
    },
  };
}
