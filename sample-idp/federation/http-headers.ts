import type { NextFunction, Request, Response } from 'express';

/**
 * Helmet-like headers without the dependency. Every answer: no MIME sniffing, no framing, no
 * referrer beyond this origin (codes travel in URLs). Our own HTML pages additionally get a
 * CSP allowing scripts from this origin only (the WebAuthn client of the passkey forms; never an
 * inline script) whose form-action lists this origin and the origins our forms end up at
 * (relying parties' redirect URIs, claims providers): browsers check form-action on the
 * redirects that follow a form submission too. oidc-provider's own responses (e.g. a
 * form_post answer, which needs its inline script) keep only the global headers.
 */
export function globalHeaders(secure: boolean) {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'same-origin',
      'Cross-Origin-Opener-Policy': 'same-origin',
      ...(secure ? { 'Strict-Transport-Security': 'max-age=31536000' } : {}),
    });
    next();
  };
}

export function pageCsp(formTargets: readonly string[]): string {
  const origins = [...new Set(formTargets.filter((u) => URL.canParse(u)).map((u) => new URL(u).origin))];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "connect-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `form-action 'self' ${origins.join(' ')}`.trim(),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function pageHeaders(csp: string) {
  return (_req: Request, res: Response, next: NextFunction) => {
    res.set({ 'Content-Security-Policy': csp, 'Cache-Control': 'no-store' });
    next();
  };
}
