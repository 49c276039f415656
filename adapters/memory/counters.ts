// Counters in memory (also the session epochs): one map by key. `recordUse` moves the counter
// and stamps the method through the method store without awaiting in between, so it is atomic;
// the method store moves or deletes a method's counter through `advanceNow` / `deleteNow` the
// same way.
import type { CounterStore } from '../../src/store/ports.ts';
import type { MemoryMethodStore } from './methods.ts';

export class MemoryCounterStore implements CounterStore {
  #counters = new Map<string, number>();
  #methods: MemoryMethodStore;

  constructor(methods: MemoryMethodStore) {
    this.#methods = methods;
  }

  /** `advance`, synchronously. */
  advanceNow(key: string, value: number): boolean {
    const current = this.#counters.get(key) ?? -1;
    if (!(value > current)) return false;
    this.#counters.set(key, value);
    return true;
  }

  async advance(key: string, value: number) {
    return this.advanceNow(key, value);
  }
  async recordUse(use: { counterKey: string; value: number; methodId: string; at: number }) {
    const current = this.#counters.get(use.counterKey) ?? -1;
    if (!(use.value > current)) return false;
    this.#counters.set(use.counterKey, use.value);
    this.#methods.markUsed(use.methodId, use.at);
    return true;
  }
  async incrementCounter(key: string) {
    const next = (this.#counters.get(key) ?? 0) + 1;
    this.#counters.set(key, next);
    return next;
  }
  async getCounter(key: string) {
    return this.#counters.get(key) ?? null;
  }
  async deleteCounter(key: string) {
    this.deleteNow(key);
  }
  /** `deleteCounter`, synchronously. */
  deleteNow(key: string): void {
    this.#counters.delete(key);
  }
}
