// Where a command that works on an application's records finds them: `--store sqlite:PATH` (an
// SQLite file), `--store postgres:URL` or a bare postgres:// URL, or `--store postgres` alone for
// DATABASE_URL, with `--schema` naming mfakit's schema there; `--db FILE` is the older spelling
// of `--store sqlite:FILE`. One way to open them for every command (what-if, policies, tap,
// reseal). PostgreSQL's adapter is imported only when asked for, so the command line runs
// without `pg` installed.
import { existsSync } from 'node:fs';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { MfaError } from '../errors.ts';
import type { Stores } from '../store/ports.ts';
import { UsageError } from './usage.ts';

export type StoreSpec =
  | { kind: 'sqlite'; path: string }
  /** `setting`: what errors call the URL (DATABASE_URL, or --store). */
  | { kind: 'postgres'; url: string; setting: string; schema?: string };

/** The options naming a store, for `parse` (args.ts). */
export const STORE_OPTIONS = {
  store: { type: 'string' },
  schema: { type: 'string' },
  db: { type: 'string' },
} as const;

/** The application's records and how to let go of them. */
export interface OpenedStores {
  /** Every port: on PostgreSQL the short-lived state too (what a deployment on PostgreSQL alone keeps there). */
  stores: Stores;
  /** What to print: the file, or the server and schema (no password). */
  describe: string;
  close(): Promise<void>;
}

export function parseStoreSpec(value: string, schema: string | undefined, env: NodeJS.ProcessEnv): StoreSpec {
  if (value.startsWith('sqlite:')) {
    if (schema !== undefined) throw new UsageError('--schema goes with a postgres store');
    const path = value.slice('sqlite:'.length);
    if (path === '') throw new UsageError('--store sqlite:PATH needs the database file');
    return { kind: 'sqlite', path };
  }
  const url =
    value === 'postgres'
      ? env.DATABASE_URL
      : /^postgres(ql)?:\/\//.test(value)
        ? value
        : value.startsWith('postgres:')
          ? value.slice('postgres:'.length)
          : null;
  if (url === null)
    throw new UsageError(`--store must be sqlite:PATH, postgres:URL or postgres (got "${value}")`);
  if (!url) throw new UsageError('--store postgres reads DATABASE_URL, which is not set');
  const setting = value === 'postgres' ? 'DATABASE_URL' : '--store';
  return { kind: 'postgres', url, setting, ...(schema !== undefined ? { schema } : {}) };
}

/**
 * The store the options name: `--store` (with `--schema`), or `--db FILE` as `--store
 * sqlite:FILE`; null when they name none. Both at once, or `--schema` without a postgres
 * store, is a usage error.
 */
export function storeOf(
  values: { store?: string | undefined; schema?: string | undefined; db?: string | undefined },
  env: NodeJS.ProcessEnv,
): StoreSpec | null {
  if (values.db !== undefined) {
    if (values.store !== undefined)
      throw new UsageError('give --store or --db (the same as --store sqlite:FILE), not both');
    if (values.db === '') throw new UsageError('--db needs the database file');
    return parseStoreSpec(`sqlite:${values.db}`, values.schema, env);
  }
  if (values.store === undefined) {
    if (values.schema !== undefined)
      throw new UsageError('--schema goes with --store postgres:URL or postgres');
    return null;
  }
  return parseStoreSpec(values.store, values.schema, env);
}

/** How a message tells the operator to name this store again (never a password). */
export function storeArgs(spec: StoreSpec): string {
  if (spec.kind === 'sqlite') return `--store sqlite:${spec.path}`;
  const store = spec.setting === 'DATABASE_URL' ? '--store postgres' : '--store postgres:URL';
  return spec.schema === undefined ? store : `${store} --schema ${spec.schema}`;
}

/**
 * Opens the stores: an existing SQLite file, or an existing PostgreSQL schema (migrated as the
 * application does at start). With `create`, a missing file or schema is created instead (and
 * migrated): only for a command that writes a first document (`policies import --create`).
 */
export async function openStores(spec: StoreSpec, options: { create?: boolean } = {}): Promise<OpenedStores> {
  if (spec.kind === 'sqlite') {
    // Opening a missing path would create an empty database: most likely a typo.
    if (!options.create && !existsSync(spec.path))
      throw new MfaError('db_not_found', `${spec.path}: no such database file`);
    const stores = createSqliteStores({ path: spec.path });
    return { stores, describe: spec.path, close: async () => stores.close?.() };
  }
  const { createPostgresStores, DEFAULT_POSTGRES_SCHEMA } = await import('../../adapters/postgres/index.ts');
  const { connectPostgres } = await import('../../adapters/postgres/database.ts');
  const schema = spec.schema ?? DEFAULT_POSTGRES_SCHEMA;
  const { pool, describe } = await connectPostgres({ url: spec.url, setting: spec.setting, poolMax: 4 });
  try {
    // Starting the stores would create a schema that is not there: most likely a typo.
    const found = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (found.rowCount === 0 && !options.create)
      throw new MfaError(
        'db_not_found',
        `${describe}: no schema "${schema}"` +
          (spec.schema === undefined
            ? ` (mfakit's tables are in schema ${DEFAULT_POSTGRES_SCHEMA} unless --schema names another)`
            : ''),
      );
    const stores = await createPostgresStores({ pool, schema });
    return {
      stores,
      describe: `${describe}, schema ${schema}`,
      close: async () => {
        await stores.close();
        await pool.end();
      },
    };
  } catch (error) {
    await pool.end();
    throw error;
  }
}
