// A legacy client's password field at the first-factor gate, as an attacker probes it: over
// HTTP Basic (secondStep: false) an unknown name answers as an account whose password would be
// checked does; app-password-shaped guesses are never free, even while the account's password
// budget is throttled; an outage is no guess; and whether the password may be checked is decided
// with the User-Agent the sign-in will see.
import assert from 'node:assert/strict';
import { StoreError } from '../../../src/index.ts';
import { appPasswordEngine, CTX, PASSWORDS } from '../../helpers/app-password-engine.ts';
import { pol } from '../../policy/scenarios/fixtures.ts';

type Engine = ReturnType<typeof appPasswordEngine>;

/** What HTTP Basic hands the gate. */
const basic = (
  t: Engine,
  identifier: string,
  secret: string,
  more: { ip?: string; userAgent?: string } = {},
) =>
  t.gate.signIn({
    identifier,
    secret,
    kind: 'legacyClient',
    app: 'mail',
    secondStep: false,
    ...CTX,
    ...more,
  });

const outcomes = async (t: Engine, identifier: string, n: number) => {
  const seen: string[] = [];
  for (let i = 0; i < n; i++) {
    const answer = await basic(t, identifier, `wrong ${i}`);
    seen.push(answer.ok ? 'ok' : answer.error);
  }
  return seen;
};

describe('app passwords: a legacy client’s password field at the gate', () => {
  it('an unknown name is throttled as an account whose password may be checked is (no existence oracle)', async () => {
    const t = appPasswordEngine({ defaultUserState: 'disabled' });
    assert.deepEqual(await outcomes(t, 'alice', 9), await outcomes(t, 'nosuchuser', 9));
    assert.ok((await outcomes(t, 'bob', 9)).includes('throttled'), 'wrong passwords are throttled');
  });

  it('app-password-shaped guesses count in the address window even while the password budget refuses', async () => {
    const t = appPasswordEngine({ firstFactor: { perAddress: { maxFailures: 10, windowMinutes: 15 } } });
    const { password } = await t.mailPassword();
    // RADIUS-style (the password is checked): five wrong ones throttle alice's password budget.
    for (let i = 0; i < 6; i++) await t.legacy('alice', `wrong ${i}`);
    for (let i = 0; i < 15; i++)
      await t.legacy('alice', `zzzz zzzz zzzz ${String.fromCharCode(97 + i).repeat(4)}`);
    const sameAddress = await t.legacy('bob', 'bob-password');
    assert.equal(!sameAddress.ok && sameAddress.error, 'throttled', 'the guesses filled the address window');
    const elsewhere = await t.legacy('alice', password, 'mail', '192.0.2.9');
    assert.equal(elsewhere.ok, true, "the owner's client elsewhere still signs in");
  });

  it('an outage while checking an app password is no guess: the address window is untouched', async () => {
    const t = appPasswordEngine({ firstFactor: { perAddress: { maxFailures: 3, windowMinutes: 15 } } });
    const { password } = await t.mailPassword();
    const list = t.stores.repository.listAppPasswords.bind(t.stores.repository);
    t.stores.repository.listAppPasswords = async () => {
      throw new StoreError('connection refused', { store: 'repository' });
    };
    for (let i = 0; i < 5; i++) await assert.rejects(basic(t, 'alice', password), StoreError);
    t.stores.repository.listAppPasswords = list;
    assert.equal((await basic(t, 'alice', password)).ok, true);
  });

  it('decides whether the password may be checked with the User-Agent the sign-in will see', async () => {
    // Bob's mail client signed in before the policy existed (MFA disabled: his password alone).
    const before = appPasswordEngine({ defaultUserState: 'disabled' });
    const seen = { ip: CTX.ip, userAgent: 'Thunderbird/128' };
    assert.equal((await basic(before, 'bob', PASSWORDS.bob as string, seen)).ok, true);
    const started = await before.legacyStart('bob', ['pwd'], 'mail', seen);
    assert.equal(started.status, 'complete');
    const t = appPasswordEngine({
      stores: before.stores,
      defaultUserState: 'disabled',
      policies: { policies: [pol('new-device-mfa', { when: { risk: { signals: ['newDevice'] } } })] },
    });
    assert.equal((await basic(t, 'bob', PASSWORDS.bob as string, seen)).ok, true, 'from the known client');
    const stranger = await basic(t, 'bob', PASSWORDS.bob as string, { userAgent: 'evil/1' });
    assert.equal(stranger.ok, false, 'a new device needs a second step: the password is not checked');
    const failed = t.events.filter((e) => e.type === 'first_factor_failed').at(-1);
    assert.equal(failed?.detail, 'app_password_required');
  });
});
