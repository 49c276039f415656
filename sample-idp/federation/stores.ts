// Where the federation server keeps its state, chosen by the environment:
//   DATABASE_URL          PostgreSQL for the durable records (methods, counters, remembered
//                         devices, audit, the policy document, ...), in the schema
//                         FED_DATABASE_SCHEMA (default mfakit_sample), created and migrated at start;
//   REDIS_URL             Redis for the short-lived state (pending sign-ins, one-time marks,
//                         lockout attempt slots), oidc-provider's short-lived models (codes,
//                         interactions, access tokens) and the invalidation channel between
//                         processes, keys under FED_REDIS_PREFIX (default mfakit-sample); the
//                         long-lived models (sessions and their stamps, grants, refresh tokens,
//                         clients) stay in the durable store;
//   neither               the SQLite file of the config (`dataFile`), as for one process.
// DATABASE_URL alone puts everything on PostgreSQL; REDIS_URL alone puts the short-lived state on
// Redis beside the SQLite file. A server that cannot be reached at start is an error naming the
// setting (the adapters' own messages), never a fallback to another store.
import type { Stores } from 'mfakit';
import { createPostgresStores } from 'mfakit/adapters/postgres';
import {
  connectRedis,
  createRedisInvalidation,
  createRedisStores,
  redactRedisUrl,
} from 'mfakit/adapters/redis';
import { createSqliteStores } from 'mfakit/adapters/sqlite';

export const DEFAULT_DATABASE_SCHEMA = 'mfakit_sample';
export const DEFAULT_REDIS_PREFIX = 'mfakit-sample';

export interface StoreChoice {
  /** The PostgreSQL URL and schema, or null for the SQLite file. */
  postgres: { url: string; schema: string } | null;
  sqliteFile: string;
  /** The Redis URL and key prefix, or null (the short-lived state stays with the durable store). */
  redis: { url: string; prefix: string } | null;
}

/** Reads the settings above; nothing is opened yet. */
export function chooseStores(dataFile: string, env: NodeJS.ProcessEnv): StoreChoice {
  const postgres = env.DATABASE_URL
    ? { url: env.DATABASE_URL, schema: env.FED_DATABASE_SCHEMA || DEFAULT_DATABASE_SCHEMA }
    : null;
  const redis = env.REDIS_URL
    ? { url: env.REDIS_URL, prefix: env.FED_REDIS_PREFIX || DEFAULT_REDIS_PREFIX }
    : null;
  return { postgres, sqliteFile: dataFile, redis };
}

/** One line for the console: which stores, where (never a password). */
export function describeStores(choice: StoreChoice): string {
  const durable = choice.postgres
    ? `PostgreSQL ${redactPostgresUrl(choice.postgres.url)} (schema ${choice.postgres.schema})`
    : `SQLite ${choice.sqliteFile}`;
  if (!choice.redis) return `Stores: ${durable}, everything in it`;
  return `Stores: ${durable} for the records; Redis ${redactRedisUrl(choice.redis.url)} (prefix ${choice.redis.prefix}) for short-lived state, codes, access tokens and invalidation`;
}

function redactPostgresUrl(url: string): string {
  if (!URL.canParse(url)) return '(DATABASE_URL is not a URL)';
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  parsed.search = '';
  return parsed.href;
}

/** Opens (and migrates) the chosen stores; `close()` ends every connection they opened. */
export async function openStores(choice: StoreChoice): Promise<Stores & { close(): Promise<void> }> {
  const postgres = choice.postgres && {
    url: choice.postgres.url,
    setting: 'DATABASE_URL',
    schema: choice.postgres.schema,
  };
  if (!choice.redis) {
    const stores = postgres
      ? await createPostgresStores(postgres)
      : createSqliteStores({ path: choice.sqliteFile });
    return { ...stores, close: async () => stores.close?.() };
  }
  const durable = postgres
    ? await createPostgresStores({ ...postgres, ephemeral: false })
    : createSqliteStores({ path: choice.sqliteFile });
  const closeDurable = async () => {
    await durable.close?.();
  };
  try {
    const client = await connectRedis({ url: choice.redis.url });
    try {
      const shortLived = await createRedisStores({
        repository: durable.repository,
        durableOidc: durable.oidc,
        client,
        prefix: choice.redis.prefix,
      });
      const invalidation = await createRedisInvalidation({ client, prefix: choice.redis.prefix });
      return {
        ...shortLived,
        invalidation,
        async close() {
          await invalidation.close();
          if (client.isOpen) await client.close();
          await closeDurable();
        },
      };
    } catch (error) {
      if (client.isOpen) await client.close();
      throw error;
    }
  } catch (error) {
    await closeDurable();
    throw error;
  }
}
