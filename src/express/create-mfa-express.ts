// The Express integration: `beginSignIn()` after your first factor, `requireMfa()` on what
// needs protecting, `router()` for the prompt, enrollment and security-info pages and the
// JSON API. It translates HTTP to the engine and back; every decision is the engine's. A store
// that fails stops the request (503 from the guard and the router; beginSignIn rethrows the
// StoreError, status 503, to the application) and is audited (mfa.reportOutage).
import { parse as parseCookies } from 'cookie';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { APP_PASSWORD_AMR } from '../engine/auth-methods.ts';
import type { Mfa, SignInStart } from '../engine/create-mfa.ts';
import { parseStamp } from '../engine/parse-stamp.ts';
import type { SessionPolicyCheck } from '../engine/session-policy.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { MfaError } from '../errors.ts';
import type { ClientAppType } from '../policy/model.ts';
import { answerOutage } from '../web/outage.ts';
import { requestIdOf } from '../web/request-id.ts';
import { regenerateSession, safeReturnTo, saveSession, sessionState } from '../web/session.ts';
import { createMfaRouter } from './router.ts';

/** Where the integration's pages live, where it sends users, and how it names them. */
export interface MfaExpressOptions {
  /** Where `router()` is mounted, e.g. '/mfa'. */
  basePath?: string;
  /** Your first-factor sign-in page; users with no session are sent there. */
  loginPath?: string;
  /** Where to go after sign-in when no returnTo was given. */
  defaultReturnTo?: string;
  /** The name shown on pages and in authenticator apps for a user id. */
  displayName?: (userId: string) => string | Promise<string>;
  /**
   * With Passport: the id of `req.user`. Then the guard needs both a `req.user` and a stamp
   * for that same user, so a stamp never outlives or stands in for the login.
   */
  userIdOf?: (user: unknown) => string;
  /**
   * Called after the router completed a sign-in (code verified or first method enrolled),
   * with the new session in place: e.g. `req.login(user)` for Passport (see mfakit/passport).
   */
  onSignInComplete?: (req: Request, stamp: AuthStamp) => Promise<void>;
  /** The application name for conditional access (policies' `applications`). Default: the engine's `defaultApp`. */
  app?: string;
  /**
   * Whether an account may sign in with a passkey alone (the router's passwordless route): e.g.
   * only accounts still active in your directory, not those that sign in at a partner IdP.
   * Default: every account that has a passkey.
   */
  passkeySignIn?: (userId: string) => boolean | Promise<boolean>;
}

export interface RequireMfaOptions {
  /**
   * A real second factor within `reauthMaxAgeSeconds` (a skip does not count); with policies for
   * the app, what they require met by factors verified within it (not an old strong one beside a
   * recent weak one). A refusal steps up for this route's app and authentication context.
   */
  fresh?: boolean;
  /** The application this route belongs to, for conditional access. Default: the integration's `app`. */
  app?: string;
  /** An authentication context this route asks for (e.g. 'c1', "sensitive action"): policies for it apply here. */
  authenticationContext?: string;
}

declare global {
  namespace Express {
    interface Request {
      /** The completed sign-in, set by `requireMfa()`. */
      mfa?: AuthStamp;
    }
  }
}

export type GuardReason =
  | 'not_signed_in'
  | 'second_factor_pending'
  | 'user_mismatch'
  | 'reverify_required'
  | 'policy_blocked';

export function createMfaExpress(mfa: Mfa, input: MfaExpressOptions = {}) {
  const opts = {
    basePath: (input.basePath ?? '/mfa').replace(/\/$/, ''),
    loginPath: input.loginPath ?? '/login',
    defaultReturnTo: input.defaultReturnTo ?? '/',
    displayName: input.displayName ?? ((id: string) => id),
    userIdOf: input.userIdOf,
    onSignInComplete: input.onSignInComplete,
    app: input.app ?? mfa.settings.defaultApp,
    passkeySignIn: input.passkeySignIn,
  };
  const cookieName = mfa.settings.rememberDevice.cookieName;

  const wantsHtml = (req: Request) => (req.headers.accept ?? '').includes('text/html');
  const ctxOf = (req: Request) => ({
    ip: mfa.clientIp(req),
    requestId: requestIdOf(req),
  });

  type StampCheck = { stamp: AuthStamp } | { reason: GuardReason };
  type StepUpTarget = { app: string; authenticationContexts?: string[] };

  /**
   * What the session itself says: the stamp, or why it does not satisfy this request.
   * `forStepUp` accepts a stamp that only needs re-verification (the step-up routes).
   */
  function sessionStamp(req: Request, fresh: boolean, forStepUp = false): StampCheck {
    const state = req.session?.mfakit;
    // Parsed at every request: the store gives back what an older release wrote, or anything.
    const stamp = parseStamp(state?.stamp);
    if (!stamp) {
      // A stamp that does not parse is no session: drop it, so the user signs in again.
      if (state?.stamp !== undefined) delete state.stamp;
      return { reason: state?.pendingId ? 'second_factor_pending' : 'not_signed_in' };
    }
    if (opts.userIdOf) {
      if (req.user === undefined || req.user === null) return { reason: 'not_signed_in' };
      if (opts.userIdOf(req.user) !== stamp.userId) return { reason: 'user_mismatch' };
    }
    if (forStepUp) return { stamp };
    // A sign-in that skipped MFA because of the office network does not travel with a copied cookie.
    if (stamp.skippedBy === 'trusted_network' && mfa.trustedNetwork(mfa.clientIp(req)) === null) {
      return { reason: 'reverify_required' };
    }
    if (fresh && !mfa.isFresh(stamp)) return { reason: 'reverify_required' };
    return { stamp };
  }

  /** A revoked stamp (admin reset, revokeSessions) is dropped from the session: signed out. */
  function dropRevokedStamp(req: Request): 'not_signed_in' {
    if (req.session?.mfakit) delete req.session.mfakit.stamp;
    return 'not_signed_in';
  }

  /** The stamp that satisfies this request, or why there is none — including the revocation check. */
  async function currentStamp(req: Request, fresh: boolean, forStepUp = false): Promise<StampCheck> {
    const result = sessionStamp(req, fresh, forStepUp);
    if (!('stamp' in result)) return result;
    return (await mfa.isCurrent(result.stamp)) ? result : { reason: dropRevokedStamp(req) };
  }

  function refuse(req: Request, res: Response, reason: GuardReason, detail?: string) {
    if (reason === 'policy_blocked') {
      const message = detail ?? 'Your organisation does not allow access to this app.';
      if (wantsHtml(req)) return res.status(403).type('text/plain').send(message);
      return res.status(403).json({ error: 'access_blocked', reason, message });
    }
    const returnTo = safeReturnTo(req.originalUrl, opts.defaultReturnTo);
    const target =
      reason === 'second_factor_pending'
        ? `${opts.basePath}/prompt`
        : reason === 'reverify_required'
          ? `${opts.basePath}/verify?returnTo=${encodeURIComponent(returnTo)}`
          : `${opts.loginPath}?returnTo=${encodeURIComponent(returnTo)}`;
    if (wantsHtml(req)) return res.redirect(303, target);
    const messages: Record<GuardReason, string> = {
      not_signed_in: 'Sign in first.',
      second_factor_pending: 'Complete the second sign-in step first.',
      user_mismatch: 'Sign in again.',
      reverify_required: 'Confirm your identity with a second factor again.',
      policy_blocked: 'Your organisation does not allow access to this app.',
    };
    return res
      .status(401)
      .json({ error: 'mfa_required', reason, message: detail ?? messages[reason], next: target });
  }

  /**
   * Conditional access for this request: a refusal is remembered in the session (what to step
   * up for) so the verify page can say why and accept only a method that satisfies it.
   */
  function refuseByPolicy(
    req: Request,
    res: Response,
    check: Exclude<SessionPolicyCheck, { ok: true }>,
    target: StepUpTarget,
  ) {
    if (check.reason === 'policy_blocked') return refuse(req, res, 'policy_blocked', check.message);
    askStepUp(req, res, target, check.message);
  }

  /**
   * A step-up for this route: what for is remembered in the session, so the step-up accepts
   * only a method that meets the app's policies (a fresh route's too: a recent weak code must
   * not stand in for the strong factor the app requires).
   */
  function askStepUp(req: Request, res: Response, target: StepUpTarget, message?: string) {
    sessionState(req).stepUp = { ...target, ...(message === undefined ? {} : { message }) };
    saveSession(req).then(
      () => refuse(req, res, 'reverify_required', message),
      () => refuse(req, res, 'reverify_required', message),
    );
  }

  /** What a blocked user is told: the policy's short reason, never the full explanation. */
  const blockedMessage = (start: SignInStart) =>
    start.status === 'blocked' && start.decision.userMessage
      ? `Sign-in blocked. ${start.decision.userMessage} Contact your administrator.`
      : 'Sign-in blocked. Contact your administrator.';

  const integration = {
    options: opts,

    /**
     * Guard: lets a request through only when this session completed every required factor
     * (`fresh: true` additionally needs a real second factor within `reauthMaxAgeSeconds`, and
     * what the app's policies require verified within it).
     * Browsers are redirected; API clients get 401 JSON with a machine-readable reason.
     */
    requireMfa(guardOptions: RequireMfaOptions = {}): RequestHandler {
      const fresh = guardOptions.fresh === true;
      const target: StepUpTarget = {
        app: guardOptions.app ?? opts.app,
        ...(guardOptions.authenticationContext
          ? { authenticationContexts: [guardOptions.authenticationContext] }
          : {}),
      };
      const guard = async (req: Request, res: Response, next: NextFunction, stamp: AuthStamp) => {
        if (!(await mfa.isCurrent(stamp))) return refuse(req, res, dropRevokedStamp(req));
        // No policy in force: nothing more to check. `fresh`: what the app requires, recently.
        if (mfa.policies.isActive()) {
          const check = await mfa.policies.check(stamp, { ...target, ip: mfa.clientIp(req) }, { fresh });
          if (!check.ok) return refuseByPolicy(req, res, check, target);
        }
        // No recent real second factor: step up for this route's app, as a policy refusal does.
        if (fresh && !mfa.isFresh(stamp)) return askStepUp(req, res, target);
        req.mfa = stamp;
        next();
      };
      return (req, res, next) => {
        const result = sessionStamp(req, false);
        if (!('stamp' in result)) return refuse(req, res, result.reason);
        guard(req, res, next, result.stamp).catch((err: unknown) => {
          // A store that cannot say whether this session still stands lets nothing through.
          if (res.headersSent || !mfa.reportOutage(err, ctxOf(req))) return next(err);
          answerOutage(res, {
            html: wantsHtml(req),
            page: { basePath: opts.basePath, csrfToken: '', issuer: mfa.settings.issuer },
          });
        });
      };
    },

    currentStamp,

    /**
     * Call after your first factor succeeded. Regenerates the session, asks the engine, and
     * answers: redirect to `returnTo` (MFA not needed), to the prompt or enrollment (MFA
     * needed), or 403 (blocked). JSON clients get `{ status, next }`. A store failure is
     * audited and rethrown (a StoreError, status 503) for your error handler.
     */
    async beginSignIn(
      req: Request,
      res: Response,
      signIn: {
        userId: string;
        amr?: string[];
        returnTo?: string;
        /** The application signed in to (conditional access). Default: the integration's `app`. */
        app?: string;
        authenticationContexts?: string[];
        clientAppType?: ClientAppType;
        /** The method that was the first factor (a passkey without a password): never also the second. */
        firstFactorMethodId?: string;
      },
      behaviour: { respond?: boolean } = {},
    ): Promise<SignInStart> {
      // This starts a browser session: an app password signs in a legacy client's one request
      // (requireAppPassword), never a session.
      if (signIn.amr?.includes(APP_PASSWORD_AMR))
        throw new MfaError(
          'app_password_not_legacy',
          'An app password never starts a session: guard legacy clients with requireAppPassword().',
          400,
        );
      const returnTo = safeReturnTo(signIn.returnTo, opts.defaultReturnTo);
      const cookies = parseCookies(req.headers.cookie ?? '');
      const ctx = ctxOf(req);
      const start = await mfa
        .beginSignIn({
          userId: signIn.userId,
          amr: signIn.amr ?? ['pwd'],
          ip: ctx.ip,
          requestId: ctx.requestId,
          userAgent: req.get('user-agent'),
          rememberedDeviceCookie: cookies[cookieName],
          app: signIn.app ?? opts.app,
          authenticationContexts: signIn.authenticationContexts,
          clientAppType: signIn.clientAppType,
          firstFactorMethodId: signIn.firstFactorMethodId,
        })
        .catch((err: unknown) => {
          mfa.reportOutage(err, ctx);
          throw err;
        });
      await regenerateSession(req);
      const state = sessionState(req);
      if (start.status === 'complete') state.stamp = start.stamp;
      if (start.status === 'mfa') {
        state.pendingId = start.pending.id;
        state.returnTo = returnTo;
      }
      await saveSession(req);
      if (behaviour.respond === false) return start;
      const next =
        start.status === 'complete'
          ? returnTo
          : start.status === 'mfa'
            ? `${opts.basePath}/${start.pending.mustEnroll ? 'enroll' : 'prompt'}`
            : null;
      if (start.status === 'blocked') {
        const message = blockedMessage(start);
        if (wantsHtml(req)) res.status(403).type('text/plain').send(message);
        else res.status(403).json({ error: 'signin_blocked', message });
      } else if (wantsHtml(req)) {
        res.redirect(303, next ?? returnTo);
      } else {
        res.json({
          status:
            start.status === 'complete'
              ? 'complete'
              : start.pending.mustEnroll
                ? 'enroll_required'
                : 'mfa_required',
          next,
        });
      }
      return start;
    },

    /** Ends the sign-in (pending or complete) and gives the browser a new, empty session. */
    async logout(req: Request): Promise<void> {
      const pendingId = req.session?.mfakit?.pendingId;
      if (pendingId) await mfa.cancelPending(pendingId);
      if (req.session) await regenerateSession(req);
    },

    /** The router with the pages and the JSON API; mount it at `basePath`. */
    router() {
      return createMfaRouter(mfa, integration);
    },

    ctxOf,
    wantsHtml,
    blockedMessage,
  };
  return integration;
}

export type MfaExpress = ReturnType<typeof createMfaExpress>;
export type { NextFunction };
