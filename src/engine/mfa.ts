// The public face of the engine: `interface Mfa`, what createMfa() returns. It is composed of
// named services (the sign-in flow, step-up, account security, administration, the token
// inventory, policies, Temporary Access Passes, the first-factor gate) plus what integrations
// need to speak HTTP (a few settings such as the cookie name and timeouts, the clock, the
// client address, the per-request session check). No options object, no key, no store is
// reachable from it.
import type { IncomingMessage } from 'node:http';
import type { AccountSecurity } from './account-security.ts';
import type { Administration } from './administration.ts';
import type { AppPasswordsService } from './app-passwords.ts';
import type { Clock } from './capabilities.ts';
import type { DeviceRequestService } from './device-requests.ts';
import type { AccountDirectory, FirstFactorGate } from './first-factor-gate.ts';
import type { PasswordlessService } from './passwordless.ts';
import type { PhoneCallService } from './phone-calls.ts';
import type { PolicyService } from './policy-service.ts';
import type { SignInFlow } from './sign-in-flow.ts';
import type { RequestContext } from './sign-in-types.ts';
import type { AuthStamp } from './stamp.ts';
import type { StepUpService } from './step-up.ts';
import type { TemporaryAccessPasses } from './temporary-access-pass.ts';
import type { TokenInventory } from './token-inventory.ts';

/** What integrations need to know of the configuration; nothing secret. */
export interface MfaSettings {
  /** The name shown in authenticator apps and on pages. */
  readonly issuer: string;
  /** The application of a sign-in that names none. */
  readonly defaultApp: string;
  /** How long a pending sign-in (the second step) may take. */
  readonly pendingTtlSeconds: number;
  /** How recent a factor must be for sensitive changes. */
  readonly reauthMaxAgeSeconds: number;
  readonly rememberDevice: {
    readonly enabled: boolean;
    readonly days: number;
    readonly maxDays: number;
    readonly cookieName: string;
    readonly secureCookie: boolean;
  };
}

export interface Mfa extends SignInFlow, StepUpService, AccountSecurity {
  readonly settings: MfaSettings;
  /** The engine's clock (injected in tests). */
  readonly clock: Clock;
  /**
   * The one first-factor gate over your accounts: home-realm discovery, the per-account and
   * per-address throttle, the same answer for unknown accounts and wrong passwords, audit.
   * Create it once and check every password (or Temporary Access Pass) with its `signIn()`.
   */
  firstFactorGate(directory: AccountDirectory): FirstFactorGate;
  /** The trusted network an address belongs to, or null. */
  trustedNetwork(ip: string): string | null;
  /** The client address of a request under the trusted-proxy rules. */
  clientIp(req: IncomingMessage): string;
  /**
   * Whether the stamp is still valid: not older than the user's last session revocation
   * (admin reset, revokeSessions), not admitted by a remembered device since revoked or
   * expired, nor by a Temporary Access Pass since revoked or replaced. Answered from an
   * in-process cache (one second) when it can be.
   */
  isCurrent(stamp: AuthStamp): Promise<boolean>;
  /**
   * For integrations, with an error a request met: true if it is a store failure (a
   * `StoreError`: answer 503, fail closed), which is then audited as `store_unavailable` — at
   * most once per store per minute, in the repository as soon as it is reachable. False, and
   * nothing recorded, for any other error.
   */
  reportOutage(error: unknown, ctx: RequestContext): boolean;
  /** Conditional-access policies: the current set, the saved document, replacing it, the per-request check. */
  readonly policies: PolicyService;
  readonly admin: Administration;
  /** Requests from registered devices (push apps): what a device API route hands over (`mfakit/express`'s `deviceApi`). */
  readonly deviceApi: DeviceRequestService;
  /**
   * Keys pressed during a keypad call (`voiceMethod({ answer: 'keypad' })`): what your voice
   * provider's webhook hands over — `keypad({ callId, keys }, { ip })` — and the words it answers
   * the call with before hanging up.
   */
  readonly phoneCalls: PhoneCallService;
  /** OATH hardware tokens: CSV import, inventory, assignment to a user, HOTP resynchronisation. */
  readonly tokens: TokenInventory;
  /** Temporary Access Passes: issue (shown once), status, revoke, verify (one-time: atomic). */
  readonly accessPasses: TemporaryAccessPasses;
  /**
   * App passwords for legacy clients (the `appPasswords` option): the user's list, create (a
   * fresh second factor; shown once), revoke one or all. They sign in through the first-factor
   * gate's `legacyClient` kind only.
   */
  readonly appPasswords: AppPasswordsService;
  /** Passwordless sign-in (a passkey as the first factor): a challenge for the browser, then the account it proves. */
  readonly passwordless: PasswordlessService;
  /**
   * Resolves once the engine listens for other processes' revocations and policy changes (the
   * stores' invalidation channel); at once without one. Await it before serving requests.
   */
  ready(): Promise<void>;
}
