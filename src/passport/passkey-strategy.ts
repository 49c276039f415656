// Passwordless sign-in the Passport way: a first-factor strategy for a discoverable passkey with
// user verification — no user name, no password. Your sign-in page has the passkey form of
// mfakit/express (`passkeySignInForm('/mfa', { action: '/login/passkey' })`): the WebAuthn client
// fetches a challenge from the router's `GET /mfa/passkey/options` (kept in the session, so only
// this browser can answer it: no login CSRF) and posts the answer to your route, where
// `passport.authenticate('passkey', callback)` runs this strategy. It takes the session's
// challenge once, lets the engine check the answer, and passes the account's user to your
// callback with `info.amr` (the first factor's RFC 8176 values); the callback hands both to
// `beginMfa()`, as after a password, so the policies still decide (a verified passkey usually
// counts as multi-factor and phishing-resistant: signed in at once, acr …:phr).
import type { Request } from 'express';
import { Strategy } from 'passport-strategy';
import type { Mfa } from '../engine/mfa.ts';
import { firstIssue, passkeySignInBody } from '../web/bodies.ts';
import { throttledMessage } from '../web/first-factor-failure.ts';
import { NO_SESSION, requestContextOf } from './passport-session.ts';

export interface PasskeyStrategyOptions {
  mfa: Mfa;
  /** The user object for a user id (what your callback gives `beginMfa()`), or null if gone. */
  loadUser: (userId: string) => Promise<unknown> | unknown;
}

/** What the strategy passes to `this.success()`: your callback's `info`. */
export interface PasskeyAuthInfo {
  userId: string;
  /** The first factor's RFC 8176 values, for `beginMfa({ amr })`. */
  amr: string[];
  /** The passkey that signed in, for `beginMfa({ firstFactorMethodId })`: never also the second factor. */
  methodId: string;
}

export type PasskeyFailureCode = 'invalid_request' | 'challenge_unknown' | 'invalid_credential' | 'throttled';

/** What the strategy passes to `this.fail()`: your callback's `info` on a failure. */
export interface PasskeyChallenge {
  error: PasskeyFailureCode;
  message: string;
  /** With `throttled` (status 429): the seconds to wait, for a Retry-After header. */
  retryAfterSeconds?: number;
}

export const PASSKEY_MESSAGES = {
  expired: 'This passkey sign-in has expired. Try again.',
  refused: 'That passkey was not accepted. Try again, or sign in with your password.',
  throttled: throttledMessage,
} as const;

type Outcome =
  | { kind: 'success'; user: unknown; info: PasskeyAuthInfo }
  | { kind: 'fail'; challenge: PasskeyChallenge; status: number };

const failure = (error: PasskeyFailureCode, message: string, status: number): Outcome => ({
  kind: 'fail',
  challenge: { error, message },
  status,
});

export class PasskeyStrategy extends Strategy {
  // Plain fields, not #private: Passport runs each request on Object.create(strategy).
  name = 'passkey';
  readonly mfa: Mfa;
  readonly loadUser: (userId: string) => Promise<unknown> | unknown;

  constructor(options: PasskeyStrategyOptions) {
    super();
    if (typeof options?.loadUser !== 'function')
      throw new TypeError('PasskeyStrategy needs options.loadUser(userId)');
    this.mfa = options.mfa;
    this.loadUser = options.loadUser;
  }

  override authenticate(req: Request): void {
    if (!req.session) {
      this.error(new Error(NO_SESSION));
      return;
    }
    this.check(req).then(
      (outcome) => {
        if (outcome.kind === 'success') this.success(outcome.user, outcome.info);
        else this.fail(outcome.challenge, outcome.status);
      },
      (err: unknown) => {
        // A store failure reaches your error handler as a StoreError (status 503), audited.
        this.mfa.reportOutage(err, requestContextOf(this.mfa, req));
        this.error(err instanceof Error ? err : new Error(String(err)));
      },
    );
  }

  private async check(req: Request): Promise<Outcome> {
    // The session's challenge is used once, whatever the answer.
    const state = req.session.mfakit;
    const expected = state?.passkeyChallengeId;
    if (state) delete state.passkeyChallengeId;
    const parsed = passkeySignInBody.safeParse(req.body ?? {});
    if (!parsed.success) return failure('invalid_request', firstIssue(parsed.error), 400);
    const { challengeId, credential } = parsed.data;
    if (expected === undefined || expected !== challengeId)
      return failure('challenge_unknown', PASSKEY_MESSAGES.expired, 400);
    const result = await this.mfa.passwordless.verify(
      challengeId,
      { credential },
      requestContextOf(this.mfa, req),
    );
    if (!result.ok && result.error === 'throttled') {
      const { retryAfterSeconds } = result;
      const message = PASSKEY_MESSAGES.throttled(retryAfterSeconds);
      return { kind: 'fail', challenge: { error: 'throttled', message, retryAfterSeconds }, status: 429 };
    }
    if (!result.ok) return failure('invalid_credential', PASSKEY_MESSAGES.refused, 401);
    const user = await this.loadUser(result.userId);
    if (user === null || user === undefined || user === false)
      return failure('invalid_credential', PASSKEY_MESSAGES.refused, 401);
    return {
      kind: 'success',
      user,
      info: { userId: result.userId, amr: result.amr, methodId: result.methodId },
    };
  }
}
