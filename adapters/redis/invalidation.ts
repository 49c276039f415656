// Invalidation messages between processes: when one process revokes a session or changes the
// policy, the others hear of it at once rather than when their short caches run out. The
// `InvalidationChannel` interface is what the engine will be given; `createRedisInvalidation`
// carries it over Redis pub/sub, on two connections (a connection that subscribes can do
// nothing else). Topics are namespaced by the prefix, so deployments sharing a server stay
// apart. Delivery is at most once: a process that is disconnected when a message is published
// misses it (node-redis subscribes again when it reconnects), so the caches' own short expiry
// stays the backstop.
import type { InvalidationChannel } from '../../src/store/ports.ts';
import type { RedisClient, RedisSource } from './connection.ts';
import { connectRedis, openRedisSource } from './connection.ts';
import { redisCommand } from './failures.ts';

export type { InvalidationChannel, InvalidationHandler } from '../../src/store/ports.ts';

export type RedisInvalidationOptions = RedisSource & {
  /** Namespace of the channel names, as for the stores. */
  prefix: string;
  /** Told when a handler throws or its promise rejects (the other handlers still run). Default: ignored. */
  onHandlerError?: (error: unknown, topic: string) => void;
};

/**
 * Invalidation over Redis pub/sub: publishes on the given connection (or one opened from the
 * url) and subscribes on a second connection duplicated from it.
 */
export async function createRedisInvalidation(
  options: RedisInvalidationOptions,
): Promise<InvalidationChannel> {
  const publisher = await openRedisSource(options);
  let subscriber: RedisClient;
  try {
    subscriber = 'client' in options ? await connectDuplicate(options.client) : await connectRedis(options);
  } catch (error) {
    await publisher.close();
    throw error;
  }
  const channelOf = (topic: string) => `${options.prefix}:invalidate:${topic}`;
  return {
    async publish(topic, message) {
      await redisCommand('publish', () => publisher.client.publish(channelOf(topic), message));
    },
    async subscribe(topic, handler) {
      const report = (error: unknown) => options.onHandlerError?.(error, topic);
      const listener = (message: string) => {
        try {
          handler(message)?.catch(report);
        } catch (error) {
          report(error);
        }
      };
      await redisCommand('subscribe', () => subscriber.subscribe(channelOf(topic), listener));
      return async () => {
        if (subscriber.isOpen) await subscriber.unsubscribe(channelOf(topic), listener);
      };
    },
    async close() {
      if (subscriber.isOpen) await subscriber.close();
      await publisher.close();
    },
  };
}

/** A second connection with the settings of the caller's client. */
async function connectDuplicate(client: RedisClient): Promise<RedisClient> {
  const duplicate = client.duplicate();
  // Connection errors also fail the commands they concern; the caller's client reports its own.
  duplicate.on('error', () => {});
  await duplicate.connect();
  return duplicate;
}
