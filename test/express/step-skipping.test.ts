import assert from 'node:assert/strict';
import request from 'supertest';
import { makeApp } from '../helpers/app.ts';
import { enrolUser, passwordStep } from '../helpers/flows.ts';

describe('skipping the second step', () => {
  it('a session with only the password reaches no protected route and no management API', async () => {
    const { app, clock, mfa } = makeApp();
    await enrolUser(app, clock, 'alice');
    const { agent } = await passwordStep(app, 'alice');
    const account = await agent.get('/account');
    assert.equal(account.status, 401);
    assert.equal(account.body.reason, 'second_factor_pending');
    const browser = await agent.get('/account').set('Accept', 'text/html');
    assert.equal(browser.status, 303);
    assert.equal(browser.headers.location, '/mfa/prompt');
    for (const [method, path] of [
      ['get', '/mfa/api/methods'],
      ['get', '/mfa/api/devices'],
      ['post', '/mfa/api/recovery-codes'],
      ['delete', '/mfa/api/devices'],
      ['post', '/mfa/api/step-up'],
    ] as const) {
      const res = await agent[method](path).send(method === 'post' ? { code: '123456' } : undefined);
      assert.equal(res.status, 401, `${method} ${path} must refuse a half-signed-in session`);
    }
    const [method] = await mfa.methods.list('alice');
    assert.equal((await agent.delete(`/mfa/api/methods/${method?.id}`)).status, 401);
    assert.equal((await mfa.methods.list('alice')).length, 1);
    assert.equal((await agent.get('/mfa/settings').set('Accept', 'text/html')).status, 303);
  });

  it('a pending user who already has a method cannot enrol a new one to get in (CVE-2023-3597 shape)', async () => {
    const { app, clock, mfa } = makeApp();
    await enrolUser(app, clock, 'alice');
    const { agent } = await passwordStep(app, 'alice');
    const res = await agent.post('/mfa/api/enroll/totp').send({});
    assert.equal(res.status, 403);
    assert.equal((await mfa.methods.list('alice')).length, 1);
    assert.equal((await agent.get('/account')).status, 401);
  });

  it('an anonymous client gets nothing: guard, API and pages all refuse', async () => {
    const { app } = makeApp();
    assert.equal((await request(app).get('/account')).status, 401);
    assert.equal((await request(app).post('/mfa/api/verify').send({ code: '123456' })).status, 401);
    assert.equal((await request(app).post('/mfa/api/enroll/totp').send({})).status, 401);
    assert.equal((await request(app).get('/mfa/api/status')).body.status, 'none');
  });

  it('the session id changes when the password step completes and again when MFA completes (fixation)', async () => {
    const { app, clock } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const agent = request.agent(app);
    await agent.get('/mfa/api/status');
    const login = await agent.post('/login').send({ username: 'alice', password: 'alice-pw' });
    const afterPassword = String(login.headers['set-cookie']?.[0]).split(';')[0];
    const { codeFor } = await import('../helpers/app.ts');
    const verified = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
    const afterMfa = String(verified.headers['set-cookie']?.[0]).split(';')[0];
    assert.ok(afterPassword?.startsWith('sid='));
    assert.ok(afterMfa?.startsWith('sid='));
    assert.notEqual(afterPassword, afterMfa);
    // the pre-MFA session id is dead
    assert.equal(
      (
        await request(app)
          .get('/account')
          .set('Cookie', afterPassword ?? '')
      ).status,
      401,
    );
    assert.equal(
      (
        await request(app)
          .get('/account')
          .set('Cookie', afterMfa ?? '')
      ).status,
      200,
    );
  });

  it('logout clears the completed sign-in; the old session cookie is worthless', async () => {
    const { app, clock } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await passwordStep(app, 'alice');
    const { codeFor } = await import('../helpers/app.ts');
    const verified = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
    const sid = String(verified.headers['set-cookie']?.[0]).split(';')[0] ?? '';
    await agent.post('/logout');
    assert.equal((await agent.get('/account')).status, 401);
    assert.equal((await request(app).get('/account').set('Cookie', sid)).status, 401);
  });

  it('a pending sign-in expires: the code no longer completes it', async () => {
    const { app, clock } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await passwordStep(app, 'alice');
    clock.advance(301_000);
    const { codeFor } = await import('../helpers/app.ts');
    const res = await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) });
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'pending_expired');
    assert.equal((await agent.get('/account')).status, 401);
  });

  it('a fresh-only route sends a session verified long ago to step-up first', async () => {
    const { app, clock } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await passwordStep(app, 'alice');
    const { codeFor } = await import('../helpers/app.ts');
    await agent
      .post('/mfa/api/verify')
      .send({ code: codeFor(secret, clock) })
      .expect(200);
    assert.equal((await agent.get('/admin')).status, 200);
    clock.advance(6 * 60_000);
    const stale = await agent.get('/admin').set('Accept', 'text/html');
    assert.equal(stale.status, 303);
    assert.match(stale.headers.location ?? '', /^\/mfa\/verify\?returnTo=%2Fadmin/);
  });
});
