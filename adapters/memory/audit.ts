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
}
