// Legacy clients the Passport way: `AppPasswordStrategy` ('app-password') authenticates a request
// by its `Authorization: Basic` credentials — an app password scoped to the strategy's `app`, or
// the account's password where the engine asks no second step — for routes that clients without
// a second step reach (feeds, WebDAV, a script's API). Use it without sessions:
// `passport.authenticate('app-password', { session: false })`. The work is
// src/web/legacy-basic-auth.ts, shared with mfakit/express's `requireAppPassword`; this only
// speaks Passport: `success(user, info)`, or `fail(challenge, status)` with the guard's answer —
// a Basic challenge string with 401 (Passport sets WWW-Authenticate from it), else
// `{ error, message }` with 429, 403 or 503; its headers (Retry-After, Cache-Control: no-store)
// are set on the response. Passport's default handler sends the status text as the body; a
// custom callback gets `{ error, message }` as `info`.
import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import type { Mfa } from '../engine/mfa.ts';
import {
  basicRealm,
  type LegacyBasicOptions,
  type LegacySignIn,
  legacyBasicSignIn,
  legacyRefusalAnswer,
} from '../web/legacy-basic-auth.ts';

export interface AppPasswordStrategyOptions extends LegacyBasicOptions {
  mfa: Mfa;
  /** The user object for a user id (your `req.user`), or null if gone. */
  loadUser: (userId: string) => Promise<unknown> | unknown;
  /** The realm of the Basic challenge (printable ASCII). Default: the engine's issuer. */
  realm?: string;
}

/** What the strategy passes to `this.success()`: `req.authInfo`. */
export type AppPasswordAuthInfo = LegacySignIn;

/** What a refusal other than the 401 challenge passes to `this.fail()`. */
export interface AppPasswordRefusal {
  error: 'throttled' | 'signin_blocked' | 'service_unavailable';
  message: string;
  retryAfterSeconds?: number;
}

export const SESSION_FALSE_REQUIRED =
  "mfakit: run the 'app-password' strategy as passport.authenticate('app-password', { session: false }): " +
  'an app password signs in one request of a legacy client, never a session.';

export class AppPasswordStrategy extends Strategy {
  // Plain fields, not #private: Passport runs each request on Object.create(strategy).
  name = 'app-password';
  readonly mfa: Mfa;
  readonly legacy: LegacyBasicOptions;
  readonly realm: string;
  readonly loadUser: (userId: string) => Promise<unknown> | unknown;

  constructor(options: AppPasswordStrategyOptions) {
    super();
    if (typeof options?.loadUser !== 'function')
      throw new TypeError('AppPasswordStrategy needs options.loadUser(userId)');
    if (!options.app) throw new TypeError('AppPasswordStrategy: name the app these routes belong to');
    this.mfa = options.mfa;
    this.legacy = { gate: options.gate, app: options.app, trustedNetworks: options.trustedNetworks };
    this.realm = basicRealm(options.mfa, options.realm, 'AppPasswordStrategy');
    this.loadUser = options.loadUser;
  }

  override authenticate(req: Request, options?: { session?: boolean }): void {
    // Passport's default would log the legacy client into a session: a cookie any route that
    // trusts req.user accepts — the second login path app passwords must never open.
    if (options?.session !== false) {
      this.error(new Error(SESSION_FALSE_REQUIRED));
      return;
    }
    this.check(req).then(
      (outcome) => {
        if (outcome.ok) this.success(outcome.user, outcome.info);
        else this.fail(outcome.challenge, outcome.status);
      },
      (err: unknown) => this.error(err instanceof Error ? err : new Error(String(err))),
    );
  }

  private async check(
    req: Request,
  ): Promise<
    | { ok: true; user: unknown; info: AppPasswordAuthInfo }
    | { ok: false; challenge: string | AppPasswordRefusal; status: number }
  > {
    const outcome = await legacyBasicSignIn(this.mfa, this.legacy, req);
    if (outcome.ok) {
      const user = await this.loadUser(outcome.signIn.userId);
      if (user !== null && user !== undefined && user !== false)
        return { ok: true, user, info: outcome.signIn };
    }
    // Signed in but no such user any more: refused as a wrong password is.
    const refusal = outcome.ok ? ({ ok: false, refusal: 'credentials' } as const) : outcome;
    // The answer the Express guard gives (legacy-basic-auth.ts): its headers on the response
    // (Retry-After, no-store); Passport writes the status and, for a 401, WWW-Authenticate
    // from the challenge string. Its default handler sends no body: your callback gets this as `info`.
    const answer = legacyRefusalAnswer(refusal, this.realm);
    req.res?.set(answer.headers);
    const challenge =
      answer.status === 401
        ? (answer.headers['WWW-Authenticate'] ?? '')
        : (answer.body as AppPasswordRefusal);
    return { ok: false, challenge, status: answer.status };
  }
}
