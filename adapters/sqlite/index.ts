// Embedded SQLite stores on `node:sqlite` (built into Node, no native build): one store class
// per aggregate port (adapters/sqlite/<aggregate>.ts), composed here over one database file, so
// a single-host deployment needs nothing else. The schema is in migrations.ts, the shared row
// readers and write transaction in rows.ts.
//
// Atomicity: `DatabaseSync` is synchronous and no method awaits between statements, so each
// method is atomic within a process. Across processes sharing the file, every one-time rule is
// a single conditional SQL statement (or a `BEGIN IMMEDIATE` transaction), never a JavaScript
// read-modify-write. The database runs in WAL mode with a busy timeout, so concurrent writers
// wait for each other instead of failing.
import type { DatabaseSync } from 'node:sqlite';
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import { composeRepository } from '../../src/store/compose-repository.ts';
import type { Repository, Stores } from '../../src/store/ports.ts';
import { SqliteAccessPassStore } from './access-passes.ts';
import { SqliteAppPasswordStore } from './app-passwords.ts';
import { SqliteAuditStore } from './audit.ts';
import { SqliteCounterStore } from './counters.ts';
import { openSqliteDatabase } from './database.ts';
import { SqliteEphemeralStore } from './ephemeral.ts';
import { SqliteMethodStore } from './methods.ts';
import { migrateSqliteDatabase } from './migrations.ts';
import { SqliteOathTokenStore } from './oath-tokens.ts';
import { SqliteOidcStore } from './oidc-models.ts';
import { SqlitePolicyDocumentStore } from './policy-document.ts';
import { SqliteRecoveryCodeStore } from './recovery-codes.ts';
import { SqliteRememberedDeviceStore } from './remembered-devices.ts';
import { SqliteSignInSignalStore } from './sign-in-signals.ts';
import { SqliteUserStateStore } from './user-states.ts';

export { openSqliteDatabase } from './database.ts';
export { SqliteEphemeralStore } from './ephemeral.ts';
export { migrateSqliteDatabase, SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from './migrations.ts';
export { SqliteOidcStore } from './oidc-models.ts';

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
    const repository = createSqliteRepository(db);
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

/**
 * Durable records on SQLite: every aggregate store over `db`, migrated first. The database must
 * stay open while this is in use. Session epochs live in the counters.
 */
export function createSqliteRepository(db: DatabaseSync): Repository {
  migrateSqliteDatabase(db);
  const methods = new SqliteMethodStore(db);
  return composeRepository({
    methods,
    counters: new SqliteCounterStore(db),
    recoveryCodes: new SqliteRecoveryCodeStore(db),
    devices: new SqliteRememberedDeviceStore(db),
    tokens: new SqliteOathTokenStore(db, methods),
    userStates: new SqliteUserStateStore(db),
    audit: new SqliteAuditStore(db),
    policyDocument: new SqlitePolicyDocumentStore(db),
    signals: new SqliteSignInSignalStore(db),
    accessPasses: new SqliteAccessPassStore(db),
    appPasswords: new SqliteAppPasswordStore(db),
  });
}
