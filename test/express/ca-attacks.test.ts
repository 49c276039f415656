import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { ACR_MFA } from '../../src/engine/stamp.ts';
import { createPolicyAdminRouter } from '../../src/express/policy-admin.ts';
import { createMfa, type Stores } from '../../src/index.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser, signIn } from '../helpers/flows.ts';
import { allUsers, ctx, doc, tokenCode, withToken } from '../helpers/policies.ts';
import { testClock } from '../helpers/test-clock.ts';

/**
 * Attacks on conditional access: reaching an app guarded by `requireMfa({ app: 'payroll' })`
 * with less than its policies require, or signing in where a policy blocks. Tests that show a
 * vulnerability found in review assert the safe behaviour (they failed before the fixes); the
 * others are regression tests for attacks that were refused from the start.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const payrollNeedsToken = (session: Record<string, unknown> = {}) => ({
  id: 'payroll-token',
  name: 'Payroll needs a hardware token',
  state: 'on',
  assignments: { ...allUsers, applications: { include: ['payroll'] } },
  grant: { controls: [{ authenticationStrength: 'hardwareToken' }] },
  session,
});

const payrollNeedsMfa = (session: Record<string, unknown> = {}) => ({
  id: 'payroll-mfa',
  name: 'Payroll needs MFA',
  state: 'on',
  assignments: { ...allUsers, applications: { include: ['payroll'] } },
  grant: { controls: ['mfa'] },
  session,
});

/** A repository with some methods replaced (a Proxy, since the memory store uses #private fields). */
function wrapRepository<R extends object>(repo: R, overrides: Partial<Record<keyof R, unknown>>): R {
  return new Proxy(repo, {
    get(target, prop) {
      if (Object.hasOwn(overrides, prop)) return overrides[prop as keyof R];
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

// ------------------------------------------------------------------------------------------
// Findings of the review: these assert the safe behaviour (they failed before the fixes).
// ------------------------------------------------------------------------------------------

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

// ------------------------------------------------------------------------------------------
// Regression tests: attacks refused today.
// ------------------------------------------------------------------------------------------

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

describe('CA attacks: policy changes, states, fail closed (refused today)', () => {
  it('report-only and off never block; a policy switched on applies to a live session at its next request', async () => {
    const block = (state: string) => ({
      id: 'payroll-block',
      name: 'Payroll closed',
      state,
      assignments: { ...allUsers, applications: { include: ['payroll'] } },
      grant: { block: true },
    });
    const { app, clock, mfa, secret } = await withToken({ policies: doc([block('reportOnly')]) });
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/payroll')).status, 200, 'report-only');
    let v = (await mfa.policies.current()).version;
    await mfa.policies.replace(doc([block('on')]), v, ctx);
    assert.equal((await agent.get('/payroll')).status, 403, 'on: the same session is blocked at once');
    v = (await mfa.policies.current()).version;
    await mfa.policies.replace(doc([block('off')]), v, ctx);
    assert.equal((await agent.get('/payroll')).status, 200, 'off');
    v = (await mfa.policies.current()).version;
    await mfa.policies.replace(doc([payrollNeedsToken()]), v, ctx);
    assert.equal(
      (await agent.get('/payroll')).status,
      401,
      'a stricter strength applies to the live session',
    );
  });

  it('guard fails closed when the policy check throws on the synchronous path', async () => {
    const { app, clock, mfa, secret } = await withToken({ policies: doc([payrollNeedsToken()]) });
    const { agent } = await signIn(app, clock, 'alice', secret);
    await agent.get('/account'); // warms the revocation cache: the guard stays synchronous
    const original = mfa.policies.check;
    mfa.policies.check = () => {
      throw new Error('policy evaluation bug');
    };
    try {
      const res = await agent.get('/payroll').timeout(1500);
      assert.ok(res.status >= 500, String(res.status));
      assert.equal(res.body?.payroll, undefined);
    } finally {
      mfa.policies.check = original;
    }
  });

  it('guard fails closed when the policy store fails on refresh (store mode)', async () => {
    const clock = testClock();
    const stores = createMemoryStores({ clock });
    let broken = false;
    const repository = wrapRepository(stores.repository, {
      getPolicyDocument: async () => {
        if (broken) throw new Error('connection refused');
        return stores.repository.getPolicyDocument();
      },
    });
    await stores.repository.putPolicyDocument(doc([payrollNeedsMfa()]), 0, clock.now(), 'seed');
    const { app } = makeApp({ clock, stores: { ...stores, repository }, policies: 'store' });
    const { secret } = await enrolUser(app, clock, 'alice');
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/payroll')).status, 200);
    broken = true;
    clock.advance(20_000);
    const res = await agent.get('/payroll').timeout(1500);
    assert.ok(res.status >= 500, String(res.status));
    assert.equal(res.body?.payroll, undefined);
  });
});

describe('CA attacks: policy admin API (refused today)', () => {
  const setup = async () => {
    const made = makeApp({ policies: doc([payrollNeedsMfa()]) });
    const admin = express();
    admin.use(
      '/api',
      createPolicyAdminRouter(made.mfa, {
        authorize: (req) => {
          const key = req.get('x-admin-key');
          if (key === 'boom') throw new Error('directory down');
          return key === 'root-key' ? 'root' : null;
        },
      }),
    );
    return { ...made, admin };
  };

  it('refuses unauthorized callers before reading the body, and an authorize() error denies (503)', async () => {
    const { admin, mfa } = await setup();
    const v = (await mfa.policies.current()).version;
    for (const key of [undefined, 'guess', '']) {
      const set = (r: request.Test) => (key === undefined ? r : r.set('x-admin-key', key));
      assert.equal((await set(request(admin).get('/api/policies'))).status, 403);
      assert.equal((await set(request(admin).get('/api/document'))).status, 403);
      assert.equal(
        (await set(request(admin).put('/api/document').set('If-Match', `"${v}"`)).send({ policies: [] }))
          .status,
        403,
      );
      assert.equal(
        (await set(request(admin).post('/api/what-if')).type('json').send('{not json')).status,
        403,
        'no body parsing before authorization',
      );
    }
    const boom = await request(admin)
      .put('/api/document')
      .set('x-admin-key', 'boom')
      .set('If-Match', `"${v}"`)
      .send({});
    assert.equal(boom.status, 503);
    assert.equal((await mfa.policies.current()).version, v, 'nothing was written');
    const form = await request(admin)
      .post('/api/policies?version=1')
      .set('x-admin-key', 'root-key')
      .type('form')
      .send({ id: 'x' });
    assert.equal(form.status, 415, 'a cross-site form cannot write');
    assert.equal(
      (await request(admin).put('/api/document').set('x-admin-key', 'root-key').set('If-Match', '*').send({}))
        .status,
      428,
    );
  });

  it('what-if has no side effects', async () => {
    const { admin, mfa, events, stores } = await setup();
    const v = (await mfa.policies.current()).version;
    const before = events.length;
    const res = await request(admin).post('/api/what-if').set('x-admin-key', 'root-key').send({
      userId: 'alice',
      app: 'payroll',
      ip: '198.51.100.7',
      deviceRemembered: true,
      deviceAgeDays: 3,
    });
    assert.equal(res.status, 200);
    assert.equal(events.length, before, 'no audit');
    assert.equal((await mfa.policies.current()).version, v);
    assert.equal(await stores.repository.getSighting('alice', 'network', '198.51.100.0/24'), null);
    assert.deepEqual(await mfa.admin.lockStatus('alice'), { attempts: 0, consecutiveFailures: 0 });
    assert.equal((await mfa.devices.list('alice')).length, 0);
  });

  it('malformed policy input and what-if bodies give 4xx, never 5xx', async () => {
    const { admin, mfa } = await setup();
    const version = async () => (await mfa.policies.current()).version;
    const policy = payrollNeedsMfa();
    let deep: unknown = 1;
    for (let i = 0; i < 5000; i++) deep = [deep];
    const documents: unknown[] = [
      { policies: 'x' },
      { policies: [null] },
      { policies: [{ ...policy, state: 'maybe' }] },
      { policies: [{ ...policy, id: '__proto__' }] },
      { policies: [{ ...policy, grant: { controls: [{ authenticationStrength: 'constructor' }] } }] },
      { policies: [{ ...policy, grant: { controls: [{ authenticationStrength: 'toString' }] } }] },
      { policies: [{ ...policy, conditions: { locations: { include: ['constructor'] } } }] },
      {
        policies: [
          {
            ...policy,
            conditions: { times: { include: [{ start: '09:00', end: '09:00', timeZone: 'UTC' }] } },
          },
        ],
      },
      {
        policies: [
          {
            ...policy,
            conditions: { times: { include: [{ start: '9:00', end: '10:00', timeZone: 'Mars/Olympus' }] } },
          },
        ],
      },
      { policies: [{ ...policy, session: { signInFrequencyHours: -1 } }] },
      { policies: [{ ...policy, session: { signInFrequencyHours: 1e308 } }] },
      { policies: [{ ...policy, conditions: deep }] },
      { namedLocations: [{ id: 'a', name: 'a', cidrs: ['1.2.3.4/33'] }] },
      { namedLocations: [{ id: 'a', name: 'a', cidrs: ['::ffff:1.2.3.4/129'] }] },
      { namedLocations: [{ id: 'a', name: 'a', cidrs: ['010.0.0.0/8'] }] },
      { namedLocations: [{ id: 'any', name: 'a', cidrs: ['10.0.0.0/8'] }] },
      { authenticationStrengths: [{ id: 'mfa', name: 'x', combinations: [['password']] }] },
      { authenticationStrengths: [{ id: 's', name: 'x', combinations: [['password', 'nope']] }] },
      { authenticationStrengths: [{ id: 's', name: 'x', combinations: [[]] }] },
    ];
    for (const [i, body] of documents.entries()) {
      const res = await request(admin)
        .put('/api/document')
        .set('x-admin-key', 'root-key')
        .set('If-Match', `"${await version()}"`)
        .send(body as object);
      assert.ok(
        res.status >= 400 && res.status < 500,
        `${res.status} for document #${i}: ${JSON.stringify(res.body).slice(0, 200)}`,
      );
    }
    // Valid but unusual documents compile and evaluate without 5xx.
    const odd: unknown[] = [
      doc(
        [{ ...policy, conditions: { locations: { include: ['everything'] } } }],
        [{ id: 'everything', name: 'All', cidrs: ['0.0.0.0/0', '::/0', '::ffff:0.0.0.0/96'] }],
      ),
      doc([
        {
          ...policy,
          id: 'constructor',
          assignments: { ...allUsers, applications: { include: ['constructor', 'toString'] } },
        },
      ]),
    ];
    for (const body of odd) {
      const put = await request(admin)
        .put('/api/document')
        .set('x-admin-key', 'root-key')
        .set('If-Match', `"${await version()}"`)
        .send(body as object);
      assert.equal(put.status, 200, JSON.stringify(put.body).slice(0, 300));
      for (const ip of ['198.51.100.7', '::ffff:198.51.100.7', 'fe80::1', '::']) {
        for (const appName of ['payroll', 'constructor', 'toString', '__proto__']) {
          const res = await request(admin)
            .post('/api/what-if')
            .set('x-admin-key', 'root-key')
            .send({ userId: 'alice', app: appName, ip });
          assert.ok(res.status < 500, `${res.status} what-if ${ip} ${appName}`);
        }
      }
    }
    const whatIfs: unknown[] = [
      {},
      { userId: 'alice' },
      { userId: 'alice', ip: '1.2.3' },
      { userId: 'alice', ip: '010.1.2.3' },
      { userId: 'alice', ip: 'fe80::1%eth0' },
      { userId: 'alice', ip: '1.2.3.4', time: 8.64e15 },
      { userId: 'alice', ip: '1.2.3.4', time: '+275760-09-13T00:00:00.000Z' },
      { userId: 'alice', ip: '1.2.3.4', time: '2026-13-40T00:00:00Z' },
      { userId: 'alice', ip: '1.2.3.4', risk: { fraudFlagged: 'yes' } },
      { userId: 'alice', ip: '1.2.3.4', extra: true },
      { userId: 'alice', ip: '1.2.3.4', amr: ['mfa'], deviceRemembered: true, deviceAgeDays: 3650 },
    ];
    for (const body of whatIfs) {
      const res = await request(admin)
        .post('/api/what-if')
        .set('x-admin-key', 'root-key')
        .send(body as object);
      assert.ok(res.status < 500, `${res.status} what-if ${JSON.stringify(body)}`);
    }
  });
});
