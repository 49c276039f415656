// The Temporary Access Pass part of the store contract (src/store/ports/access-passes.ts): one
// pass per user, replaced in one step, a one-time pass consumed by exactly one caller even when
// fifty race for it, and a replaced or revoked pass never consumed.
import assert from 'node:assert/strict';
import type { AccessPassStore } from '../../../src/store/ports.ts';
import { accessPassFixture } from './fixtures.ts';
import { CONTRACT_EPOCH, type ContractContext } from './harness.ts';

export function accessPassesContract(ctx: ContractContext): void {
  describe('temporary access passes', () => {
    let repo: AccessPassStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

    it('round-trips a pass exactly, nulls and both kinds included', async () => {
      assert.equal(await repo.getAccessPass('u-1'), null);
      const once = accessPassFixture();
      assert.equal(await repo.putAccessPass(once), null, 'nothing replaced');
      assert.deepStrictEqual(await repo.getAccessPass('u-1'), once);
      const multi = accessPassFixture({ id: 'p-2', userId: 'u-2', oneTime: false, createdBy: null });
      await repo.putAccessPass(multi);
      assert.deepStrictEqual(await repo.getAccessPass('u-2'), multi);
      const used = accessPassFixture({ id: 'p-3', userId: 'u-3', usedAt: CONTRACT_EPOCH + 5 });
      await repo.putAccessPass(used);
      assert.deepStrictEqual(await repo.getAccessPass('u-3'), used);
    });

    it("put replaces the user's pass, returns the replaced one, and keeps users apart", async () => {
      const first = accessPassFixture();
      const other = accessPassFixture({ id: 'p-other', userId: 'u-2' });
      await repo.putAccessPass(first);
      await repo.putAccessPass(other);
      assert.equal(await repo.consumeAccessPass('u-1', 'p-1', CONTRACT_EPOCH + 1), true);
      const second = accessPassFixture({
        id: 'p-2',
        hash: 'k1:bmV3',
        oneTime: false,
        createdAt: CONTRACT_EPOCH + 9,
      });
      assert.deepStrictEqual(await repo.putAccessPass(second), { ...first, usedAt: CONTRACT_EPOCH + 1 });
      assert.deepStrictEqual(await repo.getAccessPass('u-1'), second, 'the new pass, unused');
      assert.deepStrictEqual(await repo.getAccessPass('u-2'), other, 'the other user is untouched');
    });

    it('a replaced pass can never be consumed; the new one can, once', async () => {
      await repo.putAccessPass(accessPassFixture());
      await repo.putAccessPass(accessPassFixture({ id: 'p-2' }));
      assert.equal(await repo.consumeAccessPass('u-1', 'p-1', CONTRACT_EPOCH + 1), false);
      assert.equal(await repo.consumeAccessPass('u-1', 'p-2', CONTRACT_EPOCH + 2), true);
      assert.equal(await repo.consumeAccessPass('u-1', 'p-2', CONTRACT_EPOCH + 3), false);
      assert.equal((await repo.getAccessPass('u-1'))?.usedAt, CONTRACT_EPOCH + 2, 'the first use is kept');
    });

    it('consume refuses an unknown user, a wrong id and another user holding the same id', async () => {
      await repo.putAccessPass(accessPassFixture());
      await repo.putAccessPass(accessPassFixture({ userId: 'u-2' }));
      assert.equal(await repo.consumeAccessPass('nobody', 'p-1', CONTRACT_EPOCH), false);
      assert.equal(await repo.consumeAccessPass('u-1', 'p-x', CONTRACT_EPOCH), false);
      assert.equal(await repo.consumeAccessPass('u-2', 'p-1', CONTRACT_EPOCH), true);
      assert.equal((await repo.getAccessPass('u-1'))?.usedAt, null, "u-1's pass is still unused");
    });

    it('50 concurrent consumes of one pass → exactly one true, and its time is stored', async () => {
      await repo.putAccessPass(accessPassFixture());
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => repo.consumeAccessPass('u-1', 'p-1', CONTRACT_EPOCH + 100 + i)),
      );
      assert.equal(results.filter((r) => r).length, 1);
      const winner = results.indexOf(true);
      assert.equal((await repo.getAccessPass('u-1'))?.usedAt, CONTRACT_EPOCH + 100 + winner);
    });

    it('50 concurrent consumes spread over 10 users → exactly one per user', async () => {
      for (let u = 0; u < 10; u++) await repo.putAccessPass(accessPassFixture({ userId: `u-${u}` }));
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => repo.consumeAccessPass(`u-${i % 10}`, 'p-1', CONTRACT_EPOCH)),
      );
      for (let u = 0; u < 10; u++)
        assert.equal(results.filter((r, i) => r && i % 10 === u).length, 1, `user u-${u}`);
    });

    it('delete removes only that user, once; a deleted pass is never consumed', async () => {
      await repo.putAccessPass(accessPassFixture());
      await repo.putAccessPass(accessPassFixture({ userId: 'u-2' }));
      assert.equal(await repo.deleteAccessPass('u-1'), true);
      assert.equal(await repo.deleteAccessPass('u-1'), false);
      assert.equal(await repo.getAccessPass('u-1'), null);
      assert.equal(await repo.consumeAccessPass('u-1', 'p-1', CONTRACT_EPOCH), false);
      assert.ok(await repo.getAccessPass('u-2'));
    });

    it('hands out copies: mutating a stored or returned record changes nothing stored', async () => {
      const record = accessPassFixture();
      await repo.putAccessPass(record);
      record.hash = 'changed';
      const got = await repo.getAccessPass('u-1');
      assert.ok(got);
      got.usedAt = 1;
      assert.deepStrictEqual(await repo.getAccessPass('u-1'), accessPassFixture());
    });
  });
}
