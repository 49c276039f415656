// Temporary Access Passes on SQLite: the `access_passes` table, one row per user. Replacing is one
// `BEGIN IMMEDIATE` transaction (read the old row, upsert the new one); consuming a one-time
// pass is one conditional UPDATE whose row count says who won, so it holds across processes.
// Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AccessPassRecord, AccessPassStore } from '../../src/store/ports.ts';
import { ACCESS_PASS_COLUMNS } from '../shared/row-records.ts';
import { toRecord, transaction } from './rows.ts';

export class SqliteAccessPassStore implements AccessPassStore {
  #db: DatabaseSync;
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async putAccessPass(record: AccessPassRecord) {
    return transaction(this.#db, () => {
      const old = this.#sql.get.get({ userId: record.userId });
      this.#sql.upsert.run({
        userId: record.userId,
        id: record.id,
        hash: record.hash,
        createdAt: record.createdAt,
        startsAt: record.startsAt,
        expiresAt: record.expiresAt,
        oneTime: record.oneTime ? 1 : 0,
        usedAt: record.usedAt,
        createdBy: record.createdBy,
      });
      return old ? toRecord.accessPass(old) : null;
    });
  }

  async getAccessPass(userId: string) {
    const row = this.#sql.get.get({ userId });
    return row ? toRecord.accessPass(row) : null;
  }

  async consumeAccessPass(userId: string, id: string, at: number) {
    return Number(this.#sql.consume.run({ userId, id, at }).changes) === 1;
  }

  async deleteAccessPass(userId: string) {
    return Number(this.#sql.delete.run({ userId }).changes) === 1;
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    get: sql(`SELECT ${ACCESS_PASS_COLUMNS} FROM access_passes WHERE user_id = :userId`),
    upsert: sql(
      `INSERT INTO access_passes (${ACCESS_PASS_COLUMNS}) VALUES
       (:userId, :id, :hash, :createdAt, :startsAt, :expiresAt, :oneTime, :usedAt, :createdBy)
       ON CONFLICT (user_id) DO UPDATE SET id = excluded.id, hash = excluded.hash,
         created_at = excluded.created_at, starts_at = excluded.starts_at, expires_at = excluded.expires_at,
         one_time = excluded.one_time, used_at = excluded.used_at, created_by = excluded.created_by`,
    ),
    consume: sql(
      'UPDATE access_passes SET used_at = :at WHERE user_id = :userId AND id = :id AND used_at IS NULL',
    ),
    delete: sql('DELETE FROM access_passes WHERE user_id = :userId'),
  };
}
