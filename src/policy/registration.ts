// Conditional access for registering a method (the user action `registerSecurityInfo`): the
// policies that list it in `userActions` decide, exactly as application policies decide a
// sign-in (block wins; every grant of the matching `on` policies must be met together), and
// nothing else does: application policies, the per-user MFA state, trusted networks and
// remembered devices are sign-in matters. Pure: a compiled set and facts in, data out.
import type { PolicySet } from './compile.ts';
import type { PolicyEvaluation } from './evaluation.ts';
import type { PolicyContext } from './model.ts';
import {
  type GrantRequirement,
  isPlainMfaRequirement,
  requirementMessage,
  unmetRequirements,
} from './strength.ts';

/**
 * The facts of a registration request; there is no application (a user action is not one), and
 * no remembered device (a sign-in matter: the model refuses `deviceState` on a user-action policy).
 */
export type RegistrationContext = Omit<
  PolicyContext,
  'app' | 'userAction' | 'authenticationContexts' | 'deviceRemembered'
>;

export interface RegistrationEvaluation {
  /** `require`: registering needs `unmet` first (e.g. a verified existing method or a Temporary Access Pass). */
  action: 'allow' | 'block' | 'require';
  /** What the matching `on` user-action policies require, all together (empty: nothing). */
  requirements: GrantRequirement[];
  /** The requirements `options.methods` leaves unmet; all of them when no methods were given. */
  unmet: GrantRequirement[];
  /** Why, for the audit and what-if (`policy_block`, `policy_requires`, `no_registration_policy`, `requirements_met`). */
  reasons: { code: string; message: string }[];
  /** A short sentence for the user when blocked or when more is required. */
  userMessage?: string;
  /** Ids of the `on` policies that block. */
  blockedBy: string[];
  /** The full evaluation (every policy with `explain`; report-only results included). */
  policy: PolicyEvaluation;
}

export const REGISTRATION_BLOCKED_MESSAGE =
  'Your organisation does not allow registering security info here.';
export const REGISTRATION_MFA_MESSAGE =
  'To register security info here, first verify with a method you already have, or use a Temporary Access Pass from your administrator.';

const requirementText = (r: GrantRequirement) =>
  r.strengths.join(` ${r.operator === 'requireAll' ? 'and' : 'or'} `);

/**
 * Whether this user may register a method now. `methods` are the strength method names the
 * current session has verified (e.g. `['password']`, `['password', 'totp']`,
 * `['temporaryAccessPass']`): the requirements they satisfy are met, and the action is `allow`
 * when none is left. Without `methods`, every requirement counts as unmet.
 */
export function evaluateRegistration(
  set: PolicySet,
  ctx: RegistrationContext,
  options: { methods?: readonly string[]; explain?: boolean } = {},
): RegistrationEvaluation {
  const policy = set.evaluate(
    { ...ctx, app: '', userAction: 'registerSecurityInfo' },
    { explain: options.explain === true },
  );
  const requirements = policy.requirements;
  if (policy.action === 'block')
    return {
      action: 'block',
      requirements,
      unmet: [],
      reasons: [{ code: 'policy_block', message: `blocked by policy ${policy.blockedBy.join(', ')}` }],
      userMessage: REGISTRATION_BLOCKED_MESSAGE,
      blockedBy: policy.blockedBy,
      policy,
    };
  const reasons = requirements.map((r) => ({
    code: 'policy_requires',
    message: `policy ${r.source} requires ${requirementText(r)} to register security info`,
  }));
  if (requirements.length === 0)
    reasons.push({
      code: 'no_registration_policy',
      message: 'no policy governs registering security info here',
    });
  const unmet =
    options.methods === undefined
      ? requirements
      : unmetRequirements(options.methods, requirements, set.strengths);
  if (unmet.length === 0) {
    if (requirements.length > 0)
      reasons.push({
        code: 'requirements_met',
        message: `the session's methods (${options.methods?.join(', ')}) satisfy every requirement`,
      });
    return { action: 'allow', requirements, unmet, reasons, blockedBy: [], policy };
  }
  const stronger = requirementMessage(
    unmet.filter((r) => !isPlainMfaRequirement(r)),
    set.strengths,
  );
  return {
    action: 'require',
    requirements,
    unmet,
    reasons,
    userMessage: stronger ?? REGISTRATION_MFA_MESSAGE,
    blockedBy: [],
    policy,
  };
}
