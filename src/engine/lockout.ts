// Throttling of second-factor attempts, per user and per client address.
//
// Every attempt reserves a slot *before* the code is checked (an atomic increment), per user
// and per address, so a burst of concurrent guesses cannot slip past either limit: at most
// `maxAttempts` codes are checked per user and lock period (the lock lasts `lockSeconds`
// after the last attempt). A success releases the user's slots and, at the address, the one
// slot it reserved itself (a busy office behind one NAT is not locked by its successes, and
// successes banked on an attacker's own account make no room for guesses at others); a new
// challenge releases nothing. Past `backoffAfter` failures each attempt must wait exponentially
// longer. Consecutive *failures* (not refused attempts) lock the account outright at
// `hardLimit` (≤ 100) until an admin unlocks it. IPv6 clients are counted per /64, the
// block one subscriber usually holds.
//
// Where the counts live: the slots and the last failure are short-lived (the ephemeral store,
// e.g. Redis); the consecutive failures are durable (a counter in the repository,
// `lockout:consecutive:<user>`, moved by one atomic increment), so a cache that restarts empty
// never lifts a hard lock. An attempt reads that counter once, beside the ephemeral reads; a
// success deletes it only when the attempt found failures on it.
//
// A refusal says whether to audit it (`audit`, refusal-audit.ts): the first of its kind in a
// minute, the rest counted. Kinds: `locked_ip` by the address bucket alone, the others by the
// reason and the user, never the address (many addresses on one locked user: one row a minute).
import type ipaddr from 'ipaddr.js';
import type { CounterStore, EphemeralStore } from '../store/ports.ts';
import { parseAddress } from '../trust/address.ts';
import type { Clock } from './capabilities.ts';
import type { ResolvedOptions } from './options.ts';
import { createRefusalAuditor, type RefusalAudit } from './refusal-audit.ts';

/** Whether an attempt may be checked; when not, why and how long to wait. */
export type AttemptGate =
  /** `consecutiveFailures`: the durable count as this attempt found it (for `succeeded`). */
  | { allowed: true; consecutiveFailures: number }
  | {
      allowed: false;
      reason: LockoutReason;
      retryAfterSeconds: number;
      /** Audit this refusal (the first of its kind this minute), or null: it was counted. */
      audit: RefusalAudit;
    };

export type LockoutReason = 'locked' | 'locked_ip' | 'locked_hard' | 'slow_down';
type Refusal = { allowed: false; reason: LockoutReason; retryAfterSeconds: number };
// How long a count of unaudited refusals waits for the next audited refusal of its kind.
const REFUSAL_TALLY_TTL_MS = 86_400_000;

/** The repository's part the lockout uses: the durable consecutive-failure count. */
export type LockoutCounters = Pick<CounterStore, 'getCounter' | 'incrementCounter' | 'deleteCounter'>;

export interface Lockout {
  /** Reserves an attempt. When refused, nothing may be checked. */
  begin(userId: string, ip: string): Promise<AttemptGate>;
  /** After a verified code; `gate` is what `begin` answered for this attempt. */
  succeeded(userId: string, ip: string, gate: { consecutiveFailures: number }): Promise<void>;
  failed(userId: string, ip: string): Promise<void>;
  /** Admin unlock. */
  reset(userId: string): Promise<void>;
  /**
   * Reads only: the seconds until the user's codes are checked again when they are locked (too
   * many recent attempts, or the hard lock, which waits for an administrator), else null.
   */
  lockedFor(userId: string): Promise<number | null>;
  status(userId: string): Promise<{ attempts: number; consecutiveFailures: number }>;
}

/** The unit an address is counted in: the IPv4 address, or the IPv6 /64. */
export function addressBucket(ip: string): string {
  const parsed = parseAddress(ip);
  if (parsed === null) return ip;
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const v6 = parsed as ipaddr.IPv6;
  return `${v6.parts
    .slice(0, 4)
    .map((p) => p.toString(16))
    .join(':')}::/64`;
}

export function createLockout(
  ephemeral: EphemeralStore,
  counters: LockoutCounters,
  clock: Clock,
  settings: ResolvedOptions['lockout'],
): Lockout {
  const lockMs = settings.lockSeconds * 1000;
  const k = {
    user: (u: string) => `lock:attempts:user:${u}`,
    ipAttempts: (ip: string) => `lock:attempts:ip:${addressBucket(ip)}`,
    consecutive: (u: string) => `lockout:consecutive:${u}`,
    lastFailure: (u: string) => `lock:last-failure:${u}`,
  };
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  const refuse = (reason: 'locked' | 'locked_ip' | 'locked_hard', ms = lockMs): Refusal => ({
    allowed: false,
    reason,
    retryAfterSeconds: seconds(ms),
  });
  const auditOf = createRefusalAuditor(ephemeral, 'lock', REFUSAL_TALLY_TTL_MS);
  const refusalKind = (reason: LockoutReason, userId: string, ip: string) =>
    reason === 'locked_ip' ? `addr:${addressBucket(ip)}` : `${reason}:${userId}`;

  async function check(
    userId: string,
    ip: string,
  ): Promise<Refusal | { allowed: true; consecutiveFailures: number }> {
    const [consecutive, userAttempts, ipAttempts, lastFailure] = await Promise.all([
      counters.getCounter(k.consecutive(userId)),
      ephemeral.getCount(k.user(userId)),
      ephemeral.getCount(k.ipAttempts(ip)),
      ephemeral.get(k.lastFailure(userId)),
    ]);
    const consecutiveFailures = consecutive ?? 0;
    if (consecutiveFailures >= settings.hardLimit) return refuse('locked_hard');
    if (userAttempts >= settings.maxAttempts) return refuse('locked');
    if (ipAttempts >= settings.maxAttemptsPerIp) return refuse('locked_ip');
    if (userAttempts >= settings.backoffAfter && lastFailure !== null) {
      const wait = Math.min(settings.backoffBaseMs * 2 ** (userAttempts - settings.backoffAfter), lockMs);
      const elapsed = clock.now() - Number(lastFailure);
      if (elapsed < wait)
        return { allowed: false, reason: 'slow_down', retryAfterSeconds: seconds(wait - elapsed) };
    }
    // Reserve: these increments are the atomic part. Losers of a race see counts past the limits.
    const [u, i] = await Promise.all([
      ephemeral.increment(k.user(userId), lockMs),
      ephemeral.increment(k.ipAttempts(ip), lockMs),
    ]);
    if (u > settings.maxAttempts) return refuse('locked');
    if (i > settings.maxAttemptsPerIp) return refuse('locked_ip');
    return { allowed: true, consecutiveFailures };
  }

  async function status(userId: string) {
    const [attempts, consecutiveFailures] = await Promise.all([
      ephemeral.getCount(k.user(userId)),
      counters.getCounter(k.consecutive(userId)),
    ]);
    return { attempts, consecutiveFailures: consecutiveFailures ?? 0 };
  }

  return {
    async begin(userId, ip) {
      const gate = await check(userId, ip);
      if (gate.allowed) return gate;
      return { ...gate, audit: await auditOf(refusalKind(gate.reason, userId, ip)) };
    },
    async succeeded(userId, ip, gate) {
      await Promise.all([
        ephemeral.delete(k.user(userId)),
        // No durable write when there was nothing to clear (the usual sign-in). A failure that
        // lands elsewhere meanwhile counts as one after this success.
        gate.consecutiveFailures > 0 ? counters.deleteCounter(k.consecutive(userId)) : undefined,
        ephemeral.delete(k.lastFailure(userId)),
        // Only the slot this attempt reserved: never below zero, never room for more guesses.
        ephemeral.decrement(k.ipAttempts(ip)),
      ]);
    },
    async failed(userId) {
      await Promise.all([
        ephemeral.put(k.lastFailure(userId), String(clock.now()), lockMs),
        counters.incrementCounter(k.consecutive(userId)),
      ]);
    },
    async reset(userId) {
      await Promise.all([
        ephemeral.delete(k.user(userId)),
        counters.deleteCounter(k.consecutive(userId)),
        ephemeral.delete(k.lastFailure(userId)),
      ]);
    },
    async lockedFor(userId) {
      const { attempts, consecutiveFailures } = await status(userId);
      return consecutiveFailures >= settings.hardLimit || attempts >= settings.maxAttempts
        ? seconds(lockMs)
        : null;
    },
    status,
  };
}
