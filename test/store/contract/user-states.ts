// The user-states part of the store contract (src/store/ports/user-states.ts): a user's MFA
// state and default method, each absent until set, then the latest value per user; a default
// cleared by null.
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

    it('holds each user’s default method: null until chosen, the latest choice, none after null', async () => {
      assert.equal(await repo.getDefaultMethod('u-1'), null);
      await repo.setDefaultMethod('u-1', 'm-a');
      assert.equal(await repo.getDefaultMethod('u-1'), 'm-a');
      await repo.setDefaultMethod('u-1', 'm-b');
      assert.equal(await repo.getDefaultMethod('u-1'), 'm-b');
      assert.equal(await repo.getDefaultMethod('u-2'), null);
      await repo.setDefaultMethod('u-2', 'm-c');
      await repo.setDefaultMethod('u-1', null);
      assert.equal(await repo.getDefaultMethod('u-1'), null);
      assert.equal(await repo.getDefaultMethod('u-2'), 'm-c');
      // Clearing what is not set is no error; the user's MFA state is another value.
      await repo.setDefaultMethod('u-3', null);
      assert.equal(await repo.getDefaultMethod('u-3'), null);
      await repo.setUserState('u-2', 'enforced');
      assert.equal(await repo.getDefaultMethod('u-2'), 'm-c');
    });
  });
}
