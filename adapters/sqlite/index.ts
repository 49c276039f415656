import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import { StoreError } from '../../src/errors.ts';
import type {
  AccessPassRecord,
  AuditEventRecord,
  EphemeralStore,
  MethodKind,
  MethodRecord,
  OathTokenRecord,
  OidcStore,
  PolicyDocumentRecord,
  RememberedDeviceRecord,
  Repository,
  SightingKind,
  Stores,
  UserMfaState,
} from '../../src/store/ports.ts';
import { methodCounterKey } from '../../src/store/ports.ts';
import { ACCESS_PASS_MIGRATION, SqliteAccessPasses } from './access-passes.ts';
import {
  int,
  intOrNull,
  isConstraintViolation,
  oneOf,
  type Row,
  text,
  textOrNull,
  transaction,
} from './rows.ts';

/**
 * Embedded SQLite stores on `node:sqlite` (built into Node, no native build). Both ports
 * live in one database file, so a single-host deployment needs nothing else.
 *
 * Atomicity: `DatabaseSync` is synchronous and no method awaits between statements, so
 * each method is atomic within a process. Across processes sharing the file, every
 * one-time rule is a single conditional SQL statement (or a `BEGIN IMMEDIATE`
 * transaction), never a JavaScript read-modify-write. The database runs in WAL mode with
 * a busy timeout, so concurrent writers wait for each other instead of failing.
 */
export interface SqliteStoreOptions {
  /** Database file path (created if missing), or `':memory:'` for a private in-memory database. */
  path: string;
  /** Time source for ephemeral expiry. Defaults to the system clock. */
  clock?: Clock;
  /** How long a writer waits for another connection's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
}

export function createSqliteStores(options: SqliteStoreOptions): Stores {
  const db = openSqliteDatabase(options.path, { busyTimeoutMs: options.busyTimeoutMs });
  try {
    const repository = new SqliteRepository(db);
    const ephemeral = new SqliteEphemeralStore(db, options.clock ?? systemClock);
    const oidc = new SqliteOidcStore(db, options.clock ?? systemClock);
    return {
      repository,
      ephemeral,
      oidc,
      async close() {
        if (db.isOpen) db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** Opens (creating if needed) a database file, sets the connection pragmas and migrates the schema. */
export function openSqliteDatabase(
  path: string,
  options: { busyTimeoutMs?: number | undefined } = {},
): DatabaseSync {
  // The busy timeout must be given here: it has to be in force before the first statement,
  // including the journal_mode switch and the migration, which take locks.
  const db = new DatabaseSync(path, { timeout: options.busyTimeoutMs ?? 5000 });
  try {
    db.exec('PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;');
    migrateSqliteDatabase(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

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
  //    last-used time is read through the counter. The counter key scheme is methodCounterKey().
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
  // 5: Temporary Access Passes, one per user (adapters/sqlite/access-passes.ts).
  ACCESS_PASS_MIGRATION,
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

const KINDS: readonly MethodKind[] = ['totp', 'hotp'];
const ALGORITHMS: readonly MethodRecord['algorithm'][] = ['sha1', 'sha256', 'sha512'];
const DIGITS: readonly MethodRecord['digits'][] = [6, 8];
const STATES: readonly UserMfaState[] = ['disabled', 'enabled', 'enforced'];

function toMethod(row: Row): MethodRecord {
  return {
    id: text(row, 'id'),
    userId: text(row, 'user_id'),
    kind: oneOf(row, 'kind', KINDS),
    label: text(row, 'label'),
    sealedSecret: text(row, 'sealed_secret'),
    algorithm: oneOf(row, 'algorithm', ALGORITHMS),
    digits: oneOf(row, 'digits', DIGITS),
    period: int(row, 'period'),
    tokenSerial: textOrNull(row, 'token_serial'),
    createdAt: int(row, 'created_at'),
    lastUsedAt: intOrNull(row, 'last_used_at'),
  };
}

function toDevice(row: Row): RememberedDeviceRecord {
  return {
    id: text(row, 'id'),
    userId: text(row, 'user_id'),
    secretHash: text(row, 'secret_hash'),
    userAgent: text(row, 'user_agent'),
    createdAt: int(row, 'created_at'),
    lastUsedAt: int(row, 'last_used_at'),
    expiresAt: int(row, 'expires_at'),
    revokedAt: intOrNull(row, 'revoked_at'),
  };
}

function toToken(row: Row): OathTokenRecord {
  return {
    serial: text(row, 'serial'),
    kind: oneOf(row, 'kind', KINDS),
    sealedSecret: text(row, 'sealed_secret'),
    algorithm: oneOf(row, 'algorithm', ALGORITHMS),
    digits: oneOf(row, 'digits', DIGITS),
    period: int(row, 'period'),
    assignedTo: textOrNull(row, 'assigned_to'),
    importedAt: int(row, 'imported_at'),
  };
}

function toPolicyDocument(row: Row): PolicyDocumentRecord {
  return {
    version: int(row, 'version'),
    document: JSON.parse(text(row, 'document')),
    updatedAt: int(row, 'updated_at'),
    updatedBy: textOrNull(row, 'updated_by'),
  };
}

function toAudit(row: Row): AuditEventRecord {
  const data: unknown = JSON.parse(text(row, 'data'));
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new StoreError('sqlite: audit data is not an object');
  }
  return {
    id: text(row, 'id'),
    at: int(row, 'at'),
    type: text(row, 'type'),
    userId: textOrNull(row, 'user_id'),
    data: data as Record<string, unknown>,
  };
}

const METHOD_COLUMNS =
  'id, user_id, kind, label, sealed_secret, algorithm, digits, period, token_serial, created_at, last_used_at';
/**
 * Methods with their last-used time: the later of the method row's own and the last use
 * recorded on its counter by this method (a token's counter outlives its previous holders).
 */
const METHOD_SELECT = `SELECT m.id, m.user_id, m.kind, m.label, m.sealed_secret, m.algorithm, m.digits, m.period,
  m.token_serial, m.created_at,
  CASE WHEN c.used_at IS NULL THEN m.last_used_at
       WHEN m.last_used_at IS NULL OR c.used_at > m.last_used_at THEN c.used_at
       ELSE m.last_used_at END AS last_used_at
  FROM methods m LEFT JOIN counters c
    ON c.key = (CASE WHEN m.token_serial IS NOT NULL THEN 'token:' || m.token_serial ELSE m.kind || ':' || m.id END)
   AND c.method_id = m.id`;
const DEVICE_COLUMNS =
  'id, user_id, secret_hash, user_agent, created_at, last_used_at, expires_at, revoked_at';
const TOKEN_COLUMNS = 'serial, kind, sealed_secret, algorithm, digits, period, assigned_to, imported_at';
const AUDIT_COLUMNS = 'id, at, type, user_id, data';

/** Durable records on SQLite. The database must stay open while this is in use. */
export class SqliteRepository implements Repository {
  #db: DatabaseSync;
  #sql: ReturnType<typeof prepareRepository>;
  #accessPasses: SqliteAccessPasses;

  constructor(db: DatabaseSync) {
    migrateSqliteDatabase(db);
    this.#db = db;
    this.#sql = prepareRepository(db);
    this.#accessPasses = new SqliteAccessPasses(db);
  }

  /**
   * Two plain statements rather than one join: the methods by the user index, then each one's
   * counter row for its last use. Every verification lists the methods, and this is about three
   * times faster than the join with its ORDER BY (node:sqlite, measured by npm run bench).
   */
  async listMethods(userId: string, options: { lastUsed?: boolean } = {}) {
    const rows = this.#sql.listMethodRows.all({ userId });
    const methods = rows.map((row) => {
      const method = toMethod(row);
      if (options.lastUsed === false) return { method, rid: int(row, 'rid') };
      const used = this.#sql.counterUse.get({ key: methodCounterKey(method), methodId: method.id });
      const usedAt = used ? intOrNull(used, 'used_at') : null;
      if (usedAt !== null && (method.lastUsedAt === null || usedAt > method.lastUsedAt))
        method.lastUsedAt = usedAt;
      return { method, rid: int(row, 'rid') };
    });
    methods.sort((a, b) => a.method.createdAt - b.method.createdAt || a.rid - b.rid);
    return methods.map((m) => m.method);
  }
  async getMethod(userId: string, methodId: string) {
    const row = this.#sql.getMethod.get({ userId, id: methodId });
    return row ? toMethod(row) : null;
  }
  async insertMethod(method: MethodRecord) {
    try {
      this.#sql.insertMethod.run({
        id: method.id,
        userId: method.userId,
        kind: method.kind,
        label: method.label,
        sealedSecret: method.sealedSecret,
        algorithm: method.algorithm,
        digits: method.digits,
        period: method.period,
        tokenSerial: method.tokenSerial,
        createdAt: method.createdAt,
        lastUsedAt: method.lastUsedAt,
      });
    } catch (error) {
      if (isConstraintViolation(error)) throw new Error(`method ${method.id} exists`, { cause: error });
      throw error;
    }
  }
  async deleteMethod(userId: string, methodId: string) {
    return Number(this.#sql.deleteMethod.run({ userId, id: methodId }).changes) === 1;
  }
  async deleteAllMethods(userId: string) {
    return Number(this.#sql.deleteAllMethods.run({ userId }).changes);
  }

  async advance(key: string, value: number) {
    // An absent counter counts as -1; nothing at or below it can ever move it (NaN neither).
    if (!(value > -1)) return false;
    return Number(this.#sql.advance.run({ key, value }).changes) === 1;
  }
  async recordUse(use: { counterKey: string; value: number; methodId: string; at: number }) {
    if (!(use.value > -1)) return false;
    // One conditional statement: the counter moves and carries the use, or nothing changes.
    const result = this.#sql.recordUse.run({
      key: use.counterKey,
      value: use.value,
      methodId: use.methodId,
      at: use.at,
    });
    return Number(result.changes) === 1;
  }
  async getCounter(key: string) {
    const row = this.#sql.getCounter.get({ key });
    return row ? int(row, 'value') : null;
  }
  async deleteCounter(key: string) {
    this.#sql.deleteCounter.run({ key });
  }

  async replaceRecoveryCodes(userId: string, hashes: string[], at: number) {
    transaction(this.#db, () => {
      this.#sql.deleteRecoveryCodes.run({ userId });
      for (const hash of hashes) this.#sql.insertRecoveryCode.run({ userId, hash, at });
    });
  }
  async consumeRecoveryCode(userId: string, hash: string, at: number) {
    return Number(this.#sql.consumeRecoveryCode.run({ userId, hash, at }).changes) === 1;
  }
  async countRecoveryCodes(userId: string) {
    const row = this.#sql.countRecoveryCodes.get({ userId });
    return row ? int(row, 'n') : 0;
  }
  async deleteRecoveryCodes(userId: string) {
    this.#sql.deleteRecoveryCodes.run({ userId });
  }

  async insertDevice(device: RememberedDeviceRecord) {
    try {
      this.#sql.insertDevice.run({
        id: device.id,
        userId: device.userId,
        secretHash: device.secretHash,
        userAgent: device.userAgent,
        createdAt: device.createdAt,
        lastUsedAt: device.lastUsedAt,
        expiresAt: device.expiresAt,
        revokedAt: device.revokedAt,
      });
    } catch (error) {
      if (isConstraintViolation(error)) throw new Error(`device ${device.id} exists`, { cause: error });
      throw error;
    }
  }
  async getDevice(id: string) {
    const row = this.#sql.getDevice.get({ id });
    return row ? toDevice(row) : null;
  }
  async listDevices(userId: string) {
    return this.#sql.listDevices.all({ userId }).map(toDevice);
  }
  async touchDevice(id: string, at: number) {
    this.#sql.touchDevice.run({ id, at });
  }
  async revokeDevice(userId: string, id: string, at: number) {
    return Number(this.#sql.revokeDevice.run({ userId, id, at }).changes) === 1;
  }
  async revokeAllDevices(userId: string, at: number) {
    return Number(this.#sql.revokeAllDevices.run({ userId, at }).changes);
  }

  async importTokens(tokens: OathTokenRecord[]) {
    transaction(this.#db, () => {
      for (const token of tokens) {
        try {
          this.#sql.insertToken.run({
            serial: token.serial,
            kind: token.kind,
            sealedSecret: token.sealedSecret,
            algorithm: token.algorithm,
            digits: token.digits,
            period: token.period,
            assignedTo: token.assignedTo,
            importedAt: token.importedAt,
          });
        } catch (error) {
          if (isConstraintViolation(error)) throw new Error(`token ${token.serial} exists`, { cause: error });
          throw error;
        }
      }
    });
  }
  async getToken(serial: string) {
    const row = this.#sql.getToken.get({ serial });
    return row ? toToken(row) : null;
  }
  async listTokens() {
    return this.#sql.listTokens.all().map(toToken);
  }
  async assignToken(serial: string, userId: string) {
    return Number(this.#sql.assignToken.run({ serial, userId }).changes) === 1;
  }
  async unassignToken(serial: string, userId: string) {
    return Number(this.#sql.unassignToken.run({ serial, userId }).changes) === 1;
  }
  async unassignTokens(userId: string) {
    return Number(this.#sql.unassignTokens.run({ userId }).changes);
  }

  async getUserState(userId: string) {
    const row = this.#sql.getUserState.get({ userId });
    return row ? oneOf(row, 'state', STATES) : null;
  }
  async setUserState(userId: string, state: UserMfaState) {
    this.#sql.setUserState.run({ userId, state });
  }

  async appendAudit(event: AuditEventRecord) {
    this.#sql.appendAudit.run({
      id: event.id,
      at: event.at,
      type: event.type,
      userId: event.userId,
      data: JSON.stringify(event.data),
    });
  }
  async listAudit(filter: { userId?: string; limit: number }) {
    const limit = Math.floor(filter.limit);
    // SQLite reads a negative LIMIT as "no limit"; a limit of zero or less lists nothing.
    if (!(limit > 0)) return [];
    const rows =
      filter.userId === undefined
        ? this.#sql.listAudit.all({ limit })
        : this.#sql.listAuditByUser.all({ userId: filter.userId, limit });
    return rows.map(toAudit);
  }

  async getPolicyDocument() {
    const row = this.#sql.getPolicyDocument.get();
    return row ? toPolicyDocument(row) : null;
  }
  async putPolicyDocument(document: unknown, expectedVersion: number, at: number, by: string | null) {
    const json = JSON.stringify(document);
    if (json === undefined) throw new TypeError('policy document is not JSON');
    // Stored versions are 1, 2, ...; no other expectation can ever match.
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) return null;
    // One conditional statement either way, so two writers (in any processes) cannot both win:
    // the first save relies on the single-row primary key, later ones on the version match.
    const result =
      expectedVersion === 0
        ? this.#sql.insertPolicyDocument.run({ document: json, at, by })
        : this.#sql.updatePolicyDocument.run({ expected: expectedVersion, document: json, at, by });
    if (Number(result.changes) !== 1) return null;
    return { version: expectedVersion + 1, document: JSON.parse(json), updatedAt: at, updatedBy: by };
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

  async putAccessPass(record: AccessPassRecord) {
    return this.#accessPasses.put(record);
  }
  async getAccessPass(userId: string) {
    return this.#accessPasses.get(userId);
  }
  async consumeAccessPass(userId: string, id: string, at: number) {
    return this.#accessPasses.consume(userId, id, at);
  }
  async deleteAccessPass(userId: string) {
    return this.#accessPasses.delete(userId);
  }
}

function prepareRepository(db: DatabaseSync) {
  const sql = (source: string): StatementSync => db.prepare(source);
  return {
    listMethodRows: sql(`SELECT rowid AS rid, ${METHOD_COLUMNS} FROM methods WHERE user_id = :userId`),
    counterUse: sql('SELECT used_at FROM counters WHERE key = :key AND method_id = :methodId'),
    getMethod: sql(`${METHOD_SELECT} WHERE m.id = :id AND m.user_id = :userId`),
    insertMethod: sql(
      `INSERT INTO methods (${METHOD_COLUMNS}) VALUES
       (:id, :userId, :kind, :label, :sealedSecret, :algorithm, :digits, :period, :tokenSerial, :createdAt, :lastUsedAt)`,
    ),
    deleteMethod: sql('DELETE FROM methods WHERE id = :id AND user_id = :userId'),
    deleteAllMethods: sql('DELETE FROM methods WHERE user_id = :userId'),

    recordUse: sql(
      `INSERT INTO counters (key, value, method_id, used_at) VALUES (:key, :value, :methodId, :at)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, method_id = excluded.method_id, used_at = excluded.used_at
       WHERE excluded.value > counters.value`,
    ),
    advance: sql(
      `INSERT INTO counters (key, value) VALUES (:key, :value)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value WHERE excluded.value > counters.value`,
    ),
    getCounter: sql('SELECT value FROM counters WHERE key = :key'),
    deleteCounter: sql('DELETE FROM counters WHERE key = :key'),

    insertRecoveryCode: sql(
      // A hash listed twice is one code.
      `INSERT INTO recovery_codes (user_id, hash, created_at, used_at) VALUES (:userId, :hash, :at, NULL)
       ON CONFLICT (user_id, hash) DO NOTHING`,
    ),
    consumeRecoveryCode: sql(
      `UPDATE recovery_codes SET used_at = :at
       WHERE user_id = :userId AND hash = :hash AND used_at IS NULL`,
    ),
    countRecoveryCodes: sql(
      'SELECT count(*) AS n FROM recovery_codes WHERE user_id = :userId AND used_at IS NULL',
    ),
    deleteRecoveryCodes: sql('DELETE FROM recovery_codes WHERE user_id = :userId'),

    insertDevice: sql(
      `INSERT INTO devices (${DEVICE_COLUMNS}) VALUES
       (:id, :userId, :secretHash, :userAgent, :createdAt, :lastUsedAt, :expiresAt, :revokedAt)`,
    ),
    getDevice: sql(`SELECT ${DEVICE_COLUMNS} FROM devices WHERE id = :id`),
    listDevices: sql(
      `SELECT ${DEVICE_COLUMNS} FROM devices WHERE user_id = :userId ORDER BY created_at, rowid`,
    ),
    touchDevice: sql('UPDATE devices SET last_used_at = :at WHERE id = :id'),
    revokeDevice: sql(
      'UPDATE devices SET revoked_at = :at WHERE id = :id AND user_id = :userId AND revoked_at IS NULL',
    ),
    revokeAllDevices: sql(
      'UPDATE devices SET revoked_at = :at WHERE user_id = :userId AND revoked_at IS NULL',
    ),

    insertToken: sql(
      `INSERT INTO oath_tokens (${TOKEN_COLUMNS}) VALUES
       (:serial, :kind, :sealedSecret, :algorithm, :digits, :period, :assignedTo, :importedAt)`,
    ),
    getToken: sql(`SELECT ${TOKEN_COLUMNS} FROM oath_tokens WHERE serial = :serial`),
    listTokens: sql(`SELECT ${TOKEN_COLUMNS} FROM oath_tokens ORDER BY serial`),
    assignToken: sql(
      'UPDATE oath_tokens SET assigned_to = :userId WHERE serial = :serial AND assigned_to IS NULL',
    ),
    unassignToken: sql(
      'UPDATE oath_tokens SET assigned_to = NULL WHERE serial = :serial AND assigned_to = :userId',
    ),
    unassignTokens: sql('UPDATE oath_tokens SET assigned_to = NULL WHERE assigned_to = :userId'),

    getUserState: sql('SELECT state FROM user_states WHERE user_id = :userId'),
    setUserState: sql(
      `INSERT INTO user_states (user_id, state) VALUES (:userId, :state)
       ON CONFLICT (user_id) DO UPDATE SET state = excluded.state`,
    ),

    appendAudit: sql(`INSERT INTO audit_events (${AUDIT_COLUMNS}) VALUES (:id, :at, :type, :userId, :data)`),
    listAudit: sql(`SELECT ${AUDIT_COLUMNS} FROM audit_events ORDER BY seq DESC LIMIT :limit`),
    listAuditByUser: sql(
      `SELECT ${AUDIT_COLUMNS} FROM audit_events WHERE user_id = :userId ORDER BY seq DESC LIMIT :limit`,
    ),

    getPolicyDocument: sql(
      'SELECT version, document, updated_at, updated_by FROM policy_document WHERE id = 1',
    ),
    insertPolicyDocument: sql(
      `INSERT INTO policy_document (id, version, document, updated_at, updated_by) VALUES (1, 1, :document, :at, :by)
       ON CONFLICT (id) DO NOTHING`,
    ),
    updatePolicyDocument: sql(
      `UPDATE policy_document SET version = version + 1, document = :document, updated_at = :at, updated_by = :by
       WHERE id = 1 AND version = :expected`,
    ),

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

/**
 * Ephemeral state on SQLite: one table of `(key, value, expires_at)`. A row whose
 * `expires_at` is at or before the clock's now is absent; expired rows are deleted when
 * touched and swept every `PURGE_EVERY` writes.
 */
export class SqliteEphemeralStore implements EphemeralStore {
  static readonly PURGE_EVERY = 500;

  #db: DatabaseSync;
  #clock: Clock;
  #sql: ReturnType<typeof prepareEphemeral>;
  #writes = 0;

  constructor(db: DatabaseSync, clock: Clock = systemClock) {
    migrateSqliteDatabase(db);
    this.#db = db;
    this.#clock = clock;
    this.#sql = prepareEphemeral(db);
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

function prepareEphemeral(db: DatabaseSync) {
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

/**
 * OpenID provider models on SQLite (migration 4). Expired rows are never returned; they are
 * swept every `PURGE_EVERY` upserts (or by `purgeExpired()`). `consume` is one conditional
 * UPDATE, so it is atomic across processes too.
 */
export class SqliteOidcStore implements OidcStore {
  static readonly PURGE_EVERY = 500;

  #clock: Clock;
  #sql: ReturnType<typeof prepareOidc>;
  #writes = 0;

  constructor(db: DatabaseSync, clock: Clock = systemClock) {
    migrateSqliteDatabase(db);
    this.#clock = clock;
    this.#sql = prepareOidc(db);
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

function prepareOidc(db: DatabaseSync) {
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
