import assert from 'node:assert/strict';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { Passport } from 'passport';
import { Strategy as LocalStrategy } from 'passport-local';
import request, { type Agent } from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createMfaExpress } from '../../src/express/index.ts';
import { createMfa, parseStamp } from '../../src/index.ts';
import {
  authenticateMfa,
  beginMfa,
  KEEP_SESSION_INFO_REQUIRED,
  logoutMfa,
  MFA_MESSAGES,
  MfaStrategy,
  passportSignIn,
} from '../../src/passport/index.ts';
import { codeFor } from '../helpers/app.ts';
import { HOSTILE_REQUEST_IDS } from '../helpers/hostile-request-ids.ts';
import { type TestClock, testClock } from '../helpers/test-clock.ts';

/**
 * A real Passport 0.7 app: passport-local for the password, the 'mfa' strategy for the
 * second step, the mfakit router at /mfa (used here for first-time enrollment).
 */
interface User {
  id: string;
  name: string;
  password: string;
}
const USERS: Record<string, User> = {
  alice: { id: 'alice', name: 'Alice', password: 'alice-pw' },
  bob: { id: 'bob', name: 'Bob', password: 'bob-pw' },
};

function makePassportApp() {
  const clock = testClock();
  const mfa = createMfa({
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
    onSignInComplete: passportSignIn((id) => USERS[id] ?? null),
  });

  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => {
      const user = USERS[username];
      if (!user || user.password !== password)
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
  const body = [express.json(), express.urlencoded({ extended: false })];

  app.post('/login', ...body, (req: Request, res: Response, next: NextFunction) => {
    passport.authenticate('local', (err: unknown, user: User | false, info?: { message?: string }) => {
      if (err) return next(err);
      if (!user) return res.status(401).json({ error: 'bad_password', message: info?.message });
      const returnTo = (req.body as { returnTo?: string }).returnTo;
      beginMfa(req, res, user, web, { promptPath: '/login/mfa', returnTo }).catch(next);
    })(req, res, next);
  });
  app.post('/login/mfa', ...body, authenticateMfa(passport), (req, res) => {
    res.json({
      user: (req.user as User).id,
      amr: parseStamp(req.session.mfakit?.stamp)?.amr,
      authInfo: req.authInfo,
    });
  });
  app.post(
    '/login/mfa-form',
    ...body,
    authenticateMfa(passport, { failureRedirect: '/login/mfa', successReturnToOrRedirect: '/account' }),
  );
  // Misuse on purpose: the strategy without keepSessionInfo must refuse to run.
  app.post('/login/mfa-raw', ...body, passport.authenticate('mfa', { failureMessage: true }));
  app.post('/logout', async (req, res, next) => {
    try {
      await logoutMfa(req, web);
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
      messages: (req.session as { messages?: string[] }).messages ?? [],
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

async function passwordStep(
  t: TestApp,
  user: string,
  agent: Agent = request.agent(t.app),
  returnTo?: string,
) {
  const res = await agent
    .post('/login')
    .send({ username: user, password: `${user}-pw`, ...(returnTo ? { returnTo } : {}) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { agent, res };
}

/** First sign-in: the engine requires enrollment; enrol TOTP through the router's JSON API, then sign out. */
async function enrol(t: TestApp, user: string): Promise<string> {
  const { agent, res } = await passwordStep(t, user);
  assert.deepEqual(res.body, { status: 'enroll_required', next: '/mfa/enroll' });
  const draft = await agent.post('/mfa/api/enroll/totp').send({});
  assert.equal(draft.status, 201, JSON.stringify(draft.body));
  const secret = draft.body.secret as string;
  const done = await agent
    .post('/mfa/api/enroll/totp/confirm')
    .send({ draftId: draft.body.draftId, code: codeFor(secret, t.clock) });
  assert.equal(done.status, 200, JSON.stringify(done.body));
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
  const { agent } = await passwordStep(t, user);
  const res = await agent.post('/login/mfa').send({ code: codeFor(secret, clock) });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return { agent, res };
}

describe('passport: MfaStrategy with passport-local', () => {
  it('1. the password alone does not set req.user; a valid code logs alice in with amr pwd+otp+mfa', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent, res } = await passwordStep(t, 'alice');
    assert.deepEqual(res.body, { status: 'mfa_required', next: '/login/mfa' });

    const before = await whoami(agent);
    assert.equal(before.user, null);
    assert.equal(before.authenticated, false);
    const refused = await agent.get('/account');
    assert.equal(refused.status, 401);
    assert.match(refused.headers['content-type'] ?? '', /json/);
    assert.equal(refused.body.error, 'not_authenticated');
    assert.equal((await agent.get('/mfa/api/status')).body.status, 'mfa_required');

    const done = await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.user, 'alice');
    assert.deepEqual(done.body.authInfo.amr, ['pwd', 'otp', 'mfa']);

    const after = await whoami(agent);
    assert.equal(after.user?.id, 'alice');
    assert.equal(after.authenticated, true);
    const account = await agent.get('/account');
    assert.equal(account.status, 200, JSON.stringify(account.body));
    assert.deepEqual(account.body, { user: 'alice', amr: ['pwd', 'otp', 'mfa'], skippedBy: null });
  });

  it('2. a wrong code fails with a message (JSON and session.messages), not a bare 401; no req.user', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent } = await passwordStep(t, 'alice');
    const wrong = codeFor(secret, t.clock) === '000000' ? '111111' : '000000';

    const res = await agent.post('/login/mfa').send({ code: wrong });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, {
      error: 'invalid_code',
      message: "That code didn't work. Check it and try again.",
    });
    const malformed = await agent.post('/login/mfa').send({ code: '12ab' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error, 'invalid_request');
    assert.match(malformed.body.message, /6 or 8 digits/);

    const state = await whoami(agent);
    assert.equal(state.user, null);
    assert.equal(state.authenticated, false);
    assert.deepEqual(state.messages.slice(0, 1), [MFA_MESSAGES.invalidCode]);
    assert.equal((await agent.get('/account')).status, 401);

    // the pending sign-in survives a wrong code: the right one still completes it
    assert.equal((await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) })).status, 200);
    assert.equal((await whoami(agent)).user?.id, 'alice');
  });

  it('2b. form flavour: failureRedirect with the message in session.messages, success to the returnTo', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent } = await passwordStep(t, 'alice', undefined, '/account?tab=security');
    const wrong = codeFor(secret, t.clock) === '000000' ? '111111' : '000000';

    const failed = await agent.post('/login/mfa-form').type('form').send({ code: wrong });
    assert.equal(failed.status, 303);
    assert.equal(failed.headers.location, '/login/mfa');
    assert.deepEqual((await whoami(agent)).messages, [MFA_MESSAGES.invalidCode]);
    assert.equal((await whoami(agent)).user, null);

    const ok = await agent
      .post('/login/mfa-form')
      .type('form')
      .send({ code: codeFor(secret, t.clock) });
    assert.equal(ok.status, 303);
    assert.equal(ok.headers.location, '/account?tab=security');
    assert.equal((await agent.get('/account')).status, 200);
  });

  it('3. POST /login/mfa without the password step is refused; no req.user', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const agent = request.agent(t.app);
    const res = await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { error: 'no_pending_signin', message: 'Sign in with your password first.' });
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

    const { res: pw } = await passwordStep(t, 'alice', agent);
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
    const pending = await passwordStep(t, 'alice');
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
    await passwordStep(t, 'alice', agent);
    const pendingRoutes = [
      agent.get('/whoami'),
      agent.get('/account'),
      agent.get('/mfa/api/status'),
      agent.get('/mfa/api/methods'),
      agent.get('/mfa/prompt').set('Accept', 'text/html'),
      agent.post('/login/mfa').send({ code: 'nope' }),
      agent
        .post('/login/mfa')
        .send({ code: codeFor(aliceSecret, t.clock) === '000000' ? '111111' : '000000' }),
    ];
    for (const r of pendingRoutes) await r;
    assert.equal(t.seen.length, 8);
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
    await passwordStep(t, 'alice', agent);
    assert.deepEqual(t.seen, [{ path: '/login', user: null }]);
    assert.equal((await whoami(agent)).user, null);
    assert.equal((await agent.get('/account')).status, 401);
    assert.equal((await agent.post('/login/mfa').send({ code: codeFor(aliceSecret, t.clock) })).status, 200);
    assert.equal((await whoami(agent)).user?.id, 'alice');
  });

  it('7. replay: the TOTP code used for one login is refused for the next (after logout)', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const code = codeFor(secret, t.clock);
    const first = await passwordStep(t, 'alice');
    assert.equal((await first.agent.post('/login/mfa').send({ code })).status, 200);
    assert.equal((await first.agent.post('/logout')).status, 200);

    const second = await passwordStep(t, 'alice', first.agent);
    const replay = await second.agent.post('/login/mfa').send({ code });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.message, MFA_MESSAGES.invalidCode);
    assert.equal((await whoami(second.agent)).user, null);
    assert.equal((await second.agent.get('/account')).status, 401);

    t.clock.advance(30_000);
    assert.equal(
      (await second.agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) })).status,
      200,
    );
  });

  it("8. bob's valid code cannot complete alice's pending sign-in", async () => {
    const t = makePassportApp();
    await enrol(t, 'alice');
    const bobSecret = await enrol(t, 'bob');
    const { agent } = await passwordStep(t, 'alice');
    const res = await agent.post('/login/mfa').send({ code: codeFor(bobSecret, t.clock) });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'invalid_code');
    assert.equal((await whoami(agent)).user, null);
    assert.equal((await agent.get('/account')).status, 401);
    // and bob's code still signs bob in: it was checked against alice only
    const bob = await passwordStep(t, 'bob');
    assert.equal(
      (await bob.agent.post('/login/mfa').send({ code: codeFor(bobSecret, t.clock) })).status,
      200,
    );
    assert.equal((await whoami(bob.agent)).user?.id, 'bob');
  });

  it('9. MFA not needed (remembered device): beginMfa logs in at once with req.user and the stamp', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent } = await passwordStep(t, 'alice');
    const done = await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock), remember: true });
    assert.equal(done.status, 200);
    const rd = (done.headers['set-cookie'] as unknown as string[]).find((c) => c.startsWith('mfakit_rd='));
    assert.ok(rd, 'remember: true sets the remembered-device cookie');
    assert.equal((await agent.post('/logout')).status, 200);

    t.clock.advance(30_000);
    const again = await agent.post('/login').send({ username: 'alice', password: 'alice-pw' });
    assert.deepEqual(again.body, { status: 'complete', next: '/account' });
    const sid = sidOf(again);
    assert.ok(sid);
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

  it('10. passport.authenticate("mfa") without keepSessionInfo refuses to run and consumes nothing', async () => {
    const t = makePassportApp();
    const secret = await enrol(t, 'alice');
    const { agent } = await passwordStep(t, 'alice');
    const raw = await agent.post('/login/mfa-raw').send({ code: codeFor(secret, t.clock) });
    assert.equal(raw.status, 500);
    assert.equal(raw.body.message, KEEP_SESSION_INFO_REQUIRED);
    assert.equal((await whoami(agent)).user, null);
    assert.equal((await agent.post('/login/mfa').send({ code: codeFor(secret, t.clock) })).status, 200);
    assert.equal((await agent.get('/account')).status, 200);
  });

  it('11. a first-time user who enrols through the router is logged into Passport at once (onSignInComplete)', async () => {
    const t = makePassportApp();
    const { agent } = await passwordStep(t, 'alice');
    const draft = await agent.post('/mfa/api/enroll/totp').send({});
    await agent
      .post('/mfa/api/enroll/totp/confirm')
      .send({ draftId: draft.body.draftId, code: codeFor(draft.body.secret, t.clock) })
      .expect(200);
    const me = await whoami(agent);
    assert.equal(me.user?.id, 'alice');
    assert.equal((await agent.get('/account')).status, 200);
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
        .send({ username: 'alice', password: 'alice-pw' });
      assert.equal(login.status, 200);
      const bad = codeFor(secret, t.clock) === '000000' ? '111111' : '000000';
      const wrong = await agent.post('/login/mfa').set('X-Request-Id', hostile).send({ code: bad });
      assert.equal(wrong.status, 401);
      const right = await agent
        .post('/login/mfa')
        .set('X-Request-Id', hostile)
        .send({ code: codeFor(secret, t.clock) });
      assert.equal(right.status, 200, JSON.stringify(right.body));
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
