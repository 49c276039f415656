// decide(): is a second factor needed for this sign-in, which methods may provide it, or is
// it blocked? Signals are gathered first (store reads, the remembered-device cookie check), then
// one pure function combines them, in this order:
//   1. a hard-locked account is blocked;
//   2. conditional-access policies are evaluated; a matching `on` block policy blocks;
//   3. requirements: the per-user state (`enabled`/`enforced` → MFA), every grant of the
//      matching `on` policies and the strength the application asked for (acr_values). None →
//      allow; a first factor that meets them all → allow too (but a Temporary Access Pass of a
//      user with no method leads to registering one);
//   4. no registered method → enrollment, if a method users register would satisfy them (a
//      trusted network or cookie never stands in for a factor the user never registered),
//      else blocked;
//   5. a trusted network (the `trustedNetworks` option) lifts the per-user requirement;
//   6. a valid remembered device lifts plain "MFA" requirements, unless a policy's session
//      controls forbid it (remembering off, too old, sign-in frequency passed); a stronger
//      requirement (e.g. phishing-resistant) or one the application asked for is never met
//      by a cookie;
//   7. otherwise MFA, accepting only the methods that satisfy every remaining requirement;
//      if none of the user's methods can but one the user may register would, the user proves
//      a method they have and registers it (register-instead.ts); else the sign-in is blocked
//      with the reason.
// The reads and the what-if variant are decide-service.ts.
import type { CodeHasher } from '../crypto/code-hash.ts';
import type { MethodRegistry } from '../methods/registry.ts';
import type { PolicySet } from '../policy/compile.ts';
import { NO_SESSION_CONTROLS, type PolicyEvaluation } from '../policy/evaluation.ts';
import type { AuthMethod, RiskFacts } from '../policy/model.ts';
import {
  type GrantRequirement,
  isPlainMfaRequirement,
  requirementMessage,
  unmetRequirements,
} from '../policy/strength.ts';
import type { MethodRecord, Repository, UserMfaState } from '../store/ports.ts';
import type { RememberedDevices } from '../trust/remembered-devices.ts';
import type { TrustedNetworks } from '../trust/trusted-networks.ts';
import type { AuditLog } from './audit-log.ts';
import { APP_PASSWORD_AMR, firstFactorMethods, secondFactorCandidates } from './auth-methods.ts';
import type { Clock } from './capabilities.ts';
import type { Decision, DecisionContext, DecisionFacts, DecisionReason } from './decision.ts';
import type { Lockout } from './lockout.ts';
import type { PolicySource } from './policy-source.ts';
import { registerInstead } from './register-instead.ts';

/** The application's user directory (the `directory` option). */
export interface Directory {
  /** Groups and roles of a user, for policy assignments. */
  subject(
    userId: string,
  ): Promise<{ groups?: string[]; roles?: string[] }> | { groups?: string[]; roles?: string[] };
}

export const DAY_MS = 86_400_000;
const USER_STATE = 'user_state';
/** The source of the requirement a relying party asked for (acr_values). */
export const REQUESTED = 'requested';

export interface Signals {
  userState: UserMfaState;
  methods: MethodRecord[];
  consecutiveFailures: number;
  subject: { groups: string[]; roles: string[] };
  device: { remembered: false } | { remembered: true; id: string; createdAt: number };
  risk: RiskFacts;
  time: number;
}

export interface DecideDeps {
  repository: Repository;
  lockout: Lockout;
  trustedNetworks: TrustedNetworks;
  rememberedDevices: RememberedDevices;
  policies: PolicySource;
  directory: Directory | undefined;
  methods: MethodRegistry;
  hasher: CodeHasher;
  defaultUserState: UserMfaState;
  defaultApp: string;
  hardLimit: number;
  rememberEnabled: boolean;
  audit: AuditLog;
  clock: Clock;
}

export function combineSignals(
  deps: DecideDeps,
  set: PolicySet,
  ctx: DecisionContext,
  s: Signals,
  explain: boolean,
): Decision {
  const app = ctx.app ?? deps.defaultApp;
  const methods = s.methods.map(deps.methods.summarize);
  const base: Omit<DecisionFacts, 'reasons'> = {
    methods,
    userState: s.userState,
    sessionControls: NO_SESSION_CONTROLS,
    subject: s.subject,
    risk: s.risk,
    app,
  };
  if (s.consecutiveFailures >= deps.hardLimit) {
    return {
      ...base,
      action: 'block',
      requirements: [],
      userMessage: null,
      reasons: [
        {
          code: 'account_locked',
          message: 'too many consecutive failed verifications; an administrator must reset',
        },
      ],
    };
  }

  const amr = ctx.amr ?? ['pwd'];
  // An app password signs in legacy clients only (beginSignIn refuses the rest; what-if says so).
  if (amr.includes(APP_PASSWORD_AMR) && ctx.clientAppType !== 'legacy') {
    return {
      ...base,
      action: 'block',
      requirements: [],
      userMessage: 'An app password signs in only the application it was made for.',
      reasons: [{ code: 'app_password_not_legacy', message: 'an app password signs in legacy clients only' }],
    };
  }

  let policy: PolicyEvaluation | undefined;
  if (set.active) {
    policy = set.evaluate(
      {
        userId: ctx.userId,
        groups: s.subject.groups,
        roles: s.subject.roles,
        app,
        authenticationContexts: ctx.authenticationContexts,
        ip: ctx.ip,
        clientAppType: ctx.clientAppType,
        deviceRemembered: s.device.remembered,
        risk: s.risk,
        time: s.time,
      },
      { explain },
    );
  }
  const reasons: DecisionReason[] = [];
  const withPolicy = { ...base, ...(policy ? { policy, sessionControls: policy.sessionControls } : {}) };
  if (policy?.action === 'block') {
    return {
      ...withPolicy,
      action: 'block',
      requirements: [],
      userMessage: 'Your organisation does not allow this sign-in.',
      reasons: [{ code: 'policy_block', message: `blocked by policy ${policy.blockedBy.join(', ')}` }],
    };
  }

  let requirements: GrantRequirement[] = [];
  if (s.userState === 'disabled') {
    reasons.push({ code: 'user_mfa_disabled', message: 'MFA is disabled for this user' });
  } else {
    reasons.push({ code: `user_mfa_${s.userState}`, message: `MFA is ${s.userState} for this user` });
    requirements.push({ source: USER_STATE, operator: 'requireOne', strengths: ['mfa'] });
  }
  for (const r of policy?.requirements ?? []) {
    requirements.push(r);
    reasons.push({
      code: 'policy_requires',
      message: `policy ${r.source} requires ${r.strengths.join(` ${r.operator === 'requireAll' ? 'and' : 'or'} `)}`,
    });
  }
  if (ctx.requestedStrengths && ctx.requestedStrengths.length > 0) {
    requirements.push({ source: REQUESTED, operator: 'requireOne', strengths: [...ctx.requestedStrengths] });
    reasons.push({
      code: 'requested_strength',
      message: `the application asked for ${ctx.requestedStrengths.join(' or ')}`,
    });
  }
  if (requirements.length === 0) {
    return { ...withPolicy, action: 'allow', allowedBy: 'user_disabled', reasons };
  }

  // An app password stands for the second factor the user set up: with none left, it is only a password.
  const first = firstFactorMethods(amr).filter((m) => m !== 'appPassword' || s.methods.length > 0);
  const strengths = set.strengths;
  const satisfiedWith = (extra: AuthMethod | null, reqs = requirements) =>
    unmetRequirements(extra === null ? first : [...first, extra], reqs, strengths).length === 0;
  const messageFor = (reqs: GrantRequirement[]) =>
    requirementMessage(
      reqs.filter((r) => r.source !== USER_STATE),
      strengths,
    );

  // A Temporary Access Pass is for setting up methods: a user who has none registers one now.
  const onboarding = s.methods.length === 0 && first.includes('temporaryAccessPass');
  if (satisfiedWith(null) && !onboarding) {
    reasons.push({
      code: 'first_factor_sufficient',
      message: 'the first factor satisfies every requirement',
    });
    return { ...withPolicy, action: 'allow', allowedBy: 'first_factor', reasons };
  }

  if (s.methods.length === 0) {
    // Only the kinds whose registration meets the requirements (a policy needing a passkey: not an app).
    const enrollKinds = deps.methods.enrollable
      .filter((m) => satisfiedWith(m.enrollment.strength))
      .map((m) => m.kind);
    if (enrollKinds.length === 0) {
      return {
        ...withPolicy,
        action: 'block',
        requirements,
        userMessage:
          messageFor(requirements) ?? 'Your organisation requires a sign-in method you have not set up.',
        reasons: [
          ...reasons,
          {
            code: 'strength_unavailable',
            message: 'no method the user could register here satisfies the requirements',
          },
        ],
      };
    }
    return {
      ...withPolicy,
      action: 'mfa',
      step: 'enroll',
      requirements,
      enrollKinds,
      reasons: [
        ...reasons,
        { code: 'no_method_registered', message: 'the user must register a method first' },
      ],
    };
  }

  const network = ctx.allowTrustedNetwork === false ? null : deps.trustedNetworks.match(ctx.ip);
  if (network !== null && requirements.some((r) => r.source === USER_STATE)) {
    requirements = requirements.filter((r) => r.source !== USER_STATE);
    reasons.push({ code: 'trusted_network', message: `client address is in trusted network ${network}` });
    if (requirements.length === 0 || satisfiedWith(null))
      return {
        ...withPolicy,
        action: 'allow',
        allowedBy: 'trusted_network',
        trustedNetwork: network,
        reasons,
      };
  }

  if (s.device.remembered) {
    const controls = withPolicy.sessionControls;
    const age = s.time - s.device.createdAt;
    const refusal = !controls.rememberDeviceAllowed
      ? 'a policy does not allow remembered devices here'
      : controls.rememberDeviceMaxDays !== null && age > controls.rememberDeviceMaxDays * DAY_MS
        ? `the device was remembered more than ${controls.rememberDeviceMaxDays} days ago`
        : controls.signInFrequencyMs !== null && age > controls.signInFrequencyMs
          ? 'the sign-in frequency has passed since the device was remembered'
          : null;
    if (refusal !== null) {
      reasons.push({ code: 'remember_not_allowed', message: refusal });
    } else {
      // What the application asked for explicitly is never met by a cookie.
      const remaining = requirements.filter((r) => r.source === REQUESTED || !isPlainMfaRequirement(r));
      if (remaining.length === 0 || satisfiedWith(null, remaining)) {
        return {
          ...withPolicy,
          action: 'allow',
          allowedBy: 'remembered_device',
          rememberedDeviceId: s.device.id,
          rememberedDeviceAt: s.device.createdAt,
          reasons: [
            ...reasons,
            { code: 'remembered_device', message: 'a valid remembered device for this user' },
          ],
        };
      }
      reasons.push({
        code: 'remembered_device_insufficient',
        message: 'a remembered device does not satisfy the stronger requirement',
      });
    }
  }

  // The method that was the first factor (a passkey without a password) cannot be the second too.
  const others = secondFactorCandidates(s.methods, {
    amr: ctx.amr ?? ['pwd'],
    methodId: ctx.firstFactorMethodId,
  });
  const allowed = others.filter((m) => {
    const strength = deps.methods.strengthOf(m);
    return strength !== null && satisfiedWith(strength);
  });
  const userMessage = messageFor(requirements);
  if (allowed.length === 0) {
    const upgrade = registerInstead(deps.methods, set, {
      ...ctx,
      groups: s.subject.groups,
      roles: s.subject.roles,
      risk: s.risk,
      time: s.time,
      methods: others,
      first,
      satisfiedWith,
    });
    if (upgrade.kinds.length > 0 && upgrade.blockedBy === null) {
      return {
        ...withPolicy,
        action: 'mfa',
        step: 'register_method',
        requirements,
        allowedMethodIds: upgrade.proofIds,
        allowRecovery: true,
        proofRequired: !first.includes('temporaryAccessPass'),
        enrollKinds: upgrade.kinds,
        userMessage: userMessage ?? null,
        reasons: [
          ...reasons,
          {
            code: 'register_method',
            message: `none of the user's methods satisfies the requirements; registering ${upgrade.kinds.join(' or ')} would, and registration is allowed: the user proves a method they have, then registers one`,
          },
        ],
      };
    }
    if (upgrade.kinds.length > 0)
      reasons.push({
        code: 'registration_blocked',
        message: `registering ${upgrade.kinds.join(' or ')} would satisfy the requirements, but policy ${upgrade.blockedBy} does not allow the user to register a method here`,
      });
    return {
      ...withPolicy,
      action: 'block',
      requirements,
      userMessage: userMessage ?? 'None of your sign-in methods is allowed here.',
      reasons: [
        ...reasons,
        { code: 'strength_unavailable', message: "none of the user's methods satisfies the requirements" },
      ],
    };
  }
  return {
    ...withPolicy,
    action: 'mfa',
    step: 'second_factor',
    requirements,
    allowedMethodIds: allowed.map((m) => m.id),
    allowRecovery: satisfiedWith('recoveryCode'),
    userMessage: userMessage ?? null,
    reasons: [...reasons, { code: 'second_factor_required', message: 'a second factor is required' }],
  };
}
