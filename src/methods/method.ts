// The method interface: what every sign-in method implements (authenticator apps, OATH hardware
// tokens, recovery codes, passkeys, text message and phone call, push notifications), each in its own
// folder under src/methods/ and enabled by listing it in `createMfa({ methods })`. The engine,
// the authentication strengths, the pages and the JSON API know a method only through this:
// its kind, the `amr` values and the strength method a verification gives, how it is
// registered (begin, resume, confirm), how it is verified, what is listed of it, what it
// releases when removed and what it seals.
import type { CodeHasher } from '../crypto/code-hash.ts';
import type { Sealer } from '../crypto/seal.ts';
import type { Clock, RandomSource } from '../engine/capabilities.ts';
import type { ResolvedOptions } from '../engine/options.ts';
import type { AuthMethod } from '../policy/model.ts';
import type {
  EphemeralStore,
  JsonValue,
  MethodData,
  MethodRecord,
  MethodRelease,
  Repository,
} from '../store/ports.ts';
import type { SafeHtml } from '../web/html.ts';

/** What a method is built with: the engine's stores, crypto, clock and validated options. */
export interface MethodServices {
  repository: Repository;
  ephemeral: EphemeralStore;
  sealer: Sealer;
  hasher: CodeHasher;
  clock: Clock;
  random: RandomSource;
  options: ResolvedOptions;
}

/** A browser's answer to a WebAuthn ceremony (a PublicKeyCredential as JSON), checked by its method. */
export type CredentialResponse = { readonly [field: string]: JsonValue };

/**
 * What a user gives to prove a method: a typed code (optionally for one of their methods), a
 * browser's answer to the challenge a method produced (`challenge.begin`), or word that they
 * approved the sign-in elsewhere (`push`, whichever method asked: a notification approved on
 * their registered device, signed with its key, or a keypad call answered with the page's
 * number; the approval itself is the method's record, never this word).
 */
export type FactorInput =
  | { code: string; methodId?: string | undefined }
  | { credential: CredentialResponse; methodId?: undefined }
  | { push: true; methodId?: string | undefined };

/** The typed code of an input, trimmed, or null for a browser's answer. */
export const codeOf = (input: FactorInput): string | null => ('code' in input ? input.code.trim() : null);

/** What a method hands the browser to answer (WebAuthn request or creation options): JSON. */
export type ChallengeOptions = { readonly [field: string]: JsonValue };

/** How one method's verification ended. `detail` is for the audit, never shown to the user. */
export type MethodCheck =
  | { ok: true; record: MethodRecord | null; amr: string[]; strength: AuthMethod }
  | { ok: false; detail: string };

/** How a passwordless proof ended: the record it proved (and so the user), with the first factor's `amr`. */
export type PasswordlessCheck =
  | { ok: true; record: MethodRecord; amr: string[] }
  | { ok: false; detail: string };

/** What the settings page and `GET /api/methods` show of a registered method: no secret. */
export interface MethodDescription {
  /** What it is, e.g. "Authenticator app" or "Hardware token HW-0001". */
  description: string;
  /** Public facts worth listing (a token's serial); never a secret. */
  details: { readonly [field: string]: string | number | boolean | null };
}

/** A registered method as it may leave the engine (settings page, `GET /api/methods`): no secret. */
export interface MethodSummary extends MethodDescription {
  id: string;
  kind: string;
  label: string;
  createdAt: number;
  lastUsedAt: number | null;
  /** The user chose it as their default sign-in method (`mfa.methods.setDefault`). */
  isDefault: boolean;
}

/** How a setup page shows a draft: what to scan or do, then the form that confirms it. */
export interface EnrollmentPage {
  /** e.g. "Set up your authenticator app". */
  title: string;
  /** What to scan or do before confirming (escaped markup, no script). */
  instructions: SafeHtml;
  /**
   * How the draft is confirmed: a typed code (`codeLabel`, `codeHint`), or the browser's answer
   * to `fields.options` (the page's WebAuthn client fills it in when the user presses `codeLabel`).
   */
  proof: 'code' | 'credential';
  codeLabel: string;
  codeHint: string;
  /** The label field's placeholder, e.g. "Authenticator app". */
  defaultLabel: string;
}

/** A code a method sent (a text message, a call): over which channel, to what (masked), until when. */
export interface CodeSent {
  channel: string;
  /** The destination as it may be shown: masked (`+•• ••• ••67`), never in full. */
  to: string;
  expiresAt: number;
  /**
   * The number to match of a notification (push) or a keypad call: shown on the page that asked
   * for it, typed by the user into the app or on the phone's keypad to approve — never sent to
   * the device nor said in the call, so a tired tap or # approves nothing.
   */
  number?: string;
}

/** A notification or keypad call sent for this sign-in, unanswered or approved and not used yet: what the page shows again. */
export interface AwaitedApproval {
  methodId: string;
  /** Where it is answered: `push` (the app on a device), `voice` (a phone's keypad during a call). */
  channel: 'push' | 'voice';
  /** The device or the phone (masked), as the page may name it. */
  to: string;
  /** The number to type into the app or on the keypad. */
  number: string;
  expiresAt: number;
  /** The device approved it: Continue signs in. */
  approved: boolean;
}

/**
 * Something a registration asks the user for before it begins (a phone number): the name of
 * the form or JSON field, and how a page asks for it.
 */
export interface EnrollmentField {
  /** The body's field, e.g. `phoneNumber`. */
  name: string;
  label: string;
  hint: string;
  inputType: 'tel' | 'text' | 'password';
  /** The keyboard a phone shows for it (`numeric`: digits only). */
  inputMode?: 'numeric';
  autocomplete: string;
  maxLength: number;
}

/** What the user gave for a registration's `fields`, by name, still unchecked: the method checks it. */
export type EnrollmentFields = { readonly [name: string]: string };

/** A registration in progress: what the user needs to finish it, all safe to show them. */
export interface EnrollmentDraft {
  kind: string;
  draftId: string;
  expiresAt: number;
  /** When beginning it sent a code (a text message): what was sent where, for the audit and the page. */
  sent?: CodeSent;
  /** The method's own fields for a client (a secret to type, a QR code, browser options): the JSON API's answer. */
  fields: { readonly [field: string]: JsonValue };
  /** The same for the server-rendered setup page. */
  page: EnrollmentPage;
}

/** `detail` is for the audit (`enroll_<detail>`): `draft_expired`, `code_mismatch`, `credential_invalid`… */
export type EnrollmentResult =
  /** `amr`: what the registration itself proved, when it differs from `amr(method)` (a passkey's user verification). */
  { ok: true; method: MethodRecord; amr?: string[] } | { ok: false; detail: string };

/** How a user registers the method themselves: a draft, then a confirmation that proves it works. */
export interface MethodEnrollment {
  /** The strength method a method registered this way gives (an app: `totp`). */
  strength: AuthMethod;
  /** What a chooser offers, e.g. "Authenticator app". */
  title: string;
  /** What the user gives before it begins (a phone number); none when absent. */
  fields?: readonly EnrollmentField[];
  /**
   * Whether beginning sends a code (a text message, a call): its begin then runs under the
   * engine's send limits and is audited as a send, and its draft says what was `sent`.
   */
  sendsCode?: boolean;
  /**
   * Starts a draft with what the user gave for `fields`: an MfaError 400 when it is missing or
   * malformed (a SlowDownError 429 or `delivery_failed` 503 when it sends something and cannot).
   */
  begin(userId: string, accountName: string, fields?: EnrollmentFields): Promise<EnrollmentDraft>;
  /** The same draft again while it lasts (a reloaded page keeps what was scanned), or null. */
  resume(userId: string, draftId: string, accountName: string): Promise<EnrollmentDraft | null>;
  /** Activates the method if `input` proves the draft works; the proof cannot be used again to sign in. */
  confirm(userId: string, draftId: string, input: FactorInput, label: string): Promise<EnrollmentResult>;
}

export interface SignInMethod {
  /** The `kind` of its records, and its name in options and URLs: `totp`, `hotp`, `recovery_code`. */
  readonly kind: string;
  /** The strength methods (policy names) a verification of it can give. */
  readonly provides: readonly AuthMethod[];
  /**
   * Whether it keeps records in the methods store. One that does not (recovery codes) is
   * verified without candidates and is allowed where the policies accept `recoveryCode`.
   */
  readonly keepsRecords: boolean;
  /** Whether this input is the method's to check (a code of its shape). */
  accepts(input: FactorInput): boolean;
  /**
   * Checks the input against the user's records of this kind that may be used (`candidates`,
   * already narrowed to what the policies and `input.methodId` allow) and consumes it: a
   * successful proof is accepted once. `binding` names the sign-in or session the proof is for:
   * a challenge begun for another binding never verifies here.
   */
  verify(
    userId: string,
    input: FactorInput,
    candidates: readonly MethodRecord[],
    binding: string,
  ): Promise<MethodCheck>;
  /**
   * For methods that send something or produce options (a passkey's challenge): starts one
   * proof for these candidates, bound to `binding`, single use and short-lived.
   */
  readonly challenge?: {
    /** The prompt's button that answers it, e.g. "Use a passkey or security key". */
    label: string;
    begin(userId: string, candidates: readonly MethodRecord[], binding: string): Promise<ChallengeOptions>;
  };
  /**
   * For methods that send a code on demand (a text message, a call): the prompt's button for
   * one record, and the send — a fresh code bound to `binding` for that record, replacing any
   * earlier one, short-lived and single use. Throws a SlowDownError (429) past the send limits,
   * an MfaError `delivery_failed` (503) when the message could not be sent.
   */
  readonly sends?: {
    label(record: MethodRecord): string;
    /** `origin`: the client address the send was asked from (a push app shows it). */
    send(record: MethodRecord, binding: string, origin?: { ip?: string | undefined }): Promise<CodeSent>;
  };
  /**
   * For methods whose proof comes from elsewhere (a push approval from the device, a keypad
   * call's keys): the notification or call for `binding` among `candidates` that is approved
   * (`approved: true`) or not answered yet, or null when there is none (denied, lapsed, never sent). Asked before an
   * attempt is counted, so waiting for the device costs the user no attempt; and by the prompt,
   * so a reloaded page shows the number and Continue again.
   */
  awaiting?(candidates: readonly MethodRecord[], binding: string): Promise<AwaitedApproval | null>;
  /** For methods with a registered device that talks to the server itself (push): its requests. */
  readonly device?: DeviceRequests;
  /**
   * For methods answered on a phone's keypad during a call they placed (`voiceMethod({ answer:
   * 'keypad' })`): the keys the call gathered for `callId`, recorded as that request's answer.
   */
  readonly keypad?: { answer(callId: string, keys: string): Promise<KeypadAnswer> };
  /**
   * For methods that sign a user in on their own, with no user name and no password (a
   * discoverable passkey): the challenge, and its verification, which names the user.
   */
  readonly passwordless?: {
    begin(binding: string): Promise<ChallengeOptions>;
    verify(input: FactorInput, binding: string): Promise<PasswordlessCheck>;
  };
  /** The strength method a verification of this record gives. */
  strength(record: MethodRecord): AuthMethod;
  /** RFC 8176 `amr` values a verification of this record gives. */
  amr(record: MethodRecord): string[];
  describe(record: MethodRecord): MethodDescription;
  /**
   * What removing the record gives back — its counter to delete, a hardware token to free —
   * released in the same write as the removal, so a process that dies meanwhile leaves no half.
   */
  released?(record: MethodRecord): MethodRelease;
  /** After the record was removed: anything else to clean up. */
  removed?(record: MethodRecord): Promise<void>;
  /** The record's data with every sealed value sealed again by `reseal` (sealing-key rotation). */
  reseal?(record: MethodRecord, reseal: (sealed: string, context: string) => string): MethodData;
  /** Present when users register it themselves. */
  readonly enrollment?: MethodEnrollment;
}

/** What a device request is answered with (JSON), or why it is refused (`detail` for the audit). */
export type DeviceAnswer =
  | {
      ok: true;
      userId: string;
      methodId: string | null;
      body: { readonly [field: string]: JsonValue };
      event?: DeviceEvent;
    }
  | { ok: false; status: number; error: string; message: string; detail: string; userId?: string };

/** What happened that the engine must act on and audit: an answer to a notification, an activation. */
export type DeviceEvent =
  | { type: 'activated' }
  | { type: 'answered'; answer: 'approved' | 'denied' | 'fraud'; detail?: string };

/**
 * How keys pressed during a keypad call were taken: the answer recorded for the user's request
 * (`detail`: why an approval was refused — `number_mismatch`, `pin_mismatch` — or a report after
 * an answer), or why nothing was (`detail` for the audit). `say`: what the call says before it
 * hangs up.
 */
export type KeypadAnswer =
  | {
      ok: true;
      userId: string;
      methodId: string;
      answer: 'approved' | 'denied' | 'fraud';
      detail: string | null;
      say: string;
    }
  | { ok: false; error: 'call_ended' | 'already_answered'; detail: string; say: string; userId?: string };

/**
 * The requests a registered device makes (a push app), each one signed with the device's key:
 * activating a registration (`activate`: the request carries the new key and proves it), listing
 * the notifications waiting for it, and answering one. `request` is the body as received.
 */
export interface DeviceRequests {
  activate(request: unknown): Promise<DeviceAnswer>;
  pending(request: unknown): Promise<DeviceAnswer>;
  answer(request: unknown): Promise<DeviceAnswer>;
}

/** A method as listed in the options: its kind, and how to build it over the engine's services. */
export interface MethodDefinition {
  readonly kind: string;
  create(services: MethodServices): SignInMethod;
}
