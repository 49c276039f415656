import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createMfa } from '../../src/index.ts';
import {
  compilePolicySet,
  evaluateRegistration,
  loadPolicyFile,
  unmetRequirements,
} from '../../src/policy/index.ts';
import { testClock } from '../helpers/test-clock.ts';

/** The README's worked examples, loaded from examples/policies/, behave as the README says. */
const file = (name: string) => new URL(`../../examples/policies/${name}`, import.meta.url).pathname;

async function engine(name: string) {
  const clock = testClock();
  return createMfa({
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'Examples',
    sealingKeys: [{ id: 'k', key: Buffer.alloc(32, 9) }],
    audit: () => {},
    defaultUserState: 'disabled',
    policies: await loadPolicyFile(file(name)),
  });
}

describe('README worked examples', () => {
  it('1. trusted office network: no MFA from the office, MFA elsewhere, the break-glass account never', async () => {
    const mfa = await engine('trusted-office.yaml');
    const at = (userId: string, ip: string) => mfa.whatIf({ userId, app: 'portal', ip });
    assert.equal((await at('alice', '203.0.113.40')).action, 'allow');
    assert.equal((await at('alice', '2001:db8:1::5')).action, 'allow');
    const outside = await at('alice', '198.51.100.7');
    assert.equal(outside.action, 'mfa');
    assert.equal(outside.step, 'enroll', 'alice has no method yet: enrollment');
    assert.equal((await at('breakglass', '198.51.100.7')).action, 'allow');
    const explained = (await at('alice', '203.0.113.40')).policy?.results[0]?.conditions;
    assert.match(explained?.find((c) => c.condition === 'locations')?.detail ?? '', /excluded/);
  });

  it('2. payroll: a hardware token or security key, every 4 hours, never a remembered device', async () => {
    const doc = await loadPolicyFile(file('payroll-strong.yaml'));
    const set = compilePolicySet(doc);
    const ctx = { userId: 'fay', groups: ['finance'], app: 'payroll', ip: '198.51.100.7', time: Date.now() };
    const decision = set.evaluate(ctx);
    assert.equal(decision.action, 'mfa');
    assert.deepEqual(decision.sessionControls, {
      signInFrequencyMs: 4 * 3_600_000,
      rememberDeviceAllowed: false,
      rememberDeviceMaxDays: null,
    });
    const unmet = (methods: string[]) =>
      unmetRequirements(methods, decision.requirements, set.strengths).length;
    assert.equal(unmet(['password', 'totp']), 1, 'an authenticator app is not enough');
    assert.equal(unmet(['password', 'hardwareOath']), 0);
    assert.equal(unmet(['webauthn']), 0);
    assert.equal(set.evaluate({ ...ctx, app: 'portal' }).action, 'allow', 'only payroll');
    assert.equal(
      set.evaluate({ ...ctx, groups: ['sales'] }).action,
      'allow',
      'only finance and payroll admins',
    );

    const mfa = await engine('payroll-strong.yaml');
    const noToken = await mfa.whatIf({
      userId: 'fay',
      groups: ['finance'],
      app: 'payroll',
      ip: '198.51.100.7',
    });
    assert.equal(noToken.action, 'block', 'no method of hers could satisfy it');
    assert.equal(
      noToken.userMessage,
      'Use your hardware token for payroll.',
      'the first strength names the way out',
    );
  });

  it('3. legacy protocols: report-only first (recorded, not enforced), then on — except the service account', async () => {
    const doc = await loadPolicyFile(file('block-legacy.yaml'));
    const trial = compilePolicySet(doc).evaluate({
      userId: 'alice',
      app: 'mail',
      ip: '198.51.100.7',
      clientAppType: 'legacy',
      time: Date.now(),
    });
    assert.equal(trial.action, 'allow');
    assert.deepEqual(
      trial.reportOnly.map((r) => [r.policyId, r.grant]),
      [['block-legacy', 'block']],
    );
    const on = compilePolicySet({
      ...doc,
      policies: doc.policies.map((p) => ({ ...p, state: 'on' as const })),
    });
    const legacy = { app: 'mail', ip: '198.51.100.7', clientAppType: 'legacy' as const, time: Date.now() };
    assert.equal(on.evaluate({ ...legacy, userId: 'alice' }).action, 'block');
    assert.equal(on.evaluate({ ...legacy, userId: 'svc-scanner' }).action, 'allow');
    assert.equal(on.evaluate({ ...legacy, userId: 'alice', clientAppType: 'browser' }).action, 'allow');
  });

  it('4. registering security info: from the office, or elsewhere with MFA (a Temporary Access Pass counts)', async () => {
    const doc = await loadPolicyFile(file('register-security-info.yaml'));
    const set = compilePolicySet(doc);
    const facts = { userId: 'alice', time: Date.now() };
    const office = evaluateRegistration(set, { ...facts, ip: '203.0.113.40' }, { methods: ['password'] });
    assert.equal(office.action, 'allow');
    const home = { ...facts, ip: '198.51.100.7' };
    const password = evaluateRegistration(set, home, { methods: ['password'] });
    assert.equal(password.action, 'require');
    assert.deepEqual(
      password.unmet.map((r) => [r.source, r.strengths]),
      [['register-security-info-office-or-tap', ['mfa']]],
    );
    assert.equal(evaluateRegistration(set, home, { methods: ['temporaryAccessPass'] }).action, 'allow');
    assert.equal(evaluateRegistration(set, home, { methods: ['password', 'totp'] }).action, 'allow');
    // a user action, not an application: sign-ins from home are not touched
    assert.equal(set.evaluate({ ...home, app: 'portal' }).action, 'allow');

    const mfa = await engine('register-security-info.yaml');
    const register = (ip: string) => mfa.whatIf({ userId: 'alice', ip, userAction: 'registerSecurityInfo' });
    assert.equal((await register('203.0.113.40')).action, 'allow');
    assert.equal((await register('2001:db8:1::5')).action, 'allow');
    const away = await register('198.51.100.7');
    assert.equal(away.action, 'mfa');
    assert.equal(away.reasons.at(-1)?.code, 'temporary_access_pass_required');
  });
});
