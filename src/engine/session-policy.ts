// Re-checks a signed-in session against the policies for *this* request: the app being
// reached (and its authentication context), the current client address. A session whose
// methods are weaker than the app now requires, whose last second factor is older than the
// sign-in frequency, or that rests on a remembered device the policy no longer accepts, is
// sent to step-up; a blocked one is refused. A fresh check (`requireMfa({ fresh: true })`)
// also needs what the app requires met by factors verified within `reauthMaxAgeSeconds`. Pure and synchronous: the hot path of
// `mfa.policies.check` (the Express guard, the oidc session checks).
import type { PolicySet } from '../policy/compile.ts';
import { NO_SESSION_CONTROLS, type PolicyEvaluation } from '../policy/evaluation.ts';
import type { ClientAppType } from '../policy/model.ts';
import {
  type GrantRequirement,
  isPlainMfaRequirement,
  requirementMessage,
  unmetRequirements,
} from '../policy/strength.ts';
import { type AuthStamp, FIRST_FACTOR_METHODS, methodsVerifiedSince } from './stamp.ts';

/** What this request reaches: the app (and its authentication contexts), from where, with what client. */
export interface SessionTarget {
  app: string;
  authenticationContexts?: string[] | undefined;
  ip: string;
  clientAppType?: ClientAppType | undefined;
}

export type SessionPolicyCheck =
  | { ok: true }
  | { ok: false; reason: 'policy_blocked'; message: string; policy: PolicyEvaluation }
  | {
      ok: false;
      reason: 'step_up_required';
      cause: 'strength' | 'frequency' | 'remembered_device' | 'fresh';
      message: string;
      unmet: GrantRequirement[];
      policy: PolicyEvaluation;
    };

const OK: SessionPolicyCheck = Object.freeze({ ok: true });

/**
 * The methods a fresh check counts, as a step-up judges what it may add (step-up.ts): the
 * sign-in's first factors as they are (no second factor renews one), a second factor only
 * when verified at or after `since`.
 */
function freshMethods(stamp: AuthStamp, since: number) {
  return stamp.methods.filter(
    (m) => FIRST_FACTOR_METHODS.has(m) || (stamp.verifiedAt[m] ?? Number.NEGATIVE_INFINITY) >= since,
  );
}
const DAY_MS = 86_400_000;

export function evaluateForSession(set: PolicySet, stamp: AuthStamp, target: SessionTarget, now: number) {
  return set.evaluate({
    userId: stamp.userId,
    groups: stamp.groups,
    roles: stamp.roles,
    app: target.app,
    authenticationContexts: target.authenticationContexts,
    ip: target.ip,
    // The client that signed in, unless the route says otherwise: a legacy client stays legacy.
    clientAppType: target.clientAppType ?? stamp.clientAppType,
    deviceRemembered: stamp.skippedBy === 'remembered_device',
    risk: stamp.risk,
    time: now,
  });
}

/**
 * `freshSince` (ms; a fresh check): what the app requires must also be met by the sign-in's
 * first factors and the second factors verified at or after it — an old strong factor beside a
 * recent weak one is not a fresh verification of what the app requires.
 */
export function checkSession(
  set: PolicySet,
  stamp: AuthStamp,
  target: SessionTarget,
  now: number,
  freshSince?: number,
): SessionPolicyCheck {
  // An app password's sign-in is its legacy client's, for the app it was checked for: never a
  // session of another app or client (integrations never keep one; this holds if one did).
  if (
    stamp.methods.includes('appPassword') &&
    (target.app !== stamp.app || (target.clientAppType ?? stamp.clientAppType) !== 'legacy')
  )
    return {
      ok: false,
      reason: 'policy_blocked',
      message: 'An app password signs in only the application it was made for.',
      policy: {
        action: 'block',
        blockedBy: [],
        requirements: [],
        sessionControls: NO_SESSION_CONTROLS,
        results: [],
        reportOnly: [],
        notEvaluated: 0,
        version: set.version,
      },
    };
  if (!set.active) return OK;
  const policy = evaluateForSession(set, stamp, target, now);
  if (policy.action === 'block')
    return {
      ok: false,
      reason: 'policy_blocked',
      message: 'Your organisation does not allow access to this app.',
      policy,
    };
  if (policy.requirements.length === 0) return OK;
  const controls = policy.sessionControls;
  const mfaMessage = requirementMessage(policy.requirements, set.strengths) ?? 'Confirm your identity again.';

  let unmet = unmetRequirements(stamp.methods, policy.requirements, set.strengths);
  let rememberedAt: number | null = null;
  if (stamp.skippedBy === 'remembered_device') {
    const at = stamp.rememberedDeviceAt;
    const accepted =
      controls.rememberDeviceAllowed &&
      (controls.rememberDeviceMaxDays === null || now - at <= controls.rememberDeviceMaxDays * DAY_MS);
    if (!accepted && unmet.length > 0)
      return {
        ok: false,
        reason: 'step_up_required',
        cause: 'remembered_device',
        message: mfaMessage,
        unmet,
        policy,
      };
    if (accepted) {
      unmet = unmet.filter((r) => !isPlainMfaRequirement(r));
      rememberedAt = at;
    }
  }
  if (unmet.length > 0)
    return {
      ok: false,
      reason: 'step_up_required',
      cause: 'strength',
      message: requirementMessage(unmet, set.strengths) ?? mfaMessage,
      unmet,
      policy,
    };
  if (controls.signInFrequencyMs !== null) {
    // Per method: a recent step-up with a weaker method does not renew a stronger one's age.
    const since = now - controls.signInFrequencyMs;
    let stale = unmetRequirements(methodsVerifiedSince(stamp, since), policy.requirements, set.strengths);
    if (rememberedAt !== null && rememberedAt >= since)
      stale = stale.filter((r) => !isPlainMfaRequirement(r));
    if (stale.length > 0)
      return {
        ok: false,
        reason: 'step_up_required',
        cause: 'frequency',
        message: 'For your security, confirm your identity again.',
        unmet: stale,
        policy,
      };
  }
  if (freshSince !== undefined) {
    const stale = unmetRequirements(freshMethods(stamp, freshSince), policy.requirements, set.strengths);
    if (stale.length > 0)
      return {
        ok: false,
        reason: 'step_up_required',
        cause: 'fresh',
        message:
          requirementMessage(stale, set.strengths) ?? 'For your security, confirm your identity again.',
        unmet: stale,
        policy,
      };
  }
  return OK;
}
