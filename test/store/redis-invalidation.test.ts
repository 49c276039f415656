// Invalidation messages over Redis pub/sub between separate connections, as between processes:
// what one channel publishes reaches every subscriber of the topic under the same prefix, in
// order, and nothing else; unsubscribing and closing stop delivery; a failing handler harms
// no other.
import assert from 'node:assert/strict';
import { createRedisInvalidation, type InvalidationChannel } from '../../adapters/redis/index.ts';
import { useRedisServer } from '../helpers/redis.ts';

/** Everything a handler was called with, and a way to wait for the next `n` of it. */
function inbox() {
  const messages: string[] = [];
  let wake: (() => void) | undefined;
  return {
    messages,
    handler: (message: string) => {
      messages.push(message);
      wake?.();
    },
    async until(count: number, timeoutMs = 3000): Promise<string[]> {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`got ${messages.length} of ${count} messages: ${messages.join(', ')}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, left);
        });
      }
      return messages;
    },
  };
}

describe('redis adapter: invalidation channel', () => {
  const redis = useRedisServer();
  const opened: InvalidationChannel[] = [];
  const channel = async (prefix: string) => {
    const created = await createRedisInvalidation({ url: redis.url, prefix });
    opened.push(created);
    return created;
  };
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });

  it('a message published by one process reaches the subscribers of its topic in the others, in order', async () => {
    const prefix = redis.freshPrefix();
    const [publisher, subscriber] = [await channel(prefix), await channel(prefix)];
    const revoked = inbox();
    const policy = inbox();
    const ownEcho = inbox();
    await subscriber.subscribe('session-revoked', revoked.handler);
    await subscriber.subscribe('policy-changed', policy.handler);
    await publisher.subscribe('session-revoked', ownEcho.handler);

    for (const user of ['u-1', 'u-2', 'u-3']) await publisher.publish('session-revoked', user);
    await publisher.publish('policy-changed', JSON.stringify({ version: 7 }));

    assert.deepEqual(await revoked.until(3), ['u-1', 'u-2', 'u-3']);
    assert.deepEqual(await policy.until(1), ['{"version":7}']);
    assert.deepEqual(await ownEcho.until(3), ['u-1', 'u-2', 'u-3'], 'the publishing process hears it too');
    assert.deepEqual(revoked.messages, ['u-1', 'u-2', 'u-3'], 'no message of another topic');
  });

  it('another prefix is another deployment: it hears nothing', async () => {
    const [prefix, otherPrefix] = [redis.freshPrefix(), redis.freshPrefix()];
    const [publisher, same] = [await channel(prefix), await channel(prefix)];
    const [otherPublisher, other] = [await channel(otherPrefix), await channel(otherPrefix)];
    const heard = inbox();
    const elsewhere = inbox();
    await same.subscribe('session-revoked', heard.handler);
    await other.subscribe('session-revoked', elsewhere.handler);
    await publisher.publish('session-revoked', 'u-1');
    // Redis delivers to a connection in publishing order: had the first message reached
    // `other`, it would come before this one.
    await otherPublisher.publish('session-revoked', 'marker');
    assert.deepEqual(await elsewhere.until(1), ['marker']);
    assert.deepEqual(await heard.until(1), ['u-1']);
  });

  it('after unsubscribing a handler is called no more; a failing handler harms no other', async () => {
    const prefix = redis.freshPrefix();
    const errors: unknown[] = [];
    const publisher = await channel(prefix);
    const subscriber = await createRedisInvalidation({
      url: redis.url,
      prefix,
      onHandlerError: (error, topic) => errors.push([topic, error]),
    });
    opened.push(subscriber);
    const dropped = inbox();
    const kept = inbox();
    const unsubscribe = await subscriber.subscribe('session-revoked', dropped.handler);
    await subscriber.subscribe('session-revoked', () => {
      throw new Error('handler bug');
    });
    await subscriber.subscribe('session-revoked', async () => {
      throw new Error('async handler bug');
    });
    await subscriber.subscribe('session-revoked', kept.handler);

    await publisher.publish('session-revoked', 'first');
    assert.deepEqual(await kept.until(1), ['first']);
    assert.deepEqual(await dropped.until(1), ['first']);
    assert.equal(errors.length, 2, 'both failing handlers were reported');

    await unsubscribe();
    await publisher.publish('session-revoked', 'second');
    assert.deepEqual(await kept.until(2), ['first', 'second']);
    assert.deepEqual(dropped.messages, ['first']);
  });

  it("on the caller's client: subscribes on a second connection, and closing leaves the client open", async () => {
    const prefix = redis.freshPrefix();
    const onClient = await createRedisInvalidation({ client: redis.client, prefix });
    const publisher = await channel(prefix);
    const heard = inbox();
    await onClient.subscribe('policy-changed', heard.handler);
    assert.equal(await redis.client.ping(), 'PONG', 'the client itself is not put in subscriber mode');
    await publisher.publish('policy-changed', 'v2');
    assert.deepEqual(await heard.until(1), ['v2']);
    await onClient.close();
    assert.ok(redis.client.isReady);
  });

  it('a closed channel stops receiving and refuses to publish', async () => {
    const prefix = redis.freshPrefix();
    const [publisher, open] = [await channel(prefix), await channel(prefix)];
    const closing = await createRedisInvalidation({ url: redis.url, prefix });
    const heard = inbox();
    const stillOpen = inbox();
    await closing.subscribe('session-revoked', heard.handler);
    await open.subscribe('session-revoked', stillOpen.handler);
    await closing.close();
    await publisher.publish('session-revoked', 'u-1');
    await stillOpen.until(1);
    assert.deepEqual(heard.messages, []);
    await assert.rejects(closing.publish('session-revoked', 'u-2'), /closed/i);
  });
});
