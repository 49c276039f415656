// Audit: the append-only log of security events (what `mfa.admin.auditLog()` reads). The
// contract checks: an event with nested JSON data round-trips exactly, lists are newest first
// by append order (also within one millisecond), the user filter applies before the limit, and
// records come out as copies.

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
}
