// Temporary Access Passes (as in Microsoft Entra ID): an administrator issues a user a
// time-limited pass, one-time or multi-use, to sign in and register methods. The pass is shown
// once and stored only as a keyed hash (the engine's CodeHasher, like recovery codes); a user
// has at most one, and issuing a new one replaces it. `verify` checks and, for a one-time pass,
// consumes it with one atomic store operation; it does no throttling (the first-factor gate
// reserves an attempt before calling it) but audits every failure with its reason. A session
// a pass opened lasts only while that pass is the user's (`admitsSession`, access-pass-sessions.ts):
// revoking or replacing the pass ends it.
import type { CodeHasher } from '../crypto/code-hash.ts';
import { MfaError } from '../errors.ts';
import type { AccessPassRecord, Repository } from '../store/ports.ts';
import { createAccessPassSessions } from './access-pass-sessions.ts';
import type { AuditLog } from './audit-log.ts';
import { type Clock, type RandomSource, randomId } from './capabilities.ts';
import type { InvalidationBus } from './invalidation-bus.ts';
import type { ResolvedOptions } from './options.ts';
import { randomSymbols } from './random-symbols.ts';
import type { AuthStamp } from './stamp.ts';

/**
 * The pass alphabet: digits and upper-case letters without the look-alikes 0/O, 1/I/L. Passes are
 * read out over the phone and typed on phones, so input is case-insensitive (upper-cased) and
 * spaces and dashes are ignored; lower-case i, l and o therefore never match anything.
 */
export const ACCESS_PASS_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
/** Longer input is refused before it is normalised or hashed. */
export const ACCESS_PASS_INPUT_MAX = 128;
const WELL_FORMED = new RegExp(`^[${ACCESS_PASS_ALPHABET}]{8,48}$`);
const PURPOSE = 'temporary-access-pass';
const KIND = 'temporary_access_pass';
const MINUTE = 60_000;
/** How far ahead a pass may start: Entra's 30 days. */
const MAX_START_AHEAD_MS = 30 * 24 * 60 * MINUTE;

/** A pass of `length` symbols drawn uniformly from ACCESS_PASS_ALPHABET. */
export const generateAccessPass = (random: RandomSource, length: number): string =>
  randomSymbols(random, ACCESS_PASS_ALPHABET, length);

/** What the user typed, as the pass it stands for: no spaces or dashes, upper case; null if it cannot be one. */
export function normalizeAccessPass(input: string): string | null {
  const stripped = input.replace(/[\s-]/g, '');
  // ASCII only before upper-casing, so no other character can turn into a valid one ('ß' → 'SS').
  if (!/^[A-Za-z0-9]*$/.test(stripped)) return null;
  const pass = stripped.toUpperCase();
  return WELL_FORMED.test(pass) ? pass : null;
}

export interface AccessPassIssueOptions {
  /** Whole minutes within the configured bounds; default `defaultLifetimeMinutes`. */
  lifetimeMinutes?: number | undefined;
  /** Default `oneTimeDefault`. */
  oneTime?: boolean | undefined;
  /** When it becomes valid (ms since the epoch): absent or past means now; at most 30 days ahead. */
  startsAt?: number | undefined;
}

export interface AccessPassContext {
  ip: string;
  requestId?: string | undefined;
  /** Who acts (an administrator's name, `cli`): kept on the pass and in the audit. */
  by?: string | undefined;
}

export interface IssuedAccessPass {
  id: string;
  /** The pass itself: show it once; it is stored nowhere. */
  pass: string;
  userId: string;
  startsAt: number;
  expiresAt: number;
  oneTime: boolean;
}

export type AccessPassState = 'pending' | 'active' | 'used' | 'expired';

/** A pass as an administrator may see it: everything but the secret. */
export type AccessPassStatus = Omit<AccessPassRecord, 'hash'> & { state: AccessPassState };

/** Why a pass was refused (for the caller's audit and logs; the user is told only that it failed). */
export type AccessPassFailure =
  | 'disabled'
  | 'oversized'
  | 'malformed'
  | 'no_pass'
  | 'mismatch'
  | 'not_started'
  | 'expired'
  | 'used'
  /** Valid for longer than this application's `maxLifetimeMinutes` (issued elsewhere with a higher one). */
  | 'lifetime_exceeded';

export type AccessPassVerification =
  | { ok: true; id: string; oneTime: boolean }
  | { ok: false; detail: AccessPassFailure };

export interface TemporaryAccessPasses {
  /** Issues a pass, replacing the user's previous one. Bad options: MfaError 400 `access_pass_invalid`. */
  issue(userId: string, options: AccessPassIssueOptions, ctx: AccessPassContext): Promise<IssuedAccessPass>;
  /** The user's pass, without the secret, or null. */
  get(userId: string): Promise<AccessPassStatus | null>;
  /** The user's passes (at most one), without the secret. */
  list(userId: string): Promise<AccessPassStatus[]>;
  /** Deletes the user's pass; false if there was none. */
  revoke(userId: string, ctx: AccessPassContext): Promise<boolean>;
  /** Checks a pass; a one-time pass is consumed atomically (one winner among concurrent calls). */
  verify(userId: string, pass: string, ctx: AccessPassContext): Promise<AccessPassVerification>;
}

/** The engine's own view: the public service plus the session check `mfa.isCurrent` composes. */
export interface AccessPassEngine extends TemporaryAccessPasses {
  /**
   * Whether a session still stands as far as passes go: always for one no pass opened; for one
   * a pass opened, while the user's pass was created no later than the sign-in (not revoked, not
   * replaced). Cached for a second (a plain boolean then); issue and revoke in this process
   * count at once.
   */
  admitsSession(stamp: AuthStamp, uncached?: boolean): boolean | Promise<boolean>;
}

function stateOf(record: AccessPassRecord, now: number): AccessPassState {
  if (record.usedAt !== null) return 'used';
  if (now >= record.expiresAt) return 'expired';
  return now < record.startsAt ? 'pending' : 'active';
}

function statusOf(record: AccessPassRecord, now: number): AccessPassStatus {
  const { hash: _secret, ...rest } = record;
  return { ...rest, state: stateOf(record, now) };
}

const invalid = (message: string) => new MfaError('access_pass_invalid', message, 400);

export function createTemporaryAccessPasses(deps: {
  repository: Repository;
  hasher: CodeHasher;
  clock: Clock;
  random: RandomSource;
  options: ResolvedOptions['temporaryAccessPass'];
  audit: AuditLog;
  /** Issues and revocations announced to, and heard from, the other processes. */
  bus?: InvalidationBus;
}): AccessPassEngine {
  const { repository, hasher, clock, random, options, audit } = deps;
  const sessions = createAccessPassSessions(repository, clock, deps.bus);
  // Bound to the user and the pass id: a hash copied to another user's row never matches.
  const material = (userId: string, id: string, pass: string) => `${userId}\0${id}\0${pass}`;

  function lifetimeOf(requested: number | undefined): number {
    const minutes = requested ?? options.defaultLifetimeMinutes;
    const { minLifetimeMinutes: min, maxLifetimeMinutes: max } = options;
    if (!Number.isInteger(minutes) || minutes < min || minutes > max)
      throw invalid(
        `lifetime must be a whole number of minutes from ${min} to ${max} (got ${String(minutes)})`,
      );
    return minutes;
  }

  function startOf(requested: number | undefined, now: number): number {
    if (requested === undefined) return now;
    if (!Number.isFinite(requested)) throw invalid('startsAt must be a time in ms since the epoch');
    if (requested - now > MAX_START_AHEAD_MS)
      throw invalid(`startsAt must be at most 30 days ahead (got ${new Date(requested).toISOString()})`);
    return Math.max(Math.floor(requested), now);
  }

  async function fail(
    userId: string,
    ctx: AccessPassContext,
    detail: AccessPassFailure,
    id?: string,
  ): Promise<AccessPassVerification> {
    await audit(userId, ctx, { type: 'access_pass_failed', methodId: id, methodKind: KIND, detail });
    return { ok: false, detail };
  }

  return {
    async issue(userId, requested, ctx) {
      if (!options.enabled)
        throw new MfaError('access_pass_disabled', 'Temporary Access Passes are disabled', 403);
      if (typeof userId !== 'string' || userId === '') throw invalid('a user id is required');
      if (requested.oneTime !== undefined && typeof requested.oneTime !== 'boolean')
        throw invalid('oneTime must be true or false');
      const lifetimeMinutes = lifetimeOf(requested.lifetimeMinutes);
      const now = clock.now();
      const startsAt = startOf(requested.startsAt, now);
      const id = randomId(random, 12);
      const pass = generateAccessPass(random, options.length);
      const record: AccessPassRecord = {
        id,
        userId,
        hash: hasher.hash(PURPOSE, material(userId, id, pass)),
        createdAt: now,
        startsAt,
        expiresAt: startsAt + lifetimeMinutes * MINUTE,
        oneTime: requested.oneTime ?? options.oneTimeDefault,
        usedAt: null,
        createdBy: ctx.by ?? null,
      };
      const replaced = await repository.putAccessPass(record);
      sessions.forget(userId);
      const by = ctx.by ?? null;
      if (replaced)
        await audit(userId, ctx, {
          type: 'access_pass_replaced',
          methodId: replaced.id,
          methodKind: KIND,
          detail: stateOf(replaced, now),
          data: { by, replacedBy: id },
        });
      await audit(userId, ctx, {
        type: 'access_pass_issued',
        methodId: id,
        methodKind: KIND,
        data: { by, startsAt, expiresAt: record.expiresAt, oneTime: record.oneTime, lifetimeMinutes },
      });
      return { id, pass, userId, startsAt, expiresAt: record.expiresAt, oneTime: record.oneTime };
    },

    async get(userId) {
      const record = await repository.getAccessPass(userId);
      return record ? statusOf(record, clock.now()) : null;
    },

    async list(userId) {
      const record = await repository.getAccessPass(userId);
      return record ? [statusOf(record, clock.now())] : [];
    },

    async revoke(userId, ctx) {
      const record = await repository.getAccessPass(userId);
      if (!record || !(await repository.deleteAccessPass(userId))) return false;
      sessions.forget(userId);
      await audit(userId, ctx, {
        type: 'access_pass_revoked',
        methodId: record.id,
        methodKind: KIND,
        detail: stateOf(record, clock.now()),
        data: { by: ctx.by ?? null },
      });
      return true;
    },

    async verify(userId, input, ctx) {
      if (!options.enabled) return fail(userId, ctx, 'disabled');
      if (typeof input !== 'string') return fail(userId, ctx, 'malformed');
      if (input.length > ACCESS_PASS_INPUT_MAX) return fail(userId, ctx, 'oversized');
      const pass = normalizeAccessPass(input);
      if (pass === null) return fail(userId, ctx, 'malformed');
      const record = await repository.getAccessPass(userId);
      if (!record) {
        // The same work as a real check, so the time taken does not tell who holds a pass.
        hasher.hash(PURPOSE, material(userId, '', pass));
        return fail(userId, ctx, 'no_pass');
      }
      if (!hasher.matches(PURPOSE, material(userId, record.id, pass), record.hash))
        return fail(userId, ctx, 'mismatch', record.id);
      // A pass issued by another tool or process with a larger maximum (`mfakit tap` with
      // MFAKIT_TAP_MAX_LIFETIME) is held to this application's own maximum, whatever its state.
      if (record.expiresAt - record.startsAt > options.maxLifetimeMinutes * MINUTE)
        return fail(userId, ctx, 'lifetime_exceeded', record.id);
      const now = clock.now();
      const state = stateOf(record, now);
      if (state === 'used') return fail(userId, ctx, 'used', record.id);
      if (state === 'pending') return fail(userId, ctx, 'not_started', record.id);
      if (state === 'expired') return fail(userId, ctx, 'expired', record.id);
      // One conditional write: of concurrent verifications of a one-time pass, one wins.
      if (record.oneTime && !(await repository.consumeAccessPass(userId, record.id, now)))
        return fail(userId, ctx, 'used', record.id);
      await audit(userId, ctx, {
        type: 'access_pass_verified',
        methodId: record.id,
        methodKind: KIND,
        data: { oneTime: record.oneTime },
      });
      return { ok: true, id: record.id, oneTime: record.oneTime };
    },

    admitsSession: (stamp, uncached) => sessions.admits(stamp, uncached),
  };
}
