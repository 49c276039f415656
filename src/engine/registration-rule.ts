// Registering a sign-in method is a privileged act: whoever registers one can pass the second
// factor from then on. One rule, here, for every integration (Express pages and API, Passport,
// the OIDC step, the enrollment at sign-in):
//   - the first method needs a recent first factor (a password or Temporary Access Pass checked
//     within `reauthMaxAgeSeconds`): a long-lived or stolen session cannot register the
//     holder's authenticator;
//   - a further method needs a recent real second factor, or a recent Temporary Access Pass
//     (which, as in Entra ID, counts as a strong sign-in);
//   - conditional-access policies that target the user action `registerSecurityInfo` apply
//     on top: a block refuses, a grant must be met by what this sign-in verified.
import type { AuthMethod } from '../policy/model.ts';
import type { Clock } from './capabilities.ts';

/** What a session or pending sign-in has proven, for the registration rule. */
export interface RegistrationFacts {
  userId: string;
  /** Whether the user has any method registered now. */
  hasMethods: boolean;
  /** When the first factor was checked (ms). */
  firstFactorAt: number;
  /** When a second factor was last really verified (ms), or null. */
  mfaAt: number | null;
  /** Methods this sign-in verified (first factor included), e.g. ['password'] or ['temporaryAccessPass']. */
  methods: readonly AuthMethod[];
  ip: string;
  app: string;
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

/** A registration policy's verdict (see policy/registration.ts); null when no policy applies. */
export type RegistrationPolicyCheck = (
  facts: RegistrationFacts,
) => Promise<{ allowed: true } | { allowed: false; message: string; policy: string }>;

export const REGISTRATION_MESSAGES: Record<RegistrationRefusal, string> = {
  signin_too_old: 'Sign in again before adding a sign-in method.',
  reverify_required: 'Confirm your identity with a second factor first.',
  registration_blocked: 'Your organisation does not allow registering a sign-in method from here.',
};

export interface RegistrationRule {
  check(facts: RegistrationFacts): Promise<RegistrationVerdict>;
  /** Whether the first factor at `firstFactorAt` is recent enough to register a first method. */
  isRecent(at: number): boolean;
}

export function createRegistrationRule(deps: {
  clock: Clock;
  maxAgeSeconds: number;
  policy?: RegistrationPolicyCheck | undefined;
}): RegistrationRule {
  const isRecent = (at: number | null) => at !== null && deps.clock.now() - at <= deps.maxAgeSeconds * 1000;
  const refuse = (reason: RegistrationRefusal): RegistrationVerdict => ({
    allowed: false,
    reason,
    message: REGISTRATION_MESSAGES[reason],
  });
  return {
    isRecent,
    async check(facts) {
      if (!facts.hasMethods) {
        if (!isRecent(facts.firstFactorAt)) return refuse('signin_too_old');
      } else {
        const strongFirst =
          (facts.methods as readonly string[]).includes('temporaryAccessPass') &&
          isRecent(facts.firstFactorAt);
        if (!strongFirst && !isRecent(facts.mfaAt)) return refuse('reverify_required');
      }
      if (!deps.policy) return { allowed: true };
      const verdict = await deps.policy(facts);
      if (verdict.allowed) return verdict;
      return {
        allowed: false,
        reason: 'registration_blocked',
        message: verdict.message,
        policy: verdict.policy,
      };
    },
  };
}
