// A small Express app as a user of mfakit would write it: a password form (first factor),
// the mfakit router at /mfa, and protected routes behind requireMfa(); and the TOTP code at
// a test clock's time.
import express from 'express';
import session from 'express-session';
import { createMfaExpress, type MfaExpressOptions } from '../../src/express/index.ts';
import type { MfaOptions, Stores } from '../../src/index.ts';
import { base32Decode } from '../../src/methods/otp/base32.ts';
import { totpCode } from '../../src/methods/otp/otp.ts';
import { type TestClock, testClock } from './test-clock.ts';
import { createTestMfa } from './test-mfa.ts';

/** The first-factor passwords of the test users. */
export const PASSWORDS: Record<string, string> = { alice: 'alice-pw', bob: 'bob-pw', svc: 'svc-pw' };

export function makeApp(
  overrides: Partial<MfaOptions> & {
    stores?: Stores;
    clock?: TestClock;
    trustProxy?: boolean;
    /** Options of the Express integration beside the test app's paths. */
    web?: Partial<MfaExpressOptions>;
  } = {},
) {
  const clock = overrides.clock ?? testClock();
  const { web: webOptions, ...engineOptions } = overrides;
  const { mfa, events, stores } = createTestMfa(engineOptions, { clock, issuer: 'Test Co', keyFill: 1 });
  const web = createMfaExpress(mfa, {
    basePath: '/mfa',
    loginPath: '/login',
    defaultReturnTo: '/account',
    ...webOptions,
  });
  const app = express();
  app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false, name: 'sid' }));
  app.post('/login', express.urlencoded({ extended: false }), express.json(), async (req, res, next) => {
    try {
      const { username, password, returnTo, app: appName, client } = req.body as Record<string, string>;
      if (!username || PASSWORDS[username] !== password)
        return res.status(401).json({ error: 'bad_password' });
      // Tests name the application and client type in the body; a real app knows them itself.
      await web.beginSignIn(req, res, {
        userId: username,
        amr: ['pwd'],
        returnTo,
        ...(appName ? { app: appName } : {}),
        ...(client ? { clientAppType: client as 'browser' | 'mobileDesktop' | 'legacy' } : {}),
      });
    } catch (err) {
      next(err);
    }
  });
  app.post('/logout', async (req, res) => {
    await web.logout(req);
    res.json({ ok: true });
  });
  app.use('/mfa', web.router());
  app.get('/account', web.requireMfa(), (req, res) => {
    res.json({
      user: req.mfa?.userId,
      amr: req.mfa?.amr,
      acr: req.mfa?.acr,
      skippedBy: req.mfa?.skippedBy ?? null,
    });
  });
  app.get('/admin', web.requireMfa({ fresh: true }), (req, res) => {
    res.json({ admin: req.mfa?.userId });
  });
  app.get('/payroll', web.requireMfa({ app: 'payroll' }), (req, res) => {
    res.json({ payroll: req.mfa?.userId, methods: req.mfa?.methods });
  });
  app.post(
    '/payroll/approve',
    web.requireMfa({ app: 'payroll', authenticationContext: 'c1' }),
    (req, res) => {
      res.json({ approved: true, methods: req.mfa?.methods });
    },
  );
  return { app, mfa, web, clock, events, stores };
}

/** The current TOTP code for a base32 secret at the test clock's time. */
export function codeFor(secret: string, clock: TestClock, offsetSteps = 0): string {
  return totpCode(base32Decode(secret), {
    algorithm: 'sha1',
    digits: 6,
    period: 30,
    epochSeconds: Math.floor(clock.now() / 1000) + offsetSteps * 30,
  });
}
