// Methods in memory: one map by method id. `markUsed` is how the counter store stamps a
// method's last use in the same synchronous step that moves its counter; the counter store's
// synchronous advance (`useCounters`) moves a new method's counter in the step that inserts it,
// and `insert` is how the token store registers a token's method in the step that assigns it. A
// lookup key is unique per kind: the check and the insert happen in one synchronous step.
import type { MethodRecord, MethodStore } from '../../src/store/ports.ts';
import { copy } from './copy.ts';

export class MemoryMethodStore implements MethodStore {
  #methods = new Map<string, MethodRecord>();
  #advanceCounter: (key: string, value: number) => void = () => {
    throw new Error('memory: no counter store attached to the method store');
  };

  /** Given by the counter store: its advance, run in the same synchronous step as an insert. */
  useCounters(advance: (key: string, value: number) => void): void {
    this.#advanceCounter = advance;
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
    if (counter !== undefined && method.counterKey !== null) this.#advanceCounter(method.counterKey, counter);
  }
  async markMethodUsed(userId: string, methodId: string, at: number) {
    const m = this.#methods.get(methodId);
    if (m && m.userId === userId && (m.lastUsedAt === null || m.lastUsedAt < at)) m.lastUsedAt = at;
  }
  async deleteMethod(userId: string, methodId: string) {
    const m = this.#methods.get(methodId);
    if (!m || m.userId !== userId) return false;
    return this.#methods.delete(methodId);
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
