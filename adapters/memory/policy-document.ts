// The policy document in memory: one record, replaced by compare-and-set on its version.
import type { PolicyDocumentRecord, PolicyDocumentStore } from '../../src/store/ports.ts';
import { copy } from './copy.ts';

export class MemoryPolicyDocumentStore implements PolicyDocumentStore {
  #policy: PolicyDocumentRecord | null = null;

  async getPolicyDocument() {
    return this.#policy ? copy(this.#policy) : null;
  }
  async putPolicyDocument(document: unknown, expectedVersion: number, at: number, by: string | null) {
    // The SQLite adapter stores JSON text; refuse what it could not store, so both behave alike.
    if (JSON.stringify(document) === undefined) throw new TypeError('policy document is not JSON');
    const current = this.#policy?.version ?? 0;
    if (expectedVersion !== current) return null;
    this.#policy = { version: current + 1, document: copy(document), updatedAt: at, updatedBy: by };
    return copy(this.#policy);
  }
}
