import type { NextFunction, Request, Response } from 'express';
import { Strategy } from 'passport-strategy';
import type { Mfa, SignInStart, VerifyFailure } from '../engine/create-mfa.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { MfaError } from '../errors.ts';
import type { MfaExpress } from '../express/create-mfa-express.ts';
import { codeField, firstIssue, verifyBody } from '../web/bodies.ts';
import { answerFor, FAILURE_MESSAGES } from '../web/failures.ts';
import { createPendingFlow, type PendingFlow } from '../web/pending-flow.ts';
import { issueRememberCookie } from '../web/remember-cookie.ts';
import { requestIdOf } from '../web/request-id.ts';
import { type MfaSessionState, safeReturnTo } from '../web/session.ts';

/**
 * The second step of a Passport sign-in. A first-factor strategy (e.g. passport-local, run
 * with a custom callback) hands the user to `beginMfa()`, which puts them into mfakit's
 * pending principal — not into `req.user`. This strategy then checks the code against
 * that pending sign-in and, on success, gives Passport the user to log in, with the
 * session's AuthStamp set. Every decision is the engine's; this only translates.
 *
 * Run it through `authenticateMfa(passport)`: Passport 0.7's `req.login()` regenerates
 * the session and keeps the stamp only with `keepSessionInfo: true`, which
 * `authenticateMfa()` always passes. Without it the strategy refuses to run.
 */

export interface MfaStrategyOptions {
  mfa: Mfa;
  /** The user object Passport logs in (what `serializeUser` receives), or null if gone. */
  loadUser: (userId: string) => Promise<unknown> | unknown;
  /** Body field with the code. Default 'code'. */
  codeField?: string;
  /** Body field of the "remember this device" checkbox. Default 'remember'. */
  rememberField?: string;
}

export type MfaFailureCode =
  | 'no_pending_signin'
  | 'invalid_request'
  | 'invalid_code'
  | 'locked'
  | 'slow_down'
  | 'pending_expired'
  | 'must_enroll'
  | 'strength_unavailable';

/** What the strategy passes to `this.fail()`: Passport's `failureMessage` reads `message`. */
export interface MfaChallenge {
  error: MfaFailureCode;
  message: string;
  retryAfterSeconds?: number;
}

/** What the strategy passes to `this.success()`; it becomes `req.authInfo`. */
export interface MfaAuthInfo {
  amr: string[];
  acr: string;
  stamp: AuthStamp;
  /** Where `beginMfa()` said to go next (its `returnTo` or `defaultReturnTo`), a same-site path. */
  returnTo?: string;
}

/** The options Passport hands to `authenticate()` that the strategy looks at. */
export interface MfaAuthenticateOptions {
  keepSessionInfo?: boolean;
}

export const MFA_MESSAGES = {
  noPending: 'Sign in with your password first.',
  invalidCode: FAILURE_MESSAGES.invalidCode,
  locked: FAILURE_MESSAGES.locked,
  slowDown: FAILURE_MESSAGES.slowDown,
  expired: FAILURE_MESSAGES.expired,
  mustEnroll: FAILURE_MESSAGES.mustEnroll,
} as const;

export const KEEP_SESSION_INFO_REQUIRED =
  "mfakit: the 'mfa' strategy must run with keepSessionInfo: true, or Passport's req.login() drops the " +
  "MFA stamp when it regenerates the session. Use authenticateMfa(passport) from 'mfakit/passport' " +
  "(or passport.authenticate('mfa', { keepSessionInfo: true, ... }) and req.login(user, { keepSessionInfo: true }, cb) in a custom callback).";

type Result =
  | { ok: true; user: unknown; info: MfaAuthInfo }
  | { ok: false; challenge: MfaChallenge; status: number };

const fail = (
  error: MfaFailureCode,
  message: string,
  status: number,
  retryAfterSeconds?: number,
): Result => ({
  ok: false,
  challenge: retryAfterSeconds === undefined ? { error, message } : { error, message, retryAfterSeconds },
  status,
});

function translate(f: VerifyFailure): Result {
  const answer = answerFor(f);
  return fail(answer.error, answer.message, answer.status, answer.retryAfterSeconds);
}

const rememberChecked = verifyBody.shape.remember;

export class MfaStrategy extends Strategy {
  // Plain fields, not #private: Passport runs each request on Object.create(strategy), and
  // private fields are not reachable through the prototype chain.
  name = 'mfa';
  readonly mfa: Mfa;
  private readonly pending: PendingFlow;
  readonly loadUser: (userId: string) => Promise<unknown> | unknown;
  readonly codeField: string;
  readonly rememberField: string;

  constructor(options: MfaStrategyOptions) {
    super();
    if (typeof options?.loadUser !== 'function')
      throw new TypeError('MfaStrategy needs options.loadUser(userId)');
    this.mfa = options.mfa;
    this.pending = createPendingFlow(options.mfa);
    this.loadUser = options.loadUser;
    this.codeField = options.codeField ?? 'code';
    this.rememberField = options.rememberField ?? 'remember';
  }

  override authenticate(req: Request, options?: MfaAuthenticateOptions): void {
    if (options?.keepSessionInfo !== true) {
      this.error(new Error(KEEP_SESSION_INFO_REQUIRED));
      return;
    }
    if (!req.session) {
      this.error(new Error('mfakit/passport needs express-session mounted before Passport'));
      return;
    }
    this.check(req).then(
      (result) =>
        result.ok ? this.success(result.user, result.info) : this.fail(result.challenge, result.status),
      (err: unknown) => this.error(err instanceof Error ? err : new Error(String(err))),
    );
  }

  private async check(req: Request): Promise<Result> {
    const state: MfaSessionState | undefined = req.session.mfakit;
    const pendingId = state?.pendingId;
    if (!state || !pendingId) return fail('no_pending_signin', MFA_MESSAGES.noPending, 401);

    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<
      string,
      unknown
    >;
    const code = codeField.safeParse(body[this.codeField]);
    if (!code.success) return fail('invalid_request', firstIssue(code.error), 400);

    const ctx = { ip: this.mfa.clientIp(req), requestId: requestIdOf(req) };
    const res = req.res;
    if (!res) throw new Error('mfakit/passport needs an Express request (req.res is missing)');
    const outcome = await this.pending.verifyCode(req, res, pendingId, { code: code.data }, ctx);
    if (outcome.kind === 'must_enroll') return translate({ ok: false, error: 'must_enroll' });
    if (outcome.kind === 'failed') {
      if (outcome.answer.error === 'pending_expired') {
        delete state.pendingId;
        delete state.returnTo;
      }
      return fail(
        outcome.answer.error,
        outcome.answer.message,
        outcome.answer.status,
        outcome.answer.retryAfterSeconds,
      );
    }

    // The pending sign-in is consumed; whatever happens next, it is gone from the session.
    const { stamp } = outcome;
    const returnTo = state.returnTo === undefined ? undefined : safeReturnTo(state.returnTo, '');
    delete state.pendingId;
    delete state.returnTo;
    delete state.draftId;
    const user = await this.loadUser(stamp.userId);
    if (user === null || user === undefined || user === false)
      return fail('pending_expired', MFA_MESSAGES.expired, 401);
    state.stamp = stamp;

    const remember = rememberChecked.safeParse(body[this.rememberField]);
    // Only where the policies allow remembering, and never for longer than they allow.
    if (remember.success && remember.data && outcome.rememberDays !== null)
      await issueRememberCookie(
        this.mfa,
        res,
        { userId: stamp.userId, userAgent: req.get('user-agent') ?? '', days: outcome.rememberDays },
        ctx,
      );

    const info: MfaAuthInfo = { amr: stamp.amr, acr: stamp.acr, stamp, ...(returnTo ? { returnTo } : {}) };
    return { ok: true, user, info };
  }
}

// ---------- glue: first step, second step, logout ----------

export interface AuthenticateMfaOptions {
  /** The name the strategy was registered under. Default 'mfa'. */
  strategy?: string;
  /** After sign-in, 303 to the returnTo kept by `beginMfa()` (its `returnTo`, else the integration's `defaultReturnTo`); this path only if none was kept. */
  successReturnToOrRedirect?: string;
  /** After sign-in, 303 here. Without either option the next handler runs, with `req.user` set. */
  successRedirect?: string;
  /** After a failure, 303 here (read the message from `req.session.messages`). Without it: status + JSON `{ error, message }`. */
  failureRedirect?: string;
  /** As in Passport: true (the default) pushes the failure message onto `req.session.messages`, a string replaces it, false skips it. */
  failureMessage?: boolean | string;
}

/** The part of a Passport `Authenticator` this module uses. */
export interface PassportLike {
  // biome-ignore lint/suspicious/noExplicitAny: mirrors @types/passport, whose authenticate() returns `any`.
  authenticate(strategy: string, options: { keepSessionInfo: true }, callback: (...args: any[]) => any): any;
}

type Handler = (req: Request, res: Response, next: NextFunction) => void;

/**
 * The second step as middleware: `app.post('/login/mfa', express.urlencoded(...), authenticateMfa(passport))`.
 * Always logs in with `keepSessionInfo: true` (new session id, stamp kept), never answers a
 * failure with a bare 401: the message goes to `req.session.messages` and, unless
 * `failureRedirect` is set, into a JSON body.
 */
export function authenticateMfa(passport: PassportLike, options: AuthenticateMfaOptions = {}): Handler {
  const name = options.strategy ?? 'mfa';
  return (req, res, next) => {
    const onResult = (err: unknown, user?: Express.User | false | null, info?: unknown, status?: number) => {
      if (err) return next(err);
      if (!user) {
        const challenge = info as Partial<MfaChallenge> | undefined;
        const message =
          typeof options.failureMessage === 'string'
            ? options.failureMessage
            : (challenge?.message ?? MFA_MESSAGES.expired);
        if (options.failureMessage !== false && req.session) {
          const session = req.session as { messages?: string[] };
          session.messages = [...(session.messages ?? []), message];
        }
        if (options.failureRedirect) return res.redirect(303, options.failureRedirect);
        return res.status(status ?? 401).json({ error: challenge?.error ?? 'unauthorized', message });
      }
      const authInfo = info as MfaAuthInfo;
      logIn(req, user).then(() => {
        req.authInfo = authInfo;
        const target = options.successReturnToOrRedirect
          ? (authInfo.returnTo ?? options.successReturnToOrRedirect)
          : options.successRedirect;
        if (target) return res.redirect(303, target);
        next();
      }, next);
    };
    const handler: Handler = passport.authenticate(name, { keepSessionInfo: true }, onResult);
    handler(req, res, next);
  };
}

export interface BeginMfaOptions {
  /** Your route running `authenticateMfa()`, where the user is sent to enter a code. */
  promptPath: string;
  /** Where to go after the whole sign-in; only same-site paths are kept. */
  returnTo?: string | undefined;
  /** RFC 8176 values of the first factor. Default ['pwd']. */
  amr?: string[];
  /** The application signed in to, for conditional access. Default: the Express integration's `app`. */
  app?: string;
  /** false: do not answer; the caller answers from the returned SignInStart. Default true. */
  respond?: boolean;
}

/**
 * The first step, from a first-factor strategy's custom callback once it has a user: the
 * user goes into the pending principal (new session, `req.user` empty) — or, when the
 * engine says no second factor is needed, is logged into Passport at once with the stamp
 * kept. Answers like the Express integration: 303 (HTML) or `{ status, next }` (JSON), 403 if blocked.
 */
export async function beginMfa(
  req: Request,
  res: Response,
  user: Express.User,
  web: MfaExpress,
  options: BeginMfaOptions,
): Promise<SignInStart> {
  const userIdOf = web.options.userIdOf;
  if (!userIdOf) {
    throw new Error(
      'mfakit/passport: create the Express integration with createMfaExpress(mfa, { userIdOf: (user) => user.id }) so the guard ties the stamp to req.user',
    );
  }
  const start = await web.beginSignIn(
    req,
    res,
    {
      userId: userIdOf(user),
      amr: options.amr ?? ['pwd'],
      returnTo: options.returnTo,
      ...(options.app ? { app: options.app } : {}),
    },
    { respond: false },
  );
  // beginSignIn regenerated the session; Passport's user must not outlive it in this request either.
  if (start.status === 'complete') await logIn(req, user);
  else req.user = undefined;
  if (options.respond === false) return start;

  if (start.status === 'blocked') {
    const message = web.blockedMessage(start);
    if (web.wantsHtml(req)) res.status(403).type('text/plain').send(message);
    else res.status(403).json({ error: 'signin_blocked', message });
    return start;
  }
  const next =
    start.status === 'complete'
      ? safeReturnTo(options.returnTo, web.options.defaultReturnTo)
      : start.pending.mustEnroll
        ? `${web.options.basePath}/enroll`
        : options.promptPath;
  if (web.wantsHtml(req)) res.redirect(303, next);
  else {
    const status =
      start.status === 'complete'
        ? 'complete'
        : start.pending.mustEnroll
          ? 'enroll_required'
          : 'mfa_required';
    res.json({ status, next });
  }
  return start;
}

/**
 * Signs out completely: cancels a pending sign-in, drops the stamp and Passport's user, and
 * leaves the browser a new, empty session (the old id is destroyed in the store). Use it
 * instead of `req.logout()` alone — and never `req.logout({ keepSessionInfo: true })`,
 * which would carry the stamp into the new session.
 */
export async function logoutMfa(req: Request, web: MfaExpress): Promise<void> {
  await web.logout(req);
  if (typeof req.logout === 'function') {
    await new Promise<void>((resolve, reject) =>
      req.logout((err: unknown) => (err ? reject(err) : resolve())),
    );
  }
  req.user = undefined;
}

/** `req.login()` with the session's mfakit state kept across Passport's session regeneration. */
function logIn(req: Request, user: Express.User): Promise<void> {
  if (typeof req.login !== 'function')
    return Promise.reject(new Error('mfakit/passport: Passport is not set up on this request'));
  return new Promise((resolve, reject) =>
    req.login(user, { session: true, keepSessionInfo: true }, (err: unknown) =>
      err ? reject(err) : resolve(),
    ),
  );
}

/**
 * For `createMfaExpress(mfa, { onSignInComplete: passportSignIn(loadUser) })`: when the
 * router itself completes a sign-in (first-method enrollment, or its own prompt), the user
 * is logged into Passport too, with the stamp kept.
 */
export function passportSignIn(
  loadUser: (userId: string) => Promise<Express.User | null | undefined> | Express.User | null | undefined,
): (req: Request, stamp: AuthStamp) => Promise<void> {
  return async (req, stamp) => {
    const user = await loadUser(stamp.userId);
    if (!user) throw new MfaError('user_unknown', 'This account is no longer available.', 401);
    await logIn(req, user);
  };
}
