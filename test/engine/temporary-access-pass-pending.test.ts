// A leaked Temporary Access Pass and the onboarding it began: the attacker signs in with the pass
// and starts registering a first method; the admin revokes the pass (or replaces it with a new
// one for the real user). The attacker's registration is refused (`pending_expired`), nothing is
// left on the account, and no session comes of it. The real user's sign-in with the new pass
// onboards as usual. Real stores: memory and an SQLite file.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AccountDirectory } from '../../src/index.ts';
import { recoveryCode, totp, webauthn } from '../../src/index.ts';
import { ADMIN, confirmTotpDraft, type TapEngine, tapEngine, USER } from '../helpers/access-pass-engine.ts';
import { asCredential, asRequestOptions, SoftAuthenticator } from '../helpers/soft-authenticator.ts';

const ORIGIN = 'http://localhost:3000';
const DIRECTORY: AccountDirectory = {
  resolve: (identifier) => (identifier === 'alice' ? { id: 'alice', email: 'alice@contoso.test' } : null),
  verifyPassword: async () => false,
};

/** Signs in with the pass; alice has no method, so the sign-in waits for her first one. */
async function onboardingWith(t: TapEngine, pass: string) {
  const checked = await t.mfa
    .firstFactorGate(DIRECTORY)
    .signIn({ identifier: 'alice', secret: pass, kind: 'temporaryAccessPass', ...USER });
  assert.ok(checked.ok, JSON.stringify(checked));
  const start = await t.mfa.beginSignIn({ userId: checked.accountId, amr: checked.amr, ip: USER.ip });
  assert.ok(start.status === 'mfa' && start.pending.mustEnroll, start.status);
  return start.pending.id;
}

/** Ends the pass the attacker holds: revoked, or replaced by a new one (returned). */
async function endPass(t: TapEngine, how: 'revoke' | 'replace'): Promise<string | null> {
  if (how === 'revoke') {
    assert.equal(await t.mfa.accessPasses.revoke('alice', ADMIN), true);
    return null;
  }
  return (await t.mfa.accessPasses.issue('alice', { oneTime: true }, ADMIN)).pass;
}

for (const store of ['memory', 'SQLite'] as const) {
  describe(`Temporary Access Pass: onboarding begun with a pass that is then ended (${store})`, () => {
    let dir: string;
    let t: TapEngine;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'mfakit-tap-pending-'));
      t = tapEngine({
        ...(store === 'SQLite' ? { path: join(dir, 'mfa.db') } : {}),
        methods: [totp, recoveryCode, webauthn({ rpID: 'localhost', rpName: 'T', origins: [ORIGIN] })],
      });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    for (const how of ['revoke', 'replace'] as const) {
      it(`attack: the pass is ${how}d while the attacker registers an authenticator app — refused, nothing registered`, async () => {
        const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: true }, ADMIN);
        const pendingId = await onboardingWith(t, pass);
        const draft = await t.mfa.beginPendingEnrollment(pendingId, 'totp', 'alice');
        assert.ok(draft);
        t.clock.advance(5_000);
        const fresh = await endPass(t, how);
        t.clock.advance(5_000);
        const done = await confirmTotpDraft(t, pendingId, draft, 'attacker');
        assert.deepEqual(done, { ok: false, error: 'pending_expired' });
        assert.deepEqual(await t.mfa.methods.list('alice'), []);
        assert.equal(await t.mfa.getPending(pendingId), null, 'the voided sign-in is gone');
        assert.equal(await t.mfa.beginPendingEnrollment(pendingId, 'totp', 'alice'), null);

        if (fresh === null) return;
        // Not over-blocking: the real user onboards with the new pass.
        const hers = await onboardingWith(t, fresh);
        const own = await t.mfa.beginPendingEnrollment(hers, 'totp', 'alice');
        assert.ok(own);
        const ok = await confirmTotpDraft(t, hers, own, 'phone');
        assert.ok(ok.ok, JSON.stringify(ok));
        assert.equal(await t.mfa.isCurrent(ok.stamp), true);
        assert.deepEqual(
          (await t.mfa.methods.list('alice')).map((m) => m.label),
          ['phone'],
        );
      });
    }

    it('attack: the pass is revoked and sessions revoked while the attacker registers a passkey — no passkey, no passwordless sign-in later', async () => {
      const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: true }, ADMIN);
      const pendingId = await onboardingWith(t, pass);
      const draft = await t.mfa.beginPendingEnrollment(pendingId, 'webauthn', 'alice');
      assert.ok(draft);
      t.clock.advance(5_000);
      assert.equal(await t.mfa.accessPasses.revoke('alice', ADMIN), true);
      await t.mfa.admin.revokeSessions('alice', ADMIN);
      t.clock.advance(5_000);
      const soft = new SoftAuthenticator({ origin: ORIGIN });
      // biome-ignore lint/suspicious/noExplicitAny: the draft's fields are the method's own (WebAuthn creation options).
      const credential = soft.register((draft.fields as any).options);
      const done = await t.mfa.confirmPendingEnrollment(
        pendingId,
        'webauthn',
        draft.draftId,
        { credential: asCredential(credential) },
        'attacker',
        USER,
      );
      assert.deepEqual(done, { ok: false, error: 'pending_expired' });
      assert.deepEqual(await t.mfa.methods.list('alice'), []);
      t.clock.advance(60 * 60_000);
      const begun = await t.mfa.passwordless.begin(undefined, USER);
      const later = await t.mfa.passwordless.verify(
        begun.challengeId,
        { credential: asCredential(soft.authenticate(asRequestOptions(begun.options))) },
        USER,
      );
      assert.equal(later.ok, false, 'the attacker’s passkey signs nobody in');
    });
  });
}
