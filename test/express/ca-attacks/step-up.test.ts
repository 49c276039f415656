/** Conditional-access attacks through step-up to payroll, refused from the start (regression tests). */

import assert from 'node:assert/strict';
import request from 'supertest';
import { codeFor } from '../../helpers/app.ts';
import { signIn } from '../../helpers/flows.ts';
import { allUsers, doc, tokenCode, withToken } from '../../helpers/policies.ts';
import { HOUR, payrollNeedsToken } from './fixtures.ts';

describe('CA attacks: step-up (refused today)', () => {
  it('a step-up steered to a weaker app (its guard hit just before) does not open payroll', async () => {
    const { app, clock, web, secret } = await withToken({
      policies: doc([
        payrollNeedsToken(),
        {
          id: 'hr-hourly',
          name: 'HR: MFA every hour',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['hr'] } },
          grant: { controls: ['mfa'] },
          session: { signInFrequencyHours: 1 },
        },
      ]),
    });
    app.get('/hr', web.requireMfa({ app: 'hr' }), (_req, res) => res.json({ hr: true }));
    const { agent } = await signIn(app, clock, 'alice', secret);
    clock.advance(2 * HOUR);
    assert.equal((await agent.get('/payroll')).status, 401); // stepUp = payroll
    assert.equal((await agent.get('/hr')).status, 401); // stepUp overwritten: hr
    const weak = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(weak.status, 200, 'the TOTP code satisfies hr');
    assert.equal((await agent.get('/hr')).status, 200);
    const res = await agent.get('/payroll');
    assert.equal(res.status, 401, 'payroll still wants the token');
    assert.equal(res.body.reason, 'reverify_required');
  });

  it('step-up for payroll refuses a TOTP code, also with the TOTP or the token methodId, and a recovery code (not consumed)', async () => {
    const { app, clock, mfa, secret, recoveryCodes, tokenId, totpId } = await withToken({
      policies: doc([payrollNeedsToken()]),
    });
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/payroll')).status, 401);
    const before = await mfa.recoveryCodes.remaining('alice');
    for (const body of [
      { code: codeFor(secret, clock) },
      { code: codeFor(secret, clock), methodId: totpId },
      { code: codeFor(secret, clock), methodId: tokenId },
      { code: recoveryCodes[0] },
    ]) {
      const res = await agent.post('/mfa/api/step-up').send(body);
      assert.equal(res.status, 401, JSON.stringify(body));
      assert.equal((await agent.get('/payroll')).status, 401);
    }
    assert.equal(
      await mfa.recoveryCodes.remaining('alice'),
      before,
      'the refused recovery code was not used up',
    );
    // The HTML form, same restriction.
    const page = await agent.get('/mfa/verify').set('Accept', 'text/html');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    await agent
      .post('/mfa/verify')
      .type('form')
      .send({ _csrf: csrf, code: codeFor(secret, clock) });
    assert.equal((await agent.get('/payroll')).status, 401);
  });

  it('at the payroll prompt only the token counts: TOTP (with either methodId) and recovery codes are refused', async () => {
    const { app, clock, secret, recoveryCodes, tokenId, totpId } = await withToken({
      policies: doc([payrollNeedsToken()]),
    });
    const agent = request.agent(app);
    await agent.post('/login').send({ username: 'alice', password: 'alice-pw', app: 'payroll' });
    for (const body of [
      { code: codeFor(secret, clock) },
      { code: codeFor(secret, clock), methodId: totpId },
      { code: codeFor(secret, clock), methodId: tokenId },
      { code: recoveryCodes[0] },
    ]) {
      assert.equal((await agent.post('/mfa/api/verify').send(body)).status, 401, JSON.stringify(body));
    }
    assert.equal((await agent.get('/payroll')).status, 401);
    assert.equal((await agent.post('/mfa/api/verify').send({ code: tokenCode(clock) })).status, 200);
    assert.equal((await agent.get('/payroll')).status, 200);
  });

  it('parallel step-ups with one token code: exactly one succeeds (no replay)', async () => {
    const { app, clock, secret } = await withToken({ policies: doc([payrollNeedsToken()]) });
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/payroll')).status, 401);
    const code = tokenCode(clock);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => agent.post('/mfa/api/step-up').send({ code })),
    );
    assert.equal(results.filter((r) => r.status === 200).length, 1, results.map((r) => r.status).join(','));
  });

  it('parallel TOTP step-ups for payroll all fail', async () => {
    const { app, clock, secret } = await withToken({ policies: doc([payrollNeedsToken()]) });
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/payroll')).status, 401);
    const code = codeFor(secret, clock);
    const results = await Promise.all(
      Array.from({ length: 6 }, () => agent.post('/mfa/api/step-up').send({ code })),
    );
    assert.ok(results.every((r) => r.status !== 200));
    assert.equal((await agent.get('/payroll')).status, 401);
  });

  it('sign-in frequency: a step-up with TOTP (no step-up target, so unrestricted) does not renew a stale token', async () => {
    const { app, clock, secret } = await withToken({
      policies: doc([payrollNeedsToken({ signInFrequencyHours: 1 })]),
    });
    const agent = request.agent(app);
    await agent.post('/login').send({ username: 'alice', password: 'alice-pw', app: 'payroll' });
    assert.equal((await agent.post('/mfa/api/verify').send({ code: tokenCode(clock) })).status, 200);
    assert.equal((await agent.get('/payroll')).status, 200);
    clock.advance(2 * HOUR);
    const stepUp = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(stepUp.status, 200, 'without a target any method verifies');
    assert.equal((await agent.get('/payroll')).status, 401, 'but it does not renew the token');
    clock.advance(30_000);
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: tokenCode(clock) })).status, 200);
    assert.equal((await agent.get('/payroll')).status, 200);
  });
});
