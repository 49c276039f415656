// The remembered-devices part of the store contract (src/store/ports/remembered-devices.ts):
// records round-trip and come out as copies, lists are the user's own oldest first, a device is
// revoked once by its owner only (fifty concurrent revokes: one winner).
import assert from 'node:assert/strict';
import type { RememberedDeviceRecord, RememberedDeviceStore } from '../../../src/store/ports.ts';
import { deviceFixture } from './fixtures.ts';
import { CONTRACT_EPOCH, type ContractContext, concurrently, countTrue } from './harness.ts';

export function rememberedDevicesContract(ctx: ContractContext): void {
  describe('remembered devices', () => {
    let repo: RememberedDeviceStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

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
}
