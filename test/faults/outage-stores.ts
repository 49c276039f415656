// The stores of the outage tests, as the sample server composes them: durable records and the
// OpenID provider's long-lived models on PostgreSQL (a fresh schema), short-lived state, the
// provider's short-lived models (interactions, codes, access tokens) and invalidation on a
// redis-server of the test's own, which the test kills and starts again. Call `useOutageStores()` inside a `describe`.
import { createPostgresStores } from '../../adapters/postgres/index.ts';
import { createRedisInvalidation, createRedisStores } from '../../adapters/redis/index.ts';
import type { Clock } from '../../src/engine/capabilities.ts';
import type { Stores } from '../../src/store/ports.ts';
import { type RedisProcess, redisProcess, requireRedisServerBinary } from '../helpers/redis-process.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

export interface OutageStores {
  /** The test's own Redis (started before each test). */
  readonly redis: RedisProcess;
  /** PostgreSQL + that Redis, on `clock`; closed after the test. `oidcModels`: where the provider's models are (default `split`, as the sample composes them: short-lived on Redis, long-lived on PostgreSQL; `redis` or `postgres`: all of them there). */
  stores(clock: Clock, options?: { oidcModels?: 'split' | 'redis' | 'postgres' }): Promise<Stores>;
}

export function useOutageStores(): OutageStores {
  const postgres = postgresTestServer();
  let redis: RedisProcess | undefined;
  const closers: (() => Promise<void>)[] = [];
  beforeEach(async function () {
    requireRedisServerBinary(this);
    redis = await redisProcess();
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => {});
    await redis?.stop();
  });
  return {
    get redis() {
      if (!redis) throw new Error('the test Redis runs during tests only');
      return redis;
    },
    async stores(clock, options = {}) {
      if (!redis) throw new Error('the test Redis runs during tests only');
      const durable = await createPostgresStores({
        url: postgres.url,
        schema: postgres.freshSchema(),
        ephemeral: false,
        clock,
      });
      closers.push(() => durable.close());
      const prefix = 'mfakit-fault';
      const shortLived = await createRedisStores({
        repository: durable.repository,
        ...(options.oidcModels === 'redis' ? {} : { durableOidc: durable.oidc }),
        url: redis.url,
        prefix,
        clock,
      });
      closers.push(() => shortLived.close());
      const invalidation = await createRedisInvalidation({ url: redis.url, prefix });
      closers.push(() => invalidation.close());
      return {
        repository: durable.repository,
        ephemeral: shortLived.ephemeral,
        oidc: options.oidcModels === 'postgres' ? durable.oidc : shortLived.oidc,
        invalidation,
      };
    },
  };
}

/** Retries `attempt` every 100 ms until it gives a value (at most `ms`): a client reconnecting. */
export async function eventually<T>(
  ms: number,
  attempt: () => Promise<T | undefined>,
): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await attempt().catch(() => undefined);
    if (value !== undefined || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
