// App passwords as their owner and an administrator handle them: created after a fresh second
// factor and shown once (never stored or audited in clear), listed, limited per user even when
// creations race, named and scoped within bounds, expiring, revoked one by one or all by an
// administrator's reset, and refused to excluded users and when off.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type AppPasswordRequest, MfaError } from '../../../src/index.ts';
import { appPasswordEngine, CTX } from '../../helpers/app-password-engine.ts';

const DAY = 86_400_000;

async function rejectsWith(promise: Promise<unknown>, code: string, status: number) {
  await assert.rejects(
    promise,
    (e: unknown) => e instanceof MfaError && e.code === code && e.status === status,
  );
}

describe('app passwords: creating, listing, revoking', () => {
  it('creates one shown once as four groups of four letters, stored and audited only as a hash', async () => {
    const t = appPasswordEngine();
    const stamp = await t.signedIn('alice');
    const created = await t.mfa.appPasswords.create(stamp, { name: 'Mail on my phone', apps: ['mail'] }, CTX);
    assert.match(created.password, /^[a-z]{4} [a-z]{4} [a-z]{4} [a-z]{4}$/);
    assert.equal(created.name, 'Mail on my phone');
    assert.deepEqual(created.apps, ['mail']);
    assert.equal(created.expiresAt, created.createdAt + 365 * DAY);
    const listed = await t.mfa.appPasswords.list('alice');
    assert.deepEqual(
      listed,
      [{ ...created, password: undefined }].map(({ password: _p, ...rest }) => rest),
    );
    const plain = created.password.replaceAll(' ', '');
    const stored = await t.stores.repository.listAppPasswords('alice');
    assert.equal(JSON.stringify(stored).includes(plain), false, 'the password is not stored');
    assert.equal(JSON.stringify(t.events).includes(plain), false, 'nor audited');
    assert.ok(t.events.some((e) => e.type === 'app_password_created' && e.methodId === created.id));
  });

  it('needs a second factor verified within reauthMaxAgeSeconds, and never an app password sign-in', async () => {
    const t = appPasswordEngine();
    const stamp = await t.signedIn('alice');
    t.clock.advance(3_600_000);
    await rejectsWith(
      t.mfa.appPasswords.create(stamp, { name: 'Mail', apps: ['mail'] }, CTX),
      'reverify_required',
      403,
    );
    const fresh = await t.signedIn('alice');
    const { password } = await t.mfa.appPasswords.create(fresh, { name: 'Mail', apps: ['mail'] }, CTX);
    // A legacy client signed in with that password cannot make another one.
    const first = await t.legacy('alice', password);
    assert.ok(first.ok);
    const started = await t.legacyStart('alice', first.amr);
    assert.equal(started.status, 'complete');
    if (started.status !== 'complete') return;
    assert.equal(started.stamp.mfaAt, null);
    await rejectsWith(
      t.mfa.appPasswords.create(started.stamp, { name: 'More', apps: ['mail'] }, CTX),
      'reverify_required',
      403,
    );
  });

  it('keeps a user to maxPerUser even when fifty creations race', async () => {
    const t = appPasswordEngine({
      appPasswords: { enabled: true, apps: [{ id: 'mail', name: 'Mail' }], maxPerUser: 3 },
    });
    const stamp = await t.signedIn('alice');
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        t.mfa.appPasswords.create(stamp, { name: `device ${i}`, apps: ['mail'] }, CTX),
      ),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
    for (const r of results)
      if (r.status === 'rejected')
        assert.ok(
          r.reason instanceof MfaError && r.reason.code === 'app_password_limit' && r.reason.status === 409,
        );
    assert.equal((await t.mfa.appPasswords.list('alice')).length, 3);
  });

  it('refuses bad names and applications with a 400 that says what is wrong', async () => {
    const t = appPasswordEngine();
    const stamp = await t.signedIn('alice');
    const bad: unknown[] = [
      { name: '', apps: ['mail'] },
      { name: '   ', apps: ['mail'] },
      { name: 'x'.repeat(65), apps: ['mail'] },
      { name: 'Mail\u0000', apps: ['mail'] },
      { name: 'Mail', apps: [] },
      { name: 'Mail', apps: ['calendar'] },
      { name: 'Mail', apps: 'mail' },
      { name: 42, apps: ['mail'] },
      { name: 'Mail', apps: [{ id: 'mail' }] },
    ];
    // Malformed bodies on purpose, as a client could send them: typed as the request they are not.
    for (const request of bad)
      await rejectsWith(
        t.mfa.appPasswords.create(stamp, request as AppPasswordRequest, CTX),
        'app_password_invalid',
        400,
      );
    assert.deepEqual(await t.mfa.appPasswords.list('alice'), [], 'nothing half-created');
    const twice = await t.mfa.appPasswords.create(
      stamp,
      { name: ' VPN ', apps: ['vpn', 'vpn', 'mail'] },
      CTX,
    );
    assert.equal(twice.name, 'VPN');
    assert.deepEqual(twice.apps, ['vpn', 'mail']);
  });

  it('is not for excluded groups, nor for anyone when off', async () => {
    const t = appPasswordEngine();
    assert.equal(await t.mfa.appPasswords.allowed('root'), false);
    assert.equal(await t.mfa.appPasswords.allowed('alice'), true);
    const root = await t.signedIn('root');
    await rejectsWith(
      t.mfa.appPasswords.create(root, { name: 'Mail', apps: ['mail'] }, CTX),
      'app_passwords_unavailable',
      403,
    );
    const off = appPasswordEngine({ appPasswords: { enabled: false } });
    assert.deepEqual(off.mfa.appPasswords.apps, []);
    assert.equal(await off.mfa.appPasswords.allowed('alice'), false);
    const alice = await off.signedIn('alice');
    await rejectsWith(
      off.mfa.appPasswords.create(alice, { name: 'Mail', apps: ['mail'] }, CTX),
      'app_passwords_unavailable',
      403,
    );
  });

  it("says when one has expired, and revokes one (only the owner's) or all on an administrator's reset", async () => {
    const t = appPasswordEngine({
      appPasswords: { enabled: true, apps: [{ id: 'mail', name: 'Mail' }], lifetimeDays: 30 },
    });
    const alice = await t.signedIn('alice');
    const phone = await t.mfa.appPasswords.create(alice, { name: 'Phone', apps: ['mail'] }, CTX);
    const laptop = await t.mfa.appPasswords.create(alice, { name: 'Laptop', apps: ['mail'] }, CTX);
    assert.equal(await t.mfa.appPasswords.revoke('bob', phone.id, CTX), false, "not bob's to revoke");
    assert.equal(await t.mfa.appPasswords.revoke('alice', phone.id, CTX), true);
    assert.equal(await t.mfa.appPasswords.revoke('alice', phone.id, CTX), false);
    assert.deepEqual(
      (await t.mfa.appPasswords.list('alice')).map((p) => p.name),
      ['Laptop'],
    );
    t.clock.advance(30 * DAY);
    assert.equal((await t.mfa.appPasswords.list('alice'))[0]?.expired, true);
    await t.mfa.admin.resetUser('alice', CTX);
    assert.deepEqual(await t.mfa.appPasswords.list('alice'), []);
    const revoked = t.events
      .filter((e) => e.type === 'app_password_revoked')
      .map((e) => [e.methodId, e.detail]);
    assert.deepEqual(revoked, [
      [phone.id, 'user'],
      [laptop.id, 'admin'],
    ]);
  });

  it('gives ids a command line can take: never one that starts with a dash', async () => {
    // Twelve bytes that base64url-encode to "-" first: what an unprefixed id could look like.
    const random = { bytes: (n: number) => (n === 12 ? Buffer.alloc(12, 0xf8) : randomBytes(n)) };
    const t = appPasswordEngine({ random });
    const created = await t.mailPassword();
    assert.match(created.id, /^ap_[A-Za-z0-9_-]{16}$/);
  });

  it('refuses options that leave nothing to scope to', () => {
    assert.throws(
      () => appPasswordEngine({ appPasswords: { enabled: true, apps: [] } }),
      /appPasswords.apps/,
    );
    assert.throws(
      () =>
        appPasswordEngine({
          appPasswords: {
            enabled: true,
            apps: [
              { id: 'mail', name: 'A' },
              { id: 'mail', name: 'B' },
            ],
          },
        }),
      /twice/,
    );
  });
});
