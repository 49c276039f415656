// The audit log on SQLite: the `audit_events` table, ordered by its autoincrement `seq` (append
// order), event data stored as JSON text. Expects a migrated database. A prune is one DELETE
// (atomic under SQLite's write lock) walking the `audit_events_by_time` index (migration 7).
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
  async pruneAudit(before: number, limit: number) {
    const max = Math.min(Math.floor(limit), Number.MAX_SAFE_INTEGER);
    // A negative LIMIT would delete every old event: a limit of zero or less deletes nothing.
    if (!(max > 0)) return 0;
    return Number(this.#sql.pruneAudit.run({ before, limit: max }).changes);
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
    pruneAudit: sql(
      `DELETE FROM audit_events WHERE seq IN
         (SELECT seq FROM audit_events WHERE at < :before ORDER BY at, seq LIMIT :limit)`,
    ),
  };
}
