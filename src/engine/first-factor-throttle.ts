// The throttle in front of every first-factor check (password, Temporary Access Pass), per
// account and per client address.
//
// Per account: the first `freeAttempts` consecutive failures cost nothing; after that each
// attempt must wait `delayBaseSeconds × 2^(failures − freeAttempts)` (capped at
// `maxDelaySeconds`) after the last failure — a progressive delay rather than a lock that a
// stranger can set off at will. At `hardLimit` consecutive failures (NIST SP 800-63B §5.2.2:
// at most 100) the account's first factor is refused until an administrator unlocks it or
// the failures age out (`failureWindowHours` with no failure). Attempts on an unknown
// identifier are throttled the same way, under the identifier, so the throttle never tells
// an existing account from an unknown one.
//
// Atomicity: an attempt first claims the one slot that belongs to the account's current state
// (its series and failure count) with `consumeOnce`, before anything is checked; whoever loses
// the claim is refused. So a burst of concurrent guesses checks one guess at a time per
// account, and every checked guess is counted before the next one can be checked. Only the
// slot's winner writes the account's state, so that write needs no further locking.
//
// Per address (IPv6 per /64): every attempt reserves a place with an atomic increment before
// it is checked; a failure keeps it, a success gives back only its own place (an atomic
// decrement, never below zero, so successes cannot be banked). More than
// `perAddress.maxFailures` within `perAddress.windowMinutes` are refused: password spraying
// across many accounts from one address is limited even though each account sees few.
import { z } from 'zod';
import type { EphemeralStore } from '../store/ports.ts';
import { type Clock, type RandomSource, randomId } from './capabilities.ts';
import { addressBucket } from './lockout.ts';

export const firstFactorThrottleSchema = z
  .object({
    freeAttempts: z.number().int().min(1).max(20).default(5),
    delayBaseSeconds: z.number().min(0).max(60).default(1),
    maxDelaySeconds: z.number().int().min(1).max(86_400).default(900),
    // NIST SP 800-63B §5.2.2: no more than 100 consecutive failed attempts on one account.
    hardLimit: z.number().int().min(1).max(100).default(100),
    failureWindowHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 90)
      .default(24),
    perAddress: z
      .object({
        maxFailures: z.number().int().min(1).max(100_000).default(100),
        windowMinutes: z.number().int().min(1).max(1440).default(15),
      })
      .default({ maxFailures: 100, windowMinutes: 15 }),
  })
  .refine((t) => t.freeAttempts < t.hardLimit, 'freeAttempts must be below hardLimit');

export type FirstFactorThrottleSettings = z.output<typeof firstFactorThrottleSchema>;

export type ThrottleClaim =
  | { allowed: true; finish(outcome: 'success' | 'failure'): Promise<void> }
  | { allowed: false; reason: 'slow_down' | 'locked' | 'address_limit'; retryAfterSeconds: number };

const accountState = z.object({
  series: z.string(),
  failures: z.number().int().min(0),
  lastFailureAt: z.number(),
});
type AccountState = z.output<typeof accountState>;

// How long a claimed slot lasts: far longer than one check (a password hash is ≈0.1 s), short
// enough that a check that never finished (a crash) blocks the account only briefly.
const SLOT_TTL_MS = 60_000;

export interface FirstFactorThrottle {
  /** Claims the right to check one attempt for `accountKey` from `ip`. When refused, check nothing. */
  claim(accountKey: string, ip: string): Promise<ThrottleClaim>;
  /** Clears an account's failures (administrator unlock). */
  reset(accountKey: string): Promise<void>;
  /** Consecutive failures on record for an account. */
  failures(accountKey: string): Promise<number>;
}

export function createFirstFactorThrottle(
  ephemeral: EphemeralStore,
  clock: Clock,
  random: RandomSource,
  settings: FirstFactorThrottleSettings,
): FirstFactorThrottle {
  const windowMs = settings.failureWindowHours * 3_600_000;
  const addressWindowMs = settings.perAddress.windowMinutes * 60_000;
  const key = {
    state: (account: string) => `ff:state:${account}`,
    slot: (account: string, s: AccountState | null) =>
      `ff:slot:${account}:${s?.series ?? 'initial'}:${s?.failures ?? 0}`,
    address: (ip: string) => `ff:addr:${addressBucket(ip)}`,
  };
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

  async function read(account: string): Promise<AccountState | null> {
    const raw = await ephemeral.get(key.state(account));
    if (raw === null) return null;
    const parsed = accountState.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  const write = (account: string, state: AccountState) =>
    ephemeral.put(key.state(account), JSON.stringify(state), windowMs);

  /** The wait before the next attempt, given the consecutive failures so far. */
  const delayMs = (failures: number) => {
    if (failures < settings.freeAttempts) return 0;
    const exponent = Math.min(failures - settings.freeAttempts, 40);
    return Math.min(settings.delayBaseSeconds * 1000 * 2 ** exponent, settings.maxDelaySeconds * 1000);
  };

  return {
    async claim(accountKey, ip) {
      const state = await read(accountKey);
      const failures = state?.failures ?? 0;
      if (failures >= settings.hardLimit)
        return { allowed: false, reason: 'locked', retryAfterSeconds: seconds(windowMs) };
      const wait = state ? state.lastFailureAt + delayMs(failures) - clock.now() : 0;
      if (wait > 0) return { allowed: false, reason: 'slow_down', retryAfterSeconds: seconds(wait) };
      if ((await ephemeral.getCount(key.address(ip))) >= settings.perAddress.maxFailures)
        return { allowed: false, reason: 'address_limit', retryAfterSeconds: seconds(addressWindowMs) };
      // The atomic part: one attempt per account state. A concurrent attempt loses here.
      if (!(await ephemeral.consumeOnce(key.slot(accountKey, state), SLOT_TTL_MS)))
        return { allowed: false, reason: 'slow_down', retryAfterSeconds: 1 };
      if ((await ephemeral.increment(key.address(ip), addressWindowMs)) > settings.perAddress.maxFailures) {
        // Lost the race for the address's last place: give both back unused.
        await ephemeral.decrement(key.address(ip));
        await ephemeral.delete(key.slot(accountKey, state));
        return { allowed: false, reason: 'address_limit', retryAfterSeconds: seconds(addressWindowMs) };
      }
      return {
        allowed: true,
        async finish(outcome) {
          if (outcome === 'success') {
            // A new series: the slots of the old one can never be claimed again.
            await write(accountKey, { series: randomId(random, 9), failures: 0, lastFailureAt: 0 });
            // Only the place this attempt took: a success never makes room for more failures.
            await ephemeral.decrement(key.address(ip));
            return;
          }
          await write(accountKey, {
            series: state?.series ?? randomId(random, 9),
            failures: failures + 1,
            lastFailureAt: clock.now(),
          });
        },
      };
    },
    async reset(accountKey) {
      await write(accountKey, { series: randomId(random, 9), failures: 0, lastFailureAt: 0 });
    },
    async failures(accountKey) {
      return (await read(accountKey))?.failures ?? 0;
    },
  };
}
