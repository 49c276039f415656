// Audit: the append-only log of security events (what `mfa.admin.auditLog()` reads). The
// contract checks: an event with nested JSON data round-trips exactly, lists are newest first
// by append order (also within one millisecond), the user filter applies before the limit,
// records come out as copies, and a prune removes only events older than its bound, oldest
// first, counting each once even when two run at once.

export interface AuditEventRecord {
  id: string;
  at: number;
  type: string;
  userId: string | null;
  data: Record<string, unknown>;
}

export interface AuditStore {
  appendAudit(event: AuditEventRecord): Promise<void>;
  /** Newest first by append order; a limit of zero or less lists nothing. */
  listAudit(filter: { userId?: string; limit: number }): Promise<AuditEventRecord[]>;
  /**
   * Retention: deletes up to `limit` events whose `at` is before `before` (ms since the epoch),
   * oldest `at` first (append order among equals), and returns how many it deleted. Events at
   * or after `before` are never touched; a limit of zero or less deletes nothing. One atomic
   * statement: prunes running at once never delete or count an event twice.
   */
  pruneAudit(before: number, limit: number): Promise<number>;
}
