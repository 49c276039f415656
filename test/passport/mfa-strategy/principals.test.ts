/** MfaStrategy with passport-local: logout, and a pending or other user's sign-in never becoming req.user (5-7). */

import assert from 'node:assert/strict';
import request from 'supertest';
import { MFA_MESSAGES } from '../../../src/passport/index.ts';
import { codeFor } from '../../helpers/app.ts';
import { mfaPageOf, passwordStep } from '../passport-flows.ts';
import { enrol, fullSignIn, makePassportApp, sidOf, whoami, wrongCode } from './fixtures.ts';

describe('passport: MfaStrategy with passport-local', () => {
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
});
