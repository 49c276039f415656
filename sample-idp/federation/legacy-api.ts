// The federation server's HTTP Basic API for scripts and older apps, at /legacy: a client that
// has only a user name and password field signs in with an app password scoped to
// `legacy-api` (mfakit's requireAppPassword guard, through the server's one first-factor gate;
// no session, no cookie, no CSRF — each request carries its credentials). `GET /legacy/me`
// answers who signed in, as JSON:
//
//   curl -u alice:'<app password>' http://localhost:3000/legacy/me
import express, { type NextFunction, type Request, type Response } from 'express';
import type { FirstFactorGate, Mfa } from 'mfakit';
import { answerLegacyRefusal, answerOutage, basicRealm, requireAppPassword } from 'mfakit/express';
import type { Accounts } from './accounts.ts';
import { LEGACY_API_APP } from './app-password-config.ts';

export interface LegacyApiDeps {
  mfa: Mfa;
  /** The one first-factor gate (shared with the interaction login, the portal and RADIUS). */
  gate: FirstFactorGate;
  accounts: Accounts;
}

/** The router to mount at /legacy. */
export function createLegacyApi(deps: LegacyApiDeps): express.Router {
  const router = express.Router();
  // Answers carry a user's data (and a 401 its challenge): never cached, and JSON only.
  router.use((_req, res, next) => {
    res.set({ 'Cache-Control': 'no-store', 'Content-Security-Policy': "default-src 'none'" });
    next();
  });
  router.get(
    '/me',
    // The realm: the engine's issuer, the service's display name.
    requireAppPassword(deps.mfa, { gate: deps.gate, app: LEGACY_API_APP }),
    async (req, res) => {
      const signIn = req.legacyAuth;
      const profile = signIn ? await deps.accounts.profile(signIn.userId) : null;
      // Signed in, but the account is gone: refused as a wrong password is (as Passport's strategy does).
      if (!signIn || !profile)
        return answerLegacyRefusal(
          res,
          { ok: false, refusal: 'credentials' },
          basicRealm(deps.mfa, undefined, 'legacy API'),
        );
      res.json({
        sub: profile.id,
        name: profile.name ?? null,
        email: profile.email ?? null,
        groups: profile.groups,
        amr: signIn.stamp.amr,
      });
    },
  );
  // Anything else under /legacy: a JSON 404, not the OpenID provider's HTML.
  router.use((_req, res) => {
    res.status(404).json({ error: 'not_found', message: 'No such API endpoint.' });
  });
  // A failure here (the OIDC store holding a partner's profile) is answered as JSON too.
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    process.emitWarning(
      `federation: ${req.method} ${req.originalUrl}: ${String((err as Error).stack ?? err)}`,
    );
    answerOutage(res, { html: false });
  });
  return router;
}
