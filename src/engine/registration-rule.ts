// Registering a sign-in method is a privileged act: whoever registers one can pass the second
// factor from then on. One rule, here, for every integration (Express pages and API, Passport,
// the OIDC step, the enrollment at sign-in):
//   - the first method needs a recent first factor (a password or Temporary Access Pass checked
//     within `reauthMaxAgeSeconds`): a long-lived or stolen session cannot register the
//     holder's authenticator;
//   - a further method needs a recent real second factor, or a recent Temporary Access Pass
//     (which, as in Entra ID, counts as a strong sign-in);
//   - conditional-access policies that target the user action `registerSecurityInfo` apply
//     on top: a block refuses, a grant must be met by what this sign-in verified recently.
// Every refusal is audited (`registration_refused`, with the reason and the policy).
import type { AuthMethod, ClientAppType, RiskFacts } from '../policy/model.ts';
import { evaluateRegistration } from '../policy/registration.ts';
import type { AuditLog } from './audit-log.ts';
import type { Clock } from './capabilities.ts';
import type { PolicySource } from './policy-source.ts';

/** What a session or pending sign-in has proven, for the registration rule. */
export interface RegistrationFacts {
  userId: string;
  /** Whether the user has any method registered now. */
  hasMethods: boolean;
  /** When the first factor was checked (ms). */
  firstFactorAt: number;
  /** When a second factor was last really verified (ms), or null. */
  mfaAt: number | null;
  /** Methods this sign-in verified recently (first factor included), e.g. ['password'] or ['temporaryAccessPass']. */
  methods: readonly AuthMethod[];
  ip: string;
  groups?: readonly string[] | undefined;
  roles?: readonly string[] | undefined;
  clientAppType?: ClientAppType | undefined;
  risk?: RiskFacts | undefined;
}

export type RegistrationRefusal =
  /** Sign in again (the first factor is too old to register a first method). */
  | 'signin_too_old'
  /** Verify an existing method again first. */
  | 'reverify_required'
  /** A registration policy blocks it, or asks for more than this sign-in proved. */
  | 'registration_blocked';

export type RegistrationVerdict =
  | { allowed: true }
  | { allowed: false; reason: RegistrationRefusal; message: string; policy?: string | undefined };

export const REGISTRATION_MESSAGES: Record<RegistrationRefusal, string> = {
  signin_too_old: 'Sign in again before adding a sign-in method.',
  reverify_required: 'Confirm your identity with a second factor first.',
  registration_blocked: 'Your organisation does not allow registering a sign-in method from here.',
};

export interface RegistrationRule {
  /** The verdict for these facts; a refusal is audited with `ctx`. */
  check(
    facts: RegistrationFacts,
    ctx: { ip: string; requestId?: string | undefined },
  ): Promise<RegistrationVerdict>;
  /** Whether a first factor checked at `at` is recent enough to register a first method. */
  isRecent(at: number | null): boolean;
}

export function createRegistrationRule(deps: {
  clock: Clock;
  maxAgeSeconds: number;
  policies: PolicySource;
  audit: AuditLog;
}): RegistrationRule {
  const isRecent = (at: number | null) => at !== null && deps.clock.now() - at <= deps.maxAgeSeconds * 1000;
  const refuse = (reason: RegistrationRefusal): RegistrationVerdict => ({
    allowed: false,
    reason,
    message: REGISTRATION_MESSAGES[reason],
  });

  async function verdictOf(facts: RegistrationFacts): Promise<RegistrationVerdict> {
    if (!facts.hasMethods) {
      if (!isRecent(facts.firstFactorAt)) return refuse('signin_too_old');
    } else {
      const strongFirst = facts.methods.includes('temporaryAccessPass') && isRecent(facts.firstFactorAt);
      if (!strongFirst && !isRecent(facts.mfaAt)) return refuse('reverify_required');
    }
    const set = await deps.policies.current();
    if (!set.userActionsActive) return { allowed: true };
    const evaluation = evaluateRegistration(
      set,
      {
        userId: facts.userId,
        groups: facts.groups,
        roles: facts.roles,
        ip: facts.ip,
        clientAppType: facts.clientAppType,
        risk: facts.risk,
        time: deps.clock.now(),
      },
      // An app password stands for nothing when registering: it is a legacy client's, not a browser's.
      { methods: facts.methods.filter((m) => m !== 'appPassword') },
    );
    if (evaluation.action === 'allow') return { allowed: true };
    return {
      allowed: false,
      reason: 'registration_blocked',
      message: evaluation.userMessage ?? REGISTRATION_MESSAGES.registration_blocked,
      policy: (evaluation.action === 'block'
        ? evaluation.blockedBy
        : evaluation.unmet.map((r) => r.source)
      ).join(' '),
    };
  }

  return {
    isRecent,
    async check(facts, ctx) {
      const verdict = await verdictOf(facts);
      if (!verdict.allowed)
        await deps.audit(facts.userId, ctx, {
          type: 'registration_refused',
          detail: verdict.reason,
          ...(verdict.policy ? { data: { policy: verdict.policy } } : {}),
        });
      return verdict;
    },
  };
}
