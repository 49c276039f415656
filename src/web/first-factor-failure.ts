// What a sign-in page answers when mfakit's first-factor gate refuses: the HTTP status, the
// Retry-After header and the sentence the user reads. One table for every page that checks a
// password, a Temporary Access Pass or a passwordless passkey, so none tells more than the others.
import type { Response } from 'express';
import type { FirstFactorKind, FirstFactorResult } from '../engine/first-factor-gate.ts';
import type { PasswordlessResult } from '../engine/passwordless.ts';

export type FirstFactorFailure = Exclude<FirstFactorResult, { ok: true }>;
type PasswordlessFailure = Exclude<PasswordlessResult, { ok: true }>;

const WRONG: Record<FirstFactorKind, string> = {
  password: 'Wrong user name or password.',
  temporaryAccessPass: 'Wrong user name or Temporary Access Pass.',
  legacyClient: 'Wrong user name or password.',
};

/** "45 seconds", "3 minutes", "2 hours": how long to wait, rounded up. */
export function waitText(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
}

/** The sentence for a first factor refused by the throttle: how long to wait. */
export const throttledMessage = (retryAfterSeconds: number) =>
  `Too many attempts. Try again in ${waitText(retryAfterSeconds)}.`;

/**
 * A first factor refused by the throttle (a password's, a pass's, a passwordless passkey's):
 * sets 429 and Retry-After on `res` and returns the message for the page.
 */
export function answerFirstFactorThrottled(res: Response, retryAfterSeconds: number): string {
  res.status(429).set('Retry-After', String(retryAfterSeconds));
  return throttledMessage(retryAfterSeconds);
}

/**
 * A refused passwordless sign-in: throttled like a password (429, Retry-After), else 401 and
 * `refused`, one sentence for every other refusal. Returns the message for the page.
 */
export function answerPasskeyRefusal(res: Response, failure: PasswordlessFailure, refused: string): string {
  if (failure.error === 'throttled') return answerFirstFactorThrottled(res, failure.retryAfterSeconds);
  res.status(401);
  return refused;
}

/**
 * Sets the status (and Retry-After) on `res` and returns the message for the page.
 * `realmName` names a home realm (claims provider id) for the user.
 */
export function answerFirstFactorFailure(
  res: Response,
  failure: FirstFactorFailure,
  kind: FirstFactorKind,
  realmName: (realm: string) => string = (realm) => realm,
): string {
  switch (failure.error) {
    case 'home_realm':
      res.status(403);
      return `This account signs in with ${realmName(failure.realm)}.`;
    case 'throttled':
      return answerFirstFactorThrottled(res, failure.retryAfterSeconds);
    default:
      res.status(401);
      return WRONG[kind];
  }
}
