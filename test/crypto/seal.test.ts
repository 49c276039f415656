import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createCodeHasher } from '../../src/crypto/code-hash.ts';
import { createSealer } from '../../src/crypto/seal.ts';
import { cryptoRandom } from '../../src/engine/capabilities.ts';
import { createMfa, type Stores } from '../../src/index.ts';
import { base32Decode } from '../../src/methods/otp/base32.ts';
import { totpCode } from '../../src/methods/otp/otp.ts';
import { testClock } from '../helpers/test-clock.ts';
import { totpSecretOf } from '../helpers/totp-now.ts';

const OLD = { id: 'old', key: Buffer.alloc(32, 1) };
const NEW = { id: 'new', key: Buffer.alloc(32, 2) };

describe('sealing (AES-256-GCM) and code hashing', () => {
  it('round-trips; the sealed text names its key id and does not contain the seed', () => {
    const sealer = createSealer([OLD], cryptoRandom);
    const seed = Buffer.from('12345678901234567890');
    const sealed = sealer.seal(seed, 'method:alice:m1');
    assert.ok(!sealed.includes(seed.toString('base64url')));
    assert.match(sealed, /^v1\.old\./);
    assert.deepEqual(sealer.open(sealed, 'method:alice:m1'), seed);
    assert.notEqual(sealer.seal(seed, 'method:alice:m1'), sealed, 'a fresh IV each time');
  });

  it('a sealed value moved to another user or method does not open', () => {
    const sealer = createSealer([OLD], cryptoRandom);
    const sealed = sealer.seal(Buffer.from('seed-seed-seed-seed!'), 'method:alice:m1');
    assert.throws(() => sealer.open(sealed, 'method:mallory:m1'), /failed authentication/);
    assert.throws(() => sealer.open(sealed, 'method:alice:m2'), /failed authentication/);
  });

  it('tampering with any part is detected', () => {
    const sealer = createSealer([OLD], cryptoRandom);
    const sealed = sealer.seal(Buffer.from('seed-seed-seed-seed!'), 'ctx');
    const parts = sealed.split('.');
    for (const i of [2, 3, 4]) {
      const p = [...parts];
      const s = p[i] ?? '';
      p[i] = `${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
      assert.throws(() => sealer.open(p.join('.'), 'ctx'), /sealed value/);
    }
    assert.throws(() => sealer.open('v1.unknown.a.b.c', 'ctx'), /no sealing key/);
    assert.throws(() => sealer.open('garbage', 'ctx'), /malformed/);
  });

  it('a tag cut short does not open, though GCM would check its first bytes (a forger with the store would need 2^32 tries, not 2^128)', () => {
    const sealer = createSealer([OLD], cryptoRandom);
    const sealed = sealer.seal(Buffer.from('seed-seed-seed-seed!'), 'ctx');
    const parts = sealed.split('.');
    const tag = Buffer.from(parts[4] ?? '', 'base64url');
    assert.equal(tag.length, 16);
    for (const bytes of [4, 8, 12, 15]) {
      const cut = [...parts.slice(0, 4), tag.subarray(0, bytes).toString('base64url')].join('.');
      assert.throws(() => sealer.open(cut, 'ctx'), /failed authentication/, `${bytes}-byte tag`);
    }
    assert.deepEqual(sealer.open(sealed, 'ctx'), Buffer.from('seed-seed-seed-seed!'));
  });

  it('rotation: with the new key first, values sealed under the old key still open, new ones use the new key', () => {
    const before = createSealer([OLD], cryptoRandom);
    const sealed = before.seal(Buffer.from('seed-seed-seed-seed!'), 'ctx');
    const after = createSealer([NEW, OLD], cryptoRandom);
    assert.equal(after.open(sealed, 'ctx').toString(), 'seed-seed-seed-seed!');
    assert.match(after.seal(Buffer.from('x'), 'ctx'), /^v1\.new\./);
    assert.throws(() => createSealer([NEW], cryptoRandom).open(sealed, 'ctx'), /no sealing key with id old/);
  });

  it('code hashes are keyed: another key, purpose or value never matches', () => {
    const h = createCodeHasher([OLD]);
    const stored = h.hash('recovery-code', 'alice\0abcdefghij');
    assert.equal(h.matches('recovery-code', 'alice\0abcdefghij', stored), true);
    assert.equal(h.matches('recovery-code', 'alice\0abcdefghik', stored), false);
    assert.equal(h.matches('remembered-device', 'alice\0abcdefghij', stored), false);
    assert.equal(createCodeHasher([NEW]).matches('recovery-code', 'alice\0abcdefghij', stored), false);
    assert.equal(createCodeHasher([NEW, OLD]).matches('recovery-code', 'alice\0abcdefghij', stored), true);
  });

  it('after a key rotation, an enrolled authenticator and unused recovery codes keep working', async () => {
    const clock = testClock();
    const stores: Stores = createMemoryStores({ clock });
    const make = (keys: Array<{ id: string; key: Buffer }>) =>
      createMfa({ stores, clock, issuer: 'T', sealingKeys: keys, audit: () => {} });
    const first = make([OLD]);
    const draft = await first.enrollment.begin('totp', 'alice', 'alice');
    const seed = base32Decode(totpSecretOf(draft));
    const code = (at: number) =>
      totpCode(seed, { algorithm: 'sha1', digits: 6, period: 30, epochSeconds: Math.floor(at / 1000) });
    assert.equal(
      (
        await first.enrollment.confirm('totp', 'alice', draft.draftId, { code: code(clock.now()) }, '', {
          ip: '::1',
        })
      ).ok,
      true,
    );
    const recovery = await first.recoveryCodes.regenerate('alice', { ip: '::1' });

    const rotated = make([NEW, OLD]);
    clock.advance(30_000);
    const a = await rotated.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: '198.51.100.1' });
    if (a.status !== 'mfa') throw new Error('expected mfa');
    assert.equal(
      (await rotated.verifyPending(a.pending.id, { code: code(clock.now()) }, { ip: '198.51.100.1' })).ok,
      true,
    );
    const b = await rotated.beginSignIn({ userId: 'alice', amr: ['pwd'], ip: '198.51.100.1' });
    if (b.status !== 'mfa') throw new Error('expected mfa');
    assert.equal(
      (await rotated.verifyPending(b.pending.id, { code: recovery[0] ?? '' }, { ip: '198.51.100.1' })).ok,
      true,
    );
  });
});
