// App passwords on PostgreSQL: the `app_passwords` table, several rows per user, `apps` as
// `text[]`. Adding one is a transaction that first takes a transaction-scoped advisory lock keyed
// by the schema and the user (`pg_advisory_xact_lock`), then counts the user's rows and inserts.
// A plain `INSERT … WHERE (SELECT count(*) …) < max` is not enough under READ COMMITTED: two
// concurrent statements each count from their own snapshot, neither sees the other's uncommitted
// row, and both insert. With the lock, a second adder on any connection or process waits until
// the first commits (or rolls back) and releases it; its count is a new statement with a new
// snapshot, which sees the committed row, so the maximum holds. Only adders of the same user
// wait for each other (two schemas on one database never share a key). Touching is one
// conditional UPDATE (only a later time is written). Expects a migrated schema.
import type { AppPasswordRecord, AppPasswordStore } from '../../src/store/ports.ts';
import { APP_PASSWORD_COLUMNS } from '../shared/row-records.ts';
import { isUniqueViolation, type PostgresDatabase, run, statement, transaction } from './queries.ts';
import { int, toRecord } from './rows.ts';

export class PostgresAppPasswordStore implements AppPasswordStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async addAppPassword(record: AppPasswordRecord, max: number) {
    const values = [
      record.id,
      record.userId,
      record.name,
      record.hash,
      record.apps,
      record.createdAt,
      record.expiresAt,
      record.lastUsedAt,
    ];
    try {
      return await transaction(this.#db.pool, async (client) => {
        await run(client, this.#sql.lockUser, [`mfakit app-passwords ${this.#db.schema} ${record.userId}`]);
        const held = (await run(client, this.#sql.count, [record.userId])).rows[0];
        if (held && int(held, 'held') >= max) return false;
        await run(client, this.#sql.insert, values);
        return true;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new Error(`app password ${record.id} exists`, { cause: error });
      throw error;
    }
  }

  async listAppPasswords(userId: string) {
    return (await run(this.#db.pool, this.#sql.list, [userId])).rows.map(toRecord.appPassword);
  }

  async touchAppPassword(userId: string, id: string, at: number) {
    await run(this.#db.pool, this.#sql.touch, [userId, id, at]);
  }

  async deleteAppPassword(userId: string, id: string) {
    return (await run(this.#db.pool, this.#sql.delete, [userId, id])).rowCount === 1;
  }

  async deleteAppPasswords(userId: string) {
    const rows = (await run(this.#db.pool, this.#sql.deleteAll, [userId])).rows;
    return rows.map((row) => String(row.id));
  }
}

function prepare(db: PostgresDatabase) {
  const passwords = db.table('app_passwords');
  return {
    lockUser: statement('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))'),
    count: statement(`SELECT count(*) AS held FROM ${passwords} WHERE user_id = $1`),
    insert: statement(
      `INSERT INTO ${passwords} (${APP_PASSWORD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    ),
    // COLLATE "C": ties ordered by code point, the same order whatever the database's locale.
    list: statement(
      `SELECT ${APP_PASSWORD_COLUMNS} FROM ${passwords} WHERE user_id = $1
       ORDER BY created_at, id COLLATE "C"`,
    ),
    touch: statement(
      `UPDATE ${passwords} SET last_used_at = $3
       WHERE user_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < $3)`,
    ),
    delete: statement(`DELETE FROM ${passwords} WHERE user_id = $1 AND id = $2`),
    deleteAll: statement(`DELETE FROM ${passwords} WHERE user_id = $1 RETURNING id`),
  };
}
