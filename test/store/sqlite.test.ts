import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import {
  createSqliteStores,
  migrateSqliteDatabase,
  SQLITE_MIGRATIONS,
  SQLITE_SCHEMA_VERSION,
  SqliteEphemeralStore,
} from '../../adapters/sqlite/index.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import type { Stores } from '../../src/store/ports.ts';
import {
  auditFixture,
  CONTRACT_EPOCH,
  createTestClock,
  deviceFixture,
  methodFixture,
  storeContract,
  tokenFixture,
} from './contract/index.ts';
import { expectCleanExit, freshDatabasePaths, spawnNode } from './sqlite-child.ts';

describe('sqlite adapter', () => {
  const freshPath = freshDatabasePaths();

  storeContract('sqlite', async (clock) => createSqliteStores({ path: freshPath(), clock }));

  describe('persistence', () => {
    const method = methodFixture({ id: 'm-persist', lastUsedAt: CONTRACT_EPOCH + 5 });
    const device = deviceFixture({ id: 'd-persist' });
    const token = tokenFixture({ serial: 'TK-PERSIST' });
    const event = auditFixture({ id: 'a-persist', data: { ip: '198.51.100.1', nested: { ok: true } } });
    const writer = `
      const fixtures = JSON.parse(process.env.FIXTURES);
      const stores = ADAPTER.createSqliteStores({ path: process.env.DB_PATH });
      const repo = stores.repository;
      await repo.insertMethod(fixtures.method);
      await repo.advance('totp:m-persist', 56_666_667);
      await repo.insertDevice(fixtures.device);
      await repo.replaceRecoveryCodes('u-1', ['h1', 'h2', 'h3'], 1);
      await repo.consumeRecoveryCode('u-1', 'h2', 2);
      await repo.importTokens([fixtures.token]);
      await repo.assignToken('TK-PERSIST', 'u-1');
      await repo.setUserState('u-1', 'enforced');
      await repo.appendAudit(fixtures.event);
      await stores.ephemeral.put('pending:abc', 'principal', 3_600_000);
      await stores.ephemeral.increment('fails:u-1', 3_600_000);
      if (process.env.MODE === 'close') {
        await stores.close();
      } else {
        // Crash: never close, get killed.
        process.stdout.write('written\\n');
        setInterval(() => {}, 1000);
      }
    `;
    const env = (path: string, mode: 'close' | 'crash') => ({
      DB_PATH: path,
      MODE: mode,
      FIXTURES: JSON.stringify({ method, device, token, event }),
    });

    async function assertEverythingReadBack(path: string) {
      const stores = createSqliteStores({ path, clock: systemClock });
      try {
        const repo = stores.repository;
        assert.deepStrictEqual(await repo.getMethod('u-1', 'm-persist'), method);
        assert.equal(await repo.getCounter('totp:m-persist'), 56_666_667);
        assert.equal(await repo.advance('totp:m-persist', 56_666_667), false);
        assert.deepStrictEqual(await repo.getDevice('d-persist'), device);
        assert.equal(await repo.countRecoveryCodes('u-1'), 2);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'h2', 3), false);
        assert.equal(await repo.consumeRecoveryCode('u-1', 'h3', 3), true);
        assert.deepStrictEqual(await repo.getToken('TK-PERSIST'), { ...token, assignedTo: 'u-1' });
        assert.equal(await repo.getUserState('u-1'), 'enforced');
        assert.deepStrictEqual(await repo.listAudit({ limit: 10 }), [event]);
        assert.equal(await stores.ephemeral.get('pending:abc'), 'principal');
        assert.equal(await stores.ephemeral.getCount('fails:u-1'), 1);
      } finally {
        await stores.close?.();
      }
    }

    it('reads back what another process wrote and closed', async () => {
      const path = freshPath();
      await expectCleanExit(spawnNode(writer, env(path, 'close')));
      await assertEverythingReadBack(path);
    });

    it('reads back what another process wrote before it was killed without closing', async () => {
      const path = freshPath();
      const child = spawnNode(writer, env(path, 'crash'));
      assert.equal(await child.line(), 'written');
      child.process.kill('SIGKILL');
      const { signal } = await child.exited;
      assert.equal(signal, 'SIGKILL');
      await assertEverythingReadBack(path);
    });

    it('close() closes the database and may be called twice', async () => {
      const path = freshPath();
      const stores = createSqliteStores({ path });
      await stores.repository.advance('k', 1);
      await stores.close?.();
      await stores.close?.();
      await assert.rejects(stores.repository.getCounter('k'));
    });
  });

  describe('schema migration', () => {
    it('migrates an empty (version 0) database that holds other tables, keeping them', async () => {
      const path = freshPath();
      const old = new DatabaseSync(path);
      old.exec("CREATE TABLE app_users (name TEXT); INSERT INTO app_users VALUES ('alice');");
      assert.equal(old.prepare('PRAGMA user_version').get()?.user_version, 0);
      old.close();

      const stores = createSqliteStores({ path, clock: createTestClock() });
      await stores.repository.insertMethod(methodFixture());
      assert.deepStrictEqual(await stores.repository.listMethods('u-1'), [methodFixture()]);
      await stores.close?.();

      const check = new DatabaseSync(path);
      assert.equal(check.prepare('PRAGMA user_version').get()?.user_version, SQLITE_SCHEMA_VERSION);
      assert.equal(check.prepare('PRAGMA journal_mode').get()?.journal_mode, 'wal');
      assert.deepStrictEqual({ ...check.prepare('SELECT name FROM app_users').get() }, { name: 'alice' });
      check.close();
    });

    it('migrates a zero-byte file', async () => {
      const path = freshPath();
      writeFileSync(path, '');
      const stores = createSqliteStores({ path });
      assert.equal(await stores.repository.advance('k', 1), true);
      await stores.close?.();
    });

    it('reopening a current database keeps the data and the version', async () => {
      const path = freshPath();
      const first = createSqliteStores({ path });
      await first.repository.setUserState('u-1', 'enabled');
      await first.close?.();
      const second = createSqliteStores({ path });
      assert.equal(await second.repository.getUserState('u-1'), 'enabled');
      await second.close?.();
      const check = new DatabaseSync(path);
      assert.equal(check.prepare('PRAGMA user_version').get()?.user_version, SQLITE_SCHEMA_VERSION);
      check.close();
    });

    it('migrates a database at version 2 to the current one, keeping its data', async () => {
      const path = freshPath();
      const old = new DatabaseSync(path);
      old.exec('PRAGMA journal_mode=WAL');
      migrateSqliteDatabase(old, SQLITE_MIGRATIONS.slice(0, 2));
      assert.equal(old.prepare('PRAGMA user_version').get()?.user_version, 2);
      assert.equal(
        old.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'policy_document'").get()?.n,
        0,
      );
      old.close();

      // Data written through the version-2 schema, by hand, as a version-2 mfakit would have.
      const writer = new DatabaseSync(path);
      writer
        .prepare(
          `INSERT INTO methods (id, user_id, kind, label, sealed_secret, algorithm, digits, period, token_serial, created_at, last_used_at)
           VALUES ('m-1', 'u-1', 'totp', 'Téléphone 📱', 'k1.iv.ciphertext.tag', 'sha1', 6, 30, NULL, :at, NULL)`,
        )
        .run({ at: CONTRACT_EPOCH });
      // A hardware token's method, whose last use is on the token's counter row (keyed by serial).
      writer
        .prepare(
          `INSERT INTO methods (id, user_id, kind, label, sealed_secret, algorithm, digits, period, token_serial, created_at, last_used_at)
           VALUES ('m-hw', 'u-1', 'hotp', 'Fob', 'k1.iv.ct.tag', 'sha512', 8, 0, 'TK-7', :at, NULL)`,
        )
        .run({ at: CONTRACT_EPOCH + 1 });
      writer.exec(
        "INSERT INTO counters (key, value, method_id, used_at) VALUES ('token:TK-7', 4, 'm-hw', 1234)",
      );
      writer.exec("INSERT INTO user_states (user_id, state) VALUES ('u-1', 'enforced')");
      writer.close();

      const stores = createSqliteStores({ path, clock: createTestClock() });
      try {
        const repo = stores.repository;
        // Migration 6: the OTP columns became the method's data; the counter key is on the row.
        const otpData = { sealedSecret: 'k1.iv.ciphertext.tag', algorithm: 'sha1', digits: 6, period: 30 };
        assert.deepStrictEqual(await repo.listMethods('u-1'), [
          methodFixture({ data: { ...otpData, tokenSerial: null } }),
          methodFixture({
            id: 'm-hw',
            kind: 'hotp',
            label: 'Fob',
            data: {
              sealedSecret: 'k1.iv.ct.tag',
              algorithm: 'sha512',
              digits: 8,
              period: 0,
              tokenSerial: 'TK-7',
            },
            counterKey: 'token:TK-7',
            createdAt: CONTRACT_EPOCH + 1,
            lastUsedAt: 1234,
          }),
        ]);
        assert.equal(await repo.getCounter('token:TK-7'), 4);
        assert.equal(await repo.getUserState('u-1'), 'enforced');
        assert.equal(await repo.getPolicyDocument(), null);
        assert.equal((await repo.putPolicyDocument({ policies: [] }, 0, 1, 'a'))?.version, 1);
        await repo.recordSighting('u-1', 'network', 'n', 5);
        assert.equal(await repo.getSighting('u-1', 'network', 'n'), 5);
        await repo.setFraudFlag('u-1', 6);
        assert.equal(await repo.getFraudFlag('u-1'), 6);
      } finally {
        await stores.close?.();
      }
      const check = new DatabaseSync(path);
      assert.equal(check.prepare('PRAGMA user_version').get()?.user_version, SQLITE_SCHEMA_VERSION);
      assert.deepStrictEqual(
        { ...check.prepare('SELECT version, document FROM policy_document').get() },
        { version: 1, document: '{"policies":[]}' },
        'the document is stored as JSON text',
      );
      check.close();
    });

    it('refuses a database from a newer schema version', () => {
      const path = freshPath();
      const future = new DatabaseSync(path);
      future.exec(`PRAGMA user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
      future.close();
      assert.throws(() => createSqliteStores({ path }), /newer than this mfakit supports/);
    });

    it('applies pending migrations in order and all or nothing', () => {
      const db = new DatabaseSync(':memory:');
      const steps = ['CREATE TABLE a (x INTEGER)', 'INSERT INTO a VALUES (1); CREATE TABLE b (y TEXT)'];
      migrateSqliteDatabase(db, steps.slice(0, 1));
      assert.equal(db.prepare('PRAGMA user_version').get()?.user_version, 1);
      migrateSqliteDatabase(db, steps);
      assert.equal(db.prepare('PRAGMA user_version').get()?.user_version, 2);
      assert.deepStrictEqual({ ...db.prepare('SELECT x FROM a').get() }, { x: 1 });

      const broken = [...steps, 'CREATE TABLE c (z TEXT)', 'CREATE TABLE broken (oops'];
      assert.throws(() => migrateSqliteDatabase(db, broken));
      assert.equal(db.prepare('PRAGMA user_version').get()?.user_version, 2, 'version unchanged');
      assert.equal(
        db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'c'").get()?.n,
        0,
        'the migration before the broken one was rolled back too',
      );
      db.close();
    });
  });

  describe('ephemeral housekeeping', () => {
    let stores: Stores;
    const clock = createTestClock();
    afterEach(async () => {
      await stores.close?.();
    });

    it('purgeExpired deletes expired rows and keeps live ones', async () => {
      const path = freshPath();
      stores = createSqliteStores({ path, clock });
      const ephemeral = stores.ephemeral;
      assert.ok(ephemeral instanceof SqliteEphemeralStore);
      await ephemeral.put('short', 'x', 1000);
      await ephemeral.consumeOnce('mark', 1000);
      await ephemeral.increment('count', 1000);
      await ephemeral.put('long', 'y', 60_000);
      clock.set(clock.now() + 1000);
      assert.equal(ephemeral.purgeExpired(), 3);
      assert.equal(await ephemeral.get('long'), 'y');
      const raw = new DatabaseSync(path);
      assert.equal(raw.prepare('SELECT count(*) AS n FROM ephemeral').get()?.n, 1);
      raw.close();
    });

    it('sweeps expired rows on its own as writes go by', async () => {
      const path = freshPath();
      stores = createSqliteStores({ path, clock });
      for (let i = 0; i < 10; i++) await stores.ephemeral.put(`old:${i}`, 'x', 1000);
      clock.set(clock.now() + 1000);
      for (let i = 0; i < SqliteEphemeralStore.PURGE_EVERY; i++)
        await stores.ephemeral.consumeOnce(`new:${i}`, 60_000);
      const raw = new DatabaseSync(path);
      assert.equal(raw.prepare("SELECT count(*) AS n FROM ephemeral WHERE key LIKE 'old:%'").get()?.n, 0);
      raw.close();
    });
  });
});
