// Invalidation messages between processes on PostgreSQL alone (no Redis): when one process
// revokes a session or changes the policy, the others hear of it at once rather than when their
// one-second caches run out. Carried by LISTEN/NOTIFY on one channel per schema (so deployments
// in other schemas of the same database stay apart), the topic and message in the payload.
// Publishing is a `pg_notify` through the pool; listening needs a connection of its own, kept
// out of the pool and opened again, after `reconnectDelayMs`, whenever it breaks. Delivery is at
// most once: a message published while the listening connection is down is missed, so the
// caches' own short expiry stays the backstop, as with Redis. Closing waits for the messages
// still being published, so a short-lived process (the `mfakit` command line revoking a pass or
// saving a policy) has told the others before it exits.
import { createHash } from 'node:crypto';
import pg from 'pg';
import { StoreError } from '../../src/errors.ts';
import type { InvalidationChannel, InvalidationHandler } from '../../src/store/ports.ts';
import { connectPostgres, type PostgresConnectionOptions, reason } from './database.ts';
import { quoteSchema } from './queries.ts';

export type { InvalidationChannel, InvalidationHandler } from '../../src/store/ports.ts';

export type PostgresInvalidationOptions = PostgresConnectionOptions & {
  /** The schema of the deployment: processes on the same schema hear one another. Default `mfakit`. */
  schema?: string;
  /** Told when a handler throws or its promise rejects (the other handlers still run). Default: ignored. */
  onHandlerError?: (error: unknown, topic: string) => void;
  /** How long to wait before listening again after the listening connection broke, in ms. Default 1000. */
  reconnectDelayMs?: number;
};

/** The channel of a schema: a plain identifier of fixed length, whatever the schema's name. */
export const invalidationChannelName = (schema: string) =>
  `mfakit_invalidate_${createHash('sha256').update(schema).digest('hex').slice(0, 24)}`;

/** NOTIFY's payload limit is 8000 bytes; a message is a user id or a key, far below. */
const MAX_PAYLOAD_BYTES = 7_900;

/**
 * Invalidation over LISTEN/NOTIFY: publishes through the given pool (or one opened from the URL,
 * ended on close) and listens on a connection of its own with the pool's settings.
 */
export async function createPostgresInvalidation(
  options: PostgresInvalidationOptions,
): Promise<InvalidationChannel> {
  const schema = options.schema ?? 'mfakit';
  quoteSchema(schema);
  const channel = invalidationChannelName(schema);
  const { pool, owned, describe } = await connectPostgres(options);
  const handlers = new Map<string, Set<InvalidationHandler>>();
  const reconnectDelay = options.reconnectDelayMs ?? 1_000;
  let listener: pg.Client | null = null;
  let retry: NodeJS.Timeout | null = null;
  let closed = false;
  const publishing = new Set<Promise<unknown>>();

  const dispatch = (payload: string | undefined) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(payload ?? '');
    } catch {
      return; // Not ours: someone else's NOTIFY on the channel.
    }
    if (!Array.isArray(parsed) || typeof parsed[0] !== 'string' || typeof parsed[1] !== 'string') return;
    const [topic, message] = parsed as [string, string];
    for (const handler of handlers.get(topic) ?? []) {
      const report = (error: unknown) => options.onHandlerError?.(error, topic);
      try {
        handler(message)?.catch(report);
      } catch (error) {
        report(error);
      }
    }
  };

  /** Opens the listening connection and LISTENs; throws when the server cannot be reached. */
  const listen = async () => {
    const client = new pg.Client(pool.options);
    client.on('notification', (notification) => {
      if (notification.channel === channel) dispatch(notification.payload);
    });
    // The listening connection breaking reports an error and ends: listen again on a new one
    // after a pause. A client that never became the listener (its start failed) schedules
    // nothing: whoever started it handles the failure.
    client.on('error', () => {});
    client.on('end', () => {
      if (listener !== client) return;
      listener = null;
      schedule();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => {});
      throw error;
    }
    if (closed) {
      await client.end().catch(() => {});
      return;
    }
    listener = client;
  };
  const schedule = () => {
    if (closed || retry !== null) return;
    retry = setTimeout(relisten, reconnectDelay);
    // Waiting to listen again never keeps a process alive that has nothing else to do.
    retry.unref();
  };
  const relisten = () => {
    retry = null;
    if (!closed) listen().catch(schedule);
  };

  try {
    await listen();
  } catch (error) {
    closed = true;
    if (owned) await pool.end().catch(() => {});
    throw new StoreError(`postgres: cannot listen for invalidation on ${describe}: ${reason(error)}`);
  }

  return {
    async publish(topic, message) {
      if (closed) throw new StoreError('postgres: the invalidation channel is closed');
      const payload = JSON.stringify([topic, message]);
      if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES)
        throw new StoreError(
          `postgres: an invalidation message of ${Buffer.byteLength(payload)} bytes is too long`,
        );
      const sent = pool.query('SELECT pg_notify($1, $2)', [channel, payload]);
      publishing.add(sent);
      try {
        await sent;
      } catch (error) {
        throw new StoreError(`postgres: cannot publish an invalidation on ${topic}: ${reason(error)}`);
      } finally {
        publishing.delete(sent);
      }
    },
    async subscribe(topic, handler) {
      if (closed) throw new StoreError('postgres: the invalidation channel is closed');
      const set = handlers.get(topic) ?? new Set<InvalidationHandler>();
      handlers.set(topic, set);
      // A handler subscribed twice is called twice, as with Redis: wrap it to keep each apart.
      const own: InvalidationHandler = (message) => handler(message);
      set.add(own);
      return async () => {
        handlers.get(topic)?.delete(own);
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...publishing]);
      if (retry !== null) clearTimeout(retry);
      retry = null;
      handlers.clear();
      const open = listener;
      listener = null;
      await open?.end().catch(() => {});
      if (owned) await pool.end().catch(() => {});
    },
  };
}
