// The SQLite adapter across processes: two `node` processes open one database file and race
// on the same one-time rules (consumeOnce, increment, decrement, the durable failure count's
// incrementCounter, recovery codes, access passes, app passwords' maximum, the policy document's
// compare-and-set); every win must be counted exactly once.
import assert from 'node:assert/strict';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { accessPassFixture } from './contract/index.ts';
import { freshDatabasePaths, spawnNode, startTogether } from './sqlite-child.ts';

describe('sqlite adapter', () => {
  const freshPath = freshDatabasePaths();

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
              : process.env.MODE === 'incrementCounter'
                ? await stores.repository.incrementCounter('lockout:consecutive:u-1')
              : process.env.MODE === 'decrement'
                ? await stores.ephemeral.decrement('race:count')
              : process.env.MODE === 'policy'
                ? (await stores.repository.putPolicyDocument(
                    { i, writer: process.pid }, i, Date.now(), 'pid-' + process.pid,
                  )) !== null
                : process.env.MODE === 'accessPass'
                  ? await stores.repository.consumeAccessPass('u-' + i, 'p-' + i, Date.now())
                : process.env.MODE === 'appPassword'
                  ? await stores.repository.addAppPassword({
                      id: 'ap-' + process.pid + '-' + i, userId: 'u-' + i, name: 'race', hash: 'k1:aA',
                      apps: ['mail'], createdAt: i, expiresAt: null, lastUsedAt: null,
                    }, 1)
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
      const outputs = await startTogether(children);
      return outputs.map((parsed) => {
        assert.ok(Array.isArray(parsed));
        assert.equal(parsed.length, n);
        return parsed;
      });
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

    it('two processes racing the durable incrementCounter on one key hand out 1..400 exactly once', async () => {
      const path = freshPath();
      await createSqliteStores({ path }).close?.();
      const [a, b] = await race(path, 'incrementCounter', 200);
      assert.ok(a && b);
      assert.deepStrictEqual(
        [...a, ...b].map(Number).sort((x, y) => x - y),
        Array.from({ length: 400 }, (_, i) => i + 1),
      );
      const after = createSqliteStores({ path });
      assert.equal(await after.repository.getCounter('lockout:consecutive:u-1'), 400);
      await after.close?.();
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

    it('two processes adding app passwords for 200 users under a maximum of 1 add exactly one each', async () => {
      const path = freshPath();
      await createSqliteStores({ path }).close?.();
      const [a, b] = await race(path, 'appPassword', 200);
      assert.ok(a && b);
      const stores = createSqliteStores({ path });
      try {
        for (let i = 0; i < 200; i++) {
          assert.equal(Number(a[i] === true) + Number(b[i] === true), 1, `user ${i}: one process added`);
          assert.equal((await stores.repository.listAppPasswords(`u-${i}`)).length, 1);
        }
      } finally {
        await stores.close?.();
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
});
