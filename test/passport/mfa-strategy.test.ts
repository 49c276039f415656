import assert from 'node:assert/strict';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import request, { type Agent } from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createMfaExpress } from '../../src/express/index.ts';
import { createMfa, type MfaOptions, parseStamp } from '../../src/index.ts';
import {
  beginMfa,
  KEEP_SESSION_INFO_REQUIRED,
  logoutMfa,
  MFA_MESSAGES,
  MfaStrategy,
  mfaPage,
} from '../../src/passport/index.ts';
import { codeFor } from '../helpers/app.ts';
import { HOSTILE_REQUEST_IDS } from '../helpers/hostile-request-ids.ts';
import { type TestClock, testClock } from '../helpers/test-clock.ts';
import { firstSignIn, mfaPageOf, PASSWORD_OF, passwordStep } from './passport-flows.ts';

/**
 * A real Passport 0.7 app: passport-local for the password, the 'mfa' strategy for the
 * second step (no failureRedirect here: Passport answers the strategy's status), mfaPage for
 * its page, the mfakit router at /mfa and its guard.
 */
interface User {
  id: string;
  name: string;
}
const USERS: Record<string, User> = {
  alice: { id: 'alice', name: 'Alice' },
  bob: { id: 'bob', name: 'Bob' },
};

function makePassportApp(overrides: Partial<MfaOptions> = {}) {
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

type TestApp = ReturnType<typeof makePassportApp>;
/** The app of the running test (for requests made with a bare cookie). */
let currentApp: TestApp['app'];

/** The `sid` cookie pair (name=value) a response set, or null. */
function sidOf(res: request.Response): string | null {
  const raw = res.headers['set-cookie'] as unknown as string[] | undefined;
  const line = raw?.find((c) => c.startsWith('sid='));
  return line?.split(';')[0] ?? null;
}

/** First sign-in: the user registers an authenticator app on the page, then signs out. */
async function enrol(t: TestApp, user: string): Promise<string> {
  const { agent, secret, done } = await firstSignIn(t.app, t.clock, user);
  assert.equal(done.status, 200, done.text);
  assert.equal((await agent.post('/logout')).status, 200);
  t.clock.advance(30_000);
  return secret;
}

/** req.user and session.messages as the app sees them, for an agent or a bare session cookie. */
async function whoami(client: Agent | string) {
  const res = await (typeof client === 'string'
    ? request(currentApp).get('/whoami').set('Cookie', client)
    : client.get('/whoami'));
  assert.equal(res.status, 200);
  return res.body as { user: User | null; authenticated: boolean; messages: string[] };
}

async function fullSignIn(t: TestApp, user: string, secret: string, clock: TestClock = t.clock) {
  const { agent } = await passwordStep(t.app, user);
  const res = await agent.post('/login/mfa').send({ code: codeFor(secret, clock) });
  assert.equal(res.status, 200, res.text);
  return { agent, res };
}

const wrongCode = (right: string) => (right === '000000' ? '111111' : '000000');

describe('passport: MfaStrategy with passport-local', () => {
  it('1. the password alone does not set req.user; a valid code logs alice in with amr pwd+otp+mfa', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent, res } = await passwordStep(t.app, 'alice');
    assert.equal(res.headers.location, '/login/mfa');

    const before = await whoami(agent);
    assert.equal(before.user, null);
    assert.equal(before.authenticated, false);
    const refused = await agent.get('/account');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error, 'not_authenticated');
    assert.equal((await agent.get('/mfa/api/status')).body.status, 'mfa_required');

    const done = await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) });
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.user, 'alice');
    assert.deepEqual(done.body.authInfo.amr, ['pwd', 'otp', 'mfa']);
    assert.deepEqual(
      done.body.amr,
      ['pwd', 'otp', 'mfa'],
      'the stamp survived Passport’s session regeneration',
    );

    const after = await whoami(agent);
    assert.equal(after.user?.id, 'alice');
    assert.equal(after.authenticated, true);
    const account = await agent.get('/account');
    assert.equal(account.status, 200, JSON.stringify(account.body));
    assert.deepEqual(account.body, { user: 'alice', amr: ['pwd', 'otp', 'mfa'], skippedBy: null });
  });

  it('2. a failure answers the strategy’s status with the message in session.messages; no req.user', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent } = await passwordStep(t.app, 'alice');

    const res = await agent.post('/login/mfa').send({ code: wrongCode(codeFor(secret, t.clock)) });
    assert.equal(res.status, 401);
    assert.deepEqual((await whoami(agent)).messages, [MFA_MESSAGES.invalidCode]);
    const malformed = await agent.post('/login/mfa').send({ code: '12ab' });
    assert.equal(malformed.status, 400);
    assert.match((await whoami(agent)).messages.at(-1) ?? '', /6 or 8 digits/);

    const state = await whoami(agent);
    assert.equal(state.user, null);
    assert.equal(state.authenticated, false);
    assert.equal((await agent.get('/account')).status, 401);

    // the pending sign-in survives a wrong code: the right one still completes it
    assert.equal((await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) })).status, 200);
    assert.equal((await whoami(agent)).user?.id, 'alice');
  });

  it('3. POST /login/mfa without the password step is refused; no req.user', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const agent = request.agent(t.app);
    const res = await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) });
    assert.equal(res.status, 401);
    assert.deepEqual((await whoami(agent)).messages, [MFA_MESSAGES.noPending]);
    assert.equal((await whoami(agent)).user, null);
    assert.equal((await agent.get('/account')).status, 401);
  });

  it('4. the session id changes at the password step and again at login; the old ids are dead', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const agent = request.agent(t.app);
    // an attacker-planted session: any session the browser had before signing in
    const planted = sidOf(await agent.post('/login/mfa').send({ code: '123456' }));
    assert.ok(planted, 'a failed attempt stores its message and so creates a session');

    const { res: pw } = await passwordStep(t.app, 'alice', agent);
    const pendingSid = sidOf(pw);
    assert.ok(pendingSid);
    assert.notEqual(pendingSid, planted);

    const done = await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) });
    assert.equal(done.status, 200);
    const signedInSid = sidOf(done);
    assert.ok(signedInSid, 'login must issue a new session cookie');
    assert.notEqual(signedInSid, pendingSid);
    assert.notEqual(signedInSid, planted);

    assert.equal((await request(t.app).get('/account').set('Cookie', signedInSid)).status, 200);
    for (const old of [planted, pendingSid]) {
      assert.equal((await request(t.app).get('/account').set('Cookie', old)).status, 401);
      assert.equal((await whoami(old)).user, null);
    }
  });

  it('5. logout clears req.user, the stamp and the pending sign-in; the old cookie replayed is dead', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent, res } = await fullSignIn(t, 'alice', secret);
    const sid = sidOf(res);
    assert.ok(sid);
    assert.equal((await agent.get('/account')).status, 200);

    assert.equal((await agent.post('/logout')).status, 200);
    assert.equal((await agent.get('/account')).status, 401);
    assert.equal((await whoami(agent)).user, null);
    assert.equal((await agent.get('/mfa/api/status')).body.status, 'none');
    assert.equal((await request(t.app).get('/account').set('Cookie', sid)).status, 401);
    assert.equal((await whoami(sid)).user, null);
    assert.equal((await request(t.app).get('/mfa/api/status').set('Cookie', sid)).body.status, 'none');

    // a pending sign-in is cancelled too: its cookie cannot be finished after logout
    t.clock.advance(30_000);
    const pending = await passwordStep(t.app, 'alice');
    const pendingSid = sidOf(pending.res);
    assert.ok(pendingSid);
    const pendingId = (await pending.agent.get('/debug/mfakit')).body.pendingId as string;
    assert.ok(await t.mfa.getPending(pendingId));
    assert.equal((await pending.agent.post('/logout')).status, 200);
    assert.equal(
      await t.mfa.getPending(pendingId),
      null,
      'logout cancels the pending principal in the store',
    );
    const late = await request(t.app)
      .post('/login/mfa')
      .set('Cookie', pendingSid)
      .send({ code: codeFor(secret, t.clock) });
    assert.equal(late.status, 401);
    assert.equal((await request(t.app).get('/account').set('Cookie', pendingSid)).status, 401);
  });

  it('6. a pending principal never appears as req.user on any route', async () => {
    const t = makePassportApp();
    const aliceSecret = await enrol(t, 'alice');
    const agent = request.agent(t.app);
    t.seen.length = 0;
    await passwordStep(t.app, 'alice', agent);
    const pendingRoutes = [
      agent.get('/whoami'),
      agent.get('/account'),
      agent.get('/mfa/api/status'),
      agent.get('/mfa/api/methods'),
      mfaPageOf(agent),
      agent.get('/mfa/prompt').set('Accept', 'text/html'),
      agent.post('/login/mfa').send({ code: 'nope' }),
      agent.post('/login/mfa').send({ code: wrongCode(codeFor(aliceSecret, t.clock)) }),
    ];
    for (const r of pendingRoutes) await r;
    assert.equal(t.seen.length, 9);
    assert.deepEqual(
      t.seen.filter((s) => s.user !== null),
      [],
    );
    assert.equal((await whoami(agent)).user, null);
  });

  it('6b. signing in as alice on a browser where bob is signed in drops bob at once', async () => {
    const t = makePassportApp();
    const aliceSecret = await enrol(t, 'alice');
    const bobSecret = await enrol(t, 'bob');
    const { agent } = await fullSignIn(t, 'bob', bobSecret);
    assert.equal((await whoami(agent)).user?.id, 'bob');
    t.seen.length = 0;
    await passwordStep(t.app, 'alice', agent);
    assert.deepEqual(t.seen, [{ path: '/login', user: null }]);
    assert.equal((await whoami(agent)).user, null);
    assert.equal((await agent.get('/account')).status, 401);
    assert.equal((await agent.post('/login/mfa').send({ code: codeFor(aliceSecret, t.clock) })).status, 200);
    assert.equal((await whoami(agent)).user?.id, 'alice');
  });

  it("7. bob's valid code cannot complete alice's pending sign-in", async () => {
    const t = makePassportApp();
    await enrol(t, 'alice');
    const bobSecret = await enrol(t, 'bob');
    const { agent } = await passwordStep(t.app, 'alice');
    const res = await agent.post('/login/mfa').send({ code: codeFor(bobSecret, t.clock) });
    assert.equal(res.status, 401);
    assert.deepEqual((await whoami(agent)).messages, [MFA_MESSAGES.invalidCode]);
    assert.equal((await whoami(agent)).user, null);
    assert.equal((await agent.get('/account')).status, 401);
    // and bob's code still signs bob in: it was checked against alice only
    const bob = await passwordStep(t.app, 'bob');
    assert.equal(
      (await bob.agent.post('/login/mfa').send({ code: codeFor(bobSecret, t.clock) })).status,
      200,
    );
    assert.equal((await whoami(bob.agent)).user?.id, 'bob');
  });

  it('8. MFA not needed (remembered device): beginMfa logs in at once with req.user and the stamp', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent } = await passwordStep(t.app, 'alice');
    const done = await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock), remember: true });
    assert.equal(done.status, 200);
    const rd = (done.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('mfakit_rd='));
    assert.ok(rd, 'remember: true sets the remembered-device cookie');
    assert.equal((await agent.post('/logout')).status, 200);

    t.clock.advance(30_000);
    const again = await passwordStep(t.app, 'alice', agent);
    assert.equal(again.res.headers.location, '/account', 'logged in: to successReturnToOrRedirect');
    assert.ok(sidOf(again.res));
    assert.equal((await whoami(agent)).user?.id, 'alice');
    const account = await agent.get('/account');
    assert.equal(account.status, 200, JSON.stringify(account.body));
    assert.deepEqual(account.body, { user: 'alice', amr: ['pwd'], skippedBy: 'remembered_device' });

    // Revoking that device (from another session: here the engine) ends this Passport session's access.
    const [device] = await t.mfa.devices.list('alice');
    await t.mfa.devices.revoke('alice', device?.id ?? '', { ip: '127.0.0.1' });
    const refused = await agent.get('/account');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.reason, 'not_signed_in');
  });

  it('9. passport.authenticate("mfa") without keepSessionInfo, or with session: false, refuses to run and consumes nothing', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent } = await passwordStep(t.app, 'alice');
    for (const route of ['/login/mfa-raw', '/login/mfa-sessionless']) {
      const raw = await agent.post(route).send({ code: codeFor(secret, t.clock) });
      assert.equal(raw.status, 500);
      assert.equal(raw.body.message, KEEP_SESSION_INFO_REQUIRED);
      assert.equal((await whoami(agent)).user, null);
    }
    assert.equal((await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) })).status, 200);
    assert.equal((await agent.get('/account')).status, 200);
  });

  it('10. first-method registration: a stale form is refused, and an unfinished one expires with the pending sign-in', async () => {
    const t = makePassportApp();
    const agent = request.agent(t.app);
    await passwordStep(t.app, 'alice', agent);
    const page = await mfaPageOf(agent);
    const secret = /id="secret">([A-Z2-7]+)</.exec(page.text)?.[1] ?? '';
    const stale = await agent
      .post('/login/mfa')
      .send({ draftId: 'not-this-draft-id', code: codeFor(secret, t.clock) });
    assert.equal(stale.status, 400);
    assert.deepEqual((await whoami(agent)).messages, [MFA_MESSAGES.draftUnknown]);
    assert.deepEqual(await t.mfa.methods.list('alice'), [], 'nothing registered');

    const draftId = /name="draftId" value="([^"]+)"/.exec((await mfaPageOf(agent)).text)?.[1] ?? '';
    const registered = await agent.post('/login/mfa').send({ draftId, code: codeFor(secret, t.clock) });
    assert.equal(registered.status, 303);
    // The codes are not acknowledged within the pending sign-in's lifetime: signing in again it is.
    t.clock.advance((t.mfa.settings.pendingTtlSeconds + 1) * 1000);
    const late = await agent.post('/login/mfa').send({});
    assert.equal(late.status, 401);
    assert.deepEqual((await whoami(agent)).messages.at(-1), MFA_MESSAGES.expired);
    assert.equal((await whoami(agent)).user, null);
    assert.equal((await mfaPageOf(agent)).headers.location, '/login');
  });

  it('10b. a registration that outlived the first-factor age rule: the page says sign in again, never loops', async () => {
    const t = makePassportApp({ pendingTtlSeconds: 900, reauthMaxAgeSeconds: 300 });
    const { agent } = await passwordStep(t.app, 'alice');
    const page = await mfaPageOf(agent);
    assert.equal(page.status, 200);
    const secret = /id="secret">([A-Z2-7]+)</.exec(page.text)?.[1] ?? '';
    const draftId = /name="draftId" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    t.clock.advance(6 * 60_000);
    const registered = await agent.post('/login/mfa').send({ draftId, code: codeFor(secret, t.clock) });
    assert.equal(registered.status, 401);
    assert.deepEqual(await t.mfa.methods.list('alice'), [], 'nothing registered');
    const again = await mfaPageOf(agent);
    assert.equal(again.headers.location, '/login', 'the refused sign-in is over: back to the first step');
    assert.equal((await whoami(agent)).user, null);

    const fresh = await passwordStep(t.app, 'alice');
    assert.equal((await mfaPageOf(fresh.agent)).status, 200);
    t.clock.advance(6 * 60_000);
    const refused = await mfaPageOf(fresh.agent);
    assert.equal(refused.status, 401);
    assert.match(refused.text, /Sign in again before adding a sign-in method/);
    assert.equal((await mfaPageOf(fresh.agent)).headers.location, '/login');
  });

  it('11. a user gone between the steps is not logged in', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'bob');
    const { agent } = await passwordStep(t.app, 'bob');
    const saved = USERS.bob;
    delete USERS.bob;
    try {
      const res = await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) });
      assert.equal(res.status, 401);
      assert.deepEqual((await whoami(agent)).messages, [MFA_MESSAGES.expired]);
      assert.equal((await agent.get('/guard-only')).status, 401);
    } finally {
      if (saved) USERS.bob = saved;
    }
  });

  it('12. the stamp alone never passes the guard: a user Passport no longer knows is refused', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'bob');
    const { agent } = await fullSignIn(t, 'bob', secret);
    assert.equal((await agent.get('/guard-only')).status, 200);
    const saved = USERS.bob;
    delete USERS.bob;
    try {
      const res = await agent.get('/guard-only');
      assert.equal(res.status, 401);
      assert.equal(res.body.reason, 'not_signed_in');
    } finally {
      if (saved) USERS.bob = saved;
    }
  });

  it('13. attack: a hostile X-Request-Id (10 kB, control character, markup) never reaches an audit event; the sign-in still works', async () => {
    for (const hostile of Object.values(HOSTILE_REQUEST_IDS)) {
      const t = makePassportApp();
      const secret = await enrol(t, 'alice');
      const agent = request.agent(t.app);
      const login = await agent
        .post('/login')
        .set('X-Request-Id', hostile)
        .send({ username: 'alice', password: PASSWORD_OF('alice') });
      assert.equal(login.status, 303);
      const wrong = await agent
        .post('/login/mfa')
        .set('X-Request-Id', hostile)
        .send({ code: wrongCode(codeFor(secret, t.clock)) });
      assert.equal(wrong.status, 401);
      const right = await agent
        .post('/login/mfa')
        .set('X-Request-Id', hostile)
        .send({ code: codeFor(secret, t.clock) });
      assert.equal(right.status, 200, right.text);
      const log = await t.mfa.admin.auditLog({ userId: 'alice', limit: 100 });
      const types = log.map((r) => r.type);
      assert.ok(types.includes('verify_failed') && types.includes('verified'), types.join(', '));
      assert.deepEqual(
        log.map((r) => r.data.requestId).filter((id) => id !== undefined && id !== null),
        [],
      );
    }
  });
});
