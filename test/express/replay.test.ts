import assert from 'node:assert/strict';
import request from 'supertest';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser, passwordStep } from '../helpers/flows.ts';

describe('one-time codes are one time', () => {
  it('the same TOTP code twice: the second is refused, and so is an older step', async () => {
    const { app, clock } = makeApp();
    const { secret } = await enrolUser(app, clock, 'alice');
    const code = codeFor(secret, clock);
    const first = await passwordStep(app, 'alice');
    assert.equal((await first.agent.post('/mfa/api/verify').send({ code })).status, 200);
    const second = await passwordStep(app, 'alice');
    assert.equal((await second.agent.post('/mfa/api/verify').send({ code })).status, 401);
    // the previous step's code is still inside the ±1 tolerance but older than the one used
    const previous = codeFor(secret, clock, -1);
    assert.equal((await second.agent.post('/mfa/api/verify').send({ code: previous })).status, 401);
  });

  it('50 concurrent submissions of one valid TOTP code from 50 pending sign-ins: exactly one succeeds', async () => {
    const { app, clock } = makeApp({
      lockout: { maxAttempts: 100, maxAttemptsPerIp: 1000, backoffAfter: 100, hardLimit: 100 },
    });
    const { secret } = await enrolUser(app, clock, 'alice');
    const agents = await Promise.all(Array.from({ length: 50 }, () => passwordStep(app, 'alice')));
    const code = codeFor(secret, clock);
    const results = await Promise.all(
      agents.map(({ agent }) => agent.post('/mfa/api/verify').send({ code })),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    assert.equal(results.filter((r) => r.status === 401).length, 49);
    const signedIn = await Promise.all(agents.map(({ agent }) => agent.get('/account')));
    assert.equal(signedIn.filter((r) => r.status === 200).length, 1);
  });

  it('50 concurrent submissions of one recovery code: exactly one succeeds, and it is gone afterwards', async () => {
    const { app, clock, mfa } = makeApp({
      lockout: { maxAttempts: 100, maxAttemptsPerIp: 1000, backoffAfter: 100, hardLimit: 100 },
    });
    const { recoveryCodes } = await enrolUser(app, clock, 'alice');
    const agents = await Promise.all(Array.from({ length: 50 }, () => passwordStep(app, 'alice')));
    const results = await Promise.all(
      agents.map(({ agent }) => agent.post('/mfa/api/verify').send({ code: recoveryCodes[3] })),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    assert.equal(await mfa.recoveryCodes.remaining('alice'), 9);
    const later = await passwordStep(app, 'alice');
    assert.equal((await later.agent.post('/mfa/api/verify').send({ code: recoveryCodes[3] })).status, 401);
  });

  it('a recovery code is accepted with or without its hyphen and in upper case, once', async () => {
    const { app, clock } = makeApp();
    const { recoveryCodes } = await enrolUser(app, clock, 'alice');
    const code = recoveryCodes[0] ?? '';
    const a = await passwordStep(app, 'alice');
    const ok = await a.agent.post('/mfa/api/verify').send({ code: code.replace('-', '').toUpperCase() });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.amr, ['pwd', 'otp', 'mfa']);
    const b = await passwordStep(app, 'alice');
    assert.equal((await b.agent.post('/mfa/api/verify').send({ code })).status, 401);
  });

  it('one pending sign-in completes once even when two different valid codes race', async () => {
    const { app, clock } = makeApp();
    const { secret, recoveryCodes } = await enrolUser(app, clock, 'alice');
    const { res } = await passwordStep(app, 'alice');
    const sid = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0] ?? '';
    // the same session cookie in two clients
    const [r1, r2] = await Promise.all([
      request(app)
        .post('/mfa/api/verify')
        .set('Cookie', sid)
        .send({ code: codeFor(secret, clock) }),
      request(app).post('/mfa/api/verify').set('Cookie', sid).send({ code: recoveryCodes[0] }),
    ]);
    assert.deepEqual([r1.status, r2.status].sort(), [200, 401]);
  });
});
