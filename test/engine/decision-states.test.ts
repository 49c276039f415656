// Decisions as states: each `action` carries exactly its fields. The compiler refuses the
// impossible combinations (the `@ts-expect-error` lines fail `tsc` if they ever compile), and
// the engine's real decisions carry no field of another state — no `allowedMethodIds` on an
// `allow`, no network on a remembered-device skip, no `step` left on an enrollment turned into a
// block. A sign-in whose first factor was enough is audited as completed, not as a skip.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { type Decision, mustEnroll, skipOf, userMessageOf } from '../../src/engine/decision.ts';
import { type AuditEvent, createMfa, type MfaOptions } from '../../src/index.ts';
import { codeFor } from '../helpers/app.ts';
import { testClock } from '../helpers/test-clock.ts';
import { totpSecretOf } from '../helpers/totp-now.ts';

const CTX = { ip: '198.51.100.7' };
const OFFICE = '203.0.113.5';

function engine(options: Partial<MfaOptions> = {}) {
  const clock = testClock();
  const events: AuditEvent[] = [];
  const mfa = createMfa({
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'Test',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 5) }],
    audit: (e) => void events.push(e),
    trustedNetworks: ['203.0.113.0/24'],
    rememberDevice: { enabled: true, days: 14, maxDays: 60, cookieName: 'rd', secureCookie: false },
    ...options,
  });
  const enrol = async (userId: string) => {
    const draft = await mfa.enrollment.begin('totp', userId, userId);
    const done = await mfa.enrollment.confirm(
      'totp',
      userId,
      draft.draftId,
      { code: codeFor(totpSecretOf(draft), clock) },
      'app',
      CTX,
    );
    assert.ok(done.ok);
    clock.advance(31_000);
  };
  return { mfa, clock, events, enrol };
}

/** What every decision carries, whatever its state. */
const COMMON = new Set([
  'action',
  'reasons',
  'methods',
  'userState',
  'sessionControls',
  'policy',
  'subject',
  'risk',
  'app',
  'userAction',
]);

/** The fields a decision of this state may have, beside the ones every decision has. */
const OWN_FIELDS: Record<string, string[]> = {
  'allow/user_disabled': ['allowedBy'],
  'allow/first_factor': ['allowedBy'],
  'allow/trusted_network': ['allowedBy', 'trustedNetwork'],
  'allow/remembered_device': ['allowedBy', 'rememberedDeviceId', 'rememberedDeviceAt'],
  'mfa/second_factor': ['step', 'requirements', 'allowedMethodIds', 'allowRecovery', 'userMessage'],
  'mfa/enroll': ['step', 'requirements', 'enrollKinds'],
  'mfa/register_method': [
    'step',
    'requirements',
    'allowedMethodIds',
    'allowRecovery',
    'proofRequired',
    'enrollKinds',
    'userMessage',
  ],
  block: ['requirements', 'userMessage'],
};

function stateOf(d: Decision): string {
  if (d.action === 'allow') return `allow/${d.allowedBy}`;
  if (d.action === 'mfa') return `mfa/${d.step}`;
  return 'block';
}

/** Asserts the decision has its state's fields and no other state's. */
function assertOnlyItsFields(d: Decision, state: string) {
  assert.equal(stateOf(d), state);
  const own = Object.keys(d).filter((k) => !COMMON.has(k));
  assert.deepEqual(own.sort(), [...(OWN_FIELDS[state] ?? [])].sort(), `${state}: ${JSON.stringify(d)}`);
}

describe('decisions as states', () => {
  it('each state of a real sign-in carries exactly its fields', async () => {
    const { mfa, enrol, events } = engine({ defaultUserState: 'enforced' });
    // No method yet: enrollment.
    assertOnlyItsFields(await mfa.decide({ userId: 'alice', ...CTX }), 'mfa/enroll');
    await enrol('alice');
    const prompt = await mfa.decide({ userId: 'alice', ...CTX });
    assertOnlyItsFields(prompt, 'mfa/second_factor');
    assert.ok(prompt.action === 'mfa' && prompt.step === 'second_factor');
    assert.equal(prompt.allowedMethodIds.length, 1);
    assert.equal(prompt.userMessage, null);
    // The office network.
    const office = await mfa.decide({ userId: 'alice', ip: OFFICE });
    assertOnlyItsFields(office, 'allow/trusted_network');
    assert.ok(office.action === 'allow' && office.allowedBy === 'trusted_network');
    assert.equal(office.trustedNetwork, '203.0.113.0/24');
    // A remembered device.
    const { cookieValue, device } = await mfa.devices.remember('alice', 'test', CTX);
    const remembered = await mfa.decide({ userId: 'alice', ...CTX, rememberedDeviceCookie: cookieValue });
    assertOnlyItsFields(remembered, 'allow/remembered_device');
    assert.ok(remembered.action === 'allow' && remembered.allowedBy === 'remembered_device');
    assert.equal(remembered.rememberedDeviceId, device.id);
    assert.equal(remembered.rememberedDeviceAt, device.createdAt);
    // An upstream that did MFA: the first factor is enough, nothing was skipped.
    const upstream = await mfa.decide({ userId: 'alice', ...CTX, amr: ['fed', 'mfa'] });
    assertOnlyItsFields(upstream, 'allow/first_factor');
    assert.ok(upstream.action === 'allow');
    assert.equal(skipOf(upstream), null);
    // MFA disabled for the user.
    await mfa.admin.setUserState('bob', 'disabled', CTX);
    const disabled = await mfa.decide({ userId: 'bob', ...CTX });
    assertOnlyItsFields(disabled, 'allow/user_disabled');
    assert.ok(disabled.action === 'allow');
    assert.equal(skipOf(disabled), 'user_disabled');
    assert.ok(events.length > 0);
  });

  it('a locked account is a block with no message of its own (the generic refusal)', async () => {
    const { mfa, enrol } = engine({
      defaultUserState: 'enforced',
      lockout: { hardLimit: 3, backoffBaseMs: 0 },
    });
    await enrol('alice');
    for (let i = 0; i < 3; i++) {
      const start = await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ...CTX });
      assert.ok(start.status === 'mfa');
      await mfa.verifyPending(start.pending.id, { code: '000000' }, CTX);
    }
    const locked = await mfa.decide({ userId: 'alice', ...CTX });
    assertOnlyItsFields(locked, 'block');
    assert.equal(userMessageOf(locked), null);
    assert.deepEqual(
      locked.reasons.map((r) => r.code),
      ['account_locked'],
    );
  });

  it('an enrollment the registration rule refuses becomes a block that keeps no enrollment step', async () => {
    const { mfa, clock } = engine({ defaultUserState: 'enforced', reauthMaxAgeSeconds: 300 });
    // The first factor was checked long ago: too old to register a first method with.
    const start = await mfa.beginSignIn({
      userId: 'carol',
      amr: ['pwd'],
      ...CTX,
      firstFactorAt: clock.now() - 3_600_000,
    });
    assert.ok(start.status === 'blocked', start.status);
    assert.equal(start.signInAgain, true);
    assertOnlyItsFields(start.decision, 'block');
    assert.equal(mustEnroll(start.decision), false);
    assert.ok(start.decision.userMessage);
  });

  it("a sign-in whose first factor was enough is audited as completed, not as a skip it wasn't", async () => {
    const { mfa, enrol, events } = engine({ defaultUserState: 'enforced' });
    await enrol('alice');
    events.length = 0;
    const start = await mfa.beginSignIn({ userId: 'alice', amr: ['fed', 'mfa'], ...CTX });
    assert.ok(start.status === 'complete');
    assert.equal(start.stamp.skippedBy, undefined);
    assert.deepEqual(
      events.map((e) => e.type),
      ['signin_completed'],
    );
    // …while a trusted network's skip is audited with its network.
    events.length = 0;
    await mfa.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: OFFICE });
    const skip = events.find((e) => e.type === 'skipped_trusted_network');
    assert.equal(skip?.detail, '203.0.113.0/24');
  });

  it('the compiler refuses the impossible states', () => {
    const facts = {
      reasons: [],
      methods: [],
      userState: 'enforced' as const,
      sessionControls: { signInFrequencyMs: null, rememberDeviceAllowed: true, rememberDeviceMaxDays: null },
      subject: { groups: [], roles: [] },
      risk: {},
      app: 'portal',
    };
    const states: Decision[] = [
      // @ts-expect-error a trusted-network skip names its network
      { ...facts, action: 'allow', allowedBy: 'trusted_network' },
      // @ts-expect-error a remembered-device skip names its device and when it was remembered
      { ...facts, action: 'allow', allowedBy: 'remembered_device', rememberedDeviceId: 'd1' },
      // @ts-expect-error an allow offers no methods to choose from
      { ...facts, action: 'allow', allowedBy: 'user_disabled', allowedMethodIds: ['m1'] },
      // @ts-expect-error an enrollment has no methods to choose from
      { ...facts, action: 'mfa', step: 'enroll', requirements: [], allowedMethodIds: [] },
      // @ts-expect-error a second factor says which methods may give it
      { ...facts, action: 'mfa', step: 'second_factor', requirements: [], userMessage: null },
      // @ts-expect-error a block says what the user is told (null: the generic refusal)
      { ...facts, action: 'block', requirements: [] },
      // @ts-expect-error a block skips nothing
      { ...facts, action: 'block', requirements: [], userMessage: null, allowedBy: 'trusted_network' },
    ];
    const read = (d: Decision) => {
      // @ts-expect-error which methods are allowed is only known once the decision is a second-factor prompt
      void d.allowedMethodIds;
      // @ts-expect-error a skip is only known once the decision is an allow
      void d.allowedBy;
      if (d.action === 'mfa' && d.step === 'second_factor') return d.allowedMethodIds;
      return [];
    };
    assert.equal(states.length, 7);
    assert.deepEqual(read(states[0] as Decision), []);
  });
});
