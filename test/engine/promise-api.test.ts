// The public calls that may answer later always answer with a promise — even when the answer
// comes from an in-process cache — so a caller never has to test which one it got.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { type AuthStamp, createMfa, type SessionPolicyCheck } from '../../src/index.ts';
import { testClock } from '../helpers/test-clock.ts';

const CTX = { ip: '198.51.100.7' };

const clock = testClock();

function engine() {
  return createMfa({
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'Test',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 4) }],
    audit: () => {},
    defaultUserState: 'disabled',
    policies: {
      policies: [
        {
          id: 'payroll-mfa',
          name: 'Payroll needs MFA',
          state: 'on',
          assignments: { users: { include: ['all'] }, applications: { include: ['payroll'] } },
          grant: { controls: ['mfa'] },
        },
      ],
    },
  });
}

async function signedIn(mfa: ReturnType<typeof engine>): Promise<AuthStamp> {
  const start = await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ...CTX });
  assert.ok(start.status === 'complete', start.status);
  return start.stamp;
}

describe('the public API answers later with promises only', () => {
  it('isCurrent is a promise, also when the answer is cached', async () => {
    const mfa = engine();
    const stamp = await signedIn(mfa);
    const first = mfa.isCurrent(stamp);
    assert.ok(first instanceof Promise);
    assert.equal(await first, true);
    const cached = mfa.isCurrent(stamp);
    assert.ok(cached instanceof Promise, 'a cache hit is still a promise');
    assert.equal(await cached, true);
    clock.advance(1000);
    await mfa.admin.revokeSessions('alice', CTX);
    assert.equal(await mfa.isCurrent(stamp), false);
  });

  it('policies.check is a promise, also when the policy set is in memory', async () => {
    const mfa = engine();
    const stamp = await signedIn(mfa);
    await mfa.policies.current();
    const check = mfa.policies.check(stamp, { app: 'payroll', ip: CTX.ip });
    assert.ok(check instanceof Promise);
    const result: SessionPolicyCheck = await check;
    assert.ok(!result.ok && result.reason === 'step_up_required', JSON.stringify(result));
    assert.deepEqual(await mfa.policies.check(stamp, { app: 'portal', ip: CTX.ip }), { ok: true });
  });

  it('the types say so', async () => {
    const mfa = engine();
    const stamp = await signedIn(mfa);
    // @ts-expect-error isCurrent is never a plain boolean
    const current: boolean = mfa.isCurrent(stamp);
    // @ts-expect-error check is never a plain result
    const checked: SessionPolicyCheck = mfa.policies.check(stamp, { app: 'payroll', ip: CTX.ip });
    assert.equal(await current, true);
    assert.equal((await checked).ok, false);
  });

  it("the engine's cached session check of access passes (a boolean or a promise) is not public", () => {
    const mfa = engine();
    // @ts-expect-error internal: mfa.isCurrent is the public session check
    void mfa.accessPasses.admitsSession;
    assert.equal('admitsSession' in mfa.accessPasses, false);
  });
});
