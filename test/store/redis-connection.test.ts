// How the Redis adapter's connection fails: at start, an unreachable server (refused, or
// accepting but silent) is a clear error naming the url and REDIS_URL within the connect
// timeout, never a hang; during an outage (a redis-server of the test's own, killed) commands
// are refused at once rather than queued, and the same stores work again when Redis returns.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createMemoryRepository } from '../../adapters/memory/index.ts';
import { connectRedis, createRedisStores } from '../../adapters/redis/index.ts';
import { StoreError } from '../../src/errors.ts';
import { requireTools } from '../helpers/peers.ts';
import { freePort, listening, startRedisServer, stopRedisServer } from '../helpers/redis-process.ts';

describe('redis adapter: connection failures', () => {
  const repository = createMemoryRepository();

  it('nothing listening at start: a clear error naming the url and REDIS_URL, within the connect timeout', async () => {
    const url = `redis://mfakit:s3cret@127.0.0.1:${await freePort()}`;
    const started = Date.now();
    await assert.rejects(
      createRedisStores({ url, prefix: 't', repository, connectTimeoutMs: 600 }),
      (error: Error) => {
        assert.ok(error instanceof StoreError);
        assert.match(error.message, /cannot reach redis:\/\/mfakit:\*\*\*@127\.0\.0\.1:\d+/);
        assert.match(error.message, /REDIS_URL/);
        assert.match(error.message, /ECONNREFUSED/);
        assert.doesNotMatch(error.message, /s3cret/, 'the password stays out of the message');
        return true;
      },
    );
    const elapsed = Date.now() - started;
    assert.ok(elapsed >= 400 && elapsed < 2000, `gave up after ${elapsed} ms`);
  });

  it('a server that accepts but never answers: the same error once the timeout has run out', async () => {
    const silent = createServer(() => {});
    const port = await listening(silent);
    try {
      const started = Date.now();
      await assert.rejects(
        connectRedis({ url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 600 }),
        /cannot reach redis:\/\/127\.0\.0\.1:\d+ within 600 ms \(connected, but no answer to the handshake\).*REDIS_URL/,
      );
      assert.ok(Date.now() - started < 2000);
    } finally {
      silent.close();
    }
  });

  it('Redis down mid-way: commands fail at once, nothing is granted; back up: the same stores work again', async function () {
    requireTools(this, 'redis-server');
    this.timeout(30_000);
    const port = await freePort();
    let server = await startRedisServer(port);
    const errors: Error[] = [];
    const stores = await createRedisStores({
      url: `redis://127.0.0.1:${port}`,
      prefix: 't',
      repository,
      onError: (error) => errors.push(error),
    });
    try {
      assert.equal(await stores.ephemeral.consumeOnce('code:1', 60_000), true);

      await stopRedisServer(server);
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        await assert.rejects(
          stores.ephemeral.consumeOnce('code:2', 60_000),
          (error) => error instanceof StoreError && error.store === 'redis',
          'a StoreError naming Redis, whatever node-redis threw',
        );
        assert.ok(Date.now() - started < 1000, 'refused at once, not queued until Redis returns');
      }
      assert.ok(errors.length > 0, 'the lost connection was reported to onError');

      server = await startRedisServer(port);
      const deadline = Date.now() + 10_000;
      let granted: boolean | undefined;
      while (granted === undefined && Date.now() < deadline) {
        granted = await stores.ephemeral.consumeOnce('code:2', 60_000).catch(() => undefined);
        if (granted === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(granted, true, 'the store reconnected by itself');
      assert.equal(await stores.ephemeral.consumeOnce('code:2', 60_000), false);
    } finally {
      await stores.close();
      await stopRedisServer(server);
    }
  });
});
