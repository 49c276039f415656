// The audit log on SQLite: the `audit_events` table, ordered by its autoincrement `seq` (append
// order), event data stored as JSON text. Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { StoreError } from '../../src/errors.ts';
import type { AuditEventRecord, AuditStore } from '../../src/store/ports.ts';
import { int, type Row, text, textOrNull } from './rows.ts';

function toAudit(row: Row): AuditEventRecord {
  const data: unknown = JSON.parse(text(row, 'data'));
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new StoreError('sqlite: audit data is not an object');
  }
  return {
    id: text(row, 'id'),
    at: int(row, 'at'),
    type: text(row, 'type'),
    userId: textOrNull(row, 'user_id'),
    data: data as Record<string, unknown>,
  };
}

const AUDIT_COLUMNS = 'id, at, type, user_id, data';

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
    return rows.map(toAudit);
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
