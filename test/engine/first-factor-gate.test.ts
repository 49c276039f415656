/**
 * The first-factor gate from an attacker's side: guessing, racing, splitting the budget
 * across aliases, spraying across accounts, locking a stranger out, telling accounts apart,
 * and home-realm discovery. Memory stores, an injected clock, a directory with known passwords.
 */
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { type AccountDirectory, type AuditEvent, createMfa, type MfaOptions } from '../../src/index.ts';
import { type TestClock, testClock } from '../helpers/test-clock.ts';

const ACCOUNTS = [
  { id: 'alice', email: 'alice@contoso.test', password: 'alice-pw' },
  { id: 'dana', email: 'dana@contoso.test', password: 'dana-pw' },
  // A user id that looks like a local address, whose own address is in the partner's domain.
  { id: 'frank@contoso.test', email: 'frank@partner.test', password: 'frank-pw' },
  { id: 'gina', email: 'gina@partner.test', password: 'gina-pw' },
  ...Array.from({ length: 30 }, (_, i) => ({
    id: `user${i}`,
    email: `user${i}@contoso.test`,
    password: `user${i}-pw`,
  })),
];

interface Harness {
  mfa: ReturnType<typeof createMfa>;
  gate: ReturnType<ReturnType<typeof createMfa>['firstFactorGate']>;
  clock: TestClock;
  events: AuditEvent[];
  /** Passwords actually checked, in order: [account id or null, password]. */
  checked: Array<[string | null, string]>;
}

function harness(options: Partial<MfaOptions> = {}, checkDelayMs = 0): Harness {
  const clock = testClock();
  const events: AuditEvent[] = [];
  const checked: Array<[string | null, string]> = [];
  const mfa = createMfa({
    stores: createMemoryStores({ clock }),
    clock,
    issuer: 'Test',
    sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 7) }],
    audit: (e) => {
      events.push(e);
    },
    ...options,
  });
  const directory: AccountDirectory = {
    resolve(identifier) {
      const a = ACCOUNTS.find((x) => x.id === identifier || x.email === identifier);
      return a ? { id: a.id, email: a.email } : null;
    },
    async verifyPassword(accountId, password) {
      checked.push([accountId, password]);
      if (checkDelayMs > 0) await new Promise((r) => setTimeout(r, checkDelayMs));
      return ACCOUNTS.find((a) => a.id === accountId)?.password === password;
    },
    homeRealmOf: (email) => (email.endsWith('@partner.test') ? 'partner' : null),
  };
  return { mfa, gate: mfa.firstFactorGate(directory), clock, events, checked };
}

const attempt = (h: Harness, identifier: string, secret: string, ip = '198.51.100.7') =>
  h.gate.signIn({ identifier, secret, kind: 'password', ip, requestId: 'r1' });

describe('first-factor gate', () => {
  it('answers an unknown account and a wrong password alike, checks a password for both, audits both without the secret', async () => {
    const h = harness();
    const unknown = await attempt(h, 'nobody', 'guess-1');
    const wrong = await attempt(h, 'alice', 'guess-2');
    assert.deepEqual(unknown, { ok: false, error: 'invalid_credentials' });
    assert.deepEqual(wrong, unknown);
    assert.deepEqual(h.checked, [
      [null, 'guess-1'],
      ['alice', 'guess-2'],
    ]);
    const failed = h.events.filter((e) => e.type === 'first_factor_failed');
    assert.deepEqual(
      failed.map((e) => [e.userId, e.detail, e.ip]),
      [
        [null, 'unknown_account', '198.51.100.7'],
        ['alice', 'wrong_password', '198.51.100.7'],
      ],
    );
    assert.ok(!JSON.stringify(h.events).includes('guess-'), 'a secret reached the audit log');
  });

  it('signs in with the right password: amr pwd, audited, and a success clears the failures', async () => {
    const h = harness();
    await attempt(h, 'alice', 'nope');
    assert.deepEqual(await attempt(h, 'ALICE ', 'alice-pw'), { ok: true, accountId: 'alice', amr: ['pwd'] });
    assert.ok(h.events.some((e) => e.type === 'first_factor_verified' && e.userId === 'alice'));
    for (let i = 0; i < 5; i++) assert.equal((await attempt(h, 'alice', 'nope')).ok, false);
    assert.equal(
      (await attempt(h, 'alice', 'alice-pw')).ok,
      false,
      'the sixth attempt waits, as after 5 failures',
    );
  });

  it('after the free attempts each guess waits exponentially longer; the right password is refused meanwhile', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) assert.equal((await attempt(h, 'alice', `g${i}`)).ok, false);
    const waits: number[] = [];
    for (let i = 0; i < 6; i++) {
      const refused = await attempt(h, 'alice', 'alice-pw');
      assert.equal(refused.ok, false);
      assert.equal(refused.ok === false && refused.error, 'throttled');
      const wait = refused.ok === false && refused.error === 'throttled' ? refused.retryAfterSeconds : 0;
      waits.push(wait);
      h.clock.advance(wait * 1000);
      assert.equal((await attempt(h, 'alice', `late-${i}`)).ok, false);
    }
    assert.deepEqual(waits, [1, 2, 4, 8, 16, 32]);
    assert.equal(
      h.checked.filter(([, p]) => p === 'alice-pw').length,
      0,
      'the right password was checked while throttled',
    );
    h.clock.advance(64_000);
    assert.equal((await attempt(h, 'alice', 'alice-pw')).ok, true);
  });

  it('the delay is capped (maxDelaySeconds): ten posts by a stranger cost the owner minutes, not a lock', async () => {
    const h = harness({ firstFactor: { maxDelaySeconds: 120 } });
    for (let i = 0; i < 10; i++) {
      let r = await attempt(h, 'dana', `stranger-${i}`);
      while (r.ok === false && r.error === 'throttled') {
        h.clock.advance(r.retryAfterSeconds * 1000);
        r = await attempt(h, 'dana', `stranger-${i}`);
      }
    }
    assert.equal(h.checked.length, 10);
    const owner = await attempt(h, 'dana', 'dana-pw');
    assert.ok(owner.ok === false && owner.error === 'throttled' && owner.retryAfterSeconds <= 120);
    h.clock.advance(120_000);
    assert.equal((await attempt(h, 'dana', 'dana-pw')).ok, true);
  });

  it('40 concurrent guesses are checked one account state at a time: at most the free attempts, then the right one is refused', async () => {
    const h = harness({}, 20);
    const guesses = Array.from({ length: 39 }, (_, i) => attempt(h, 'dana', `race-${i}`));
    const results = await Promise.all([...guesses, attempt(h, 'dana', 'dana-pw')]);
    assert.ok(h.checked.length <= 5, `${h.checked.length} passwords checked in the burst`);
    assert.equal(results.filter((r) => r.ok).length, h.checked.some(([, p]) => p === 'dana-pw') ? 1 : 0);
    // However the race went, the budget is what counted: the next guesses wait.
    const later = await Promise.all(Array.from({ length: 10 }, (_, i) => attempt(h, 'dana', `after-${i}`)));
    const checkedAfter = h.checked.filter(([, p]) => p.startsWith('after-')).length;
    assert.ok(checkedAfter <= 1, `${checkedAfter} checked after the burst`);
    assert.ok(later.every((r) => !r.ok));
  });

  it('a stranger cannot keep the owner out: passwords from a network she signed in from draw on their own budget', async () => {
    const h = harness({ defaultUserState: 'disabled' });
    const home = '203.0.113.5';
    // Dana signed in from home before (a completed sign-in is what makes a network familiar).
    assert.equal((await h.mfa.beginSignIn({ userId: 'dana', amr: ['pwd'], ip: home })).status, 'complete');
    // A stranger guesses whenever allowed, for a simulated day.
    const attacker = '198.51.100.66';
    let ownerIn = 0;
    for (let hour = 0; hour < 24; hour++) {
      for (let i = 0; i < 20; i++) {
        const r = await attempt(h, 'dana', `stranger ${hour}.${i}`, attacker);
        if (r.ok === false && r.error === 'throttled') break;
      }
      if ((await attempt(h, 'dana', 'dana-pw', home)).ok) ownerIn++;
      h.clock.advance(3600_000);
    }
    assert.equal(ownerIn, 24);
    // What waits is the budget strangers share: from an unfamiliar network (a hotel) the owner
    // waits too, as the delay intends, while home stays open.
    for (let i = 0; i < 20; i++) {
      const r = await attempt(h, 'dana', `burst ${i}`, attacker);
      if (r.ok === false && r.error === 'throttled') break;
    }
    const hotel = await attempt(h, 'dana', 'dana-pw', '192.0.2.200');
    assert.equal(hotel.ok === false && hotel.error, 'throttled');
    assert.equal((await attempt(h, 'dana', 'dana-pw', home)).ok, true);
  });

  it('a pass has its own budget: a password attack does not block it, and guessed passes are throttled too', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) await attempt(h, 'alice', `g${i}`);
    assert.equal((await attempt(h, 'alice', 'alice-pw')).ok, false);
    const { pass } = await h.mfa.accessPasses.issue('alice', {}, { ip: '127.0.0.1' });
    const withPass = await h.gate.signIn({
      identifier: 'alice',
      secret: pass,
      kind: 'temporaryAccessPass',
      ip: '198.51.100.7',
    });
    assert.deepEqual(withPass, { ok: true, accountId: 'alice', amr: ['tap'] });
    for (let i = 0; i < 5; i++)
      await h.gate.signIn({
        identifier: 'dana',
        secret: `WRONG${i}`,
        kind: 'temporaryAccessPass',
        ip: '198.51.100.7',
      });
    const more = await h.gate.signIn({
      identifier: 'dana',
      secret: 'WRONG9',
      kind: 'temporaryAccessPass',
      ip: '198.51.100.7',
    });
    assert.equal(more.ok === false && more.error, 'throttled');
  });

  it('a pass for an unknown identifier does the same store work as for an account (no timing tell)', async () => {
    const h = harness();
    await h.gate.signIn({
      identifier: 'nobody',
      secret: 'ABCDEFGHJKMN',
      kind: 'temporaryAccessPass',
      ip: '198.51.100.7',
    });
    await h.gate.signIn({
      identifier: 'dana',
      secret: 'ABCDEFGHJKMN',
      kind: 'temporaryAccessPass',
      ip: '198.51.100.7',
    });
    const lookups = h.events.filter((e) => e.type === 'access_pass_failed').map((e) => e.detail);
    assert.deepEqual(lookups, ['no_pass', 'no_pass']);
  });

  it('the per-address budget is a window that ends: steady typos behind one NAT never close it', async () => {
    const h = harness({ firstFactor: { perAddress: { maxFailures: 10, windowMinutes: 15 } } });
    const nat = '192.0.2.10';
    for (let i = 0; i < 100; i++) {
      const r = await attempt(h, `user${i % 30}`, 'typo', nat);
      assert.notEqual(r.ok === false && r.error, 'throttled', `typo ${i} was throttled`);
      h.clock.advance(10 * 60_000);
    }
    assert.equal((await attempt(h, 'user1', 'user1-pw', nat)).ok, true);
  });

  it('a user name and its e-mail address are one budget', async () => {
    const h = harness();
    for (let i = 0; i < 5; i++) await attempt(h, i % 2 ? 'alice' : 'Alice@Contoso.test', `g${i}`);
    const r = await attempt(h, 'alice@contoso.test', 'alice-pw');
    assert.equal(r.ok === false && r.error, 'throttled');
  });

  it('an unknown identifier is throttled exactly like an account (the throttle tells nothing apart)', async () => {
    const h = harness();
    const known: string[] = [];
    const unknown: string[] = [];
    for (let i = 0; i < 8; i++) {
      const a = await attempt(h, 'alice', `g${i}`);
      const b = await attempt(h, 'mallory', `g${i}`);
      known.push(a.ok ? 'ok' : a.error);
      unknown.push(b.ok ? 'ok' : b.error);
    }
    assert.deepEqual(known, unknown);
    assert.equal(known.at(-1), 'throttled');
  });

  it('stops at the hard ceiling (NIST: ≤ 100 consecutive failures) until an administrator unlocks', async () => {
    const h = harness({ firstFactor: { hardLimit: 12, maxDelaySeconds: 1 } });
    for (let i = 0; i < 12; i++) {
      let r = await attempt(h, 'alice', `g${i}`);
      while (r.ok === false && r.error === 'throttled') {
        h.clock.advance(r.retryAfterSeconds * 1000);
        r = await attempt(h, 'alice', `g${i}`);
      }
    }
    h.clock.advance(3600_000);
    const locked = await attempt(h, 'alice', 'alice-pw');
    assert.equal(locked.ok === false && locked.error, 'throttled');
    await h.mfa.admin.unlock('alice');
    assert.equal((await attempt(h, 'alice', 'alice-pw')).ok, true);
  });

  it('refuses a hardLimit above 100 at start-up', () => {
    assert.throws(() => harness({ firstFactor: { hardLimit: 101 } }), /firstFactor\.hardLimit/);
  });

  it('password spraying from one address: one guess each on many accounts stops at the per-address budget', async () => {
    const h = harness({ firstFactor: { perAddress: { maxFailures: 10, windowMinutes: 15 } } });
    const results = [];
    for (let i = 0; i < 30; i++) results.push(await attempt(h, `user${i}`, 'Winter2026!'));
    assert.equal(h.checked.length, 10);
    assert.ok(results.slice(10).every((r) => r.ok === false && r.error === 'throttled'));
    // Another address is not affected; the same IPv6 /64 is one address.
    assert.equal((await attempt(h, 'user29', 'user29-pw', '203.0.113.9')).ok, true);
    const v6 = harness({ firstFactor: { perAddress: { maxFailures: 3, windowMinutes: 15 } } });
    for (let i = 0; i < 3; i++) await attempt(v6, `user${i}`, 'x', `2001:db8:1:2::${i + 1}`);
    const hop = await attempt(v6, 'user9', 'user9-pw', '2001:db8:1:2:ffff::1');
    assert.equal(hop.ok === false && hop.error, 'throttled');
  });

  it("the attacker's own successful sign-ins do not buy guesses against others", async () => {
    const h = harness({ firstFactor: { perAddress: { maxFailures: 5, windowMinutes: 15 } } });
    for (let i = 0; i < 30; i++) assert.equal((await attempt(h, 'user0', 'user0-pw')).ok, true);
    let checkedGuesses = 0;
    for (let i = 1; i < 20; i++) {
      const before = h.checked.length;
      await attempt(h, `user${i}`, 'guess');
      checkedGuesses += h.checked.length - before;
    }
    assert.equal(checkedGuesses, 5);
    // Nor after the window restarts with credit banked from the last one.
    h.clock.advance(16 * 60_000);
    for (let i = 0; i < 30; i++) await attempt(h, 'user0', 'user0-pw');
    h.clock.advance(16 * 60_000);
    let again = 0;
    for (let i = 1; i < 20; i++) {
      const before = h.checked.length;
      await attempt(h, `user${i}`, 'guess2');
      again += h.checked.length - before;
    }
    assert.equal(again, 5);
  });

  it('oversized input is refused without a check or a crash', async () => {
    const h = harness();
    assert.deepEqual(await attempt(h, 'a'.repeat(10_000), 'x'), { ok: false, error: 'invalid_credentials' });
    assert.deepEqual(await attempt(h, 'alice', 'x'.repeat(100_000)), {
      ok: false,
      error: 'invalid_credentials',
    });
    assert.equal(h.checked.length, 0);
  });

  describe('home-realm discovery', () => {
    it('an account whose own address is in a partner domain never signs in here with a password, whatever it is called', async () => {
      const h = harness();
      for (const id of ['frank@contoso.test', 'frank@partner.test', 'gina', 'gina@partner.test']) {
        const r = await attempt(h, id, id.startsWith('frank') ? 'frank-pw' : 'gina-pw');
        assert.deepEqual(r, { ok: false, error: 'home_realm', realm: 'partner' }, id);
      }
      assert.equal(h.checked.length, 0);
    });

    it('an unknown address in a partner domain goes there; an unknown name stays here', async () => {
      const h = harness();
      assert.deepEqual(await h.gate.discover('new.person@partner.test'), {
        realm: 'partner',
        loginHint: 'new.person@partner.test',
      });
      assert.equal(await h.gate.discover('new.person'), null);
      assert.equal(await h.gate.discover('alice'), null);
      assert.equal(await h.gate.discover('alice@contoso.test'), null);
    });

    it('never reveals a linked address: a user name goes to the partner without a login_hint', async () => {
      const h = harness();
      assert.deepEqual(await h.gate.discover('gina'), { realm: 'partner' });
      assert.deepEqual(await h.gate.discover('frank@contoso.test'), { realm: 'partner' });
      assert.deepEqual(await h.gate.discover('GINA@partner.test'), {
        realm: 'partner',
        loginHint: 'gina@partner.test',
      });
    });
  });
});
