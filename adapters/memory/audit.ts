// The audit log in memory: an array in append order, read from the end.
import type { AuditEventRecord, AuditStore } from '../../src/store/ports.ts';
import { copy } from './copy.ts';

export class MemoryAuditStore implements AuditStore {
  #audit: AuditEventRecord[] = [];

  async appendAudit(event: AuditEventRecord) {
    this.#audit.push(copy(event));
  }
  async listAudit(filter: { userId?: string; limit: number }) {
    if (filter.limit <= 0) return [];
    return this.#audit
      .filter((e) => filter.userId === undefined || e.userId === filter.userId)
      .slice(-filter.limit)
      .reverse()
      .map(copy);
  }
  async pruneAudit(before: number, limit: number) {
    const max = Math.floor(limit);
    if (!(max > 0)) return 0;
    // Oldest `at` first, append order among equals; no await in between, so prunes never overlap.
    const doomed = new Set(
      this.#audit
        .map((e, i) => ({ at: e.at, i }))
        .filter((e) => e.at < before)
        .sort((a, b) => a.at - b.at || a.i - b.i)
        .slice(0, max)
        .map((e) => e.i),
    );
    this.#audit = this.#audit.filter((_, i) => !doomed.has(i));
    return doomed.size;
  }
}
