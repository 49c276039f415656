import pino from 'pino';

/**
 * Typed audit events. Never a secret, a code, a seed or a cookie value in one: `detail`
 * says which check failed (for the operator), the user only ever sees a generic message.
 */
export type AuditEventType =
  | 'enrolled'
  | 'method_removed'
  | 'recovery_codes_generated'
  | 'challenge_issued'
  | 'verified'
  | 'verify_failed'
  | 'locked'
  | 'throttled'
  | 'remembered_device_created'
  | 'remembered_device_used'
  | 'remembered_device_rejected'
  | 'remembered_device_revoked'
  | 'skipped_trusted_network'
  | 'skipped_user_disabled'
  | 'signin_completed'
  | 'signin_blocked'
  | 'user_reset'
  | 'sessions_revoked'
  | 'user_state_changed'
  | 'tokens_imported'
  | 'token_assigned'
  | 'counter_resynced'
  | 'policies_changed'
  | 'fraud_flag_changed'
  | 'first_factor_verified'
  | 'first_factor_failed'
  | 'first_factor_throttled'
  | 'registration_refused'
  | 'access_pass_issued'
  | 'access_pass_replaced'
  | 'access_pass_revoked'
  | 'access_pass_verified'
  | 'access_pass_failed';

export interface AuditEvent {
  type: AuditEventType;
  at: number;
  userId: string | null;
  ip?: string | undefined;
  requestId?: string | undefined;
  methodId?: string | undefined;
  methodKind?: string | undefined;
  /** Machine-readable reason, e.g. `code_mismatch`, `replayed_step`, `cookie_wrong_user`. */
  detail?: string | undefined;
  data?: Record<string, string | number | boolean | null> | undefined;
}

/** Where audit events go. Sinks must not throw; a failing sink is reported, never fatal to sign-in. */
export type AuditSink = (event: AuditEvent) => void | Promise<void>;

/** The default sink: one JSON line per event via pino, to stdout (or the given destination). */
export function pinoAuditSink(destination?: pino.DestinationStream): AuditSink {
  const logger = destination
    ? pino({ base: { component: 'mfakit-audit' } }, destination)
    : pino({ base: { component: 'mfakit-audit' } });
  return (event) => {
    logger.info({ audit: event }, event.type);
  };
}

/** Fans one event out to several sinks. */
export function combineSinks(...sinks: AuditSink[]): AuditSink {
  return async (event) => {
    await Promise.all(sinks.map((s) => s(event)));
  };
}
