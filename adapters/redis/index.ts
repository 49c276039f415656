// Redis stores for the short-lived state of several processes: the ephemeral port (pending
// sign-ins, one-time marks, lockout and throttle counters) and an OpenID provider's models, on
// node-redis (`redis`, an optional peer dependency: install it beside mfakit to use this
// subpath). Durable records stay in a repository from another adapter (Postgres or SQLite);
// `createRedisStores` puts the two together and, given that adapter's OpenID store too, keeps
// only the provider's short-lived models on Redis and the long-lived ones (sessions, grants,
// refresh tokens, clients) durable (src/store/route-oidc-models.ts). Invalidation messages
// between processes are in invalidation.ts.
//
// Atomicity: every operation is one Redis command or one Lua script, never a read in
// JavaScript followed by a write, so one-time rules hold across every process sharing the
// server. Expiry follows the injected clock (passed to each script), to the millisecond; each
// key also gets a Redis expiry of the same length so Redis drops it once it is dead. Keys start
// with `<prefix>:`, so deployments and test runs sharing a server never meet. A standalone
// Redis (or one behind Sentinel) is assumed: the scripts reach index keys they do not declare,
// which Redis Cluster does not allow.
import type { Clock } from '../../src/engine/capabilities.ts';
import { ConfigError } from '../../src/errors.ts';
import type { EphemeralStore, OidcStore, Repository, Stores } from '../../src/store/ports.ts';
import { routeOidcModels } from '../../src/store/route-oidc-models.ts';
import { openRedisSource, type RedisSource } from './connection.ts';
import { RedisEphemeralStore } from './ephemeral.ts';
import { RedisOidcStore } from './oidc-models.ts';

export {
  connectRedis,
  type RedisClient,
  type RedisConnectionOptions,
  type RedisSource,
  redactRedisUrl,
} from './connection.ts';
export { RedisEphemeralStore } from './ephemeral.ts';
export {
  createRedisInvalidation,
  type InvalidationChannel,
  type InvalidationHandler,
  type RedisInvalidationOptions,
} from './invalidation.ts';
export { RedisOidcStore } from './oidc-models.ts';

export type RedisStoreOptions = RedisSource & {
  /** Starts every key this store writes (`<prefix>:…`): one per deployment, or per test run. */
  prefix: string;
  /** Time source for expiry. Defaults to the system clock. */
  clock?: Clock;
};

/** A store with the connection it opened; `close` ends that connection (never a client the caller passed). */
export type Closable<T> = T & { close(): Promise<void> };

function checkPrefix(prefix: string): void {
  if (typeof prefix !== 'string' || prefix === '') {
    throw new ConfigError('redis: a non-empty key prefix is required (the prefix option)');
  }
}

/** The ephemeral port on Redis. */
export async function createRedisEphemeralStore(
  options: RedisStoreOptions,
): Promise<Closable<EphemeralStore>> {
  checkPrefix(options.prefix);
  const connection = await openRedisSource(options);
  return Object.assign(new RedisEphemeralStore(connection.client, options.prefix, options.clock), {
    close: connection.close,
  });
}

/** An OpenID provider's models on Redis. */
export async function createRedisOidcStore(options: RedisStoreOptions): Promise<Closable<OidcStore>> {
  checkPrefix(options.prefix);
  const connection = await openRedisSource(options);
  return Object.assign(new RedisOidcStore(connection.client, options.prefix, options.clock), {
    close: connection.close,
  });
}

/**
 * Durable records from `repository` (another adapter's, which its owner closes), short-lived
 * state on Redis over one connection; `close` ends that connection. The OpenID provider's
 * models: with `durableOidc` (the same adapter's `oidc`), the long-lived ones there and the
 * short-lived ones (`SHORT_LIVED_OIDC_MODELS`) on Redis; without it, all of them on Redis.
 */
export async function createRedisStores(
  options: RedisStoreOptions & { repository: Repository; durableOidc?: OidcStore | undefined },
): Promise<Stores & { oidc: OidcStore; close(): Promise<void> }> {
  checkPrefix(options.prefix);
  const connection = await openRedisSource(options);
  const onRedis = new RedisOidcStore(connection.client, options.prefix, options.clock);
  return {
    repository: options.repository,
    ephemeral: new RedisEphemeralStore(connection.client, options.prefix, options.clock),
    oidc: options.durableOidc
      ? routeOidcModels({ durable: options.durableOidc, shortLived: onRedis })
      : onRedis,
    close: connection.close,
  };
}
