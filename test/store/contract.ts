/**
 * The store contract: the behaviour every adapter of the two store ports
 * (src/store/ports.ts) must show. An adapter's test file calls `storeContract` once
 * with a factory; each test gets fresh stores built on a test clock it controls.
 *
 * The "50 concurrent" cases fire all calls before awaiting any, so an adapter whose
 * primitives are read-modify-write across an await (a network round trip, a
 * connection pool) fails them.
 */
import assert from 'node:assert/strict';
import type {
  AuditEventRecord,
  EphemeralStore,
  MethodRecord,
  OathTokenRecord,
  OidcStore,
  RememberedDeviceRecord,
  Repository,
  Stores,
} from '../../src/store/ports.ts';
import { accessPassContract } from './access-pass-contract.ts';

/** A clock the test moves by hand. Milliseconds since the epoch. */
export interface TestClock {
  now(): number;
  set(ms: number): void;
}

export type StoreFactory = (clock: TestClock) => Promise<Stores>;

export const CONTRACT_EPOCH = 1_700_000_000_000;

export function createTestClock(start = CONTRACT_EPOCH): TestClock {
  let current = start;
  return {
    now: () => current,
    set(ms) {
      current = ms;
    },
  };
}

/** Starts `n` calls at once, then waits for all of them. */
async function concurrently<T>(n: number, call: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => call(i)));
}

const countTrue = (results: boolean[]) => results.filter((r) => r).length;

export function methodFixture(overrides: Partial<MethodRecord> = {}): MethodRecord {
  return {
    id: 'm-1',
    userId: 'u-1',
    kind: 'totp',
    label: 'Téléphone 📱',
    sealedSecret: 'k1.iv.ciphertext.tag',
    algorithm: 'sha1',
    digits: 6,
    period: 30,
    tokenSerial: null,
    createdAt: CONTRACT_EPOCH,
    lastUsedAt: null,
    ...overrides,
  };
}

export function deviceFixture(overrides: Partial<RememberedDeviceRecord> = {}): RememberedDeviceRecord {
  return {
    id: 'd-1',
    userId: 'u-1',
    secretHash: 'k1:c2VjcmV0LWhhc2g',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0',
    createdAt: CONTRACT_EPOCH,
    lastUsedAt: CONTRACT_EPOCH,
    expiresAt: CONTRACT_EPOCH + 30 * 86_400_000,
    revokedAt: null,
    ...overrides,
  };
}

export function tokenFixture(overrides: Partial<OathTokenRecord> = {}): OathTokenRecord {
  return {
    serial: 'TK-0001',
    kind: 'hotp',
    sealedSecret: 'k1.iv.token-ciphertext.tag',
    algorithm: 'sha1',
    digits: 6,
    period: 0,
    assignedTo: null,
    importedAt: CONTRACT_EPOCH,
    ...overrides,
  };
}

export function auditFixture(overrides: Partial<AuditEventRecord> = {}): AuditEventRecord {
  return {
    id: 'a-1',
    at: CONTRACT_EPOCH,
    type: 'mfa.verify.success',
    userId: 'u-1',
    data: {},
    ...overrides,
  };
}

export function storeContract(name: string, make: StoreFactory): void {
  describe(`store contract: ${name}`, () => {
    let clock: TestClock;
    let stores: Stores;
    let repo: Repository;
    let eph: EphemeralStore;

    beforeEach(async () => {
      clock = createTestClock();
      stores = await make(clock);
      repo = stores.repository;
      eph = stores.ephemeral;
    });

    afterEach(async () => {
      await stores.close?.();
    });

    const later = (ms: number) => clock.set(clock.now() + ms);

    accessPassContract(() => repo);

    describe('methods', () => {
      it('round-trips a TOTP method exactly, nulls included', async () => {
        const m = methodFixture();
        await repo.insertMethod(m);
        assert.deepStrictEqual(await repo.getMethod('u-1', 'm-1'), m);
        assert.deepStrictEqual(await repo.listMethods('u-1'), [m]);
      });

      it('round-trips a hardware-token HOTP method exactly', async () => {
        const m = methodFixture({
          id: 'm-hw',
          kind: 'hotp',
          algorithm: 'sha512',
          digits: 8,
          period: 0,
          tokenSerial: 'TK-0042',
          lastUsedAt: CONTRACT_EPOCH + 1234,
        });
        await repo.insertMethod(m);
        assert.deepStrictEqual(await repo.getMethod('u-1', 'm-hw'), m);
      });

      it('getMethod answers null for an unknown id and for the wrong user', async () => {
        await repo.insertMethod(methodFixture());
        assert.equal(await repo.getMethod('u-1', 'nope'), null);
        assert.equal(await repo.getMethod('u-2', 'm-1'), null);
      });

      it('listMethods lists only that user, oldest first', async () => {
        const b = methodFixture({ id: 'm-b', createdAt: CONTRACT_EPOCH + 20 });
        const a = methodFixture({ id: 'm-a', createdAt: CONTRACT_EPOCH + 10 });
        const c = methodFixture({ id: 'm-c', createdAt: CONTRACT_EPOCH + 30, kind: 'hotp', period: 0 });
        const other = methodFixture({ id: 'm-x', userId: 'u-2' });
        for (const m of [b, other, c, a]) await repo.insertMethod(m);
        assert.deepStrictEqual(await repo.listMethods('u-1'), [a, b, c]);
        assert.deepStrictEqual(await repo.listMethods('u-2'), [other]);
        assert.deepStrictEqual(await repo.listMethods('u-3'), []);
      });

      it('refuses to insert a second method with an existing id', async () => {
        const m = methodFixture();
        await repo.insertMethod(m);
        await assert.rejects(repo.insertMethod(methodFixture({ userId: 'u-2', label: 'hijack' })));
        assert.deepStrictEqual(await repo.getMethod('u-1', 'm-1'), m);
        assert.equal(await repo.getMethod('u-2', 'm-1'), null);
      });

      it('deleteMethod refuses the wrong user and deletes for the owner, once', async () => {
        const m = methodFixture();
        await repo.insertMethod(m);
        assert.equal(await repo.deleteMethod('u-2', 'm-1'), false);
        assert.deepStrictEqual(await repo.getMethod('u-1', 'm-1'), m);
        assert.equal(await repo.deleteMethod('u-1', 'nope'), false);
        assert.equal(await repo.deleteMethod('u-1', 'm-1'), true);
        assert.equal(await repo.getMethod('u-1', 'm-1'), null);
        assert.equal(await repo.deleteMethod('u-1', 'm-1'), false);
      });

      it('deleteMethod: 50 concurrent deletes → exactly one true', async () => {
        await repo.insertMethod(methodFixture());
        assert.equal(countTrue(await concurrently(50, () => repo.deleteMethod('u-1', 'm-1'))), 1);
      });

      it('deleteAllMethods deletes only that user and returns the count', async () => {
        await repo.insertMethod(methodFixture({ id: 'm-1' }));
        await repo.insertMethod(methodFixture({ id: 'm-2', createdAt: CONTRACT_EPOCH + 1 }));
        const other = methodFixture({ id: 'm-3', userId: 'u-2' });
        await repo.insertMethod(other);
        assert.equal(await repo.deleteAllMethods('u-1'), 2);
        assert.deepStrictEqual(await repo.listMethods('u-1'), []);
        assert.deepStrictEqual(await repo.listMethods('u-2'), [other]);
        assert.equal(await repo.deleteAllMethods('u-1'), 0);
      });

      it('hands out copies: mutating a returned or inserted record changes nothing stored', async () => {
        const m = methodFixture();
        await repo.insertMethod(m);
        m.label = 'mutated after insert';
        const got = await repo.getMethod('u-1', 'm-1');
        assert.ok(got);
        assert.equal(got.label, 'Téléphone 📱');
        got.userId = 'u-2';
        const listed = await repo.listMethods('u-1');
        assert.equal(listed.length, 1);
        (listed[0] as MethodRecord).sealedSecret = 'mutated';
        assert.deepStrictEqual(await repo.getMethod('u-1', 'm-1'), methodFixture());
      });
    });

    describe('recordUse (advance + last used, atomically)', () => {
      it('moves the counter forward and stamps the method; a replay moves nothing and stamps nothing', async () => {
        const m = methodFixture({ id: 'm-use', userId: 'u-1', lastUsedAt: null });
        await repo.insertMethod(m);
        assert.equal(
          await repo.recordUse({ counterKey: 'totp:m-use', value: 7, methodId: 'm-use', at: 1000 }),
          true,
        );
        assert.equal(await repo.getCounter('totp:m-use'), 7);
        assert.equal((await repo.getMethod('u-1', 'm-use'))?.lastUsedAt, 1000);
        assert.equal(
          await repo.recordUse({ counterKey: 'totp:m-use', value: 7, methodId: 'm-use', at: 2000 }),
          false,
        );
        assert.equal(
          await repo.recordUse({ counterKey: 'totp:m-use', value: 3, methodId: 'm-use', at: 3000 }),
          false,
        );
        assert.equal(
          (await repo.getMethod('u-1', 'm-use'))?.lastUsedAt,
          1000,
          'a refused use leaves last-used alone',
        );
        assert.equal(
          await repo.recordUse({ counterKey: 'totp:m-use', value: -1, methodId: 'm-use', at: 4000 }),
          false,
        );
      });

      it('a shared token counter reports a use only for the method that made it', async () => {
        const a = methodFixture({
          id: 'm-a',
          userId: 'u-1',
          kind: 'hotp',
          tokenSerial: 'TK-1',
          lastUsedAt: null,
        });
        const b = methodFixture({
          id: 'm-b',
          userId: 'u-2',
          kind: 'hotp',
          tokenSerial: 'TK-1',
          lastUsedAt: null,
        });
        await repo.insertMethod(a);
        assert.equal(
          await repo.recordUse({ counterKey: 'token:TK-1', value: 0, methodId: 'm-a', at: 1000 }),
          true,
        );
        await repo.deleteMethod('u-1', 'm-a');
        await repo.insertMethod(b);
        assert.equal((await repo.getMethod('u-2', 'm-b'))?.lastUsedAt, null);
        assert.equal(
          await repo.recordUse({ counterKey: 'token:TK-1', value: 0, methodId: 'm-b', at: 2000 }),
          false,
        );
        assert.equal(
          await repo.recordUse({ counterKey: 'token:TK-1', value: 1, methodId: 'm-b', at: 3000 }),
          true,
        );
        assert.equal((await repo.listMethods('u-2'))[0]?.lastUsedAt, 3000);
      });

      it('50 concurrent uses of one step: exactly one is recorded', async () => {
        await repo.insertMethod(methodFixture({ id: 'm-race', userId: 'u-1' }));
        const results = await concurrently(50, (i) =>
          repo.recordUse({ counterKey: 'totp:m-race', value: 42, methodId: 'm-race', at: 5000 + i }),
        );
        assert.equal(countTrue(results), 1);
        assert.equal(await repo.getCounter('totp:m-race'), 42);
        assert.equal((await repo.getMethod('u-1', 'm-race'))?.lastUsedAt, 5000 + results.indexOf(true));
      });
    });

    describe('counters (advance)', () => {
      it('an absent counter reads null and counts as -1', async () => {
        assert.equal(await repo.getCounter('totp:m-1'), null);
        assert.equal(await repo.advance('totp:m-1', -1), false);
        assert.equal(await repo.getCounter('totp:m-1'), null);
        assert.equal(await repo.advance('totp:m-1', 0), true);
        assert.equal(await repo.getCounter('totp:m-1'), 0);
      });

      it('only moves forward', async () => {
        assert.equal(await repo.advance('k', 5), true);
        assert.equal(await repo.advance('k', 5), false);
        assert.equal(await repo.advance('k', 4), false);
        assert.equal(await repo.advance('k', 0), false);
        assert.equal(await repo.getCounter('k'), 5);
        assert.equal(await repo.advance('k', 6), true);
        assert.equal(await repo.advance('k', 100), true);
        assert.equal(await repo.getCounter('k'), 100);
      });

      it('keeps keys apart', async () => {
        assert.equal(await repo.advance('a', 10), true);
        assert.equal(await repo.advance('b', 3), true);
        assert.equal(await repo.getCounter('a'), 10);
        assert.equal(await repo.getCounter('b'), 3);
      });

      it('holds realistic TOTP steps and large HOTP counters exactly', async () => {
        const step = Math.floor((CONTRACT_EPOCH + 86_400_000 * 365 * 30) / 30_000);
        assert.equal(await repo.advance('totp', step), true);
        assert.equal(await repo.getCounter('totp'), step);
        assert.equal(await repo.advance('hotp', 2 ** 40 + 7), true);
        assert.equal(await repo.getCounter('hotp'), 2 ** 40 + 7);
        assert.equal(await repo.advance('hotp', 2 ** 40 + 6), false);
      });

      it('deleteCounter makes it absent again', async () => {
        await repo.advance('k', 7);
        await repo.deleteCounter('k');
        assert.equal(await repo.getCounter('k'), null);
        assert.equal(await repo.advance('k', 0), true);
        await repo.deleteCounter('never-set');
      });

      it('50 concurrent advance() to the same value → exactly one true', async () => {
        await repo.advance('k', 41);
        const results = await concurrently(50, () => repo.advance('k', 42));
        assert.equal(countTrue(results), 1);
        assert.equal(await repo.getCounter('k'), 42);
      });

      it('50 concurrent advance() on an absent counter → exactly one true', async () => {
        const results = await concurrently(50, () => repo.advance('fresh', 0));
        assert.equal(countTrue(results), 1);
        assert.equal(await repo.getCounter('fresh'), 0);
      });

      it('50 concurrent advance() to shuffled values ends at the maximum, which always wins', async () => {
        const values = Array.from({ length: 50 }, (_, i) => ((i * 17) % 50) + 1);
        const results = await concurrently(50, (i) => repo.advance('k', values[i] as number));
        assert.equal(results[values.indexOf(50)], true);
        assert.ok(countTrue(results) >= 1);
        assert.equal(await repo.getCounter('k'), 50);
      });
    });

    describe('recovery codes', () => {
      it('counts only unused codes and consumes each once', async () => {
        assert.equal(await repo.countRecoveryCodes('u-1'), 0);
        await repo.replaceRecoveryCodes('u-1', ['h1', 'h2', 'h3'], CONTRACT_EPOCH);
        assert.equal(await repo.countRecoveryCodes('u-1'), 3);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'h2', CONTRACT_EPOCH + 1), true);
        assert.equal(await repo.countRecoveryCodes('u-1'), 2);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'h2', CONTRACT_EPOCH + 2), false);
        assert.equal(await repo.countRecoveryCodes('u-1'), 2);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'unknown', CONTRACT_EPOCH + 3), false);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'h1', CONTRACT_EPOCH + 4), true);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'h3', CONTRACT_EPOCH + 5), true);
        assert.equal(await repo.countRecoveryCodes('u-1'), 0);
      });

      it("keeps users apart: one user's code is no good for another", async () => {
        await repo.replaceRecoveryCodes('u-1', ['h1', 'shared'], CONTRACT_EPOCH);
        await repo.replaceRecoveryCodes('u-2', ['h2', 'shared'], CONTRACT_EPOCH);
        assert.equal(await repo.consumeRecoveryCode('u-2', 'h1', CONTRACT_EPOCH), false);
        assert.equal(await repo.consumeRecoveryCode('u-3', 'h1', CONTRACT_EPOCH), false);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'shared', CONTRACT_EPOCH), true);
        assert.equal(await repo.consumeRecoveryCode('u-2', 'shared', CONTRACT_EPOCH), true);
        assert.equal(await repo.countRecoveryCodes('u-1'), 1);
        assert.equal(await repo.countRecoveryCodes('u-2'), 1);
      });

      it('replaceRecoveryCodes kills every old code, used or not', async () => {
        await repo.replaceRecoveryCodes('u-1', ['old1', 'old2', 'old3'], CONTRACT_EPOCH);
        await repo.consumeRecoveryCode('u-1', 'old1', CONTRACT_EPOCH + 1);
        await repo.replaceRecoveryCodes('u-1', ['new1', 'new2'], CONTRACT_EPOCH + 2);
        assert.equal(await repo.countRecoveryCodes('u-1'), 2);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'old2', CONTRACT_EPOCH + 3), false);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'old3', CONTRACT_EPOCH + 3), false);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'new1', CONTRACT_EPOCH + 3), true);
        assert.equal(await repo.countRecoveryCodes('u-1'), 1);
      });

      it('a replacement may reissue a previously used hash as fresh', async () => {
        await repo.replaceRecoveryCodes('u-1', ['h1'], CONTRACT_EPOCH);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'h1', CONTRACT_EPOCH), true);
        await repo.replaceRecoveryCodes('u-1', ['h1'], CONTRACT_EPOCH + 1);
        assert.equal(await repo.countRecoveryCodes('u-1'), 1);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'h1', CONTRACT_EPOCH + 2), true);
      });

      it('replacing with no codes leaves none', async () => {
        await repo.replaceRecoveryCodes('u-1', ['h1', 'h2'], CONTRACT_EPOCH);
        await repo.replaceRecoveryCodes('u-1', [], CONTRACT_EPOCH + 1);
        assert.equal(await repo.countRecoveryCodes('u-1'), 0);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'h1', CONTRACT_EPOCH + 2), false);
      });

      it('deleteRecoveryCodes removes only that user', async () => {
        await repo.replaceRecoveryCodes('u-1', ['h1', 'h2'], CONTRACT_EPOCH);
        await repo.replaceRecoveryCodes('u-2', ['h1'], CONTRACT_EPOCH);
        await repo.deleteRecoveryCodes('u-1');
        assert.equal(await repo.countRecoveryCodes('u-1'), 0);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'h1', CONTRACT_EPOCH), false);
        assert.equal(await repo.countRecoveryCodes('u-2'), 1);
        await repo.deleteRecoveryCodes('nobody');
      });

      it('50 concurrent consumeRecoveryCode() of one code → exactly one true', async () => {
        await repo.replaceRecoveryCodes('u-1', ['h1', 'h2'], CONTRACT_EPOCH);
        const results = await concurrently(50, (i) =>
          repo.consumeRecoveryCode('u-1', 'h1', CONTRACT_EPOCH + i),
        );
        assert.equal(countTrue(results), 1);
        assert.equal(await repo.countRecoveryCodes('u-1'), 1);
      });

      it('50 concurrent consumes spread over 10 codes → exactly 10 true, one per code', async () => {
        const hashes = Array.from({ length: 10 }, (_, i) => `h${i}`);
        await repo.replaceRecoveryCodes('u-1', hashes, CONTRACT_EPOCH);
        const results = await concurrently(50, (i) =>
          repo.consumeRecoveryCode('u-1', hashes[i % 10] as string, CONTRACT_EPOCH),
        );
        assert.equal(countTrue(results), 10);
        const winners = new Set(results.flatMap((won, i) => (won ? [i % 10] : [])));
        assert.equal(winners.size, 10);
        assert.equal(await repo.countRecoveryCodes('u-1'), 0);
      });
    });

    describe('remembered devices', () => {
      it('round-trips a device exactly, nulls included', async () => {
        const d = deviceFixture();
        await repo.insertDevice(d);
        assert.deepStrictEqual(await repo.getDevice('d-1'), d);
        assert.equal(await repo.getDevice('nope'), null);
      });

      it('listDevices lists only that user, oldest first, revoked ones included', async () => {
        const b = deviceFixture({ id: 'd-b', createdAt: CONTRACT_EPOCH + 2 });
        const a = deviceFixture({ id: 'd-a', createdAt: CONTRACT_EPOCH + 1, revokedAt: CONTRACT_EPOCH + 5 });
        const other = deviceFixture({ id: 'd-x', userId: 'u-2' });
        for (const d of [b, other, a]) await repo.insertDevice(d);
        assert.deepStrictEqual(await repo.listDevices('u-1'), [a, b]);
        assert.deepStrictEqual(await repo.listDevices('u-2'), [other]);
        assert.deepStrictEqual(await repo.listDevices('u-3'), []);
      });

      it('touchDevice sets lastUsedAt and nothing else', async () => {
        const d = deviceFixture();
        await repo.insertDevice(d);
        await repo.touchDevice('d-1', CONTRACT_EPOCH + 777);
        assert.deepStrictEqual(await repo.getDevice('d-1'), { ...d, lastUsedAt: CONTRACT_EPOCH + 777 });
        await repo.touchDevice('nope', CONTRACT_EPOCH);
      });

      it('revokeDevice revokes once, for the owner only', async () => {
        const d = deviceFixture();
        await repo.insertDevice(d);
        assert.equal(await repo.revokeDevice('u-2', 'd-1', CONTRACT_EPOCH + 1), false);
        assert.deepStrictEqual(await repo.getDevice('d-1'), d);
        assert.equal(await repo.revokeDevice('u-1', 'nope', CONTRACT_EPOCH + 1), false);
        assert.equal(await repo.revokeDevice('u-1', 'd-1', CONTRACT_EPOCH + 2), true);
        assert.deepStrictEqual(await repo.getDevice('d-1'), { ...d, revokedAt: CONTRACT_EPOCH + 2 });
        assert.equal(await repo.revokeDevice('u-1', 'd-1', CONTRACT_EPOCH + 3), false);
        assert.equal((await repo.getDevice('d-1'))?.revokedAt, CONTRACT_EPOCH + 2);
      });

      it('50 concurrent revokeDevice() → exactly one true', async () => {
        await repo.insertDevice(deviceFixture());
        const results = await concurrently(50, (i) => repo.revokeDevice('u-1', 'd-1', CONTRACT_EPOCH + i));
        assert.equal(countTrue(results), 1);
        assert.notEqual((await repo.getDevice('d-1'))?.revokedAt, null);
      });

      it('revokeAllDevices revokes the live devices of that user and counts them', async () => {
        await repo.insertDevice(deviceFixture({ id: 'd-1' }));
        await repo.insertDevice(deviceFixture({ id: 'd-2', createdAt: CONTRACT_EPOCH + 1 }));
        const already = deviceFixture({
          id: 'd-3',
          createdAt: CONTRACT_EPOCH + 2,
          revokedAt: CONTRACT_EPOCH + 3,
        });
        await repo.insertDevice(already);
        const other = deviceFixture({ id: 'd-4', userId: 'u-2' });
        await repo.insertDevice(other);

        assert.equal(await repo.revokeAllDevices('u-1', CONTRACT_EPOCH + 10), 2);
        assert.equal((await repo.getDevice('d-1'))?.revokedAt, CONTRACT_EPOCH + 10);
        assert.equal((await repo.getDevice('d-2'))?.revokedAt, CONTRACT_EPOCH + 10);
        assert.deepStrictEqual(await repo.getDevice('d-3'), already);
        assert.deepStrictEqual(await repo.getDevice('d-4'), other);
        assert.equal(await repo.revokeAllDevices('u-1', CONTRACT_EPOCH + 20), 0);
        assert.equal(await repo.revokeAllDevices('nobody', CONTRACT_EPOCH + 20), 0);
      });

      it('hands out copies', async () => {
        await repo.insertDevice(deviceFixture());
        const got = await repo.getDevice('d-1');
        assert.ok(got);
        got.revokedAt = 1;
        const listed = await repo.listDevices('u-1');
        (listed[0] as RememberedDeviceRecord).userId = 'u-2';
        assert.deepStrictEqual(await repo.getDevice('d-1'), deviceFixture());
      });
    });

    describe('OATH tokens', () => {
      const t1 = tokenFixture({ serial: 'TK-0001' });
      const t2 = tokenFixture({
        serial: 'TK-0002',
        kind: 'totp',
        algorithm: 'sha256',
        digits: 8,
        period: 60,
        sealedSecret: 'k1.iv.other.tag',
        importedAt: CONTRACT_EPOCH + 1,
      });
      const t3 = tokenFixture({ serial: 'TK-0003' });

      it('imports and round-trips tokens exactly; lists them by serial', async () => {
        await repo.importTokens([t3, t1]);
        await repo.importTokens([t2]);
        assert.deepStrictEqual(await repo.getToken('TK-0002'), t2);
        assert.deepStrictEqual(await repo.getToken('TK-0001'), t1);
        assert.equal(await repo.getToken('TK-9999'), null);
        assert.deepStrictEqual(await repo.listTokens(), [t1, t2, t3]);
      });

      it('imports an empty batch as a no-op', async () => {
        await repo.importTokens([]);
        assert.deepStrictEqual(await repo.listTokens(), []);
      });

      it('import is all or nothing when a serial already exists', async () => {
        await repo.importTokens([t2]);
        await assert.rejects(repo.importTokens([t1, tokenFixture({ serial: 'TK-0002', kind: 'hotp' }), t3]));
        assert.deepStrictEqual(await repo.listTokens(), [t2]);
      });

      it('import is all or nothing when a serial repeats within the batch', async () => {
        await assert.rejects(repo.importTokens([t1, t2, tokenFixture({ serial: 'TK-0001' })]));
        assert.deepStrictEqual(await repo.listTokens(), []);
      });

      it('assignToken assigns a free token once; absent tokens are refused', async () => {
        await repo.importTokens([t1]);
        assert.equal(await repo.assignToken('TK-0001', 'u-1'), true);
        assert.deepStrictEqual(await repo.getToken('TK-0001'), { ...t1, assignedTo: 'u-1' });
        assert.equal(await repo.assignToken('TK-0001', 'u-2'), false);
        assert.equal(await repo.assignToken('TK-0001', 'u-1'), false);
        assert.equal((await repo.getToken('TK-0001'))?.assignedTo, 'u-1');
        assert.equal(await repo.assignToken('TK-9999', 'u-1'), false);
        assert.equal(await repo.getToken('TK-9999'), null);
      });

      it('50 concurrent assignToken() for different users → exactly one winner, who holds it', async () => {
        await repo.importTokens([t1]);
        const results = await concurrently(50, (i) => repo.assignToken('TK-0001', `u-${i}`));
        assert.equal(countTrue(results), 1);
        const winner = results.indexOf(true);
        assert.equal((await repo.getToken('TK-0001'))?.assignedTo, `u-${winner}`);
      });

      it('unassignTokens frees only that user and counts; freed tokens can be reassigned', async () => {
        await repo.importTokens([t1, t2, t3]);
        await repo.assignToken('TK-0001', 'u-1');
        await repo.assignToken('TK-0002', 'u-1');
        await repo.assignToken('TK-0003', 'u-2');
        assert.equal(await repo.unassignTokens('u-1'), 2);
        assert.deepStrictEqual(await repo.listTokens(), [t1, t2, { ...t3, assignedTo: 'u-2' }]);
        assert.equal(await repo.unassignTokens('u-1'), 0);
        assert.equal(await repo.assignToken('TK-0001', 'u-3'), true);
      });

      it('unassignToken frees one token, only for its holder', async () => {
        await repo.importTokens([t1, t2]);
        await repo.assignToken('TK-0001', 'u-1');
        await repo.assignToken('TK-0002', 'u-1');
        assert.equal(await repo.unassignToken('TK-0001', 'u-2'), false, 'another user cannot free it');
        assert.equal(await repo.unassignToken('TK-0001', 'u-1'), true);
        assert.equal(await repo.unassignToken('TK-0001', 'u-1'), false);
        assert.equal(await repo.unassignToken('TK-9999', 'u-1'), false);
        assert.deepStrictEqual(await repo.listTokens(), [t1, { ...t2, assignedTo: 'u-1' }]);
      });

      it('hands out copies', async () => {
        await repo.importTokens([t1]);
        const got = await repo.getToken('TK-0001');
        assert.ok(got);
        got.assignedTo = 'u-1';
        const listed = await repo.listTokens();
        (listed[0] as OathTokenRecord).sealedSecret = 'mutated';
        assert.deepStrictEqual(await repo.getToken('TK-0001'), t1);
      });
    });

    describe('user state', () => {
      it('is null until set, then holds the latest value per user', async () => {
        assert.equal(await repo.getUserState('u-1'), null);
        await repo.setUserState('u-1', 'enabled');
        assert.equal(await repo.getUserState('u-1'), 'enabled');
        await repo.setUserState('u-1', 'enforced');
        assert.equal(await repo.getUserState('u-1'), 'enforced');
        await repo.setUserState('u-1', 'disabled');
        assert.equal(await repo.getUserState('u-1'), 'disabled');
        assert.equal(await repo.getUserState('u-2'), null);
        await repo.setUserState('u-2', 'enforced');
        assert.equal(await repo.getUserState('u-1'), 'disabled');
        assert.equal(await repo.getUserState('u-2'), 'enforced');
      });
    });

    describe('audit', () => {
      it('round-trips an event exactly, nested data and null user included', async () => {
        const e = auditFixture({
          id: 'a-rich',
          userId: null,
          type: 'mfa.token.import',
          data: {
            ip: '203.0.113.7',
            ok: false,
            attempts: 3,
            ratio: 0.25,
            none: null,
            text: 'ünïcödé ✓ "quoted" \\ \n',
            nested: { list: [1, 'two', null, { deep: true }], empty: {} },
          },
        });
        await repo.appendAudit(e);
        assert.deepStrictEqual(await repo.listAudit({ limit: 10 }), [e]);
      });

      it('lists newest first, up to the limit', async () => {
        const events = Array.from({ length: 5 }, (_, i) =>
          auditFixture({ id: `a-${i}`, at: CONTRACT_EPOCH + i * 1000, data: { i } }),
        );
        for (const e of events) await repo.appendAudit(e);
        assert.deepStrictEqual(await repo.listAudit({ limit: 10 }), [...events].reverse());
        assert.deepStrictEqual(await repo.listAudit({ limit: 2 }), [events[4], events[3]]);
        assert.deepStrictEqual(await repo.listAudit({ limit: 1 }), [events[4]]);
      });

      it('events appended in the same millisecond come back in reverse append order', async () => {
        const events = Array.from({ length: 4 }, (_, i) => auditFixture({ id: `same-${i}` }));
        for (const e of events) await repo.appendAudit(e);
        assert.deepStrictEqual(
          (await repo.listAudit({ limit: 10 })).map((e) => e.id),
          ['same-3', 'same-2', 'same-1', 'same-0'],
        );
      });

      it('filters by user before applying the limit', async () => {
        const a0 = auditFixture({ id: 'a0', userId: 'u-1', at: CONTRACT_EPOCH + 0 });
        const b0 = auditFixture({ id: 'b0', userId: 'u-2', at: CONTRACT_EPOCH + 1 });
        const a1 = auditFixture({ id: 'a1', userId: 'u-1', at: CONTRACT_EPOCH + 2 });
        const n0 = auditFixture({ id: 'n0', userId: null, at: CONTRACT_EPOCH + 3 });
        const b1 = auditFixture({ id: 'b1', userId: 'u-2', at: CONTRACT_EPOCH + 4 });
        const b2 = auditFixture({ id: 'b2', userId: 'u-2', at: CONTRACT_EPOCH + 5 });
        for (const e of [a0, b0, a1, n0, b1, b2]) await repo.appendAudit(e);
        assert.deepStrictEqual(await repo.listAudit({ userId: 'u-1', limit: 10 }), [a1, a0]);
        assert.deepStrictEqual(await repo.listAudit({ userId: 'u-1', limit: 1 }), [a1]);
        assert.deepStrictEqual(await repo.listAudit({ userId: 'u-2', limit: 2 }), [b2, b1]);
        assert.deepStrictEqual(await repo.listAudit({ userId: 'u-3', limit: 10 }), []);
        assert.deepStrictEqual(await repo.listAudit({ limit: 3 }), [b2, b1, n0]);
      });

      it('hands out copies', async () => {
        const e = auditFixture({ data: { nested: { n: 1 } } });
        await repo.appendAudit(e);
        const [got] = await repo.listAudit({ limit: 1 });
        assert.ok(got);
        got.data.nested = 'mutated';
        got.type = 'mutated';
        assert.deepStrictEqual(await repo.listAudit({ limit: 1 }), [
          auditFixture({ data: { nested: { n: 1 } } }),
        ]);
      });
    });

    describe('policy document (compare-and-set)', () => {
      const policyDoc = (overrides: Record<string, unknown> = {}) => ({
        namedLocations: [{ id: 'office', cidrs: ['203.0.113.0/24', '2001:db8::/32'] }],
        authenticationStrengths: [],
        policies: [
          {
            id: 'p-1',
            name: 'Règle « bureau » ✓',
            state: 'enabled',
            conditions: { users: { include: ['*'], exclude: [] }, locations: null, risk: ['high'] },
            grant: { operator: 'OR', controls: ['mfa'], sessionMinutes: 480, ratio: 0.5, block: false },
          },
        ],
        ...overrides,
      });

      it('getPolicyDocument is null until a document is saved', async () => {
        assert.equal(await repo.getPolicyDocument(), null);
      });

      it('the first save (expected 0) is version 1 and round-trips exactly, with who and when', async () => {
        const doc = policyDoc();
        const saved = await repo.putPolicyDocument(doc, 0, CONTRACT_EPOCH + 5, 'admin@example.com');
        const expected = {
          version: 1,
          document: policyDoc(),
          updatedAt: CONTRACT_EPOCH + 5,
          updatedBy: 'admin@example.com',
        };
        assert.deepStrictEqual(saved, expected);
        assert.deepStrictEqual(await repo.getPolicyDocument(), expected);
      });

      it('each save with the current version moves it up by one; a null author round-trips', async () => {
        assert.equal((await repo.putPolicyDocument(policyDoc({ rev: 1 }), 0, 1000, 'a'))?.version, 1);
        assert.equal((await repo.putPolicyDocument(policyDoc({ rev: 2 }), 1, 2000, 'b'))?.version, 2);
        const third = await repo.putPolicyDocument(policyDoc({ rev: 3 }), 2, 3000, null);
        const expected = { version: 3, document: policyDoc({ rev: 3 }), updatedAt: 3000, updatedBy: null };
        assert.deepStrictEqual(third, expected);
        assert.deepStrictEqual(await repo.getPolicyDocument(), expected);
      });

      it('a stale or wrong expectedVersion answers null and writes nothing', async () => {
        assert.equal(await repo.putPolicyDocument(policyDoc({ rev: 'x' }), 1, 500, 'x'), null);
        assert.equal(await repo.getPolicyDocument(), null, 'nothing saved yet: only expected 0 may write');
        await repo.putPolicyDocument(policyDoc({ rev: 1 }), 0, 1000, 'a');
        await repo.putPolicyDocument(policyDoc({ rev: 2 }), 1, 2000, 'b');
        const current = { version: 2, document: policyDoc({ rev: 2 }), updatedAt: 2000, updatedBy: 'b' };
        for (const stale of [0, 1, 3, 7, -1, 1.5]) {
          assert.equal(
            await repo.putPolicyDocument(policyDoc({ rev: 'stale' }), stale, 9000, 'z'),
            null,
            `expected ${stale}`,
          );
        }
        assert.deepStrictEqual(await repo.getPolicyDocument(), current);
      });

      it('20 concurrent first saves (expected 0) → exactly one wins, and its document is stored', async () => {
        const results = await concurrently(20, (i) =>
          repo.putPolicyDocument(policyDoc({ writer: i }), 0, CONTRACT_EPOCH + i, `w-${i}`),
        );
        const winners = results.flatMap((r, i) => (r ? [i] : []));
        assert.equal(winners.length, 1);
        const w = winners[0] as number;
        assert.equal(results[w]?.version, 1);
        assert.deepStrictEqual(await repo.getPolicyDocument(), {
          version: 1,
          document: policyDoc({ writer: w }),
          updatedAt: CONTRACT_EPOCH + w,
          updatedBy: `w-${w}`,
        });
      });

      it('20 concurrent saves with the current version → exactly one wins, and its document is stored', async () => {
        await repo.putPolicyDocument(policyDoc({ rev: 1 }), 0, 1000, 'a');
        await repo.putPolicyDocument(policyDoc({ rev: 2 }), 1, 2000, 'a');
        const results = await concurrently(20, (i) =>
          repo.putPolicyDocument(policyDoc({ writer: i }), 2, CONTRACT_EPOCH + i, `w-${i}`),
        );
        const winners = results.flatMap((r, i) => (r ? [i] : []));
        assert.equal(winners.length, 1);
        const w = winners[0] as number;
        assert.equal(results[w]?.version, 3);
        assert.deepStrictEqual(await repo.getPolicyDocument(), {
          version: 3,
          document: policyDoc({ writer: w }),
          updatedAt: CONTRACT_EPOCH + w,
          updatedBy: `w-${w}`,
        });
      });

      it('hands out copies: mutating the saved, returned or read document changes nothing stored', async () => {
        const doc = policyDoc();
        const saved = await repo.putPolicyDocument(doc, 0, 1000, 'a');
        assert.ok(saved);
        doc.policies.length = 0;
        doc.namedLocations[0]?.cidrs.push('0.0.0.0/0');
        (saved.document as { policies: unknown[] }).policies.push('mutated');
        saved.version = 99;
        const got = await repo.getPolicyDocument();
        assert.ok(got);
        const gotDoc = got.document as ReturnType<typeof policyDoc>;
        (gotDoc.policies[0] as { state: string }).state = 'disabled';
        gotDoc.namedLocations = [];
        got.updatedBy = 'mutated';
        const expected = { version: 1, document: policyDoc(), updatedAt: 1000, updatedBy: 'a' };
        assert.deepStrictEqual(await repo.getPolicyDocument(), expected);
        assert.ok(
          await repo.putPolicyDocument(policyDoc({ rev: 2 }), 1, 2000, 'a'),
          'the version is still 1',
        );
      });
    });

    describe('sightings', () => {
      it('are null until recorded, then hold the time of the sighting', async () => {
        assert.equal(await repo.getSighting('u-1', 'network', '203.0.113.0/24'), null);
        await repo.recordSighting('u-1', 'network', '203.0.113.0/24', CONTRACT_EPOCH + 10);
        assert.equal(await repo.getSighting('u-1', 'network', '203.0.113.0/24'), CONTRACT_EPOCH + 10);
        assert.equal(await repo.getSighting('u-1', 'network', '198.51.100.0/24'), null);
      });

      it('keep the latest time: an older sighting never moves it back', async () => {
        await repo.recordSighting('u-1', 'device', 'dev-hash', CONTRACT_EPOCH + 2000);
        await repo.recordSighting('u-1', 'device', 'dev-hash', CONTRACT_EPOCH + 1000);
        assert.equal(await repo.getSighting('u-1', 'device', 'dev-hash'), CONTRACT_EPOCH + 2000);
        await repo.recordSighting('u-1', 'device', 'dev-hash', CONTRACT_EPOCH + 2000);
        assert.equal(await repo.getSighting('u-1', 'device', 'dev-hash'), CONTRACT_EPOCH + 2000);
        await repo.recordSighting('u-1', 'device', 'dev-hash', CONTRACT_EPOCH + 3000);
        assert.equal(await repo.getSighting('u-1', 'device', 'dev-hash'), CONTRACT_EPOCH + 3000);
      });

      it('keep kinds, keys and users apart, even when ids contain separators', async () => {
        await repo.recordSighting('u-1', 'network', 'k', 1000);
        assert.equal(await repo.getSighting('u-1', 'device', 'k'), null, 'another kind');
        assert.equal(await repo.getSighting('u-2', 'network', 'k'), null, 'another user');
        await repo.recordSighting('u-1', 'device', 'k', 2000);
        await repo.recordSighting('u-2', 'network', 'k', 3000);
        assert.equal(await repo.getSighting('u-1', 'network', 'k'), 1000);
        assert.equal(await repo.getSighting('u-1', 'device', 'k'), 2000);
        assert.equal(await repo.getSighting('u-2', 'network', 'k'), 3000);
        assert.equal(await repo.getSighting('u-2', 'device', 'k'), null);

        await repo.recordSighting('a:b', 'network', 'c', 4000);
        assert.equal(await repo.getSighting('a', 'network', 'b:c'), null);
        assert.equal(await repo.getSighting('a:b', 'network', 'c'), 4000);
      });

      it('50 concurrent sightings at shuffled times end at the latest', async () => {
        await concurrently(50, (i) =>
          repo.recordSighting('u-1', 'network', 'n', CONTRACT_EPOCH + ((i * 17) % 50)),
        );
        assert.equal(await repo.getSighting('u-1', 'network', 'n'), CONTRACT_EPOCH + 49);
      });
    });

    describe('fraud flag', () => {
      it('is null until flagged, holds the latest flag time, and clears; per user', async () => {
        assert.equal(await repo.getFraudFlag('u-1'), null);
        await repo.setFraudFlag('u-1', CONTRACT_EPOCH + 1);
        assert.equal(await repo.getFraudFlag('u-1'), CONTRACT_EPOCH + 1);
        assert.equal(await repo.getFraudFlag('u-2'), null, 'another user is not flagged');
        await repo.setFraudFlag('u-2', CONTRACT_EPOCH + 2);
        await repo.setFraudFlag('u-1', CONTRACT_EPOCH + 3);
        assert.equal(await repo.getFraudFlag('u-1'), CONTRACT_EPOCH + 3);
        await repo.setFraudFlag('u-1', null);
        assert.equal(await repo.getFraudFlag('u-1'), null);
        assert.equal(
          await repo.getFraudFlag('u-2'),
          CONTRACT_EPOCH + 2,
          'clearing one user leaves the other',
        );
        await repo.setFraudFlag('u-1', null);
        await repo.setFraudFlag('nobody', null);
        assert.equal(await repo.getFraudFlag('u-1'), null);
        await repo.setFraudFlag('u-1', CONTRACT_EPOCH + 4);
        assert.equal(await repo.getFraudFlag('u-1'), CONTRACT_EPOCH + 4, 'can be flagged again');
      });
    });

    describe('ephemeral: consumeOnce', () => {
      it('is true for the first caller only, per key', async () => {
        assert.equal(await eph.consumeOnce('once:a', 60_000), true);
        assert.equal(await eph.consumeOnce('once:a', 60_000), false);
        assert.equal(await eph.consumeOnce('once:b', 60_000), true);
      });

      it('holds for exactly ttlMs; failed attempts do not extend the window', async () => {
        assert.equal(await eph.consumeOnce('k', 1000), true);
        later(500);
        assert.equal(await eph.consumeOnce('k', 1000), false);
        later(499);
        assert.equal(await eph.consumeOnce('k', 1000), false);
        later(1);
        assert.equal(await eph.consumeOnce('k', 1000), true, 'consumable again once the ttl has run out');
        assert.equal(await eph.consumeOnce('k', 1000), false);
        later(999);
        assert.equal(await eph.consumeOnce('k', 1000), false, 'the new mark has its own ttl');
      });

      it('50 concurrent consumeOnce() → exactly one true', async () => {
        const results = await concurrently(50, () => eph.consumeOnce('k', 60_000));
        assert.equal(countTrue(results), 1);
      });

      it('after expiry, 50 concurrent consumeOnce() → exactly one true again', async () => {
        assert.equal(await eph.consumeOnce('k', 1000), true);
        later(1000);
        const results = await concurrently(50, () => eph.consumeOnce('k', 1000));
        assert.equal(countTrue(results), 1);
      });

      it('delete releases the mark', async () => {
        assert.equal(await eph.consumeOnce('k', 60_000), true);
        await eph.delete('k');
        assert.equal(await eph.consumeOnce('k', 60_000), true);
      });
    });

    describe('ephemeral: increment', () => {
      it('counts up from 1; getCount reads it; absent keys count 0', async () => {
        assert.equal(await eph.getCount('fails:u-1'), 0);
        assert.equal(await eph.increment('fails:u-1', 60_000), 1);
        assert.equal(await eph.increment('fails:u-1', 60_000), 2);
        assert.equal(await eph.increment('fails:u-1', 60_000), 3);
        assert.equal(await eph.getCount('fails:u-1'), 3);
        assert.equal(await eph.getCount('fails:u-2'), 0);
        assert.equal(await eph.increment('fails:u-2', 60_000), 1);
        assert.equal(await eph.getCount('fails:u-1'), 3);
      });

      it('50 concurrent increment() → final count 50, returned values exactly 1..50', async () => {
        const results = await concurrently(50, () => eph.increment('k', 60_000));
        assert.deepStrictEqual(
          [...results].sort((a, b) => a - b),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        assert.equal(await eph.getCount('k'), 50);
      });

      it('expiry slides: each increment pushes it to now + ttl; after that the count restarts', async () => {
        const t0 = clock.now();
        assert.equal(await eph.increment('k', 1000), 1);
        clock.set(t0 + 999);
        assert.equal(await eph.increment('k', 1000), 2);
        clock.set(t0 + 1998);
        assert.equal(await eph.increment('k', 1000), 3, 'still counting 1998 ms after the first increment');
        clock.set(t0 + 2997);
        assert.equal(await eph.getCount('k'), 3);
        clock.set(t0 + 2998);
        assert.equal(await eph.getCount('k'), 0, 'expired ttl ms after the last increment');
        assert.equal(await eph.increment('k', 1000), 1);
        assert.equal(await eph.getCount('k'), 1);
      });

      it('the first increment after expiry starts again at 1', async () => {
        await eph.increment('k', 1000);
        await eph.increment('k', 1000);
        later(1000);
        assert.equal(await eph.increment('k', 1000), 1);
        assert.equal(await eph.getCount('k'), 1);
      });

      it('getCount does not extend the expiry', async () => {
        await eph.increment('k', 1000);
        later(900);
        assert.equal(await eph.getCount('k'), 1);
        later(100);
        assert.equal(await eph.getCount('k'), 0);
      });

      it('delete resets the count', async () => {
        await eph.increment('k', 60_000);
        await eph.increment('k', 60_000);
        await eph.delete('k');
        assert.equal(await eph.getCount('k'), 0);
        assert.equal(await eph.increment('k', 60_000), 1);
      });
    });

    describe('ephemeral: decrement', () => {
      const countTo = async (key: string, n: number, ttlMs = 60_000) => {
        for (let i = 0; i < n; i++) await eph.increment(key, ttlMs);
      };

      it('takes one off a live count and returns the new count, never below zero', async () => {
        await countTo('k', 2);
        assert.equal(await eph.decrement('k'), 1);
        assert.equal(await eph.getCount('k'), 1);
        assert.equal(await eph.decrement('k'), 0);
        assert.equal(await eph.decrement('k'), 0, 'a count at zero stays at zero');
        assert.equal(await eph.getCount('k'), 0);
        assert.equal(await eph.increment('k', 60_000), 1, 'no headroom was created below zero');
      });

      it('an absent key stays absent: no negative count a later increment would start from', async () => {
        assert.equal(await eph.decrement('nothing'), 0);
        assert.equal(await eph.getCount('nothing'), 0);
        assert.equal(await eph.increment('nothing', 60_000), 1);
      });

      it('an expired count is not revived', async () => {
        await countTo('k', 3, 1000);
        later(1000);
        assert.equal(await eph.decrement('k'), 0);
        assert.equal(await eph.getCount('k'), 0);
        assert.equal(await eph.increment('k', 1000), 1);
      });

      it('leaves the expiry where the last increment put it', async () => {
        const t0 = clock.now();
        await countTo('k', 3, 1000);
        clock.set(t0 + 900);
        assert.equal(await eph.decrement('k'), 2);
        clock.set(t0 + 999);
        assert.equal(await eph.getCount('k'), 2);
        clock.set(t0 + 1000);
        assert.equal(
          await eph.getCount('k'),
          0,
          'expired ttl ms after the last increment, not the decrement',
        );
      });

      it('only touches its own key', async () => {
        await countTo('a', 2);
        await countTo('b', 2);
        await eph.decrement('a');
        assert.equal(await eph.getCount('a'), 1);
        assert.equal(await eph.getCount('b'), 2);
      });

      it('50 concurrent decrement() of a count of 30 → ends at 0; returns 29..1 once each and 0 to the rest', async () => {
        await countTo('k', 30);
        const results = await concurrently(50, () => eph.decrement('k'));
        assert.deepStrictEqual(
          [...results].sort((a, b) => a - b),
          [...Array.from({ length: 21 }, () => 0), ...Array.from({ length: 29 }, (_, i) => i + 1)],
        );
        assert.equal(await eph.getCount('k'), 0);
      });

      it('25 increments racing 25 decrements on a count of 50 → back at 50, none lost', async () => {
        await countTo('k', 50);
        await concurrently(50, (i) => (i % 2 === 0 ? eph.increment('k', 60_000) : eph.decrement('k')));
        assert.equal(await eph.getCount('k'), 50);
      });
    });

    describe('ephemeral: put / get / take / delete', () => {
      it('round-trips values exactly', async () => {
        const values = [
          '',
          'plain',
          'ünïcödé ✓ 🔐',
          JSON.stringify({ a: [1, null], b: 'x' }),
          'x'.repeat(65_536),
        ];
        for (const [i, v] of values.entries()) await eph.put(`v:${i}`, v, 60_000);
        for (const [i, v] of values.entries()) assert.equal(await eph.get(`v:${i}`), v);
        assert.equal(await eph.get('v:absent'), null);
      });

      it('get answers null once the ttl has run out, and does not extend it', async () => {
        await eph.put('k', 'v', 1000);
        later(999);
        assert.equal(await eph.get('k'), 'v');
        later(1);
        assert.equal(await eph.get('k'), null);
        assert.equal(await eph.take('k'), null);
      });

      it('put overwrites the value and restarts the ttl', async () => {
        await eph.put('k', 'first', 1000);
        later(900);
        await eph.put('k', 'second', 1000);
        later(900);
        assert.equal(await eph.get('k'), 'second');
        later(100);
        assert.equal(await eph.get('k'), null);
      });

      it('put after expiry stores the new value', async () => {
        await eph.put('k', 'old', 1000);
        later(5000);
        await eph.put('k', 'new', 1000);
        assert.equal(await eph.get('k'), 'new');
      });

      it('take reads and deletes', async () => {
        await eph.put('k', 'v', 60_000);
        assert.equal(await eph.take('k'), 'v');
        assert.equal(await eph.take('k'), null);
        assert.equal(await eph.get('k'), null);
        assert.equal(await eph.take('absent'), null);
      });

      it('take of an expired entry answers null', async () => {
        await eph.put('k', 'v', 1000);
        later(1000);
        assert.equal(await eph.take('k'), null);
        assert.equal(await eph.get('k'), null);
      });

      it('50 concurrent take() of one key → exactly one gets the value', async () => {
        await eph.put('k', 'the-value', 60_000);
        const results = await concurrently(50, () => eph.take('k'));
        assert.equal(results.filter((r) => r === 'the-value').length, 1);
        assert.equal(results.filter((r) => r === null).length, 49);
        assert.equal(await eph.get('k'), null);
      });

      it('delete removes one key; deleting an absent key is fine', async () => {
        await eph.put('a', '1', 60_000);
        await eph.put('b', '2', 60_000);
        await eph.delete('a');
        assert.equal(await eph.get('a'), null);
        assert.equal(await eph.get('b'), '2');
        await eph.delete('absent');
      });
    });

    describe('oidc store', () => {
      let oidc: OidcStore;
      beforeEach(function () {
        // The port is optional on Stores; an adapter without it skips these cases.
        if (!stores.oidc) this.skip();
        oidc = stores.oidc;
      });
      const inAMinute = () => clock.now() + 60_000;

      it('round-trips a JSON payload as a fresh copy; upsert replaces it', async () => {
        const payload = {
          jti: 'at-1',
          kind: 'AccessToken',
          scope: 'openid email',
          claims: { id_token: { email: null } },
          extra: { 'ünï 🔐': [1, 2.5, true, null] },
          exp: 1_700_000_060,
        };
        await oidc.upsert('AccessToken', 'at-1', payload, inAMinute());
        const found = await oidc.find('AccessToken', 'at-1');
        assert.deepEqual(found, payload);
        assert.notEqual(found, payload);
        if (found) found.scope = 'mutated';
        assert.equal((await oidc.find('AccessToken', 'at-1'))?.scope, 'openid email');

        await oidc.upsert('AccessToken', 'at-1', { jti: 'at-1', scope: 'openid' }, inAMinute());
        assert.deepEqual(await oidc.find('AccessToken', 'at-1'), { jti: 'at-1', scope: 'openid' });
        assert.equal(await oidc.find('AccessToken', 'absent'), null);
      });

      it('an entry expires at expiresAtMs; null never expires; upsert restarts the expiry', async () => {
        await oidc.upsert('AccessToken', 'short', { jti: 'short' }, clock.now() + 1000);
        await oidc.upsert('Client', 'c-1', { client_id: 'c-1' }, null);
        later(999);
        assert.ok(await oidc.find('AccessToken', 'short'));
        later(1);
        assert.equal(await oidc.find('AccessToken', 'short'), null);
        assert.equal(await oidc.consume('AccessToken', 'short', 1), false);
        later(365 * 86_400_000);
        assert.deepEqual(await oidc.find('Client', 'c-1'), { client_id: 'c-1' });

        await oidc.upsert('Session', 's', { uid: 'u' }, clock.now() + 1000);
        later(900);
        await oidc.upsert('Session', 's', { uid: 'u' }, clock.now() + 1000);
        later(900);
        assert.ok(await oidc.find('Session', 's'));
        assert.ok(await oidc.findByUid('Session', 'u'));
      });

      it('findByUid and findByUserCode find live entries of that model only', async () => {
        await oidc.upsert('Session', 's-1', { uid: 'uid-1', accountId: 'a' }, inAMinute());
        await oidc.upsert('DeviceCode', 'dc-1', { userCode: 'ABCD-EFGH', grantId: 'g' }, clock.now() + 1000);
        assert.deepEqual(await oidc.findByUid('Session', 'uid-1'), { uid: 'uid-1', accountId: 'a' });
        assert.equal(await oidc.findByUid('Interaction', 'uid-1'), null);
        assert.equal(await oidc.findByUid('Session', 'uid-2'), null);
        assert.deepEqual(await oidc.findByUserCode('DeviceCode', 'ABCD-EFGH'), {
          userCode: 'ABCD-EFGH',
          grantId: 'g',
        });
        assert.equal(await oidc.findByUserCode('DeviceCode', 'abcd-efgh'), null);

        // The index follows the payload: a new uid replaces the old one.
        await oidc.upsert('Session', 's-1', { uid: 'uid-2' }, inAMinute());
        assert.equal(await oidc.findByUid('Session', 'uid-1'), null);
        assert.deepEqual(await oidc.findByUid('Session', 'uid-2'), { uid: 'uid-2' });

        later(1000);
        assert.equal(await oidc.findByUserCode('DeviceCode', 'ABCD-EFGH'), null);
      });

      it('consume sets payload.consumed once; find shows it', async () => {
        await oidc.upsert('AuthorizationCode', 'code-1', { jti: 'code-1', grantId: 'g' }, inAMinute());
        assert.equal(await oidc.consume('AuthorizationCode', 'code-1', 1_700_000_005), true);
        assert.deepEqual(await oidc.find('AuthorizationCode', 'code-1'), {
          jti: 'code-1',
          grantId: 'g',
          consumed: 1_700_000_005,
        });
        assert.equal(await oidc.consume('AuthorizationCode', 'code-1', 1_700_000_009), false);
        assert.equal((await oidc.find('AuthorizationCode', 'code-1'))?.consumed, 1_700_000_005);
        assert.equal(await oidc.consume('AuthorizationCode', 'absent', 1), false);
        assert.equal(await oidc.consume('AccessToken', 'code-1', 1), false, 'models are apart');
      });

      it('20 concurrent consume() of one entry → exactly one wins', async () => {
        await oidc.upsert('AuthorizationCode', 'code-1', { jti: 'code-1' }, inAMinute());
        const results = await concurrently(20, (i) => oidc.consume('AuthorizationCode', 'code-1', 1000 + i));
        assert.equal(countTrue(results), 1);
        const winner = results.indexOf(true);
        assert.equal((await oidc.find('AuthorizationCode', 'code-1'))?.consumed, 1000 + winner);
      });

      it("revokeByGrantId removes that model's entries of that grant, and nothing else", async () => {
        await oidc.upsert('AccessToken', 'at-1', { grantId: 'g-1' }, inAMinute());
        await oidc.upsert('AccessToken', 'at-3', { grantId: 'g-1' }, inAMinute());
        await oidc.upsert('RefreshToken', 'rt-1', { grantId: 'g-1' }, inAMinute());
        await oidc.upsert('Interaction', 'i-1', { grantId: 'g-1' }, inAMinute());
        await oidc.upsert('AccessToken', 'at-2', { grantId: 'g-2' }, inAMinute());
        await oidc.upsert('Grant', 'g-1', { jti: 'g-1', accountId: 'a' }, inAMinute());
        await oidc.revokeByGrantId('AccessToken', 'g-1');
        assert.equal(await oidc.find('AccessToken', 'at-1'), null);
        assert.equal(await oidc.find('AccessToken', 'at-3'), null);
        assert.ok(await oidc.find('RefreshToken', 'rt-1'), 'another model of the grant stays');
        assert.ok(await oidc.find('Interaction', 'i-1'), 'an open interaction stays');
        assert.ok(await oidc.find('AccessToken', 'at-2'));
        assert.ok(await oidc.find('Grant', 'g-1'), 'the Grant itself has no grantId');
        await oidc.revokeByGrantId('RefreshToken', 'g-1');
        assert.equal(await oidc.find('RefreshToken', 'rt-1'), null);
        await oidc.revokeByGrantId('AccessToken', 'absent');
      });

      it('destroy removes one entry and its lookups; destroying an absent one is fine', async () => {
        await oidc.upsert('Session', 's-1', { uid: 'uid-1' }, inAMinute());
        await oidc.upsert('Session', 's-2', { uid: 'uid-2' }, inAMinute());
        await oidc.destroy('Session', 's-1');
        assert.equal(await oidc.find('Session', 's-1'), null);
        assert.equal(await oidc.findByUid('Session', 'uid-1'), null);
        assert.ok(await oidc.find('Session', 's-2'));
        await oidc.destroy('Session', 'absent');
      });

      it('models are kept apart: one id in two models is two entries', async () => {
        await oidc.upsert('AccessToken', 'x', { model: 'AccessToken' }, inAMinute());
        await oidc.upsert('RefreshToken', 'x', { model: 'RefreshToken' }, inAMinute());
        assert.deepEqual(await oidc.find('AccessToken', 'x'), { model: 'AccessToken' });
        assert.deepEqual(await oidc.find('RefreshToken', 'x'), { model: 'RefreshToken' });
        await oidc.destroy('AccessToken', 'x');
        assert.equal(await oidc.find('AccessToken', 'x'), null);
        assert.deepEqual(await oidc.find('RefreshToken', 'x'), { model: 'RefreshToken' });
        // A separator in the name cannot make two keys collide.
        await oidc.upsert('a:b', 'c', { n: 1 }, null);
        await oidc.upsert('a', 'b:c', { n: 2 }, null);
        assert.deepEqual(await oidc.find('a:b', 'c'), { n: 1 });
        assert.deepEqual(await oidc.find('a', 'b:c'), { n: 2 });
      });
    });
  });
}
