import { csrfSync } from 'csrf-sync';
import express from 'express';
import session from 'express-session';
import type { Mfa } from '../../src/engine/create-mfa.ts';
import { createMfaExpress } from '../../src/express/index.ts';
import type { LocalDirectory } from './directory.ts';
import { pageCsp, pageHeaders } from './http-headers.ts';
import { portalSignedInPage, portalSignInPage } from './pages.ts';
import { ACCOUNT_PORTAL_APP } from './policies.ts';

/**
 * "Security info" at /account: users manage their methods, recovery codes and remembered
 * devices outside any OIDC flow. Its own express-session (cookie scoped to /account) and
 * sign-in: the password, then mfakit's second factor — the generated policy
 * `account-portal-requires-mfa` makes MFA (or enrollment of a first method) necessary for
 * every user here, whatever their MFA state. mfakit's router at /account/mfa serves the
 * prompt, enrollment and settings pages.
 */
export interface PortalDeps {
  mfa: Mfa;
  directory: LocalDirectory;
  service: string;
  sessionSecret: string;
  secureCookies: boolean;
}

export function createAccountPortal(deps: PortalDeps): express.Router {
  const { mfa, directory } = deps;
  const web = createMfaExpress(mfa, {
    basePath: '/account/mfa',
    loginPath: '/account',
    defaultReturnTo: '/account/mfa/settings',
    app: ACCOUNT_PORTAL_APP,
    displayName: (id) => directory.get(id)?.name ?? id,
  });
  const router = express.Router();
  router.use(
    session({
      secret: deps.sessionSecret,
      name: 'fed_account_sid',
      resave: false,
      saveUninitialized: false,
      cookie: {
        path: '/account',
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.secureCookies,
        maxAge: 3600_000,
      },
    }),
  );
  const { generateToken, csrfSynchronisedProtection } = csrfSync({
    getTokenFromRequest: (req) => {
      const token = (req.body as { _csrf?: unknown } | undefined)?._csrf;
      return typeof token === 'string' ? token : undefined;
    },
  });
  const form = express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 });
  const own = pageHeaders(pageCsp([]));

  router.get('/', own, async (req, res, next) => {
    try {
      const current = await web.currentStamp(req, false);
      if ('stamp' in current)
        return res.send(
          portalSignedInPage({
            service: deps.service,
            csrf: generateToken(req),
            name: directory.get(current.stamp.userId)?.name ?? current.stamp.userId,
          }),
        );
      res.send(portalSignInPage({ service: deps.service, csrf: generateToken(req) }));
    } catch (err) {
      next(err);
    }
  });

  router.post('/login', own, form, csrfSynchronisedProtection, async (req, res, next) => {
    try {
      const { identifier, password } = req.body as Record<string, unknown>;
      const user =
        typeof identifier === 'string' && typeof password === 'string' && password.length <= 256
          ? await directory.authenticate(identifier, password)
          : null;
      if (!user)
        return res.status(401).send(
          portalSignInPage({
            service: deps.service,
            csrf: generateToken(req),
            error: 'Wrong user name or password.',
            ...(typeof identifier === 'string' ? { identifier: identifier.slice(0, 256) } : {}),
          }),
        );
      await web.beginSignIn(req, res, {
        userId: user.id,
        amr: ['pwd'],
        returnTo: '/account/mfa/settings',
        app: ACCOUNT_PORTAL_APP,
      });
    } catch (err) {
      next(err);
    }
  });

  router.post('/logout', own, form, csrfSynchronisedProtection, async (req, res, next) => {
    try {
      await web.logout(req);
      res.redirect(303, '/account');
    } catch (err) {
      next(err);
    }
  });

  router.use('/mfa', web.router());
  return router;
}
