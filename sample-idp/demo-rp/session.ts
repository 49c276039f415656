import type { Request } from 'express';
import type {} from 'express-session';

/** Where a finished sign-in may send the browser: only this app's own pages, never a query parameter. */
export type ReturnTo = '/' | '/sensitive' | '/payments';

/** A sign-in started at the OP and not finished yet: the values the callback must check. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
  /** The `max_age` sent, so the callback checks `auth_time` against it. */
  maxAge?: number;
  /** The `acr_values` sent (a step-up), so the callback checks the acr that came back. */
  acrValues?: string;
  returnTo: ReturnTo;
  startedAt: number;
}

/** The ID token's claims the app shows and decides on. */
export interface SignedInClaims {
  iss: string;
  sub: string;
  name?: string;
  email?: string;
  acr?: string;
  amr?: string[];
  /** Seconds since the epoch, as in the ID token. */
  authTime?: number;
}

export interface SignedIn {
  /** The raw ID token, kept for `id_token_hint` at logout. */
  idToken: string;
  claims: SignedInClaims;
}

export interface DemoRpSession {
  pending?: PendingSignIn;
  user?: SignedIn;
  /** Set by the callback when a step-up came back with a weaker acr than asked for (for the page that asked). */
  stepUpFailed?: { wanted: string; got?: string; page?: ReturnTo };
}

declare module 'express-session' {
  interface SessionData {
    demoRp?: DemoRpSession;
  }
}

export function rpSession(req: Request): DemoRpSession {
  req.session.demoRp ??= {};
  return req.session.demoRp;
}

/** New session id, nothing carried over (no fixation across sign-in). */
export function regenerate(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((err) => (err ? reject(err) : resolve())));
}

export function save(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((err) => (err ? reject(err) : resolve())));
}

export function destroy(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
}
