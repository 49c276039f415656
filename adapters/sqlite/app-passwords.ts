// App passwords on SQLite: the `app_passwords` table, several rows per user, `apps` as JSON
// text. Adding one counts the user's rows and inserts inside one `BEGIN IMMEDIATE` transaction:
// the write lock is taken before the count, so another process adding for the same user waits
// and then counts this row too, and the maximum holds across processes. Touching is one
// conditional UPDATE (only a later time is written). Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { AppPasswordRecord, AppPasswordStore } from '../../src/store/ports.ts';
import { APP_PASSWORD_COLUMNS } from '../shared/row-records.ts';
import { int, isConstraintViolation, toRecord, transaction } from './rows.ts';

export class SqliteAppPasswordStore implements AppPasswordStore {
  #db: DatabaseSync;
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async addAppPassword(record: AppPasswordRecord, max: number) {
    return transaction(this.#db, () => {
      const held = this.#sql.count.get({ userId: record.userId });
      if (held && int(held, 'held') >= max) return false;
      try {
        this.#sql.insert.run({
          id: record.id,
          userId: record.userId,
          name: record.name,
          hash: record.hash,
          apps: JSON.stringify(record.apps),
          createdAt: record.createdAt,
          expiresAt: record.expiresAt,
          lastUsedAt: record.lastUsedAt,
        });
      } catch (error) {
        if (isConstraintViolation(error))
          throw new Error(`app password ${record.id} exists`, { cause: error });
        throw error;
      }
      return true;
    });
  }

  async listAppPasswords(userId: string) {
    return this.#sql.list.all({ userId }).map(toRecord.appPassword);
  }

  async touchAppPassword(userId: string, id: string, at: number) {
    this.#sql.touch.run({ userId, id, at });
  }

  async deleteAppPassword(userId: string, id: string) {
    return Number(this.#sql.delete.run({ userId, id }).changes) === 1;
  }

  async deleteAppPasswords(userId: string) {
    return this.#sql.deleteAll.all({ userId }).map((row) => String(row.id));
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    count: sql('SELECT count(*) AS held FROM app_passwords WHERE user_id = :userId'),
    insert: sql(
      `INSERT INTO app_passwords (${APP_PASSWORD_COLUMNS}) VALUES
       (:id, :userId, :name, :hash, :apps, :createdAt, :expiresAt, :lastUsedAt)`,
    ),
    list: sql(
      `SELECT ${APP_PASSWORD_COLUMNS} FROM app_passwords WHERE user_id = :userId ORDER BY created_at, id`,
    ),
    touch: sql(
      `UPDATE app_passwords SET last_used_at = :at
       WHERE user_id = :userId AND id = :id AND (last_used_at IS NULL OR last_used_at < :at)`,
    ),
    delete: sql('DELETE FROM app_passwords WHERE user_id = :userId AND id = :id'),
    deleteAll: sql('DELETE FROM app_passwords WHERE user_id = :userId RETURNING id'),
  };
}
