// The sessions a Temporary Access Pass opened, from the side of someone who holds one: revoking
// the pass or replacing it with a new one ends them (at once in this process, within a second in
// another one sharing the store), a request racing the revocation does not keep them alive, the
// user's own password + authenticator-app sessions stay, and the pass's expiry or use alone
// ends nothing. Sign-ins go through the engine's first-factor gate and beginSignIn.
import assert from 'node:assert/strict';
import type { AuthStamp } from '../../src/engine/stamp.ts';
import type { AccountDirectory } from '../../src/index.ts';
import {
  ADMIN,
  confirmTotpDraft,
  MINUTE,
  type TapEngine,
  tapEngine,
  USER,
} from '../helpers/access-pass-engine.ts';
import { codeFor } from '../helpers/app.ts';
import { totpSecretOf } from '../helpers/totp-now.ts';

const DIRECTORY: AccountDirectory = {
  resolve: (identifier) => (identifier === 'alice' ? { id: 'alice', email: 'alice@contoso.test' } : null),
  verifyPassword: async (accountId, password) => accountId === 'alice' && password === 'alice-pw',
};

/** The first factor through the gate, then beginSignIn; `secret` is a pass or the password. */
async function firstFactor(t: TapEngine, kind: 'password' | 'temporaryAccessPass', secret: string) {
  const checked = await t.mfa
    .firstFactorGate(DIRECTORY)
    .signIn({ identifier: 'alice', secret, kind, ip: USER.ip, requestId: USER.requestId });
  assert.ok(checked.ok, `first factor refused: ${JSON.stringify(checked)}`);
  return t.mfa.beginSignIn({ userId: checked.accountId, amr: checked.amr, ip: USER.ip });
}

/** A sign-in with a pass by a user who has a method: complete at once (a pass meets `mfa`). */
async function passSession(t: TapEngine, pass: string): Promise<AuthStamp> {
  const start = await firstFactor(t, 'temporaryAccessPass', pass);
  assert.equal(start.status, 'complete', JSON.stringify(start.decision.reasons));
  assert.ok(start.status === 'complete');
  assert.deepEqual(start.stamp.amr, ['tap']);
  assert.equal(start.stamp.acr, 'urn:mfakit:acr:mfa');
  return start.stamp;
}

/** A sign-in with the password and the authenticator app. */
async function passwordTotpSession(t: TapEngine, secret: string): Promise<AuthStamp> {
  const start = await firstFactor(t, 'password', 'alice-pw');
  assert.ok(start.status === 'mfa', start.status);
  const done = await t.mfa.verifyPending(start.pending.id, { code: codeFor(secret, t.clock) }, USER);
  assert.ok(done.ok, JSON.stringify(done));
  t.clock.advance(30_000);
  assert.deepEqual(done.stamp.methods, ['password', 'totp']);
  return done.stamp;
}

/** Onboarding as in Entra: a first sign-in with a pass registers an authenticator app. */
async function onboard(t: TapEngine, pass: string) {
  const start = await firstFactor(t, 'temporaryAccessPass', pass);
  assert.ok(start.status === 'mfa' && start.pending.mustEnroll, start.status);
  const draft = await t.mfa.beginPendingEnrollment(start.pending.id, 'totp', 'alice');
  assert.ok(draft);
  const done = await confirmTotpDraft(t, start.pending.id, draft, 'phone');
  assert.ok(done.ok, JSON.stringify(done));
  t.clock.advance(30_000);
  assert.deepEqual(done.stamp.methods, ['temporaryAccessPass', 'password', 'totp']);
  return { stamp: done.stamp, totpSecret: totpSecretOf(draft) };
}

const current = async (t: TapEngine, stamp: AuthStamp) => await t.mfa.isCurrent(stamp);

describe('Temporary Access Pass: the sessions a pass opened', () => {
  let t: TapEngine;
  beforeEach(() => {
    t = tapEngine();
  });

  it('revoking the pass ends every session it opened, at once; the password + app session stays', async () => {
    const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const onboarding = await onboard(t, pass);
    const again = await passSession(t, pass);
    const usual = await passwordTotpSession(t, onboarding.totpSecret);
    for (const stamp of [onboarding.stamp, again, usual]) assert.equal(await current(t, stamp), true);

    assert.equal(await t.mfa.accessPasses.revoke('alice', ADMIN), true);
    assert.equal(await current(t, onboarding.stamp), false, 'the onboarding session outlived the revocation');
    assert.equal(await current(t, again), false, 'the pass session outlived the revocation');
    assert.equal(await current(t, usual), true, 'a session no pass opened was ended');
    // A later sign-in without a pass is unaffected too.
    assert.equal(await current(t, await passwordTotpSession(t, onboarding.totpSecret)), true);
  });

  it('issuing a new pass ends the sessions of the one it replaces; the new pass opens sessions that stand', async () => {
    const first = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const onboarding = await onboard(t, first.pass);
    const old = await passSession(t, first.pass);
    const usual = await passwordTotpSession(t, onboarding.totpSecret);
    t.clock.advance(MINUTE);

    const second = await t.mfa.accessPasses.issue('alice', { oneTime: true }, ADMIN);
    assert.equal(await current(t, old), false, 'the old pass session outlived its replacement');
    assert.equal(await current(t, onboarding.stamp), false);
    assert.equal(await current(t, usual), true);
    const fresh = await passSession(t, second.pass);
    assert.equal(await current(t, fresh), true);
    assert.equal((await t.mfa.accessPasses.get('alice'))?.state, 'used');
  });

  it("the pass's expiry or its one use ends nothing: the session stands until the pass is revoked", async () => {
    const once = await t.mfa.accessPasses.issue('alice', { lifetimeMinutes: 10, oneTime: true }, ADMIN);
    const onboarding = await onboard(t, once.pass);
    assert.equal((await t.mfa.accessPasses.get('alice'))?.state, 'used');
    assert.equal(await current(t, onboarding.stamp), true);

    const multi = await t.mfa.accessPasses.issue('alice', { lifetimeMinutes: 10, oneTime: false }, ADMIN);
    const session = await passSession(t, multi.pass);
    t.clock.advance(11 * MINUTE);
    assert.equal((await t.mfa.accessPasses.get('alice'))?.state, 'expired');
    assert.equal(await current(t, session), true);
    await t.mfa.accessPasses.revoke('alice', ADMIN);
    assert.equal(await current(t, session), false);
  });

  it('a step-up in a pass session does not free it from the pass', async () => {
    const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const { totpSecret } = await onboard(t, pass);
    const session = await passSession(t, pass);
    const raised = await t.mfa.stepUp(session, { code: codeFor(totpSecret, t.clock) }, USER);
    assert.ok(raised.ok, JSON.stringify(raised));
    assert.deepEqual(raised.stamp.methods, ['temporaryAccessPass', 'password', 'totp']);
    await t.mfa.accessPasses.revoke('alice', ADMIN);
    assert.equal(await current(t, raised.stamp), false);
  });

  it("another user's pass, issued or revoked, touches no one else's session", async () => {
    const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const { stamp } = await onboard(t, pass);
    await t.mfa.accessPasses.issue('bob', {}, ADMIN);
    assert.equal(await current(t, stamp), true);
    await t.mfa.accessPasses.revoke('bob', ADMIN);
    assert.equal(await current(t, stamp), true);
  });

  it('revoked by another process sharing the store (mfakit tap revoke): refused within a second; one store read a second', async () => {
    const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const { stamp } = await onboard(t, pass);
    const cli = tapEngine({ stores: t.stores, clock: t.clock });
    const repo = t.stores.repository;
    const getAccessPass = repo.getAccessPass.bind(repo);
    let reads = 0;
    repo.getAccessPass = (userId) => {
      reads++;
      return getAccessPass(userId);
    };
    assert.equal(await current(t, stamp), true);
    // The per-request check then answers from memory: no store read.
    for (let i = 0; i < 100; i++) assert.equal(await t.mfa.isCurrent(stamp), true);
    assert.equal(reads, 1);

    assert.equal(await cli.mfa.accessPasses.revoke('alice', { ip: '127.0.0.1', by: 'cli' }), true);
    reads = 0; // the other engine's own reads (the stores are shared)
    t.clock.advance(999);
    assert.equal(await t.mfa.isCurrent(stamp), true, 'within the cache second');
    t.clock.advance(1);
    assert.equal(await current(t, stamp), false);
    assert.equal(reads, 1);
  });

  it('a request whose check raced the revocation does not keep the session alive afterwards', async () => {
    const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const { stamp } = await onboard(t, pass);
    const repo = t.stores.repository;
    const getAccessPass = repo.getAccessPass.bind(repo);
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The racing request's read sees the pass, and answers only after the revocation.
    repo.getAccessPass = async (userId) => {
      const record = await getAccessPass(userId);
      await held;
      return record;
    };
    const racing = t.mfa.isCurrent(stamp);
    repo.getAccessPass = getAccessPass;
    await t.mfa.accessPasses.revoke('alice', ADMIN);
    release();
    await racing;
    assert.equal(await current(t, stamp), false, 'a read from before the revocation was cached');
  });
});
