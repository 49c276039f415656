// Temporary Access Passes in memory: one map by user id, since a user has at most one pass.
import type { AccessPassRecord, AccessPassStore } from '../../src/store/ports.ts';
import { copy } from './copy.ts';

export class MemoryAccessPassStore implements AccessPassStore {
  #accessPasses = new Map<string, AccessPassRecord>();

  async putAccessPass(record: AccessPassRecord) {
    const replaced = this.#accessPasses.get(record.userId) ?? null;
    this.#accessPasses.set(record.userId, copy(record));
    return replaced;
  }
  async getAccessPass(userId: string) {
    const pass = this.#accessPasses.get(userId);
    return pass ? copy(pass) : null;
  }
  async consumeAccessPass(userId: string, id: string, at: number) {
    const pass = this.#accessPasses.get(userId);
    if (!pass || pass.id !== id || pass.usedAt !== null) return false;
    pass.usedAt = at;
    return true;
  }
  async deleteAccessPass(userId: string) {
    return this.#accessPasses.delete(userId);
  }
}
