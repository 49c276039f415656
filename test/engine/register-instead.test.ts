// Interrupt mode: when a policy needs a strength none of the user's methods has, but a method
// the user may register has it, the sign-in asks the user to prove a method they have and then
// to register the stronger one (never a weaker one), and completes with it. It blocks only when
// registering is impossible (no such method enabled) or not allowed (a registration policy),
// and the decision says which.
import assert from 'node:assert/strict';
import { hotp, MfaError, recoveryCode, totp, webauthn } from '../../src/index.ts';
import { codeFor } from '../helpers/app.ts';
import { enrolThroughEngine } from '../helpers/enrol-through-engine.ts';
import { testClock } from '../helpers/test-clock.ts';
import { createTestMfa } from '../helpers/test-mfa.ts';

const PASSKEYS = webauthn({ rpID: 'localhost', rpName: 'Test', origins: ['http://localhost:3000'] });
const PAYROLL_NEEDS_A_PASSKEY = {
  id: 'payroll-phr',
  name: 'Payroll needs a passkey',
  state: 'on',
  assignments: { users: { include: ['all'] }, applications: { include: ['payroll'] } },
  grant: { controls: [{ authenticationStrength: 'phishingResistant' }] },
};
const CTX = { ip: '198.51.100.7' };

function setup(options: { methods?: unknown[]; policies?: unknown[] } = {}) {
  const clock = testClock();
  const { mfa, events } = createTestMfa(
    {
      methods: (options.methods ?? [totp, hotp, recoveryCode, PASSKEYS]) as never,
      policies: { policies: options.policies ?? [PAYROLL_NEEDS_A_PASSKEY] },
    },
    { clock, issuer: 'Test', keyFill: 3 },
  );
  return { mfa, events, clock };
}

describe('interrupt mode: registering the method a policy needs, inside the sign-in', () => {
  it('decides: prove a method you have, then register a passkey; what-if says so', async () => {
    const { mfa, clock } = setup();
    await enrolThroughEngine(mfa, clock, 'bob');
    const decision = await mfa.whatIf({ userId: 'bob', app: 'payroll', amr: ['pwd'], ...CTX });
    assert.equal(decision.action, 'mfa');
    assert.ok(decision.action === 'mfa' && decision.step === 'register_method');
    assert.deepEqual(decision.enrollKinds, ['webauthn']);
    assert.equal(decision.proofRequired, true);
    assert.equal(decision.allowedMethodIds.length, 1, 'the authenticator app proves it is bob');
    assert.equal(decision.reasons.at(-1)?.code, 'register_method');
  });

  it('the proof does not sign in: it leads to registering the stronger method, and only that one', async () => {
    const { mfa, clock, events } = setup();
    const secret = await enrolThroughEngine(mfa, clock, 'bob');
    clock.advance(30_000);
    const start = await mfa.beginSignIn({ userId: 'bob', amr: ['pwd'], app: 'payroll', ...CTX });
    assert.equal(start.status, 'mfa');
    if (start.status !== 'mfa') return;
    assert.equal(start.pending.mustEnroll, false, 'first the proof');
    assert.deepEqual(await mfa.pendingEnrollmentKinds(start.pending.id), []);
    assert.equal(
      await mfa.beginPendingEnrollment(start.pending.id, 'webauthn', 'bob'),
      null,
      'not before the proof',
    );

    const proof = await mfa.verifyPending(start.pending.id, { code: codeFor(secret, clock) }, CTX);
    assert.deepEqual(proof, { ok: false, error: 'must_enroll' }, 'a code alone never completes this sign-in');
    assert.ok(!events.some((e) => e.type === 'signin_completed'));
    assert.deepEqual(
      (await mfa.pendingEnrollmentKinds(start.pending.id)).map((m) => m.kind),
      ['webauthn'],
    );
    // Registering another authenticator app would not meet the policy: refused.
    await assert.rejects(mfa.beginPendingEnrollment(start.pending.id, 'totp', 'bob'), (e: unknown) => {
      return e instanceof MfaError && e.code === 'unknown_method' && e.status === 404;
    });
    const draft = await mfa.beginPendingEnrollment(start.pending.id, 'webauthn', 'bob');
    assert.equal(draft?.kind, 'webauthn');
    assert.ok(draft && typeof draft.fields.options === 'object');
    // The same code again is a replay, and the pending sign-in stays where it was.
    clock.advance(1000);
    assert.deepEqual(await mfa.verifyPending(start.pending.id, { code: codeFor(secret, clock) }, CTX), {
      ok: false,
      error: 'must_enroll',
    });
  });

  it('a Temporary Access Pass needs no proof: the pass was the strong sign-in', async () => {
    const { mfa, clock } = setup();
    await enrolThroughEngine(mfa, clock, 'bob');
    // A sign-in with a pass stands only while that pass is bob's: one is issued for him.
    await mfa.accessPasses.issue('bob', {}, { ...CTX, by: 'admin@example.com' });
    const start = await mfa.beginSignIn({ userId: 'bob', amr: ['tap'], app: 'payroll', ...CTX });
    assert.ok(start.status === 'mfa' && start.decision.step === 'register_method');
    assert.equal(start.pending.mustEnroll, true);
    assert.equal((await mfa.beginPendingEnrollment(start.pending.id, 'webauthn', 'bob'))?.kind, 'webauthn');
  });

  it('blocks when no method users may register would do, and says so', async () => {
    const { mfa, clock } = setup({ methods: [totp, hotp, recoveryCode] });
    await enrolThroughEngine(mfa, clock, 'bob');
    const start = await mfa.beginSignIn({ userId: 'bob', amr: ['pwd'], app: 'payroll', ...CTX });
    assert.equal(start.status, 'blocked');
    assert.equal(start.decision.reasons.at(-1)?.code, 'strength_unavailable');
  });

  it('blocks when a registration policy does not allow registering here, and says which', async () => {
    const { mfa, clock } = setup({
      policies: [
        PAYROLL_NEEDS_A_PASSKEY,
        {
          id: 'no-registration',
          name: 'No registration from here',
          state: 'on',
          assignments: { users: { include: ['all'] }, userActions: ['registerSecurityInfo'] },
          grant: { block: true },
        },
      ],
    });
    await enrolThroughEngine(mfa, clock, 'bob');
    const decision = await mfa.whatIf({ userId: 'bob', app: 'payroll', amr: ['pwd'], ...CTX });
    assert.equal(decision.action, 'block');
    const codes = decision.reasons.map((r) => r.code);
    assert.ok(codes.includes('registration_blocked'), codes.join(' '));
    assert.match(
      decision.reasons.find((r) => r.code === 'registration_blocked')?.message ?? '',
      /no-registration/,
    );
  });
});

describe('a first method a policy constrains', () => {
  it('a user with no method, signing in where a passkey is required, may register a passkey only', async () => {
    const { mfa } = setup();
    const start = await mfa.beginSignIn({ userId: 'carol', amr: ['pwd'], app: 'payroll', ...CTX });
    assert.ok(start.status === 'mfa' && start.decision.step === 'enroll');
    assert.deepEqual(start.decision.enrollKinds, ['webauthn']);
    assert.deepEqual(
      (await mfa.pendingEnrollmentKinds(start.pending.id)).map((m) => m.kind),
      ['webauthn'],
      'the chooser offers no authenticator app that could not meet the policy',
    );
    await assert.rejects(mfa.beginPendingEnrollment(start.pending.id, 'totp', 'carol'), {
      code: 'unknown_method',
    });
    // Elsewhere the same user may register either.
    const anywhere = await mfa.beginSignIn({ userId: 'carol', amr: ['pwd'], ...CTX });
    assert.ok(anywhere.status === 'mfa');
    assert.deepEqual(
      (await mfa.pendingEnrollmentKinds(anywhere.pending.id)).map((m) => m.kind),
      ['totp', 'webauthn'],
    );
  });
});
