// The challenge flow of the Express router, written once: verify a pending sign-in's code,
// step up, start and confirm a method's registration (first method or another one), and who may
// change security info — with the state in the express-session. It answers with results;
// html-routes.ts renders them as pages, api-routes.ts as JSON.
import type { Request, Response } from 'express';
import type { EnrollableMethod } from '../engine/account-security.ts';
import type { Mfa } from '../engine/create-mfa.ts';
import type { RegistrationRefusal } from '../engine/registration-rule.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { MfaError } from '../errors.ts';
import type { EnrollmentDraft, EnrollmentFields, EnrollmentResult } from '../methods/method.ts';
import { factorOf } from '../web/bodies.ts';
import { answerSend, beginOrAsk, type SendAnswer } from '../web/code-sends.ts';
import { answerFailure, FAILURE_MESSAGES, type FailureAnswer } from '../web/failures.ts';
import { type CodeResult, createPendingFlow, type FactorBody, factorKindOf } from '../web/pending-flow.ts';
import {
  regenerateSession,
  regenerateSessionKeeping,
  safeReturnTo,
  saveSession,
  sessionState,
} from '../web/session.ts';
import type { GuardReason, MfaExpress } from './create-mfa-express.ts';

export type StampRefusal = GuardReason | 'signin_too_old';

/** A signed-in stamp, or why there is none (or why it may not do this). */
export type StampAccess =
  | { ok: true; stamp: AuthStamp }
  | { ok: false; reason: StampRefusal }
  | { ok: false; reason: 'registration_blocked'; message: string };

export type VerifyResult =
  | { kind: 'no_pending' }
  | Exclude<CodeResult, { kind: 'complete' }>
  | { kind: 'complete'; stamp: AuthStamp; returnTo: string };

export type StepUpResult =
  | { kind: 'verified'; stamp: AuthStamp }
  | { kind: 'failed'; answer: FailureAnswer; reason: string | undefined };

export type BeginEnrollResult =
  | { kind: 'draft'; draft: EnrollmentDraft; firstMethod: boolean }
  /** A pending sign-in that needs no enrollment (the user has a method): verify with it. */
  | { kind: 'no_enrollment' }
  /** The method asks for something before it begins (a phone number): ask for it, then begin with it. */
  | { kind: 'needs_fields'; method: EnrollableMethod; firstMethod: boolean }
  | { kind: 'refused'; access: Extract<StampAccess, { ok: false }> };

/** A code sent on demand: for the pending sign-in (`prompt`) or a step-up of the session (`verify`). */
export type SendResult =
  | { kind: 'no_pending' }
  | { kind: 'prompt'; answer: SendAnswer }
  | { kind: 'verify'; answer: SendAnswer; stamp: AuthStamp };

export type ConfirmEnrollResult =
  | { kind: 'signed_in'; stamp: AuthStamp; recoveryCodes: string[]; returnTo: string }
  | { kind: 'enrolled'; method: Extract<EnrollmentResult, { ok: true }>['method'] }
  | { kind: 'failed'; answer: FailureAnswer }
  | { kind: 'refused'; access: Extract<StampAccess, { ok: false }> };

export function createSessionFlow(mfa: Mfa, web: MfaExpress) {
  const { defaultReturnTo } = web.options;
  const pending = createPendingFlow(mfa);

  /** The signed-in, unrevoked stamp. `forStepUp`: one that only needs re-verification is accepted. */
  async function signedIn(req: Request, forStepUp = false): Promise<StampAccess> {
    const result = await web.currentStamp(req, false, forStepUp);
    return 'stamp' in result ? { ok: true, stamp: result.stamp } : { ok: false, reason: result.reason };
  }

  /**
   * Adding or removing a method or regenerating recovery codes: the engine's registration rule
   * (a recent first factor for the first method, a recent second factor for another, and the
   * registration policies). Nothing is changed when it refuses.
   */
  async function mayChangeSecurityInfo(req: Request): Promise<StampAccess> {
    const access = await signedIn(req);
    if (!access.ok) return access;
    const verdict = await mfa.mayRegister(access.stamp, web.ctxOf(req));
    if (verdict.allowed) return access;
    if (verdict.reason === 'registration_blocked')
      return { ok: false, reason: 'registration_blocked', message: verdict.message };
    return {
      ok: false,
      reason: verdict.reason satisfies Exclude<RegistrationRefusal, 'registration_blocked'>,
    };
  }

  /** What the guard last asked to step up for (an app's policies), as the engine's target. */
  function stepUpTarget(req: Request) {
    const wanted = req.session?.mfakit?.stepUp;
    if (!wanted) return undefined;
    return {
      app: wanted.app,
      ip: web.ctxOf(req).ip,
      ...(wanted.authenticationContexts ? { authenticationContexts: wanted.authenticationContexts } : {}),
    };
  }

  /** A completed sign-in: a new session holding the stamp; where to go next. */
  async function completeSignIn(req: Request, stamp: AuthStamp): Promise<string> {
    const returnTo = safeReturnTo(sessionState(req).returnTo, defaultReturnTo);
    await regenerateSession(req);
    sessionState(req).stamp = stamp;
    if (web.options.onSignInComplete) await web.options.onSignInComplete(req, stamp);
    await saveSession(req);
    return returnTo;
  }

  return {
    signedIn,
    mayChangeSecurityInfo,

    /** The pending sign-in's code; "don't ask again" only where the policies allow it, never longer. */
    async verify(
      req: Request,
      res: Response,
      body: FactorBody & { remember?: boolean | undefined },
    ): Promise<VerifyResult> {
      const pendingId = req.session?.mfakit?.pendingId;
      if (!pendingId) return { kind: 'no_pending' };
      const result = await pending.verifyCode(req, res, pendingId, body, web.ctxOf(req));
      if (result.kind !== 'complete') {
        if (result.kind === 'failed' && result.answer.error === 'pending_expired')
          delete sessionState(req).pendingId;
        return result;
      }
      return { kind: 'complete', stamp: result.stamp, returnTo: await completeSignIn(req, result.stamp) };
    },

    /**
     * Sends a code by one of the user's methods: for the pending sign-in when there is one, else
     * for a step-up of the signed-in session (what the guard asked for decides which may send).
     */
    async sendCode(req: Request, res: Response, methodId: string): Promise<SendResult | StampAccess> {
      const state = req.session?.mfakit;
      if (state?.pendingId && !state.stamp) {
        const outcome = await mfa.sendPendingCode(state.pendingId, methodId, web.ctxOf(req));
        if (!outcome.ok && outcome.error === 'pending_expired') delete sessionState(req).pendingId;
        return { kind: 'prompt', answer: answerSend(res, outcome) };
      }
      const access = await signedIn(req, true);
      if (!access.ok) return state?.pendingId ? { kind: 'no_pending' } : access;
      const outcome = await mfa.sendStepUpCode(access.stamp, methodId, web.ctxOf(req), stepUpTarget(req));
      return { kind: 'verify', answer: answerSend(res, outcome), stamp: access.stamp };
    },

    /** What a step-up of this session offers (a passkey's options, the phones), for what the guard asked. */
    async stepUpPrompt(req: Request, stamp: AuthStamp) {
      return mfa.stepUpPrompt(stamp, stepUpTarget(req));
    },

    /**
     * A second factor inside a signed-in session. The guard said what to step up for (an app's
     * policies); then only a method that satisfies them counts.
     */
    async stepUp(req: Request, res: Response, stamp: AuthStamp, body: FactorBody): Promise<StepUpResult> {
      const ctx = web.ctxOf(req);
      const wanted = sessionState(req).stepUp;
      const target = stepUpTarget(req);
      const outcome = await mfa.stepUp(stamp, factorOf(body), ctx, target);
      if (!outcome.ok)
        return {
          kind: 'failed',
          answer: answerFailure(res, outcome, factorKindOf(body)),
          reason: wanted?.message,
        };
      // A privilege change: new session id, same contents (e.g. Passport's user) with the raised stamp.
      await regenerateSessionKeeping(req);
      sessionState(req).stamp = outcome.stamp;
      delete sessionState(req).stepUp;
      await saveSession(req);
      return { kind: 'verified', stamp: outcome.stamp };
    },

    /**
     * Starts registering a method (`kind`, default the first the options enable for users) for
     * the pending sign-in (first method) or the signed-in user; `resume`: show the session's
     * draft again while it lasts (a page reload) rather than replacing a secret the user may
     * have scanned.
     */
    async beginEnroll(
      req: Request,
      resume: boolean,
      requestedKind?: string,
      /** What the user gave for the method's fields (a phone number); none: ask for them, unless a draft resumes. */
      fields?: EnrollmentFields,
    ): Promise<BeginEnrollResult> {
      const state = req.session?.mfakit;
      const pendingId = state?.pendingId && !state.stamp ? state.pendingId : undefined;
      // What may be registered: at a sign-in, what it needs (interrupt mode: a stronger method).
      const choices = pendingId ? await mfa.pendingEnrollmentKinds(pendingId) : mfa.enrollment.available();
      const kind = requestedKind ?? state?.draftKind ?? choices[0]?.kind;
      if (kind === undefined)
        throw new MfaError('unknown_method', 'No sign-in method can be set up here.', 404);
      const resumeId = resume && state?.draftKind === kind ? state.draftId : undefined;
      const method = choices.find((m) => m.kind === kind);
      // A method that asks for something first (a phone number) begins only with it (the engine
      // says `fields_required`: ask); a draft of the session resumes without (a reload sends no
      // second code).
      const ask = (firstMethod: boolean): BeginEnrollResult =>
        method ? { kind: 'needs_fields', method, firstMethod } : { kind: 'no_enrollment' };
      let started: { draft: EnrollmentDraft; firstMethod: boolean };
      if (pendingId) {
        const pending = await mfa.getPending(pendingId);
        if (!pending) throw new MfaError('pending_expired', FAILURE_MESSAGES.expired, 401);
        if (!pending.mustEnroll) return { kind: 'no_enrollment' };
        const name = await web.options.displayName(pending.userId);
        const draft = await beginOrAsk(() =>
          mfa.beginPendingEnrollment(pending.id, kind, name, resumeId, fields),
        );
        if (draft === 'ask') return ask(true);
        if (!draft) return { kind: 'no_enrollment' };
        started = { draft, firstMethod: true };
      } else {
        const access = await mayChangeSecurityInfo(req);
        if (!access.ok) return { kind: 'refused', access };
        const { userId } = access.stamp;
        const name = await web.options.displayName(userId);
        const resumed = resumeId ? await mfa.enrollment.resume(kind, userId, resumeId, name) : null;
        const draft =
          resumed ??
          (await beginOrAsk(() => mfa.enrollment.begin(kind, userId, name, fields, web.ctxOf(req))));
        if (draft === 'ask') return ask(false);
        started = { draft, firstMethod: false };
      }
      sessionState(req).draftId = started.draft.draftId;
      sessionState(req).draftKind = started.draft.kind;
      await saveSession(req);
      return { kind: 'draft', ...started };
    },

    /** Confirms the draft: completes a first-method sign-in (with recovery codes), or adds a method. */
    async confirmEnroll(
      req: Request,
      res: Response,
      body: FactorBody & { draftId: string; label?: string | undefined },
    ): Promise<ConfirmEnrollResult> {
      const state = sessionState(req);
      const kind = state.draftKind;
      if (state.draftId !== body.draftId || kind === undefined)
        throw new MfaError('draft_unknown', 'This setup has expired. Start again.', 400);
      const ctx = web.ctxOf(req);
      if (state.pendingId && !state.stamp) {
        const result = await pending.confirmFirstMethod(res, state.pendingId, kind, body, ctx);
        if (result.kind === 'failed') return result;
        const returnTo = await completeSignIn(req, result.stamp);
        return { ...result, returnTo };
      }
      const access = await mayChangeSecurityInfo(req);
      if (!access.ok) return { kind: 'refused', access };
      const result = await mfa.enrollment.confirm(
        kind,
        access.stamp.userId,
        body.draftId,
        factorOf(body),
        body.label ?? '',
        ctx,
      );
      if (!result.ok)
        return { kind: 'failed', answer: answerFailure(res, { ok: false, error: 'invalid_code' }) };
      delete state.draftId;
      delete state.draftKind;
      await saveSession(req);
      return { kind: 'enrolled', method: result.method };
    },
  };
}

export type SessionFlow = ReturnType<typeof createSessionFlow>;
