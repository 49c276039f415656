import type { EphemeralStore } from '../store/ports.ts';
import type { Clock } from './capabilities.ts';
import type { ResolvedOptions } from './options.ts';

/**
 * Throttling of second-factor attempts, per user and per client address.
 *
 * Every attempt reserves a slot *before* the code is checked (an atomic increment), so
 * fifty concurrent guesses cannot all slip past the limit: at most `maxAttempts` are ever
 * checked per lock period (the lock lasts `lockSeconds` after the last attempt). Failures
 * per client address are counted too, against a higher limit. Success releases the user's counter; a new challenge does not.
 * Past `backoffAfter` failures each further attempt must wait exponentially longer. A
 * separate consecutive-failure counter locks the account outright at `hardLimit` (≤ 100).
 */
export type AttemptGate =
  | { allowed: true }
  | {
      allowed: false;
      reason: 'locked' | 'locked_ip' | 'locked_hard' | 'slow_down';
      retryAfterSeconds: number;
    };

const LONG_TTL_MS = 365 * 86_400_000;

export interface Lockout {
  /** Reserves an attempt. When refused, nothing may be checked. */
  begin(userId: string, ip: string): Promise<AttemptGate>;
  succeeded(userId: string): Promise<void>;
  failed(userId: string, ip: string): Promise<void>;
  /** Admin unlock. */
  reset(userId: string): Promise<void>;
  status(userId: string): Promise<{ attempts: number; consecutiveFailures: number }>;
}

export function createLockout(
  ephemeral: EphemeralStore,
  clock: Clock,
  settings: ResolvedOptions['lockout'],
): Lockout {
  const lockMs = settings.lockSeconds * 1000;
  const k = {
    user: (u: string) => `lock:attempts:user:${u}`,
    ip: (ip: string) => `lock:attempts:ip:${ip}`,
    consecutive: (u: string) => `lock:consecutive:${u}`,
    lastFailure: (u: string) => `lock:last-failure:${u}`,
  };
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

  return {
    async begin(userId, ip) {
      const [consecutive, userAttempts, ipAttempts, lastFailure] = await Promise.all([
        ephemeral.getCount(k.consecutive(userId)),
        ephemeral.getCount(k.user(userId)),
        ephemeral.getCount(k.ip(ip)),
        ephemeral.get(k.lastFailure(userId)),
      ]);
      if (consecutive >= settings.hardLimit)
        return { allowed: false, reason: 'locked_hard', retryAfterSeconds: seconds(lockMs) };
      if (userAttempts >= settings.maxAttempts)
        return { allowed: false, reason: 'locked', retryAfterSeconds: seconds(lockMs) };
      if (ipAttempts >= settings.maxAttemptsPerIp)
        return { allowed: false, reason: 'locked_ip', retryAfterSeconds: seconds(lockMs) };
      if (userAttempts >= settings.backoffAfter && lastFailure !== null) {
        const wait = Math.min(settings.backoffBaseMs * 2 ** (userAttempts - settings.backoffAfter), lockMs);
        const elapsed = clock.now() - Number(lastFailure);
        if (elapsed < wait)
          return { allowed: false, reason: 'slow_down', retryAfterSeconds: seconds(wait - elapsed) };
      }
      // Reserve: these increments are the atomic part. Losers of a race see counts past the limit.
      const [u, c] = await Promise.all([
        ephemeral.increment(k.user(userId), lockMs),
        ephemeral.increment(k.consecutive(userId), LONG_TTL_MS),
      ]);
      if (c > settings.hardLimit)
        return { allowed: false, reason: 'locked_hard', retryAfterSeconds: seconds(lockMs) };
      if (u > settings.maxAttempts)
        return { allowed: false, reason: 'locked', retryAfterSeconds: seconds(lockMs) };
      return { allowed: true };
    },
    async succeeded(userId) {
      await Promise.all([
        ephemeral.delete(k.user(userId)),
        ephemeral.delete(k.consecutive(userId)),
        ephemeral.delete(k.lastFailure(userId)),
      ]);
    },
    async failed(userId, ip) {
      await Promise.all([
        ephemeral.put(k.lastFailure(userId), String(clock.now()), lockMs),
        // Per-address failures only: a busy office behind one NAT is not locked by its successes.
        ephemeral.increment(k.ip(ip), lockMs),
      ]);
    },
    async reset(userId) {
      await Promise.all([
        ephemeral.delete(k.user(userId)),
        ephemeral.delete(k.consecutive(userId)),
        ephemeral.delete(k.lastFailure(userId)),
      ]);
    },
    async status(userId) {
      const [attempts, consecutiveFailures] = await Promise.all([
        ephemeral.getCount(k.user(userId)),
        ephemeral.getCount(k.consecutive(userId)),
      ]);
      return { attempts, consecutiveFailures };
    },
  };
}
