// Methods in memory: one map by method id. `markUsed` is how the counter store stamps a
// method's last use in the same synchronous step that moves its counter; the counter and token
// stores' synchronous operations (`link`) move a new method's counter in the step that inserts it
// and release what a removed method held in the step that removes it, and `insert` is how the
// token store registers a token's method in the step that assigns it. A lookup key is unique per
// kind: the check and the insert happen in one synchronous step, as do the comparison and the
// write of a data replacement.
import { isDeepStrictEqual } from 'node:util';
import type { MethodData, MethodRecord, MethodRelease, MethodStore } from '../../src/store/ports.ts';
import { copy } from './copy.ts';

/** The counter and token stores' synchronous operations a method store runs in its own steps. */
export interface MethodStoreLinks {
  advanceCounter(key: string, value: number): void;
  deleteCounter(key: string): void;
  unassignToken(serial: string, userId: string): void;
}

export class MemoryMethodStore implements MethodStore {
  #methods = new Map<string, MethodRecord>();
  #links: MethodStoreLinks | null = null;

  /** Given once the counter and token stores exist (createMemoryRepository). */
  link(links: MethodStoreLinks): void {
    this.#links = links;
  }

  get #linked(): MethodStoreLinks {
    if (!this.#links)
      throw new Error('memory: the method store is not linked to its counter and token stores');
    return this.#links;
  }

  async listMethods(userId: string) {
    return [...this.#methods.values()]
      .filter((m) => m.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(copy);
  }
  async getMethod(userId: string, methodId: string) {
    const m = this.#methods.get(methodId);
    return m && m.userId === userId ? copy(m) : null;
  }
  async findMethodByLookupKey(kind: string, lookupKey: string) {
    for (const m of this.#methods.values()) if (m.kind === kind && m.lookupKey === lookupKey) return copy(m);
    return null;
  }
  async insertMethod(method: MethodRecord, counter?: number) {
    this.insert(method, counter);
  }
  /** `insertMethod` in one synchronous step: every check before anything is written. */
  insert(method: MethodRecord, counter?: number): void {
    if (this.#methods.has(method.id)) throw new Error(`method ${method.id} exists`);
    if (method.lookupKey !== null) {
      for (const m of this.#methods.values())
        if (m.kind === method.kind && m.lookupKey === method.lookupKey)
          throw new Error(`a ${method.kind} method with this lookup key exists`);
    }
    this.#methods.set(method.id, copy(method));
    if (counter !== undefined && method.counterKey !== null)
      this.#linked.advanceCounter(method.counterKey, counter);
  }
  async markMethodUsed(userId: string, methodId: string, at: number) {
    const m = this.#methods.get(methodId);
    if (m && m.userId === userId && (m.lastUsedAt === null || m.lastUsedAt < at)) m.lastUsedAt = at;
  }
  async listMethodsPage(afterId: string | null, limit: number) {
    return [...this.#methods.values()]
      .filter((m) => afterId === null || m.id > afterId)
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, limit)
      .map(copy);
  }
  async replaceMethodData(userId: string, methodId: string, expected: MethodData, data: MethodData) {
    const m = this.#methods.get(methodId);
    if (!m || m.userId !== userId || !isDeepStrictEqual(m.data, expected)) return false;
    m.data = copy(data);
    return true;
  }
  async deleteMethod(userId: string, methodId: string, release?: MethodRelease) {
    const m = this.#methods.get(methodId);
    if (!m || m.userId !== userId) return false;
    this.#methods.delete(methodId);
    if (release?.counterKey !== undefined) this.#linked.deleteCounter(release.counterKey);
    if (release?.tokenSerial !== undefined) this.#linked.unassignToken(release.tokenSerial, userId);
    return true;
  }
  async deleteAllMethods(userId: string) {
    let n = 0;
    for (const [id, m] of this.#methods) {
      if (m.userId === userId) {
        this.#methods.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Sets the method's last use (synchronously); a method deleted meanwhile is left alone. */
  markUsed(methodId: string, at: number): void {
    const m = this.#methods.get(methodId);
    if (m) m.lastUsedAt = at;
  }
}
