// Temporary Access Passes, issuing and administration: options and their bounds, lifetimes,
// start times, the derived state, one pass per user (replacement), revoke, reset, and the
// pass alphabet (uniform, unambiguous, of the configured length).
import assert from 'node:assert/strict';
import {
  ACCESS_PASS_ALPHABET,
  generateAccessPass,
  normalizeAccessPass,
} from '../../src/engine/temporary-access-pass.ts';
import { ConfigError, MfaError } from '../../src/errors.ts';
import { ADMIN, MINUTE, type TapEngine, tapEngine, USER } from '../helpers/access-pass-engine.ts';

/** Asserts an `access_pass_invalid` 400 whose message matches. */
async function refused(promise: Promise<unknown>, message: RegExp) {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof MfaError, String(err));
    assert.equal(err.code, 'access_pass_invalid');
    assert.equal(err.status, 400);
    assert.match(err.message, message);
    return true;
  });
}

describe('Temporary Access Pass: issuing and administration', () => {
  let t: TapEngine;
  beforeEach(() => {
    t = tapEngine();
  });
  const passes = () => t.mfa.accessPasses;

  it('issues with the defaults: 12 characters, one hour from now, one-time; the status hides the secret', async () => {
    const now = t.clock.now();
    const issued = await passes().issue('alice', {}, ADMIN);
    assert.equal(issued.userId, 'alice');
    assert.equal(issued.pass.length, 12);
    assert.match(issued.pass, new RegExp(`^[${ACCESS_PASS_ALPHABET}]+$`));
    assert.equal(issued.startsAt, now);
    assert.equal(issued.expiresAt, now + 60 * MINUTE);
    assert.equal(issued.oneTime, true);
    const status = await passes().get('alice');
    assert.deepStrictEqual(status, {
      id: issued.id,
      userId: 'alice',
      createdAt: now,
      startsAt: now,
      expiresAt: now + 60 * MINUTE,
      oneTime: true,
      usedAt: null,
      createdBy: 'admin@example.com',
      state: 'active',
    });
    assert.deepStrictEqual(await passes().list('alice'), [status]);
    assert.equal(await passes().get('bob'), null);
    assert.deepStrictEqual(await passes().list('bob'), []);
  });

  it('lifetime outside the bounds (10–480 minutes by default), or not whole minutes: 400, nothing stored', async () => {
    for (const lifetimeMinutes of [9, 481, 0, -60, 60.5, Number.NaN, Number.POSITIVE_INFINITY])
      await refused(
        passes().issue('alice', { lifetimeMinutes }, ADMIN),
        /^lifetime must be a whole number of minutes from 10 to 480 \(got /,
      );
    assert.equal(await passes().get('alice'), null);
    assert.equal(t.events.length, 0, 'nothing audited');
    const shortest = await passes().issue('alice', { lifetimeMinutes: 10 }, ADMIN);
    assert.equal(shortest.expiresAt - shortest.startsAt, 10 * MINUTE);
    const longest = await passes().issue('alice', { lifetimeMinutes: 480 }, ADMIN);
    assert.equal(longest.expiresAt - longest.startsAt, 480 * MINUTE);
  });

  it('the configured bounds apply, up to the hard maximum of 30 days', async () => {
    const wide = tapEngine({ temporaryAccessPass: { maxLifetimeMinutes: 43_200, minLifetimeMinutes: 60 } });
    const month = await wide.mfa.accessPasses.issue('alice', { lifetimeMinutes: 43_200 }, ADMIN);
    assert.equal(month.expiresAt - month.startsAt, 30 * 24 * 60 * MINUTE);
    await refused(wide.mfa.accessPasses.issue('alice', { lifetimeMinutes: 30 }, ADMIN), /from 60 to 43200/);
  });

  it('refuses options outside Entra ranges or inconsistent with each other at start-up', () => {
    const bad = [
      { length: 7 },
      { length: 49 },
      { maxLifetimeMinutes: 43_201 },
      { minLifetimeMinutes: 9 },
      { minLifetimeMinutes: 120, defaultLifetimeMinutes: 60 },
      { maxLifetimeMinutes: 30, defaultLifetimeMinutes: 60 },
      { minLifetimeMinutes: 100, maxLifetimeMinutes: 50, defaultLifetimeMinutes: 60 },
    ];
    for (const temporaryAccessPass of bad)
      assert.throws(
        () => tapEngine({ temporaryAccessPass }),
        (err: unknown) => err instanceof ConfigError && /temporaryAccessPass/.test(err.message),
        JSON.stringify(temporaryAccessPass),
      );
  });

  it('a later start makes a pending pass; a past start means now; more than 30 days ahead is refused', async () => {
    const now = t.clock.now();
    const later = await passes().issue('alice', { startsAt: now + 2 * 60 * MINUTE, oneTime: false }, ADMIN);
    assert.equal(later.startsAt, now + 2 * 60 * MINUTE);
    assert.equal(later.expiresAt, later.startsAt + 60 * MINUTE);
    assert.equal((await passes().get('alice'))?.state, 'pending');
    assert.deepStrictEqual(await passes().verify('alice', later.pass, USER), {
      ok: false,
      detail: 'not_started',
    });
    t.clock.set(later.startsAt);
    assert.equal((await passes().get('alice'))?.state, 'active');
    assert.equal((await passes().verify('alice', later.pass, USER)).ok, true, 'valid from startsAt on');

    const past = await passes().issue('bob', { startsAt: t.clock.now() - 5 * MINUTE }, ADMIN);
    assert.equal(past.startsAt, t.clock.now());

    const limit = t.clock.now() + 30 * 24 * 60 * MINUTE;
    assert.equal((await passes().issue('carol', { startsAt: limit }, ADMIN)).startsAt, limit);
    await refused(passes().issue('carol', { startsAt: limit + 1 }, ADMIN), /at most 30 days ahead/);
    await refused(passes().issue('carol', { startsAt: Number.NaN }, ADMIN), /ms since the epoch/);
  });

  it('expires at expiresAt (injected clock): valid the millisecond before, refused from then on', async () => {
    const issued = await passes().issue('alice', { oneTime: false, lifetimeMinutes: 30 }, ADMIN);
    t.clock.set(issued.expiresAt - 1);
    assert.equal((await passes().verify('alice', issued.pass, USER)).ok, true);
    t.clock.set(issued.expiresAt);
    assert.deepStrictEqual(await passes().verify('alice', issued.pass, USER), {
      ok: false,
      detail: 'expired',
    });
    assert.equal((await passes().get('alice'))?.state, 'expired');
  });

  it('one-time: used once, then refused as used, and shown as used with its time', async () => {
    const issued = await passes().issue('alice', {}, ADMIN);
    t.clock.advance(MINUTE);
    assert.deepStrictEqual(await passes().verify('alice', issued.pass, USER), {
      ok: true,
      id: issued.id,
      oneTime: true,
    });
    assert.deepStrictEqual(await passes().verify('alice', issued.pass, USER), { ok: false, detail: 'used' });
    const status = await passes().get('alice');
    assert.equal(status?.state, 'used');
    assert.equal(status?.usedAt, t.clock.now());
  });

  it('multi-use: accepted again and again until it expires; oneTimeDefault: false makes it the default', async () => {
    const issued = await passes().issue('alice', { oneTime: false }, ADMIN);
    for (let i = 0; i < 3; i++)
      assert.deepStrictEqual(await passes().verify('alice', issued.pass, USER), {
        ok: true,
        id: issued.id,
        oneTime: false,
      });
    assert.equal((await passes().get('alice'))?.state, 'active');
    const multi = tapEngine({ temporaryAccessPass: { oneTimeDefault: false } });
    assert.equal((await multi.mfa.accessPasses.issue('alice', {}, ADMIN)).oneTime, false);
    assert.equal((await multi.mfa.accessPasses.issue('bob', { oneTime: true }, ADMIN)).oneTime, true);
  });

  it('issuing a new pass replaces the old one, which fails from then on; the replacement is audited', async () => {
    const old = await passes().issue('alice', { oneTime: false }, ADMIN);
    const fresh = await passes().issue('alice', {}, { ...ADMIN, by: 'helpdesk' });
    assert.notEqual(fresh.id, old.id);
    assert.deepStrictEqual(await passes().verify('alice', old.pass, USER), { ok: false, detail: 'mismatch' });
    assert.equal((await passes().verify('alice', fresh.pass, USER)).ok, true);
    assert.equal((await passes().list('alice')).length, 1, 'one pass per user');
    const replaced = t.events.find((e) => e.type === 'access_pass_replaced');
    assert.deepStrictEqual(
      { ...replaced, at: 0 },
      {
        type: 'access_pass_replaced',
        at: 0,
        userId: 'alice',
        ip: ADMIN.ip,
        requestId: ADMIN.requestId,
        methodKind: 'temporary_access_pass',
        methodId: old.id,
        detail: 'active',
        data: { by: 'helpdesk', replacedBy: fresh.id },
      },
    );
    assert.deepStrictEqual(
      t.events.filter((e) => e.type === 'access_pass_issued').map((e) => [e.methodId, e.data?.by]),
      [
        [old.id, 'admin@example.com'],
        [fresh.id, 'helpdesk'],
      ],
    );
  });

  it('revoke deletes the pass (true once, then false) and is audited; the pass then fails', async () => {
    const issued = await passes().issue('alice', {}, ADMIN);
    assert.equal(await passes().revoke('alice', ADMIN), true);
    assert.equal(await passes().revoke('alice', ADMIN), false);
    assert.equal(await passes().get('alice'), null);
    assert.deepStrictEqual(await passes().verify('alice', issued.pass, USER), {
      ok: false,
      detail: 'no_pass',
    });
    const revoked = t.events.filter((e) => e.type === 'access_pass_revoked');
    assert.equal(revoked.length, 1);
    assert.equal(revoked[0]?.methodId, issued.id);
    assert.equal(revoked[0]?.data?.by, 'admin@example.com');
  });

  it("admin.resetUser removes the user's pass (and only theirs)", async () => {
    const alice = await passes().issue('alice', {}, ADMIN);
    const bob = await passes().issue('bob', { oneTime: false }, ADMIN);
    await t.mfa.admin.resetUser('alice', ADMIN);
    assert.equal(await passes().get('alice'), null);
    assert.deepStrictEqual(await passes().verify('alice', alice.pass, USER), {
      ok: false,
      detail: 'no_pass',
    });
    assert.equal((await passes().verify('bob', bob.pass, USER)).ok, true);
  });

  it("a pass valid for longer than this application's maximum (issued with a larger one) never verifies; audited", async () => {
    // Another process on the same store, allowed longer passes (as `mfakit tap` with MFAKIT_TAP_MAX_LIFETIME).
    const wide = tapEngine({
      stores: t.stores,
      clock: t.clock,
      temporaryAccessPass: { maxLifetimeMinutes: 4320 },
    });
    const long = await wide.mfa.accessPasses.issue('alice', { lifetimeMinutes: 481, oneTime: true }, ADMIN);
    assert.deepStrictEqual(await passes().verify('alice', long.pass, USER), {
      ok: false,
      detail: 'lifetime_exceeded',
    });
    const failed = t.events.filter((e) => e.type === 'access_pass_failed');
    assert.deepEqual(
      failed.map((e) => [e.userId, e.methodId, e.detail, e.ip]),
      [['alice', long.id, 'lifetime_exceeded', USER.ip]],
    );
    assert.equal((await passes().get('alice'))?.state, 'active', 'the refused one-time pass was consumed');
    // It stays refused while active, from the first minute to the last, one-time or not.
    const multi = await wide.mfa.accessPasses.issue(
      'alice',
      { lifetimeMinutes: 4320, oneTime: false },
      ADMIN,
    );
    t.clock.advance(4319 * MINUTE);
    assert.equal((await passes().verify('alice', multi.pass, USER)).ok, false);
    assert.equal(
      (await wide.mfa.accessPasses.verify('alice', multi.pass, USER)).ok,
      true,
      'the wider application',
    );
    // The longest this application allows still verifies, even when issued elsewhere.
    const longest = await wide.mfa.accessPasses.issue('alice', { lifetimeMinutes: 480 }, ADMIN);
    assert.equal((await passes().verify('alice', longest.pass, USER)).ok, true);
  });

  it('disabled: issuing is refused (403) and every pass fails as disabled', async () => {
    const issued = await passes().issue('alice', { oneTime: false }, ADMIN);
    const off = tapEngine({ stores: t.stores, clock: t.clock, temporaryAccessPass: { enabled: false } });
    await assert.rejects(off.mfa.accessPasses.issue('alice', {}, ADMIN), (err: unknown) => {
      assert.ok(err instanceof MfaError);
      assert.equal(err.code, 'access_pass_disabled');
      assert.equal(err.status, 403);
      return true;
    });
    assert.deepStrictEqual(await off.mfa.accessPasses.verify('alice', issued.pass, USER), {
      ok: false,
      detail: 'disabled',
    });
  });

  describe('the alphabet', () => {
    it('has 31 unambiguous symbols: no 0/O, 1/I/l, upper case only', () => {
      assert.equal(new Set(ACCESS_PASS_ALPHABET).size, 31);
      assert.equal(ACCESS_PASS_ALPHABET.length, 31);
      for (const c of '0O1Il') assert.ok(!ACCESS_PASS_ALPHABET.includes(c), c);
      assert.equal(ACCESS_PASS_ALPHABET, ACCESS_PASS_ALPHABET.toUpperCase());
    });

    it('real passes: every symbol appears over many, each of the configured length', async () => {
      for (const length of [8, 12, 48]) {
        const e = tapEngine({ temporaryAccessPass: { length } });
        const seen = new Set<string>();
        for (let i = 0; i < 100; i++) {
          const { pass } = await e.mfa.accessPasses.issue(`u${i}`, {}, ADMIN);
          assert.equal(pass.length, length);
          for (const c of pass) seen.add(c);
        }
        assert.deepStrictEqual([...seen].sort().join(''), [...ACCESS_PASS_ALPHABET].sort().join(''));
      }
    });

    it('is drawn uniformly: bytes 248–255 are rejected, not folded onto the first symbols (no modulo bias)', () => {
      // Every byte value in turn, again and again: each 256-byte cycle must give each symbol 8 times.
      let next = 0;
      const cyclic = { bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => next++ % 256)) };
      const counts = new Map<string, number>();
      for (let i = 0; i < 31; i++)
        for (const c of generateAccessPass(cyclic, 16)) counts.set(c, (counts.get(c) ?? 0) + 1);
      assert.equal(counts.size, 31);
      for (const [c, n] of counts) assert.equal(n, 16, `symbol ${c}`);
      // A rejected byte is skipped: 255 and 248 give nothing, 0 gives the first symbol, 247 the last.
      const scripted = [255, 248, 0, 247, 30, 31];
      const fixed = { bytes: (n: number) => Buffer.from(scripted.splice(0, n)) };
      assert.equal(generateAccessPass(fixed, 4), 'A99A');
    });

    it('normalises input: spaces, dashes and case are ignored; nothing else is', () => {
      assert.equal(normalizeAccessPass(' abcd-efgh jk2m '), 'ABCDEFGHJK2M');
      for (const bad of ['ABCDEFGH0JKM', 'ABCDEFGHOJKM', 'ABCDEFGH1JKM', 'abcdefghijkm', 'ABCDEFGHlJKM'])
        assert.equal(normalizeAccessPass(bad), null, bad);
      assert.equal(normalizeAccessPass('STRASSEXYZ'), 'STRASSEXYZ');
      assert.equal(normalizeAccessPass('STRAßEXYZ'), null, "'ß' does not become 'SS'");
      assert.equal(normalizeAccessPass('ABCDEFG'), null, 'shorter than 8');
      assert.equal(normalizeAccessPass('A'.repeat(49)), null, 'longer than 48');
      assert.equal(normalizeAccessPass('ABCD_EFGH'), null);
    });
  });
});
