import { csrfSync } from 'csrf-sync';
import express from 'express';
import session from 'express-session';
import { type EphemeralStore, type FirstFactorGate, type Mfa, MfaError } from 'mfakit';
import { answerFirstFactorFailure, createMfaExpress } from 'mfakit/express';
import { z } from 'zod';
import type { LocalDirectory } from './directory.ts';
import { pageCsp, pageHeaders } from './http-headers.ts';
import { portalSignedInPage, portalSignInPage } from './pages.ts';
import { ACCOUNT_PORTAL_APP } from './policies.ts';
import { EphemeralSessionStore } from './portal-sessions.ts';

/**
 * "Security info" at /account: users manage their methods, recovery codes and remembered
 * devices outside any OIDC flow. Its own express-session (cookie scoped to /account) and
 * sign-in through the same first-factor gate as the interaction login (password or Temporary
 * Access Pass), then mfakit's second factor — the generated policy
 * `account-portal-requires-mfa` makes MFA (or enrollment of a first method) necessary for
 * every user here, whatever their MFA state. mfakit's router at /account/mfa serves the
 * prompt, enrollment and settings pages. Its sessions live in mfakit's ephemeral store, so every
 * process of the server knows them.
 */
const portalLoginBody = z.object({
  identifier: z.string().trim().min(1).max(256),
  password: z.string().min(1).max(256),
  kind: z.enum(['password', 'temporaryAccessPass']).default('password'),
});

export interface PortalDeps {
  mfa: Mfa;
  directory: LocalDirectory;
  /** The one first-factor gate (shared with the interaction login). */
  gate: FirstFactorGate;
  /** A claims provider's name, for "this account signs in with …". */
  realmName: (realm: string) => string;
  service: string;
  sessionSecret: string;
  secureCookies: boolean;
  /** Where the portal's sessions live (shared by every process of the server). */
  ephemeral: EphemeralStore;
}

const PORTAL_SESSION_MS = 3600_000;

export function createAccountPortal(deps: PortalDeps): express.Router {
  const { mfa, directory } = deps;
  const web = createMfaExpress(mfa, {
    basePath: '/account/mfa',
    loginPath: '/account',
    defaultReturnTo: '/account/mfa/settings',
    app: ACCOUNT_PORTAL_APP,
    displayName: (id) => directory.get(id)?.name ?? id,
    // As at the sign-in page: only local accounts sign in with a passkey alone (a partner's sign in there).
    passkeySignIn: (id) => directory.get(id) !== null,
  });
  const router = express.Router();
  router.use(
    session({
      secret: deps.sessionSecret,
      name: 'fed_account_sid',
      store: new EphemeralSessionStore(deps.ephemeral, PORTAL_SESSION_MS),
      resave: false,
      saveUninitialized: false,
      cookie: {
        path: '/account',
        httpOnly: true,
        sameSite: 'lax',
        secure: deps.secureCookies,
        maxAge: PORTAL_SESSION_MS,
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
      res.send(
        portalSignInPage({
          service: deps.service,
          csrf: generateToken(req),
          accessPass: req.query.method === 'tap',
        }),
      );
    } catch (err) {
      next(err);
    }
  });

  router.post('/login', own, form, csrfSynchronisedProtection, async (req, res, next) => {
    try {
      const body = portalLoginBody.safeParse(req.body ?? {});
      if (!body.success) throw new MfaError('invalid_request', 'Fill in every field and try again.', 400);
      const { identifier, password, kind } = body.data;
      const result = await deps.gate.signIn({ identifier, secret: password, kind, ...web.ctxOf(req) });
      if (!result.ok) {
        const error = answerFirstFactorFailure(res, result, kind, deps.realmName);
        return res.send(
          portalSignInPage({
            service: deps.service,
            csrf: generateToken(req),
            error,
            identifier,
            accessPass: kind === 'temporaryAccessPass',
          }),
        );
      }
      await web.beginSignIn(req, res, {
        userId: result.accountId,
        amr: result.amr,
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
