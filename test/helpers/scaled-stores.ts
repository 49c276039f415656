// The stores of a scaled-out deployment, for a test that runs engines as its processes: the
// durable records in a fresh PostgreSQL schema, the short-lived state on Redis under a fresh key
// prefix, both on the test's clock. Call inside a `describe` (it needs DATABASE_URL and
// REDIS_URL, as those servers' own helpers say); what it opened is closed after each test.
import { createPostgresStores } from '../../adapters/postgres/index.ts';
import { createRedisStores } from '../../adapters/redis/index.ts';
import type { Clock, Stores } from '../../src/index.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';
import { useRedisServer } from './redis.ts';

export function useScaledStores(): (clock: Clock) => Promise<Stores> {
  const redis = useRedisServer();
  const postgres = postgresTestServer();
  const opened: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    for (const stores of opened.splice(0).reverse()) await stores.close();
  });
  return async (clock) => {
    const durable = await createPostgresStores({
      url: postgres.url,
      schema: postgres.freshSchema(),
      clock,
      ephemeral: false,
    });
    opened.push(durable);
    const shortLived = await createRedisStores({
      repository: durable.repository,
      client: redis.client,
      prefix: redis.freshPrefix(),
      clock,
    });
    opened.push(shortLived);
    return shortLived;
  };
}
