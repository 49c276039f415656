// One table from the engine's verification failures to what every integration answers: the
// HTTP status, a stable error code, the sentence the user reads (generic: which check failed is
// the audit log's business, never the user's) and, for throttling, how long to wait.
import type { VerifyFailure } from '../engine/sign-in-types.ts';
import type { AwaitedApproval } from '../methods/method.ts';
import { approvalPending } from './approval-words.ts';

export const CODE_FAILED = "That code didn't work. Check it and try again.";

export const FAILURE_MESSAGES = {
  invalidCode: CODE_FAILED,
  invalidPasskey: 'That passkey or security key was not accepted. Try again.',
  /** An approval input (`push`) refused: a notification or a keypad call denied, lapsed or never sent. */
  invalidPush: 'The sign-in was not approved. Send a new notification or call, or use another method.',
  locked: 'Too many attempts. Try again later.',
  slowDown: (seconds: number) => `Too many attempts. Wait ${seconds} seconds and try again.`,
  expired: 'Your sign-in has expired. Sign in again.',
  mustEnroll: 'Set up a sign-in method first.',
} as const;

export type FailureCode = VerifyFailure['error'];

export interface FailureAnswer {
  status: number;
  error: FailureCode;
  message: string;
  /** Set a Retry-After header with it. */
  retryAfterSeconds?: number;
  /** A notification or keypad call still waiting for its answer: 202, ask again after approving. */
  approval?: AwaitedApproval;
}

/**
 * What answered: a typed `code` (the default), a passkey's `credential` or a `push` approval —
 * an app's or a keypad call's (each its own sentence).
 */
export type FactorKind = 'code' | 'credential' | 'push';

const INVALID: Record<FactorKind, string> = {
  code: FAILURE_MESSAGES.invalidCode,
  credential: FAILURE_MESSAGES.invalidPasskey,
  push: FAILURE_MESSAGES.invalidPush,
};

export function answerFor(f: VerifyFailure, factor: FactorKind = 'code'): FailureAnswer {
  switch (f.error) {
    case 'invalid_code':
      return {
        status: 401,
        error: f.error,
        message: INVALID[factor],
      };
    case 'locked':
      return {
        status: 429,
        error: f.error,
        message: FAILURE_MESSAGES.locked,
        retryAfterSeconds: f.retryAfterSeconds,
      };
    case 'slow_down':
      return {
        status: 429,
        error: f.error,
        message: FAILURE_MESSAGES.slowDown(f.retryAfterSeconds),
        retryAfterSeconds: f.retryAfterSeconds,
      };
    case 'must_enroll':
      return { status: 409, error: f.error, message: FAILURE_MESSAGES.mustEnroll };
    case 'strength_unavailable':
      return { status: 403, error: f.error, message: f.message };
    case 'pending_expired':
      return { status: 401, error: f.error, message: FAILURE_MESSAGES.expired };
    case 'approval_pending':
      return {
        status: 202,
        error: f.error,
        message: approvalPending(f.approval),
        approval: f.approval,
      };
  }
}

/** The answer, with its Retry-After header set on `res` when there is one. */
export function answerFailure(
  res: { set(name: string, value: string): unknown },
  f: VerifyFailure,
  factor: FactorKind = 'code',
): FailureAnswer {
  const answer = answerFor(f, factor);
  if (answer.retryAfterSeconds !== undefined) res.set('Retry-After', String(answer.retryAfterSeconds));
  return answer;
}

/**
 * A failure (a verification's, or a send's) as a JSON body, the same in every integration: the
 * stable error and the sentence; how long to wait when throttled; for a notification still
 * waiting for the device (202), the approval (`methodId`, `to`, `number`, `expiresAt`) to show
 * and ask again with.
 */
export function failureJson<E extends string>(answer: {
  error: E;
  message: string;
  retryAfterSeconds?: number | undefined;
  approval?: AwaitedApproval | undefined;
}): { error: E; message: string; retryAfterSeconds?: number; approval?: AwaitedApproval } {
  return {
    error: answer.error,
    message: answer.message,
    ...(answer.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: answer.retryAfterSeconds }),
    ...(answer.approval === undefined ? {} : { approval: answer.approval }),
  };
}
