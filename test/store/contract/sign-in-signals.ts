// The sign-in signals part of the store contract (src/store/ports/sign-in-signals.ts):
// sightings keep the latest time (also under fifty concurrent writers) and keep users, kinds
// and keys apart; the fraud flag is set, replaced and cleared per user.
import assert from 'node:assert/strict';
import type { SignInSignalStore } from '../../../src/store/ports.ts';
import { CONTRACT_EPOCH, type ContractContext, concurrently } from './harness.ts';

export function signInSignalsContract(ctx: ContractContext): void {
  describe('sightings', () => {
    let repo: SignInSignalStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

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
    let repo: SignInSignalStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

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
      assert.equal(await repo.getFraudFlag('u-2'), CONTRACT_EPOCH + 2, 'clearing one user leaves the other');
      await repo.setFraudFlag('u-1', null);
      await repo.setFraudFlag('nobody', null);
      assert.equal(await repo.getFraudFlag('u-1'), null);
      await repo.setFraudFlag('u-1', CONTRACT_EPOCH + 4);
      assert.equal(await repo.getFraudFlag('u-1'), CONTRACT_EPOCH + 4, 'can be flagged again');
    });
  });
}
