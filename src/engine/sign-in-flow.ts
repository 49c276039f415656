// The sign-in flow after the first factor: decide, then complete at once, start a pending
// sign-in (a second factor or the first method's enrollment is needed) or refuse; verify the
// pending sign-in's code, or enrol its first method, and complete it exactly once.

import type { AuditEventBody, PolicyAuditData } from '../audit/events.ts';
import { MfaError } from '../errors.ts';
import type { EnrollmentDraft, EnrollmentFields, FactorInput } from '../methods/method.ts';
import type { PolicyEvaluation } from '../policy/evaluation.ts';
import type { EnrollableMethod, EnrollmentService, RecoveryCodesService } from './account-security.ts';
import { APP_PASSWORD_AMR } from './auth-methods.ts';
import type { SendOutcome } from './code-sending.ts';
import type { AllowDecision, BlockDecision, Decision, DecisionContext, WhatIfContext } from './decision.ts';
import type { EngineContext } from './engine-context.ts';
import type { PendingPrincipal } from './pending.ts';
import { createPendingEnrollment, pendingBinding, restrictionOf } from './pending-enrollment.ts';
import type { ChallengeStart, PromptOffer, PromptOptions, SecondFactor } from './second-factor.ts';
import type {
  CodeInput,
  RequestContext,
  SignInInput,
  SignInStart,
  StampFacts,
  VerifyFailure,
  VerifyOutcome,
} from './sign-in-types.ts';
import type { AuthStamp, StampSkip } from './stamp.ts';

export interface SignInFlow {
  /** The decision for a sign-in, without acting on it (audits what it checks). */
  decide(ctx: DecisionContext): Promise<Decision>;
  /** A hypothetical sign-in's decision with every policy explained; reads only, audits nothing. */
  whatIf(ctx: WhatIfContext): Promise<Decision>;
  /**
   * After the first factor: decide, then either complete at once (MFA not needed), start a
   * pending principal (a second factor, or enrollment, is needed), or refuse.
   */
  beginSignIn(input: SignInInput): Promise<SignInStart>;
  getPending(pendingId: string): Promise<PendingPrincipal | null>;
  cancelPending(pendingId: string): Promise<void>;
  /**
   * Starts the challenges of the methods that produce one (a passkey: the browser's request
   * options) for the pending sign-in, bound to it: one per such method the user may use here.
   * Given the pending sign-in the caller has just read (`getPending`) rather than its id, it is
   * not read again.
   */
  beginPendingChallenges(pending: string | PendingPrincipal): Promise<ChallengeStart[]>;
  /**
   * What the pending sign-in's prompt offers besides a typed code, from one read of the user's
   * methods: the challenges begun (as `beginPendingChallenges`), and the methods that send a code
   * on demand (a text message, a call, a notification) and that it may verify with, a button
   * each, and a notification already sent that waits or was approved (`approval`). Nothing is
   * sent until `sendPendingCode`. `{ challenges: false }`: none is begun (a client that cannot
   * answer one).
   */
  pendingPrompt(pending: string | PendingPrincipal, options?: PromptOptions): Promise<PromptOffer>;
  /**
   * Sends a code for the pending sign-in by the user's method `methodId`, bound to this sign-in
   * (a newer send replaces the code): refused (`unknown_method`) for a method not theirs or not
   * allowed here, `slow_down` past the send limits, `delivery_failed` when the provider refused.
   */
  sendPendingCode(pendingId: string, methodId: string, ctx: RequestContext): Promise<SendOutcome>;
  /** Verifies a second factor for a pending sign-in; on success the pending principal is consumed. */
  verifyPending(pendingId: string, input: CodeInput, ctx: RequestContext): Promise<VerifyOutcome>;
  /**
   * Starts registering the first method (of `kind`, e.g. `totp`) for a pending sign-in that must
   * enroll, or shows the draft `resumeDraftId` again while it lasts (a reload keeps the secret
   * already scanned). Null when this sign-in needs no enrollment; an MfaError (`signin_too_old`
   * 401, `registration_blocked` 403, `unknown_method` 404) when it is refused.
   */
  beginPendingEnrollment(
    pendingId: string,
    kind: string,
    accountName: string,
    resumeDraftId?: string,
    /** What the user gave for the method's `fields` (a phone number). */
    fields?: EnrollmentFields,
  ): Promise<EnrollmentDraft | null>;
  /**
   * Confirms first-method enrollment during sign-in, completes the sign-in and returns
   * fresh recovery codes to show once. Refused if the user meanwhile has a method.
   */
  confirmPendingEnrollment(
    pendingId: string,
    kind: string,
    draftId: string,
    input: FactorInput,
    label: string,
    ctx: RequestContext,
  ): Promise<{ ok: true; stamp: AuthStamp; recoveryCodes: string[] } | VerifyFailure>;
  /**
   * The kinds of method a pending sign-in may register now, in the options' order: any kind users
   * register for a first method, only those that meet the requirements in interrupt mode.
   */
  pendingEnrollmentKinds(pendingId: string): Promise<EnrollableMethod[]>;
}

export function createSignInFlow(
  engine: EngineContext,
  second: SecondFactor,
  account: {
    enrollment: EnrollmentService;
    recoveryCodes: RecoveryCodesService;
  },
): SignInFlow {
  const { options, clock, audit, decide, whatIf } = engine;
  const pendingSignIns = engine.pending;

  const enrollment = createPendingEnrollment(engine, second, account);
  const firstMethodRule = enrollment.rule;

  /** What the audit says of an `allow`: the skip, if one lifted MFA (a sufficient first factor skipped nothing). */
  function skipEvent(decision: AllowDecision): AuditEventBody | null {
    switch (decision.allowedBy) {
      case 'trusted_network':
        return { type: 'skipped_trusted_network', detail: decision.trustedNetwork };
      case 'remembered_device':
        return { type: 'remembered_device_used', detail: decision.rememberedDeviceId };
      case 'user_disabled':
        return { type: 'skipped_user_disabled' };
      case 'first_factor':
        return null;
    }
  }

  /** What the stamp of an `allow` records of its skip (a sufficient first factor skipped nothing). */
  function stampSkipOf(decision: AllowDecision): StampSkip | null {
    switch (decision.allowedBy) {
      case 'remembered_device':
        return {
          skippedBy: 'remembered_device',
          rememberedDeviceId: decision.rememberedDeviceId,
          rememberedDeviceAt: decision.rememberedDeviceAt,
        };
      case 'trusted_network':
      case 'user_disabled':
        return { skippedBy: decision.allowedBy };
      case 'first_factor':
        return null;
    }
  }

  /** "Don't ask again on this device": the configured days, capped by the policies' session controls. */
  function rememberDaysFor(decision: Decision): number | null {
    const controls = decision.sessionControls;
    if (!options.rememberDevice.enabled || !controls.rememberDeviceAllowed) return null;
    let days = options.rememberDevice.days;
    if (controls.rememberDeviceMaxDays !== null) days = Math.min(days, controls.rememberDeviceMaxDays);
    if (controls.signInFrequencyMs !== null)
      days = Math.min(days, Math.floor(controls.signInFrequencyMs / 86_400_000));
    return days >= 1 ? days : null;
  }

  /** The policy explanation kept with sign-in events: which policies applied, which would have (report-only). */
  function policyAudit(policy: PolicyEvaluation | undefined): { data?: PolicyAuditData } {
    if (!policy) return {};
    return {
      data: {
        policyVersion: policy.version,
        policiesApplied: policy.results
          .filter((r) => r.enforced)
          .map((r) => r.policyId)
          .join(' '),
        // What report-only policies would have done: `id=block` or `id=require:strength+strength`.
        reportOnly: policy.reportOnly
          .map(
            (r) =>
              `${r.policyId}=${r.grant === 'block' ? 'block' : `require:${r.grant.strengths.join('+')}`}`,
          )
          .join(' '),
      },
    };
  }

  async function pendingPrompt(
    given: string | PendingPrincipal,
    options?: PromptOptions,
  ): Promise<PromptOffer> {
    const pending = typeof given === 'string' ? await pendingSignIns.get(given) : given;
    if (!pending || pending.mustEnroll) return { challenges: [], senders: [] };
    return second.prompt(pending.userId, pendingBinding(pending.id), restrictionOf(pending), options);
  }

  return {
    decide,
    whatIf,
    getPending: (pendingId) => pendingSignIns.get(pendingId),
    cancelPending: (pendingId) => pendingSignIns.cancel(pendingId),
    /**
     * After the first factor: decide, then either complete at once (MFA not needed), start a
     * pending principal (a second factor, or enrollment, is needed), or refuse.
     */
    async beginSignIn(input: SignInInput): Promise<SignInStart> {
      // An app password is for the legacy client it was checked for: never a browser's or an app's sign-in.
      if (input.amr.includes(APP_PASSWORD_AMR) && input.clientAppType !== 'legacy')
        throw new MfaError(
          'app_password_not_legacy',
          'An app password signs in legacy clients only (clientAppType: legacy).',
          400,
        );
      const decision = await decide(input);
      const ctx = { ip: input.ip, requestId: input.requestId };
      if (decision.action === 'block') {
        await audit(input.userId, ctx, {
          type: 'signin_blocked',
          detail: decision.reasons.at(-1)?.code,
          ...policyAudit(decision.policy),
        });
        return { status: 'blocked', decision };
      }
      const facts: StampFacts = {
        app: decision.app,
        clientAppType: input.clientAppType ?? 'browser',
        groups: decision.subject.groups,
        roles: decision.subject.roles,
        risk: decision.risk,
        firstFactorMethodId: input.firstFactorMethodId,
      };
      if (decision.action === 'allow') {
        const skipped = skipEvent(decision);
        if (skipped) await audit(input.userId, ctx, skipped);
        const stamp = second.stampFor(
          input.userId,
          input.amr,
          null,
          { ...facts, firstFactorAt: input.firstFactorAt },
          stampSkipOf(decision),
        );
        // A sign-in with no second factor makes no network or device familiar (an app password
        // in a stranger's hands must not make their network and browser look like the user's).
        if (stamp.mfaAt !== null || !input.amr.includes(APP_PASSWORD_AMR))
          await second.recordSightings(input.userId, input.ip, input.userAgent ?? '');
        await audit(input.userId, ctx, {
          type: 'signin_completed',
          data: { amr: stamp.amr.join(' '), acr: stamp.acr, ...policyAudit(decision.policy).data },
        });
        return { status: 'complete', stamp, decision };
      }
      const firstFactorAt = input.firstFactorAt ?? clock.now();
      if (decision.step === 'enroll') {
        const verdict = await firstMethodRule(
          {
            userId: input.userId,
            firstFactorAmr: input.amr,
            firstFactorAt,
            ...facts,
          },
          ctx,
        );
        if (!verdict.allowed) {
          const { step: _enroll, enrollKinds: _kinds, ...enrollment } = decision;
          const refused: BlockDecision = {
            ...enrollment,
            action: 'block',
            userMessage: verdict.message,
            reasons: [...decision.reasons, { code: verdict.reason, message: verdict.message }],
          };
          return { status: 'blocked', decision: refused, signInAgain: verdict.reason === 'signin_too_old' };
        }
      }
      // A code first: a second factor, or in interrupt mode the proof before the stronger method.
      const prompt =
        decision.step === 'second_factor' || (decision.step === 'register_method' && decision.proofRequired)
          ? decision
          : null;
      const pending = await pendingSignIns.start({
        userId: input.userId,
        firstFactorAmr: input.amr,
        firstFactorAt,
        ...(input.firstFactorMethodId ? { firstFactorMethodId: input.firstFactorMethodId } : {}),
        mustEnroll: prompt === null,
        ...(decision.step === 'second_factor' ? {} : { enrollKinds: decision.enrollKinds }),
        ...(decision.step === 'register_method' ? { stronger: true } : {}),
        ip: input.ip,
        userAgent: (input.userAgent ?? '').slice(0, 512),
        allowedMethodIds: prompt?.allowedMethodIds ?? [],
        allowRecovery: prompt?.allowRecovery ?? false,
        ...(prompt?.userMessage ? { userMessage: prompt.userMessage } : {}),
        app: facts.app,
        clientAppType: facts.clientAppType,
        rememberDays: rememberDaysFor(decision),
        groups: facts.groups,
        roles: facts.roles,
        risk: facts.risk,
      });
      await audit(input.userId, ctx, {
        type: 'challenge_issued',
        detail:
          decision.step === 'register_method'
            ? 'stronger_method_required'
            : prompt === null
              ? 'enrollment_required'
              : 'second_factor',
        ...policyAudit(decision.policy),
      });
      return { status: 'mfa', pending, decision };
    },

    beginPendingChallenges: async (given) => (await pendingPrompt(given)).challenges,
    pendingPrompt,

    async sendPendingCode(pendingId, methodId, ctx) {
      const pending = await pendingSignIns.get(pendingId);
      if (!pending) return { ok: false, error: 'pending_expired' };
      // Registering a method, not verifying one: nothing of the user's may send here.
      if (pending.mustEnroll) return { ok: false, error: 'unknown_method' };
      const binding = pendingBinding(pendingId);
      return second.sending.send(pending.userId, methodId, binding, restrictionOf(pending), ctx);
    },

    /** Verifies a second factor for a pending sign-in; on success the pending principal is consumed. */
    async verifyPending(pendingId: string, input: CodeInput, ctx: RequestContext): Promise<VerifyOutcome> {
      const pending = await pendingSignIns.get(pendingId);
      if (!pending) return { ok: false, error: 'pending_expired' };
      if (pending.mustEnroll) return { ok: false, error: 'must_enroll' };
      const restriction = restrictionOf(pending);
      const result = await second.verify(pending.userId, input, ctx, restriction, pendingBinding(pendingId));
      if (!result.ok) return result;
      if (pending.stronger) {
        // Interrupt mode: it is them; now the stronger method, which completes the sign-in.
        await pendingSignIns.update({
          ...pending,
          mustEnroll: true,
          proved: { amr: result.amr, method: result.method, at: clock.now() },
        });
        return { ok: false, error: 'must_enroll' };
      }
      const taken = await pendingSignIns.take(pendingId);
      if (!taken) return { ok: false, error: 'pending_expired' };
      return { ok: true, stamp: await second.complete(taken, result, ctx), rememberDays: taken.rememberDays };
    },

    beginPendingEnrollment: enrollment.begin,
    confirmPendingEnrollment: enrollment.confirm,
    pendingEnrollmentKinds: enrollment.kinds,
  };
}
