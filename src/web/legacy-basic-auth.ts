// A legacy client's sign-in over HTTP Basic (RFC 7617), written once for every integration (the
// Express guard `requireAppPassword`, Passport's `AppPasswordStrategy`): the credentials parsed from the
// Authorization header, checked by the first-factor gate's `legacyClient` kind (an app password
// scoped to the application, else the account's password), then the engine's sign-in decision
// for a legacy client. Only a sign-in that completes there lets the request through; nothing is
// kept (no session, no pending sign-in).
//
// What a refused client is told says as little as the gate does: no credentials, malformed
// ones, a wrong password, a home-realm account and a right password that would still need a
// second step (a legacy client cannot answer one) are the same 401 with the same body, so the
// answer never confirms that an account's password is right. Throttled → 429 with Retry-After;
// blocked by a policy → 403 with its reason; a store outage → 503 (audited, fail closed). The
// answer is computed once (`legacyRefusalAnswer`); each integration writes it out its own way.
import type { IncomingMessage } from 'node:http';
import type { Response } from 'express';
import type { FirstFactorGate } from '../engine/first-factor-gate.ts';
import type { Mfa } from '../engine/mfa.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { throttledMessage } from './first-factor-failure.ts';
import { OUTAGE_ANSWER } from './outage.ts';
import { requestIdOf } from './request-id.ts';
import { blockedMessage } from './sign-in-start.ts';

/** A longer Authorization header is refused unread: user name (256) and secret (1024) fit well inside. */
const BASIC_HEADER_MAX = 4096;

const APP_PASSWORD_REQUIRED = {
  error: 'app_password_required',
  message:
    'Sign in with an app password: create one for this application in your security info, and type it instead of your password.',
} as const;

export interface BasicCredentials {
  identifier: string;
  secret: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The user name and password of an `Authorization: Basic` header (RFC 7617: base64 of UTF-8
 * `user:password`, split at the first colon), or null when there is none or it is malformed
 * (another scheme, not base64, not UTF-8, no colon, no user name, too long).
 */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | null {
  if (typeof header !== 'string' || header.length > BASIC_HEADER_MAX) return null;
  const match = /^basic +([A-Za-z0-9+/]+={0,2}) *$/i.exec(header);
  const token = match?.[1];
  if (!token || token.length % 4 !== 0) return null;
  let decoded: string;
  try {
    decoded = utf8.decode(Buffer.from(token, 'base64'));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { identifier: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

/** What a legacy client signed in as: the user, and the engine's stamp for this one request. */
export interface LegacySignIn {
  userId: string;
  stamp: AuthStamp;
  /** The app password that signed in; null when the account's password sufficed (the policies asked no second step). */
  appPasswordId: string | null;
}

export type LegacyBasicOutcome =
  | { ok: true; signIn: LegacySignIn }
  | { ok: false; refusal: 'credentials' }
  | { ok: false; refusal: 'throttled'; retryAfterSeconds: number }
  | { ok: false; refusal: 'blocked'; message: string }
  | { ok: false; refusal: 'outage' };

export interface LegacyBasicOptions {
  /** The first-factor gate over your accounts (`mfa.firstFactorGate(directory)`). */
  gate: FirstFactorGate;
  /** The application the client signs in to: an app password must be scoped to it; policies for it apply. */
  app: string;
  /**
   * Whether createMfa's `trustedNetworks` may lift the second factor here (the account's
   * password passing from a trusted network). Default false: a legacy route is often reached
   * through a gateway or from a shared network, and needs an app password everywhere.
   */
  trustedNetworks?: boolean | undefined;
}

/** Checks the request's Basic credentials and asks the engine; never throws for bad input. */
export async function legacyBasicSignIn(
  mfa: Mfa,
  options: LegacyBasicOptions,
  req: IncomingMessage,
): Promise<LegacyBasicOutcome> {
  const credentials = parseBasicAuthorization(req.headers.authorization);
  if (!credentials) return { ok: false, refusal: 'credentials' };
  const ip = mfa.clientIp(req);
  const requestId = requestIdOf(req);
  try {
    const first = await options.gate.signIn({
      ...credentials,
      kind: 'legacyClient',
      app: options.app,
      // No second step here: the account's password is checked only where it alone signs in.
      secondStep: false,
      allowTrustedNetwork: options.trustedNetworks === true,
      // The decision whether the password may be checked sees what the sign-in will (device risk).
      userAgent: req.headers['user-agent'],
      ip,
      requestId,
    });
    if (!first.ok)
      return first.error === 'throttled'
        ? { ok: false, refusal: 'throttled', retryAfterSeconds: first.retryAfterSeconds }
        : { ok: false, refusal: 'credentials' };
    // No remembered-device cookie: a legacy client's request stands on what it typed alone.
    const start = await mfa.beginSignIn({
      userId: first.accountId,
      amr: first.amr,
      ip,
      requestId,
      userAgent: req.headers['user-agent'],
      app: options.app,
      clientAppType: 'legacy',
      allowTrustedNetwork: options.trustedNetworks === true,
    });
    if (start.status === 'blocked') return { ok: false, refusal: 'blocked', message: blockedMessage(start) };
    if (start.status === 'mfa') {
      // A second step the client cannot take: the right password, told as a wrong one.
      await mfa.cancelPending(start.pending.id);
      return { ok: false, refusal: 'credentials' };
    }
    return {
      ok: true,
      signIn: { userId: start.stamp.userId, stamp: start.stamp, appPasswordId: first.appPasswordId ?? null },
    };
  } catch (err) {
    if (mfa.reportOutage(err, { ip, requestId })) return { ok: false, refusal: 'outage' };
    throw err;
  }
}

/** A quoted-string for the realm parameter (RFC 9110 §5.6.4). */
const quoted = (value: string) => `"${value.replace(/[\\"]/g, '\\$&')}"`;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * The realm of the Basic challenge: the one given (printable ASCII, or a TypeError naming
 * `who`: it goes into a header), else the engine's issuer with other characters as '?'.
 */
export function basicRealm(mfa: Mfa, realm: string | undefined, who: string): string {
  if (realm !== undefined && !PRINTABLE_ASCII.test(realm))
    throw new TypeError(`${who}: realm must be printable ASCII`);
  return realm ?? mfa.settings.issuer.replace(/[^\x20-\x7e]/g, '?');
}

/** The `WWW-Authenticate` value that asks a client for Basic credentials (RFC 7617). */
export const basicChallenge = (realm: string) => `Basic realm=${quoted(realm)}, charset="UTF-8"`;

/** What a refused legacy client is answered: status, headers and the JSON body. */
export interface LegacyRefusalAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: string; message: string; retryAfterSeconds?: number };
}

/** The one answer to each refusal, for every integration (never cached). */
export function legacyRefusalAnswer(
  outcome: Extract<LegacyBasicOutcome, { ok: false }>,
  realm: string,
): LegacyRefusalAnswer {
  const noStore = { 'Cache-Control': 'no-store' };
  switch (outcome.refusal) {
    case 'outage':
      return {
        status: OUTAGE_ANSWER.status,
        headers: { ...noStore, 'Retry-After': String(OUTAGE_ANSWER.retryAfterSeconds) },
        body: { error: OUTAGE_ANSWER.error, message: OUTAGE_ANSWER.message },
      };
    case 'throttled': {
      const { retryAfterSeconds } = outcome;
      return {
        status: 429,
        headers: { ...noStore, 'Retry-After': String(retryAfterSeconds) },
        body: { error: 'throttled', message: throttledMessage(retryAfterSeconds), retryAfterSeconds },
      };
    }
    case 'blocked':
      return { status: 403, headers: noStore, body: { error: 'signin_blocked', message: outcome.message } };
    case 'credentials':
      return {
        status: 401,
        headers: { ...noStore, 'WWW-Authenticate': basicChallenge(realm) },
        body: { ...APP_PASSWORD_REQUIRED },
      };
  }
}

/** Answers a refused legacy sign-in on `res` as JSON. */
export function answerLegacyRefusal(
  res: Response,
  outcome: Extract<LegacyBasicOutcome, { ok: false }>,
  realm: string,
): void {
  const answer = legacyRefusalAnswer(outcome, realm);
  res.status(answer.status).set(answer.headers).json(answer.body);
}
