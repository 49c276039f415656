// Recovery codes on PostgreSQL: the `recovery_codes` table, one row per (user, hash). Replacing
// the set is one transaction (delete the old ones, insert the new ones); consuming a code is one
// conditional UPDATE whose row count says who won: a concurrent caller waits for the row lock and
// then finds the code used, so it holds across processes. Expects a migrated schema.
import type { RecoveryCodeStore } from '../../src/store/ports.ts';
import { type PostgresDatabase, run, statement, transaction } from './queries.ts';
import { int } from './rows.ts';

export class PostgresRecoveryCodeStore implements RecoveryCodeStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async replaceRecoveryCodes(userId: string, hashes: string[], at: number) {
    await transaction(this.#db.pool, async (client) => {
      await run(client, this.#sql.deleteRecoveryCodes, [userId]);
      await run(client, this.#sql.insertRecoveryCodes, [userId, hashes, at]);
    });
  }
  async consumeRecoveryCode(userId: string, hash: string, at: number) {
    return (await run(this.#db.pool, this.#sql.consumeRecoveryCode, [userId, hash, at])).rowCount === 1;
  }
  async countRecoveryCodes(userId: string) {
    const row = (await run(this.#db.pool, this.#sql.countRecoveryCodes, [userId])).rows[0];
    return row ? int(row, 'n') : 0;
  }
  async deleteRecoveryCodes(userId: string) {
    await run(this.#db.pool, this.#sql.deleteRecoveryCodes, [userId]);
  }
}

function prepare(db: PostgresDatabase) {
  const codes = db.table('recovery_codes');
  return {
    insertRecoveryCodes: statement(
      // One statement for the whole set; a hash listed twice is one code.
      `INSERT INTO ${codes} (user_id, hash, created_at, used_at)
       SELECT $1, hash, $3, NULL FROM unnest($2::text[]) AS hash
       ON CONFLICT (user_id, hash) DO NOTHING`,
    ),
    consumeRecoveryCode: statement(
      `UPDATE ${codes} SET used_at = $3 WHERE user_id = $1 AND hash = $2 AND used_at IS NULL`,
    ),
    countRecoveryCodes: statement(
      `SELECT count(*) AS n FROM ${codes} WHERE user_id = $1 AND used_at IS NULL`,
    ),
    deleteRecoveryCodes: statement(`DELETE FROM ${codes} WHERE user_id = $1`),
  };
}
