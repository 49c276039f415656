// PostgreSQL stores on `pg` (node-postgres): one store class per aggregate port
// (adapters/postgres/<aggregate>.ts), composed here over one pool and one schema, so several
// mfakit processes can share one database. The schema is in migrations.ts (applied at start,
// under an advisory lock), the connection settings in database.ts, named statements and the
// transaction helper in queries.ts, the typed row readers in rows.ts.
//
// Atomicity: every one-time rule is one SQL statement (`INSERT … ON CONFLICT … RETURNING`,
// `UPDATE … WHERE <condition>`, `DELETE … RETURNING`) whose row count or returned row says who
// won; the server's row locks make concurrent callers on any connection, in any process, wait
// and re-check. Never a read in JavaScript followed by a write. The few multi-statement writes
// (replacing recovery codes or an access pass, adding an app password under its maximum) are
// transactions.
import type { Pool } from 'pg';
import type { Clock } from '../../src/engine/capabilities.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import { StoreError } from '../../src/errors.ts';
import { composeRepository } from '../../src/store/compose-repository.ts';
import type { InvalidationChannel, Repository, Stores } from '../../src/store/ports.ts';
import { PostgresAccessPassStore } from './access-passes.ts';
import { PostgresAppPasswordStore } from './app-passwords.ts';
import { PostgresAuditStore } from './audit.ts';
import { PostgresCounterStore } from './counters.ts';
import { connectPostgres, type PostgresConnectionOptions, reason } from './database.ts';
import { PostgresEphemeralStore } from './ephemeral.ts';
import { createPostgresInvalidation } from './invalidation.ts';
import { PostgresMethodStore } from './methods.ts';
import { migratePostgresDatabase } from './migrations.ts';
import { PostgresOathTokenStore } from './oath-tokens.ts';
import { PostgresOidcStore } from './oidc-models.ts';
import { PostgresPolicyDocumentStore } from './policy-document.ts';
import { type PostgresDatabase, postgresDatabase, quoteSchema } from './queries.ts';
import { PostgresRecoveryCodeStore } from './recovery-codes.ts';
import { PostgresRememberedDeviceStore } from './remembered-devices.ts';
import { PostgresSignInSignalStore } from './sign-in-signals.ts';
import { PostgresUserStateStore } from './user-states.ts';

export { POSTGRES_DEFAULTS, type PostgresConnectionOptions } from './database.ts';
export { PostgresEphemeralStore } from './ephemeral.ts';
export {
  createPostgresInvalidation,
  type InvalidationChannel,
  invalidationChannelName,
  type PostgresInvalidationOptions,
} from './invalidation.ts';
export { migratePostgresDatabase, POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './migrations.ts';
export { PostgresOidcStore } from './oidc-models.ts';
export { type PostgresDatabase, postgresDatabase } from './queries.ts';

/** The schema mfakit's tables live in unless told otherwise. */
export const DEFAULT_POSTGRES_SCHEMA = 'mfakit';

export interface PostgresStoreOptions extends PostgresConnectionOptions {
  /** The schema holding mfakit's tables (created and migrated at start). Default `mfakit`. */
  schema?: string;
  /** Time source for expiry (ephemeral state, OpenID provider models). Defaults to the system clock. */
  clock?: Clock;
  /**
   * Whether the ephemeral port lives here too (a deployment on PostgreSQL alone). Default true;
   * false when another store (Redis) holds it: the result then has no `ephemeral`.
   */
  ephemeral?: boolean;
  /**
   * Whether processes on this schema tell one another of revocations and policy changes at once,
   * over LISTEN/NOTIFY (one more connection, outside the pool). Default: true when the ephemeral
   * port lives here too (PostgreSQL alone), false otherwise (Redis carries them: its
   * `createRedisInvalidation`).
   */
  invalidation?: boolean;
}

/** Every port on PostgreSQL, with the pool they share. */
export interface PostgresStores extends Stores {
  ephemeral: PostgresEphemeralStore;
  oidc: PostgresOidcStore;
  /** The pool the stores query through (for health checks); ended by `close()` if mfakit made it. */
  pool: Pool;
  schema: string;
  /** Waits for background sweeps, then ends the pool unless it was the application's. Idempotent. */
  close(): Promise<void>;
}

/** The durable ports and the OpenID provider's models on PostgreSQL, the ephemeral port elsewhere. */
export type PostgresDurableStores = Omit<PostgresStores, 'ephemeral'>;

/**
 * Connects (a bad or unreachable URL fails here, naming the setting), migrates the schema and
 * returns the stores. Close them when done.
 *
 * @example
 * const stores = await createPostgresStores({ url: process.env.DATABASE_URL });
 * const mfa = createMfa({ ...stores, ... });
 */
export function createPostgresStores(
  options?: PostgresStoreOptions & { ephemeral?: true },
): Promise<PostgresStores>;
export function createPostgresStores(
  options: PostgresStoreOptions & { ephemeral: false },
): Promise<PostgresDurableStores>;
export function createPostgresStores(
  options?: PostgresStoreOptions,
): Promise<PostgresStores | PostgresDurableStores>;
export async function createPostgresStores(
  options: PostgresStoreOptions = {},
): Promise<PostgresStores | PostgresDurableStores> {
  const schema = options.schema ?? DEFAULT_POSTGRES_SCHEMA;
  quoteSchema(schema);
  const { pool, owned, describe } = await connectPostgres(options);
  try {
    await migratePostgresDatabase(pool, schema);
  } catch (error) {
    if (owned) await pool.end().catch(() => {});
    if (error instanceof StoreError) throw error;
    throw new StoreError(`postgres: cannot migrate schema "${schema}" on ${describe}: ${reason(error)}`);
  }
  const db = postgresDatabase(pool, schema);
  const clock = options.clock ?? systemClock;
  const ephemeral = options.ephemeral === false ? null : new PostgresEphemeralStore(db, clock);
  const oidc = new PostgresOidcStore(db, clock);
  let invalidation: InvalidationChannel | undefined;
  if (options.invalidation ?? options.ephemeral !== false) {
    try {
      invalidation = await createPostgresInvalidation({ pool, schema });
    } catch (error) {
      if (owned) await pool.end().catch(() => {});
      throw error;
    }
  }
  let closing: Promise<void> | null = null;
  const durable: PostgresDurableStores = {
    repository: createPostgresRepository(db),
    oidc,
    pool,
    schema,
    ...(invalidation ? { invalidation } : {}),
    close() {
      closing ??= (async () => {
        await invalidation?.close();
        await Promise.all([ephemeral?.settled(), oidc.settled()]);
        if (owned) await pool.end();
      })();
      return closing;
    },
  };
  return ephemeral ? { ...durable, ephemeral } : durable;
}

/**
 * Durable records on PostgreSQL: every aggregate store over `db` (see `postgresDatabase`), whose
 * schema must be migrated (`migratePostgresDatabase`). Session epochs live in the counters.
 */
export function createPostgresRepository(db: PostgresDatabase): Repository {
  return composeRepository({
    methods: new PostgresMethodStore(db),
    counters: new PostgresCounterStore(db),
    recoveryCodes: new PostgresRecoveryCodeStore(db),
    devices: new PostgresRememberedDeviceStore(db),
    tokens: new PostgresOathTokenStore(db),
    userStates: new PostgresUserStateStore(db),
    audit: new PostgresAuditStore(db),
    policyDocument: new PostgresPolicyDocumentStore(db),
    signals: new PostgresSignInSignalStore(db),
    accessPasses: new PostgresAccessPassStore(db),
    appPasswords: new PostgresAppPasswordStore(db),
  });
}
