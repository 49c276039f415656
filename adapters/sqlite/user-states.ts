// User states on SQLite: the `user_states` table (the column's CHECK allows the three states
// only), and the users' default methods in `default_methods`. Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { UserMfaState, UserStateStore } from '../../src/store/ports.ts';
import { oneOf, text } from './rows.ts';

const STATES: readonly UserMfaState[] = ['disabled', 'enabled', 'enforced'];

export class SqliteUserStateStore implements UserStateStore {
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#sql = prepare(db);
  }

  async getUserState(userId: string) {
    const row = this.#sql.getUserState.get({ userId });
    return row ? oneOf(row, 'state', STATES) : null;
  }
  async setUserState(userId: string, state: UserMfaState) {
    this.#sql.setUserState.run({ userId, state });
  }
  async getDefaultMethod(userId: string) {
    const row = this.#sql.getDefaultMethod.get({ userId });
    return row ? text(row, 'method_id') : null;
  }
  async setDefaultMethod(userId: string, methodId: string | null) {
    if (methodId === null) this.#sql.clearDefaultMethod.run({ userId });
    else this.#sql.setDefaultMethod.run({ userId, methodId });
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    getUserState: sql('SELECT state FROM user_states WHERE user_id = :userId'),
    setUserState: sql(
      `INSERT INTO user_states (user_id, state) VALUES (:userId, :state)
       ON CONFLICT (user_id) DO UPDATE SET state = excluded.state`,
    ),
    getDefaultMethod: sql('SELECT method_id FROM default_methods WHERE user_id = :userId'),
    setDefaultMethod: sql(
      `INSERT INTO default_methods (user_id, method_id) VALUES (:userId, :methodId)
       ON CONFLICT (user_id) DO UPDATE SET method_id = excluded.method_id`,
    ),
    clearDefaultMethod: sql('DELETE FROM default_methods WHERE user_id = :userId'),
  };
}
