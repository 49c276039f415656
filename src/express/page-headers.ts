import type { Response } from 'express';

/**
 * Headers for mfakit's pages and answers: never cached, no script, no framing, forms only to
 * this origin, no referrer leaving the site.
 */
export function setPageHeaders(res: Response): void {
  res.set('Cache-Control', 'no-store');
  res.set(
    'Content-Security-Policy',
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  );
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Referrer-Policy', 'same-origin');
}
