// User states on PostgreSQL: the `user_states` table (the column's CHECK allows the three states
// only), and the users' default methods in `default_methods`. Expects a migrated schema.
import type { UserMfaState, UserStateStore } from '../../src/store/ports.ts';
import { type PostgresDatabase, run, statement } from './queries.ts';
import { oneOf, text } from './rows.ts';

const STATES: readonly UserMfaState[] = ['disabled', 'enabled', 'enforced'];

export class PostgresUserStateStore implements UserStateStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async getUserState(userId: string) {
    const row = (await run(this.#db.pool, this.#sql.getUserState, [userId])).rows[0];
    return row ? oneOf(row, 'state', STATES) : null;
  }
  async setUserState(userId: string, state: UserMfaState) {
    await run(this.#db.pool, this.#sql.setUserState, [userId, state]);
  }
  async getDefaultMethod(userId: string) {
    const row = (await run(this.#db.pool, this.#sql.getDefaultMethod, [userId])).rows[0];
    return row ? text(row, 'method_id') : null;
  }
  async setDefaultMethod(userId: string, methodId: string | null) {
    if (methodId === null) await run(this.#db.pool, this.#sql.clearDefaultMethod, [userId]);
    else await run(this.#db.pool, this.#sql.setDefaultMethod, [userId, methodId]);
  }
}

function prepare(db: PostgresDatabase) {
  const states = db.table('user_states');
  const defaults = db.table('default_methods');
  return {
    getUserState: statement(`SELECT state FROM ${states} WHERE user_id = $1`),
    setUserState: statement(
      `INSERT INTO ${states} (user_id, state) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET state = excluded.state`,
    ),
    getDefaultMethod: statement(`SELECT method_id FROM ${defaults} WHERE user_id = $1`),
    setDefaultMethod: statement(
      `INSERT INTO ${defaults} (user_id, method_id) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET method_id = excluded.method_id`,
    ),
    clearDefaultMethod: statement(`DELETE FROM ${defaults} WHERE user_id = $1`),
  };
}
