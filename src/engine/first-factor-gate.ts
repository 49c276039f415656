// The one first-factor gate. Every place that checks a password or a Temporary Access Pass
// (an IdP's login page, a security-info portal, an Express app's sign-in) calls `signIn()`,
// which, in this order:
//   1. resolves the account the identifier names (user name or e-mail address);
//   2. applies home-realm discovery: an account whose own e-mail address lies in a claims
//      provider's domain signs in there, never here with a local secret (the typed domain
//      decides only for identifiers that name no account);
//   3. claims an attempt from the throttle (per account and per address) before anything is
//      checked, and refuses when there is none;
//   4. checks the secret — for an unknown account too, with the same work, so the answer and
//      its timing are the same for "no such account" and "wrong password";
//   5. audits the outcome (never the secret) and settles the throttle; a refusal is audited
//      when the throttle says so (the first of its kind in a minute, see first-factor-throttle).
// The application owns its accounts and password hashes (`AccountDirectory`); mfakit owns the
// order of these steps, the throttle and the audit.
//
// A legacy client (RADIUS, HTTP Basic) has one password field: kind `legacyClient` checks what
// was typed as one of the user's app passwords scoped to `app` when it can be one, else as the
// account's password. Only this kind ever accepts an app password. App passwords (≈ 2⁷⁵ each)
// draw only on the address's window, never on the account's password budget, so strangers'
// failed passwords cannot keep the user's mail client out, and a stolen app password resets
// nothing. A client that cannot answer a second step (`secondStep: false`, HTTP Basic) has the
// account's password checked only where it alone would sign in (the engine's decision for this
// app); elsewhere it is never checked, so no answer, delay or audit tells that it was right.
import { APP_PASSWORD_KIND, type AppPasswordCheck, looksLikeAppPassword } from './app-passwords.ts';
import type { AuditLog } from './audit-log.ts';
import { APP_PASSWORD_AMR } from './auth-methods.ts';
import { hasControlCharacters } from './control-characters.ts';
import { answerRefusedClaim, type FirstFactorThrottle, type ThrottleClaim } from './first-factor-throttle.ts';

export interface ResolvedAccount {
  id: string;
  /** The account's own e-mail address, for home-realm discovery. */
  email?: string | undefined;
}

export interface AccountDirectory {
  /** The account an identifier (user name, e-mail address, …) names, or null. */
  resolve(identifier: string): ResolvedAccount | null | Promise<ResolvedAccount | null>;
  /**
   * Whether the password is the account's. Called with `null` for an identifier that names no
   * account, and must then do the same work (e.g. check against a fixed dummy hash).
   */
  verifyPassword(accountId: string | null, password: string): Promise<boolean>;
  /** Home-realm discovery: the claims provider that owns this address's domain, or null. */
  homeRealmOf?(email: string): string | null;
}

/** `legacyClient`: a legacy client's password field, an app password for `app` or the account's password. */
export type FirstFactorKind = 'password' | 'temporaryAccessPass' | 'legacyClient';

export interface FirstFactorInput {
  identifier: string;
  secret: string;
  kind: FirstFactorKind;
  /** `legacyClient`: the application the client signs in to (required); an app password must be scoped to it. */
  app?: string | undefined;
  /**
   * `legacyClient`: false when the client cannot answer a second step (HTTP Basic): the account's
   * password is then checked only where the engine would let it sign in to `app` alone. Default
   * true (RADIUS challenges for the second step).
   */
  secondStep?: boolean | undefined;
  /** `legacyClient` with `secondStep: false`: whether a trusted network may lift the second step (as SignInInput's). */
  allowTrustedNetwork?: boolean | undefined;
  /** `legacyClient` with `secondStep: false`: the client's User-Agent, as the sign-in will be given it (device risk). */
  userAgent?: string | undefined;
  ip: string;
  requestId?: string | undefined;
}

export type FirstFactorResult =
  | {
      ok: true;
      accountId: string;
      amr: string[];
      /** The app password that signed in (amr `apw`), for a `legacyClient` sign-in. */
      appPasswordId?: string;
    }
  | { ok: false; error: 'invalid_credentials' }
  | { ok: false; error: 'throttled'; retryAfterSeconds: number }
  | { ok: false; error: 'home_realm'; realm: string };

/** Where an identifier must sign in, and the hint (never an address the user did not type) to pass on. */
export interface HomeRealm {
  realm: string;
  loginHint?: string;
}

export interface FirstFactorGate {
  /** Home-realm discovery for an identifier typed on a sign-in page, or null (sign in here). */
  discover(identifier: string): Promise<HomeRealm | null>;
  signIn(input: FirstFactorInput): Promise<FirstFactorResult>;
}

/** A Temporary Access Pass check (the engine's access-pass service). */
export type AccessPassVerifier = (
  userId: string,
  pass: string,
  ctx: { ip: string; requestId?: string | undefined },
) => Promise<{ ok: boolean }>;

export interface FirstFactorGateDeps {
  throttle: FirstFactorThrottle;
  /**
   * The network (a sightings key) of `ip` when the account completed a sign-in from it recently,
   * else null: passwords from there draw on their own budget, which strangers cannot exhaust.
   */
  familiarNetwork?: ((accountId: string, ip: string) => Promise<string | null>) | undefined;
  audit: AuditLog;
  verifyAccessPass?: AccessPassVerifier | undefined;
  /** The engine's app-password check (app-passwords.ts), for `legacyClient` sign-ins. */
  checkAppPassword?:
    | ((
        userId: string,
        input: string,
        app: string,
        ctx: { ip: string; requestId?: string | undefined },
      ) => Promise<AppPasswordCheck>)
    | undefined;
  /**
   * Whether the account's password alone would sign in to `app` as a legacy client (the engine's
   * decision for amr ['pwd'], read-only): for `legacyClient` sign-ins with `secondStep: false`.
   */
  passwordSuffices?:
    | ((
        userId: string,
        on: { app: string; ip: string; allowTrustedNetwork: boolean; userAgent: string | undefined },
      ) => Promise<boolean>)
    | undefined;
}

/** amr (RFC 8176) of each first factor; `tap` is mfakit's own value for a Temporary Access Pass. */
export const FIRST_FACTOR_AMR: Record<FirstFactorKind, string[]> = {
  password: ['pwd'],
  temporaryAccessPass: ['tap'],
  legacyClient: ['pwd'],
};

/** The throttle's owner for an account (what an unlock starts afresh), and for an identifier that names none. */
export const accountThrottleKey = (accountId: string) => `account:${accountId}`;
const identifierThrottleKey = (typed: string) => `identifier:${typed}`;
// A user that is no account's: Temporary Access Pass checks for unknown identifiers look it up,
// so they cost what a known account's do.
const NO_ACCOUNT = '';

type RequestCtx = { ip: string; requestId?: string | undefined };
type LegacyInput = FirstFactorInput & { app: string };
type AllowedClaim = Extract<ThrottleClaim, { allowed: true }>;

const MAX_IDENTIFIER = 256;
const MAX_SECRET = 1024;

/**
 * Whether an identifier typed on a sign-in page cannot be one: too long, or a control character
 * (control-characters.ts) in what is left once trimmed — a pasted trailing newline is whitespace,
 * trimmed as before. Refused as invalid_credentials before any store is read: the typed
 * identifier becomes the throttle's store key, where a NUL is more than PostgreSQL's text holds.
 */
const unusableIdentifier = (identifier: string) =>
  identifier.length > MAX_IDENTIFIER || hasControlCharacters(identifier.trim());

/** How an identifier is compared: trimmed, Unicode-normalised, case-insensitive. */
export const normaliseIdentifier = (identifier: string) => identifier.trim().normalize('NFKC').toLowerCase();

export function createFirstFactorGate(
  directory: AccountDirectory,
  deps: FirstFactorGateDeps,
): FirstFactorGate {
  const realmOf = (email: string | undefined) => (email ? (directory.homeRealmOf?.(email) ?? null) : null);

  async function locate(identifier: string) {
    const typed = normaliseIdentifier(identifier);
    const account = typed.length > 0 ? await directory.resolve(typed) : null;
    // A known account signs in where its own address says; the typed domain only for unknown ones.
    const realm = account ? realmOf(account.email) : typed.includes('@') ? realmOf(typed) : null;
    return { typed, account, realm };
  }

  /**
   * Which budget an attempt draws on. Passes have their own (a password attack cannot block the
   * way back in); passwords from a network the account signed in from recently have theirs
   * (strangers cannot keep the owner out); every other password shares the account's.
   */
  async function budgetOf(input: FirstFactorInput, typed: string, account: ResolvedAccount | null) {
    // A legacy client's field may hold the account's password: it draws on the passwords' budgets.
    if (!account)
      return {
        owner: identifierThrottleKey(typed),
        budget: input.kind === 'legacyClient' ? 'password' : input.kind,
      };
    const owner = accountThrottleKey(account.id);
    if (input.kind === 'temporaryAccessPass') return { owner, budget: 'access-pass' };
    const network = deps.familiarNetwork ? await deps.familiarNetwork(account.id, input.ip) : null;
    return { owner, budget: network ? `password:net:${network}` : 'password' };
  }

  /** Checks the secret as the account's password (or pass); an unknown account's costs the same. */
  async function checkSecret(input: FirstFactorInput, account: ResolvedAccount | null, ctx: RequestCtx) {
    if (input.kind === 'temporaryAccessPass')
      return deps.verifyAccessPass
        ? (await deps.verifyAccessPass(account?.id ?? NO_ACCOUNT, input.secret, ctx)).ok
        : false;
    return directory.verifyPassword(account?.id ?? null, input.secret);
  }

  const refused = async (
    account: ResolvedAccount | null,
    ctx: RequestCtx,
    detail: 'wrong_password' | 'wrong_access_pass' | 'unknown_account' | 'app_password_required',
    kind: FirstFactorKind,
  ): Promise<FirstFactorResult> => {
    await deps.audit(account?.id ?? null, ctx, { type: 'first_factor_failed', detail, data: { kind } });
    return { ok: false, error: 'invalid_credentials' };
  };

  /** Whether the account's password alone may sign in here (no second step): only then is it checked. */
  const passwordMaySignIn = async (input: LegacyInput, account: ResolvedAccount | null) =>
    deps.passwordSuffices
      ? deps.passwordSuffices(account?.id ?? NO_ACCOUNT, {
          app: input.app,
          ip: input.ip,
          allowTrustedNetwork: input.allowTrustedNetwork === true,
          userAgent: input.userAgent,
        })
      : false;

  /**
   * A legacy client's field before the password path. It takes the attempt's one place in the
   * address's window first (a full window costs no store work); tries the field as an app
   * password (a refused one — expired, out of scope — is also hashed as no one's password, so it
   * costs what a wrong password does); and, for a client with no second step, never checks the
   * account's password where it alone would not sign in (the same hashing on no one's, the
   * address's window only: a right password is told, delayed and audited as a wrong one).
   * Answers the attempt, or hands its place to the password path, which gives it back once its
   * own claim holds one — refused there, it stays a failure, so no guess is free.
   */
  async function legacyField(
    input: LegacyInput,
    account: ResolvedAccount | null,
    ctx: RequestCtx,
  ): Promise<{ answer: FirstFactorResult } | { place: AllowedClaim | null }> {
    const check = deps.checkAppPassword && looksLikeAppPassword(input.secret) ? deps.checkAppPassword : null;
    if (!check && input.secondStep !== false) return { place: null };
    const place = await deps.throttle.claimAddress(input.ip);
    if (!place.allowed)
      return {
        answer: await answerRefusedClaim(deps.audit, account?.id ?? null, ctx, 'legacyClient', place),
      };
    try {
      const found = check ? await check(account?.id ?? NO_ACCOUNT, input.secret, input.app, ctx) : null;
      if (found?.ok && account) {
        await place.finish('success');
        await deps.audit(account.id, ctx, {
          type: 'first_factor_verified',
          data: { kind: 'appPassword' },
          methodId: found.id,
          methodKind: APP_PASSWORD_KIND,
        });
        return {
          answer: { ok: true, accountId: account.id, amr: [APP_PASSWORD_AMR], appPasswordId: found.id },
        };
      }
      const refusedAppPassword = found !== null && !found.ok && found.reason === 'refused';
      if (refusedAppPassword || (input.secondStep === false && !(await passwordMaySignIn(input, account)))) {
        await directory.verifyPassword(null, input.secret);
        await place.finish('failure');
        const detail = !account
          ? 'unknown_account'
          : refusedAppPassword
            ? 'wrong_password'
            : 'app_password_required';
        return { answer: await refused(account, ctx, detail, 'legacyClient') };
      }
      return { place };
    } catch (err) {
      // A store that failed is no guess: the place goes back.
      await place.finish('success');
      throw err;
    }
  }

  return {
    async discover(identifier) {
      if (unusableIdentifier(identifier)) return null;
      const { typed, account, realm } = await locate(identifier);
      if (!realm) return null;
      // Pass on only what the user typed, and only when it is the address itself.
      const hint = typed.includes('@') && (!account || account.email?.toLowerCase() === typed) ? typed : null;
      return hint ? { realm, loginHint: hint } : { realm };
    },

    async signIn(input) {
      // An integration's mistake, refused before anything is read or claimed.
      if (input.kind === 'legacyClient' && !input.app)
        throw new TypeError('a legacyClient sign-in must name its app');
      const ctx = { ip: input.ip, requestId: input.requestId };
      if (unusableIdentifier(input.identifier) || input.secret.length > MAX_SECRET)
        return { ok: false, error: 'invalid_credentials' };
      const { typed, account, realm } = await locate(input.identifier);
      if (realm) return { ok: false, error: 'home_realm', realm };
      let carried: AllowedClaim | null = null;
      if (input.kind === 'legacyClient' && input.app) {
        const legacy = await legacyField({ ...input, app: input.app }, account, ctx);
        if ('answer' in legacy) return legacy.answer;
        carried = legacy.place;
      }
      const claim = await deps.throttle.claim(await budgetOf(input, typed, account), input.ip);
      if (!claim.allowed) {
        await carried?.finish('failure');
        return answerRefusedClaim(deps.audit, account?.id ?? null, ctx, input.kind, claim);
      }
      // The password's claim holds its own place in the address's window.
      await carried?.finish('success');
      const ok = await checkSecret(input, account, ctx);
      await claim.finish(ok && account ? 'success' : 'failure');
      if (!ok || !account) {
        const wrong = input.kind === 'temporaryAccessPass' ? 'wrong_access_pass' : 'wrong_password';
        return refused(account, ctx, account ? wrong : 'unknown_account', input.kind);
      }
      await deps.audit(account.id, ctx, { type: 'first_factor_verified', data: { kind: input.kind } });
      return { ok: true, accountId: account.id, amr: [...FIRST_FACTOR_AMR[input.kind]] };
    },
  };
}
