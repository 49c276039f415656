// User states in memory: one map by user id.
import type { UserMfaState, UserStateStore } from '../../src/store/ports.ts';

export class MemoryUserStateStore implements UserStateStore {
  #states = new Map<string, UserMfaState>();

  async getUserState(userId: string) {
    return this.#states.get(userId) ?? null;
  }
  async setUserState(userId: string, state: UserMfaState) {
    this.#states.set(userId, state);
  }
}
