// The counters part of the store contract (src/store/ports/counters.ts): `advance` only moves
// forward (an absent counter counts as -1) with one winner among fifty concurrent callers,
// `incrementCounter` hands fifty concurrent callers 1..50 (the lockout's durable failure count),
// and `recordUse` moves the counter and stamps the method's last use together, once per step.
import assert from 'node:assert/strict';
import type { CounterStore, MethodStore } from '../../../src/store/ports.ts';
import { methodFixture } from './fixtures.ts';
import { CONTRACT_EPOCH, type ContractContext, concurrently, countTrue } from './harness.ts';

export function countersContract(ctx: ContractContext): void {
  describe('recordUse (advance + last used, atomically)', () => {
    let repo: MethodStore & CounterStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

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
        counterKey: 'token:TK-1',
        lastUsedAt: null,
      });
      const b = methodFixture({
        id: 'm-b',
        userId: 'u-2',
        kind: 'hotp',
        counterKey: 'token:TK-1',
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
    let repo: CounterStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

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

  describe('counters (incrementCounter)', () => {
    let repo: CounterStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

    it('counts from an absent counter: 1, 2, 3, read back as it stands; keys apart', async () => {
      assert.equal(await repo.incrementCounter('lockout:consecutive:u-1'), 1);
      assert.equal(await repo.incrementCounter('lockout:consecutive:u-1'), 2);
      assert.equal(await repo.incrementCounter('lockout:consecutive:u-2'), 1);
      assert.equal(await repo.incrementCounter('lockout:consecutive:u-1'), 3);
      assert.equal(await repo.getCounter('lockout:consecutive:u-1'), 3);
      assert.equal(await repo.getCounter('lockout:consecutive:u-2'), 1);
    });

    it('deleteCounter starts it again from one', async () => {
      await repo.incrementCounter('k');
      await repo.incrementCounter('k');
      await repo.deleteCounter('k');
      assert.equal(await repo.getCounter('k'), null);
      assert.equal(await repo.incrementCounter('k'), 1);
    });

    it('50 concurrent increments hand out 1..50, each once, and the counter ends at 50', async () => {
      const results = await concurrently(50, () => repo.incrementCounter('race'));
      assert.deepEqual(
        [...results].sort((a, b) => a - b),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.equal(await repo.getCounter('race'), 50);
    });
  });
}
