// What a sign-in page answers when mfakit's first-factor gate refuses: the HTTP status, the
// Retry-After header and the sentence the user reads. One table for every page that checks a
// password or a Temporary Access Pass, so none of them tells more than the others.
import type { Response } from 'express';
import type { FirstFactorKind, FirstFactorResult } from '../engine/first-factor-gate.ts';

export type FirstFactorFailure = Exclude<FirstFactorResult, { ok: true }>;

const WRONG: Record<FirstFactorKind, string> = {
  password: 'Wrong user name or password.',
  temporaryAccessPass: 'Wrong user name or Temporary Access Pass.',
};

/** "45 seconds", "3 minutes", "2 hours": how long to wait, rounded up. */
export function waitText(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  if (seconds < 90 * 60) return `${Math.ceil(seconds / 60)} minutes`;
  return `${Math.ceil(seconds / 3600)} hours`;
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
      res.status(429).set('Retry-After', String(failure.retryAfterSeconds));
      return `Too many attempts. Try again in ${waitText(failure.retryAfterSeconds)}.`;
    default:
      res.status(401);
      return WRONG[kind];
  }
}
