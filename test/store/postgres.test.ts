// The PostgreSQL adapter against the server in DATABASE_URL: the whole store contract (each test
// in a schema of its own), the schema migration, the connection settings and what a wrong or
// unreachable server does at start, and the sweeping of expired rows.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import {
  createPostgresStores,
  migratePostgresDatabase,
  POSTGRES_SCHEMA_VERSION,
  PostgresEphemeralStore,
  PostgresOidcStore,
} from '../../adapters/postgres/index.ts';
import { createTestClock, methodFixture, storeContract } from './contract/index.ts';
import { postgresTestServer } from './postgres-schemas.ts';

describe('postgres adapter', () => {
  const server = postgresTestServer();

  storeContract('postgres', async (clock) =>
    createPostgresStores({ url: server.url, schema: server.freshSchema(), clock }),
  );

  describe('schema migration', () => {
    const versionOf = async (schema: string) =>
      (await server.admin.query(`SELECT version FROM "${schema}".schema_version`)).rows[0]?.version;

    it('creates the schema at the current version; starting again keeps the data and applies nothing', async () => {
      const schema = server.freshSchema();
      const first = await createPostgresStores({ url: server.url, schema });
      await first.repository.setUserState('u-1', 'enforced');
      await first.close();
      assert.equal(await versionOf(schema), POSTGRES_SCHEMA_VERSION);
      assert.equal(await migratePostgresDatabase(server.admin, schema), 0, 'nothing left to apply');
      const second = await createPostgresStores({ url: server.url, schema });
      assert.equal(await second.repository.getUserState('u-1'), 'enforced');
      await second.close();
    });

    it('refuses a schema whose version is newer than this code, naming both versions', async () => {
      const schema = server.freshSchema();
      await (await createPostgresStores({ url: server.url, schema })).close();
      await server.admin.query(`UPDATE "${schema}".schema_version SET version = version + 1`);
      await assert.rejects(
        createPostgresStores({ url: server.url, schema }),
        new RegExp(
          `postgres schema "${schema}" is at version ${POSTGRES_SCHEMA_VERSION + 1}, ` +
            `newer than this mfakit supports \\(${POSTGRES_SCHEMA_VERSION}\\)`,
        ),
      );
    });

    it('applies pending migrations in order and all or nothing', async () => {
      const schema = server.freshSchema();
      const steps = ['CREATE TABLE a (x integer)', 'INSERT INTO a VALUES (1); CREATE TABLE b (y text)'];
      assert.equal(await migratePostgresDatabase(server.admin, schema, steps.slice(0, 1)), 1);
      assert.equal(await migratePostgresDatabase(server.admin, schema, steps), 1);
      assert.equal(await versionOf(schema), 2);
      assert.deepStrictEqual((await server.admin.query(`SELECT x FROM "${schema}".a`)).rows, [{ x: 1 }]);

      const broken = [...steps, 'CREATE TABLE c (z text)', 'CREATE TABLE broken (oops'];
      await assert.rejects(migratePostgresDatabase(server.admin, schema, broken), /syntax error/);
      assert.equal(await versionOf(schema), 2, 'version unchanged');
      const c = await server.admin.query(
        "SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'c'",
        [schema],
      );
      assert.equal(c.rowCount, 0, 'the migration before the broken one was rolled back too');
    });

    it("keeps an application's tables in other schemas and two mfakit schemas apart on one pool", async () => {
      // One connection for both: their named statements share it without clashing.
      const pool = new pg.Pool({ connectionString: server.url, max: 1 });
      const [a, b] = [server.freshSchema(), server.freshSchema()];
      try {
        const storesA = await createPostgresStores({ pool, schema: a });
        const storesB = await createPostgresStores({ pool, schema: b });
        await storesA.repository.insertMethod(methodFixture());
        assert.deepStrictEqual(await storesA.repository.listMethods('u-1'), [methodFixture()]);
        assert.deepStrictEqual(await storesB.repository.listMethods('u-1'), []);
        await storesA.close();
        await storesB.close();
        assert.equal(
          (await pool.query('SELECT 1 AS one')).rows[0]?.one,
          1,
          "the application's pool stays open",
        );
      } finally {
        await pool.end();
      }
    });

    it('refuses a schema name that is not a plain identifier, before connecting', async () => {
      await assert.rejects(
        createPostgresStores({ url: 'postgres://nobody@127.0.0.1:1/x', schema: 'x"; DROP TABLE y; --' }),
        /schema "x"; DROP TABLE y; --" is not a plain identifier/,
      );
    });
  });

  describe('connection settings', () => {
    it('sets statement_timeout on the pool it makes: a longer statement is cancelled', async () => {
      const stores = await createPostgresStores({
        url: server.url,
        schema: server.freshSchema(),
        statementTimeoutMs: 200,
        poolMax: 3,
      });
      try {
        assert.equal((await stores.pool.query('SHOW statement_timeout')).rows[0]?.statement_timeout, '200ms');
        assert.equal(stores.pool.options.max, 3);
        await assert.rejects(stores.pool.query('SELECT pg_sleep(2)'), /statement timeout/);
      } finally {
        await stores.close();
      }
    });

    it('without ephemeral, holds the durable ports and the OpenID models only', async () => {
      const stores = await createPostgresStores({
        url: server.url,
        schema: server.freshSchema(),
        ephemeral: false,
      });
      try {
        assert.equal('ephemeral' in stores, false);
        assert.equal(await stores.repository.advance('k', 1), true);
        await stores.oidc.upsert('Session', 's', { uid: 'u' }, null);
        assert.deepEqual(await stores.oidc.find('Session', 's'), { uid: 'u' });
      } finally {
        await stores.close();
      }
    });

    it('rejects settings it cannot use, naming them', async () => {
      await assert.rejects(
        createPostgresStores({ url: server.url, poolMax: 0 }),
        /poolMax must be an integer/,
      );
      await assert.rejects(
        createPostgresStores({ url: server.url, statementTimeoutMs: -1 }),
        /statementTimeoutMs must be an integer/,
      );
      await assert.rejects(createPostgresStores({ url: 'not a url' }), /postgres: url is not a URL/);
      await assert.rejects(
        createPostgresStores({ url: 'mysql://root@127.0.0.1/x' }),
        /postgres: url must be a postgres:\/\/ URL/,
      );
    });
  });

  describe('a server that is wrong or away at start', () => {
    /** A port on which nothing listens: bound, then released. */
    async function closedPort(): Promise<number> {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const { port } = probe.address() as { port: number };
      await new Promise((resolve) => probe.close(resolve));
      return port;
    }

    it('a refused connection fails at once, naming DATABASE_URL and hiding the password', async () => {
      const port = await closedPort();
      const saved = process.env.DATABASE_URL;
      process.env.DATABASE_URL = `postgres://postgres:s3cret@127.0.0.1:${port}/test`;
      try {
        const started = Date.now();
        const error = await createPostgresStores({}).then(
          () => assert.fail('connected to a closed port'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof Error);
        assert.equal(
          error.message,
          `postgres: cannot connect to postgres://postgres:***@127.0.0.1:${port}/test (DATABASE_URL): ` +
            `connect ECONNREFUSED 127.0.0.1:${port}`,
        );
        assert.ok(Date.now() - started < 2000);
      } finally {
        process.env.DATABASE_URL = saved;
      }
    });

    it('a server that accepts but never answers fails after the connect timeout, not never', async () => {
      const sockets: Socket[] = [];
      const silent: Server = createServer((socket) => sockets.push(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const { port } = silent.address() as { port: number };
      try {
        const started = Date.now();
        await assert.rejects(
          createPostgresStores({ url: `postgres://postgres@127.0.0.1:${port}/test`, connectTimeoutMs: 300 }),
          new RegExp(
            `^StoreError: postgres: cannot connect to postgres://postgres@127\\.0\\.0\\.1:${port}/test \\(url\\): .*timeout`,
          ),
        );
        const took = Date.now() - started;
        assert.ok(took >= 250 && took < 3000, `gave up after ${took} ms`);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    it("an unknown database fails with the server's reason and the setting named as given", async () => {
      const url = new URL(server.url);
      url.pathname = '/mfakit_no_such_database';
      await assert.rejects(
        createPostgresStores({ url: url.href, setting: 'MFAKIT_DATABASE_URL' }),
        /cannot connect to .*\/mfakit_no_such_database \(MFAKIT_DATABASE_URL\): database "mfakit_no_such_database" does not exist/,
      );
    });

    it('no URL at all names the variable to set', async () => {
      const saved = process.env.DATABASE_URL;
      delete process.env.DATABASE_URL;
      try {
        await assert.rejects(createPostgresStores(), /postgres: no database URL: set DATABASE_URL/);
      } finally {
        process.env.DATABASE_URL = saved;
      }
    });
  });

  describe('expired rows', () => {
    it('purgeExpired deletes expired ephemeral rows and OpenID models, and keeps live ones', async () => {
      const clock = createTestClock();
      const schema = server.freshSchema();
      const stores = await createPostgresStores({ url: server.url, schema, clock });
      try {
        assert.ok(stores.ephemeral instanceof PostgresEphemeralStore);
        assert.ok(stores.oidc instanceof PostgresOidcStore);
        await stores.ephemeral.put('short', 'x', 1000);
        await stores.ephemeral.consumeOnce('mark', 1000);
        await stores.ephemeral.increment('count', 1000);
        await stores.ephemeral.put('long', 'y', 60_000);
        await stores.oidc.upsert('AccessToken', 'short', { jti: 'short' }, clock.now() + 1000);
        await stores.oidc.upsert('Client', 'forever', { client_id: 'c' }, null);
        clock.set(clock.now() + 1000);
        assert.equal(await stores.ephemeral.purgeExpired(), 3);
        assert.equal(await stores.oidc.purgeExpired(), 1);
        assert.equal(await stores.ephemeral.get('long'), 'y');
        assert.deepEqual(await stores.oidc.find('Client', 'forever'), { client_id: 'c' });
        const count = async (table: string) =>
          Number((await server.admin.query(`SELECT count(*) AS n FROM "${schema}".${table}`)).rows[0]?.n);
        assert.equal(await count('ephemeral'), 1);
        assert.equal(await count('oidc_entries'), 1);
      } finally {
        await stores.close();
      }
    });

    it('sweeps expired rows on its own as writes go by', async () => {
      const clock = createTestClock();
      const schema = server.freshSchema();
      const stores = await createPostgresStores({ url: server.url, schema, clock });
      try {
        for (let i = 0; i < 10; i++) await stores.ephemeral.put(`old:${i}`, 'x', 1000);
        clock.set(clock.now() + 1000);
        for (let i = 0; i < PostgresEphemeralStore.PURGE_EVERY; i++)
          await stores.ephemeral.consumeOnce(`new:${i}`, 60_000);
        await stores.ephemeral.settled();
        const old = await server.admin.query(
          `SELECT count(*) AS n FROM "${schema}".ephemeral WHERE key LIKE 'old:%'`,
        );
        assert.equal(Number(old.rows[0]?.n), 0);
      } finally {
        await stores.close();
      }
    });
  });
});
