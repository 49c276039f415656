// Signing in with an app password, as an attacker would try it: only through a legacy client's
// password field and only for the applications it is scoped to; never on a browser sign-in, nor
// as another user's; expired, revoked or held by a user who has since become an administrator,
// refused; meeting the plain `mfa` strength and nothing stronger; while the account's own
// password at a legacy client still needs the second factor it always did.
import assert from 'node:assert/strict';
import { MfaError } from '../../../src/index.ts';
import { appPasswordEngine, CTX, PASSWORDS } from '../../helpers/app-password-engine.ts';
import { pol } from '../../policy/scenarios/fixtures.ts';

const DAY = 86_400_000;

async function withMailPassword(t = appPasswordEngine(), user = 'alice') {
  const created = await t.mailPassword(user);
  return { t, created, password: created.password };
}

describe('app passwords: signing in', () => {
  it('signs a legacy client in to a scoped application without a second step (amr apw, acr mfa)', async () => {
    const { t, created, password } = await withMailPassword();
    for (const typed of [
      password,
      password.replaceAll(' ', ''),
      password.toUpperCase(),
      password.replaceAll(' ', '-'),
    ]) {
      const first = await t.legacy('alice', typed);
      assert.deepEqual(first, { ok: true, accountId: 'alice', amr: ['apw'], appPasswordId: created.id });
    }
    const started = await t.legacyStart('alice', ['apw']);
    assert.equal(started.status, 'complete');
    if (started.status !== 'complete') return;
    assert.deepEqual(started.stamp.amr, ['apw']);
    assert.equal(started.stamp.acr, 'urn:mfakit:acr:mfa');
    assert.equal(started.stamp.clientAppType, 'legacy');
    const verified = t.events.filter((e) => e.type === 'first_factor_verified');
    assert.equal(verified.at(-1)?.methodId, created.id);
    assert.deepEqual(verified.at(-1)?.data, { kind: 'appPassword' });
  });

  it('is refused for an application it is not scoped to, and audited as out of scope', async () => {
    const { t, created, password } = await withMailPassword();
    assert.deepEqual(await t.legacy('alice', password, 'vpn'), { ok: false, error: 'invalid_credentials' });
    assert.deepEqual(await t.legacy('alice', password, 'payroll'), {
      ok: false,
      error: 'invalid_credentials',
    });
    const refused = t.events.filter((e) => e.type === 'app_password_refused');
    assert.deepEqual(
      refused.map((e) => [e.methodId, e.detail, e.data]),
      [
        [created.id, 'out_of_scope', { app: 'vpn' }],
        [created.id, 'out_of_scope', { app: 'payroll' }],
      ],
    );
  });

  it('never signs in a browser: not as a password, and not with amr apw on a browser sign-in', async () => {
    const { t, password } = await withMailPassword();
    const asPassword = await t.gate.signIn({
      identifier: 'alice',
      secret: password,
      kind: 'password',
      ...CTX,
    });
    assert.deepEqual(asPassword, { ok: false, error: 'invalid_credentials' });
    for (const clientAppType of ['browser', 'mobileDesktop', undefined] as const)
      await assert.rejects(
        t.mfa.beginSignIn({ userId: 'alice', amr: ['apw'], ...CTX, app: 'mail', clientAppType }),
        (e: unknown) => e instanceof MfaError && e.code === 'app_password_not_legacy' && e.status === 400,
      );
  });

  it("is the owner's only: another account's name with it is a wrong password", async () => {
    const { t, password } = await withMailPassword();
    await t.signedIn('bob');
    assert.deepEqual(await t.legacy('bob', password), { ok: false, error: 'invalid_credentials' });
    assert.deepEqual(await t.legacy('nobody', password), { ok: false, error: 'invalid_credentials' });
  });

  it('stops working when it expires, when revoked, and when its owner joins an excluded group', async () => {
    const groups: Record<string, string[]> = { alice: [] };
    const t = appPasswordEngine({ directory: { subject: (userId) => ({ groups: groups[userId] ?? [] }) } });
    const { created, password } = await withMailPassword(t);
    const other = await t.mfa.appPasswords.create(
      await t.signedIn('alice'),
      { name: 'Laptop', apps: ['mail'] },
      CTX,
    );
    groups.alice = ['admins'];
    assert.equal((await t.legacy('alice', password)).ok, false);
    groups.alice = [];
    assert.equal((await t.legacy('alice', password)).ok, true);
    await t.mfa.appPasswords.revoke('alice', created.id, CTX);
    assert.equal((await t.legacy('alice', password)).ok, false, 'revoked');
    t.clock.advance(365 * DAY);
    assert.equal((await t.legacy('alice', other.password)).ok, false, 'expired');
    const details = t.events.filter((e) => e.type === 'app_password_refused').map((e) => e.detail);
    assert.deepEqual(details, ['not_allowed', 'expired']);
  });

  it('is out of scope once its application is no longer configured, and refused to an excluded role', async () => {
    const { t, password } = await withMailPassword();
    const vpnOnly = appPasswordEngine({
      stores: t.stores,
      appPasswords: { enabled: true, apps: [{ id: 'vpn', name: 'VPN' }] },
    });
    assert.equal((await vpnOnly.legacy('alice', password)).ok, false);
    assert.equal(
      vpnOnly.events.filter((e) => e.type === 'app_password_refused').at(-1)?.detail,
      'out_of_scope',
    );

    const byRole = appPasswordEngine({
      stores: t.stores,
      appPasswords: { enabled: true, apps: [{ id: 'mail', name: 'Mail' }], excludeRoles: ['helpdesk'] },
      directory: { subject: (userId) => (userId === 'alice' ? { roles: ['helpdesk'] } : {}) },
    });
    assert.equal(await byRole.mfa.appPasswords.allowed('alice'), false);
    assert.equal(await byRole.mfa.appPasswords.allowed('bob'), true);
    assert.equal((await byRole.legacy('alice', password)).ok, false);
    assert.equal(
      byRole.events.filter((e) => e.type === 'app_password_refused').at(-1)?.detail,
      'not_allowed',
    );
  });

  it("leaves the account's password at a legacy client needing the second factor", async () => {
    const { t } = await withMailPassword();
    const first = await t.legacy('alice', PASSWORDS.alice as string);
    assert.deepEqual(first, { ok: true, accountId: 'alice', amr: ['pwd'] });
    const started = await t.legacyStart('alice', first.ok ? first.amr : []);
    assert.equal(started.status, 'mfa', 'no second step skipped');
    // A password that happens to look like an app password is still the account's password.
    await t.signedIn('lee');
    const lee = await t.legacy('lee', PASSWORDS.lee as string);
    assert.deepEqual(lee, { ok: true, accountId: 'lee', amr: ['pwd'] });
  });

  it('meets plain MFA only: a policy asking for more needs a second factor, one blocking legacy clients blocks', async () => {
    const strong = appPasswordEngine({
      policies: { policies: [pol('mail-needs-otp', { apps: ['mail'], grant: { one: ['otpOrBetter'] } })] },
    });
    const { password } = await withMailPassword(strong);
    const first = await strong.legacy('alice', password);
    assert.ok(first.ok);
    assert.equal((await strong.legacyStart('alice', first.amr)).status, 'mfa');

    const blocking = appPasswordEngine({
      policies: { policies: [pol('no-legacy', { grant: 'block', when: { clientAppTypes: ['legacy'] } })] },
    });
    const second = await withMailPassword(blocking);
    const again = await blocking.legacy('alice', second.password);
    assert.ok(again.ok);
    assert.equal((await blocking.legacyStart('alice', again.amr)).status, 'blocked');
  });

  it('records its last use, at most once a minute', async () => {
    const { t, created, password } = await withMailPassword();
    await t.legacy('alice', password);
    const firstUse = t.clock.now();
    t.clock.advance(30_000);
    await t.legacy('alice', password);
    assert.equal((await t.mfa.appPasswords.list('alice'))[0]?.lastUsedAt, firstUse);
    t.clock.advance(31_000);
    await t.legacy('alice', password);
    const [listed] = await t.mfa.appPasswords.list('alice');
    assert.equal(listed?.id, created.id);
    assert.equal(listed?.lastUsedAt, t.clock.now());
  });

  it("guesses are throttled, but strangers' failures never keep the owner's app password out", async () => {
    const { t, password } = await withMailPassword();
    const wrong = `${password[0] === 'a' ? 'b' : 'a'}${password.slice(1)}`;
    let throttled = false;
    for (let i = 0; i < 40 && !throttled; i++) {
      const answer = await t.legacy('alice', wrong);
      throttled = !answer.ok && answer.error === 'throttled';
    }
    assert.ok(
      throttled,
      "a guess that is no app password is checked as the password, on the password's budget",
    );
    // App passwords draw on the address's window alone: the account's password budget, which the
    // guesses exhausted, does not stand in the way of the user's own mail client.
    assert.equal((await t.legacy('alice', password)).ok, true);
    const elsewhere = await t.legacy('alice', password, 'mail', '192.0.2.9');
    assert.equal(elsewhere.ok, true);
  });

  it("the address's window caps app-password guesses from one address, not from others", async () => {
    const t = appPasswordEngine({ firstFactor: { perAddress: { maxFailures: 10, windowMinutes: 15 } } });
    const { password } = await t.mailPassword();
    const guess = (i: number) => `zzzz zzzz zzzz ${String.fromCharCode(97 + (i % 26)).repeat(4)}`;
    let refused = 0;
    for (let i = 0; i < 12; i++) {
      const answer = await t.legacy(`nobody${i}`, guess(i));
      if (!answer.ok && answer.error === 'throttled') refused++;
    }
    assert.ok(refused > 0, 'the address window closed');
    const same = await t.legacy('alice', password);
    assert.equal(!same.ok && same.error, 'throttled', 'from that address, even the right one waits');
    const other = await t.legacy('alice', password, 'mail', '192.0.2.9');
    assert.equal(other.ok, true, 'from elsewhere it signs in');
  });
});
