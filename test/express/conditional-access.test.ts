import assert from 'node:assert/strict';
import request from 'supertest';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createMfa } from '../../src/index.ts';
import { PolicyLoadError } from '../../src/policy/index.ts';
import { codeFor, makeApp } from '../helpers/app.ts';
import { enrolUser, passwordStep, signIn } from '../helpers/flows.ts';
import { allUsers, ctx, doc, tokenCode, withToken } from '../helpers/policies.ts';
import { testClock } from '../helpers/test-clock.ts';

/**
 * Conditional access through the Express integration, as users of it rely on: the
 * policies decide at sign-in, and the guard re-checks each request for the app it protects
 * (strength, sign-in frequency, remembered-device control), sending the user to step-up.
 */
const mfaOutsideOffice = {
  id: 'mfa-outside-office',
  name: 'MFA outside the office',
  state: 'on',
  assignments: { ...allUsers, applications: { include: ['all'] } },
  conditions: { locations: { include: ['any'], exclude: ['trusted'] } },
  grant: { controls: ['mfa'] },
};

const payrollNeedsToken = {
  id: 'payroll-token',
  name: 'Payroll needs a hardware token',
  state: 'on',
  assignments: { ...allUsers, applications: { include: ['payroll'] } },
  grant: { controls: [{ authenticationStrength: 'hardwareToken' }] },
};

const login = (
  app: Parameters<typeof request>[0],
  user: string,
  body: Record<string, string> = {},
  xff?: string,
) => {
  const req = request(app).post('/login');
  if (xff) req.set('X-Forwarded-For', xff);
  return req.send({ username: user, password: `${user}-pw`, ...body });
};

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

describe('conditional access: policy changes, what-if, fail closed', () => {
  it('what-if explains every policy and changes nothing', async () => {
    const { mfa, events, stores } = makeApp({
      defaultUserState: 'disabled',
      policies: doc([mfaOutsideOffice, payrollNeedsToken]),
    });
    const decision = await mfa.whatIf({ userId: 'alice', app: 'payroll', ip: '203.0.113.9' });
    assert.equal(decision.action, 'block', 'alice has no hardware token');
    assert.equal(decision.userMessage, 'Use your hardware token for payroll.');
    const results = decision.policy?.results ?? [];
    assert.deepEqual(
      results.map((r) => [r.policyId, r.matched, r.failedCondition ?? null]),
      [
        ['mfa-outside-office', false, 'locations'],
        ['payroll-token', true, null],
      ],
    );
    assert.match(
      results[0]?.conditions?.find((c) => c.condition === 'locations')?.detail ?? '',
      /203\.0\.113\.9 is in excluded trusted location "office"/,
    );
    assert.deepEqual(events, [], 'no audit');
    assert.equal(await stores.repository.getSighting('alice', 'network', '203.0.113.0/24'), null);
  });

  it('replacing policies: a stale version is refused, an invalid document is refused whole, a valid one applies at once', async () => {
    const { app, mfa, events } = makeApp({ defaultUserState: 'disabled' });
    assert.equal((await login(app, 'alice')).body.status, 'complete', 'no policies yet');
    const v1 = (await mfa.policies.current()).version;
    await assert.rejects(mfa.policies.replace(doc([mfaOutsideOffice]), v1 + 5, ctx), {
      code: 'policy_version_conflict',
    });
    await assert.rejects(
      mfa.policies.replace(
        { policies: [{ ...mfaOutsideOffice, grant: { controls: [{ authenticationStrength: 'nope' }] } }] },
        v1,
        ctx,
      ),
      (err: unknown) =>
        err instanceof PolicyLoadError &&
        err.issues.some((i) => i.path === 'policies.0.grant.controls.0.authenticationStrength'),
    );
    assert.equal((await mfa.policies.current()).version, v1, 'nothing changed');
    const set = await mfa.policies.replace(doc([mfaOutsideOffice]), v1, { ...ctx, by: 'admin' });
    assert.equal(set.version, v1 + 1);
    assert.equal((await login(app, 'alice')).body.status, 'enroll_required');
    assert.ok(events.some((e) => e.type === 'policies_changed' && e.detail === 'admin'));
  });

  it("policies from the store: another process's change is picked up within the refresh interval", async () => {
    const clock = testClock();
    const stores = createMemoryStores({ clock });
    const common = {
      stores,
      clock,
      issuer: 'T',
      sealingKeys: [{ id: 'k', key: Buffer.alloc(32, 3) }],
      audit: () => {},
    };
    const one = createMfa({ ...common, policies: 'store', defaultUserState: 'disabled' });
    const two = createMfa({
      ...common,
      policies: 'store',
      defaultUserState: 'disabled',
      policyRefreshSeconds: 10,
    });
    const ip = '198.51.100.7';
    assert.equal((await two.decide({ userId: 'alice', ip })).action, 'allow');
    await one.policies.replace(doc([mfaOutsideOffice]), 0, ctx);
    assert.equal((await one.decide({ userId: 'alice', ip })).action, 'mfa');
    assert.equal((await two.decide({ userId: 'alice', ip })).action, 'allow', 'still the cached set');
    clock.advance(11_000);
    assert.equal((await two.decide({ userId: 'alice', ip })).action, 'mfa');
    await assert.rejects(two.policies.replace(doc([]), 0, ctx), { code: 'policy_version_conflict' });
  });

  it('fails closed: a store that cannot be read, or holds an invalid document, denies the sign-in', async () => {
    const clock = testClock();
    const stores = createMemoryStores({ clock });
    const broken = {
      ...stores,
      repository: Object.assign(Object.create(stores.repository), {
        getPolicyDocument: async () => {
          throw new Error('connection refused');
        },
      }),
    };
    const { app } = makeApp({ clock, stores: broken, policies: 'store', defaultUserState: 'disabled' });
    const res = await login(app, 'alice');
    assert.ok(res.status >= 500, `status ${res.status}`);
    assert.notEqual(res.body.status, 'complete');

    const junk = createMemoryStores({ clock });
    await junk.repository.putPolicyDocument({ policies: [{ id: 'x' }] }, 0, clock.now(), 'someone');
    const { app: app2 } = makeApp({ clock, stores: junk, policies: 'store', defaultUserState: 'disabled' });
    const res2 = await login(app2, 'alice');
    assert.ok(res2.status >= 400, `status ${res2.status}`);
    assert.notEqual(res2.body.status, 'complete');
  });

  it('an invalid document in the options is refused at start-up with the path of the problem', () => {
    assert.throws(
      () => makeApp({ policies: { policies: [{ ...mfaOutsideOffice, state: 'maybe' }] } }),
      /policies\.0\.state/,
    );
  });

  it('a policy-blocked app is refused by the guard with 403', async () => {
    const { app, clock, secret } = await (async () => {
      const made = makeApp({
        policies: doc([
          {
            id: 'no-payroll-outside',
            name: 'Payroll only in the office',
            state: 'on',
            assignments: { ...allUsers, applications: { include: ['payroll'] } },
            conditions: { locations: { include: ['any'], exclude: ['office'] } },
            grant: { block: true },
          },
        ]),
      });
      const { secret } = await enrolUser(made.app, made.clock, 'alice');
      return { ...made, secret };
    })();
    const { agent } = await signIn(app, clock, 'alice', secret);
    assert.equal((await agent.get('/account')).status, 200);
    const res = await agent.get('/payroll');
    assert.equal(res.status, 403);
    assert.equal(res.body.error, 'access_blocked');
    void passwordStep;
  });
});
