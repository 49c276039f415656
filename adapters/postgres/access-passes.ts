// Temporary Access Passes on PostgreSQL: the `access_passes` table, one row per user. Replacing
// is one transaction that locks the user's row (SELECT … FOR UPDATE), keeps it to return and
// overwrites it, so a concurrent replacement waits and then returns this one; consuming a
// one-time pass is one conditional UPDATE whose row count says who won, so it holds across
// processes. Expects a migrated schema.

import type { AccessPassRecord, AccessPassStore } from '../../src/store/ports.ts';
import { ACCESS_PASS_COLUMNS } from '../shared/row-records.ts';
import { postgresStoreError } from './failures.ts';
import { type PostgresDatabase, run, statement, transaction } from './queries.ts';
import { toRecord } from './rows.ts';

export class PostgresAccessPassStore implements AccessPassStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async putAccessPass(record: AccessPassRecord) {
    const values = [
      record.userId,
      record.id,
      record.hash,
      record.createdAt,
      record.startsAt,
      record.expiresAt,
      record.oneTime,
      record.usedAt,
      record.createdBy,
    ];
    return transaction(this.#db.pool, async (client) => {
      // A first pass inserted by someone else between the two statements makes the insert find
      // it: go round again and replace it, locked. Only a delete racing every round can stop it.
      for (let attempt = 0; attempt < 3; attempt++) {
        const old = (await run(client, this.#sql.lock, [record.userId])).rows[0];
        if (old) {
          await run(client, this.#sql.replace, values);
          return toRecord.accessPass(old);
        }
        if ((await run(client, this.#sql.insertIfAbsent, values)).rowCount === 1) return null;
      }
      throw postgresStoreError('access pass kept changing while being replaced');
    });
  }

  async getAccessPass(userId: string) {
    const row = (await run(this.#db.pool, this.#sql.get, [userId])).rows[0];
    return row ? toRecord.accessPass(row) : null;
  }

  async consumeAccessPass(userId: string, id: string, at: number) {
    return (await run(this.#db.pool, this.#sql.consume, [userId, id, at])).rowCount === 1;
  }

  async deleteAccessPass(userId: string) {
    return (await run(this.#db.pool, this.#sql.delete, [userId])).rowCount === 1;
  }
}

function prepare(db: PostgresDatabase) {
  const passes = db.table('access_passes');
  return {
    get: statement(`SELECT ${ACCESS_PASS_COLUMNS} FROM ${passes} WHERE user_id = $1`),
    lock: statement(`SELECT ${ACCESS_PASS_COLUMNS} FROM ${passes} WHERE user_id = $1 FOR UPDATE`),
    replace: statement(
      `UPDATE ${passes} SET id = $2, hash = $3, created_at = $4, starts_at = $5, expires_at = $6,
         one_time = $7, used_at = $8, created_by = $9
       WHERE user_id = $1`,
    ),
    insertIfAbsent: statement(
      `INSERT INTO ${passes} (${ACCESS_PASS_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (user_id) DO NOTHING`,
    ),
    consume: statement(
      `UPDATE ${passes} SET used_at = $3 WHERE user_id = $1 AND id = $2 AND used_at IS NULL`,
    ),
    delete: statement(`DELETE FROM ${passes} WHERE user_id = $1`),
  };
}
