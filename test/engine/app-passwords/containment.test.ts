// An app password stays what it is for — one legacy client's sign-in — however the rest of the
// engine is pushed: it cannot reset the password throttle it shares, live on in a stamp of
// another client or application, survive a fraud report or a revoked session, count as MFA for
// a user with no method left, register a method, or make a stranger's network and browser look
// familiar; misconfigurations fail loudly.
import assert from 'node:assert/strict';
import { networkSightingKey } from '../../../src/engine/sightings.ts';
import { MfaError, parseStamp } from '../../../src/index.ts';
import { appPasswordEngine, CTX, PASSWORDS } from '../../helpers/app-password-engine.ts';
import { pol } from '../../policy/scenarios/fixtures.ts';

const HOUR = 3_600_000;

const legacyStamp = async (t: ReturnType<typeof appPasswordEngine>, app = 'mail') => {
  const started = await t.legacyStart('alice', ['apw'], app);
  assert.equal(started.status, 'complete');
  if (started.status !== 'complete') throw new Error('unreachable');
  return started.stamp;
};

describe('app passwords: contained to their legacy client', () => {
  it("a stolen app password does not reset the failures counted against the account's password", async () => {
    const t = appPasswordEngine({ firstFactor: { hardLimit: 7 } });
    const { password } = await t.mailPassword();
    for (let i = 0; i < 6; i++) {
      assert.equal((await t.legacy('alice', `wrong-${i}`)).ok, false);
      t.clock.advance(HOUR);
    }
    assert.equal((await t.legacy('alice', password)).ok, true, 'the app password still signs in');
    t.clock.advance(HOUR);
    assert.equal((await t.legacy('alice', 'wrong-7')).ok, false);
    t.clock.advance(HOUR);
    const after = await t.legacy('alice', PASSWORDS.alice as string);
    assert.equal(after.ok, false);
    assert.equal(!after.ok && after.error, 'throttled', 'the seventh failure reached the hard limit');
  });

  it('its stamp is refused as a session of another app or client, and never parses as a browser one', async () => {
    const t = appPasswordEngine({
      policies: { policies: [pol('portal-otp', { apps: ['portal'], grant: { one: ['otpOrBetter'] } })] },
    });
    await t.mailPassword();
    const stamp = await legacyStamp(t);
    const check = (app: string, clientAppType?: 'browser' | 'legacy') =>
      t.mfa.policies.check(stamp, { app, ip: CTX.ip, ...(clientAppType ? { clientAppType } : {}) });
    assert.equal((await check('mail')).ok, true, 'its own app, as the legacy client');
    for (const [app, type] of [
      ['portal', undefined],
      ['hr', undefined],
      ['mail', 'browser'],
    ] as const) {
      const answer = await check(app, type);
      assert.equal(answer.ok, false, `${app} ${type ?? ''}`);
      assert.equal(!answer.ok && answer.reason, 'policy_blocked');
    }
    assert.deepEqual(parseStamp(JSON.parse(JSON.stringify(stamp))), stamp);
    assert.equal(parseStamp({ ...stamp, clientAppType: 'browser' }), null);
    const whatIf = await t.mfa.whatIf({ userId: 'alice', amr: ['apw'], ip: CTX.ip, app: 'mail' });
    assert.equal(whatIf.action, 'block');
    assert.equal(whatIf.reasons.at(-1)?.code, 'app_password_not_legacy');
  });

  it('a fraud report revokes every app password of the user, audited as fraud', async () => {
    const t = appPasswordEngine();
    const { id, password } = await t.mailPassword();
    await t.mfa.admin.setFraudFlag('alice', true, CTX);
    assert.deepEqual(await t.mfa.appPasswords.list('alice'), []);
    assert.equal((await t.legacy('alice', password)).ok, false);
    const revoked = t.events.filter((e) => e.type === 'app_password_revoked');
    assert.deepEqual(
      revoked.map((e) => [e.methodId, e.detail]),
      [[id, 'fraud']],
    );
  });

  it('a revoked session creates none, even with a second factor seconds old', async () => {
    const t = appPasswordEngine();
    const stamp = await t.signedIn('alice');
    await t.mfa.admin.revokeSessions('alice', CTX);
    await assert.rejects(
      t.mfa.appPasswords.create(stamp, { name: 'Mail', apps: ['mail'] }, CTX),
      (e: unknown) => e instanceof MfaError && e.code === 'session_revoked' && e.status === 401,
    );
    assert.deepEqual(await t.stores.repository.listAppPasswords('alice'), [], 'nothing stored');
  });

  it('with no method left it is a password only: no MFA, no registering a method from a legacy client', async () => {
    const t = appPasswordEngine({
      policies: {
        policies: [
          {
            id: 'register-with-mfa',
            name: 'Register only with MFA',
            state: 'on',
            assignments: { users: { include: ['all'] }, userActions: ['registerSecurityInfo'] },
            grant: { controls: ['mfa'] },
          },
        ],
      },
    });
    const { password } = await t.mailPassword();
    for (const method of await t.mfa.methods.list('alice'))
      await t.mfa.methods.remove('alice', method.id, CTX);
    const first = await t.legacy('alice', password);
    assert.ok(first.ok);
    const started = await t.legacyStart('alice', first.amr);
    assert.notEqual(started.status, 'complete');
    if (started.status === 'mfa') {
      assert.equal(started.decision.step, 'enroll');
      await assert.rejects(
        t.mfa.beginPendingEnrollment(started.pending.id, 'totp', 'alice'),
        (e: unknown) => e instanceof MfaError && e.code === 'registration_blocked',
      );
    }
  });

  it("makes no network or browser familiar: a stranger's first sign-in there still looks new", async () => {
    const t = appPasswordEngine();
    const { password } = await t.mailPassword();
    const stranger = { ip: '203.0.113.50' };
    assert.ok(
      (
        await t.gate.signIn({
          identifier: 'alice',
          secret: password,
          kind: 'legacyClient',
          app: 'mail',
          ...stranger,
        })
      ).ok,
    );
    await t.legacyStart('alice', ['apw'], 'mail', stranger);
    assert.equal(
      await t.stores.repository.getSighting('alice', 'network', networkSightingKey(stranger.ip)),
      null,
    );
  });

  it('refuses a legacyClient sign-in that names no app for any identifier, before anything is claimed', async () => {
    const t = appPasswordEngine();
    for (const identifier of ['alice', 'nobody'])
      await assert.rejects(
        t.gate.signIn({ identifier, secret: 'x', kind: 'legacyClient', ...CTX }),
        (e: unknown) => e instanceof TypeError && /name its app/.test(e.message),
      );
  });

  it('refuses excluded groups or roles with no directory to read them from', () => {
    assert.throws(
      () =>
        appPasswordEngine({
          directory: undefined,
          appPasswords: { enabled: true, apps: [{ id: 'mail', name: 'Mail' }], excludeRoles: ['admin'] },
        }),
      /need the directory option/,
    );
  });
});
