/**
 * Fresh routes of an app with an authentication strength (`requireMfa({ fresh: true, app })`):
 * a recent weak code beside an old strong factor is not a fresh verification of what the app
 * requires. Memory and SQLite stores, the test clock.
 */

import assert from 'node:assert/strict';
import request from 'supertest';
import { createSqliteStores } from '../../../adapters/sqlite/index.ts';
import type { Stores } from '../../../src/index.ts';
import { codeFor } from '../../helpers/app.ts';
import { passwordStep, signIn } from '../../helpers/flows.ts';
import { allUsers, doc, tokenCode, withToken } from '../../helpers/policies.ts';
import { testClock } from '../../helpers/test-clock.ts';
import { HOUR, payrollNeedsMfa, payrollNeedsToken } from './fixtures.ts';

/** HR needs MFA (any second factor). */
const hrNeedsMfa = {
  ...payrollNeedsMfa(),
  id: 'hr-mfa',
  assignments: { ...allUsers, applications: { include: ['hr'] } },
};

/**
 * alice (authenticator app + hardware token); payroll needs the token, HR any second factor;
 * fresh routes of both (and the test app's /admin: fresh, no policy).
 */
async function freshPayroll(stores?: () => Stores) {
  const clock = testClock();
  const made = await withToken({
    clock,
    ...(stores ? { stores: stores() } : {}),
    policies: doc([payrollNeedsToken(), hrNeedsMfa]),
  });
  made.app.get('/payroll/pay', made.web.requireMfa({ fresh: true, app: 'payroll' }), (req, res) => {
    res.json({ paid: true, verifiedAt: req.mfa?.verifiedAt });
  });
  made.app.get('/hr/edit', made.web.requireMfa({ fresh: true, app: 'hr' }), (_req, res) => {
    res.json({ hr: true });
  });
  return made;
}

/** Signed in with the hardware token as the second factor. */
async function signedInWithToken(made: Awaited<ReturnType<typeof freshPayroll>>) {
  const { agent } = await passwordStep(made.app, 'alice');
  const verified = await agent.post('/mfa/api/verify').send({ code: tokenCode(made.clock) });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  assert.equal((await agent.get('/payroll/pay')).status, 200, 'the token is fresh at sign-in');
  made.clock.advance(2 * HOUR);
  return agent;
}

const stores: [string, (() => Stores) | undefined][] = [
  ['memory', undefined],
  ['SQLite', () => createSqliteStores({ path: ':memory:' })],
];

describe('CA attacks: fresh routes need what the app requires, recently', () => {
  for (const [name, makeStores] of stores) {
    it(`${name}: the token 2 h old, a fresh authenticator-app code does not open the fresh payroll route; the token does`, async () => {
      const made = await freshPayroll(makeStores);
      const agent = await signedInWithToken(made);
      const stale = await agent.get('/payroll/pay');
      assert.equal(stale.status, 401);
      assert.equal(stale.body.reason, 'reverify_required');
      const weak = await agent.post('/mfa/api/step-up').send({ code: codeFor(made.secret, made.clock) });
      assert.equal(weak.status, 401, `the weaker code was accepted: ${JSON.stringify(weak.body)}`);
      assert.equal((await agent.get('/payroll/pay')).status, 401);
      const strong = await agent.post('/mfa/api/step-up').send({ code: tokenCode(made.clock) });
      assert.equal(strong.status, 200, JSON.stringify(strong.body));
      const open = await agent.get('/payroll/pay');
      assert.equal(open.status, 200);
      assert.equal(open.body.verifiedAt.hardwareOath, made.clock.now());
    });
  }

  it('the step-up page of a stale fresh route says to use the token and accepts only it', async () => {
    const made = await freshPayroll();
    const agent = await signedInWithToken(made);
    const stale = await agent.get('/payroll/pay').set('Accept', 'text/html');
    assert.equal(stale.status, 303);
    const page = await agent.get('/mfa/verify').set('Accept', 'text/html');
    assert.match(page.text, /Use your hardware token for payroll\./);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    await agent
      .post('/mfa/verify')
      .type('form')
      .send({ _csrf: csrf, code: codeFor(made.secret, made.clock) });
    assert.equal((await agent.get('/payroll/pay')).status, 401);
  });

  it('a step-up steered to a fresh route without policies (any code there) does not freshen the token for payroll', async () => {
    const made = await freshPayroll();
    const agent = await signedInWithToken(made);
    assert.equal((await agent.get('/payroll/pay')).status, 401); // step up for payroll…
    assert.equal((await agent.get('/admin')).status, 401); // …overwritten: the default app, no policy
    const weak = await agent.post('/mfa/api/step-up').send({ code: codeFor(made.secret, made.clock) });
    assert.equal(weak.status, 200, 'no policy for /admin: any second factor');
    assert.equal(
      (await agent.get('/admin')).status,
      200,
      'a fresh route without policies is not over-blocked',
    );
    const payroll = await agent.get('/payroll/pay');
    assert.equal(payroll.status, 401, 'the token is 2 h old');
    assert.equal(payroll.body.reason, 'reverify_required');
    assert.equal(payroll.body.message, 'Use your hardware token for payroll.');
    made.clock.advance(30_000);
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: tokenCode(made.clock) })).status, 200);
    assert.equal((await agent.get('/payroll/pay')).status, 200);
  });

  it('a stale fresh route of an app that needs any MFA steps up for itself: an earlier payroll refusal does not demand the token there', async () => {
    const made = await freshPayroll();
    const { agent } = await signIn(made.app, made.clock, 'alice', made.secret);
    assert.equal((await agent.get('/payroll')).status, 401, 'payroll wants the token');
    made.clock.advance(2 * HOUR);
    assert.equal((await agent.get('/hr/edit')).status, 401, 'stale');
    const step = await agent.post('/mfa/api/step-up').send({ code: codeFor(made.secret, made.clock) });
    assert.equal(step.status, 200, JSON.stringify(step.body));
    assert.equal((await agent.get('/hr/edit')).status, 200, 'the authenticator app meets HR, recently');
    assert.equal((await agent.get('/admin')).status, 200, 'and a fresh route without policies');
    assert.equal((await agent.get('/payroll')).status, 401, 'payroll still wants the token');
    assert.equal((await request(made.app).get('/hr/edit')).status, 401, 'no session, no access');
  });
});
