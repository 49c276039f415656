/** Conditional-access attacks around policy changes and states; the guard fails closed (regression tests). */

import assert from 'node:assert/strict';
import { createMemoryStores } from '../../../adapters/memory/index.ts';
import { makeApp } from '../../helpers/app.ts';
import { enrolUser, signIn } from '../../helpers/flows.ts';
import { allUsers, ctx, doc, withToken } from '../../helpers/policies.ts';
import { testClock } from '../../helpers/test-clock.ts';
import { payrollNeedsMfa, payrollNeedsToken, wrapRepository } from './fixtures.ts';

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
