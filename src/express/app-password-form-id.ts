// The app-password create form's one-time id: a random value put in the form each time the
// settings page shows it and kept in the user's mfakit session, then taken out by the form's
// POST before anything is created. Reloading the created page (the browser resubmitting the
// form) therefore posts an id the session no longer holds, and creates no second password.
import { randomBytes } from 'node:crypto';
import type { Request } from 'express';
import { constantTimeEqual } from '../crypto/code-hash.ts';
import { saveSession, sessionState } from '../web/session.ts';

/** A fresh id for the form being shown; it replaces any earlier one (only the last form shown works). */
export function issueAppPasswordFormId(req: Request): string {
  const formId = randomBytes(18).toString('base64url');
  sessionState(req).appPasswordFormId = formId;
  return formId;
}

/**
 * Takes the session's id out (saved before the caller creates anything) and says whether the
 * posted one is it. Whatever was posted, the id is spent: the next try needs the page again.
 */
export async function takeAppPasswordFormId(req: Request, posted: unknown): Promise<boolean> {
  const state = sessionState(req);
  const expected = state.appPasswordFormId;
  if (expected === undefined) return false;
  delete state.appPasswordFormId;
  await saveSession(req);
  return typeof posted === 'string' && constantTimeEqual(posted, expected);
}
