// An OpenID provider's models on SQLite: the `oidc_entries` table, with the payload's uid, user
// code and grant id copied out into indexed columns. `consume` is one conditional UPDATE (a
// live entry whose payload has no `consumed` yet), so it holds across processes.
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import { StoreError } from '../../src/errors.ts';
import type { OidcStore } from '../../src/store/ports.ts';
import { migrateSqliteDatabase } from './migrations.ts';
import { type Row, text } from './rows.ts';

/**
 * OpenID provider models on SQLite (migration 4). Expired rows are never returned; they are
 * swept every `PURGE_EVERY` upserts (or by `purgeExpired()`). `consume` is one conditional
 * UPDATE, so it is atomic across processes too.
 */
export class SqliteOidcStore implements OidcStore {
  static readonly PURGE_EVERY = 500;

  #clock: Clock;
  #sql: ReturnType<typeof prepare>;
  #writes = 0;

  constructor(db: DatabaseSync, clock: Clock = systemClock) {
    migrateSqliteDatabase(db);
    this.#clock = clock;
    this.#sql = prepare(db);
  }

  /** Deletes every expired entry now; returns how many. */
  purgeExpired(): number {
    this.#writes = 0;
    return Number(this.#sql.purge.run({ now: this.#clock.now() }).changes);
  }

  async upsert(model: string, id: string, payload: Record<string, unknown>, expiresAtMs: number | null) {
    const json = JSON.stringify(payload);
    if (json === undefined) throw new TypeError('oidc payload is not JSON');
    const index = (value: unknown) => (typeof value === 'string' ? value : null);
    this.#sql.upsert.run({
      model,
      id,
      payload: json,
      uid: index(payload.uid),
      userCode: index(payload.userCode),
      grantId: index(payload.grantId),
      expiresAt: expiresAtMs,
    });
    if (++this.#writes >= SqliteOidcStore.PURGE_EVERY) this.purgeExpired();
  }
  async find(model: string, id: string) {
    return toOidcPayload(this.#sql.find.get({ model, id, now: this.#clock.now() }));
  }
  async findByUid(model: string, uid: string) {
    return toOidcPayload(this.#sql.findByUid.get({ model, uid, now: this.#clock.now() }));
  }
  async findByUserCode(model: string, userCode: string) {
    return toOidcPayload(this.#sql.findByUserCode.get({ model, userCode, now: this.#clock.now() }));
  }
  async consume(model: string, id: string, atSeconds: number) {
    return Number(this.#sql.consume.run({ model, id, at: atSeconds, now: this.#clock.now() }).changes) === 1;
  }
  async destroy(model: string, id: string) {
    this.#sql.destroy.run({ model, id });
  }
  async revokeByGrantId(model: string, grantId: string) {
    this.#sql.revokeByGrantId.run({ model, grantId });
  }
}

function toOidcPayload(row: Row | undefined): Record<string, unknown> | null {
  if (!row) return null;
  const payload: unknown = JSON.parse(text(row, 'payload'));
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new StoreError('sqlite: oidc payload is not an object');
  }
  return payload as Record<string, unknown>;
}

function prepare(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  const live = '(expires_at IS NULL OR expires_at > :now)';
  return {
    upsert: sql(
      `INSERT INTO oidc_entries (model, id, payload, uid, user_code, grant_id, expires_at)
       VALUES (:model, :id, :payload, :uid, :userCode, :grantId, :expiresAt)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, uid = excluded.uid,
         user_code = excluded.user_code, grant_id = excluded.grant_id, expires_at = excluded.expires_at`,
    ),
    find: sql(`SELECT payload FROM oidc_entries WHERE model = :model AND id = :id AND ${live}`),
    findByUid: sql(
      `SELECT payload FROM oidc_entries WHERE model = :model AND uid = :uid AND ${live} LIMIT 1`,
    ),
    findByUserCode: sql(
      `SELECT payload FROM oidc_entries WHERE model = :model AND user_code = :userCode AND ${live} LIMIT 1`,
    ),
    consume: sql(
      `UPDATE oidc_entries SET payload = json_set(payload, '$.consumed', :at)
       WHERE model = :model AND id = :id AND ${live} AND json_extract(payload, '$.consumed') IS NULL`,
    ),
    destroy: sql('DELETE FROM oidc_entries WHERE model = :model AND id = :id'),
    revokeByGrantId: sql('DELETE FROM oidc_entries WHERE grant_id = :grantId AND model = :model'),
    purge: sql('DELETE FROM oidc_entries WHERE expires_at IS NOT NULL AND expires_at <= :now'),
  };
}
