// App passwords (as in Azure MFA): a user who has signed in with a second factor creates a
// generated password for a legacy client that cannot answer a second step (a mail client, a
// VPN without challenges, a calendar feed) — one per device, named, scoped to the applications
// they choose from the configured list, expiring after `lifetimeDays`, shown once and stored
// only as a keyed hash (the engine's CodeHasher, bound to the user and the password's id).
//
// An app password signs in only where a legacy client's password is checked: the first-factor
// gate's `legacyClient` kind (first-factor-gate.ts) tries it there, for the application the
// integration names, and the sign-in then carries amr `apw`, which meets the plain `mfa`
// strength for that legacy client and nothing stronger (auth-methods.ts; the sign-in flow
// refuses `apw` for any other client type). Browser sign-in pages never check one.
//
// Creating one needs a fresh second factor (`reauthMaxAgeSeconds`), checked here as well as by
// the integration; users in `excludeGroups` / `excludeRoles` (Azure: administrators) may hold
// none, and their existing ones stop working the moment they join such a group.
import type { CodeHasher } from '../crypto/code-hash.ts';
import { ConfigError, MfaError } from '../errors.ts';
import type { AppPasswordRecord, Repository } from '../store/ports.ts';
import type { AppPasswordsOptions } from './app-password-options.ts';
import type { AuditContext, AuditLog } from './audit-log.ts';
import { type Clock, type RandomSource, randomId } from './capabilities.ts';
import type { Directory } from './decide.ts';
import { randomSymbols } from './random-symbols.ts';
import type { AuthStamp } from './stamp.ts';

/** Lower-case letters, as Azure's 16-character app passwords: typed on phones, read off a screen. */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz';
/** 16 letters: 26^16 ≈ 2^75, beyond guessing even without the first-factor throttle. */
const APP_PASSWORD_LENGTH = 16;
/** Longer input is not normalised or hashed. */
const INPUT_MAX = 64;
const PURPOSE = 'app-password';
export const APP_PASSWORD_KIND = 'app_password';
/** The longest name an app password may have. */
export const APP_PASSWORD_NAME_MAX = 64;

/**
 * What is wrong with a name (already trimmed) for an app password, or null: 1–64 characters, no
 * control or format characters (bidirectional overrides, zero-width) that could disguise it in a
 * list or a terminal. One rule for the engine and the request bodies.
 */
export function appPasswordNameProblem(name: string): string | null {
  if (name.length === 0 || name.length > APP_PASSWORD_NAME_MAX)
    return `the name must be 1 to ${APP_PASSWORD_NAME_MAX} characters`;
  // Also line and paragraph separators, private-use code points and lone surrogates.
  if (/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Zl}\p{Zp}]/u.test(name))
    return 'the name must not contain control or formatting characters';
  return null;
}
const DAY_MS = 86_400_000;
/** A use is written back at most this often per app password (a client polling every few seconds). */
const TOUCH_EVERY_MS = 60_000;

/** An application an app password may be scoped to, as users choose it. */
export interface AppPasswordApp {
  id: string;
  name: string;
}

/** An app password as its owner (or an administrator) sees it: everything but the secret. */
export interface AppPasswordSummary {
  id: string;
  name: string;
  apps: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  expired: boolean;
}

export interface CreatedAppPassword extends AppPasswordSummary {
  /** The password, in four groups of four letters: show it once; it is stored nowhere. */
  password: string;
}

export interface AppPasswordRequest {
  /** The user's name for it, e.g. "Mail on my phone" (1–64 characters). */
  name: string;
  /** Application ids from `apps` (at least one). */
  apps: string[];
}

export interface AppPasswordsService {
  /** The applications an app password may be scoped to; empty when app passwords are off. */
  readonly apps: readonly AppPasswordApp[];
  /** Whether the user may hold app passwords: they are enabled and the user is in no excluded group or role. */
  allowed(userId: string): Promise<boolean>;
  list(userId: string): Promise<AppPasswordSummary[]>;
  /**
   * Creates one for the session's user. Refuses: off or the user excluded (403
   * `app_passwords_unavailable`); no second factor verified in the last `reauthMaxAgeSeconds`
   * (403 `reverify_required`); a session revoked before or while it ran (401 `session_revoked`); a bad name or application (400 `app_password_invalid`); the
   * user already holding `maxPerUser` (409 `app_password_limit`).
   */
  create(stamp: AuthStamp, request: AppPasswordRequest, ctx: AuditContext): Promise<CreatedAppPassword>;
  /**
   * Removes one of the user's; false if they have no such app password. Audited as revoked by
   * `by`: the owner (`user`, the default) or an administrator (`admin`, the command line).
   */
  revoke(userId: string, id: string, ctx: AuditContext, by?: 'user' | 'admin'): Promise<boolean>;
  /**
   * Removes all of the user's (an administrator's reset, a lost device; `fraud`: the user
   * reported a sign-in as fraud): how many.
   */
  revokeAll(userId: string, ctx: AuditContext, by?: 'admin' | 'fraud'): Promise<number>;
}

export type AppPasswordCheck =
  | { ok: true; id: string }
  /** The input cannot be an app password, or is none of the user's: check it as their password. */
  | { ok: false; reason: 'not_an_app_password' }
  /** It is one of the user's, but may not sign in here (audited as `app_password_refused`). */
  | { ok: false; reason: 'refused' };

/** The engine's own view: the service plus the check the first-factor gate makes. */
export interface AppPasswordEngine extends AppPasswordsService {
  /** Whether `input` is one of the user's app passwords, valid now for `app`; a use is recorded. */
  check(userId: string, input: string, app: string, ctx: AuditContext): Promise<AppPasswordCheck>;
}

/** What the user typed as the app password it may be: letters only, lower case; null if it cannot be one. */
function normalizeAppPassword(input: string): string | null {
  if (input.length > INPUT_MAX) return null;
  const stripped = input.replace(/[\s-]/g, '');
  // ASCII only before lower-casing, so no other character turns into a letter ('K' Kelvin sign → 'k').
  if (!/^[A-Za-z]+$/.test(stripped)) return null;
  return stripped.length === APP_PASSWORD_LENGTH ? stripped.toLowerCase() : null;
}

/** Whether typed input has an app password's shape (and so is tried as one first). */
export const looksLikeAppPassword = (input: string): boolean => normalizeAppPassword(input) !== null;

const grouped = (password: string) => password.replace(/(.{4})(?=.)/g, '$1 ');

const invalid = (message: string) => new MfaError('app_password_invalid', message, 400);

function summaryOf(record: AppPasswordRecord, now: number): AppPasswordSummary {
  const { id, name, apps, createdAt, expiresAt, lastUsedAt } = record;
  return {
    id,
    name,
    apps: [...apps],
    createdAt,
    expiresAt,
    lastUsedAt,
    expired: expiresAt !== null && now >= expiresAt,
  };
}

export function createAppPasswords(deps: {
  repository: Repository;
  hasher: CodeHasher;
  clock: Clock;
  random: RandomSource;
  audit: AuditLog;
  options: AppPasswordsOptions;
  directory: Directory | undefined;
  /** Whether the stamp carries a second factor verified recently enough for sensitive changes. */
  isFresh: (stamp: AuthStamp) => boolean;
  /** The session check (mfa.isCurrent): not revoked, its device and pass still standing. */
  isCurrent: (stamp: AuthStamp, options?: { uncached?: boolean }) => boolean | Promise<boolean>;
}): AppPasswordEngine {
  const { repository, hasher, clock, random, audit, options } = deps;
  // Exclusions with no directory to read groups and roles from would exclude no one.
  if ((options.excludeGroups.length > 0 || options.excludeRoles.length > 0) && !deps.directory)
    throw new ConfigError(
      'invalid mfakit options: appPasswords.excludeGroups and excludeRoles need the directory option (groups and roles of a user)',
    );
  const apps: readonly AppPasswordApp[] = options.enabled ? options.apps.map((a) => ({ ...a })) : [];
  const appIds = new Set(apps.map((a) => a.id));
  // Bound to the user and the id: a hash copied to another user's row never matches.
  const material = (userId: string, id: string, password: string) => `${userId}\0${id}\0${password}`;

  async function allowed(userId: string): Promise<boolean> {
    if (!options.enabled) return false;
    if (options.excludeGroups.length === 0 && options.excludeRoles.length === 0) return true;
    const subject = (await deps.directory?.subject(userId)) ?? {};
    const excluded = (values: string[] | undefined, listed: string[]) =>
      (values ?? []).some((v) => listed.includes(v));
    return !excluded(subject.groups, options.excludeGroups) && !excluded(subject.roles, options.excludeRoles);
  }

  function checkRequest(request: AppPasswordRequest): { name: string; apps: string[] } {
    if (typeof request?.name !== 'string') throw invalid('a name is required');
    const name = request.name.trim();
    const problem = appPasswordNameProblem(name);
    if (problem) throw invalid(problem);
    if (!Array.isArray(request.apps) || request.apps.length === 0)
      throw invalid('choose at least one application');
    const chosen = [...new Set(request.apps)];
    const unknown = chosen.find((a) => typeof a !== 'string' || !appIds.has(a));
    if (unknown !== undefined)
      throw invalid(`"${String(unknown).slice(0, 64)}" is not an application app passwords may sign in to`);
    return { name, apps: chosen };
  }

  async function refuse(
    record: AppPasswordRecord,
    detail: 'expired' | 'out_of_scope' | 'not_allowed',
    app: string,
    ctx: AuditContext,
  ): Promise<AppPasswordCheck> {
    await audit(record.userId, ctx, {
      type: 'app_password_refused',
      methodId: record.id,
      methodKind: APP_PASSWORD_KIND,
      detail,
      data: { app },
    });
    return { ok: false, reason: 'refused' };
  }

  return {
    apps,
    allowed,

    async list(userId) {
      const now = clock.now();
      return (await repository.listAppPasswords(userId)).map((r) => summaryOf(r, now));
    },

    async create(stamp, request, ctx) {
      if (!(await allowed(stamp.userId)))
        throw new MfaError(
          'app_passwords_unavailable',
          'App passwords are not available to this account.',
          403,
        );
      if (!deps.isFresh(stamp))
        throw new MfaError('reverify_required', 'Verify your identity again to create an app password.', 403);
      const { name, apps: chosen } = checkRequest(request);
      // A session revoked (reset, sign-out everywhere, fraud report) creates nothing, not even
      // one revoked while this ran: then the new app password goes at once.
      const revoked = () => new MfaError('session_revoked', 'This session has ended: sign in again.', 401);
      if (!(await deps.isCurrent(stamp, { uncached: true }))) throw revoked();
      const now = clock.now();
      // A prefix, so no id starts with a dash (a command line would read it as an option).
      const id = `ap_${randomId(random, 12)}`;
      const password = randomSymbols(random, ALPHABET, APP_PASSWORD_LENGTH);
      const record: AppPasswordRecord = {
        id,
        userId: stamp.userId,
        name,
        hash: hasher.hash(PURPOSE, material(stamp.userId, id, password)),
        apps: chosen,
        createdAt: now,
        expiresAt: options.lifetimeDays === null ? null : now + options.lifetimeDays * DAY_MS,
        lastUsedAt: null,
      };
      if (!(await repository.addAppPassword(record, options.maxPerUser)))
        throw new MfaError(
          'app_password_limit',
          `You already have ${options.maxPerUser} app passwords: delete one you no longer use first.`,
          409,
        );
      if (!(await deps.isCurrent(stamp, { uncached: true }))) {
        await repository.deleteAppPassword(stamp.userId, id);
        throw revoked();
      }
      await audit(stamp.userId, ctx, {
        type: 'app_password_created',
        methodId: id,
        methodKind: APP_PASSWORD_KIND,
        data: { name, apps: chosen, expiresAt: record.expiresAt },
      });
      return { ...summaryOf(record, now), password: grouped(password) };
    },

    async revoke(userId, id, ctx, by = 'user') {
      if (!(await repository.deleteAppPassword(userId, id))) return false;
      await audit(userId, ctx, {
        type: 'app_password_revoked',
        methodId: id,
        methodKind: APP_PASSWORD_KIND,
        detail: by,
      });
      return true;
    },

    async revokeAll(userId, ctx, by = 'admin') {
      // Exactly the ones removed are audited, one created meanwhile included.
      const removed = await repository.deleteAppPasswords(userId);
      for (const id of removed)
        await audit(userId, ctx, {
          type: 'app_password_revoked',
          methodId: id,
          methodKind: APP_PASSWORD_KIND,
          detail: by,
        });
      return removed.length;
    },

    async check(userId, input, app, ctx) {
      // Off: nothing is an app password (no store read on a legacy client's every sign-in).
      if (!options.enabled) return { ok: false, reason: 'not_an_app_password' };
      const password = typeof input === 'string' ? normalizeAppPassword(input) : null;
      if (password === null) return { ok: false, reason: 'not_an_app_password' };
      const held = await repository.listAppPasswords(userId);
      // Every one is compared, so the time taken says only how many the user holds.
      let found: AppPasswordRecord | undefined;
      for (const record of held)
        if (hasher.matches(PURPOSE, material(userId, record.id, password), record.hash) && !found)
          found = record;
      if (!found) return { ok: false, reason: 'not_an_app_password' };
      const now = clock.now();
      if (found.expiresAt !== null && now >= found.expiresAt) return refuse(found, 'expired', app, ctx);
      if (!found.apps.includes(app) || !appIds.has(app)) return refuse(found, 'out_of_scope', app, ctx);
      if (!(await allowed(userId))) return refuse(found, 'not_allowed', app, ctx);
      if (found.lastUsedAt === null || now - found.lastUsedAt >= TOUCH_EVERY_MS)
        await repository.touchAppPassword(userId, found.id, now);
      return { ok: true, id: found.id };
    },
  };
}
