/**
 * Conditional access through the Express integration: the guard re-checks each request and sends
 * a session that no longer satisfies the app's policies to step-up.
 */

import assert from 'node:assert/strict';
import request from 'supertest';
import { codeFor, makeApp } from '../../helpers/app.ts';
import { enrolUser, signIn } from '../../helpers/flows.ts';
import { allUsers, doc, tokenCode, withToken } from '../../helpers/policies.ts';
import { login, payrollNeedsToken } from './fixtures.ts';

describe('conditional access: the guard re-checks each request (step-up)', () => {
  it('payroll needs a hardware token: a TOTP session is sent to step-up, where only the token is accepted', async () => {
    const { app, clock, secret } = await withToken({ policies: doc([payrollNeedsToken]) });
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/account')).status, 200, 'other apps are not affected');
    const refused = await agent.get('/payroll');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.reason, 'reverify_required');
    assert.equal(refused.body.message, 'Use your hardware token for payroll.');

    const page = await agent.get('/mfa/verify').set('Accept', 'text/html');
    assert.match(page.text, /Use your hardware token for payroll\./, 'the verify page says why');

    const withTotp = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(withTotp.status, 401, 'an authenticator-app code does not satisfy the token requirement');
    assert.equal((await agent.get('/payroll')).status, 401);

    const byToken = await agent.post('/mfa/api/step-up').send({ code: tokenCode(clock) });
    assert.equal(byToken.status, 200);
    const ok = await agent.get('/payroll');
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body.methods, ['password', 'totp', 'hardwareOath']);
  });

  it('a user without a suitable method is told so at step-up and at sign-in to the app', async () => {
    const { app, clock } = makeApp({ policies: doc([payrollNeedsToken]) });
    const { secret } = await enrolUser(app, clock, 'bob');
    const { agent } = await signIn(app, clock, 'bob', secret);
    assert.equal((await agent.get('/payroll')).status, 401);
    const stepUp = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(stepUp.status, 403);
    assert.equal(stepUp.body.error, 'strength_unavailable');
    assert.equal(stepUp.body.message, 'Use your hardware token for payroll.');

    const direct = await login(app, 'bob', { app: 'payroll' });
    assert.equal(direct.status, 403);
    assert.match(direct.body.message, /Use your hardware token for payroll\./);
  });

  it('signing in to payroll directly accepts only the token at the prompt', async () => {
    const { app, clock, secret } = await withToken({ policies: doc([payrollNeedsToken]) });
    const agent = request.agent(app);
    const start = await agent
      .post('/login')
      .send({ username: 'alice', password: 'alice-pw', app: 'payroll' });
    assert.equal(start.body.status, 'mfa_required');
    const prompt = await agent.get('/mfa/prompt').set('Accept', 'text/html');
    assert.match(prompt.text, /Use your hardware token for payroll\./);
    assert.equal((await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) })).status, 401);
    const done = await agent.post('/mfa/api/verify').send({ code: tokenCode(clock) });
    assert.equal(done.status, 200);
    assert.deepEqual(done.body.amr, ['pwd', 'otp', 'hwk', 'mfa']);
    assert.equal((await agent.get('/payroll')).status, 200);
  });

  it('an authentication context (c1) asks for the token only on the sensitive action', async () => {
    const { app, clock, secret } = await withToken({
      policies: doc([
        {
          ...payrollNeedsToken,
          id: 'payroll-approve',
          assignments: { ...payrollNeedsToken.assignments, authenticationContexts: ['c1'] },
        },
      ]),
    });
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/payroll')).status, 200);
    assert.equal((await agent.post('/payroll/approve')).status, 401);
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: tokenCode(clock) })).status, 200);
    assert.equal((await agent.post('/payroll/approve')).status, 200);
  });

  it('sign-in frequency: after an hour the payroll app asks for a code again; other apps do not', async () => {
    const { app, clock, secret } = await withToken({
      policies: doc([
        {
          id: 'payroll-hourly',
          name: 'Payroll hourly',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['payroll'] } },
          grant: { controls: ['mfa'] },
          session: { signInFrequencyHours: 1 },
        },
      ]),
    });
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/payroll')).status, 200);
    clock.advance(59 * 60_000);
    assert.equal((await agent.get('/payroll')).status, 200);
    clock.advance(2 * 60_000);
    const stale = await agent.get('/payroll');
    assert.equal(stale.status, 401);
    assert.equal(stale.body.reason, 'reverify_required');
    assert.equal((await agent.get('/account')).status, 200);
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) })).status, 200);
    assert.equal((await agent.get('/payroll')).status, 200);
  });

  it('sign-in frequency is per method: a fresh authenticator-app code does not renew a stale hardware token', async () => {
    const { app, web, clock, secret } = await withToken({
      policies: doc([
        { ...payrollNeedsToken, session: { signInFrequencyHours: 1 } },
        {
          id: 'hr-half-hourly',
          name: 'HR every 30 minutes',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['hr'] } },
          grant: { controls: ['mfa'] },
          session: { signInFrequencyHours: 0.5 },
        },
      ]),
    });
    app.get('/hr', web.requireMfa({ app: 'hr' }), (_req, res) => res.json({ hr: true }));
    const agent = request.agent(app);
    await agent.post('/login').send({ username: 'alice', password: 'alice-pw', app: 'payroll' });
    assert.equal((await agent.post('/mfa/api/verify').send({ code: tokenCode(clock) })).status, 200);
    assert.equal((await agent.get('/payroll')).status, 200);
    clock.advance(61 * 60_000);
    assert.equal((await agent.get('/payroll')).status, 401);
    assert.equal((await agent.get('/hr')).status, 401, 'the step-up target is now hr');
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) })).status, 200);
    assert.equal((await agent.get('/hr')).status, 200);
    assert.equal((await agent.get('/payroll')).status, 401, 'the token verification is still an hour old');
    assert.equal(
      (await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock, 1) })).status,
      401,
    );
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: tokenCode(clock) })).status, 200);
    assert.equal((await agent.get('/payroll')).status, 200);
  });

  it('remembered devices: a policy that forbids them sends a remembered session to step-up and offers no cookie', async () => {
    const { app, clock, secret } = await withToken({
      policies: doc([
        {
          id: 'payroll-no-remember',
          name: 'Payroll: no remembered devices',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['payroll'] } },
          grant: { controls: ['mfa'] },
          session: { rememberDevice: false },
        },
      ]),
    });
    const first = await signIn(app, clock, 'alice', secret, { remember: true });
    const cookie = String(
      (first.res.headers['set-cookie'] as unknown as string[] | undefined)?.find((c: string) =>
        c.startsWith('mfakit_rd='),
      ),
    );
    assert.match(cookie, /^mfakit_rd=/);
    const agent = request.agent(app);
    const again = await agent
      .post('/login')
      .set('Cookie', cookie.split(';')[0] ?? '')
      .send({ username: 'alice', password: 'alice-pw' });
    assert.equal(again.body.status, 'complete', 'the default app allows the remembered device');
    assert.equal((await agent.get('/account')).status, 200);
    assert.equal((await agent.get('/payroll')).status, 401, 'payroll does not accept it');
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) })).status, 200);
    assert.equal((await agent.get('/payroll')).status, 200);

    clock.advance(30_000);
    const toPayroll = request.agent(app);
    await toPayroll.post('/login').send({ username: 'alice', password: 'alice-pw', app: 'payroll' });
    const verified = await toPayroll
      .post('/mfa/api/verify')
      .send({ code: codeFor(secret, clock), remember: true });
    assert.equal(verified.status, 200);
    assert.ok(
      !((verified.headers['set-cookie'] ?? []) as string[]).some((c: string) => c.startsWith('mfakit_rd=')),
      'no remembered-device cookie where the policy forbids it',
    );
  });

  it('rememberDeviceMaxDays caps the cookie the prompt issues', async () => {
    const { app, clock, secret } = await withToken({
      policies: doc([
        {
          id: 'short-remember',
          name: 'Remember for a week at most',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['all'] } },
          grant: { controls: ['mfa'] },
          session: { rememberDeviceMaxDays: 7 },
        },
      ]),
    });
    const { res } = await signIn(app, clock, 'alice', secret, { remember: true });
    const cookie = String(
      (res.headers['set-cookie'] as unknown as string[] | undefined)?.find((c: string) =>
        c.startsWith('mfakit_rd='),
      ),
    );
    const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)?.[1] ?? '');
    assert.ok(Math.abs(expires - (clock.now() - 30_000 + 7 * 86_400_000)) < 2000, cookie);
  });
});
