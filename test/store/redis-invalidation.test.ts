// Invalidation messages over Redis pub/sub: the channel contract between separate connections,
// as between processes (test/store/contract/invalidation.ts), and the channel on a caller's client.
import assert from 'node:assert/strict';
import { createRedisInvalidation } from '../../adapters/redis/index.ts';
import { useRedisServer } from '../helpers/redis.ts';
import { inbox, invalidationContract } from './contract/invalidation.ts';

describe('redis adapter: invalidation channel', () => {
  const redis = useRedisServer();
  invalidationContract(() => ({
    freshNamespace: () => redis.freshPrefix(),
    open: (prefix, onHandlerError) =>
      createRedisInvalidation({ url: redis.url, prefix, ...(onHandlerError ? { onHandlerError } : {}) }),
  }));

  it("on the caller's client: subscribes on a second connection, and closing leaves the client open", async () => {
    const prefix = redis.freshPrefix();
    const onClient = await createRedisInvalidation({ client: redis.client, prefix });
    const publisher = await createRedisInvalidation({ url: redis.url, prefix });
    try {
      const heard = inbox();
      await onClient.subscribe('policy-changed', heard.handler);
      assert.equal(await redis.client.ping(), 'PONG', 'the client itself is not put in subscriber mode');
      await publisher.publish('policy-changed', 'v2');
      assert.deepEqual(await heard.until(1), ['v2']);
      await onClient.close();
      assert.ok(redis.client.isReady);
    } finally {
      await Promise.all([onClient.close(), publisher.close()]);
    }
  });
});
