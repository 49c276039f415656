// The OATH token inventory in memory: one map by serial. An import checks every serial before
// it stores any, so a refused batch leaves nothing behind; an assignment inserts the token's
// method through the method store before it marks the token, in one synchronous step.
import type { MethodRecord, OathTokenRecord, OathTokenStore } from '../../src/store/ports.ts';
import { copy } from './copy.ts';
import type { MemoryMethodStore } from './methods.ts';

export class MemoryOathTokenStore implements OathTokenStore {
  #tokens = new Map<string, OathTokenRecord>();
  #methods: MemoryMethodStore;

  constructor(methods: MemoryMethodStore) {
    this.#methods = methods;
  }

  async importTokens(tokens: OathTokenRecord[]) {
    const seen = new Set<string>();
    for (const t of tokens) {
      if (this.#tokens.has(t.serial) || seen.has(t.serial)) throw new Error(`token ${t.serial} exists`);
      seen.add(t.serial);
    }
    for (const t of tokens) this.#tokens.set(t.serial, copy(t));
  }
  async getToken(serial: string) {
    const t = this.#tokens.get(serial);
    return t ? copy(t) : null;
  }
  async listTokens() {
    return [...this.#tokens.values()].sort((a, b) => a.serial.localeCompare(b.serial)).map(copy);
  }
  async assignToken(serial: string, userId: string, method?: MethodRecord) {
    const t = this.#tokens.get(serial);
    if (!t || t.assignedTo !== null) return false;
    if (method) this.#methods.insert(method);
    t.assignedTo = userId;
    return true;
  }
  async unassignToken(serial: string, userId: string) {
    return this.unassignNow(serial, userId);
  }
  /** `unassignToken`, synchronously. */
  unassignNow(serial: string, userId: string): boolean {
    const t = this.#tokens.get(serial);
    if (!t || t.assignedTo !== userId) return false;
    t.assignedTo = null;
    return true;
  }
  async replaceTokenSecret(serial: string, expected: string, sealed: string) {
    const t = this.#tokens.get(serial);
    if (!t || t.sealedSecret !== expected) return false;
    t.sealedSecret = sealed;
    return true;
  }
  async unassignTokens(userId: string) {
    let n = 0;
    for (const t of this.#tokens.values()) {
      if (t.assignedTo === userId) {
        t.assignedTo = null;
        n++;
      }
    }
    return n;
  }
}
