// Temporary Access Passes from the attacker's side: raced one-time passes (memory and SQLite),
// wrong, foreign, malformed and oversized input, keys, and the pass never at rest in clear —
// neither in the stored record, the audit, nor the SQLite file.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ACCESS_PASS_ALPHABET } from '../../src/engine/temporary-access-pass.ts';
import { ADMIN, TAP_KEY, type TapEngine, tapEngine, USER } from '../helpers/access-pass-engine.ts';

/** Another valid pass of the same length: the first symbol shifted in the alphabet. */
const otherPass = (pass: string) => {
  const i = ACCESS_PASS_ALPHABET.indexOf(pass[0] as string);
  return `${ACCESS_PASS_ALPHABET[(i + 1) % ACCESS_PASS_ALPHABET.length]}${pass.slice(1)}`;
};

/**
 * Counts the store reads a verification makes. Hashing only ever follows a read (the pass is
 * compared with the stored record's hash), so no read also means no hashing.
 */
function countWork(t: TapEngine): { count: number } {
  const work = { count: 0 };
  const repo = t.stores.repository;
  const getAccessPass = repo.getAccessPass.bind(repo);
  repo.getAccessPass = (userId) => {
    work.count++;
    return getAccessPass(userId);
  };
  return work;
}

describe('Temporary Access Pass: verification', () => {
  let dir = '';
  let files = 0;
  const freshPath = () => join(dir, `tap-${files++}.sqlite`);
  const open: TapEngine[] = [];
  const engine = (options: Parameters<typeof tapEngine>[0] = {}) => {
    const t = tapEngine(options);
    open.push(t);
    return t;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mfakit-tap-'));
  });
  afterEach(async () => {
    for (const t of open.splice(0)) await t.stores.close?.();
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  for (const store of ['memory', 'sqlite'] as const) {
    const make = () => engine(store === 'sqlite' ? { path: freshPath() } : {});

    it(`${store}: 50 concurrent verifies of a one-time pass → exactly one ok, the rest "used"`, async () => {
      const t = make();
      const { pass, id } = await t.mfa.accessPasses.issue('alice', {}, ADMIN);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => t.mfa.accessPasses.verify('alice', pass, USER)),
      );
      assert.deepStrictEqual(
        results.filter((r) => r.ok),
        [{ ok: true, id, oneTime: true }],
      );
      assert.ok(results.every((r) => r.ok || r.detail === 'used'));
      assert.equal(t.events.filter((e) => e.type === 'access_pass_verified').length, 1);
      assert.equal(t.events.filter((e) => e.type === 'access_pass_failed' && e.detail === 'used').length, 49);
    });

    it(`${store}: 50 concurrent verifies of a multi-use pass → all ok`, async () => {
      const t = make();
      const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
      const results = await Promise.all(
        Array.from({ length: 50 }, () => t.mfa.accessPasses.verify('alice', pass, USER)),
      );
      assert.ok(results.every((r) => r.ok));
    });
  }

  it('a wrong pass, and a pass issued to someone else, fail as a mismatch and are audited without the pass', async () => {
    const t = engine();
    const alice = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const bob = await t.mfa.accessPasses.issue('bob', { oneTime: false }, ADMIN);
    assert.deepStrictEqual(await t.mfa.accessPasses.verify('alice', otherPass(alice.pass), USER), {
      ok: false,
      detail: 'mismatch',
    });
    assert.deepStrictEqual(await t.mfa.accessPasses.verify('alice', bob.pass, USER), {
      ok: false,
      detail: 'mismatch',
    });
    assert.deepStrictEqual(await t.mfa.accessPasses.verify('carol', alice.pass, USER), {
      ok: false,
      detail: 'no_pass',
    });
    const failed = t.events.filter((e) => e.type === 'access_pass_failed');
    assert.deepStrictEqual(
      failed.map((e) => [e.userId, e.detail, e.methodId, e.ip, e.requestId]),
      [
        ['alice', 'mismatch', alice.id, USER.ip, USER.requestId],
        ['alice', 'mismatch', alice.id, USER.ip, USER.requestId],
        ['carol', 'no_pass', undefined, USER.ip, USER.requestId],
      ],
    );
    assert.equal((await t.mfa.accessPasses.verify('alice', alice.pass, USER)).ok, true, 'still usable');
  });

  it('a mismatch never consumes a one-time pass', async () => {
    const t = engine();
    const { pass } = await t.mfa.accessPasses.issue('alice', {}, ADMIN);
    for (let i = 0; i < 5; i++) await t.mfa.accessPasses.verify('alice', otherPass(pass), USER);
    assert.equal((await t.mfa.accessPasses.verify('alice', pass, USER)).ok, true);
  });

  it('accepts the pass in lower case, with spaces and dashes', async () => {
    const t = engine();
    const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const typed = ` ${pass.slice(0, 4).toLowerCase()}-${pass.slice(4, 8)} ${pass.slice(8).toLowerCase()}\t`;
    assert.equal((await t.mfa.accessPasses.verify('alice', typed, USER)).ok, true);
  });

  it('oversized input (over 128 characters) fails fast: never hashed, never read from the store', async () => {
    const t = engine();
    const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const work = countWork(t);

    const padded = pass.padEnd(128, ' ');
    assert.equal((await t.mfa.accessPasses.verify('alice', padded, USER)).ok, true, '128 is still read');
    assert.ok(work.count > 0);
    work.count = 0;
    for (const input of [`${padded} `, 'A'.repeat(100_000)])
      assert.deepStrictEqual(await t.mfa.accessPasses.verify('alice', input, USER), {
        ok: false,
        detail: 'oversized',
      });
    assert.equal(work.count, 0);
    const last = t.events.at(-1);
    assert.ok(last?.type === 'access_pass_failed' && last.detail === 'oversized', JSON.stringify(last));
  });

  it('malformed input fails without a store read or a hash: wrong symbols, too short, not a string', async () => {
    const t = engine();
    await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const work = countWork(t);
    for (const input of ['', 'ABCDEFG', 'ABCD0FGH', 'ABCD_EFGH', 'ABCDÉFGH', '<script>x</script>'])
      assert.deepStrictEqual(await t.mfa.accessPasses.verify('alice', input, USER), {
        ok: false,
        detail: 'malformed',
      });
    const notAString = 12345678 as unknown as string;
    assert.deepStrictEqual(await t.mfa.accessPasses.verify('alice', notAString, USER), {
      ok: false,
      detail: 'malformed',
    });
    assert.equal(work.count, 0);
  });

  it('keys: verified after rotation (old key still listed), refused once the key is gone', async () => {
    const t = engine();
    const { pass } = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    const k2 = { id: 'k2', key: Buffer.alloc(32, 3) };
    const rotated = tapEngine({ stores: t.stores, clock: t.clock, sealingKeys: [k2, TAP_KEY] });
    assert.equal((await rotated.mfa.accessPasses.verify('alice', pass, USER)).ok, true);
    const dropped = tapEngine({ stores: t.stores, clock: t.clock, sealingKeys: [k2] });
    assert.deepStrictEqual(await dropped.mfa.accessPasses.verify('alice', pass, USER), {
      ok: false,
      detail: 'mismatch',
    });
    const sameIdOtherKey = tapEngine({
      stores: t.stores,
      clock: t.clock,
      sealingKeys: [{ id: 'k1', key: Buffer.alloc(32, 4) }],
    });
    assert.equal((await sameIdOtherKey.mfa.accessPasses.verify('alice', pass, USER)).ok, false);
  });

  it('the pass is nowhere in clear: not in the record, the audit (sink and store), nor the SQLite file', async () => {
    const path = freshPath();
    const t = engine({ path });
    const passes: string[] = [];
    const first = await t.mfa.accessPasses.issue('alice', { oneTime: false }, ADMIN);
    passes.push(first.pass);
    await t.mfa.accessPasses.verify('alice', first.pass, USER);
    await t.mfa.accessPasses.verify('alice', first.pass.toLowerCase(), USER);
    const second = await t.mfa.accessPasses.issue('alice', {}, ADMIN);
    passes.push(second.pass);
    await t.mfa.accessPasses.verify('alice', first.pass, USER);
    await t.mfa.accessPasses.verify('alice', second.pass, USER);
    await t.mfa.accessPasses.verify('alice', second.pass, USER);
    await t.mfa.accessPasses.verify('bob', second.pass, USER);

    const record = await t.stores.repository.getAccessPass('alice');
    const audit = await t.stores.repository.listAudit({ limit: 1000 });
    assert.ok(audit.length >= 9);
    const texts = [
      JSON.stringify(record),
      JSON.stringify(await t.mfa.accessPasses.list('alice')),
      JSON.stringify(audit),
      JSON.stringify(t.events),
    ];
    await t.stores.close?.();
    const wal = `${path}-wal`;
    const file = Buffer.concat([readFileSync(path), existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0)]);
    for (const pass of passes) {
      for (const variant of [pass, pass.toLowerCase()]) {
        for (const text of texts) assert.ok(!text.includes(variant), `pass in ${text.slice(0, 80)}`);
        assert.equal(file.indexOf(variant), -1, 'pass in the database file');
      }
    }
    assert.match(record?.hash ?? '', /^k1:[A-Za-z0-9_-]{43}$/, 'a keyed hash, with its key id');
  });
});
