// Invalidation messages over PostgreSQL LISTEN/NOTIFY, for deployments on PostgreSQL alone: the
// channel contract between separate connections, as between processes
// (test/store/contract/invalidation.ts); the schema as the namespace; the listening connection
// outside the caller's pool, listening again after the server drops it; the stores opening the
// channel when they hold the ephemeral port too.
import assert from 'node:assert/strict';
import {
  createPostgresInvalidation,
  createPostgresStores,
  invalidationChannelName,
} from '../../adapters/postgres/index.ts';
import { tcpRelay } from '../helpers/tcp-relay.ts';
import { inbox, invalidationContract } from './contract/invalidation.ts';
import { postgresTestServer } from './postgres-schemas.ts';

describe('postgres adapter: invalidation channel', () => {
  const server = postgresTestServer();
  invalidationContract(() => ({
    freshNamespace: () => server.freshSchema(),
    open: (schema, onHandlerError) =>
      createPostgresInvalidation({ url: server.url, schema, ...(onHandlerError ? { onHandlerError } : {}) }),
  }));

  const opened: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((c) => c.close()));
  });
  const keep = <T extends { close(): Promise<void> }>(c: T) => {
    opened.push(c);
    return c;
  };
  /** The server's backends listening on a schema's channel. */
  const listeners = async (schema: string) =>
    (
      await server.admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE query = $1 AND backend_type = 'client backend'",
        [`LISTEN ${invalidationChannelName(schema)}`],
      )
    ).rows.map((r) => r.pid);

  it("on the caller's pool: listens on a connection of its own, and closing leaves the pool open", async () => {
    const schema = server.freshSchema();
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({ connectionString: server.url, max: 1 });
    try {
      const onPool = await createPostgresInvalidation({ pool, schema });
      const publisher = keep(await createPostgresInvalidation({ url: server.url, schema }));
      const heard = inbox();
      await onPool.subscribe('policy-changed', heard.handler);
      assert.equal((await pool.query('SELECT 1 AS one')).rows[0].one, 1, 'the pool of one is free');
      await publisher.publish('policy-changed', 'v2');
      assert.deepEqual(await heard.until(1), ['v2']);
      assert.equal((await listeners(schema)).length, 2, 'two listening connections, none of the pool');
      await onPool.close();
      assert.equal((await listeners(schema)).length, 1, 'its listening connection ended');
      assert.equal((await pool.query('SELECT 2 AS two')).rows[0].two, 2, 'the pool is still open');
    } finally {
      await pool.end();
    }
  });

  it('a listening connection the server drops listens again on its own', async () => {
    const schema = server.freshSchema();
    const publisher = keep(await createPostgresInvalidation({ url: server.url, schema }));
    const subscriber = keep(
      await createPostgresInvalidation({ url: server.url, schema, reconnectDelayMs: 20 }),
    );
    const heard = inbox();
    await subscriber.subscribe('session-revoked', heard.handler);
    await publisher.publish('session-revoked', 'before');
    await heard.until(1);
    const [before] = await listeners(schema);
    assert.ok(before, 'one backend listens');
    await server.admin.query('SELECT pg_terminate_backend($1)', [before]);
    // Publish until the new listening connection hears one: it comes back on its own.
    for (let i = 0; i < 200 && heard.messages.length < 2; i++) {
      await publisher.publish('session-revoked', `after-${i}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.ok(heard.messages.length >= 2, 'heard again after the server dropped the connection');
    const [after] = await listeners(schema);
    assert.ok(after !== undefined && after !== before, 'a new backend listens');
  });

  it('a start that cannot listen fails and leaves nothing behind: no retries, nothing listening once the server is back', async () => {
    const schema = server.freshSchema();
    const target = new URL(server.url);
    const relay = await tcpRelay({ host: target.hostname, port: Number(target.port || 5432) });
    const { default: pg } = await import('pg');
    target.host = `127.0.0.1:${relay.port}`;
    const pool = new pg.Pool({ connectionString: target.href, max: 2 });
    try {
      await relay.cut();
      await assert.rejects(
        createPostgresInvalidation({ pool, schema, reconnectDelayMs: 10 }),
        /cannot listen for invalidation/,
      );
      await relay.restore();
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(await listeners(schema), [], 'a channel the caller never got listens on');
    } finally {
      await pool.end();
      await relay.close();
    }
  });

  it('a message too long for NOTIFY is refused with a clear error; a foreign payload on the channel is ignored', async () => {
    const schema = server.freshSchema();
    const channel = keep(await createPostgresInvalidation({ url: server.url, schema }));
    const heard = inbox();
    await channel.subscribe('session-revoked', heard.handler);
    await assert.rejects(channel.publish('session-revoked', 'x'.repeat(8_000)), /too long/);
    for (const foreign of ['not json', '{"topic":"session-revoked"}', '["session-revoked", 7]'])
      await server.admin.query('SELECT pg_notify($1, $2)', [invalidationChannelName(schema), foreign]);
    await channel.publish('session-revoked', 'u-1');
    assert.deepEqual(await heard.until(1), ['u-1'], 'only the well-formed message, after the foreign ones');
  });

  it('the stores open the channel on PostgreSQL alone, not when Redis holds the short-lived state; close ends it', async () => {
    const schema = server.freshSchema();
    const alone = keep(await createPostgresStores({ url: server.url, schema }));
    assert.ok(alone.invalidation, 'PostgreSQL alone: invalidation over LISTEN/NOTIFY');
    const besideRedis = keep(await createPostgresStores({ url: server.url, schema, ephemeral: false }));
    assert.equal(besideRedis.invalidation, undefined, 'Redis carries it when it holds the ephemeral port');
    const optedOut = keep(await createPostgresStores({ url: server.url, schema, invalidation: false }));
    assert.equal(optedOut.invalidation, undefined);
    assert.equal((await listeners(schema)).length, 1);
    await alone.close();
    assert.deepEqual(await listeners(schema), [], 'closing the stores ended the listening connection');
  });

  it('schemas of any length share no channel and fit its name', async () => {
    const long = `s_${'x'.repeat(60)}`;
    const names = [invalidationChannelName(long), invalidationChannelName(`${long}y`)];
    assert.notEqual(names[0], names[1]);
    for (const name of names) assert.match(name, /^mfakit_invalidate_[0-9a-f]{24}$/);
  });
});
