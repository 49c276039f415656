// An engine with app passwords on (scoped to `mail` and `vpn`), a directory that puts `root` in
// the excluded `admins` group, a password directory for the first-factor gate, and users that
// hold an authenticator app: what the app-password tests start from. `signedIn(user)` is a
// session stamp with a fresh second factor, as after a browser sign-in; `legacy` is the gate's
// answer to a legacy client's password field, `legacyStart` the engine's decision after it.
import assert from 'node:assert/strict';
import type { AccountDirectory, AuthStamp, MfaOptions, Stores } from '../../src/index.ts';
import { codeFor } from './app.ts';
import { enrolThroughEngine } from './enrol-through-engine.ts';
import { type TestClock, testClock } from './test-clock.ts';
import { createTestMfa } from './test-mfa.ts';

export const PASSWORDS: Record<string, string> = {
  alice: 'alice-password',
  bob: 'bob-password',
  root: 'root-password',
  // A password of the shape of an app password: still the account's password at a legacy client.
  lee: 'correcthorsebatt',
};

const accounts: AccountDirectory = {
  resolve: (identifier) => (identifier in PASSWORDS ? { id: identifier } : null),
  async verifyPassword(accountId, password) {
    return accountId !== null && PASSWORDS[accountId] === password;
  },
};

export const CTX = { ip: '198.51.100.7' };

export function appPasswordEngine(options: Partial<MfaOptions> & { stores?: Stores } = {}) {
  const clock: TestClock = testClock();
  const { mfa, events, stores } = createTestMfa(
    {
      appPasswords: {
        enabled: true,
        apps: [
          { id: 'mail', name: 'Mail' },
          { id: 'vpn', name: 'VPN' },
        ],
        excludeGroups: ['admins'],
      },
      directory: { subject: (userId) => (userId === 'root' ? { groups: ['admins'] } : { groups: [] }) },
      ...options,
    },
    { clock, issuer: 'Contoso', keyFill: 7 },
  );
  const gate = mfa.firstFactorGate(accounts);
  const secrets = new Map<string, string>();

  /** A browser session of `user` that has just verified their authenticator app. */
  async function signedIn(user: string): Promise<AuthStamp> {
    if (!secrets.has(user)) secrets.set(user, await enrolThroughEngine(mfa, clock, user));
    const started = await mfa.beginSignIn({ userId: user, amr: ['pwd'], ...CTX });
    assert.equal(started.status, 'mfa');
    if (started.status !== 'mfa') throw new Error('unreachable');
    const verified = await mfa.verifyPending(
      started.pending.id,
      { code: codeFor(secrets.get(user) ?? '', clock) },
      CTX,
    );
    assert.equal(verified.ok, true);
    if (!verified.ok) throw new Error('unreachable');
    clock.advance(30_000);
    return verified.stamp;
  }

  /** What a legacy client's sign-in for `app` gets: the gate's answer. */
  const legacy = (user: string, secret: string, app = 'mail', ip = CTX.ip) =>
    gate.signIn({ identifier: user, secret, kind: 'legacyClient', app, ip });

  /** An app password of `user`'s for `mail`, created in a fresh session. */
  const mailPassword = async (user = 'alice') =>
    mfa.appPasswords.create(await signedIn(user), { name: 'Mail', apps: ['mail'] }, CTX);

  /** The engine's decision on a legacy client's sign-in to `app` with first factor `amr`. */
  const legacyStart = (
    user: string,
    amr: string[],
    app = 'mail',
    ctx: { ip: string; userAgent?: string } = CTX,
  ) => mfa.beginSignIn({ userId: user, amr, ...ctx, app, clientAppType: 'legacy' });

  return { mfa, events, stores, clock, gate, signedIn, legacy, legacyStart, mailPassword };
}
