// The second step of a Passport sign-in as a Passport strategy. `beginMfa()` (from your
// first-factor strategy's custom callback) left a pending sign-in in the session — not a
// `req.user`. `passport.authenticate('mfa', { keepSessionInfo: true, … })` on the POST of
// the second step's page runs this strategy, which checks what the form sent against that
// pending sign-in: a code, a passkey's answer (`credential`, the JSON the WebAuthn client
// posts) or a notification approved in the user's app (`push`; pressed before the app answered,
// it is no failure: the page again, with the number), or the first method — an authenticator
// app or a passkey — a user without one registers. Every sign-in ends the same way:
// `this.success(user)`, and Passport logs the user in (`req.login`) and answers with its own
// options (`successReturnToOrRedirect`, `failureRedirect`, `failureMessage`, …). A first-method
// registration goes through the recovery codes page first (the strategy's redirect to the
// page), whose "continue" posts here again and ends the same way. Every decision is the
// engine's; this only translates.
import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import type { Mfa } from '../engine/mfa.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { enrollConfirmBody, firstIssue, methodKindParam, verifyBody } from '../web/bodies.ts';
import { answerSend, beginRefusal, enrollmentFieldsOf, sendBody } from '../web/code-sends.ts';
import { answerFor, FAILURE_MESSAGES, type FailureAnswer, type FailureCode } from '../web/failures.ts';
import { createPendingFlow, type PendingFlow } from '../web/pending-flow.ts';
import { type MfaSessionState, saveSession } from '../web/session.ts';
import {
  completedStamp,
  forgetPending,
  NO_SESSION,
  pagePathOf,
  requestContextOf,
} from './passport-session.ts';

export interface MfaStrategyOptions {
  mfa: Mfa;
  /** The user object Passport logs in (what `serializeUser` receives) for a user id, or null if gone. */
  loadUser: (userId: string) => Promise<unknown> | unknown;
}

export type MfaFailureCode =
  | FailureCode
  | 'no_pending_signin'
  | 'invalid_request'
  | 'draft_unknown'
  /** A code could not be sent (a text message, a call): not the user's method here, the provider down… */
  | 'unknown_method'
  | 'delivery_failed'
  /** Notifications are paused after a sign-in request was reported as fraud (403) until an admin clears it. */
  | 'send_blocked';

/** What the strategy passes to `this.fail()`: Passport's `failureMessage: true` keeps `message`. */
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
}

/** The options of `passport.authenticate()` the strategy looks at. */
export interface MfaAuthenticateOptions {
  keepSessionInfo?: boolean;
  session?: boolean;
}

export const MFA_MESSAGES = {
  noPending: 'Sign in with your password first.',
  invalidCode: FAILURE_MESSAGES.invalidCode,
  invalidPasskey: FAILURE_MESSAGES.invalidPasskey,
  locked: FAILURE_MESSAGES.locked,
  slowDown: FAILURE_MESSAGES.slowDown,
  expired: FAILURE_MESSAGES.expired,
  mustEnroll: FAILURE_MESSAGES.mustEnroll,
  draftUnknown: 'This setup has expired. Start again.',
} as const;

export const KEEP_SESSION_INFO_REQUIRED =
  "mfakit: run the 'mfa' strategy as passport.authenticate('mfa', { keepSessionInfo: true, ... }). " +
  "Passport 0.7's req.login() regenerates the session and keeps what it held (the MFA stamp, " +
  'req.session.returnTo) only with keepSessionInfo: true; and the login must be a session login ' +
  '(no session: false).';

/** What one POST to the strategy comes to: Passport's success, failure or redirect. */
type Step =
  | { kind: 'success'; user: unknown; info: MfaAuthInfo }
  | { kind: 'fail'; challenge: MfaChallenge; status: number }
  | { kind: 'redirect'; url: string };

const failure = (error: MfaFailureCode, message: string, status: number): Step => ({
  kind: 'fail',
  challenge: { error, message },
  status,
});

/** A refusal the shared web layer worded (a verification's, a send's). */
const failed = (answer: Omit<FailureAnswer, 'error'> & { error: MfaFailureCode }): Step => ({
  kind: 'fail',
  challenge:
    answer.retryAfterSeconds === undefined
      ? { error: answer.error, message: answer.message }
      : { error: answer.error, message: answer.message, retryAfterSeconds: answer.retryAfterSeconds },
  status: answer.status,
});

export class MfaStrategy extends Strategy {
  // Plain fields, not #private: Passport runs each request on Object.create(strategy), and
  // private fields are not reachable through the prototype chain.
  name = 'mfa';
  readonly mfa: Mfa;
  readonly loadUser: (userId: string) => Promise<unknown> | unknown;
  private readonly pending: PendingFlow;

  constructor(options: MfaStrategyOptions) {
    super();
    if (typeof options?.loadUser !== 'function')
      throw new TypeError('MfaStrategy needs options.loadUser(userId)');
    this.mfa = options.mfa;
    this.loadUser = options.loadUser;
    this.pending = createPendingFlow(options.mfa);
  }

  override authenticate(req: Request, options?: MfaAuthenticateOptions): void {
    if (options?.keepSessionInfo !== true || options.session === false) {
      this.error(new Error(KEEP_SESSION_INFO_REQUIRED));
      return;
    }
    if (!req.session) {
      this.error(new Error(NO_SESSION));
      return;
    }
    this.step(req).then(
      (step) => {
        if (step.kind === 'success') this.success(step.user, step.info);
        else if (step.kind === 'fail') this.fail(step.challenge, step.status);
        else this.redirect(step.url, 303);
      },
      (err: unknown) => {
        // A store failure reaches your error handler as a StoreError (status 503), audited.
        this.mfa.reportOutage(err, requestContextOf(this.mfa, req));
        this.error(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  private async step(req: Request): Promise<Step> {
    const state: MfaSessionState | undefined = req.session.mfakit;
    if (state?.completed) {
      // The recovery codes were shown: this POST finishes the sign-in.
      const stamp = await completedStamp(this.mfa, state);
      return stamp ? this.logIn(state, stamp) : failure('pending_expired', MFA_MESSAGES.expired, 401);
    }
    const pendingId = state?.pendingId;
    if (!state || !pendingId) return failure('no_pending_signin', MFA_MESSAGES.noPending, 401);
    const body: unknown = req.body ?? {};
    const has = (field: string) => typeof body === 'object' && body !== null && field in body;
    if (has('draftId')) return this.registerFirstMethod(req, state, pendingId, body as object);
    // The number a first method asks for (the page's form names its `method`): a code is sent to it.
    if (has('method')) return this.beginFirstMethod(req, state, pendingId, body as object);
    // A send button of the prompt: a code by text message or call, a notification, then the
    // prompt again. (The Continue of a notification posts its `methodId` too, with `push`.)
    if (has('methodId') && !has('code') && !has('credential') && !has('push'))
      return this.sendCode(req, state, pendingId, body);
    return this.verifyFactor(req, state, pendingId, body);
  }

  /** Sends a code by one of the user's phones for the pending sign-in; the page says where. */
  private async sendCode(
    req: Request,
    state: MfaSessionState,
    pendingId: string,
    body: unknown,
  ): Promise<Step> {
    const parsed = sendBody.safeParse(body);
    if (!parsed.success) return failure('invalid_request', firstIssue(parsed.error), 400);
    const outcome = await this.mfa.sendPendingCode(
      pendingId,
      parsed.data.methodId,
      requestContextOf(this.mfa, req),
    );
    const answer = answerSend(responseOf(req), outcome);
    if (!answer.ok) {
      if (answer.error === 'pending_expired') forgetPending(state);
      return failed(answer);
    }
    // A notification (push): the page shows its number and Continue (the engine's prompt offers
    // it) until it is answered.
    state.notice = answer.notice;
    await saveSession(req);
    return { kind: 'redirect', url: pagePathOf(req) };
  }

  /** Begins a first method that asks for something first (a phone number): its draft, then the page. */
  private async beginFirstMethod(
    req: Request,
    state: MfaSessionState,
    pendingId: string,
    body: object,
  ): Promise<Step> {
    const kind = methodKindParam.safeParse((body as { method?: unknown }).method);
    if (!kind.success) return failure('invalid_request', firstIssue(kind.error), 400);
    const method = (await this.mfa.pendingEnrollmentKinds(pendingId)).find((m) => m.kind === kind.data);
    if (!method) return failure('unknown_method', 'That sign-in method cannot be set up here.', 404);
    try {
      const pending = await this.mfa.getPending(pendingId);
      const draft = await this.mfa.beginPendingEnrollment(
        pendingId,
        method.kind,
        pending?.userId ?? '',
        undefined,
        enrollmentFieldsOf(body, method.fields) ?? {},
      );
      if (!draft) return failure('pending_expired', MFA_MESSAGES.expired, 401);
      state.draftId = draft.draftId;
      state.draftKind = draft.kind;
      await saveSession(req);
      return { kind: 'redirect', url: pagePathOf(req) };
    } catch (err) {
      // The number refused, too many codes, the provider down: the form again, saying why.
      const refusal = beginRefusal(responseOf(req), err);
      if (!refusal) throw err;
      state.draftKind = method.kind;
      delete state.draftId;
      const error =
        refusal.status === 429 ? 'slow_down' : refusal.status === 503 ? 'delivery_failed' : 'invalid_request';
      return failure(error, refusal.message, refusal.status);
    }
  }

  /**
   * A code, a passkey or an approved notification (`push`) for the pending sign-in; "don't ask
   * again" only where the policies allow it.
   */
  private async verifyFactor(
    req: Request,
    state: MfaSessionState,
    pendingId: string,
    body: unknown,
  ): Promise<Step> {
    const parsed = verifyBody.safeParse(body);
    if (!parsed.success) return failure('invalid_request', firstIssue(parsed.error), 400);
    const outcome = await this.pending.verifyCode(
      req,
      responseOf(req),
      pendingId,
      parsed.data,
      requestContextOf(this.mfa, req),
    );
    if (outcome.kind === 'must_enroll') return failed(answerFor({ ok: false, error: 'must_enroll' }));
    if (outcome.kind === 'failed') {
      const { answer } = outcome;
      if (answer.error === 'approval_pending' && answer.approval !== undefined) {
        // Continue before the app answered: no failure (no failureRedirect, no failureMessage,
        // no attempt counted) — the page again, saying what to do, with the same number.
        state.notice = answer.message;
        await saveSession(req);
        return { kind: 'redirect', url: pagePathOf(req) };
      }
      if (answer.error === 'pending_expired') forgetPending(state);
      return failed(answer);
    }
    forgetPending(state);
    return this.logIn(state, outcome.stamp);
  }

  /**
   * The first method of a user who has none, registered during sign-in: the sign-in is
   * complete, and the browser goes to the page, which shows the recovery codes once; its
   * "continue" posts here again and logs the user in.
   */
  private async registerFirstMethod(
    req: Request,
    state: MfaSessionState,
    pendingId: string,
    body: object,
  ): Promise<Step> {
    const parsed = enrollConfirmBody.safeParse(body);
    if (!parsed.success) return failure('invalid_request', firstIssue(parsed.error), 400);
    if (state.draftId !== parsed.data.draftId || state.draftKind === undefined)
      return failure('draft_unknown', MFA_MESSAGES.draftUnknown, 400);
    const result = await this.pending.confirmFirstMethod(
      responseOf(req),
      pendingId,
      state.draftKind,
      parsed.data,
      requestContextOf(this.mfa, req),
    );
    if (result.kind === 'failed') {
      if (result.answer.error === 'pending_expired') forgetPending(state);
      return failed(result.answer);
    }
    forgetPending(state);
    state.completed = { stamp: result.stamp, recoveryCodes: result.recoveryCodes };
    await saveSession(req);
    return { kind: 'redirect', url: pagePathOf(req) };
  }

  /** The one end of every sign-in: the stamp in the session, and Passport's success with the user. */
  private async logIn(state: MfaSessionState, stamp: AuthStamp): Promise<Step> {
    delete state.completed;
    const user = await this.loadUser(stamp.userId);
    if (user === null || user === undefined || user === false)
      return failure('pending_expired', MFA_MESSAGES.expired, 401);
    // Carried into the new session by Passport's keepSessionInfo.
    state.stamp = stamp;
    return { kind: 'success', user, info: { amr: stamp.amr, acr: stamp.acr, stamp } };
  }
}

function responseOf(req: Request) {
  if (!req.res) throw new Error('mfakit/passport needs an Express request (req.res is missing)');
  return req.res;
}
