// Step-up inside a signed-in session: one more second factor, accepted only when it meets
// what the target app's policies require, raising the session's stamp (amr/acr, per-method
// verification times); and a step-up's new stamp laid on top of the session it raised.
import type { AuthMethod } from '../policy/model.ts';
import { requirementMessage, unmetRequirements } from '../policy/strength.ts';
import { narrowsCandidates, secondFactorCandidates } from './auth-methods.ts';
import type { SendOutcome } from './code-sending.ts';
import type { EngineContext } from './engine-context.ts';
import type { ChallengeStart, PromptOffer, SecondFactor } from './second-factor.ts';
import { evaluateForSession, type SessionTarget } from './session-policy.ts';
import type { CodeInput, MethodRestriction, RequestContext, VerifyOutcome } from './sign-in-types.ts';
import {
  type AuthStamp,
  acrFor,
  combineAmr,
  FIRST_FACTOR_METHODS,
  factsOf,
  mergeStepUp as mergeStamps,
  type VerifiedStamp,
} from './stamp.ts';

export interface StepUpService {
  /**
   * Step-up inside a signed-in session: verify a second factor again and return the stamp with
   * `mfaAt` renewed (and `amr`/`acr` raised if the sign-in had skipped MFA). With a `target`,
   * only a method that meets that app's policies counts.
   */
  stepUp(
    stamp: AuthStamp,
    input: CodeInput,
    ctx: RequestContext,
    target?: SessionTarget,
  ): Promise<VerifyOutcome>;
  /**
   * A step-up's stamp on top of the session it raised (an OIDC `mfa` prompt in an existing
   * session): the second factors verified earlier in that session still count, as long as the
   * session was not revoked and the user still has them.
   */
  mergeStepUp(previous: AuthStamp, fresh: AuthStamp): Promise<AuthStamp>;
  /**
   * Starts the challenges of the methods that produce one (a passkey's request options) for a
   * step-up of this session, bound to it: one per such method the target allows the user.
   */
  beginStepUpChallenges(stamp: AuthStamp, target?: SessionTarget): Promise<ChallengeStart[]>;
  /**
   * What a step-up of this session offers besides a typed code, from one read of the user's
   * methods: the challenges begun (as `beginStepUpChallenges`), and the methods that send a code
   * on demand that the target allows.
   */
  stepUpPrompt(stamp: AuthStamp, target?: SessionTarget): Promise<PromptOffer>;
  /** Sends a code for a step-up of this session by the method `methodId`, bound to the session. */
  sendStepUpCode(
    stamp: AuthStamp,
    methodId: string,
    ctx: RequestContext,
    target?: SessionTarget,
  ): Promise<SendOutcome>;
}

/** A session's first factor, as the choice of its step-up's factor needs it. */
const firstFactorOf = (stamp: AuthStamp) => ({
  amr: stamp.firstFactorAmr,
  methodId: stamp.firstFactorMethodId,
});

/**
 * The binding of a session's step-up challenges (a passkey's challenge, a code sent, a push
 * approval): its user and its own random id, so another session of the user never answers them,
 * even one that completed in the same millisecond. A stamp written before ids were recorded (a
 * live session of an earlier release) is bound by its sign-in time, as it was then.
 */
const sessionBinding = (stamp: AuthStamp) => `session:${stamp.userId}:${stamp.sessionId ?? stamp.authTime}`;

export function createStepUp(engine: EngineContext, second: SecondFactor): StepUpService {
  const { clock, repository, audit, policies, isCurrent, methods: enabled } = engine;

  /**
   * The methods that may be this step-up's factor: never the passkey that was the session's
   * first factor as one factor (the stamp's `firstFactorMethodId`; every passkey when an older
   * stamp does not say which), as at sign-in.
   */
  async function candidates(stamp: AuthStamp) {
    return secondFactorCandidates(await repository.listMethods(stamp.userId), firstFactorOf(stamp));
  }

  /**
   * With a target, only a method that meets what the app's policies require counts (no loop of
   * useless codes); an error when none of the user's methods can. Without one (or no policy
   * requirement), any method but a one-factor first-factor passkey.
   */
  async function restrictionFor(
    stamp: AuthStamp,
    target: SessionTarget | undefined,
  ): Promise<{ restriction: MethodRestriction | undefined } | { error: true; message: string }> {
    const set = target ? await policies.current() : null;
    const policy = target && set?.active ? evaluateForSession(set, stamp, target, clock.now()) : null;
    if (!set || !policy || policy.requirements.length === 0) {
      // The usual session (a password first): every method may step it up, with no store read.
      if (!narrowsCandidates(firstFactorOf(stamp))) return { restriction: undefined };
      const allowedMethodIds = (await candidates(stamp)).map((m) => m.id);
      return { restriction: { allowedMethodIds, allowRecovery: true } };
    }
    // The new factor, with the sign-in's first factor, must satisfy everything the app requires:
    // an old strong factor in the session does not make a weak new one count (sign-in frequency).
    const first = stamp.methods.filter((m) => FIRST_FACTOR_METHODS.has(m));
    const wanted = policy.requirements;
    const fits = (m: AuthMethod) => unmetRequirements([...first, m], wanted, set.strengths).length === 0;
    const methods = await candidates(stamp);
    const restriction = {
      allowedMethodIds: methods
        .filter((m) => {
          const strength = enabled.strengthOf(m);
          return strength !== null && fits(strength);
        })
        .map((m) => m.id),
      allowRecovery: fits('recoveryCode'),
    };
    if (restriction.allowedMethodIds.length === 0 && !restriction.allowRecovery)
      return {
        error: true,
        message: requirementMessage(wanted, set.strengths) ?? 'None of your sign-in methods is allowed here.',
      };
    return { restriction };
  }

  async function stepUpPrompt(stamp: AuthStamp, target?: SessionTarget): Promise<PromptOffer> {
    const allowed = await restrictionFor(stamp, target);
    if ('error' in allowed) return { challenges: [], senders: [] };
    return second.prompt(stamp.userId, sessionBinding(stamp), allowed.restriction);
  }

  return {
    beginStepUpChallenges: async (stamp, target) => (await stepUpPrompt(stamp, target)).challenges,
    stepUpPrompt,

    async sendStepUpCode(stamp, methodId, ctx, target) {
      const allowed = await restrictionFor(stamp, target);
      const restriction =
        'error' in allowed ? { allowedMethodIds: [], allowRecovery: false } : allowed.restriction;
      return second.sending.send(stamp.userId, methodId, sessionBinding(stamp), restriction, ctx);
    },

    async stepUp(
      stamp: AuthStamp,
      input: CodeInput,
      ctx: RequestContext,
      target?: SessionTarget,
    ): Promise<VerifyOutcome> {
      const allowed = await restrictionFor(stamp, target);
      if ('error' in allowed) {
        await audit(stamp.userId, ctx, { type: 'verify_failed', detail: 'strength_unavailable' });
        return { ok: false, error: 'strength_unavailable', message: allowed.message };
      }
      const restriction = allowed.restriction;
      const result = await second.verify(stamp.userId, input, ctx, restriction, sessionBinding(stamp));
      if (!result.ok) return result;
      const amr = combineAmr(
        stamp.amr.filter((a) => a !== 'mfa'),
        result.amr,
      );
      const methods = [...new Set([...stamp.methods, result.method])];
      const verifiedAt = { ...stamp.verifiedAt, [result.method]: clock.now() };
      // A second factor now verified: whatever the sign-in skipped is no longer skipped. The rest
      // stays, `firstFactorMethodId` included: that passkey is no later step-up's factor either;
      // and `sessionId`: the same session, raised, whose later step-ups are bound to it still.
      const raised: VerifiedStamp = {
        ...factsOf(stamp),
        amr,
        acr: acrFor(methods, amr),
        mfaAt: clock.now(),
        methods,
        verifiedAt,
      };
      return { ok: true, stamp: raised, rememberDays: null };
    },

    /**
     * A step-up's stamp on top of the session it raised (an OIDC `mfa` prompt in an existing
     * session): the second factors verified earlier in that session still count, as long as the
     * session was not revoked and the user still has them.
     */
    async mergeStepUp(previous: AuthStamp, fresh: AuthStamp): Promise<AuthStamp> {
      if (previous.userId !== fresh.userId || !(await isCurrent(previous))) return fresh;
      const registered = new Set(
        (await repository.listMethods(fresh.userId, { lastUsed: false })).map((m) => enabled.strengthOf(m)),
      );
      return mergeStamps(previous, fresh, (m) => registered.has(m));
    },
  };
}
