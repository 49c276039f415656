// Ephemeral state on SQLite: the `ephemeral` table. `consumeOnce` is a short `BEGIN IMMEDIATE`
// transaction (drop an expired mark, insert if absent); `increment`, `decrement` and `take` are
// each one statement with RETURNING, so all of them hold across processes sharing the file.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import { StoreError } from '../../src/errors.ts';
import type { EphemeralStore } from '../../src/store/ports.ts';
import { migrateSqliteDatabase } from './migrations.ts';
import { int, text, transaction } from './rows.ts';

/**
 * Ephemeral state on SQLite: one table of `(key, value, expires_at)`. A row whose
 * `expires_at` is at or before the clock's now is absent; expired rows are deleted when
 * touched and swept every `PURGE_EVERY` writes.
 */
export class SqliteEphemeralStore implements EphemeralStore {
  static readonly PURGE_EVERY = 500;

  #db: DatabaseSync;
  #clock: Clock;
  #sql: ReturnType<typeof prepare>;
  #writes = 0;

  constructor(db: DatabaseSync, clock: Clock = systemClock) {
    migrateSqliteDatabase(db);
    this.#db = db;
    this.#clock = clock;
    this.#sql = prepare(db);
  }

  /** Deletes every expired entry now; returns how many. */
  purgeExpired(): number {
    this.#writes = 0;
    return Number(this.#sql.purge.run({ now: this.#clock.now() }).changes);
  }

  #wrote() {
    if (++this.#writes >= SqliteEphemeralStore.PURGE_EVERY) this.purgeExpired();
  }

  async consumeOnce(key: string, ttlMs: number) {
    const now = this.#clock.now();
    const consumed = transaction(this.#db, () => {
      this.#sql.deleteIfExpired.run({ key, now });
      return Number(this.#sql.insertMark.run({ key, expiresAt: now + ttlMs }).changes) === 1;
    });
    this.#wrote();
    return consumed;
  }

  async increment(key: string, ttlMs: number) {
    const now = this.#clock.now();
    const row = this.#sql.increment.get({ key, now, expiresAt: now + ttlMs });
    this.#wrote();
    if (!row) throw new StoreError('sqlite: increment returned no row');
    return int(row, 'count');
  }

  async decrement(key: string) {
    const row = this.#sql.decrement.get({ key, now: this.#clock.now() });
    return row ? int(row, 'count') : 0;
  }

  async getCount(key: string) {
    const value = this.#live(key);
    return value === null ? 0 : Number(value);
  }

  async put(key: string, value: string, ttlMs: number) {
    this.#sql.put.run({ key, value, expiresAt: this.#clock.now() + ttlMs });
    this.#wrote();
  }

  async get(key: string) {
    return this.#live(key);
  }

  async take(key: string) {
    const row = this.#sql.take.get({ key });
    if (!row) return null;
    return int(row, 'expires_at') > this.#clock.now() ? text(row, 'value') : null;
  }

  async delete(key: string) {
    this.#sql.delete.run({ key });
  }

  #live(key: string): string | null {
    const now = this.#clock.now();
    const row = this.#sql.get.get({ key });
    if (!row) return null;
    if (int(row, 'expires_at') > now) return text(row, 'value');
    // Conditional, so a fresh entry another connection just wrote survives.
    this.#sql.deleteIfExpired.run({ key, now });
    return null;
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    get: sql('SELECT value, expires_at FROM ephemeral WHERE key = :key'),
    put: sql(
      `INSERT INTO ephemeral (key, value, expires_at) VALUES (:key, :value, :expiresAt)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    ),
    take: sql('DELETE FROM ephemeral WHERE key = :key RETURNING value, expires_at'),
    delete: sql('DELETE FROM ephemeral WHERE key = :key'),
    deleteIfExpired: sql('DELETE FROM ephemeral WHERE key = :key AND expires_at <= :now'),
    insertMark: sql(
      `INSERT INTO ephemeral (key, value, expires_at) VALUES (:key, '1', :expiresAt)
       ON CONFLICT (key) DO NOTHING`,
    ),
    increment: sql(
      `INSERT INTO ephemeral (key, value, expires_at) VALUES (:key, '1', :expiresAt)
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN ephemeral.expires_at <= :now THEN 1 ELSE CAST(ephemeral.value AS INTEGER) + 1 END,
         expires_at = excluded.expires_at
       RETURNING CAST(value AS INTEGER) AS count`,
    ),
    // One statement: atomic across connections and processes; a count at zero, an absent or an
    // expired row matches nothing and is left as it is.
    decrement: sql(
      `UPDATE ephemeral SET value = CAST(value AS INTEGER) - 1
       WHERE key = :key AND expires_at > :now AND CAST(value AS INTEGER) > 0
       RETURNING CAST(value AS INTEGER) AS count`,
    ),
    purge: sql('DELETE FROM ephemeral WHERE expires_at <= :now'),
  };
}
