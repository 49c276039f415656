import type { PolicyEvaluation, SessionControls } from '../policy/evaluation.ts';
import type { ClientAppType, RiskFacts, UserAction } from '../policy/model.ts';
import type { GrantRequirement } from '../policy/strength.ts';
import type { MethodRecord, UserMfaState } from '../store/ports.ts';

/**
 * What `decide()` returns: data, not control flow. The integrations act on `action`; the
 * audit and the what-if views read `reasons`. Conditional-access policies (their own
 * module) add reasons and may tighten the action; they never loosen a `block`.
 */
export type DecisionAction = 'allow' | 'mfa' | 'block';

export type SkipReason = 'user_disabled' | 'trusted_network' | 'remembered_device';

export interface DecisionReason {
  /** Stable, machine-readable. */
  code: string;
  /** For operators; safe to show in an admin view. */
  message: string;
}

export interface MethodSummary {
  id: string;
  kind: string;
  label: string;
  tokenSerial: string | null;
  createdAt: number;
  lastUsedAt: number | null;
}

/** A method as it may leave the engine: no sealed secret. */
export function toMethodSummary(m: MethodRecord): MethodSummary {
  return {
    id: m.id,
    kind: m.kind,
    label: m.label,
    tokenSerial: m.tokenSerial,
    createdAt: m.createdAt,
    lastUsedAt: m.lastUsedAt,
  };
}

export interface Decision {
  action: DecisionAction;
  reasons: DecisionReason[];
  /** The user's registered second-factor methods (no secrets). */
  methods: MethodSummary[];
  /** MFA is required but the user has no method yet: the next step is enrollment. */
  mustEnroll: boolean;
  userState: UserMfaState;
  skippedBy?: SkipReason;
  rememberedDeviceId?: string;
  /** When the remembered device used was registered (its MFA was done then). */
  rememberedDeviceAt?: number;
  trustedNetwork?: string;
  /** What is still required after the skip rules: the per-user state and the policies that apply. */
  requirements: GrantRequirement[];
  /** The user's methods that can satisfy `requirements` (ids); the prompt accepts only these. */
  allowedMethodIds: string[];
  /** Whether a recovery code satisfies `requirements`. */
  allowRecovery: boolean;
  sessionControls: SessionControls;
  /** The conditional-access evaluation with its reasons, when policies are active. */
  policy?: PolicyEvaluation;
  /** A short sentence for the user ("Your organisation requires a security key for this app."). */
  userMessage?: string;
  /** Groups and roles the directory gave, and the risk signals computed: kept in the stamp. */
  subject: { groups: string[]; roles: string[] };
  risk: RiskFacts;
  app: string;
  /** Set when this is the decision for a user action (what-if of registering a method), not a sign-in. */
  userAction?: UserAction;
}

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
