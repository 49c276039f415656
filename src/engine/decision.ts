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
  trustedNetwork?: string;
}

export interface DecisionContext {
  userId: string;
  /** The client address, as resolved by the trusted-proxy rules. */
  ip: string;
  /** The remembered-device cookie value, if the request carried one. */
  rememberedDeviceCookie?: string | undefined;
  requestId?: string | undefined;
}
