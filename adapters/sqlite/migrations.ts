// The SQLite schema: every migration in one ordered list, and the function that applies them.
// The tables each aggregate store (adapters/sqlite/<aggregate>.ts) reads and writes are created
// here, by whichever migration added them.
import type { DatabaseSync } from 'node:sqlite';
import { StoreError } from '../../src/errors.ts';
import { transaction } from './rows.ts';

/**
 * Schema migrations, in order. Migration `i` takes the database from `PRAGMA user_version`
 * `i` to `i + 1`. Append only: never edit a migration that has shipped.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  // 1: initial schema.
  `
  CREATE TABLE methods (
    id            TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    label         TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    algorithm     TEXT NOT NULL,
    digits        INTEGER NOT NULL,
    period        INTEGER NOT NULL,
    token_serial  TEXT,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER
  );
  CREATE INDEX methods_by_user ON methods (user_id, created_at);

  CREATE TABLE counters (
    key   TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, hash)
  ) WITHOUT ROWID;

  CREATE TABLE devices (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    user_agent   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    revoked_at   INTEGER
  );
  CREATE INDEX devices_by_user ON devices (user_id, created_at);

  CREATE TABLE oath_tokens (
    serial        TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    sealed_secret TEXT NOT NULL,
    algorithm     TEXT NOT NULL,
    digits        INTEGER NOT NULL,
    period        INTEGER NOT NULL,
    assigned_to   TEXT,
    imported_at   INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX oath_tokens_by_user ON oath_tokens (assigned_to) WHERE assigned_to IS NOT NULL;

  CREATE TABLE user_states (
    user_id TEXT PRIMARY KEY,
    state   TEXT NOT NULL CHECK (state IN ('disabled', 'enabled', 'enforced'))
  ) WITHOUT ROWID;

  CREATE TABLE audit_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    id      TEXT NOT NULL,
    at      INTEGER NOT NULL,
    type    TEXT NOT NULL,
    user_id TEXT,
    data    TEXT NOT NULL
  );
  CREATE INDEX audit_events_by_user ON audit_events (user_id, seq);

  CREATE TABLE ephemeral (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX ephemeral_by_expiry ON ephemeral (expires_at);
  `,
  // 2: a verified use is recorded on the counter row (one page, one statement); the method's
  //    last-used time is read through the counter (keyed by the method; since 6 named on its row).
  `
  ALTER TABLE counters ADD COLUMN method_id TEXT;
  ALTER TABLE counters ADD COLUMN used_at INTEGER;
  `,
  // 3: the conditional-access policy document (one row, versioned for compare-and-set), the
  //    networks and devices seen at each user's sign-ins, and fraud-report flags.
  `
  CREATE TABLE policy_document (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL CHECK (version >= 1),
    document   TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by TEXT
  );

  CREATE TABLE sightings (
    user_id   TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('network', 'device')),
    key       TEXT NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind, key)
  ) WITHOUT ROWID;

  CREATE TABLE fraud_flags (
    user_id    TEXT PRIMARY KEY,
    flagged_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
  // 4: an embedded OpenID provider's models (OidcStore): JSON payloads keyed by (model, id), with
  //    the payload's uid, userCode and grantId copied out for lookups. expires_at NULL: no expiry.
  //    A rowid table, since session payloads can be a few KB.
  `
  CREATE TABLE oidc_entries (
    model      TEXT NOT NULL,
    id         TEXT NOT NULL,
    payload    TEXT NOT NULL,
    uid        TEXT,
    user_code  TEXT,
    grant_id   TEXT,
    expires_at INTEGER,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX oidc_entries_by_uid ON oidc_entries (model, uid) WHERE uid IS NOT NULL;
  CREATE INDEX oidc_entries_by_user_code ON oidc_entries (model, user_code) WHERE user_code IS NOT NULL;
  CREATE INDEX oidc_entries_by_grant ON oidc_entries (grant_id) WHERE grant_id IS NOT NULL;
  CREATE INDEX oidc_entries_by_expiry ON oidc_entries (expires_at) WHERE expires_at IS NOT NULL;
  `,
  // 5: Temporary Access Passes, one per user (adapters/sqlite/access-passes.ts). `user_id` is
  //    the key, since a user has at most one pass.
  `
  CREATE TABLE access_passes (
    user_id    TEXT PRIMARY KEY,
    id         TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    starts_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    one_time   INTEGER NOT NULL CHECK (one_time IN (0, 1)),
    used_at    INTEGER,
    created_by TEXT
  ) WITHOUT ROWID;
  `,
  // 6: methods of any kind (src/methods/): a method's own fields move into one JSON column
  //    `data`, written and checked by the method; the counter its uses advance is named on the row
  //    (`counter_key`: what the last-used join follows); `lookup_key` finds a method without its
  //    user (a passkey's credential id), unique per kind. Existing OTP rows keep their counters.
  `
  CREATE TABLE methods_v6 (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    label        TEXT NOT NULL,
    data         TEXT NOT NULL CHECK (json_valid(data) AND json_type(data) = 'object'),
    counter_key  TEXT,
    lookup_key   TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
  );
  INSERT INTO methods_v6 (id, user_id, kind, label, data, counter_key, lookup_key, created_at, last_used_at)
    SELECT id, user_id, kind, label,
      json_object('sealedSecret', sealed_secret, 'algorithm', algorithm, 'digits', digits,
                  'period', period, 'tokenSerial', token_serial),
      CASE WHEN token_serial IS NOT NULL THEN 'token:' || token_serial ELSE kind || ':' || id END,
      NULL, created_at, last_used_at
    FROM methods;
  DROP TABLE methods;
  ALTER TABLE methods_v6 RENAME TO methods;
  CREATE INDEX methods_by_user ON methods (user_id, created_at);
  CREATE UNIQUE INDEX methods_by_lookup_key ON methods (kind, lookup_key) WHERE lookup_key IS NOT NULL;
  `,
  // 7: audit retention (`pruneAudit`) deletes the oldest events before a time: an index on `at`
  //    (the rowid `seq` is in every index, so it also orders events of the same millisecond).
  `
  CREATE INDEX audit_events_by_time ON audit_events (at);
  `,
  // 8: app passwords, several per user (adapters/sqlite/app-passwords.ts); `apps` is a JSON
  //    array of application names. Listed per user oldest first, which the index serves.
  `
  CREATE TABLE app_passwords (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL,
    apps         TEXT NOT NULL CHECK (json_valid(apps) AND json_type(apps) = 'array'),
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER
  );
  CREATE INDEX app_passwords_by_user ON app_passwords (user_id, created_at, id);
  `,
  // 9: each user's default sign-in method, by id (adapters/sqlite/user-states.ts); a removed
  //    method's id may stay behind, and is read as no default.
  `
  CREATE TABLE default_methods (
    user_id   TEXT PRIMARY KEY,
    method_id TEXT NOT NULL
  );
  `,
];

export const SQLITE_SCHEMA_VERSION = SQLITE_MIGRATIONS.length;

/**
 * Brings the schema up to date: applies every pending migration in one `BEGIN IMMEDIATE`
 * transaction (all or nothing), re-reading the version under the write lock so that
 * processes opening the file at the same time migrate it once. Refuses a database whose
 * version is newer than this code knows.
 */
export function migrateSqliteDatabase(
  db: DatabaseSync,
  migrations: readonly string[] = SQLITE_MIGRATIONS,
): void {
  if (userVersion(db) === migrations.length) return;
  transaction(db, () => {
    const from = userVersion(db);
    if (from > migrations.length) {
      throw new StoreError(
        `sqlite schema version ${from} is newer than this mfakit supports (${migrations.length})`,
      );
    }
    for (let version = from; version < migrations.length; version++) {
      db.exec(migrations[version] as string);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    }
  });
}

function userVersion(db: DatabaseSync): number {
  const version = db.prepare('PRAGMA user_version').get()?.user_version;
  if (typeof version !== 'number') throw new StoreError('sqlite: cannot read user_version');
  return version;
}
