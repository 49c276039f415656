// Sign-in signals on SQLite: the `sightings` table (one row per user, kind and key; an upsert
// that only ever moves `last_seen` forward) and the `fraud_flags` table. Expects a migrated
// database.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { SightingKind, SignInSignalStore } from '../../src/store/ports.ts';
import { int } from './rows.ts';

export class SqliteSignInSignalStore implements SignInSignalStore {
  #sql: ReturnType<typeof prepare>;

  constructor(db: DatabaseSync) {
    this.#sql = prepare(db);
  }

  async getSighting(userId: string, kind: SightingKind, key: string) {
    const row = this.#sql.getSighting.get({ userId, kind, key });
    return row ? int(row, 'last_seen') : null;
  }
  async recordSighting(userId: string, kind: SightingKind, key: string, at: number) {
    this.#sql.recordSighting.run({ userId, kind, key, at });
  }

  async getFraudFlag(userId: string) {
    const row = this.#sql.getFraudFlag.get({ userId });
    return row ? int(row, 'flagged_at') : null;
  }
  async setFraudFlag(userId: string, at: number | null) {
    if (at === null) this.#sql.clearFraudFlag.run({ userId });
    else this.#sql.setFraudFlag.run({ userId, at });
  }
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    getSighting: sql(
      'SELECT last_seen FROM sightings WHERE user_id = :userId AND kind = :kind AND key = :key',
    ),
    recordSighting: sql(
      `INSERT INTO sightings (user_id, kind, key, last_seen) VALUES (:userId, :kind, :key, :at)
       ON CONFLICT (user_id, kind, key) DO UPDATE SET last_seen = excluded.last_seen
       WHERE excluded.last_seen > sightings.last_seen`,
    ),
    getFraudFlag: sql('SELECT flagged_at FROM fraud_flags WHERE user_id = :userId'),
    setFraudFlag: sql(
      `INSERT INTO fraud_flags (user_id, flagged_at) VALUES (:userId, :at)
       ON CONFLICT (user_id) DO UPDATE SET flagged_at = excluded.flagged_at`,
    ),
    clearFraudFlag: sql('DELETE FROM fraud_flags WHERE user_id = :userId'),
  };
}
