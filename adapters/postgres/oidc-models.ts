// An OpenID provider's models on PostgreSQL: the `oidc_entries` table, payloads as jsonb with
// their uid, user code and grant id copied out into indexed columns. `consume` is one conditional
// UPDATE (a live entry whose payload has no `consumed` yet) that adds the field to the payload,
// so one of any number of concurrent consumers, in any process, wins. Expiry is judged against
// the injected clock, passed as a parameter; expired rows are swept as upserts go by.
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import type { OidcStore } from '../../src/store/ports.ts';
import { ExpiringTableStore } from './expiry-sweeper.ts';
import { type PostgresDatabase, run, statement } from './queries.ts';
import { asObject, type Row } from './rows.ts';

export class PostgresOidcStore extends ExpiringTableStore<ReturnType<typeof prepare>> implements OidcStore {
  /** Expects a migrated schema (createPostgresStores migrates it). */
  constructor(db: PostgresDatabase, clock: Clock = systemClock) {
    super(db, clock, prepare(db));
  }

  async upsert(model: string, id: string, payload: Record<string, unknown>, expiresAtMs: number | null) {
    const json = JSON.stringify(payload);
    if (json === undefined) throw new TypeError('oidc payload is not JSON');
    const index = (value: unknown) => (typeof value === 'string' ? value : null);
    const values = [model, id, json, index(payload.uid), index(payload.userCode), index(payload.grantId)];
    await run(this.db.pool, this.sql.upsert, [...values, expiresAtMs]);
    this.wrote();
  }
  async find(model: string, id: string) {
    return toPayload((await run(this.db.pool, this.sql.find, [model, id, this.clock.now()])).rows[0]);
  }
  async findByUid(model: string, uid: string) {
    return toPayload((await run(this.db.pool, this.sql.findByUid, [model, uid, this.clock.now()])).rows[0]);
  }
  async findByUserCode(model: string, userCode: string) {
    const values = [model, userCode, this.clock.now()];
    return toPayload((await run(this.db.pool, this.sql.findByUserCode, values)).rows[0]);
  }
  async consume(model: string, id: string, atSeconds: number) {
    const values = [model, id, this.clock.now(), atSeconds];
    return (await run(this.db.pool, this.sql.consume, values)).rowCount === 1;
  }
  async destroy(model: string, id: string) {
    await run(this.db.pool, this.sql.destroy, [model, id]);
  }
  async revokeByGrantId(model: string, grantId: string) {
    await run(this.db.pool, this.sql.revokeByGrantId, [model, grantId]);
  }
}

/** node-postgres parses jsonb already, unless an application replaced its type parser. */
function toPayload(row: Row | undefined): Record<string, unknown> | null {
  if (!row) return null;
  const payload = typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload;
  return asObject(payload, 'payload');
}

function prepare(db: PostgresDatabase) {
  const entries = db.table('oidc_entries');
  // $1 model, $2 id (or uid, user code), $3 now.
  const live = '(expires_at IS NULL OR expires_at > $3)';
  return {
    upsert: statement(
      `INSERT INTO ${entries} (model, id, payload, uid, user_code, grant_id, expires_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, uid = excluded.uid,
         user_code = excluded.user_code, grant_id = excluded.grant_id, expires_at = excluded.expires_at`,
    ),
    find: statement(`SELECT payload FROM ${entries} WHERE model = $1 AND id = $2 AND ${live}`),
    findByUid: statement(`SELECT payload FROM ${entries} WHERE model = $1 AND uid = $2 AND ${live} LIMIT 1`),
    findByUserCode: statement(
      `SELECT payload FROM ${entries} WHERE model = $1 AND user_code = $2 AND ${live} LIMIT 1`,
    ),
    // ->> reads a JSON null as SQL NULL too: a payload with `consumed: null` is not consumed yet.
    consume: statement(
      `UPDATE ${entries} SET payload = payload || jsonb_build_object('consumed', $4::numeric)
       WHERE model = $1 AND id = $2 AND ${live} AND payload ->> 'consumed' IS NULL`,
    ),
    destroy: statement(`DELETE FROM ${entries} WHERE model = $1 AND id = $2`),
    revokeByGrantId: statement(`DELETE FROM ${entries} WHERE model = $1 AND grant_id = $2`),
    purge: statement(`DELETE FROM ${entries} WHERE expires_at IS NOT NULL AND expires_at <= $1`),
  };
}
