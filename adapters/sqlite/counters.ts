// Counters on SQLite (also the session epochs): the `counters` table. Each one-time rule is one
// conditional upsert whose row count says whether the counter moved, and an increment one
// upsert returning the new value, so both hold across processes sharing the file. `recordUse` writes the method id and time of the use on the
// counter row in that same statement (adapters/sqlite/methods.ts reads it as the last use).
// Expects a migrated database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { CounterStore } from '../../src/store/ports.ts';
import { int } from './rows.ts';

/** Moves a counter forward only (`:key`, `:value`); one row changed when it moved. */
export const COUNTER_ADVANCE_SQL = `INSERT INTO counters (key, value) VALUES (:key, :value)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE excluded.value > counters.value`;

export class SqliteCounterStore implements CounterStore {
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#sql = prepare(db);
  }

  async advance(key: string, value: number) {
    // An absent counter counts as -1; nothing at or below it can ever move it (NaN neither).
    if (!(value > -1)) return false;
    return Number(this.#sql.advance.run({ key, value }).changes) === 1;
  }
  async recordUse(use: { counterKey: string; value: number; methodId: string; at: number }) {
    if (!(use.value > -1)) return false;
    // One conditional statement: the counter moves and carries the use, or nothing changes.
    const result = this.#sql.recordUse.run(use.counterKey, use.value, use.methodId, use.at);
    return Number(result.changes) === 1;
  }
  async incrementCounter(key: string) {
    // One upsert returning the new value: the write lock serialises it across processes.
    return int(this.#sql.incrementCounter.get({ key }) ?? {}, 'value');
  }
  async getCounter(key: string) {
    const row = this.#sql.getCounter.get({ key });
    return row ? int(row, 'value') : null;
  }
  async deleteCounter(key: string) {
    this.#sql.deleteCounter.run({ key });
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    // Positional (?1 key, ?2 value, ?3 method id, ?4 time): every accepted code runs it, and
    // node:sqlite matches named parameters by name on each call.
    recordUse: sql(
      `INSERT INTO counters (key, value, method_id, used_at) VALUES (?1, ?2, ?3, ?4)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, method_id = excluded.method_id, used_at = excluded.used_at
       WHERE excluded.value > counters.value`,
    ),
    advance: sql(COUNTER_ADVANCE_SQL),
    incrementCounter: sql(
      `INSERT INTO counters (key, value) VALUES (:key, 1)
       ON CONFLICT (key) DO UPDATE SET value = counters.value + 1 RETURNING value`,
    ),
    getCounter: sql('SELECT value FROM counters WHERE key = :key'),
    deleteCounter: sql('DELETE FROM counters WHERE key = :key'),
  };
}
