// What mfakit keeps in the express-session (the Express and Passport integrations): the
// pending sign-in's id (never the user) or the completed sign-in's stamp, and a registration or
// step-up in progress; nothing secret. And the helpers around it: reading it, a new session id
// at each privilege change, saving it, and the same-site check of a `returnTo` (no open redirect).
import type { Request } from 'express';
import type {} from 'express-session';
import type {} from 'passport';
import type { AuthStamp } from '../engine/stamp.ts';

/** mfakit's part of the express-session (`req.session.mfakit`). */
export interface MfaSessionState {
  pendingId?: string;
  returnTo?: string;
  /**
   * The completed sign-in's stamp as the session store gave it back: an AuthStamp when written,
   * but possibly of an older release or tampered with in the store. Read it only through
   * `parseStamp()` (null: treat the session as signed out).
   */
  stamp?: AuthStamp | unknown;
  /** The method registration in progress: its draft and the method's kind. */
  draftId?: string;
  draftKind?: string;
  /**
   * A sign-in completed by registering its first method, while its recovery codes are shown
   * (once: then removed) and before the integration logs the user in (Passport: the next POST
   * to the 'mfa' strategy). Not the session's stamp: no guard accepts it. Read the stamp only
   * through `parseStamp()`.
   */
  completed?: { stamp: AuthStamp | unknown; recoveryCodes?: string[] };
  /** What the next page says once (Passport: "We sent a code to +•• ••• ••23."). */
  notice?: string;
  /** The passwordless sign-in challenge this browser was given (mfakit/express passkey routes). */
  passkeyChallengeId?: string;
  /** What the guard last asked to step up for (app, authentication context) and why, for the verify page. */
  stepUp?: { app: string; authenticationContexts?: string[]; message?: string };
  /**
   * The app-password create form last shown (the settings page): its one-time id, taken out by
   * the form's POST before creating, so a resubmitted form creates nothing (src/express/app-password-form-id.ts).
   */
  appPasswordFormId?: string;
}

declare module 'express-session' {
  interface SessionData {
    mfakit?: MfaSessionState;
  }
}

export function sessionState(req: Request): MfaSessionState {
  if (!req.session) throw new Error('mfakit/express needs express-session mounted before it');
  req.session.mfakit ??= {};
  return req.session.mfakit;
}

/** New session id, nothing carried over: defeats fixation at every privilege change. */
export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

/** New session id, with the old session's data carried over (everything but the cookie). */
export async function regenerateSessionKeeping(req: Request): Promise<void> {
  const { cookie: _cookie, ...data } = req.session as unknown as Record<string, unknown>;
  await regenerateSession(req);
  Object.assign(req.session, structuredClone(data));
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Only same-site relative paths: `/x`, never `//evil`, `/\evil` or absolute URLs (open redirect). */
export function safeReturnTo(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || value.length > 512) return fallback;
  // Control characters are refused: browsers drop TAB/CR/LF from URLs, so "/\t/evil" becomes "//evil".
  if (
    value.startsWith('//') ||
    !value.startsWith('/') ||
    value.includes('\\') ||
    hasControlCharacter(value)
  ) {
    return fallback;
  }
  return value;
}
