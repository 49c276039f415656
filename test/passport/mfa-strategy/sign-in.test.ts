/** MfaStrategy with passport-local: the two-step sign-in, its failures, and the session id at each step (1-4). */

import assert from 'node:assert/strict';
import request from 'supertest';
import { MFA_MESSAGES } from '../../../src/passport/index.ts';
import { codeFor } from '../../helpers/app.ts';
import { passwordStep } from '../passport-flows.ts';
import { enrol, makePassportApp, sidOf, whoami, wrongCode } from './fixtures.ts';

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
});
