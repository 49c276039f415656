// What `decide()` returns: data, not control flow, as a union that says which state a sign-in is
// in. `allow` says how (the user's MFA is disabled, the first factor satisfies everything, a
// trusted network with its name, a remembered device with its id and age), `mfa` whether a
// second factor (with the methods that may give it) or the first method's enrollment comes
// next, `block` the message for the user. The integrations act on `action`; the audit and the
// what-if views read `reasons` and `policy`. Conditional-access policies (their own module) add
// reasons and may tighten the action; they never loosen a `block`.

import type { MethodSummary } from '../methods/method.ts';
import type { PolicyEvaluation, SessionControls } from '../policy/evaluation.ts';
import type { ClientAppType, RiskFacts, UserAction } from '../policy/model.ts';
import type { GrantRequirement } from '../policy/strength.ts';
import type { UserMfaState } from '../store/ports.ts';

export type DecisionAction = 'allow' | 'mfa' | 'block';

/** Why a sign-in needs no second factor now: the skips, kept in the stamp (`skippedBy`). */
export type SkipReason = 'user_disabled' | 'trusted_network' | 'remembered_device';

export interface DecisionReason {
  /** Stable, machine-readable. */
  code: string;
  /** For operators; safe to show in an admin view. */
  message: string;
}

export type { MethodSummary } from '../methods/method.ts';

/** What every decision carries, whatever its state. */
export interface DecisionFacts {
  reasons: DecisionReason[];
  /** The user's registered second-factor methods (no secrets). */
  methods: MethodSummary[];
  userState: UserMfaState;
  sessionControls: SessionControls;
  /** The conditional-access evaluation with its reasons, when policies are active. */
  policy?: PolicyEvaluation;
  /** Groups and roles the directory gave, and the risk signals computed: kept in the stamp. */
  subject: { groups: string[]; roles: string[] };
  risk: RiskFacts;
  app: string;
  /** Set when this is the decision for a user action (what-if of registering a method), not a sign-in. */
  userAction?: UserAction;
}

/** No second factor: MFA is disabled for the user, or the first factor satisfies every requirement (an upstream's MFA, a Temporary Access Pass). */
export interface AllowedByUserOrFirstFactor extends DecisionFacts {
  action: 'allow';
  allowedBy: 'user_disabled' | 'first_factor';
}

/** The per-user requirement is lifted for the trusted network the client address is in. */
export interface AllowedByTrustedNetwork extends DecisionFacts {
  action: 'allow';
  allowedBy: 'trusted_network';
  trustedNetwork: string;
}

/** A valid remembered device stands in for the second factor. */
export interface AllowedByRememberedDevice extends DecisionFacts {
  action: 'allow';
  allowedBy: 'remembered_device';
  rememberedDeviceId: string;
  /** When that device was remembered (its MFA was done then). */
  rememberedDeviceAt: number;
}

/** No second factor now, and how. */
export type AllowDecision = AllowedByUserOrFirstFactor | AllowedByTrustedNetwork | AllowedByRememberedDevice;

/** A second factor from one of `allowedMethodIds` (or a recovery code, with `allowRecovery`). */
export interface SecondFactorDecision extends DecisionFacts {
  action: 'mfa';
  step: 'second_factor';
  /** What is still required after the skip rules: the per-user state and the policies that apply. */
  requirements: GrantRequirement[];
  /** The user's methods that can satisfy `requirements` (ids); the prompt accepts only these. */
  allowedMethodIds: string[];
  /** Whether a recovery code satisfies `requirements`. */
  allowRecovery: boolean;
  /** A short sentence for the user ("Your organisation requires a passkey or security key for this app."), if any. */
  userMessage: string | null;
}

/** The user has no method yet: the next step is registering one that satisfies `requirements`. */
export interface EnrollDecision extends DecisionFacts {
  action: 'mfa';
  step: 'enroll';
  requirements: GrantRequirement[];
  /** The kinds of method whose registration meets `requirements` (what the chooser offers). */
  enrollKinds: string[];
}

/**
 * None of the user's methods meets `requirements`, but a method they may register does
 * ("interrupt mode", as in Entra ID): the user proves a method they have (`allowedMethodIds`,
 * recovery codes if `allowRecovery`; nothing more after a Temporary Access Pass, which is
 * `proofRequired: false`), registers one of `enrollKinds`, and the sign-in completes with it.
 */
export interface RegisterMethodDecision extends DecisionFacts {
  action: 'mfa';
  step: 'register_method';
  requirements: GrantRequirement[];
  allowedMethodIds: string[];
  allowRecovery: boolean;
  proofRequired: boolean;
  /** The kinds of method whose registration would meet `requirements` (e.g. `webauthn`). */
  enrollKinds: string[];
  userMessage: string | null;
}

export type MfaDecision = SecondFactorDecision | EnrollDecision | RegisterMethodDecision;

/** Refused: `requirements` are what nothing the user has could meet (empty for a lock or a block policy). */
export interface BlockDecision extends DecisionFacts {
  action: 'block';
  requirements: GrantRequirement[];
  /** What the user is told (never the full explanation); null: the generic refusal. */
  userMessage: string | null;
}

export type Decision = AllowDecision | MfaDecision | BlockDecision;

/** Whether the decision sends the user to register a first method. */
export const mustEnroll = (decision: Decision): boolean =>
  decision.action === 'mfa' && decision.step === 'enroll';

/** The decision's message for the user, on the states that have one. */
export const userMessageOf = (decision: Decision): string | null =>
  decision.action === 'block' || (decision.action === 'mfa' && decision.step !== 'enroll')
    ? decision.userMessage
    : null;

/** The skip a stamp records for an `allow` (null when the first factor was enough: nothing was skipped). */
export const skipOf = (decision: AllowDecision): SkipReason | null =>
  decision.allowedBy === 'first_factor' ? null : decision.allowedBy;

export interface DecisionContext {
  userId: string;
  /** The client address, as resolved by the trusted-proxy rules. */
  ip: string;
  /** The remembered-device cookie value, if the request carried one. */
  rememberedDeviceCookie?: string | undefined;
  requestId?: string | undefined;
  /** RFC 8176 values of the first factor. Default ['pwd']. */
  amr?: string[] | undefined;
  /** The application (client id / app name) for conditional access. Default: the engine's `defaultApp`. */
  app?: string | undefined;
  authenticationContexts?: string[] | undefined;
  clientAppType?: ClientAppType | undefined;
  userAgent?: string | undefined;
  /**
   * Strengths the relying party asked for (e.g. OIDC `acr_values` mapped to `mfa` or
   * `phishingResistant`): one of them must be met by factors verified in this sign-in. A
   * trusted network or a remembered device never stands in for it.
   */
  requestedStrengths?: string[] | undefined;
  /** The method that gave the first factor (a passkey without a password): never also the second. */
  firstFactorMethodId?: string | undefined;
  /**
   * false: `ip` may not lift MFA by a trusted network — it is not known to be the user's own
   * (a RADIUS server's sign-ins: see mfakit/radius's `trustedNetworks`). Default true.
   */
  allowTrustedNetwork?: boolean | undefined;
}

/** A hypothetical sign-in for `whatIf()`: signals can be given instead of computed. */
export interface WhatIfContext extends Omit<DecisionContext, 'rememberedDeviceCookie'> {
  groups?: string[] | undefined;
  roles?: string[] | undefined;
  deviceRemembered?: boolean | undefined;
  /** How many days ago the remembered device was registered (with `deviceRemembered`). Default 0. */
  deviceAgeDays?: number | undefined;
  risk?: RiskFacts | undefined;
  /** ms since the epoch. Default: now. */
  time?: number | undefined;
  /**
   * A user action instead of a sign-in: `registerSecurityInfo` asks whether this user may register
   * a method (only user-action policies apply; `amr` is what the session has verified).
   */
  userAction?: UserAction | undefined;
}
