// A small Express app as a user of mfakit would write it: a password form (first factor),
// the mfakit router at /mfa, and protected routes behind requireMfa(); the same app with push
// notifications (its device API at /mfa/device) and a phone app registered through it; and the
// TOTP code at a test clock's time.
import assert from 'node:assert/strict';
import express from 'express';
import session from 'express-session';
import request from 'supertest';
import { createMfaExpress, type MfaExpressOptions } from '../../src/express/index.ts';
import { type MfaOptions, pushMethod, pushOutbox, recoveryCode, type Stores, totp } from '../../src/index.ts';
import { base32Decode } from '../../src/methods/otp/base32.ts';
import { totpCode } from '../../src/methods/otp/otp.ts';
import { PUSH_ENDPOINT } from './push.ts';
import { createPushApp, type PushApp, supertestTransport } from './push-app.ts';
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

/**
 * The test app with push notifications beside TOTP and recovery codes: the device API at
 * /mfa/device (the apps' `aud` is PUSH_ENDPOINT, a URL the tests never resolve), the
 * notifications in an outbox the test reads.
 */
export function makePushApp(overrides: Parameters<typeof makeApp>[0] = {}) {
  const outbox = pushOutbox({ print: false });
  const push = pushMethod({ endpoint: PUSH_ENDPOINT, delivery: outbox });
  const built = makeApp({ methods: [totp, push, recoveryCode], ...overrides });
  return { ...built, outbox };
}

/**
 * `user`'s first sign-in through the JSON API registering a phone app, which activates over HTTP
 * to the same app; signed out again. The app (talking to /mfa/device), its method id and the
 * recovery codes shown.
 */
export async function registerPushOverApi(
  built: ReturnType<typeof makePushApp>,
  user: string,
  name = 'Pixel 9',
): Promise<{ phone: PushApp; methodId: string; recoveryCodes: string[] }> {
  const agent = request.agent(built.app);
  await agent.post('/login').send({ username: user, password: PASSWORDS[user] }).expect(200);
  const draft = await agent.post('/mfa/api/enroll/push').send({});
  assert.equal(draft.status, 201, JSON.stringify(draft.body));
  const phone = await createPushApp(supertestTransport(built.app), { now: () => built.clock.now(), name });
  const activated = await phone.activate(draft.body.activationUri);
  assert.equal(activated.status, 200, JSON.stringify(activated.body));
  const done = await agent
    .post('/mfa/api/enroll/push/confirm')
    .send({ draftId: draft.body.draftId, code: activated.body.confirmationCode });
  assert.equal(done.status, 200, JSON.stringify(done.body));
  await agent.post('/logout');
  return { phone, methodId: activated.body.deviceId, recoveryCodes: done.body.recoveryCodes };
}
