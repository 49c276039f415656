// Sign-in signals on PostgreSQL: the `sightings` table (one row per user, kind and key; an upsert
// that only ever moves `last_seen` forward) and the `fraud_flags` table. Expects a migrated schema.
import type { SightingKind, SignInSignalStore } from '../../src/store/ports.ts';
import { type PostgresDatabase, run, statement } from './queries.ts';
import { int } from './rows.ts';

export class PostgresSignInSignalStore implements SignInSignalStore {
  #db: PostgresDatabase;
  #sql: ReturnType<typeof prepare>;

  constructor(db: PostgresDatabase) {
    this.#db = db;
    this.#sql = prepare(db);
  }

  async getSighting(userId: string, kind: SightingKind, key: string) {
    const row = (await run(this.#db.pool, this.#sql.getSighting, [userId, kind, key])).rows[0];
    return row ? int(row, 'last_seen') : null;
  }
  async recordSighting(userId: string, kind: SightingKind, key: string, at: number) {
    await run(this.#db.pool, this.#sql.recordSighting, [userId, kind, key, at]);
  }

  async getFraudFlag(userId: string) {
    const row = (await run(this.#db.pool, this.#sql.getFraudFlag, [userId])).rows[0];
    return row ? int(row, 'flagged_at') : null;
  }
  async setFraudFlag(userId: string, at: number | null) {
    if (at === null) await run(this.#db.pool, this.#sql.clearFraudFlag, [userId]);
    else await run(this.#db.pool, this.#sql.setFraudFlag, [userId, at]);
  }
}

function prepare(db: PostgresDatabase) {
  const sightings = db.table('sightings');
  const flags = db.table('fraud_flags');
  return {
    getSighting: statement(
      `SELECT last_seen FROM ${sightings} WHERE user_id = $1 AND kind = $2 AND key = $3`,
    ),
    recordSighting: statement(
      `INSERT INTO ${sightings} AS s (user_id, kind, key, last_seen) VALUES ($1, $2, $3, $4)
       ON CONFLICT (user_id, kind, key) DO UPDATE SET last_seen = excluded.last_seen
       WHERE s.last_seen < excluded.last_seen`,
    ),
    getFraudFlag: statement(`SELECT flagged_at FROM ${flags} WHERE user_id = $1`),
    setFraudFlag: statement(
      `INSERT INTO ${flags} (user_id, flagged_at) VALUES ($1, $2)
       ON CONFLICT (user_id) DO UPDATE SET flagged_at = excluded.flagged_at`,
    ),
    clearFraudFlag: statement(`DELETE FROM ${flags} WHERE user_id = $1`),
  };
}
