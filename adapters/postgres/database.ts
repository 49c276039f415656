// Reaching the PostgreSQL server: the connection settings (URL, pool size, statement and connect
// timeouts) with their defaults, the pool built from them, and the first connection, made at
// once so a wrong or unreachable URL fails at start with an error naming the setting it came
// from, within the connect timeout, instead of on the first sign-in or never.
import { Pool } from 'pg';
import { ConfigError, StoreError } from '../../src/errors.ts';

export interface PostgresConnectionOptions {
  /** `postgres://user:password@host:port/database`. Default: the `DATABASE_URL` environment variable. */
  url?: string;
  /** An application's own pool, used as it is (the settings below are then its business) and never ended. */
  pool?: Pool;
  /** What the URL is called where it came from, named in errors. Default: `DATABASE_URL`, or `url` when given. */
  setting?: string;
  /** Connections in the pool. Default 10. */
  poolMax?: number;
  /** The server cancels a statement running longer than this (`statement_timeout`), in ms; 0: never. Default 10000. */
  statementTimeoutMs?: number;
  /** Giving up on opening a connection (or waiting for a free one) after this, in ms. Default 5000. */
  connectTimeoutMs?: number;
}

export const POSTGRES_DEFAULTS = {
  poolMax: 10,
  statementTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
} as const;

/** A pool reached at least once, and whether closing the stores ends it (it does if mfakit made it). */
export interface ConnectedPool {
  pool: Pool;
  owned: boolean;
  /** How errors name the server: the URL without its password, and the setting it came from. */
  describe: string;
}

/** The options' own pool, or a new one from the URL whose first connection has succeeded. */
export async function connectPostgres(options: PostgresConnectionOptions): Promise<ConnectedPool> {
  if (options.pool) return { pool: options.pool, owned: false, describe: 'the given pool' };
  const fromEnvironment = options.url === undefined;
  const setting = options.setting ?? (fromEnvironment ? 'DATABASE_URL' : 'url');
  const url = options.url ?? process.env.DATABASE_URL;
  if (!url) throw new ConfigError(`postgres: no database URL: set ${setting}`);
  const shown = `${redacted(url, setting)} (${setting})`;
  const max = integerSetting(options.poolMax, POSTGRES_DEFAULTS.poolMax, 1, 'poolMax');
  const statementTimeout = integerSetting(
    options.statementTimeoutMs,
    POSTGRES_DEFAULTS.statementTimeoutMs,
    0,
    'statementTimeoutMs',
  );
  const connectTimeout = integerSetting(
    options.connectTimeoutMs,
    POSTGRES_DEFAULTS.connectTimeoutMs,
    1,
    'connectTimeoutMs',
  );

  const pool = new Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: connectTimeout,
    statement_timeout: statementTimeout,
    // A transaction mfakit opens never waits on anything but the server: one left idle is stuck.
    idle_in_transaction_session_timeout: statementTimeout,
    application_name: 'mfakit',
    keepAlive: true,
  });
  // An idle connection that breaks (the server restarted) is dropped from the pool; the next
  // statement reconnects or fails, and its caller fails closed. Nothing to do here but not crash.
  pool.on('error', () => {});
  try {
    (await pool.connect()).release();
  } catch (error) {
    await pool.end().catch(() => {});
    throw new StoreError(`postgres: cannot connect to ${shown}: ${reason(error)}`);
  }
  return { pool, owned: true, describe: shown };
}

function integerSetting(value: number | undefined, fallback: number, least: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < least)
    throw new ConfigError(`postgres: ${name} must be an integer of at least ${least}, not ${value}`);
  return value;
}

/** The URL as errors show it: scheme, user, host, port and database; never the password or query. */
function redacted(url: string, setting: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`postgres: ${setting} is not a URL (expected postgres://user@host:port/database)`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    throw new ConfigError(`postgres: ${setting} must be a postgres:// URL, not ${parsed.protocol}//…`);
  const user = parsed.username ? `${parsed.username}${parsed.password ? ':***' : ''}@` : '';
  return `${parsed.protocol}//${user}${parsed.host}${parsed.pathname}`;
}

/** What went wrong, in words: a refused connection to a name with two addresses is an AggregateError. */
export function reason(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0)
    return [...new Set(error.errors.map(reason))].join('; ');
  if (error instanceof Error) return error.message || ('code' in error ? String(error.code) : error.name);
  return String(error);
}
