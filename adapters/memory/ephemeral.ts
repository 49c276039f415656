// Ephemeral state in memory: one map of (value, expiresAt). An expired entry is absent and is
// dropped when touched; every operation runs without awaiting in between, so each is atomic.
import type { Clock } from '../../src/engine/capabilities.ts';
import type { EphemeralStore } from '../../src/store/ports.ts';

export class MemoryEphemeralStore implements EphemeralStore {
  #entries = new Map<string, { value: string; expiresAt: number }>();
  #clock: Clock;
  constructor(clock: Clock) {
    this.#clock = clock;
  }
  #live(key: string) {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.#clock.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }
  async consumeOnce(key: string, ttlMs: number) {
    if (this.#live(key)) return false;
    this.#entries.set(key, { value: '1', expiresAt: this.#clock.now() + ttlMs });
    return true;
  }
  async increment(key: string, ttlMs: number) {
    const e = this.#live(key);
    const count = (e ? Number(e.value) : 0) + 1;
    this.#entries.set(key, { value: String(count), expiresAt: this.#clock.now() + ttlMs });
    return count;
  }
  async decrement(key: string) {
    const e = this.#live(key);
    if (!e) return 0;
    const count = Math.max(0, Number(e.value) - 1);
    e.value = String(count);
    return count;
  }
  async getCount(key: string) {
    const e = this.#live(key);
    return e ? Number(e.value) : 0;
  }
  async put(key: string, value: string, ttlMs: number) {
    this.#entries.set(key, { value, expiresAt: this.#clock.now() + ttlMs });
  }
  async get(key: string) {
    return this.#live(key)?.value ?? null;
  }
  async take(key: string) {
    const e = this.#live(key);
    this.#entries.delete(key);
    return e?.value ?? null;
  }
  async delete(key: string) {
    this.#entries.delete(key);
  }
}
