// Typed audit events: one variant per `type`, each with exactly its fields, over a common
// envelope (when, whose, from which address, which request). Never a secret, a code, a seed or
// a cookie value in one: `detail` says which check failed (for the operator), the user only
// ever sees a generic message. Sinks and the repository receive these objects as they are, so
// the JSON shape (`type`, `at`, `userId`, `ip`, `requestId`, `methodId`, `methodKind`, `detail`,
// `data`) is the public format of the audit log. Push and keypad call answers are in
// approval-events.ts.
import pino from 'pino';
import type { ApprovalAnswerEvent } from './approval-events.ts';

/** What every event carries. */
export interface AuditEnvelope {
  /** ms since the epoch. */
  at: number;
  /** The user concerned; null when there is none (an unknown account, a change to the policies or the token inventory). */
  userId: string | null;
  /** The client address, as resolved by the trusted-proxy rules. */
  ip?: string | undefined;
  /** The request's `X-Request-Id`, kept only when it is well-formed. */
  requestId?: string | undefined;
}

/** Which policies applied to a sign-in, and what report-only ones would have done (`id=block`, `id=require:a+b`). */
export interface PolicyAuditData {
  policyVersion: number;
  policiesApplied: string;
  reportOnly: string;
}

// ---- the sign-in: decided, skipped, challenged, completed, blocked ----

export type SignInEvent =
  | {
      type: 'challenge_issued';
      detail: 'enrollment_required' | 'second_factor' | 'stronger_method_required';
      /** With active policies. */
      data?: PolicyAuditData | undefined;
    }
  | {
      /** MFA was required but lifted: `detail` is the trusted network (CIDR or name). */
      type: 'skipped_trusted_network';
      detail: string;
    }
  | {
      /** MFA is disabled for the user and nothing else asks for it. */
      type: 'skipped_user_disabled';
    }
  | {
      type: 'signin_completed';
      /** The stamp's amr (space-separated) and acr, and with active policies which applied. */
      data: { amr: string; acr: string } & Partial<PolicyAuditData>;
    }
  | {
      /**
       * A sign-in waiting for its second factor or first method was void: the user's sessions
       * were revoked (sign-out everywhere, reset, fraud flag) or the pass that opened it went,
       * after its first factor. Recorded once, at the sign-in's address, when next used.
       */
      type: 'signin_voided';
    }
  | {
      type: 'signin_blocked';
      /** The reason code that blocked it (`account_locked`, `policy_block`, `strength_unavailable`). */
      detail: string | undefined;
      data?: PolicyAuditData | undefined;
    };

// ---- a second factor checked: passed, failed, refused by the lockout ----

export type VerificationEvent =
  | {
      type: 'verified';
      /** The method used; none for a recovery code. */
      methodId?: string | undefined;
      /** `totp`, `hotp`, `recovery_code`. */
      methodKind: string;
    }
  | {
      type: 'verify_failed';
      /** `code_mismatch`, `replayed_step`, `recovery_code_not_allowed`, `enroll_…`, `resync_…`, `strength_unavailable`… */
      detail: string;
      /** With a hardware token's resynchronisation: the method concerned. */
      methodId?: string | undefined;
      methodKind?: string | undefined;
    }
  | {
      /**
       * The attempt was refused before the code was looked at: `detail` is the lockout's reason.
       * Audited once a minute per kind (the user and reason, or the address for `locked_ip`);
       * `data.unreported`: how many of that kind were refused unaudited since its last row.
       */
      type: 'locked' | 'throttled';
      detail: string;
      data?: { unreported: number };
    }
  | {
      /** A code sent on demand (a text message, a call) or to register a phone: where, masked. */
      type: 'code_sent';
      methodId?: string | undefined;
      methodKind: string;
      data: { channel: string; to: string };
    }
  | {
      /**
       * A send refused: `slow_down` (the send limits; audited once a minute per user, with
       * `unreported` the refusals since), `unknown_method` (not the user's, or not allowed here),
       * `locked` (the user's codes are not checked now: too many wrong ones), `blocked` (the
       * method sends nothing to this user now: push or a keypad call after a fraud report, a
       * keypad call to a phone with no PIN or past its wrong PINs).
       */
      type: 'code_send_refused';
      detail: 'slow_down' | 'unknown_method' | 'locked' | 'blocked';
      methodId?: string | undefined;
      data?: { unreported: number };
    }
  | {
      /** The delivery provider did not take the message. */
      type: 'code_send_failed';
      detail: 'delivery_failed';
      methodId?: string | undefined;
      methodKind: string;
    };

// ---- the user's methods: registered, refused, removed, hardware tokens, recovery codes ----

export type MethodEvent =
  | { type: 'enrolled' | 'method_removed'; methodId: string; methodKind: string }
  | {
      /** The user chose their default sign-in method (`methodId`), or none (no `methodId`). */
      type: 'default_method_changed';
      methodId?: string | undefined;
      methodKind?: string | undefined;
    }
  /** A phone app proved its new key and got its confirmation code; `enrolled` follows once the user types it. */
  | { type: 'device_activated'; methodKind: string }
  | {
      type: 'token_assigned';
      methodId: string;
      methodKind: string;
      /** The token's serial number. */
      detail: string;
    }
  | {
      type: 'counter_resynced';
      methodId: string;
      methodKind: string;
      /** The token's serial number, for a hardware token. */
      detail?: string | undefined;
      data: { from: number; to: number | null };
    }
  | { type: 'recovery_codes_generated'; data: { count: number } }
  | {
      /** The registration rule refused a new method: `detail` is why, `data.policy` which policies. */
      type: 'registration_refused';
      detail: string;
      data?: { policy: string } | undefined;
    };

// ---- remembered devices ("don't ask again on this device") ----

export type RememberedDeviceEvent =
  | {
      /** `detail` is the device id. */
      type: 'remembered_device_created' | 'remembered_device_used';
      detail: string;
    }
  | {
      /** A cookie refused: `detail` is why (`cookie_wrong_user`, `secret_mismatch`, `device_expired`…). */
      type: 'remembered_device_rejected';
      detail: string;
    }
  | {
      /** `detail` is the device id, or `all` with the number revoked in `data`. */
      type: 'remembered_device_revoked';
      detail: string;
      data?: { count: number } | undefined;
    };

// ---- the first factor, through the first-factor gate ----

export type FirstFactorEvent =
  | {
      type: 'first_factor_verified';
      data: { kind: 'password' | 'temporaryAccessPass' | 'passkey' | 'appPassword' | 'legacyClient' };
      /** A passkey sign-in or an app password: the method or app password that proved it. */
      methodId?: string;
      methodKind?: string;
    }
  | {
      type: 'first_factor_failed';
      /**
       * `app_password_required`: a client with no second step sent something other than an app
       * password for an account whose password alone would not sign in there (never checked).
       */
      detail: 'wrong_password' | 'wrong_access_pass' | 'unknown_account' | 'app_password_required';
      /** `legacyClient`: a legacy client's password field (an app password, else the password). */
      data: { kind: 'password' | 'temporaryAccessPass' | 'legacyClient' };
    }
  | {
      /** A passwordless sign-in refused: `detail` is the method's reason (e.g. `unknown_credential`). */
      type: 'first_factor_failed';
      detail: string;
      data: { kind: 'passkey' };
    }
  | {
      /**
       * `detail` is the throttle's reason. Audited once a minute per kind of refusal (an address,
       * or an account's budget); `unreported`: how many of that kind were refused unaudited since
       * the last row of it (absent when none).
       */
      type: 'first_factor_throttled';
      detail: string;
      data: { kind: 'password' | 'temporaryAccessPass' | 'passkey' | 'legacyClient'; unreported?: number };
    };

// ---- app passwords (`methodKind` is always `app_password`, `methodId` the app password's id) ----

export type AppPasswordEvent =
  | {
      type: 'app_password_created';
      methodId: string;
      methodKind: string;
      data: { name: string; apps: string[]; expiresAt: number | null };
    }
  | {
      /** `detail`: `user` (the owner removed it), `admin` (an administrator: this one, or all on a reset) or `fraud` (all, on a fraud report). */
      type: 'app_password_revoked';
      methodId: string;
      methodKind: string;
      detail: 'user' | 'admin' | 'fraud';
    }
  | {
      /**
       * The right app password for a sign-in it may not make: `detail` is `expired`,
       * `out_of_scope` (another application's, or one no longer configured; `data.app` is the one
       * asked for) or `not_allowed` (the user is in an excluded group or role).
       */
      type: 'app_password_refused';
      methodId: string;
      methodKind: string;
      detail: 'expired' | 'out_of_scope' | 'not_allowed';
      data: { app: string };
    };

// ---- Temporary Access Passes (`methodKind` is always `temporary_access_pass`) ----

export type AccessPassEvent =
  | {
      type: 'access_pass_issued';
      methodId: string;
      methodKind: string;
      /** `by`: who issued it (an administrator's name, `cli`), or null. */
      data: {
        by: string | null;
        startsAt: number;
        expiresAt: number;
        oneTime: boolean;
        lifetimeMinutes: number;
      };
    }
  | {
      /** The user's previous pass, replaced by a new one: `detail` is the state it was in. */
      type: 'access_pass_replaced';
      methodId: string;
      methodKind: string;
      detail: string;
      data: { by: string | null; replacedBy: string };
    }
  | {
      type: 'access_pass_revoked';
      methodId: string;
      methodKind: string;
      /** The state it was in. */
      detail: string;
      data: { by: string | null };
    }
  | { type: 'access_pass_verified'; methodId: string; methodKind: string; data: { oneTime: boolean } }
  | {
      /** `detail`: `mismatch`, `used`, `expired`, `not_started`, `no_pass`, `malformed`… */
      type: 'access_pass_failed';
      /** The pass concerned, when the user has one. */
      methodId?: string | undefined;
      methodKind: string;
      detail: string;
    };

// ---- administration: the user's state, resets, sign-outs, fraud flags, policies, inventory ----

export type AdministrativeEvent =
  | {
      /** `detail` is the new per-user state. */
      type: 'user_state_changed';
      detail: 'disabled' | 'enabled' | 'enforced';
    }
  | {
      /** "Require re-registration": how many methods were removed. */
      type: 'user_reset';
      data: { methods: number };
    }
  | { type: 'sessions_revoked' }
  | { type: 'fraud_flag_changed'; detail: 'flagged' | 'cleared' }
  | {
      /** `detail` says who made the change (an administrator's name, `cli`), when known. */
      type: 'policies_changed';
      detail?: string | undefined;
      data: { version: number; policies: number };
    }
  | { type: 'tokens_imported'; data: { count: number } }
  | {
      /**
       * Audit retention (`mfa.admin.pruneAuditLog`, `mfakit audit prune`): `count` events before
       * `before` (ms since the epoch) were deleted, at the request of `by` (`cli`, an
       * administrator's name, or null). Appended after the deletion, so it is never pruned by it.
       */
      type: 'audit_pruned';
      data: { before: number; count: number; by: string | null };
    }
  | {
      /**
       * Sealing-key rotation (`mfakit reseal`): the stored secrets walked and sealed again under
       * the key `detail`, opening old values with `data.oldKeys`. `by` who ran it (`cli`); per
       * kind of record how many were re-sealed, already under the key, deleted meanwhile or
       * failed; `complete` when none failed and no method of an unknown kind was left as it was.
       */
      type: 'secrets_resealed';
      detail: string;
      data: {
        by: string;
        oldKeys: string[];
        methods: {
          resealed: number;
          current: number;
          nothingSealed: number;
          gone: number;
          failed: number;
          unknownKind: number;
        };
        tokens: { resealed: number; current: number; gone: number; failed: number };
        complete: boolean;
      };
    };

// ---- operations: a store the sign-ins depend on failed (they fail closed meanwhile) ----

export type OperationsEvent = {
  /**
   * A store failed while serving a request (the request was answered 503). `detail` names it
   * (`redis`, `postgres`; `store` when the adapter does not say); at most one event per store
   * per interval, `data.suppressed` counting the failures since the previous one left unrecorded.
   * The repository gets it once it is reachable (it may be the store that failed), with the
   * time of the failure.
   */
  type: 'store_unavailable';
  detail: string;
  data: { message: string; suppressed: number };
};

/** What happened, without the envelope: what the engine's audit helper is given. */
export type AuditEventBody =
  | SignInEvent
  | VerificationEvent
  | MethodEvent
  | RememberedDeviceEvent
  | FirstFactorEvent
  | AppPasswordEvent
  | AccessPassEvent
  | AdministrativeEvent
  | OperationsEvent
  | ApprovalAnswerEvent;

/** One audit event: its envelope and the fields of its `type`. */
export type AuditEvent = AuditEnvelope & AuditEventBody;

export type AuditEventType = AuditEvent['type'];

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
