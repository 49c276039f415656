// Ephemeral state on PostgreSQL, for a deployment on PostgreSQL alone: the `ephemeral` table of
// `(key, value, expires_at)`. Every operation is one statement — `consumeOnce` and `increment`
// an `INSERT … ON CONFLICT DO UPDATE … WHERE` that revives an expired row in place, `decrement`
// a conditional UPDATE, `take` a `DELETE … RETURNING` — so each is atomic across connections and
// processes: a concurrent caller waits for the row lock and re-checks. Expiry is judged against
// the injected clock, passed to the server as a parameter (never the server's `now()`), so a
// row is live while clock.now() < expires_at. Expired rows are swept as writes go by.
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import type { EphemeralStore } from '../../src/store/ports.ts';
import { ExpiringTableStore } from './expiry-sweeper.ts';
import { postgresStoreError } from './failures.ts';
import { type PostgresDatabase, run, statement } from './queries.ts';
import { bool, int, text } from './rows.ts';

export class PostgresEphemeralStore
  extends ExpiringTableStore<ReturnType<typeof prepare>>
  implements EphemeralStore
{
  /** Expects a migrated schema (createPostgresStores migrates it). */
  constructor(db: PostgresDatabase, clock: Clock = systemClock) {
    super(db, clock, prepare(db));
  }

  async consumeOnce(key: string, ttlMs: number) {
    const now = this.clock.now();
    const result = await run(this.db.pool, this.sql.consumeOnce, [key, now, now + ttlMs]);
    this.wrote();
    return result.rowCount === 1;
  }

  async increment(key: string, ttlMs: number) {
    const now = this.clock.now();
    const row = (await run(this.db.pool, this.sql.increment, [key, now, now + ttlMs])).rows[0];
    this.wrote();
    if (!row) throw postgresStoreError('increment returned no row');
    return int(row, 'count');
  }

  async decrement(key: string) {
    const row = (await run(this.db.pool, this.sql.decrement, [key, this.clock.now()])).rows[0];
    return row ? int(row, 'count') : 0;
  }

  async getCount(key: string) {
    const value = await this.get(key);
    return value === null ? 0 : Number(value);
  }

  async put(key: string, value: string, ttlMs: number) {
    await run(this.db.pool, this.sql.put, [key, value, this.clock.now() + ttlMs]);
    this.wrote();
  }

  async get(key: string) {
    const row = (await run(this.db.pool, this.sql.get, [key, this.clock.now()])).rows[0];
    return row ? text(row, 'value') : null;
  }

  async take(key: string) {
    const row = (await run(this.db.pool, this.sql.take, [key, this.clock.now()])).rows[0];
    return row && bool(row, 'live') ? text(row, 'value') : null;
  }

  async delete(key: string) {
    await run(this.db.pool, this.sql.delete, [key]);
  }
}

function prepare(db: PostgresDatabase) {
  const ephemeral = db.table('ephemeral');
  // $1 key, $2 now, $3 the new expiry (now + ttl).
  return {
    consumeOnce: statement(
      `INSERT INTO ${ephemeral} AS e (key, value, expires_at) VALUES ($1, '1', $3)
       ON CONFLICT (key) DO UPDATE SET value = '1', expires_at = excluded.expires_at
       WHERE e.expires_at <= $2`,
    ),
    increment: statement(
      `INSERT INTO ${ephemeral} AS e (key, value, expires_at) VALUES ($1, '1', $3)
       ON CONFLICT (key) DO UPDATE SET
         value = CASE WHEN e.expires_at <= $2 THEN '1' ELSE (e.value::bigint + 1)::text END,
         expires_at = excluded.expires_at
       RETURNING value::bigint AS count`,
    ),
    // A count at zero, an absent or an expired row matches nothing and is left as it is.
    decrement: statement(
      `UPDATE ${ephemeral} SET value = (value::bigint - 1)::text
       WHERE key = $1 AND expires_at > $2 AND value::bigint > 0
       RETURNING value::bigint AS count`,
    ),
    put: statement(
      `INSERT INTO ${ephemeral} (key, value, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at`,
    ),
    get: statement(`SELECT value FROM ${ephemeral} WHERE key = $1 AND expires_at > $2`),
    take: statement(`DELETE FROM ${ephemeral} WHERE key = $1 RETURNING value, expires_at > $2 AS live`),
    delete: statement(`DELETE FROM ${ephemeral} WHERE key = $1`),
    purge: statement(`DELETE FROM ${ephemeral} WHERE expires_at <= $1`),
  };
}
