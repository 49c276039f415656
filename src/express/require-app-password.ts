// `requireAppPassword()`: the guard for routes that legacy clients reach with HTTP Basic (a
// calendar or contacts feed, a mail or VPN front end that has one password field). The work is
// src/web/legacy-basic-auth.ts; this only hands the answer to Express. A request through it
// carries `req.legacyAuth` ({ userId, stamp, appPasswordId }); nothing is kept in a session.
import type { RequestHandler } from 'express';
import type { Mfa } from '../engine/mfa.ts';
import {
  answerLegacyRefusal,
  basicRealm,
  type LegacyBasicOptions,
  type LegacySignIn,
  legacyBasicSignIn,
} from '../web/legacy-basic-auth.ts';

export interface RequireAppPasswordOptions extends LegacyBasicOptions {
  /** The realm of the Basic challenge (printable ASCII). Default: the engine's issuer. */
  realm?: string;
}

declare global {
  namespace Express {
    interface Request {
      /** The legacy client's sign-in, set by `requireAppPassword()`. */
      legacyAuth?: LegacySignIn;
    }
  }
}

/**
 * Lets a request through when its `Authorization: Basic` credentials sign in to `app` as a
 * legacy client with no second step: an app password scoped to `app` (or the account's password
 * where the policies ask no second factor). Else 401 with a Basic challenge (one answer for every
 * wrong, malformed or insufficient credential), 429 with Retry-After when throttled, 403 when a
 * policy blocks, 503 when a store fails.
 */
export function requireAppPassword(mfa: Mfa, options: RequireAppPasswordOptions): RequestHandler {
  const realm = basicRealm(mfa, options.realm, 'requireAppPassword');
  if (!options.app) throw new TypeError('requireAppPassword: name the app these routes belong to');
  return async (req, res, next) => {
    const outcome = await legacyBasicSignIn(mfa, options, req);
    if (!outcome.ok) return answerLegacyRefusal(res, outcome, realm);
    req.legacyAuth = outcome.signIn;
    next();
  };
}
