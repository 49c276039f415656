/**
 * Shared fixtures of the MfaStrategy tests. A real Passport 0.7 app: passport-local for the password,
 * the 'mfa' strategy for the second step (no failureRedirect here: Passport answers the strategy's
 * status), mfaPage for its page, the mfakit router at /mfa and its guard; and sign-in helpers.
 */

import assert from 'node:assert/strict';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import request, { type Agent } from 'supertest';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { createMfaExpress } from '../../../src/express/index.ts';
import { createMfa, type MfaOptions, parseStamp } from '../../../src/index.ts';
import { beginMfa, logoutMfa, MfaStrategy, mfaPage } from '../../../src/passport/index.ts';
import { codeFor } from '../../helpers/app.ts';
import { type TestClock, testClock } from '../../helpers/test-clock.ts';
import { firstSignIn, PASSWORD_OF, passwordStep } from '../passport-flows.ts';

export interface User {
  id: string;
  name: string;
}
export const USERS: Record<string, User> = {
  alice: { id: 'alice', name: 'Alice' },
  bob: { id: 'bob', name: 'Bob' },
};

export function makePassportApp(overrides: Partial<MfaOptions> = {}) {
  const clock = testClock();
  const mfa = createMfa({
    ...overrides,
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'Test Co',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 1) }],
    audit: () => {},
    rememberDevice: { enabled: true, days: 14, maxDays: 60, cookieName: 'mfakit_rd', secureCookie: false },
  });
  const web = createMfaExpress(mfa, {
    basePath: '/mfa',
    loginPath: '/login',
    defaultReturnTo: '/account',
    userIdOf: (u) => (u as User).id,
  });

  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => {
      const user = USERS[username];
      if (!user || password !== PASSWORD_OF(username))
        return done(null, false, { message: 'Wrong username or password.' });
      return done(null, user);
    }),
  );
  passport.use(new MfaStrategy({ mfa, loadUser: (id) => USERS[id] ?? null }));
  passport.serializeUser((user, done) => done(null, (user as User).id));
  passport.deserializeUser((id: string, done) => done(null, USERS[id] ?? false));

  /** req.user as each request ended, by path: the witness for "a pending principal is never req.user". */
  const seen: { path: string; user: string | null }[] = [];

  const app = express();
  app.use(session({ secret: 'test-secret', resave: false, saveUninitialized: false, name: 'sid' }));
  app.use(passport.session());
  app.use((req, res, next) => {
    res.on('finish', () => seen.push({ path: req.path, user: (req.user as User | undefined)?.id ?? null }));
    next();
  });
  app.use(express.json(), express.urlencoded({ extended: false }));

  app.post('/login', (req: Request, res: Response, next: NextFunction) => {
    passport.authenticate('local', (err: unknown, user: User | false, info?: { message?: string }) => {
      if (err) return next(err);
      if (!user) return res.status(401).json({ error: 'bad_password', message: info?.message });
      const returnTo = (req.body as { returnTo?: string }).returnTo;
      beginMfa(req, res, {
        mfa,
        user,
        userId: user.id,
        promptPath: '/login/mfa',
        returnTo,
        successReturnToOrRedirect: '/account',
      }).catch(next);
    })(req, res, next);
  });
  app.get('/login/mfa', mfaPage(mfa));
  app.post(
    '/login/mfa',
    passport.authenticate('mfa', { keepSessionInfo: true, failureMessage: true }),
    (req, res) => {
      res.json({
        user: (req.user as User).id,
        amr: parseStamp(req.session.mfakit?.stamp)?.amr,
        authInfo: req.authInfo,
      });
    },
  );
  // Misuse on purpose: the strategy without keepSessionInfo, or without a session login, must refuse to run.
  app.post('/login/mfa-raw', passport.authenticate('mfa', { failureMessage: true }));
  app.post('/login/mfa-sessionless', passport.authenticate('mfa', { keepSessionInfo: true, session: false }));
  app.post('/logout', async (req, res, next) => {
    try {
      await logoutMfa(req, mfa);
      res.json({ ok: true });
    } catch (err) {
      next(err);
    }
  });
  app.get('/debug/mfakit', (req, res) => {
    res.json(req.session.mfakit ?? null);
  });
  app.get('/whoami', (req, res) => {
    res.json({
      user: req.user ?? null,
      authenticated: req.isAuthenticated(),
      messages: req.session.messages ?? [],
    });
  });
  app.use('/mfa', web.router());
  app.get('/guard-only', web.requireMfa(), (req, res) => {
    res.json({ stampUser: req.mfa?.userId });
  });
  app.get(
    '/account',
    (req, res, next) =>
      req.isAuthenticated() ? next() : res.status(401).json({ error: 'not_authenticated' }),
    web.requireMfa(),
    (req, res) => {
      res.json({ user: (req.user as User).id, amr: req.mfa?.amr, skippedBy: req.mfa?.skippedBy ?? null });
    },
  );
  app.use((err: Error, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: 'internal', message: err.message });
  });
  currentApp = app;
  return { app, mfa, web, clock, seen };
}

export type TestApp = ReturnType<typeof makePassportApp>;
/** The app of the running test (for requests made with a bare cookie). */
export let currentApp: TestApp['app'];

/** The `sid` cookie pair (name=value) a response set, or null. */
export function sidOf(res: request.Response): string | null {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  const line = raw?.find((c) => c.startsWith('sid='));
  return line?.split(';')[0] ?? null;
}

/** First sign-in: the user registers an authenticator app on the page, then signs out. */
export async function enrol(t: TestApp, user: string): Promise<string> {
  const { agent, secret, done } = await firstSignIn(t.app, t.clock, user);
  assert.equal(done.status, 200, done.text);
  assert.equal((await agent.post('/logout')).status, 200);
  t.clock.advance(30_000);
  return secret;
}

/** req.user and session.messages as the app sees them, for an agent or a bare session cookie. */
export async function whoami(client: Agent | string) {
  const res = await (typeof client === 'string'
    ? request(currentApp).get('/whoami').set('Cookie', client)
    : client.get('/whoami'));
  assert.equal(res.status, 200);
  return res.body as { user: User | null; authenticated: boolean; messages: string[] };
}

export async function fullSignIn(
  t: TestApp,
  user: string,
  secret: string,
  clock: TestClock = t.clock,
): Promise<{ agent: Agent; res: request.Response }> {
  const { agent } = await passwordStep(t.app, user);
  const res = await agent.post('/login/mfa').send({ code: codeFor(secret, clock) });
  assert.equal(res.status, 200, res.text);
  return { agent, res };
}

export const wrongCode = (right: string) => (right === '000000' ? '111111' : '000000');
