// Headers for mfakit's pages and answers: never cached, scripts only from this origin (the
// WebAuthn client; never inline), no framing, forms only to
// this origin (plus `formTargets`), no referrer leaving the site. Browsers apply form-action
// to the redirects that follow a form submission too, so a page whose form ends at another
// site (an OIDC client's redirect URI) must name that site's origin.
import type { Response } from 'express';

/** Sets those headers; `formTargets`: the URLs (or origins) other than this one its forms may end at. */
export function setPageHeaders(res: Response, options: { formTargets?: readonly string[] } = {}): void {
  const targets = (options.formTargets ?? []).map(formActionSource).filter((s) => s !== null);
  res.set('Cache-Control', 'no-store');
  res.set(
    'Content-Security-Policy',
    `default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self' data:; form-action ${["'self'", ...new Set(targets)].join(' ')}; frame-ancestors 'none'; base-uri 'none'`,
  );
  res.set('X-Content-Type-Options', 'nosniff');
  res.set('Referrer-Policy', 'same-origin');
}

/** A CSP source for a URL: its origin (http/https), or its scheme (a native app's `com.example:/cb`). */
function formActionSource(url: string): string | null {
  if (!URL.canParse(url)) return null;
  const parsed = new URL(url);
  if (parsed.protocol === 'http:' || parsed.protocol === 'https:') return parsed.origin;
  return /^[a-z][a-z0-9+.-]*:$/i.test(parsed.protocol) ? parsed.protocol : null;
}
