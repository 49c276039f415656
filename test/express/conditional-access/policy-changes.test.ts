/** Conditional access through the Express integration: policy changes, what-if, and failing closed. */

import assert from 'node:assert/strict';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { createMfa } from '../../../src/index.ts';
import { PolicyLoadError } from '../../../src/policy/index.ts';
import { makeApp } from '../../helpers/app.ts';
import { enrolUser, passwordStep, signIn } from '../../helpers/flows.ts';
import { allUsers, ctx, doc } from '../../helpers/policies.ts';
import { testClock } from '../../helpers/test-clock.ts';
import { login, mfaOutsideOffice, payrollNeedsToken } from './fixtures.ts';

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
