// `mfa.policies.check(stamp, target, { fresh: true })`: what the app requires must be met by the
// sign-in's first factors and the second factors verified within `reauthMaxAgeSeconds` — the
// engine's judgement every integration's fresh check shares.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { type AuthStamp, createMfa } from '../../src/index.ts';
import { HOUR, payrollNeedsMfa, payrollNeedsToken } from '../express/ca-attacks/fixtures.ts';
import { allUsers, doc } from '../helpers/policies.ts';
import { testClock } from '../helpers/test-clock.ts';

const CTX = { ip: '198.51.100.7' };
const PAYROLL = { app: 'payroll', ip: CTX.ip };
const hrNeedsMfa = {
  ...payrollNeedsMfa(),
  id: 'hr-mfa',
  assignments: { ...allUsers, applications: { include: ['hr'] } },
};

function engine(policies: unknown[]) {
  const clock = testClock();
  const mfa = createMfa({
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'Test',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 4) }],
    audit: () => {},
    reauthMaxAgeSeconds: 300,
    policies: doc(policies),
  });
  return { mfa, clock };
}

/** alice's session: password, the hardware token `tokenAge` ms ago, the authenticator app `totpAge` ms ago. */
function stamp(now: number, tokenAge: number, totpAge: number): AuthStamp {
  return {
    version: 1,
    userId: 'alice',
    amr: ['pwd', 'otp', 'hwk', 'mfa'],
    acr: 'urn:mfakit:acr:mfa',
    firstFactorAmr: ['pwd'],
    authTime: now - tokenAge,
    mfaAt: now - Math.min(tokenAge, totpAge),
    methods: ['password', 'hardwareOath', 'totp'],
    verifiedAt: { hardwareOath: now - tokenAge, totp: now - totpAge },
    app: 'payroll',
    clientAppType: 'browser',
    groups: [],
    roles: [],
    risk: {},
  };
}

describe('policies.check with fresh: the requirement, met by recent factors', () => {
  it('an old token beside a fresh authenticator-app code: ok, but not fresh', async () => {
    const { mfa, clock } = engine([payrollNeedsToken(), hrNeedsMfa]);
    const session = stamp(clock.now(), 2 * HOUR, 0);
    assert.deepEqual(await mfa.policies.check(session, PAYROLL), { ok: true });
    assert.equal(mfa.isFresh(session), true, 'a real second factor is recent');
    const fresh = await mfa.policies.check(session, PAYROLL, { fresh: true });
    assert.ok(!fresh.ok && fresh.reason === 'step_up_required', JSON.stringify(fresh));
    assert.equal(fresh.cause, 'fresh');
    assert.equal(fresh.message, 'Use your hardware token for payroll.');
    // Not over-blocked: an app that needs any second factor, or has no policy, takes the recent code.
    assert.deepEqual(await mfa.policies.check(session, { ...PAYROLL, app: 'hr' }, { fresh: true }), {
      ok: true,
    });
    assert.deepEqual(await mfa.policies.check(session, { ...PAYROLL, app: 'portal' }, { fresh: true }), {
      ok: true,
    });
  });

  it('the token verified within reauthMaxAgeSeconds is fresh; just after, it is not', async () => {
    const { mfa, clock } = engine([payrollNeedsToken()]);
    assert.deepEqual(
      await mfa.policies.check(stamp(clock.now(), 300_000, 2 * HOUR), PAYROLL, { fresh: true }),
      { ok: true },
    );
    const late = await mfa.policies.check(stamp(clock.now(), 300_001, 0), PAYROLL, { fresh: true });
    assert.equal(late.ok, false);
  });
});
