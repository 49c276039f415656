// The throttle in front of every first-factor check (password, Temporary Access Pass), per
// budget and per client address.
//
// A budget is what one kind of attempt on one account draws on (the gate chooses it: strangers'
// passwords, passwords from a network the account signed in from before, passes). Per budget:
// the first `freeAttempts` consecutive failures cost nothing; after that each attempt must wait
// `delayBaseSeconds × 2^(failures − freeAttempts)` (capped at `maxDelaySeconds`) after the last
// failure — a progressive delay rather than a lock. At `hardLimit` consecutive failures (NIST SP
// 800-63B §5.2.2: at most 100) the budget is refused until an administrator unlocks the account
// or `failureWindowHours` pass without a failure. Attempts on an unknown identifier are
// throttled the same way, under the identifier.
//
// Atomicity: an attempt first claims the one slot that belongs to the budget's current state
// (its series and failure count) with `consumeOnce`, before anything is checked; whoever loses
// the claim is refused. So a burst of concurrent guesses checks one guess at a time per budget,
// and every checked guess is counted before the next one can be checked. Only the slot's
// winner writes the budget's state, so that write needs no further locking. An administrator's
// unlock moves the account to a new generation: every budget of it starts afresh.
//
// The hard limit outlives the ephemeral store (a Redis restarted empty): the failure that
// reaches it also records, durably, when the budget was locked (a repository counter
// `ff-hard:<owner>:<budget>`, the time), and an administrator's unlock when the owner was unlocked
// (`ff-unlock:<owner>`). A budget stays refused while its lock is later than the owner's last
// unlock and younger than `failureWindowHours`, whatever the ephemeral store says. Each attempt
// reads the lock once, beside the generation; the unlock only when a lock is on record. (Counts
// below the limit, and the delays, stay ephemeral: they start again with an empty cache.)
//
// Per address (IPv6 per /64), in fixed windows of `perAddress.windowMinutes`: every attempt
// reserves a place with an atomic increment before it is checked; a failure keeps it, a success
// gives back only its own place (an atomic decrement, never below zero, so successes cannot be
// banked). More than `perAddress.maxFailures` in one window are refused: password spraying
// across many accounts from one address is limited even though each account sees few, and a
// window always ends (steady traffic behind one NAT never keeps it closed). A first factor that
// names no account until it is checked (a passwordless passkey) claims only this place
// (`claimAddress`): its failures and passwords' share the one window per address.
//
// A refusal says whether to audit it (`audit`, refusal-audit.ts): the first of its kind in a
// minute, the rest counted. The kind is what an attacker cannot multiply by rotating what they
// send: `address_limit` by the address bucket alone (IPv6 per /64), whatever identifier is typed;
// `slow_down` and `locked` by the reason, owner and budget, never the address, so one account
// hammered from many addresses gives one row a minute. (Distinct budgets in `slow_down` each cost
// audited failures to reach, so the throttle itself bounds them.) A count of unaudited refusals
// lasts `failureWindowHours` for the next audited refusal of its kind to report.
import { z } from 'zod';
import type { CounterStore, EphemeralStore } from '../store/ports.ts';
import type { AuditContext, AuditLog } from './audit-log.ts';
import { type Clock, type RandomSource, randomId } from './capabilities.ts';
import { addressBucket } from './lockout.ts';
import { createRefusalAuditor, type RefusalAudit } from './refusal-audit.ts';

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
    /**
     * Passwords from a network (IPv4 /24, IPv6 /48) where the account completed a sign-in within
     * this many days draw on their own budget, which strangers' failures never touch (0: off).
     */
    familiarNetworkDays: z.number().int().min(0).max(365).default(90),
    perAddress: z
      .object({
        maxFailures: z.number().int().min(1).max(100_000).default(100),
        windowMinutes: z.number().int().min(1).max(1440).default(15),
      })
      .default({ maxFailures: 100, windowMinutes: 15 }),
  })
  .refine((t) => t.freeAttempts < t.hardLimit, 'freeAttempts must be below hardLimit');

export type FirstFactorThrottleSettings = z.output<typeof firstFactorThrottleSchema>;

export type RefusalReason = 'slow_down' | 'locked' | 'address_limit';

export type ThrottleClaim =
  | { allowed: true; finish(outcome: 'success' | 'failure'): Promise<void> }
  | {
      allowed: false;
      reason: RefusalReason;
      retryAfterSeconds: number;
      /** Audit this refusal (the first of its kind this minute), or null: it was counted. */
      audit: RefusalAudit;
    };

/** A throttle's refusal, as the gate and the passwordless sign-in answer it. */
export type RefusedClaim = Extract<ThrottleClaim, { allowed: false }>;

/**
 * Audits a refused claim when it is the first of its kind this minute (`first_factor_throttled`,
 * with the count of the refusals since), and gives the caller's answer: `throttled`, with the
 * seconds to wait. Refusals cost the caller nothing: one row a minute per kind.
 */
export async function answerRefusedClaim(
  audit: AuditLog,
  userId: string | null,
  ctx: AuditContext,
  kind: 'password' | 'temporaryAccessPass' | 'passkey' | 'legacyClient',
  claim: RefusedClaim,
): Promise<{ ok: false; error: 'throttled'; retryAfterSeconds: number }> {
  if (claim.audit) {
    const { unreported } = claim.audit;
    await audit(userId, ctx, {
      type: 'first_factor_throttled',
      detail: claim.reason,
      data: unreported > 0 ? { kind, unreported } : { kind },
    });
  }
  return { ok: false, error: 'throttled', retryAfterSeconds: claim.retryAfterSeconds };
}

const accountState = z.object({
  series: z.string(),
  failures: z.number().int().min(0),
  lastFailureAt: z.number(),
});
type AccountState = z.output<typeof accountState>;

// How long a claimed slot lasts: far longer than one check (a password hash is ≈0.1 s), short
// enough that a check that never finished (a crash) blocks the account only briefly.
const SLOT_TTL_MS = 60_000;
// An unlock's generation outlives every budget state written under it.
const GENERATION_TTL_MS = 366 * 86_400_000;

/** One budget: the account (or unknown identifier) it belongs to, and which of its budgets. */
export interface ThrottleBudget {
  /** `account:<id>` or `identifier:<typed>`: what an unlock starts afresh. */
  owner: string;
  /** e.g. `password`, `password:net:<network>`, `access-pass`. */
  budget: string;
}

export interface FirstFactorThrottle {
  /** Claims the right to check one attempt on `budget` from `ip`. When refused, check nothing. */
  claim(budget: ThrottleBudget, ip: string): Promise<ThrottleClaim>;
  /**
   * Claims only a place in `ip`'s per-address window, for a first factor that names no account
   * before it is checked (a passwordless passkey): its failures count against the same
   * per-address budget as passwords', and a success gives back only its own place.
   */
  claimAddress(ip: string): Promise<ThrottleClaim>;
  /** Starts every budget of an owner afresh (administrator unlock). */
  reset(owner: string): Promise<void>;
  /** Consecutive failures on record for a budget (in the ephemeral store). */
  failures(budget: ThrottleBudget): Promise<number>;
}

/** The repository's part the throttle uses: the durable hard locks and unlocks, as times. */
export type ThrottleCounters = Pick<CounterStore, 'getCounter' | 'advance'>;

export function createFirstFactorThrottle(
  ephemeral: EphemeralStore,
  counters: ThrottleCounters,
  clock: Clock,
  random: RandomSource,
  settings: FirstFactorThrottleSettings,
): FirstFactorThrottle {
  const windowMs = settings.failureWindowHours * 3_600_000;
  const addressWindowMs = settings.perAddress.windowMinutes * 60_000;
  const key = {
    generation: (owner: string) => `ff:gen:${owner}`,
    state: (b: ThrottleBudget, gen: string) => `ff:state:${b.owner}:${gen}:${b.budget}`,
    slot: (b: ThrottleBudget, gen: string, s: AccountState | null) =>
      `ff:slot:${b.owner}:${gen}:${b.budget}:${s?.series ?? 'initial'}:${s?.failures ?? 0}`,
    address: (ip: string, window: number) => `ff:addr:${addressBucket(ip)}:${window}`,
    // Durable; the owner's length keeps `a:b`+`c` apart from `a`+`b:c`.
    hardLock: (b: ThrottleBudget) => `ff-hard:${b.owner.length}:${b.owner}:${b.budget}`,
    unlocked: (owner: string) => `ff-unlock:${owner}`,
    // A refusal's kind (see the top): the address bucket alone, or the reason, owner and budget.
    refusal: (reason: RefusalReason, b: ThrottleBudget | null, ip: string) =>
      reason === 'address_limit' || b === null
        ? `addr:${addressBucket(ip)}`
        : `${reason}:${b.owner.length}:${b.owner}:${b.budget}`,
  };
  const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));
  const generationOf = async (owner: string) => (await ephemeral.get(key.generation(owner))) ?? '0';

  async function read(stateKey: string): Promise<AccountState | null> {
    const raw = await ephemeral.get(stateKey);
    if (raw === null) return null;
    const parsed = accountState.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  }

  const write = (stateKey: string, state: AccountState) =>
    ephemeral.put(stateKey, JSON.stringify(state), windowMs);

  /** The wait before the next attempt, given the consecutive failures so far. */
  const delayMs = (failures: number) => {
    if (failures < settings.freeAttempts) return 0;
    const exponent = Math.min(failures - settings.freeAttempts, 40);
    return Math.min(settings.delayBaseSeconds * 1000 * 2 ** exponent, settings.maxDelaySeconds * 1000);
  };

  /** How long the durable hard lock found (its time) still holds, in ms; 0 when it does not. */
  async function hardLockLeft(owner: string, lockedAt: number | null): Promise<number> {
    if (lockedAt === null) return 0;
    const left = lockedAt + windowMs - clock.now();
    if (left <= 0) return 0;
    const unlockedAt = await counters.getCounter(key.unlocked(owner));
    return unlockedAt !== null && unlockedAt >= lockedAt ? 0 : left;
  }

  const auditOf = createRefusalAuditor(ephemeral, 'ff', windowMs);
  /** A refusal, audited when it is the first of its kind this minute, else counted. */
  const refuse = async (
    reason: RefusalReason,
    retryAfterSeconds: number,
    budget: ThrottleBudget | null,
    ip: string,
  ): Promise<ThrottleClaim> => ({
    allowed: false,
    reason,
    retryAfterSeconds,
    audit: await auditOf(key.refusal(reason, budget, ip)),
  });

  /** `ip`'s current per-address window: its key and the seconds until it ends. */
  const addressWindow = (ip: string) => {
    const now = clock.now();
    const window = Math.floor(now / addressWindowMs);
    return { addressKey: key.address(ip, window), windowLeft: seconds((window + 1) * addressWindowMs - now) };
  };

  /** Takes a place in the address's window (atomic); false, with nothing taken, when it is full. */
  async function reservePlace(addressKey: string): Promise<boolean> {
    if ((await ephemeral.increment(addressKey, addressWindowMs)) <= settings.perAddress.maxFailures)
      return true;
    // Lost the race for the address's last place: give it back unused.
    await ephemeral.decrement(addressKey);
    return false;
  }

  /** A success gives back only the place its own attempt took: successes cannot be banked. */
  const givePlaceBack = (addressKey: string) => ephemeral.decrement(addressKey);

  return {
    async claim(budget, ip) {
      const { addressKey, windowLeft } = addressWindow(ip);
      // Reads only, sent together; the address's count is checked after the budget's state, as
      // before, and only the slot and the increment below decide.
      const [gen, lockedAt, addressFailures] = await Promise.all([
        generationOf(budget.owner),
        counters.getCounter(key.hardLock(budget)),
        ephemeral.getCount(addressKey),
      ]);
      const lockLeft = await hardLockLeft(budget.owner, lockedAt);
      if (lockLeft > 0) return refuse('locked', seconds(lockLeft), budget, ip);
      const stateKey = key.state(budget, gen);
      const state = await read(stateKey);
      const failures = state?.failures ?? 0;
      if (failures >= settings.hardLimit) return refuse('locked', seconds(windowMs), budget, ip);
      const wait = state ? state.lastFailureAt + delayMs(failures) - clock.now() : 0;
      if (wait > 0) return refuse('slow_down', seconds(wait), budget, ip);
      if (addressFailures >= settings.perAddress.maxFailures)
        return refuse('address_limit', windowLeft, budget, ip);
      // The atomic part: one attempt per budget state. A concurrent attempt loses here.
      const slot = key.slot(budget, gen, state);
      if (!(await ephemeral.consumeOnce(slot, SLOT_TTL_MS))) return refuse('slow_down', 1, budget, ip);
      if (!(await reservePlace(addressKey))) {
        // Lost the race for the address's last place: the slot goes back unused too.
        await ephemeral.delete(slot);
        return refuse('address_limit', windowLeft, budget, ip);
      }
      return {
        allowed: true,
        async finish(outcome) {
          if (outcome === 'success') {
            await Promise.all([
              // A new series: the slots of the old one can never be claimed again.
              write(stateKey, { series: randomId(random, 9), failures: 0, lastFailureAt: 0 }),
              // Only the place this attempt took: a success never makes room for more failures.
              givePlaceBack(addressKey),
            ]);
            return;
          }
          const now = clock.now();
          await Promise.all([
            write(stateKey, {
              series: state?.series ?? randomId(random, 9),
              failures: failures + 1,
              lastFailureAt: now,
            }),
            failures + 1 >= settings.hardLimit ? counters.advance(key.hardLock(budget), now) : undefined,
          ]);
        },
      };
    },
    async claimAddress(ip) {
      const { addressKey, windowLeft } = addressWindow(ip);
      if (
        (await ephemeral.getCount(addressKey)) >= settings.perAddress.maxFailures ||
        !(await reservePlace(addressKey))
      )
        return refuse('address_limit', windowLeft, null, ip);
      return {
        allowed: true,
        async finish(outcome) {
          if (outcome === 'success') await givePlaceBack(addressKey);
        },
      };
    },
    async reset(owner) {
      await Promise.all([
        ephemeral.put(key.generation(owner), randomId(random, 9), GENERATION_TTL_MS),
        counters.advance(key.unlocked(owner), clock.now()),
      ]);
    },
    async failures(budget) {
      return (await read(key.state(budget, await generationOf(budget.owner))))?.failures ?? 0;
    },
  };
}
