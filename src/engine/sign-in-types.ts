// The types of a sign-in as the engine's services exchange them: what a first factor hands
// over, how a sign-in starts (complete, pending a second factor or enrollment, blocked), what
// a code submission is, and how a verification ends.
import type { AwaitedApproval, FactorInput } from '../methods/method.ts';
import type { ClientAppType, RiskFacts } from '../policy/model.ts';
import type { AllowDecision, BlockDecision, MfaDecision } from './decision.ts';
import type { PendingPrincipal } from './pending.ts';
import type { AuthStamp } from './stamp.ts';

export interface SignInInput {
  userId: string;
  /** RFC 8176 values of the first factor, e.g. ['pwd']. */
  amr: string[];
  ip: string;
  userAgent?: string | undefined;
  rememberedDeviceCookie?: string | undefined;
  requestId?: string | undefined;
  /** The application (client id / app name) for conditional access. */
  app?: string | undefined;
  authenticationContexts?: string[] | undefined;
  clientAppType?: ClientAppType | undefined;
  /** Strengths the relying party asked for (OIDC acr_values): never lifted by a trusted network or cookie. */
  requestedStrengths?: string[] | undefined;
  /**
   * When the first factor was checked (ms); default now. A new decision on an existing session
   * (an OIDC step-up) passes the session's sign-in time: registering a first method needs a
   * recent one.
   */
  firstFactorAt?: number | undefined;
  /**
   * The method that gave the first factor (a passkey signing in without a password): it cannot
   * also be the second factor of the same sign-in.
   */
  firstFactorMethodId?: string | undefined;
  /**
   * false: `ip` may not lift MFA by a trusted network — it is not known to be the user's own
   * (a RADIUS server's sign-ins). Default true.
   */
  allowTrustedNetwork?: boolean | undefined;
}

export type SignInStart =
  | { status: 'complete'; stamp: AuthStamp; decision: AllowDecision }
  | { status: 'mfa'; pending: PendingPrincipal; decision: MfaDecision }
  | {
      status: 'blocked';
      decision: BlockDecision;
      /** The user must register a first method, and the first factor is too old for that: sign in again. */
      signInAgain?: boolean;
    };

/** A second factor as submitted: a typed code, or a browser's answer to a method's challenge. */
export type CodeInput = FactorInput;

export interface RequestContext {
  ip: string;
  requestId?: string | undefined;
}

export type VerifyFailure =
  | { ok: false; error: 'invalid_code' }
  /** A notification or keypad call sent for this sign-in is not answered yet: no attempt was counted. */
  | { ok: false; error: 'approval_pending'; approval: AwaitedApproval }
  | { ok: false; error: 'locked' | 'slow_down'; retryAfterSeconds: number }
  | { ok: false; error: 'pending_expired' }
  | { ok: false; error: 'must_enroll' }
  | { ok: false; error: 'strength_unavailable'; message: string };

export type VerifyOutcome =
  | {
      ok: true;
      stamp: AuthStamp;
      /** How long the device may be remembered after this sign-in (days); null: not allowed here. */
      rememberDays: number | null;
    }
  | VerifyFailure;

/** Which second factors a verification may use: what the policies accept. */
export interface MethodRestriction {
  allowedMethodIds: readonly string[];
  allowRecovery: boolean;
}

/** What a sign-in carries into its stamp besides the factors. */
export interface StampFacts {
  app: string;
  clientAppType: ClientAppType;
  groups: string[];
  roles: string[];
  risk: RiskFacts;
  /**
   * When the first factor was checked, if not now (a new decision on an existing session): a
   * passkey that was the first factor dates from then, so a sign-in frequency still applies.
   */
  firstFactorAt?: number | undefined;
  /** The method that gave the first factor (a passkey signing in without a password). */
  firstFactorMethodId?: string | undefined;
  /**
   * When the sign-in counts as completed, if not now: a pending sign-in's, when it was last found
   * current (pending-currency.ts), so a revocation after that check is after its `authTime`.
   */
  completedAt?: number | undefined;
}
