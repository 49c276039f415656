import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
  accessPassFixture,
  auditFixture,
  CONTRACT_EPOCH,
  createTestClock,
  deviceFixture,
  methodFixture,
  storeContract,
  tokenFixture,
} from './contract/index.ts';

const adapterUrl = new URL('../../adapters/sqlite/index.ts', import.meta.url).href;

interface Child {
  process: ChildProcess;
  /** Resolves with the next line the child writes to stdout. */
  line(): Promise<string>;
  /** Resolves when the child exits, with its exit code (or signal) and stderr. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
}

/** Runs an ES module `script` in a fresh `node` process; the adapter is importable as `ADAPTER`. */
function spawnNode(script: string, env: Record<string, string>): Child {
  const source = `import * as ADAPTER from ${JSON.stringify(adapterUrl)};\n${script}`;
  const child = spawn(process.execPath, ['--input-type=module', '--eval', source], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  const lines: string[] = [];
  const waiting: ((line: string) => void)[] = [];
  let buffered = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const waiter = waiting.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    process: child,
    line() {
      const next = lines.shift();
      if (next !== undefined) return Promise.resolve(next);
      return Promise.race([
        new Promise<string>((resolve) => waiting.push(resolve)),
        exited.then(({ code, stderr: err }) => {
          throw new Error(`child exited (${code}) before writing a line: ${err}`);
        }),
      ]);
    },
    exited,
  };
}

async function expectCleanExit(child: Child) {
  const { code, stderr } = await child.exited;
  assert.equal(code, 0, `child failed: ${stderr}`);
}

describe('sqlite adapter', () => {
  let dir = '';
  let files = 0;
  const freshPath = () => join(dir, `db-${files++}.sqlite`);

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mfakit-sqlite-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

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

  describe('cross-process atomicity', () => {
    /** Each racer opens the file, says "ready", waits for "go" on stdin, runs its loop, prints JSON. */
    const racer = `
      const stores = ADAPTER.createSqliteStores({ path: process.env.DB_PATH });
      const n = Number(process.env.N);
      process.stdout.write('ready\\n');
      await new Promise((resolve) => process.stdin.once('data', resolve));
      const results = [];
      for (let i = 0; i < n; i++) {
        results.push(
          process.env.MODE === 'consumeOnce'
            ? await stores.ephemeral.consumeOnce('race:' + i, 600_000)
            : process.env.MODE === 'increment'
              ? await stores.ephemeral.increment('race:count', 600_000)
              : process.env.MODE === 'decrement'
                ? await stores.ephemeral.decrement('race:count')
              : process.env.MODE === 'policy'
                ? (await stores.repository.putPolicyDocument(
                    { i, writer: process.pid }, i, Date.now(), 'pid-' + process.pid,
                  )) !== null
                : process.env.MODE === 'accessPass'
                  ? await stores.repository.consumeAccessPass('u-' + i, 'p-' + i, Date.now())
                  : await stores.repository.consumeRecoveryCode('u-1', 'h' + i, Date.now()),
        );
      }
      await stores.close();
      process.stdout.write(JSON.stringify(results) + '\\n');
      process.stdin.destroy();
    `;

    async function race(path: string, mode: string, n: number, racers = 2): Promise<unknown[][]> {
      const children = Array.from({ length: racers }, () =>
        spawnNode(racer, { DB_PATH: path, MODE: mode, N: String(n) }),
      );
      try {
        for (const child of children) assert.equal(await child.line(), 'ready');
        for (const child of children) child.process.stdin?.write('go\n');
        const outputs = await Promise.all(children.map((child) => child.line()));
        await Promise.all(children.map(expectCleanExit));
        return outputs.map((output) => {
          const parsed: unknown = JSON.parse(output);
          assert.ok(Array.isArray(parsed));
          assert.equal(parsed.length, n);
          return parsed;
        });
      } finally {
        for (const child of children) if (child.process.exitCode === null) child.process.kill();
      }
    }

    it('two processes racing consumeOnce over the same 200 keys win exactly 200 times, once per key', async () => {
      const path = freshPath();
      await createSqliteStores({ path }).close?.();
      const [a, b] = await race(path, 'consumeOnce', 200);
      assert.ok(a && b);
      for (let i = 0; i < 200; i++) {
        assert.equal(Number(a[i] === true) + Number(b[i] === true), 1, `key ${i} won by exactly one process`);
      }
    });

    it('two processes racing increment on one key hand out 1..400 exactly once', async () => {
      const path = freshPath();
      await createSqliteStores({ path }).close?.();
      const [a, b] = await race(path, 'increment', 200);
      assert.ok(a && b);
      const all = [...a, ...b].map(Number).sort((x, y) => x - y);
      assert.deepStrictEqual(
        all,
        Array.from({ length: 400 }, (_, i) => i + 1),
      );
    });

    it('two processes racing decrement on a count of 300 hand out 299..0 exactly once and never go below zero', async () => {
      const path = freshPath();
      const stores = createSqliteStores({ path });
      for (let i = 0; i < 300; i++) await stores.ephemeral.increment('race:count', 600_000);
      await stores.close?.();
      const [a, b] = await race(path, 'decrement', 200);
      assert.ok(a && b);
      const all = [...a, ...b].map(Number).sort((x, y) => x - y);
      assert.deepStrictEqual(all, [
        ...Array.from({ length: 101 }, () => 0),
        ...Array.from({ length: 299 }, (_, i) => i + 1),
      ]);
      const after = createSqliteStores({ path });
      assert.equal(await after.ephemeral.getCount('race:count'), 0);
      await after.close?.();
    });

    it('two processes racing consumeRecoveryCode over the same 100 codes win exactly 100 times', async () => {
      const path = freshPath();
      const stores = createSqliteStores({ path });
      await stores.repository.replaceRecoveryCodes(
        'u-1',
        Array.from({ length: 100 }, (_, i) => `h${i}`),
        1,
      );
      await stores.close?.();
      const [a, b] = await race(path, 'recovery', 100);
      assert.ok(a && b);
      for (let i = 0; i < 100; i++) {
        assert.equal(
          Number(a[i] === true) + Number(b[i] === true),
          1,
          `code ${i} used by exactly one process`,
        );
      }
    });

    it('two processes racing consumeAccessPass over 100 one-time passes use each exactly once', async () => {
      const path = freshPath();
      const stores = createSqliteStores({ path });
      for (let i = 0; i < 100; i++)
        await stores.repository.putAccessPass(accessPassFixture({ userId: `u-${i}`, id: `p-${i}` }));
      await stores.close?.();
      const [a, b] = await race(path, 'accessPass', 100);
      assert.ok(a && b);
      for (let i = 0; i < 100; i++) {
        assert.equal(
          Number(a[i] === true) + Number(b[i] === true),
          1,
          `pass ${i} used by exactly one process`,
        );
      }
    });

    it('two processes racing putPolicyDocument over versions 0..199 win exactly once per version', async () => {
      // Each racer tries expected = 0, 1, 2, ... in turn. Whoever loses a version has seen it
      // taken, so every version is attempted by both and must be won by exactly one.
      const path = freshPath();
      await createSqliteStores({ path }).close?.();
      const [a, b] = await race(path, 'policy', 200);
      assert.ok(a && b);
      for (let i = 0; i < 200; i++) {
        assert.equal(
          Number(a[i] === true) + Number(b[i] === true),
          1,
          `version ${i + 1} written by exactly one process`,
        );
      }
      const stores = createSqliteStores({ path });
      try {
        const record = await stores.repository.getPolicyDocument();
        assert.ok(record);
        assert.equal(record.version, 200);
        const doc = record.document as { i: number; writer: number };
        assert.equal(doc.i, 199);
        assert.equal(record.updatedBy, `pid-${doc.writer}`);
      } finally {
        await stores.close?.();
      }
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
      writer.exec("INSERT INTO user_states (user_id, state) VALUES ('u-1', 'enforced')");
      writer.close();

      const stores = createSqliteStores({ path, clock: createTestClock() });
      try {
        const repo = stores.repository;
        assert.deepStrictEqual(await repo.listMethods('u-1'), [methodFixture()]);
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
