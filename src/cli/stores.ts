// Where a command that works on an application's durable records finds them (`--store`):
// `sqlite:PATH` (an existing SQLite file), `postgres:URL` or a bare postgres:// URL, or
// `postgres` alone for DATABASE_URL, with `--schema` naming mfakit's schema there. PostgreSQL's
// adapter is imported only when asked for, so the command line runs without `pg` installed.
import { existsSync } from 'node:fs';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { MfaError } from '../errors.ts';
import type { Repository } from '../store/ports.ts';
import { UsageError } from './usage.ts';

export type StoreSpec =
  | { kind: 'sqlite'; path: string }
  /** `setting`: what errors call the URL (DATABASE_URL, or --store). */
  | { kind: 'postgres'; url: string; setting: string; schema?: string };

/** The application's records and how to let go of them. */
export interface OpenedStores {
  repository: Repository;
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
 * Opens the stores: an existing SQLite file, or an existing PostgreSQL schema (migrated as the
 * application does at start).
 */
export async function openStores(spec: StoreSpec): Promise<OpenedStores> {
  if (spec.kind === 'sqlite') {
    // Opening a missing path would create an empty database: most likely a typo.
    if (!existsSync(spec.path)) throw new MfaError('db_not_found', `${spec.path}: no such database file`);
    const stores = createSqliteStores({ path: spec.path });
    return { repository: stores.repository, describe: spec.path, close: async () => stores.close?.() };
  }
  const { createPostgresStores, DEFAULT_POSTGRES_SCHEMA } = await import('../../adapters/postgres/index.ts');
  const { connectPostgres } = await import('../../adapters/postgres/database.ts');
  const schema = spec.schema ?? DEFAULT_POSTGRES_SCHEMA;
  const { pool, describe } = await connectPostgres({ url: spec.url, setting: spec.setting, poolMax: 4 });
  try {
    // Starting the stores would create a schema that is not there: most likely a typo.
    const found = await pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (found.rowCount === 0)
      throw new MfaError(
        'db_not_found',
        `${describe}: no schema "${schema}" (mfakit's tables are in schema ${DEFAULT_POSTGRES_SCHEMA} unless --schema names another)`,
      );
    const stores = await createPostgresStores({ pool, schema, ephemeral: false });
    return {
      repository: stores.repository,
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
