// What every integration answers when a store failed (fail closed): 503 with a Retry-After —
// to a browser, a page saying sign-in is unavailable for a moment and nothing was signed in or
// changed; to an API client, `{ error: 'service_unavailable', message }`. Nothing is skipped:
// the request stops here. Which store failed and why is the audit log's business
// (`store_unavailable`, see mfa.reportOutage), never the user's.
import type { Response } from 'express';
import { setPageHeaders } from './page-headers.ts';
import { messagePage, type PageContext } from './pages.ts';

export const OUTAGE_ANSWER = {
  status: 503,
  error: 'service_unavailable',
  title: 'Sign-in is unavailable',
  message: 'Sign-in is unavailable right now, so nothing was signed in or changed. Try again in a moment.',
  retryAfterSeconds: 5,
} as const;

/** Answers a request that met a store failure. `html`: the page, else the JSON error (an API needs no page). */
export function answerOutage(
  res: Response,
  answer:
    | { html: false }
    | { html: boolean; page: PageContext; link?: { href: string; text: string } | undefined },
): void {
  const { status, error, title, message, retryAfterSeconds } = OUTAGE_ANSWER;
  setPageHeaders(res);
  res.status(status).set('Retry-After', String(retryAfterSeconds));
  if (!answer.html || !('page' in answer)) {
    res.json({ error, message });
    return;
  }
  res.type('html').send(messagePage(answer.page, title, message, answer.link));
}
