// Where a command that works on an application's durable records finds them (`--store`):
// `sqlite:PATH` (an existing SQLite file), `postgres:URL` or a bare postgres:// URL, or
// `postgres` alone for DATABASE_URL, with `--schema` naming mfakit's schema there. PostgreSQL's
// adapter is imported only when asked for, so the command line runs without `pg` installed.
import { existsSync } from 'node:fs';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { MfaError } from '../errors.ts';
import type { Repository } from '../store/ports.ts';
import { UsageError } from './usage.ts';

export type StoreSpec = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string; schema?: string };

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
  return { kind: 'postgres', url, ...(schema !== undefined ? { schema } : {}) };
}

/** Opens the stores (PostgreSQL: migrating the schema as the application does at start). */
export async function openStores(spec: StoreSpec): Promise<OpenedStores> {
  if (spec.kind === 'sqlite') {
    // Opening a missing path would create an empty database: most likely a typo.
    if (!existsSync(spec.path)) throw new MfaError('db_not_found', `${spec.path}: no such database file`);
    const stores = createSqliteStores({ path: spec.path });
    return { repository: stores.repository, describe: spec.path, close: async () => stores.close?.() };
  }
  const { createPostgresStores } = await import('../../adapters/postgres/index.ts');
  const stores = await createPostgresStores({
    url: spec.url,
    ...(spec.schema !== undefined ? { schema: spec.schema } : {}),
    ephemeral: false,
  });
  const server = URL.parse(spec.url);
  return {
    repository: stores.repository,
    describe: `postgres ${server ? `${server.host}${server.pathname}` : '(DATABASE_URL)'}, schema ${stores.schema}`,
    close: () => stores.close(),
  };
}
