// Recovery codes on SQLite: the `recovery_codes` table, one row per (user, hash). Replacing the
// set is one `BEGIN IMMEDIATE` transaction; consuming a code is one conditional UPDATE whose row
// count says who won, so it holds across processes. Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { RecoveryCodeStore } from '../../src/store/ports.ts';
import { int, transaction } from './rows.ts';

export class SqliteRecoveryCodeStore implements RecoveryCodeStore {
  #db: DatabaseSync;
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async replaceRecoveryCodes(userId: string, hashes: string[], at: number) {
    transaction(this.#db, () => {
      this.#sql.deleteRecoveryCodes.run({ userId });
      for (const hash of hashes) this.#sql.insertRecoveryCode.run({ userId, hash, at });
    });
  }
  async consumeRecoveryCode(userId: string, hash: string, at: number) {
    return Number(this.#sql.consumeRecoveryCode.run({ userId, hash, at }).changes) === 1;
  }
  async countRecoveryCodes(userId: string) {
    const row = this.#sql.countRecoveryCodes.get({ userId });
    return row ? int(row, 'n') : 0;
  }
  async deleteRecoveryCodes(userId: string) {
    this.#sql.deleteRecoveryCodes.run({ userId });
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    insertRecoveryCode: sql(
      // A hash listed twice is one code.
      `INSERT INTO recovery_codes (user_id, hash, created_at, used_at) VALUES (:userId, :hash, :at, NULL)
       ON CONFLICT (user_id, hash) DO NOTHING`,
    ),
    consumeRecoveryCode: sql(
      `UPDATE recovery_codes SET used_at = :at
       WHERE user_id = :userId AND hash = :hash AND used_at IS NULL`,
    ),
    countRecoveryCodes: sql(
      'SELECT count(*) AS n FROM recovery_codes WHERE user_id = :userId AND used_at IS NULL',
    ),
    deleteRecoveryCodes: sql('DELETE FROM recovery_codes WHERE user_id = :userId'),
  };
}
