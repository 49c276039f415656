// App passwords in memory: one list per user, oldest first. Each call runs without awaiting, so
// counting and adding is one step.
import type { AppPasswordRecord, AppPasswordStore } from '../../src/store/ports.ts';
import { copy } from './copy.ts';

export class MemoryAppPasswordStore implements AppPasswordStore {
  #byUser = new Map<string, AppPasswordRecord[]>();
  #ids = new Set<string>();

  async addAppPassword(record: AppPasswordRecord, max: number) {
    // Counted first, as the SQL adapters do: a user at the maximum gets false whatever the id.
    const list = this.#byUser.get(record.userId) ?? [];
    if (list.length >= max) return false;
    if (this.#ids.has(record.id)) throw new Error(`app password ${record.id} exists`);
    list.push(copy(record));
    list.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.#byUser.set(record.userId, list);
    this.#ids.add(record.id);
    return true;
  }
  async listAppPasswords(userId: string) {
    return (this.#byUser.get(userId) ?? []).map(copy);
  }
  async touchAppPassword(userId: string, id: string, at: number) {
    const found = this.#byUser.get(userId)?.find((p) => p.id === id);
    if (found && (found.lastUsedAt === null || found.lastUsedAt < at)) found.lastUsedAt = at;
  }
  async deleteAppPassword(userId: string, id: string) {
    const list = this.#byUser.get(userId) ?? [];
    const at = list.findIndex((p) => p.id === id);
    if (at < 0) return false;
    list.splice(at, 1);
    this.#ids.delete(id);
    return true;
  }
  async deleteAppPasswords(userId: string) {
    const list = this.#byUser.get(userId) ?? [];
    for (const p of list) this.#ids.delete(p.id);
    this.#byUser.delete(userId);
    return list.map((p) => p.id);
  }
}
