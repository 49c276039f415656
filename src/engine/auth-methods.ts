// How what happened at sign-in maps onto the method names authentication strengths use.
// First factors arrive as RFC 8176 `amr` values; a second factor's is its method's (src/methods/).
import { WEBAUTHN_KIND } from '../methods/webauthn/credential.ts';
import type { AuthMethod } from '../policy/model.ts';

/** mfakit's own `amr` value (RFC 8176 has none) for a sign-in with an app password. */
export const APP_PASSWORD_AMR = 'apw';

/**
 * Whether a first factor (its `amr` values) was a passkey signing in on its own — mfakit's
 * passwordless sign-in: `hwk` or `swk`, no password, federation or pass.
 */
const passkeySignIn = (amr: readonly string[]) =>
  ['pwd', 'fed', 'tap', APP_PASSWORD_AMR].every((v) => !amr.includes(v)) &&
  (amr.includes('hwk') || amr.includes('swk'));

/** The strength methods a sign-in's first factor (its `amr` values) counts as. */
export function firstFactorMethods(amr: readonly string[]): AuthMethod[] {
  const out: AuthMethod[] = [];
  // A passkey as the first factor: with user verification (`user`) it is the phishing-resistant
  // `webauthn` method on its own (possession plus the user's PIN or biometrics); without, one factor.
  if (passkeySignIn(amr)) {
    out.push(amr.includes('user') ? 'webauthn' : 'password');
    return out;
  }
  // The first factor: a password here, or a sign-in at an upstream IdP (`fed`, as Entra ID
  // writes it) counted as one factor whatever else the upstream says.
  if (amr.includes('pwd') || amr.includes('fed')) out.push('password');
  // An upstream identity provider that says it did MFA (federation): its own combination.
  if (amr.includes('mfa')) out.push('federatedMfa');
  // A Temporary Access Pass (mfakit's amr value `tap`): a strong sign-in on its own, as in Entra
  // ID, and at least the knowledge factor a password is, so a pass plus a new authenticator meets
  // what a password plus that authenticator would (a user onboarded with a pass is not blocked
  // where a password would have worked).
  if (amr.includes('tap'))
    out.push('temporaryAccessPass', ...(out.includes('password') ? [] : ['password' as const]));
  // An app password (mfakit's amr value `apw`): the plain `mfa` strength for the legacy client it
  // is scoped to (the sign-in flow refuses it for any other client), and a knowledge factor, so a
  // client that can answer a challenge (RADIUS) meets a stronger requirement with a second factor.
  if (amr.includes(APP_PASSWORD_AMR))
    out.push('appPassword', ...(out.includes('password') ? [] : ['password' as const]));
  return out;
}

/** The first factor of a sign-in or session, as far as the second factor's choice needs it. */
export interface FirstFactorFacts {
  /** Its RFC 8176 `amr` values (a pending sign-in's, or a stamp's `firstFactorAmr`). */
  amr: readonly string[];
  /** The passkey that gave it as one factor, when recorded (a stamp's `firstFactorMethodId`). */
  methodId: string | undefined;
}

/**
 * The user's methods that may be the second factor: all but the one that gave the first factor
 * (a passkey signing in without a password cannot be the second factor too). The same rule at
 * sign-in (decide) and at a step-up in the session (the stamp's `firstFactorAmr` and
 * `firstFactorMethodId`). A passkey that signed in as one factor without saying which (a stamp
 * written before `firstFactorMethodId` was recorded) excludes every passkey: the user steps up
 * with another method, or signs in again.
 */
export function secondFactorCandidates<M extends { id: string; kind: string }>(
  methods: readonly M[],
  first: FirstFactorFacts,
): M[] {
  if (first.methodId !== undefined) return methods.filter((m) => m.id !== first.methodId);
  return excludesPasskeys(first) ? methods.filter((m) => m.kind !== WEBAUTHN_KIND) : [...methods];
}

/** A passkey that signed in as one factor without saying which (an older stamp): no passkey is the second. */
const excludesPasskeys = (first: FirstFactorFacts) =>
  passkeySignIn(first.amr) && !firstFactorMethods(first.amr).includes('webauthn');

/** Whether `secondFactorCandidates` may leave out any of the user's methods: else all may be the second factor, unread. */
export const narrowsCandidates = (first: FirstFactorFacts): boolean =>
  first.methodId !== undefined || excludesPasskeys(first);
