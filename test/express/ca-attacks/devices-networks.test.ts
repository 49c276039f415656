/**
 * Conditional-access attacks through remembered devices, trusted networks and forged client
 * addresses, refused from the start (regression tests).
 */

import assert from 'node:assert/strict';
import request from 'supertest';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import type { Stores } from '../../../src/index.ts';
import { codeFor, makeApp } from '../../helpers/app.ts';
import { enrolUser, signIn } from '../../helpers/flows.ts';
import { allUsers, ctx, doc, withToken } from '../../helpers/policies.ts';
import { testClock } from '../../helpers/test-clock.ts';
import { DAY, payrollNeedsMfa } from './fixtures.ts';

describe('CA attacks: remembered devices, trusted networks, addresses (refused today)', () => {
  it('remembered device older than rememberDeviceMaxDays, or forbidden by payroll, does not reach payroll', async () => {
    const stores = createMemoryStores({ clock: testClock() });
    const base = await withToken({ stores, policies: doc([payrollNeedsMfa({ rememberDeviceMaxDays: 7 })]) });
    const { app, clock, secret } = base;
    const first = await signIn(app, clock, 'alice', secret, { remember: true });
    const cookie = ((first.res.headers['set-cookie'] ?? []) as unknown as string[])
      .find((c) => c.startsWith('mfakit_rd='))
      ?.split(';')[0];
    assert.ok(cookie, 'a remembered-device cookie for the default app');
    clock.advance(3 * DAY);
    const fresh = request.agent(app);
    assert.equal(
      (await fresh.post('/login').set('Cookie', cookie).send({ username: 'alice', password: 'alice-pw' }))
        .body.status,
      'complete',
    );
    assert.equal((await fresh.get('/payroll')).status, 200, '3 days: within the 7-day limit');
    clock.advance(7 * DAY);
    assert.equal((await fresh.get('/payroll')).status, 401, 'the live session is re-checked: 10 days > 7');
    const old = request.agent(app);
    assert.equal(
      (await old.post('/login').set('Cookie', cookie).send({ username: 'alice', password: 'alice-pw' })).body
        .status,
      'complete',
      'the default app still accepts the cookie',
    );
    assert.equal((await old.get('/account')).status, 200);
    assert.equal((await old.get('/payroll')).status, 401);
    const direct = await request(app)
      .post('/login')
      .set('Cookie', cookie)
      .send({ username: 'alice', password: 'alice-pw', app: 'payroll' });
    assert.equal(direct.body.status, 'mfa_required');

    // A policy that forbids remembering on payroll, swapped in while the session is live.
    const v = (await base.mfa.policies.current()).version;
    await base.mfa.policies.replace(doc([payrollNeedsMfa({ rememberDevice: false })]), v, ctx);
    const again = request.agent(app);
    await again.post('/login').set('Cookie', cookie).send({ username: 'alice', password: 'alice-pw' });
    assert.equal((await again.get('/payroll')).status, 401);
  });

  it('a stamp that skipped MFA via the trustedNetworks option does not satisfy payroll, nor skip its MFA at sign-in', async () => {
    const clock = testClock();
    const stores: Stores = createMemoryStores({ clock });
    const first = makeApp({ clock, stores });
    const { secret } = await enrolUser(first.app, clock, 'alice');
    const { app } = makeApp({
      clock,
      stores,
      trustedNetworks: ['127.0.0.0/8', '::1/128'],
      policies: doc([payrollNeedsMfa()]),
    });
    const agent = request.agent(app);
    const start = await agent.post('/login').send({ username: 'alice', password: 'alice-pw' });
    assert.equal(start.body.status, 'complete', 'the trusted network skips MFA for the default app');
    assert.equal((await agent.get('/account')).status, 200);
    const res = await agent.get('/payroll');
    assert.equal(res.status, 401);
    assert.equal(res.body.reason, 'reverify_required');
    const direct = await request(app)
      .post('/login')
      .send({ username: 'alice', password: 'alice-pw', app: 'payroll' });
    assert.equal(direct.body.status, 'mfa_required');
    assert.equal((await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) })).status, 200);
    assert.equal((await agent.get('/payroll')).status, 200);
  });

  it('trustedNetworks does not lift a policy block at sign-in', async () => {
    const clock = testClock();
    const stores: Stores = createMemoryStores({ clock });
    const first = makeApp({ clock, stores });
    await enrolUser(first.app, clock, 'alice');
    const { app } = makeApp({
      clock,
      stores,
      trustedNetworks: ['127.0.0.0/8', '::1/128'],
      policies: doc([
        {
          id: 'payroll-office-only',
          name: 'Payroll only from the office',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['payroll'] } },
          conditions: { locations: { include: ['any'], exclude: ['office'] } },
          grant: { block: true },
        },
      ]),
    });
    const res = await request(app)
      .post('/login')
      .send({ username: 'alice', password: 'alice-pw', app: 'payroll' });
    assert.equal(res.status, 403);
  });

  it('a spoofed X-Forwarded-For (no trusted proxy) does not land in the office', async () => {
    const { app, clock, secret } = await withToken({
      policies: doc([
        {
          id: 'payroll-office-only',
          name: 'Payroll only from the office',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['payroll'] } },
          conditions: { locations: { include: ['any'], exclude: ['office'] } },
          grant: { block: true },
        },
      ]),
    });
    const { agent } = await signIn(app, clock, 'alice', secret);
    for (const xff of ['203.0.113.9', '::ffff:203.0.113.9', '2001:db8:1::5']) {
      const res = await agent.get('/payroll').set('X-Forwarded-For', xff);
      assert.equal(res.status, 403, xff);
    }
    const login = await request(app)
      .post('/login')
      .set('X-Forwarded-For', '203.0.113.9')
      .send({ username: 'alice', password: 'alice-pw', app: 'payroll' });
    assert.equal(login.status, 403);
  });

  it('IPv4-mapped IPv6 forms of a blocked address are blocked (behind a trusted proxy)', async () => {
    const blocked = { id: 'blocked', name: 'Blocked range', cidrs: ['198.51.100.0/24'] };
    const { app, clock, secret } = await withToken({
      trustedProxies: ['loopback'],
      policies: doc(
        [
          {
            id: 'block-range',
            name: 'Block the range',
            state: 'on',
            assignments: { ...allUsers, applications: { include: ['all'] } },
            conditions: { locations: { include: ['blocked'] } },
            grant: { block: true },
          },
        ],
        [blocked],
      ),
    });
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/payroll')).status, 200);
    for (const xff of [
      '198.51.100.7',
      '::ffff:198.51.100.7',
      '::FFFF:198.51.100.7',
      '::ffff:c633:6407',
      '0:0:0:0:0:ffff:198.51.100.7',
      '0:0:0:0:0:ffff:c633:6407',
      '203.0.113.9, 198.51.100.7',
    ]) {
      const res = await agent.get('/payroll').set('X-Forwarded-For', xff);
      assert.equal(res.status, 403, xff);
      const login = await request(app)
        .post('/login')
        .set('X-Forwarded-For', xff)
        .send({ username: 'alice', password: 'alice-pw' });
      assert.equal(login.status, 403, `sign-in from ${xff}`);
    }
  });
});
