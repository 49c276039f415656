// The first and last steps of a Passport sign-in with mfakit. `beginMfa()`, from your
// first-factor strategy's custom callback, puts the user into a pending sign-in — a new
// session holding its id, never `req.user` — and sends the browser to the second step's page;
// when the engine says no second factor is needed (a remembered device, a trusted network,
// MFA disabled) it logs the user in at once, as Passport's custom callbacks do. `logoutMfa()`
// signs out completely.
import type { Request, Response } from 'express';
import type { Mfa } from '../engine/mfa.ts';
import type { SignInStart } from '../engine/sign-in-types.ts';
import { regenerateSession, safeReturnTo, saveSession, sessionState } from '../web/session.ts';
import { blockedMessage, signInRequestFacts } from '../web/sign-in-start.ts';
import { NO_SESSION } from './passport-session.ts';

export interface BeginMfaOptions {
  mfa: Mfa;
  /** The user your first factor identified: what Passport logs in when no second factor is needed. */
  user: Express.User;
  /** Its id: the stamp's `userId`, what the 'mfa' strategy's `loadUser` receives. */
  userId: string;
  /** The second step's page: `app.get(promptPath, mfaPage(mfa))`, `app.post(promptPath, passport.authenticate('mfa', …))`. */
  promptPath: string;
  /**
   * Sets `req.session.returnTo`, where Passport's `successReturnToOrRedirect` goes after the
   * second step (only a same-site path is kept). Default: the `req.session.returnTo` already set
   * (e.g. by connect-ensure-login) is carried into the new session.
   */
  returnTo?: string | undefined;
  /** When no second factor is needed, as Passport's option: `req.session.returnTo` if set, else this. Default '/'. */
  successReturnToOrRedirect?: string;
  /** RFC 8176 values of the first factor. Default ['pwd']. */
  amr?: string[];
  /** The method that was the first factor (a passkey, `info.methodId` of the 'passkey' strategy). */
  firstFactorMethodId?: string;
  /** The application signed in to, for conditional access. Default: the engine's `defaultApp`. */
  app?: string;
  /** false: do not answer; the caller answers from the returned SignInStart. Default true. */
  respond?: boolean;
}

/**
 * After the first factor: asks the engine, gives the browser a new session and answers — 303
 * to `promptPath` (a second factor or a first method is needed), 303 to where the sign-in
 * returns (no second factor needed: logged in), or 403 with the reason (blocked).
 */
export async function beginMfa(req: Request, res: Response, options: BeginMfaOptions): Promise<SignInStart> {
  if (!req.session) throw new Error(NO_SESSION);
  const { mfa } = options;
  const returnTo = safeReturnTo(options.returnTo, '') || safeReturnTo(req.session.returnTo, '');
  const start = await mfa.beginSignIn({
    userId: options.userId,
    amr: options.amr ?? ['pwd'],
    ...(options.firstFactorMethodId ? { firstFactorMethodId: options.firstFactorMethodId } : {}),
    ...signInRequestFacts(mfa, req),
    ...(options.app ? { app: options.app } : {}),
  });
  // A privilege change: a new session id, nothing carried over but where to return; whoever
  // was signed in on this browser is signed out, and the pending user is never req.user.
  await regenerateSession(req);
  req.user = undefined;
  if (returnTo) req.session.returnTo = returnTo;
  if (start.status === 'mfa') sessionState(req).pendingId = start.pending.id;
  if (start.status === 'complete') {
    sessionState(req).stamp = start.stamp;
    await logIn(req, options.user);
  } else {
    await saveSession(req);
  }
  if (options.respond === false) return start;

  if (start.status === 'blocked') res.status(403).type('text/plain').send(blockedMessage(start));
  else if (start.status === 'mfa') res.redirect(303, options.promptPath);
  else {
    const target = req.session.returnTo ?? options.successReturnToOrRedirect ?? '/';
    delete req.session.returnTo;
    res.redirect(303, target);
  }
  return start;
}

/**
 * Signs out completely: cancels a pending sign-in, drops the stamp and Passport's user, and
 * leaves the browser a new, empty session (the old id is destroyed in the store). Use it
 * instead of `req.logout()` alone — and never `req.logout({ keepSessionInfo: true })`,
 * which would carry the stamp into the new session.
 */
export async function logoutMfa(req: Request, mfa: Mfa): Promise<void> {
  const pendingId = req.session?.mfakit?.pendingId;
  if (pendingId) await mfa.cancelPending(pendingId);
  if (req.session) delete req.session.mfakit;
  if (typeof req.logout === 'function' && req.session) {
    // Passport 0.7: clears its user, saves, and regenerates the session empty.
    await new Promise<void>((resolve, reject) =>
      req.logout((err: unknown) => (err ? reject(err) : resolve())),
    );
  } else if (req.session) {
    await regenerateSession(req);
  }
  req.user = undefined;
}

/** Passport's `req.login()`, keeping the session's stamp and returnTo across its session regeneration. */
function logIn(req: Request, user: Express.User): Promise<void> {
  if (typeof req.login !== 'function')
    return Promise.reject(new Error('mfakit/passport: Passport is not set up on this request'));
  return new Promise((resolve, reject) =>
    req.login(user, { session: true, keepSessionInfo: true }, (err: unknown) =>
      err ? reject(err) : resolve(),
    ),
  );
}
