// How the PostgreSQL stores talk to the server: a `PostgresDatabase` (a node-postgres pool and the
// schema whose tables they use), named statements (parsed and planned once per connection, not
// on every call), the transaction helper for the few operations that need more than one
// statement, and the unique-violation test that turns a duplicate key into the port's refusal.
// Whatever node-postgres throws (the server unreachable or gone, a statement timed out, an error
// from the server) comes out of here as a StoreError naming PostgreSQL as the store, so the
// integrations recognise an outage, answer 503 and audit it — except a data exception (a value
// the server cannot hold, such as a NUL character), a StoreInputError answered 400 (failures.ts).
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryResult } from 'pg';
import { ConfigError, StoreError } from '../../src/errors.ts';
import { asPostgresStoreError as asStoreError } from './failures.ts';
import type { Row } from './rows.ts';

/** The pool the stores query through and the schema holding their tables. */
export interface PostgresDatabase {
  readonly pool: Pool;
  /** The schema's name as given (`mfakit`). */
  readonly schema: string;
  /** A table of the schema, schema-qualified and quoted for SQL text: `"mfakit".methods`. */
  table(name: string): string;
}

/** A schema name mfakit accepts: a plain SQL identifier, so it is never a way to inject SQL. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function quoteSchema(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) {
    throw new ConfigError(
      `postgres: schema "${schema}" is not a plain identifier (letters, digits and _, at most 63)`,
    );
  }
  return `"${schema}"`;
}

export function postgresDatabase(pool: Pool, schema: string): PostgresDatabase {
  const quoted = quoteSchema(schema);
  return { pool, schema, table: (name) => `${quoted}.${name}` };
}

/** A named statement: the server parses and plans it once per connection. */
export interface Statement {
  readonly name: string;
  readonly text: string;
}

/**
 * Names a statement after a hash of its text: one text, one name, so statements of two schemas
 * (whose texts differ) never clash on a connection they share.
 */
export function statement(text: string): Statement {
  return { name: `mfakit_${createHash('sha256').update(text).digest('hex').slice(0, 32)}`, text };
}

/** Runs a named statement on the pool (any free connection) or on a transaction's client. */
export async function run(
  on: Pool | PoolClient,
  sql: Statement,
  values: unknown[],
): Promise<QueryResult<Row>> {
  try {
    return await on.query<Row>({ name: sql.name, text: sql.text, values });
  } catch (error) {
    throw asStoreError(error);
  }
}

/**
 * Runs `body` inside BEGIN … COMMIT on one connection; rolls back if it throws. A process that
 * dies before COMMIT leaves nothing of it: the server rolls back when the connection drops.
 */
export async function transaction<T>(pool: Pool, body: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect().catch((error: unknown) => {
    throw asStoreError(error);
  });
  let broken: Error | undefined;
  const serverFailed = (error: unknown): never => {
    throw asStoreError(error);
  };
  try {
    await client.query('BEGIN').catch(serverFailed);
    const result = await body(client);
    await client.query('COMMIT').catch(serverFailed);
    return result;
  } catch (error) {
    try {
      await client.query('ROLLBACK');
    } catch (rollbackError) {
      // The connection is unusable: it leaves the pool instead of going back to it.
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** A `unique_violation` (SQLSTATE 23505): an insert met an existing key (also once wrapped in a StoreError). */
export function isUniqueViolation(error: unknown): boolean {
  const server = error instanceof StoreError ? error.cause : error;
  return server instanceof Error && 'code' in server && server.code === '23505';
}
