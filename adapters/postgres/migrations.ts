// The PostgreSQL schema: every migration in one ordered list, and the function that applies
// them. The tables each aggregate store (adapters/postgres/<aggregate>.ts) reads and writes are
// created here, by whichever migration added them. Migrations run with `search_path` set to
// mfakit's schema, so they name tables without it.
import type { Pool } from 'pg';
import { StoreError } from '../../src/errors.ts';
import { quoteSchema, transaction } from './queries.ts';

/**
 * Schema migrations, in order. Migration `i` takes the schema from version `i` to `i + 1` (the
 * version is kept in the schema's `schema_version` table; 0 when there is none). Append only:
 * never edit a migration that has shipped.
 */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  // 1: every aggregate's table. Times are milliseconds since the epoch (bigint); `seq` columns
  //    keep insertion order where a list is ordered by it. JSON the store never looks into is
  //    kept as text (exactly as written); the OpenID provider's payloads are jsonb, since
  //    `consume` sets a field in them.
  `
  CREATE TABLE methods (
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    id           text PRIMARY KEY,
    user_id      text NOT NULL,
    kind         text NOT NULL,
    label        text NOT NULL,
    data         text NOT NULL,
    counter_key  text,
    lookup_key   text,
    created_at   bigint NOT NULL,
    last_used_at bigint
  );
  CREATE INDEX methods_by_user ON methods (user_id, created_at, seq);
  CREATE UNIQUE INDEX methods_by_lookup_key ON methods (kind, lookup_key) WHERE lookup_key IS NOT NULL;

  CREATE TABLE counters (
    key       text PRIMARY KEY,
    value     bigint NOT NULL,
    method_id text,
    used_at   bigint
  );

  CREATE TABLE recovery_codes (
    user_id    text NOT NULL,
    hash       text NOT NULL,
    created_at bigint NOT NULL,
    used_at    bigint,
    PRIMARY KEY (user_id, hash)
  );

  CREATE TABLE devices (
    seq          bigint GENERATED ALWAYS AS IDENTITY,
    id           text PRIMARY KEY,
    user_id      text NOT NULL,
    secret_hash  text NOT NULL,
    user_agent   text NOT NULL,
    created_at   bigint NOT NULL,
    last_used_at bigint NOT NULL,
    expires_at   bigint NOT NULL,
    revoked_at   bigint
  );
  CREATE INDEX devices_by_user ON devices (user_id, created_at, seq);

  CREATE TABLE oath_tokens (
    serial        text PRIMARY KEY,
    kind          text NOT NULL CHECK (kind IN ('totp', 'hotp')),
    sealed_secret text NOT NULL,
    algorithm     text NOT NULL CHECK (algorithm IN ('sha1', 'sha256', 'sha512')),
    digits        integer NOT NULL CHECK (digits IN (6, 8)),
    period        integer NOT NULL,
    assigned_to   text,
    imported_at   bigint NOT NULL
  );
  CREATE INDEX oath_tokens_by_user ON oath_tokens (assigned_to) WHERE assigned_to IS NOT NULL;

  CREATE TABLE user_states (
    user_id text PRIMARY KEY,
    state   text NOT NULL CHECK (state IN ('disabled', 'enabled', 'enforced'))
  );

  CREATE TABLE audit_events (
    seq     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id      text NOT NULL,
    at      bigint NOT NULL,
    type    text NOT NULL,
    user_id text,
    data    text NOT NULL
  );
  CREATE INDEX audit_events_by_user ON audit_events (user_id, seq);

  CREATE TABLE policy_document (
    id         integer PRIMARY KEY CHECK (id = 1),
    version    integer NOT NULL CHECK (version >= 1),
    document   text NOT NULL,
    updated_at bigint NOT NULL,
    updated_by text
  );

  CREATE TABLE sightings (
    user_id   text NOT NULL,
    kind      text NOT NULL CHECK (kind IN ('network', 'device')),
    key       text NOT NULL,
    last_seen bigint NOT NULL,
    PRIMARY KEY (user_id, kind, key)
  );

  CREATE TABLE fraud_flags (
    user_id    text PRIMARY KEY,
    flagged_at bigint NOT NULL
  );

  CREATE TABLE access_passes (
    user_id    text PRIMARY KEY,
    id         text NOT NULL,
    hash       text NOT NULL,
    created_at bigint NOT NULL,
    starts_at  bigint NOT NULL,
    expires_at bigint NOT NULL,
    one_time   boolean NOT NULL,
    used_at    bigint,
    created_by text
  );

  CREATE TABLE ephemeral (
    key        text PRIMARY KEY,
    value      text NOT NULL,
    expires_at bigint NOT NULL
  );
  CREATE INDEX ephemeral_by_expiry ON ephemeral (expires_at);

  CREATE TABLE oidc_entries (
    model      text NOT NULL,
    id         text NOT NULL,
    payload    jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
    uid        text,
    user_code  text,
    grant_id   text,
    expires_at bigint,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX oidc_entries_by_uid ON oidc_entries (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX oidc_entries_by_user_code ON oidc_entries (model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX oidc_entries_by_grant ON oidc_entries (model, grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX oidc_entries_by_expiry ON oidc_entries (expires_at) WHERE expires_at IS NOT NULL;
  `,
  // 2: audit retention (`pruneAudit`) deletes the oldest events before a time, in `(at, seq)`
  //    order: the index it walks. Built inside the migration's transaction, so a large log
  //    holds up audit writes for the few seconds the build takes, once.
  `
  CREATE INDEX audit_events_by_time ON audit_events (at, seq);
  `,
  // 3: app passwords, several per user (adapters/postgres/app-passwords.ts). `apps` is `text[]`
  //    rather than jsonb: it is only ever a list of names, which an array keeps typed (never a
  //    JSON object or number in it) and node-postgres reads and writes as a string array as is.
  //    Listed per user oldest first, ties by id in code-point order (COLLATE "C", whatever the
  //    database's locale), which the index serves.
  `
  CREATE TABLE app_passwords (
    id           text PRIMARY KEY,
    user_id      text NOT NULL,
    name         text NOT NULL,
    hash         text NOT NULL,
    apps         text[] NOT NULL,
    created_at   bigint NOT NULL,
    expires_at   bigint,
    last_used_at bigint
  );
  CREATE INDEX app_passwords_by_user ON app_passwords (user_id, created_at, id COLLATE "C");
  `,
  // 4: each user's default sign-in method, by id (adapters/postgres/user-states.ts); a removed
  //    method's id may stay behind, and is read as no default.
  `
  CREATE TABLE default_methods (
    user_id   text PRIMARY KEY,
    method_id text NOT NULL
  );
  `,
];

export const POSTGRES_SCHEMA_VERSION = POSTGRES_MIGRATIONS.length;

/**
 * Brings `schema` up to date (creating it if needed) and returns how many migrations it applied.
 * Everything happens in one transaction under a transaction-scoped advisory lock keyed by the
 * schema, and the version is read under that lock: processes starting together wait for each
 * other, one applies the migrations and the others find them applied. All or nothing. Refuses
 * a schema whose version is newer than this code knows.
 */
export async function migratePostgresDatabase(
  pool: Pool,
  schema: string,
  migrations: readonly string[] = POSTGRES_MIGRATIONS,
): Promise<number> {
  const quoted = quoteSchema(schema);
  return transaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`mfakit migrate ${schema}`]);
    const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (found.rowCount === 0) await client.query(`CREATE SCHEMA ${quoted}`);
    await client.query(`SET LOCAL search_path TO ${quoted}`);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_version (
         id      integer PRIMARY KEY CHECK (id = 1),
         version integer NOT NULL
       )`,
    );
    const stored = await client.query<{ version: number }>('SELECT version FROM schema_version');
    const from = stored.rows[0]?.version ?? 0;
    if (from > migrations.length) {
      throw new StoreError(
        `postgres schema "${schema}" is at version ${from}, newer than this mfakit supports ` +
          `(${migrations.length}): upgrade mfakit, or point it at another schema`,
      );
    }
    for (let version = from; version < migrations.length; version++) {
      await client.query(migrations[version] as string);
    }
    if (from < migrations.length) {
      await client.query(
        `INSERT INTO schema_version (id, version) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version`,
        [migrations.length],
      );
    }
    return migrations.length - from;
  });
}
