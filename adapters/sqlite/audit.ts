// The audit log on SQLite: the `audit_events` table, ordered by its autoincrement `seq` (append
// order), event data stored as JSON text. Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AuditEventRecord, AuditStore } from '../../src/store/ports.ts';
import { AUDIT_COLUMNS } from '../shared/row-records.ts';
import { toRecord } from './rows.ts';

export class SqliteAuditStore implements AuditStore {
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#sql = prepare(db);
  }

  async appendAudit(event: AuditEventRecord) {
    this.#sql.appendAudit.run({
      id: event.id,
      at: event.at,
      type: event.type,
      userId: event.userId,
      data: JSON.stringify(event.data),
    });
  }
  async listAudit(filter: { userId?: string; limit: number }) {
    const limit = Math.floor(filter.limit);
    // SQLite reads a negative LIMIT as "no limit"; a limit of zero or less lists nothing.
    if (!(limit > 0)) return [];
    const rows =
      filter.userId === undefined
        ? this.#sql.listAudit.all({ limit })
        : this.#sql.listAuditByUser.all({ userId: filter.userId, limit });
    return rows.map(toRecord.audit);
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    appendAudit: sql(`INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES (:id, :at, :type, :userId, :data)`),
    listAudit: sql(`SELECT ${AUDIT_COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT :limit`),
    listAuditByUser: sql(
      `SELECT ${AUDIT_COLUMNS} FROM audit_events WHERE user_id = :userId ORDER BY seq DESC LIMIT :limit`,
    ),
  };
}
