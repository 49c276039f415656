// Recovery codes in memory: per user, a map from code hash to the time it was used (null: unused).
import type { RecoveryCodeStore } from '../../src/store/ports.ts';

export class MemoryRecoveryCodeStore implements RecoveryCodeStore {
  #recovery = new Map<string, Map<string, number | null>>();

  async replaceRecoveryCodes(userId: string, hashes: string[]) {
    this.#recovery.set(userId, new Map(hashes.map((h) => [h, null])));
  }
  async consumeRecoveryCode(userId: string, hash: string, at: number) {
    const codes = this.#recovery.get(userId);
    if (!codes?.has(hash) || codes.get(hash) !== null) return false;
    codes.set(hash, at);
    return true;
  }
  async countRecoveryCodes(userId: string) {
    const codes = this.#recovery.get(userId);
    return codes ? [...codes.values()].filter((v) => v === null).length : 0;
  }
  async deleteRecoveryCodes(userId: string) {
    this.#recovery.delete(userId);
  }
}
