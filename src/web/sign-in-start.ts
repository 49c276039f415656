// Starting a sign-in from an HTTP request, written once: what the request tells the engine's
// decision (the client address under the trusted-proxy rules, the request id, the browser,
// the remembered-device cookie), and the sentence a refused user reads.
import type { IncomingMessage } from 'node:http';
import { parse as parseCookies } from 'cookie';
import type { Mfa } from '../engine/mfa.ts';
import type { SignInInput, SignInStart } from '../engine/sign-in-types.ts';
import { requestIdOf } from './request-id.ts';

export type SignInRequestFacts = Pick<
  SignInInput,
  'ip' | 'requestId' | 'userAgent' | 'rememberedDeviceCookie'
>;

/** The request's part of `mfa.beginSignIn()`'s input. */
export function signInRequestFacts(mfa: Mfa, req: IncomingMessage): SignInRequestFacts {
  const cookies = parseCookies(req.headers.cookie ?? '');
  return {
    ip: mfa.clientIp(req),
    requestId: requestIdOf(req),
    userAgent: req.headers['user-agent'],
    rememberedDeviceCookie: cookies[mfa.settings.rememberDevice.cookieName],
  };
}

/** What a blocked user is told: the policy's short reason, never the full explanation. */
export function blockedMessage(start: Extract<SignInStart, { status: 'blocked' }>): string {
  return start.decision.userMessage
    ? `Sign-in blocked. ${start.decision.userMessage} Contact your administrator.`
    : 'Sign-in blocked. Contact your administrator.';
}
