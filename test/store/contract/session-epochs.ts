// The session-epochs part of the store contract (src/store/ports/session-epochs.ts): epochs are
// counters under `signin-epoch:<userId>` holding millisecond times; absent until the first
// revocation, exact, per user, and only ever later (fifty concurrent revocations at shuffled
// times leave the latest; a revocation in the same millisecond or earlier changes nothing).
import assert from 'node:assert/strict';
import type { SessionEpochStore } from '../../../src/store/ports.ts';
import { CONTRACT_EPOCH, type ContractContext, concurrently } from './harness.ts';

const epochKey = (userId: string) => `signin-epoch:${userId}`;

export function sessionEpochsContract(ctx: ContractContext): void {
  describe('session epochs', () => {
    let epochs: SessionEpochStore;
    beforeEach(() => {
      epochs = ctx.stores.repository;
    });

    it('are absent until a revocation, then hold its millisecond time exactly, per user', async () => {
      assert.equal(await epochs.getCounter(epochKey('u-1')), null);
      assert.equal(await epochs.advance(epochKey('u-1'), CONTRACT_EPOCH + 123), true);
      assert.equal(await epochs.getCounter(epochKey('u-1')), CONTRACT_EPOCH + 123);
      assert.equal(await epochs.getCounter(epochKey('u-2')), null, 'another user is untouched');
    });

    it('a revocation in the same millisecond or earlier changes nothing; a later one moves it', async () => {
      await epochs.advance(epochKey('u-1'), CONTRACT_EPOCH + 1000);
      assert.equal(await epochs.advance(epochKey('u-1'), CONTRACT_EPOCH + 1000), false);
      assert.equal(await epochs.advance(epochKey('u-1'), CONTRACT_EPOCH + 999), false);
      assert.equal(await epochs.getCounter(epochKey('u-1')), CONTRACT_EPOCH + 1000);
      assert.equal(await epochs.advance(epochKey('u-1'), CONTRACT_EPOCH + 1001), true);
      assert.equal(await epochs.getCounter(epochKey('u-1')), CONTRACT_EPOCH + 1001);
    });

    it('50 concurrent revocations at shuffled times leave the latest', async () => {
      await concurrently(50, (i) => epochs.advance(epochKey('u-1'), CONTRACT_EPOCH + ((i * 17) % 50)));
      assert.equal(await epochs.getCounter(epochKey('u-1')), CONTRACT_EPOCH + 49);
    });
  });
}
