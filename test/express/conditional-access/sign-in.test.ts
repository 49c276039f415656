/** Conditional access through the Express integration: the decisions taken at sign-in. */

import assert from 'node:assert/strict';
import request from 'supertest';
import { codeFor, makeApp } from '../../helpers/app.ts';
import { enrolUser } from '../../helpers/flows.ts';
import { allUsers, ctx, doc } from '../../helpers/policies.ts';
import { login, mfaOutsideOffice } from './fixtures.ts';

describe('conditional access: sign-in decisions', () => {
  it('a trusted office network skips MFA; outside it, and with a spoofed X-Forwarded-For, MFA is asked', async () => {
    const { app, clock } = makeApp({
      defaultUserState: 'disabled',
      trustedProxies: ['loopback'],
      policies: doc([mfaOutsideOffice]),
    });
    await enrolUser(app, clock, 'alice'); // from 127.0.0.1: outside the office, so enrollment is required
    assert.equal((await login(app, 'alice', {}, '203.0.113.5')).body.status, 'complete');
    assert.equal((await login(app, 'alice', {}, '2001:db8:1::9')).body.status, 'complete');
    assert.equal((await login(app, 'alice', {}, '198.51.100.7')).body.status, 'mfa_required');

    const direct = makeApp({ defaultUserState: 'disabled', policies: doc([mfaOutsideOffice]) });
    await enrolUser(direct.app, direct.clock, 'alice');
    assert.equal(
      (await login(direct.app, 'alice', {}, '203.0.113.5')).body.status,
      'mfa_required',
      'X-Forwarded-For from an untrusted hop is not the client address',
    );
  });

  it('a session that skipped MFA in the office is challenged when the same cookie shows up outside it', async () => {
    const { app, clock } = makeApp({
      defaultUserState: 'disabled',
      trustedProxies: ['loopback'],
      policies: doc([mfaOutsideOffice]),
    });
    await enrolUser(app, clock, 'alice');
    const office = await login(app, 'alice', {}, '203.0.113.5');
    const sid = String(office.headers['set-cookie']?.[0]).split(';')[0] ?? '';
    const inside = await request(app)
      .get('/account')
      .set('Cookie', sid)
      .set('X-Forwarded-For', '203.0.113.5');
    assert.equal(inside.status, 200);
    const outside = await request(app)
      .get('/account')
      .set('Cookie', sid)
      .set('X-Forwarded-For', '198.51.100.7');
    assert.equal(outside.status, 401);
    assert.equal(outside.body.reason, 'reverify_required');
  });

  it('legacy clients are blocked except for the service account, with a short reason for the user', async () => {
    const { app, clock, events } = makeApp({
      defaultUserState: 'disabled',
      policies: doc([
        {
          id: 'block-legacy',
          name: 'Block legacy protocols',
          state: 'on',
          assignments: { users: { include: ['all'], exclude: ['svc'] }, applications: { include: ['all'] } },
          conditions: { clientAppTypes: ['legacy'] },
          grant: { block: true },
        },
      ]),
    });
    const blocked = await login(app, 'alice', { client: 'legacy' });
    assert.equal(blocked.status, 403);
    assert.equal(blocked.body.error, 'signin_blocked');
    assert.match(blocked.body.message, /does not allow this sign-in/);
    assert.doesNotMatch(blocked.body.message, /block-legacy/, 'the policy id stays in the audit');
    const audit = events.find((e) => e.type === 'signin_blocked');
    assert.equal(audit?.detail, 'policy_block');
    assert.equal(audit?.data?.policiesApplied, 'block-legacy');
    assert.equal((await login(app, 'svc', { client: 'legacy' })).body.status, 'complete');
    assert.equal((await login(app, 'alice', { client: 'browser' })).body.status, 'complete');
    void clock;
  });

  it('a report-only policy is recorded with what it would have done and never enforced', async () => {
    const { app, events } = makeApp({
      defaultUserState: 'disabled',
      policies: doc([
        {
          id: 'block-legacy',
          name: 'Block legacy protocols (trial)',
          state: 'reportOnly',
          assignments: { ...allUsers, applications: { include: ['all'] } },
          conditions: { clientAppTypes: ['legacy'] },
          grant: { block: true },
        },
      ]),
    });
    const res = await login(app, 'alice', { client: 'legacy' });
    assert.equal(res.body.status, 'complete');
    const completed = events.find((e) => e.type === 'signin_completed');
    assert.equal(completed?.data?.reportOnly, 'block-legacy=block');
    assert.equal(completed?.data?.policiesApplied, '');
  });

  it('a user flagged by a fraud report is blocked until the flag is cleared', async () => {
    const { app, mfa } = makeApp({
      defaultUserState: 'disabled',
      policies: doc([
        {
          id: 'fraud',
          name: 'Block reported accounts',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['all'] } },
          conditions: { risk: { signals: ['fraudFlagged'] } },
          grant: { block: true },
        },
      ]),
    });
    assert.equal((await login(app, 'alice')).body.status, 'complete');
    await mfa.admin.setFraudFlag('alice', true, ctx);
    assert.equal((await login(app, 'alice')).status, 403);
    assert.equal((await login(app, 'bob')).body.status, 'complete', 'only the flagged user');
    await mfa.admin.setFraudFlag('alice', false, ctx);
    assert.equal((await login(app, 'alice')).body.status, 'complete');
  });

  it('a new network asks for MFA; a network the user signed in from before does not', async () => {
    const { app, clock } = makeApp({
      defaultUserState: 'disabled',
      trustedProxies: ['loopback'],
      policies: doc([
        {
          id: 'new-network',
          name: 'MFA from new networks',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['all'] } },
          conditions: { risk: { signals: ['newNetwork'] } },
          grant: { controls: ['mfa'] },
        },
      ]),
    });
    const { secret } = await enrolUser(app, clock, 'alice'); // 127.0.0.1 was new: enrollment
    assert.equal((await login(app, 'alice')).body.status, 'complete', '127.0.0.0/24 is known now');
    const agent = request.agent(app);
    const fresh = await agent
      .post('/login')
      .set('X-Forwarded-For', '198.51.100.7')
      .send({ username: 'alice', password: 'alice-pw' });
    assert.equal(fresh.body.status, 'mfa_required');
    const verified = await agent
      .post('/mfa/api/verify')
      .set('X-Forwarded-For', '198.51.100.7')
      .send({ code: codeFor(secret, clock) });
    assert.equal(verified.status, 200);
    assert.equal((await login(app, 'alice', {}, '198.51.100.99')).body.status, 'complete', 'same /24');
    assert.equal((await login(app, 'bob', {}, '198.51.100.99')).body.status, 'enroll_required', 'per user');
  });
});
