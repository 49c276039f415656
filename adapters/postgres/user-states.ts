// User states on PostgreSQL: the `user_states` table (the column's CHECK allows the three states
// only). Expects a migrated schema.
import type { UserMfaState, UserStateStore } from '../../src/store/ports.ts';
import { type PostgresDatabase, run, statement } from './queries.ts';
import { oneOf } from './rows.ts';

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
}

function prepare(db: PostgresDatabase) {
  const states = db.table('user_states');
  return {
    getUserState: statement(`SELECT state FROM ${states} WHERE user_id = $1`),
    setUserState: statement(
      `INSERT INTO ${states} (user_id, state) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET state = excluded.state`,
    ),
  };
}
