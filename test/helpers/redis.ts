// The Redis server the Redis adapter's tests talk to, named by REDIS_URL. Without it the tests
// are skipped with a message on a developer machine and fail under CI=true, where Redis is part
// of the build. Each run writes under its own random key prefix and deletes its keys afterwards,
// so runs sharing a server never meet.
import { randomBytes } from 'node:crypto';
import { connectRedis, type RedisClient } from '../../adapters/redis/index.ts';

export interface RedisTestServer {
  readonly url: string;
  /** A connection opened before the tests (closed after them). */
  readonly client: RedisClient;
  /** A fresh key prefix under this run's, on each call. */
  freshPrefix(): string;
}

let warned = false;

/**
 * Call inside a `describe`: before its tests, connects to REDIS_URL (or skips them with a
 * message, failing under CI=true); after them, deletes every key the run wrote and disconnects.
 */
export function useRedisServer(): RedisTestServer {
  const runPrefix = `mfakit-test:${randomBytes(8).toString('hex')}`;
  let client: RedisClient | undefined;
  let prefixes = 0;
  before(async function () {
    const url = process.env.REDIS_URL;
    if (!url) {
      if (process.env.CI === 'true')
        throw new Error('CI needs REDIS_URL (a Redis server) for the Redis adapter');
      if (!warned)
        console.log('    (Redis adapter tests skipped: set REDIS_URL=redis://127.0.0.1:6379 to run them)');
      warned = true;
      this.skip();
    }
    client = await connectRedis({ url });
  });
  after(async () => {
    if (!client) return;
    for await (const keys of client.scanIterator({ MATCH: `${runPrefix}:*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.del(keys);
    }
    await client.close();
    client = undefined;
  });
  return {
    get url() {
      return process.env.REDIS_URL ?? '';
    },
    get client() {
      if (!client) throw new Error('the Redis test client is connected before the tests only');
      return client;
    },
    freshPrefix: () => `${runPrefix}:${prefixes++}`,
  };
}
