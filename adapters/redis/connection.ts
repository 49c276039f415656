// Connecting to Redis with node-redis (`redis`, the client Redis maintains). A connection opened
// here fails fast rather than hanging: at start it retries until `connectTimeoutMs` and then
// rejects with an error naming the (credential-free) url; once connected, it reconnects on its
// own after an outage, while commands issued meanwhile are refused at once (no offline queue)
// and a command the server does not answer within `commandTimeoutMs` is rejected, so callers
// fail closed instead of waiting for Redis to come back.
import { createClient, type RedisClientType } from 'redis';
import { redisStoreError } from './failures.ts';

/** A node-redis client as `createClient()` from `redis` makes it (RESP3, no extra modules or scripts). */
export type RedisClient = RedisClientType;

export interface RedisConnectionOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]`, typically the REDIS_URL setting. */
  url: string;
  /** How long to keep trying to reach Redis at start before failing, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** How long a command may wait for its reply before it is rejected, in ms. Default 5000. */
  commandTimeoutMs?: number;
  /**
   * Told of connection errors (Redis unreachable, connection lost), which node-redis reports
   * apart from the commands that fail because of them. Default: ignored.
   */
  onError?: (error: Error) => void;
}

/** Where a store gets its connection: a url to open (and close with the store) or a client the caller owns. */
export type RedisSource = RedisConnectionOptions | { client: RedisClient };

const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_COMMAND_TIMEOUT_MS = 5000;
const RETRY_AT_START_MS = 200;
const RECONNECT_BACKOFF_MAX_MS = 2000;

/** The url without its password, fit for an error message or a log line. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a valid url)';
  }
}

/**
 * Opens a connection to Redis and waits until it is ready. Rejects with a `StoreError` naming
 * the url when Redis cannot be reached within `connectTimeoutMs`.
 */
export async function connectRedis(options: RedisConnectionOptions): Promise<RedisClient> {
  const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const startedAt = Date.now();
  let connected = false;
  const client = createClient({
    url: options.url,
    disableOfflineQueue: true,
    commandOptions: {
      timeout: options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
      rejectInFlight: true,
    },
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries, cause) => {
        if (connected) return Math.min(50 * 2 ** retries, RECONNECT_BACKOFF_MAX_MS);
        if (Date.now() - startedAt + RETRY_AT_START_MS >= connectTimeoutMs) return cause;
        return RETRY_AT_START_MS;
      },
    },
  });
  client.on('error', (error: Error) => options.onError?.(error));
  // The retries above end on refused connections; this bounds a server that accepts the
  // connection but never answers the handshake.
  let timer: NodeJS.Timeout | undefined;
  const noAnswer = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('connected, but no answer to the handshake')),
      connectTimeoutMs,
    );
  });
  const connecting = client.connect();
  connecting.catch(() => {});
  try {
    await Promise.race([connecting, noAnswer]);
  } catch (error) {
    client.destroy();
    const reason = error instanceof Error ? error.message : String(error);
    throw redisStoreError(
      `cannot reach ${redactRedisUrl(options.url)} within ${connectTimeoutMs} ms (${reason}); ` +
        'is Redis running, and is the url (REDIS_URL) right?',
      error,
    );
  } finally {
    clearTimeout(timer);
  }
  connected = true;
  return client;
}

/** A connection for a store: the caller's client, or one opened from the url that `close` ends. */
export async function openRedisSource(
  source: RedisSource,
): Promise<{ client: RedisClient; close(): Promise<void> }> {
  if ('client' in source) return { client: source.client, close: async () => {} };
  const client = await connectRedis(source);
  return {
    client,
    async close() {
      if (client.isOpen) await client.close();
    },
  };
}
