// The second step of a sign-in over HTTP, written once for every integration: check the
// pending sign-in's code (and remember the device where the policies allow it), or register
// its first method, and answer a failure from the one failure table. Where the pending sign-in
// lives (the express-session, an oidc-provider interaction) and how completion is signalled
// (a new session, a finished interaction, Passport's success) stay with the integration.
import type { Request, Response } from 'express';
import type { Mfa } from '../engine/mfa.ts';
import type { PendingPrincipal } from '../engine/pending.ts';
import type { RequestContext } from '../engine/sign-in-types.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import type { CredentialResponse } from '../methods/method.ts';
import { factorOf } from './bodies.ts';
import { answerFailure, type FactorKind, type FailureAnswer } from './failures.ts';
import { issueRememberCookie } from './remember-cookie.ts';

export type CodeResult =
  /** `rememberDays`: how long the device may be remembered here (null: not at all). */
  | { kind: 'complete'; stamp: AuthStamp; rememberDays: number | null }
  | { kind: 'must_enroll' }
  | { kind: 'failed'; answer: FailureAnswer; pending: PendingPrincipal | null };

export type FirstMethodResult =
  | { kind: 'signed_in'; stamp: AuthStamp; recoveryCodes: string[] }
  | { kind: 'failed'; answer: FailureAnswer };

/** A parsed body's factor: a typed code, a passkey's answer or an approval — an app's or a keypad call's (see bodies.ts). */
export interface FactorBody {
  code?: string | undefined;
  credential?: CredentialResponse | undefined;
  /** The user approved elsewhere: a notification in their app, or a keypad call (named for push). */
  push?: true | undefined;
  methodId?: string | undefined;
}

/** Which kind of factor a body carries, for the failure's sentence. */
export const factorKindOf = (body: FactorBody): FactorKind =>
  body.credential !== undefined ? 'credential' : body.push === true ? 'push' : 'code';

export function createPendingFlow(mfa: Mfa) {
  return {
    /**
     * The code for a pending sign-in; on success the pending sign-in is consumed and, when asked
     * and allowed, the device is remembered — never for longer than the policies allow.
     */
    async verifyCode(
      req: Request,
      res: Response,
      pendingId: string,
      body: FactorBody & { remember?: boolean | undefined },
      ctx: RequestContext,
    ): Promise<CodeResult> {
      const outcome = await mfa.verifyPending(pendingId, factorOf(body), ctx);
      if (!outcome.ok) {
        if (outcome.error === 'must_enroll') return { kind: 'must_enroll' };
        return {
          kind: 'failed',
          answer: answerFailure(res, outcome, factorKindOf(body)),
          pending: await mfa.getPending(pendingId),
        };
      }
      if (body.remember && outcome.rememberDays !== null)
        await issueRememberCookie(
          mfa,
          res,
          {
            userId: outcome.stamp.userId,
            userAgent: req.get('user-agent') ?? '',
            days: outcome.rememberDays,
          },
          ctx,
        );
      return { kind: 'complete', stamp: outcome.stamp, rememberDays: outcome.rememberDays };
    },

    /** Registers the pending sign-in's first method and completes it, with recovery codes to show once. */
    async confirmFirstMethod(
      res: Response,
      pendingId: string,
      kind: string,
      body: FactorBody & { draftId: string; label?: string | undefined },
      ctx: RequestContext,
    ): Promise<FirstMethodResult> {
      const result = await mfa.confirmPendingEnrollment(
        pendingId,
        kind,
        body.draftId,
        factorOf(body),
        body.label ?? '',
        ctx,
      );
      if (!result.ok) return { kind: 'failed', answer: answerFailure(res, result, factorKindOf(body)) };
      return { kind: 'signed_in', stamp: result.stamp, recoveryCodes: result.recoveryCodes };
    },
  };
}

export type PendingFlow = ReturnType<typeof createPendingFlow>;
