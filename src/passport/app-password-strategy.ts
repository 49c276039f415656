// Legacy clients the Passport way: `AppPasswordStrategy` ('app-password') authenticates a request
// by its `Authorization: Basic` credentials — an app password scoped to the strategy's `app`, or
// the account's password where the engine asks no second step — for routes that clients without
// a second step reach (feeds, WebDAV, a script's API). Use it without sessions:
// `passport.authenticate('app-password', { session: false })`. The work is
// src/web/legacy-basic-auth.ts, shared with mfakit/express's `requireAppPassword`; this only
// speaks Passport: `success(user, info)`, or `fail(challenge, status)` — a Basic challenge
// string with 401 (Passport sets WWW-Authenticate from it), else `{ error, message }` with 429
// (Retry-After set on the response), 403 or 503.
import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import type { Mfa } from '../engine/mfa.ts';
import { throttledMessage } from '../web/first-factor-failure.ts';
import {
  basicChallenge,
  basicRealm,
  type LegacyBasicOptions,
  type LegacySignIn,
  legacyBasicSignIn,
} from '../web/legacy-basic-auth.ts';
import { OUTAGE_ANSWER } from '../web/outage.ts';

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
    const refused = { ok: false as const, challenge: basicChallenge(this.realm), status: 401 };
    const outcome = await legacyBasicSignIn(this.mfa, this.legacy, req);
    if (outcome.ok) {
      const user = await this.loadUser(outcome.signIn.userId);
      if (user === null || user === undefined || user === false) return refused;
      return { ok: true, user, info: outcome.signIn };
    }
    switch (outcome.refusal) {
      case 'credentials':
        return refused;
      case 'throttled': {
        const { retryAfterSeconds } = outcome;
        req.res?.set('Retry-After', String(retryAfterSeconds));
        const message = throttledMessage(retryAfterSeconds);
        return { ok: false, challenge: { error: 'throttled', message, retryAfterSeconds }, status: 429 };
      }
      case 'blocked':
        return { ok: false, challenge: { error: 'signin_blocked', message: outcome.message }, status: 403 };
      case 'outage':
        // Audited already (legacyBasicSignIn reported it): the client is told to come back.
        req.res?.set('Retry-After', String(OUTAGE_ANSWER.retryAfterSeconds));
        return {
          ok: false,
          challenge: { error: OUTAGE_ANSWER.error, message: OUTAGE_ANSWER.message },
          status: OUTAGE_ANSWER.status,
        };
    }
  }
}
