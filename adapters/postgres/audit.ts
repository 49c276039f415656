// The audit log on PostgreSQL: the `audit_events` table, ordered by its identity column `seq`
// (append order), event data stored as JSON text exactly as written. Expects a migrated schema.
// A prune is one DELETE whose rows are taken `FOR UPDATE SKIP LOCKED` along the
// `audit_events_by_time` index (migration 2): prunes running at once delete disjoint events, and
// none waits for another or counts an event the other deleted.
import type { AuditEventRecord, AuditStore } from '../../src/store/ports.ts';
import { AUDIT_COLUMNS } from '../shared/row-records.ts';
import { type PostgresDatabase, run, statement } from './queries.ts';
import { toRecord } from './rows.ts';

export class PostgresAuditStore implements AuditStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async appendAudit(event: AuditEventRecord) {
    const values = [event.id, event.at, event.type, event.userId, JSON.stringify(event.data)];
    await run(this.#db.pool, this.#sql.appendAudit, values);
  }
  async listAudit(filter: { userId?: string; limit: number }) {
    // A limit of zero or less (or none at all) lists nothing; a huge one is as good as none.
    const limit = Math.min(Math.floor(filter.limit), Number.MAX_SAFE_INTEGER);
    if (!(limit > 0)) return [];
    const result =
      filter.userId === undefined
        ? await run(this.#db.pool, this.#sql.listAudit, [limit])
        : await run(this.#db.pool, this.#sql.listAuditByUser, [filter.userId, limit]);
    return result.rows.map(toRecord.audit);
  }
  async pruneAudit(before: number, limit: number) {
    const max = Math.min(Math.floor(limit), Number.MAX_SAFE_INTEGER);
    if (!(max > 0)) return 0;
    // `at` is a whole number of ms: `at < before` is `at < ceil(before)`, which a bigint holds.
    const result = await run(this.#db.pool, this.#sql.pruneAudit, [Math.ceil(before), max]);
    return result.rowCount ?? 0;
  }
}

function prepare(db: PostgresDatabase) {
  const audit = db.table('audit_events');
  return {
    appendAudit: statement(`INSERT INTO ${audit} (${AUDIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`),
    listAudit: statement(`SELECT ${AUDIT_COLUMNS} FROM ${audit} ORDER BY seq DESC LIMIT $1`),
    listAuditByUser: statement(
      `SELECT ${AUDIT_COLUMNS} FROM ${audit} WHERE user_id = $1 ORDER BY seq DESC LIMIT $2`,
    ),
    pruneAudit: statement(
      `WITH doomed AS (
         SELECT seq FROM ${audit} WHERE at < $1 ORDER BY at, seq LIMIT $2 FOR UPDATE SKIP LOCKED
       )
       DELETE FROM ${audit} AS a USING doomed WHERE a.seq = doomed.seq`,
    ),
  };
}
