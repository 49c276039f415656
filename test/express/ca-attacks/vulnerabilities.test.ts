/**
 * Attacks on conditional access (reaching an app guarded by `requireMfa({ app: 'payroll' })` with
 * less than its policies require, or signing in where a policy blocks): the findings of the review.
 * These assert the safe behaviour (they failed before the fixes).
 */

import assert from 'node:assert/strict';
import request from 'supertest';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { ACR_MFA } from '../../../src/engine/stamp.ts';
import { createMfa } from '../../../src/index.ts';
import { codeFor } from '../../helpers/app.ts';
import { signIn } from '../../helpers/flows.ts';
import { allUsers, ctx, doc, withToken } from '../../helpers/policies.ts';
import { testClock } from '../../helpers/test-clock.ts';
import { HOUR, payrollNeedsToken, wrapRepository } from './fixtures.ts';

describe('CA attacks: vulnerabilities (assert the safe behaviour)', () => {
  it('[F1] a legacy client that signed in to another app is still blocked by the payroll legacy-client block', async () => {
    const { app, clock, secret } = await withToken({
      policies: doc([
        {
          id: 'payroll-no-legacy',
          name: 'No legacy clients on payroll',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['payroll'] } },
          conditions: { clientAppTypes: ['legacy'] },
          grant: { block: true },
        },
      ]),
    });
    // Direct sign-in to payroll as a legacy client is refused ...
    const direct = await request(app)
      .post('/login')
      .send({ username: 'alice', password: 'alice-pw', app: 'payroll', client: 'legacy' });
    assert.equal(direct.status, 403, 'sign-in to payroll as legacy is blocked');
    // ... but a legacy sign-in to the default app yields a session the payroll guard takes as a browser.
    const agent = request.agent(app);
    const start = await agent
      .post('/login')
      .send({ username: 'alice', password: 'alice-pw', client: 'legacy' });
    assert.equal(start.body.status, 'mfa_required');
    assert.equal((await agent.post('/mfa/api/verify').send({ code: codeFor(secret, clock) })).status, 200);
    const res = await agent.get('/payroll');
    assert.equal(
      res.status,
      403,
      `legacy session reached payroll: ${res.status} ${JSON.stringify(res.body)}`,
    );
  });

  it('[F2] a user flagged for fraud after sign-in is blocked at the next request', async () => {
    const { app, clock, mfa, secret } = await withToken({
      policies: doc([
        {
          id: 'block-fraud',
          name: 'Block users reported for fraud',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['all'] } },
          conditions: { risk: { signals: ['fraudFlagged'] } },
          grant: { block: true },
        },
      ]),
    });
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/payroll')).status, 200);
    await mfa.admin.setFraudFlag('alice', true, ctx);
    const res = await agent.get('/payroll');
    // Flagging ends the user's live sessions: signed out, and the next sign-in is blocked.
    assert.equal(res.status, 401, `flagged user's live session still reaches payroll: ${res.status}`);
    assert.equal(res.body.reason, 'not_signed_in');
    assert.equal(
      (await request(app).post('/login').send({ username: 'alice', password: 'alice-pw' })).status,
      403,
    );
  });

  it('[F2b] a risk policy added while a session is live applies to it (stamp.risk frozen, empty when no risk policy existed)', async () => {
    const { app, clock, mfa, secret } = await withToken({ policies: doc([]) });
    await mfa.admin.setFraudFlag('alice', true, ctx);
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/payroll')).status, 200, 'no policy yet');
    const v = (await mfa.policies.current()).version;
    await mfa.policies.replace(
      doc([
        {
          id: 'block-fraud',
          name: 'Block users reported for fraud',
          state: 'on',
          assignments: { ...allUsers, applications: { include: ['all'] } },
          conditions: { risk: { signals: ['fraudFlagged'] } },
          grant: { block: true },
        },
      ]),
      v,
      ctx,
    );
    assert.equal(
      (await request(app).post('/login').send({ username: 'alice', password: 'alice-pw' })).status,
      403,
    );
    const res = await agent.get('/payroll');
    assert.equal(
      res.status,
      403,
      `live session of a flagged user passes the new block policy: ${res.status}`,
    );
  });

  it('[F3] store mode: a policy refresh in flight during replace() does not revert the process to the older, weaker set', async () => {
    const clock = testClock();
    const stores = createMemoryStores({ clock });
    let hold: Promise<void> | null = null;
    const repository = wrapRepository(stores.repository, {
      getPolicyDocument: async () => {
        const record = await stores.repository.getPolicyDocument();
        if (hold) await hold;
        return record;
      },
    });
    const mfa = createMfa({
      stores: { ...stores, repository },
      clock,
      issuer: 'T',
      sealingKeys: [{ id: 'k', key: Buffer.alloc(32, 3) }],
      audit: () => {},
      policies: 'store',
      policyRefreshSeconds: 15,
      defaultUserState: 'disabled',
    });
    const ip = '198.51.100.7';
    await mfa.policies.replace(doc([]), 0, ctx); // v1: nothing required
    assert.equal((await mfa.decide({ userId: 'alice', ip })).action, 'allow');
    clock.advance(16_000); // the cached set is stale: the next request refreshes it
    let release: () => void = () => {};
    hold = new Promise((r) => {
      release = r;
    });
    const refreshing = mfa.policies.current(); // reads v1, then waits (a slow store)
    await new Promise((r) => setImmediate(r));
    const stricter = {
      id: 'mfa-everywhere',
      name: 'MFA everywhere',
      state: 'on',
      assignments: { ...allUsers, applications: { include: ['all'] } },
      grant: { controls: ['mfa'] },
    };
    const v2 = await mfa.policies.replace(doc([stricter]), 1, ctx); // the admin tightens the policies
    assert.equal(v2.version, 2);
    hold = null;
    release();
    await refreshing;
    assert.equal((await mfa.policies.current()).version, 2, 'the in-memory set went back to version 1');
    assert.notEqual((await mfa.decide({ userId: 'alice', ip })).action, 'allow');
  });

  it('[F4] guard fails closed (answers, does not hang or reject unhandled) when the policy check throws on the async revocation path', async () => {
    const { app, clock, mfa, secret } = await withToken({ policies: doc([payrollNeedsToken()]) });
    const { agent } = await signIn(app, clock, 'alice', secret); // advances 30 s: the epoch cache is stale
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    const mochaListeners = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', onUnhandled);
    const original = mfa.policies.check;
    mfa.policies.check = () => {
      throw new Error('policy evaluation bug');
    };
    let status: number | string;
    try {
      clock.advance(2_000);
      const res = await agent.get('/payroll').timeout(1500);
      status = res.status;
      assert.ok(res.body?.payroll === undefined, 'payroll must not be served');
    } catch (err) {
      status = (err as { timeout?: number }).timeout ? 'timeout' : String(err);
    } finally {
      mfa.policies.check = original;
      await new Promise((r) => setTimeout(r, 20));
      process.removeListener('unhandledRejection', onUnhandled);
      for (const l of mochaListeners) process.on('unhandledRejection', l as (...a: unknown[]) => void);
    }
    // Safe: an answer (4xx/5xx) and no unhandled rejection (which crashes a Node 24 process by default).
    assert.deepEqual(
      { answered: typeof status === 'number' && status >= 400, unhandled: unhandled.map(String) },
      { answered: true, unhandled: [] },
      `status: ${status}`,
    );
  });

  it('[F5] a session from before per-method sign-in frequency: a TOTP step-up does not renew a stale hardware token', async () => {
    const { app, clock, secret } = await withToken({
      policies: doc([payrollNeedsToken({ signInFrequencyHours: 1 })]),
    });
    // A stamp as the previous release (74f628c) stored it: methods, but no verifiedAt.
    app.post('/__test/legacy-session', (req, res) => {
      const at = clock.now() - 2 * HOUR;
      req.session.mfakit = {
        stamp: {
          userId: 'alice',
          amr: ['pwd', 'otp', 'hwk', 'mfa'],
          acr: ACR_MFA,
          authTime: at,
          mfaAt: at,
          methods: ['password', 'hardwareOath'],
          app: 'payroll',
          groups: [],
          roles: [],
          risk: {},
        },
      };
      req.session.save(() => res.json({ ok: true }));
    });
    const agent = request.agent(app);
    await agent.post('/__test/legacy-session');
    // Step-up straight away (no guard refusal first, so no stepUp target: no method restriction).
    const stepUp = await agent.post('/mfa/api/step-up').send({ code: codeFor(secret, clock) });
    assert.equal(stepUp.status, 200);
    const res = await agent.get('/payroll');
    assert.equal(res.status, 401, 'a fresh TOTP renewed the 2-hour-old hardware token (mfaAt fallback)');
  });
});
