// The what-if of a user action (`registerSecurityInfo`): may this user register a method now,
// and what must the session have verified first? It reuses the Decision type: `allow` by
// `first_factor` (no policy asks more than the first factor), `block` (the account is
// hard-locked, a policy blocks, or nothing the user has or could be given satisfies it), or
// `mfa` (step `second_factor`) with the `requirements` to meet first and the registered
// methods that meet them (`allowedMethodIds`, empty when only a Temporary Access Pass does).
// Only user-action policies apply: the per-user MFA state, trusted networks and remembered
// devices are sign-in matters.
import type { MethodRegistry } from '../methods/registry.ts';
import type { PolicySet } from '../policy/compile.ts';
import { NO_SESSION_CONTROLS } from '../policy/evaluation.ts';
import type { AuthMethod, RiskFacts } from '../policy/model.ts';
import { evaluateRegistration, REGISTRATION_MFA_MESSAGE } from '../policy/registration.ts';
import { unmetRequirements } from '../policy/strength.ts';
import type { MethodRecord, UserMfaState } from '../store/ports.ts';
import { firstFactorMethods } from './auth-methods.ts';
import type { Decision, DecisionFacts, DecisionReason, WhatIfContext } from './decision.ts';

export interface RegistrationSignals {
  userState: UserMfaState;
  methods: MethodRecord[];
  consecutiveFailures: number;
  subject: { groups: string[]; roles: string[] };
  device: { remembered: boolean };
  risk: RiskFacts;
  time: number;
}

const TAP: AuthMethod = 'temporaryAccessPass';

export function registrationWhatIf(
  set: PolicySet,
  ctx: WhatIfContext,
  s: RegistrationSignals,
  limits: { hardLimit: number; defaultApp: string; methods: MethodRegistry },
): Decision {
  const userAction = ctx.userAction ?? 'registerSecurityInfo';
  const base: Omit<DecisionFacts, 'reasons'> = {
    methods: s.methods.map(limits.methods.summarize),
    userState: s.userState,
    sessionControls: NO_SESSION_CONTROLS,
    subject: s.subject,
    risk: s.risk,
    app: ctx.app ?? limits.defaultApp,
    userAction,
  };
  const intro: DecisionReason = {
    code: 'user_action',
    message: `user action ${userAction}: only policies that target it apply`,
  };
  if (s.consecutiveFailures >= limits.hardLimit)
    return {
      ...base,
      action: 'block',
      requirements: [],
      userMessage: null,
      reasons: [
        intro,
        {
          code: 'account_locked',
          message: 'too many consecutive failed verifications; an administrator must reset',
        },
      ],
    };

  const first = firstFactorMethods(ctx.amr ?? ['pwd']);
  const result = evaluateRegistration(
    set,
    {
      userId: ctx.userId,
      groups: s.subject.groups,
      roles: s.subject.roles,
      ip: ctx.ip,
      clientAppType: ctx.clientAppType,
      risk: s.risk,
      time: s.time,
    },
    { methods: first, explain: true },
  );
  const withPolicy = { ...base, policy: result.policy };
  const reasons = [intro, ...result.reasons];
  if (result.action === 'block')
    return {
      ...withPolicy,
      action: 'block',
      requirements: [],
      reasons,
      userMessage: result.userMessage ?? null,
    };
  if (result.action === 'allow')
    return { ...withPolicy, action: 'allow', allowedBy: 'first_factor', reasons };

  const requirements = result.requirements;
  const satisfiedWith = (extra: AuthMethod) =>
    unmetRequirements([...first, extra], requirements, set.strengths).length === 0;
  const allowed = s.methods.filter((m) => {
    const strength = limits.methods.strengthOf(m);
    return strength !== null && satisfiedWith(strength);
  });
  const byPass = satisfiedWith(TAP);
  const userMessage = result.userMessage ?? REGISTRATION_MFA_MESSAGE;
  if (allowed.length === 0 && !byPass)
    return {
      ...withPolicy,
      action: 'block',
      requirements,
      userMessage,
      reasons: [
        ...reasons,
        {
          code: 'strength_unavailable',
          message: "neither the user's methods nor a Temporary Access Pass satisfies the requirements",
        },
      ],
    };
  return {
    ...withPolicy,
    action: 'mfa',
    step: 'second_factor',
    requirements,
    allowedMethodIds: allowed.map((m) => m.id),
    allowRecovery: satisfiedWith('recoveryCode'),
    userMessage,
    reasons: [
      ...reasons,
      allowed.length > 0
        ? {
            code: 'second_factor_required',
            message: `verify with a registered method${byPass ? ' (or a Temporary Access Pass)' : ''} before registering`,
          }
        : {
            code: 'temporary_access_pass_required',
            message: "none of the user's methods satisfies the requirements; a Temporary Access Pass does",
          },
    ],
  };
}
