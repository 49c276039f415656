// What the Passport integration reads and writes in the express-session. Beside mfakit's own
// state (the pending sign-in's id, the stamp) it uses Passport's conventions, with Passport's
// meaning: `returnTo` is where `successReturnToOrRedirect` goes (and what connect-ensure-login
// sets), `messages` is where `failureMessage` puts the reason a step failed.
import type { Request } from 'express';
import type {} from 'express-session';
import type { Mfa } from '../engine/mfa.ts';
import { parseStamp } from '../engine/parse-stamp.ts';
import type { RequestContext } from '../engine/sign-in-types.ts';
import type { AuthStamp } from '../engine/stamp.ts';
import { requestIdOf } from '../web/request-id.ts';
import { type MfaSessionState, safeReturnTo } from '../web/session.ts';

declare module 'express-session' {
  interface SessionData {
    /** Where to go after signing in: Passport's `successReturnToOrRedirect` reads and deletes it. */
    returnTo?: string;
    /** Passport's `failureMessage` / `successMessage` push here. */
    messages?: string[];
  }
}

export const NO_SESSION =
  'mfakit/passport needs express-session (and passport.session()) mounted before its routes';

/** The pending sign-in is over (completed, expired or unknown): nothing of it stays in the session. */
export function forgetPending(state: MfaSessionState): void {
  delete state.pendingId;
  delete state.draftId;
  delete state.draftKind;
}

/**
 * The stamp of a sign-in completed by registering its first method, while it is young enough
 * to be finished (the pending sign-in's lifetime) and not revoked; null otherwise, and then
 * it is dropped from the session.
 */
export async function completedStamp(mfa: Mfa, state: MfaSessionState): Promise<AuthStamp | null> {
  if (!state.completed) return null;
  const stamp = parseStamp(state.completed.stamp);
  const fresh = stamp !== null && mfa.clock.now() - stamp.authTime <= mfa.settings.pendingTtlSeconds * 1000;
  if (stamp && fresh && (await mfa.isCurrent(stamp))) return stamp;
  delete state.completed;
  return null;
}

/** The latest of Passport's failure messages, removed from the session with the others: shown once. */
export function takeMessage(req: Request): string | undefined {
  const message = req.session.messages?.at(-1);
  delete req.session.messages;
  return message;
}

/** The second step's page is served where its forms post: this request's path (same-site only), without its query. */
export function pagePathOf(req: Request): string {
  return safeReturnTo(req.baseUrl + req.path, '/');
}

/** The request as the engine audits it: the client's address (as the engine's options read it) and the request id. */
export const requestContextOf = (mfa: Mfa, req: Request): RequestContext => ({
  ip: mfa.clientIp(req),
  requestId: requestIdOf(req),
});
