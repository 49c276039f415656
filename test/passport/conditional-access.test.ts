import assert from 'node:assert/strict';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import request from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createMfaExpress } from '../../src/express/index.ts';
import { createMfa, parseStamp } from '../../src/index.ts';
import { totpCode } from '../../src/methods/otp/otp.ts';
import { beginMfa, MFA_MESSAGES, MfaStrategy, mfaPage } from '../../src/passport/index.ts';
import { codeFor } from '../helpers/app.ts';
import { testClock } from '../helpers/test-clock.ts';
import { firstSignIn, PASSWORD_OF } from './passport-flows.ts';

/**
 * Conditional access through Passport: the 'mfa' strategy accepts only a method the
 * policies allow for the app signed in to, and the shared guard sends a Passport session
 * to step-up when an app needs more (strength) or the sign-in frequency has passed.
 */
interface User {
  id: string;
}
const USERS: Record<string, User> = { alice: { id: 'alice' } };
const SEED = Buffer.from('passport-token-seed!', 'ascii');
const CSV = `serial,secret,algorithm,digits,period,kind\nHW-9,${SEED.toString('hex')},sha1,6,30,totp\n`;

const policies = {
  authenticationStrengths: [
    {
      id: 'hardwareToken',
      name: 'Hardware token',
      userMessage: 'Use your hardware token.',
      combinations: [['password', 'hardwareOath']],
    },
  ],
  policies: [
    {
      id: 'payroll-token',
      name: 'Payroll: hardware token, hourly',
      state: 'on',
      assignments: { users: { include: ['all'] }, applications: { include: ['payroll'] } },
      grant: { controls: [{ authenticationStrength: 'hardwareToken' }] },
      session: { signInFrequencyHours: 1 },
    },
  ],
};

async function makeApp() {
  const clock = testClock();
  const mfa = createMfa({
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'Test Co',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 1) }],
    audit: () => {},
    lockout: { backoffBaseMs: 0 },
    policies,
  });
  const web = createMfaExpress(mfa, { userIdOf: (u) => (u as User).id });
  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => {
      const user = USERS[username];
      return done(null, user && password === PASSWORD_OF(username) ? user : false);
    }),
  );
  passport.use(new MfaStrategy({ mfa, loadUser: (id) => USERS[id] ?? null }));
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: string, done) => done(null, USERS[id] ?? false));

  const app = express();
  app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false }));
  app.use(passport.session());
  app.use(express.json(), express.urlencoded({ extended: false }));
  app.post('/login', (req: Request, res: Response, next: NextFunction) => {
    passport.authenticate('local', (err: unknown, user: User | false) => {
      if (err) return next(err);
      if (!user) return res.status(401).json({ error: 'bad_password' });
      const appName = (req.body as { app?: string }).app;
      beginMfa(req, res, {
        mfa,
        user,
        userId: user.id,
        promptPath: '/login/mfa',
        ...(appName ? { app: appName } : {}),
      }).catch(next);
    })(req, res, next);
  });
  app.get('/login/mfa', mfaPage(mfa));
  app.post(
    '/login/mfa',
    passport.authenticate('mfa', { keepSessionInfo: true, failureMessage: true }),
    (req, res) => {
      res.json({ user: (req.user as User).id, amr: parseStamp(req.session.mfakit?.stamp)?.amr });
    },
  );
  app.get('/messages', (req, res) => {
    res.json(req.session.messages ?? []);
  });
  app.use('/mfa', web.router());
  app.get('/payroll', web.requireMfa({ app: 'payroll' }), (req, res) => {
    res.json({ user: (req.user as User).id, methods: req.mfa?.methods });
  });
  app.get('/payroll/pay', web.requireMfa({ fresh: true, app: 'payroll' }), (req, res) => {
    res.json({ user: (req.user as User).id });
  });
  app.get('/account', web.requireMfa(), (req, res) => {
    res.json({ user: (req.user as User).id });
  });

  // alice: an authenticator app (registered at her first sign-in) and a hardware token (assigned by an admin)
  const { secret } = await firstSignIn(app, clock, 'alice');
  clock.advance(30_000);
  await mfa.tokens.importCsv(CSV, { ip: '192.0.2.1' });
  await mfa.tokens.assign('HW-9', 'alice', 'Token', { ip: '192.0.2.1' });
  const token = () =>
    totpCode(SEED, {
      algorithm: 'sha1',
      digits: 6,
      period: 30,
      epochSeconds: Math.floor(clock.now() / 1000),
    });
  return { app, clock, secret, token };
}

describe('conditional access through Passport', () => {
  it("signing in to payroll: the 'mfa' strategy refuses the authenticator-app code and accepts the token", async () => {
    const { app, clock, secret, token } = await makeApp();
    const agent = request.agent(app);
    const start = await agent
      .post('/login')
      .send({ username: 'alice', password: PASSWORD_OF('alice'), app: 'payroll' });
    assert.equal(start.headers.location, '/login/mfa');
    const wrong = await agent.post('/login/mfa').send({ code: codeFor(secret, clock) });
    assert.equal(wrong.status, 401);
    assert.deepEqual((await agent.get('/messages')).body, [MFA_MESSAGES.invalidCode]);
    assert.equal((await agent.get('/payroll')).status, 401, 'not signed in');
    const ok = await agent.post('/login/mfa').send({ code: token() });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.amr, ['pwd', 'otp', 'hwk', 'mfa']);
    assert.equal((await agent.get('/payroll')).status, 200);
  });

  it('a Passport session signed in with the app is sent to step-up for payroll, and again after an hour', async () => {
    const { app, clock, secret, token } = await makeApp();
    const agent = request.agent(app);
    await agent.post('/login').send({ username: 'alice', password: PASSWORD_OF('alice') });
    assert.equal((await agent.post('/login/mfa').send({ code: codeFor(secret, clock) })).status, 200);
    assert.equal((await agent.get('/account')).status, 200);
    const refused = await agent.get('/payroll');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.message, 'Use your hardware token.');
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: token() })).status, 200);
    const ok = await agent.get('/payroll');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.user, 'alice', 'Passport user kept across the step-up session regeneration');
    clock.advance(61 * 60_000);
    assert.equal((await agent.get('/payroll')).status, 401, 'sign-in frequency passed');
    assert.equal((await agent.get('/account')).status, 200);
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: token() })).status, 200);
    assert.equal((await agent.get('/payroll')).status, 200);
  });

  it('a fresh payroll route, the token 10 min old: the authenticator-app code does not freshen it, the token does', async () => {
    const { app, clock, secret, token } = await makeApp();
    const agent = request.agent(app);
    await agent.post('/login').send({ username: 'alice', password: PASSWORD_OF('alice'), app: 'payroll' });
    assert.equal((await agent.post('/login/mfa').send({ code: token() })).status, 200);
    assert.equal((await agent.get('/payroll/pay')).status, 200);
    clock.advance(10 * 60_000); // past reauthMaxAgeSeconds (5 min), within the hourly sign-in frequency
    assert.equal((await agent.get('/payroll')).status, 200);
    const stale = await agent.get('/payroll/pay');
    assert.equal(stale.status, 401);
    assert.equal(stale.body.reason, 'reverify_required');
    const weak = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(weak.status, 401, `the weaker code was accepted: ${JSON.stringify(weak.body)}`);
    assert.equal((await agent.get('/payroll/pay')).status, 401);
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: token() })).status, 200);
    const ok = await agent.get('/payroll/pay');
    assert.equal(ok.status, 200);
    assert.equal(ok.body.user, 'alice');
  });
});
