// Remembered devices ("don't ask again on this device for N days"). The cookie holds
// `<deviceId>.<secret>`; the server keeps only a keyed hash of the secret bound to the
// user, plus the record a user can list and revoke. A cookie is accepted only for the user
// it was issued to, before its expiry, while its record is not revoked; so is every session
// it admitted (`isLive`, cached — see device-liveness.ts — and forgotten at each revocation).
import type { CodeHasher } from '../crypto/code-hash.ts';
import { type Clock, type RandomSource, randomId } from '../engine/capabilities.ts';
import type { InvalidationBus } from '../engine/invalidation-bus.ts';
import type { RememberedDeviceRecord, Repository } from '../store/ports.ts';
import { createDeviceLiveness } from './device-liveness.ts';

/** Whether a cookie stands for this user's device, or which check it failed. */
export type DeviceCheck =
  | { ok: true; device: RememberedDeviceRecord }
  | {
      ok: false;
      reason:
        | 'cookie_malformed'
        | 'device_unknown'
        | 'cookie_wrong_user'
        | 'secret_mismatch'
        | 'device_expired'
        | 'device_revoked';
    };

const COOKIE_PATTERN = /^([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{32,64})$/;
const PURPOSE = 'remembered-device';
const DAY_MS = 86_400_000;

export interface RememberedDevices {
  issue(
    userId: string,
    userAgent: string,
    days: number,
  ): Promise<{ cookieValue: string; device: RememberedDeviceRecord }>;
  check(cookieValue: string, userId: string): Promise<DeviceCheck>;
  list(userId: string): Promise<RememberedDeviceRecord[]>;
  revoke(userId: string, deviceId: string): Promise<boolean>;
  revokeAll(userId: string): Promise<number>;
  /** Whether the device still admits sessions for this user: a boolean when cached, else a promise. */
  isLive(userId: string, deviceId: string, uncached?: boolean): boolean | Promise<boolean>;
}

export function createRememberedDevices(deps: {
  repository: Repository;
  hasher: CodeHasher;
  clock: Clock;
  random: RandomSource;
  /** Revocations announced to, and heard from, the other processes. */
  bus?: InvalidationBus;
}): RememberedDevices {
  const { repository, hasher, clock, random } = deps;
  const material = (userId: string, deviceId: string, secret: string) => `${userId}\0${deviceId}\0${secret}`;
  const liveness = createDeviceLiveness(repository, clock, deps.bus);
  return {
    async issue(userId, userAgent, days) {
      const now = clock.now();
      const id = randomId(random, 18);
      const secret = randomId(random, 32);
      const device: RememberedDeviceRecord = {
        id,
        userId,
        secretHash: hasher.hash(PURPOSE, material(userId, id, secret)),
        userAgent: userAgent.slice(0, 256),
        createdAt: now,
        lastUsedAt: now,
        expiresAt: now + days * DAY_MS,
        revokedAt: null,
      };
      await repository.insertDevice(device);
      return { cookieValue: `${id}.${secret}`, device };
    },
    async check(cookieValue, userId) {
      const m = COOKIE_PATTERN.exec(cookieValue);
      if (!m?.[1] || !m[2]) return { ok: false, reason: 'cookie_malformed' };
      const device = await repository.getDevice(m[1]);
      if (!device) return { ok: false, reason: 'device_unknown' };
      if (device.userId !== userId) return { ok: false, reason: 'cookie_wrong_user' };
      if (!hasher.matches(PURPOSE, material(userId, device.id, m[2]), device.secretHash)) {
        return { ok: false, reason: 'secret_mismatch' };
      }
      if (device.revokedAt !== null) return { ok: false, reason: 'device_revoked' };
      const now = clock.now();
      if (device.expiresAt <= now) return { ok: false, reason: 'device_expired' };
      await repository.touchDevice(device.id, now);
      return { ok: true, device: { ...device, lastUsedAt: now } };
    },
    list: (userId) => repository.listDevices(userId),
    async revoke(userId, deviceId) {
      const revoked = await repository.revokeDevice(userId, deviceId, clock.now());
      liveness.forget(deviceId);
      return revoked;
    },
    async revokeAll(userId) {
      const count = await repository.revokeAllDevices(userId, clock.now());
      liveness.forgetUser(userId);
      return count;
    },
    isLive: (userId, deviceId, uncached) => liveness.isLive(userId, deviceId, uncached),
  };
}
