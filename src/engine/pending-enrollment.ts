// Registering a method inside a pending sign-in, and completing the sign-in with it: the first
// method of a user who has none (a recent first factor is enough), or — interrupt mode — a
// stronger method than any the user has, after they proved one of theirs (or signed in with a
// Temporary Access Pass). The registration rule decides both (registration-rule.ts); a refusal
// is an MfaError with its reason (401 sign in again, 403 not allowed here), never a loop.
import { MfaError } from '../errors.ts';
import type { EnrollmentDraft, EnrollmentFields, FactorInput } from '../methods/method.ts';
import type { EnrollableMethod, EnrollmentService, RecoveryCodesService } from './account-security.ts';
import { firstFactorMethods } from './auth-methods.ts';
import type { EngineContext } from './engine-context.ts';
import type { PendingPrincipal } from './pending.ts';
import type { SecondFactor } from './second-factor.ts';
import type { MethodRestriction, RequestContext, VerifyFailure } from './sign-in-types.ts';
import type { AuthStamp } from './stamp.ts';

/** The binding of a pending sign-in's challenges: a challenge begun for it verifies only for it. */
export const pendingBinding = (pendingId: string) => `pending:${pendingId}`;

/** What the policies allow a pending sign-in to verify with. */
export function restrictionOf(pending: PendingPrincipal): MethodRestriction | undefined {
  // A pending sign-in from before method restrictions existed carries none: every method counts.
  return pending.allowedMethodIds
    ? { allowedMethodIds: pending.allowedMethodIds, allowRecovery: pending.allowRecovery }
    : undefined;
}

type RuleSubject = Pick<
  PendingPrincipal,
  'userId' | 'firstFactorAmr' | 'groups' | 'roles' | 'clientAppType' | 'risk' | 'proved' | 'stronger'
> & { firstFactorAt?: number | undefined; startedAt?: number | undefined };

export function createPendingEnrollment(
  engine: EngineContext,
  second: SecondFactor,
  account: { enrollment: EnrollmentService; recoveryCodes: RecoveryCodesService },
) {
  const { clock, repository, registration, methods } = engine;
  const pendingSignIns = engine.pending;

  /**
   * The registration rule for a sign-in (pending, or about to be) that registers a method: its
   * first one, or in interrupt mode a stronger one after the proof it made.
   */
  const rule = (p: RuleSubject, ctx: RequestContext) =>
    registration.check(
      {
        userId: p.userId,
        hasMethods: p.stronger === true,
        firstFactorAt: p.firstFactorAt ?? p.startedAt ?? clock.now(),
        mfaAt: p.proved?.at ?? null,
        methods: [...firstFactorMethods(p.firstFactorAmr), ...(p.proved ? [p.proved.method] : [])],
        ip: ctx.ip,
        groups: p.groups,
        roles: p.roles,
        clientAppType: p.clientAppType,
        risk: p.risk,
      },
      ctx,
    );

  const kindsOf = (pending: PendingPrincipal): EnrollableMethod[] =>
    account.enrollment
      .available()
      .filter((m) => pending.enrollKinds === undefined || pending.enrollKinds.includes(m.kind));

  /** The pending sign-in, if it registers a method of `kind` now; null when it needs none. */
  async function registering(pendingId: string, kind: string) {
    const pending = await pendingSignIns.get(pendingId);
    if (!pending?.mustEnroll) return null;
    if (!kindsOf(pending).some((m) => m.kind === kind))
      throw new MfaError('unknown_method', 'That sign-in method cannot be set up here.', 404);
    return pending;
  }

  return {
    rule,

    async kinds(pendingId: string): Promise<EnrollableMethod[]> {
      const pending = await pendingSignIns.get(pendingId);
      return pending?.mustEnroll ? kindsOf(pending) : [];
    },

    async begin(
      pendingId: string,
      kind: string,
      accountName: string,
      resumeDraftId?: string,
      fields?: EnrollmentFields,
    ): Promise<EnrollmentDraft | null> {
      const pending = await registering(pendingId, kind);
      if (!pending) return null;
      // Refused (the first factor grew too old meanwhile, a registration policy): say why, never loop.
      const verdict = await rule(pending, { ip: pending.ip });
      if (!verdict.allowed)
        throw new MfaError(verdict.reason, verdict.message, verdict.reason === 'signin_too_old' ? 401 : 403);
      const resumed = resumeDraftId
        ? await account.enrollment.resume(kind, pending.userId, resumeDraftId, accountName)
        : null;
      return (
        resumed ?? account.enrollment.begin(kind, pending.userId, accountName, fields, { ip: pending.ip })
      );
    },

    /**
     * Registers the method and completes the sign-in with it. A first method comes with fresh
     * recovery codes to show once (none in interrupt mode: the user has theirs). Refused if a
     * first method's user meanwhile has one.
     */
    async confirm(
      pendingId: string,
      kind: string,
      draftId: string,
      input: FactorInput,
      label: string,
      ctx: RequestContext,
    ): Promise<{ ok: true; stamp: AuthStamp; recoveryCodes: string[] } | VerifyFailure> {
      const pending = await pendingSignIns.get(pendingId);
      if (!pending?.mustEnroll) return { ok: false, error: 'pending_expired' };
      if (!kindsOf(pending).some((m) => m.kind === kind)) return { ok: false, error: 'pending_expired' };
      const upgrade = pending.stronger === true;
      if (!upgrade && (await repository.listMethods(pending.userId)).length > 0)
        return { ok: false, error: 'pending_expired' };
      if (!(await rule(pending, ctx)).allowed) return { ok: false, error: 'pending_expired' };
      const confirmed = await account.enrollment.confirm(kind, pending.userId, draftId, input, label, ctx);
      if (!confirmed.ok) return { ok: false, error: 'invalid_code' };
      const taken = await pendingSignIns.take(pendingId);
      if (!taken) {
        // The sign-in expired or completed meanwhile: the method goes again, releasing what it held.
        const method = confirmed.method;
        if (await repository.deleteMethod(pending.userId, method.id, methods.releaseOf(method)))
          await methods.of(method)?.removed?.(method);
        return { ok: false, error: 'pending_expired' };
      }
      const recoveryCodes = upgrade ? [] : await account.recoveryCodes.regenerate(pending.userId, ctx);
      const method = methods.of(confirmed.method);
      const factor = {
        amr: confirmed.amr ?? method?.amr(confirmed.method) ?? [],
        method: method?.strength(confirmed.method) ?? 'totp',
      };
      return { ok: true, stamp: await second.complete(taken, factor, ctx), recoveryCodes };
    },
  };
}
