// The user-states part of the store contract (src/store/ports/user-states.ts): absent until
// set, then the latest value per user.
import assert from 'node:assert/strict';
import type { UserStateStore } from '../../../src/store/ports.ts';
import type { ContractContext } from './harness.ts';

export function userStatesContract(ctx: ContractContext): void {
  describe('user state', () => {
    let repo: UserStateStore;
    beforeEach(() => {
      repo = ctx.stores.repository;
    });

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
}
