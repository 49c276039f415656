// The sign-in flow after the first factor: decide, then complete at once, start a pending
// sign-in (a second factor or the first method's enrollment is needed) or refuse; verify the
// pending sign-in's code, or enrol its first method, and complete it exactly once.
import type { AuditEventBody, PolicyAuditData } from '../audit/events.ts';
import { MfaError } from '../errors.ts';
import type { EnrollmentDraft, FactorInput } from '../methods/method.ts';
import type { PolicyEvaluation } from '../policy/evaluation.ts';
import type { EnrollmentService, RecoveryCodesService } from './account-security.ts';
import { firstFactorMethods } from './auth-methods.ts';
import type { AllowDecision, BlockDecision, Decision, DecisionContext, WhatIfContext } from './decision.ts';
import type { EngineContext } from './engine-context.ts';
import type { PendingPrincipal } from './pending.ts';
import type { ChallengeStart, SecondFactor } from './second-factor.ts';
import type {
  CodeInput,
  MethodRestriction,
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
   */
  beginPendingChallenges(pendingId: string): Promise<ChallengeStart[]>;
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
}

/** The binding of a pending sign-in's challenges: a challenge begun for it verifies only for it. */
const pendingBinding = (pendingId: string) => `pending:${pendingId}`;

/** What the policies allow a pending sign-in to verify with. */
function restrictionOf(pending: PendingPrincipal): MethodRestriction | undefined {
  // A pending sign-in from before method restrictions existed carries none: every method counts.
  return pending.allowedMethodIds
    ? { allowedMethodIds: pending.allowedMethodIds, allowRecovery: pending.allowRecovery }
    : undefined;
}

export function createSignInFlow(
  engine: EngineContext,
  second: SecondFactor,
  account: {
    enrollment: EnrollmentService;
    recoveryCodes: RecoveryCodesService;
  },
): SignInFlow {
  const { options, clock, repository, audit, decide, whatIf, registration, methods } = engine;
  const pendingSignIns = engine.pending;

  /** The registration rule for a sign-in (pending, or about to be) that must register its first method. */
  const firstMethodRule = (
    p: Pick<PendingPrincipal, 'userId' | 'firstFactorAmr' | 'groups' | 'roles' | 'clientAppType' | 'risk'> & {
      firstFactorAt?: number | undefined;
      startedAt?: number | undefined;
    },
    ctx: RequestContext,
  ) =>
    registration.check(
      {
        userId: p.userId,
        hasMethods: false,
        firstFactorAt: p.firstFactorAt ?? p.startedAt ?? clock.now(),
        mfaAt: null,
        methods: firstFactorMethods(p.firstFactorAmr),
        ip: ctx.ip,
        groups: p.groups,
        roles: p.roles,
        clientAppType: p.clientAppType,
        risk: p.risk,
      },
      ctx,
    );

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
      };
      if (decision.action === 'allow') {
        const skipped = skipEvent(decision);
        if (skipped) await audit(input.userId, ctx, skipped);
        const stamp = second.stampFor(input.userId, input.amr, null, facts, stampSkipOf(decision));
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
          const { step: _enroll, ...enrollment } = decision;
          const refused: BlockDecision = {
            ...enrollment,
            action: 'block',
            userMessage: verdict.message,
            reasons: [...decision.reasons, { code: verdict.reason, message: verdict.message }],
          };
          return { status: 'blocked', decision: refused, signInAgain: verdict.reason === 'signin_too_old' };
        }
      }
      const prompt = decision.step === 'second_factor' ? decision : null;
      const pending = await pendingSignIns.start({
        userId: input.userId,
        firstFactorAmr: input.amr,
        firstFactorAt,
        mustEnroll: prompt === null,
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
        detail: prompt === null ? 'enrollment_required' : 'second_factor',
        ...policyAudit(decision.policy),
      });
      return { status: 'mfa', pending, decision };
    },

    async beginPendingChallenges(pendingId) {
      const pending = await pendingSignIns.get(pendingId);
      if (!pending || pending.mustEnroll) return [];
      return second.beginChallenges(pending.userId, pendingBinding(pendingId), restrictionOf(pending));
    },

    /** Verifies a second factor for a pending sign-in; on success the pending principal is consumed. */
    async verifyPending(pendingId: string, input: CodeInput, ctx: RequestContext): Promise<VerifyOutcome> {
      const pending = await pendingSignIns.get(pendingId);
      if (!pending) return { ok: false, error: 'pending_expired' };
      if (pending.mustEnroll) return { ok: false, error: 'must_enroll' };
      const restriction = restrictionOf(pending);
      const result = await second.verify(pending.userId, input, ctx, restriction, pendingBinding(pendingId));
      if (!result.ok) return result;
      const taken = await pendingSignIns.take(pendingId);
      if (!taken) return { ok: false, error: 'pending_expired' };
      return { ok: true, stamp: await second.complete(taken, result, ctx), rememberDays: taken.rememberDays };
    },

    async beginPendingEnrollment(pendingId, kind, accountName, resumeDraftId) {
      const pending = await pendingSignIns.get(pendingId);
      if (!pending?.mustEnroll) return null;
      // Refused (the first factor grew too old meanwhile, a registration policy): say why, never loop.
      const verdict = await firstMethodRule(pending, { ip: pending.ip });
      if (!verdict.allowed)
        throw new MfaError(verdict.reason, verdict.message, verdict.reason === 'signin_too_old' ? 401 : 403);
      const resumed = resumeDraftId
        ? await account.enrollment.resume(kind, pending.userId, resumeDraftId, accountName)
        : null;
      return resumed ?? account.enrollment.begin(kind, pending.userId, accountName);
    },

    async confirmPendingEnrollment(pendingId, kind, draftId, input, label, ctx) {
      const pending = await pendingSignIns.get(pendingId);
      if (!pending) return { ok: false, error: 'pending_expired' };
      if (!pending.mustEnroll || (await repository.listMethods(pending.userId)).length > 0) {
        return { ok: false, error: 'pending_expired' };
      }
      if (!(await firstMethodRule(pending, ctx)).allowed) return { ok: false, error: 'pending_expired' };
      const confirmed = await account.enrollment.confirm(kind, pending.userId, draftId, input, label, ctx);
      if (!confirmed.ok) return { ok: false, error: 'invalid_code' };
      const taken = await pendingSignIns.take(pendingId);
      if (!taken) {
        await repository.deleteMethod(pending.userId, confirmed.method.id);
        return { ok: false, error: 'pending_expired' };
      }
      const recoveryCodes = await account.recoveryCodes.regenerate(pending.userId, ctx);
      const method = methods.of(confirmed.method);
      const factor = {
        amr: confirmed.amr ?? method?.amr(confirmed.method) ?? [],
        method: method?.strength(confirmed.method) ?? 'totp',
      };
      return { ok: true, stamp: await second.complete(taken, factor, ctx), recoveryCodes };
    },
  };
}
