// Counters on PostgreSQL (also the session epochs): the `counters` table. Each one-time rule is
// one `INSERT … ON CONFLICT DO UPDATE … WHERE stored < new` whose row count says whether the
// counter moved, and an increment one `INSERT … ON CONFLICT DO UPDATE … RETURNING value`: the row lock makes concurrent callers, in any process, wait and re-check, so
// exactly one moves it to a value. `recordUse` writes the method id and time of the use on the
// counter row in that same statement (adapters/postgres/methods.ts reads it as the last use).
// Expects a migrated schema.
import type { CounterStore } from '../../src/store/ports.ts';
import { type PostgresDatabase, run, statement } from './queries.ts';
import { int } from './rows.ts';

export class PostgresCounterStore implements CounterStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async advance(key: string, value: number) {
    // An absent counter counts as -1; nothing at or below it can ever move it (NaN neither).
    if (!(value > -1)) return false;
    return (await run(this.#db.pool, this.#sql.advance, [key, value])).rowCount === 1;
  }
  async recordUse(use: { counterKey: string; value: number; methodId: string; at: number }) {
    if (!(use.value > -1)) return false;
    // One conditional statement: the counter moves and carries the use, or nothing changes.
    const values = [use.counterKey, use.value, use.methodId, use.at];
    return (await run(this.#db.pool, this.#sql.recordUse, values)).rowCount === 1;
  }
  async incrementCounter(key: string) {
    // One upsert: the row lock serialises concurrent increments, each returns its own value.
    return int((await run(this.#db.pool, this.#sql.incrementCounter, [key])).rows[0] ?? {}, 'value');
  }
  async getCounter(key: string) {
    const row = (await run(this.#db.pool, this.#sql.getCounter, [key])).rows[0];
    return row ? int(row, 'value') : null;
  }
  async deleteCounter(key: string) {
    await run(this.#db.pool, this.#sql.deleteCounter, [key]);
  }
}

function prepare(db: PostgresDatabase) {
  const counters = db.table('counters');
  return {
    advance: statement(
      `INSERT INTO ${counters} AS c (key, value) VALUES ($1, $2)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE c.value < excluded.value`,
    ),
    recordUse: statement(
      `INSERT INTO ${counters} AS c (key, value, method_id, used_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, method_id = excluded.method_id,
         used_at = excluded.used_at
       WHERE c.value < excluded.value`,
    ),
    incrementCounter: statement(
      `INSERT INTO ${counters} AS c (key, value) VALUES ($1, 1)
       ON CONFLICT (key) DO UPDATE SET value = c.value + 1 RETURNING value`,
    ),
    getCounter: statement(`SELECT value FROM ${counters} WHERE key = $1`),
    deleteCounter: statement(`DELETE FROM ${counters} WHERE key = $1`),
  };
}
