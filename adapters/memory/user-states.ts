// User states and default methods in memory: a map each, by user id.
import type { UserMfaState, UserStateStore } from '../../src/store/ports.ts';

export class MemoryUserStateStore implements UserStateStore {
  #states = new Map<string, UserMfaState>();
  #defaults = new Map<string, string>();

  async getUserState(userId: string) {
    return this.#states.get(userId) ?? null;
  }
  async setUserState(userId: string, state: UserMfaState) {
    this.#states.set(userId, state);
  }
  async getDefaultMethod(userId: string) {
    return this.#defaults.get(userId) ?? null;
  }
  async setDefaultMethod(userId: string, methodId: string | null) {
    if (methodId === null) this.#defaults.delete(userId);
    else this.#defaults.set(userId, methodId);
  }
}
