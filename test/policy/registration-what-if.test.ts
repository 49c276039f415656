import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createMfa, type MfaOptions } from '../../src/index.ts';
import { type PolicyDocumentInput, REGISTRATION_MFA_MESSAGE } from '../../src/policy/index.ts';
import { testClock } from '../helpers/test-clock.ts';

/**
 * `mfa.whatIf({ userAction: 'registerSecurityInfo', ... })`: may this user register a method,
 * and what must the session verify first? Only user-action policies decide; the per-user MFA
 * state, application policies, trusted networks and remembered devices do not.
 */
const OFFICE_IP = '203.0.113.9';
const HOME_IP = '198.51.100.7';
const REGISTER = 'registerSecurityInfo' as const;

const registration = {
  id: 'register-office-or-tap',
  name: 'Register security info only from the office network or with a Temporary Access Pass',
  state: 'on' as const,
  assignments: { users: { include: ['all'] }, userActions: [REGISTER] },
  conditions: { locations: { include: ['any'], exclude: ['trusted'] } },
  grant: { controls: ['mfa' as const] },
};

const blockPortal = {
  id: 'block-all-apps',
  name: 'Block every app (so a sign-in what-if would be blocked)',
  state: 'on' as const,
  assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
  grant: { block: true as const },
};

const document = (...policies: PolicyDocumentInput['policies'] & object): PolicyDocumentInput => ({
  namedLocations: [{ id: 'office', name: 'Office', trusted: true, cidrs: ['203.0.113.0/24'] }],
  policies,
});

function setup(policies: PolicyDocumentInput, over: Partial<MfaOptions> = {}) {
  const clock = testClock();
  const stores = createMemoryStores({ clock });
  const mfa = createMfa({
    stores,
    clock,
    issuer: 'Test Co',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 1) }],
    audit: () => {},
    defaultUserState: 'enforced',
    policies,
    ...over,
  });
  const addTotp = (userId: string, id = 'm-totp') =>
    stores.repository.insertMethod({
      id,
      userId,
      kind: 'totp',
      label: 'Phone',
      data: {
        sealedSecret: 'k1.iv.ciphertext.tag',
        algorithm: 'sha1',
        digits: 6,
        period: 30,
        tokenSerial: null,
      },
      counterKey: `totp:${id}`,
      lookupKey: null,
      createdAt: clock.now(),
      lastUsedAt: null,
    });
  return { mfa, addTotp };
}

const codes = (d: { reasons: { code: string }[] }) => d.reasons.map((r) => r.code);

describe('what-if of registering security info', () => {
  it('from the office network: allowed, though every app is blocked and the user is MFA-enforced', async () => {
    const { mfa } = setup(document(blockPortal, registration));
    const d = await mfa.whatIf({ userId: 'alice', ip: OFFICE_IP, userAction: REGISTER });
    assert.equal(d.action, 'allow');
    assert.equal(d.userAction, REGISTER);
    assert.equal(d.allowedBy, 'first_factor');
    assert.deepEqual(codes(d), ['user_action', 'no_registration_policy']);
    const results = d.policy?.results ?? [];
    assert.deepEqual(
      results.map((r) => [r.policyId, r.matched, r.failedCondition]),
      [
        ['block-all-apps', false, 'applications'],
        ['register-office-or-tap', false, 'locations'],
      ],
    );
    assert.match(
      results[0]?.conditions?.find((c) => c.condition === 'applications')?.detail ?? '',
      /applies to applications, not to the user action registerSecurityInfo/,
    );
    // the same engine still blocks the sign-in
    assert.equal((await mfa.whatIf({ userId: 'alice', ip: OFFICE_IP })).action, 'block');
  });

  it('from elsewhere, a user without a method needs a Temporary Access Pass', async () => {
    const { mfa } = setup(document(registration));
    const d = await mfa.whatIf({ userId: 'alice', ip: HOME_IP, userAction: REGISTER });
    assert.equal(d.action, 'mfa');
    assert.equal(d.step, 'second_factor');
    assert.deepEqual(d.requirements, [
      { source: 'register-office-or-tap', operator: 'requireAll', strengths: ['mfa'] },
    ]);
    assert.deepEqual(d.allowedMethodIds, []);
    assert.equal(d.userMessage, REGISTRATION_MFA_MESSAGE);
    assert.deepEqual(codes(d), ['user_action', 'policy_requires', 'temporary_access_pass_required']);
    assert.ok(
      !d.requirements.some((r) => r.source === 'user_state'),
      'the per-user state is a sign-in matter',
    );
  });

  it('from elsewhere, a user with a method verifies it first; trusted networks and remembered devices change nothing', async () => {
    const { mfa, addTotp } = setup(document(registration), { trustedNetworks: ['198.51.100.0/24'] });
    await addTotp('alice');
    for (const extra of [{}, { deviceRemembered: true, deviceAgeDays: 1 }]) {
      const d = await mfa.whatIf({ userId: 'alice', ip: HOME_IP, userAction: REGISTER, ...extra });
      assert.equal(d.action, 'mfa');
      assert.equal(d.step, 'second_factor');
      assert.deepEqual(d.allowedMethodIds, ['m-totp']);
      assert.equal(d.allowRecovery, true);
      assert.ok(!('allowedBy' in d), 'nothing skipped');
      assert.deepEqual(codes(d), ['user_action', 'policy_requires', 'second_factor_required']);
      assert.match(d.reasons.at(-1)?.message ?? '', /or a Temporary Access Pass/);
    }
  });

  it('a session that already did MFA (an upstream IdP said so) may register', async () => {
    const { mfa } = setup(document(registration));
    const d = await mfa.whatIf({ userId: 'alice', ip: HOME_IP, userAction: REGISTER, amr: ['fed', 'mfa'] });
    assert.equal(d.action, 'allow');
    assert.deepEqual(codes(d), ['user_action', 'policy_requires', 'requirements_met']);
  });

  it('blocked by a blocking policy; blocked when nothing the user has or could get satisfies it', async () => {
    const blocked = setup(document({ ...registration, grant: { block: true as const } }));
    const b = await blocked.mfa.whatIf({ userId: 'alice', ip: HOME_IP, userAction: REGISTER });
    assert.equal(b.action, 'block');
    assert.deepEqual(codes(b), ['user_action', 'policy_block']);

    const strong = setup(
      document({ ...registration, grant: { controls: [{ authenticationStrength: 'phishingResistant' }] } }),
    );
    await strong.addTotp('alice');
    const s = await strong.mfa.whatIf({ userId: 'alice', ip: HOME_IP, userAction: REGISTER });
    assert.equal(s.action, 'block');
    assert.equal(codes(s).at(-1), 'strength_unavailable');
    assert.equal(s.userMessage, 'Your organisation requires a passkey or security key for this app.');
  });

  it('a sign-in is not touched by the registration policy; alone, it costs sign-ins no policy work', async () => {
    const alone = setup(document(registration), { defaultUserState: 'disabled' });
    const signIn = await alone.mfa.decide({ userId: 'alice', ip: HOME_IP });
    assert.equal(signIn.action, 'allow');
    assert.equal(signIn.policy, undefined, 'no application policy: the set is not consulted');
    assert.equal(alone.mfa.policies.isActive(), false);

    const withApps = setup(document({ ...blockPortal, state: 'reportOnly' as const }, registration), {
      defaultUserState: 'disabled',
    });
    const d = await withApps.mfa.whatIf({ userId: 'alice', ip: HOME_IP });
    assert.equal(d.action, 'allow');
    assert.equal(d.userAction, undefined);
    const r = d.policy?.results.find((x) => x.policyId === 'register-office-or-tap');
    assert.equal(r?.failedCondition, 'userActions');
    assert.match(
      r?.conditions?.find((c) => c.condition === 'userActions')?.detail ?? '',
      /applies to the user action registerSecurityInfo, not to a sign-in to app "default"/,
    );
  });
});
