/**
 * MfaStrategy with passport-local: no MFA needed, misconfiguration, first-method registration,
 * users gone between steps, the stamp alone, and hostile request ids (8-13).
 */

import assert from 'node:assert/strict';
import request from 'supertest';
import { KEEP_SESSION_INFO_REQUIRED, MFA_MESSAGES } from '../../../src/passport/index.ts';
import { codeFor } from '../../helpers/app.ts';
import { HOSTILE_REQUEST_IDS } from '../../helpers/hostile-request-ids.ts';
import { mfaPageOf, PASSWORD_OF, passwordStep } from '../passport-flows.ts';
import { enrol, fullSignIn, makePassportApp, sidOf, USERS, whoami, wrongCode } from './fixtures.ts';

describe('passport: MfaStrategy with passport-local', () => {
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
