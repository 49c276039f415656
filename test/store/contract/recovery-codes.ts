// The recovery-codes part of the store contract (src/store/ports/recovery-codes.ts): a
// replacement kills every old code, each code is consumed once (fifty concurrent consumes: one
// winner per code), only unused codes count, and users are kept apart.
import assert from 'node:assert/strict';
import type { RecoveryCodeStore } from '../../../src/store/ports.ts';
import { CONTRACT_EPOCH, type ContractContext, concurrently, countTrue } from './harness.ts';

export function recoveryCodesContract(ctx: ContractContext): void {
  describe('recovery codes', () => {
    let repo: RecoveryCodeStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

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
}
