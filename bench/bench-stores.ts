// The stores a benchmark runs on, described by a plain object (so a child process opens the same
// ones): SQLite (a file), PostgreSQL alone (a schema of the run's own) or PostgreSQL with the
// short-lived state and the OpenID provider's short-lived models on Redis (a key prefix of the
// run's own, with the invalidation channel), the recommended production shape. `dropBenchStores` removes
// what a run left on the servers.
import { randomBytes } from 'node:crypto';
import type { Clock, Stores } from 'mfakit';
import { createPostgresStores } from 'mfakit/adapters/postgres';
import { createRedisInvalidation, createRedisStores } from 'mfakit/adapters/redis';
import { createSqliteStores } from 'mfakit/adapters/sqlite';
import pg from 'pg';
import { createClient } from 'redis';

export type BenchStoreSpec =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; schema: string }
  | { kind: 'postgres+redis'; url: string; schema: string; redisUrl: string; prefix: string };

/** A schema or key prefix no other run uses. */
export const runName = () => `mfakit_bench_${randomBytes(6).toString('hex')}`;

export function describeSpec(spec: BenchStoreSpec): string {
  return spec.kind === 'sqlite' ? 'SQLite' : spec.kind === 'postgres' ? 'PostgreSQL' : 'PostgreSQL + Redis';
}

export async function openBenchStores(
  spec: BenchStoreSpec,
  options: { clock?: Clock; invalidation?: boolean } = {},
): Promise<Stores & { close(): Promise<void> }> {
  const clock = options.clock ? { clock: options.clock } : {};
  if (spec.kind === 'sqlite') {
    const stores = createSqliteStores({ path: spec.path, ...clock });
    return { ...stores, close: async () => stores.close?.() };
  }
  if (spec.kind === 'postgres') return createPostgresStores({ url: spec.url, schema: spec.schema, ...clock });
  const durable = await createPostgresStores({
    url: spec.url,
    schema: spec.schema,
    ephemeral: false,
    ...clock,
  });
  const redis = await createRedisStores({
    repository: durable.repository,
    durableOidc: durable.oidc,
    url: spec.redisUrl,
    prefix: spec.prefix,
    ...clock,
  });
  const invalidation =
    options.invalidation === false
      ? undefined
      : await createRedisInvalidation({ url: spec.redisUrl, prefix: spec.prefix });
  return {
    ...redis,
    ...(invalidation ? { invalidation } : {}),
    close: async () => {
      await invalidation?.close?.();
      await redis.close();
      await durable.close();
    },
  };
}

/** Drops the run's schema and deletes its Redis keys. */
export async function dropBenchStores(spec: BenchStoreSpec): Promise<void> {
  if (spec.kind === 'sqlite') return;
  const pool = new pg.Pool({ connectionString: spec.url, max: 1 });
  try {
    await pool.query(`DROP SCHEMA IF EXISTS "${spec.schema}" CASCADE`);
  } finally {
    await pool.end();
  }
  if (spec.kind !== 'postgres+redis') return;
  const client = createClient({ url: spec.redisUrl });
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${spec.prefix}:*`, COUNT: 1000 }))
      if (keys.length > 0) await client.del(keys);
  } finally {
    await client.close();
  }
}
