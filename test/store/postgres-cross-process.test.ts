// The PostgreSQL adapter across processes: two `node` processes start on one fresh schema at the
// same moment (one applies the migrations, the other finds them applied, both work), then race
// on the same one-time rules — each firing 25 of the 50 concurrent calls on every key — and every
// key must have exactly one winner (for app passwords under a maximum: exactly that many).
import assert from 'node:assert/strict';
import {
  createPostgresStores,
  POSTGRES_SCHEMA_VERSION,
  type PostgresStores,
} from '../../adapters/postgres/index.ts';
import { accessPassFixture, CONTRACT_EPOCH, methodFixture, tokenFixture } from './contract/index.ts';
import { postgresTestServer, spawnPostgresChild } from './postgres-schemas.ts';
import { startTogether } from './sqlite-child.ts';

describe('postgres adapter across processes', function () {
  // Each test starts two Node processes.
  this.timeout(60_000);
  const server = postgresTestServer();

  describe('migration', () => {
    const starter = `
      const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 2 });
      await pool.query('SELECT 1');
      process.stdout.write('ready\\n');
      await new Promise((resolve) => process.stdin.once('data', resolve));
      const applied = await ADAPTER.migratePostgresDatabase(pool, process.env.SCHEMA);
      const stores = await ADAPTER.createPostgresStores({ pool, schema: process.env.SCHEMA });
      await stores.repository.setUserState('u-' + process.env.RACER, 'enforced');
      await stores.close();
      await pool.end();
      process.stdout.write(JSON.stringify(applied) + '\\n');
      process.stdin.destroy();
    `;

    it('two processes migrating one new schema at once: one applies every migration, both then work', async () => {
      // Three rounds, a fresh schema each: the two must meet in the migration at least once.
      for (let round = 0; round < 3; round++) {
        const schema = server.freshSchema();
        const env = (racer: number) => ({ DATABASE_URL: server.url, SCHEMA: schema, RACER: String(racer) });
        const applied = await startTogether([
          spawnPostgresChild(starter, env(0)),
          spawnPostgresChild(starter, env(1)),
        ]);
        assert.deepStrictEqual(
          [...applied].sort(),
          [0, POSTGRES_SCHEMA_VERSION],
          'exactly one process applied the migrations',
        );
        const stores = await createPostgresStores({ url: server.url, schema });
        try {
          assert.equal(await stores.repository.getUserState('u-0'), 'enforced');
          assert.equal(await stores.repository.getUserState('u-1'), 'enforced');
        } finally {
          await stores.close();
        }
      }
    });
  });

  describe('one-time rules', () => {
    const KEYS = 10;
    const PER_PROCESS = 25;

    /**
     * Each racer fires PER_PROCESS calls on each of `KEYS` keys, all at once; the call's time
     * (or holder) says which racer and which call it was, so the winner's mark can be checked.
     */
    const racer = `
      const stores = await ADAPTER.createPostgresStores({ url: process.env.DATABASE_URL, schema: process.env.SCHEMA });
      const racer = Number(process.env.RACER);
      const keys = Number(process.env.KEYS);
      const per = Number(process.env.PER);
      const at = (i) => ${CONTRACT_EPOCH} + racer * 1000 + i;
      const calls = {
        consumeOnce: (k) => stores.ephemeral.consumeOnce('race:' + k, 600_000),
        take: (k) => stores.ephemeral.take('race:' + k),
        increment: (k) => stores.ephemeral.increment('race:' + k, 600_000),
        incrementCounter: (k) => stores.repository.incrementCounter('lockout:consecutive:u-' + k),
        recordUse: (k, i) =>
          stores.repository.recordUse({ counterKey: 'totp:m-' + k, value: 56_666_667, methodId: 'm-' + k, at: at(i) }),
        recoveryCode: (k, i) => stores.repository.consumeRecoveryCode('u-' + k, 'h', at(i)),
        accessPass: (k, i) => stores.repository.consumeAccessPass('u-' + k, 'p-1', at(i)),
        appPassword: (k, i) =>
          stores.repository.addAppPassword({
            id: 'ap-' + racer + '-' + k + '-' + i, userId: 'u-' + k, name: 'race', hash: 'k1:aA',
            apps: ['mail'], createdAt: at(i), expiresAt: null, lastUsedAt: null,
          }, 3),
        oidcConsume: (k, i) => stores.oidc.consume('AuthorizationCode', 'code-' + k, at(i)),
        assignToken: (k, i) => stores.repository.assignToken('TK-' + k, 'holder-' + at(i)),
        policy: (k, i) =>
          stores.repository.putPolicyDocument({ at: at(i) }, 0, at(i), null).then((saved) => saved !== null),
      };
      const call = calls[process.env.MODE];
      // Every connection of the pool opened before the start, so the race is not one to connect.
      await Promise.all(Array.from({ length: 10 }, () => stores.pool.query('SELECT 1')));
      process.stdout.write('ready\\n');
      await new Promise((resolve) => process.stdin.once('data', resolve));
      const results = await Promise.all(
        Array.from({ length: keys }, (_, k) => Promise.all(Array.from({ length: per }, (_, i) => call(k, i)))),
      );
      await stores.close();
      process.stdout.write(JSON.stringify(results) + '\\n');
      process.stdin.destroy();
    `;

    let schema = '';
    let stores: PostgresStores;
    beforeEach(async () => {
      schema = server.freshSchema();
      stores = await createPostgresStores({ url: server.url, schema });
    });
    afterEach(async () => {
      await stores?.close();
    });

    /** Runs the two racers on `mode`; returns, per key, the 50 results of both. */
    async function race(mode: string, keys = KEYS): Promise<unknown[][]> {
      const env = (n: number) => ({
        DATABASE_URL: server.url,
        SCHEMA: schema,
        RACER: String(n),
        MODE: mode,
        KEYS: String(keys),
        PER: String(PER_PROCESS),
      });
      const outputs = await startTogether([
        spawnPostgresChild(racer, env(0)),
        spawnPostgresChild(racer, env(1)),
      ]);
      const [a, b] = outputs as unknown[][][];
      assert.ok(a && b);
      return Array.from({ length: keys }, (_, k) => {
        const both = [...(a[k] ?? []), ...(b[k] ?? [])];
        assert.equal(both.length, 2 * PER_PROCESS);
        return both;
      });
    }

    /** The time (or holder suffix) of the one winning call among a key's results. */
    function winnerAt(results: unknown[], won: (r: unknown) => boolean = (r) => r === true): number {
      const winners = results.flatMap((r, index) => (won(r) ? [index] : []));
      assert.equal(winners.length, 1, `exactly one winner, not ${winners.length}`);
      const index = winners[0] as number;
      const racerIndex = Math.floor(index / PER_PROCESS);
      return CONTRACT_EPOCH + racerIndex * 1000 + (index % PER_PROCESS);
    }

    it('consumeOnce: one winner per key', async () => {
      for (const results of await race('consumeOnce')) winnerAt(results);
    });

    it('take: one process gets each value, every other call null', async () => {
      for (let k = 0; k < KEYS; k++) await stores.ephemeral.put(`race:${k}`, `value-${k}`, 600_000);
      for (const [k, results] of (await race('take')).entries()) {
        winnerAt(results, (r) => r !== null);
        assert.ok(results.includes(`value-${k}`));
      }
    });

    it('increment: each key hands out 1..50 exactly once', async () => {
      for (const results of await race('increment'))
        assert.deepStrictEqual(
          results.map(Number).sort((x, y) => x - y),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
    });

    it('incrementCounter (the durable failure count): each key hands out 1..50 exactly once', async () => {
      for (const [k, results] of (await race('incrementCounter')).entries()) {
        assert.deepStrictEqual(
          results.map(Number).sort((x, y) => x - y),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        assert.equal(await stores.repository.getCounter(`lockout:consecutive:u-${k}`), 50);
      }
    });

    it("recordUse of one time step: one winner per method, whose time is the method's last use", async () => {
      for (let k = 0; k < KEYS; k++) await stores.repository.insertMethod(methodFixture({ id: `m-${k}` }));
      for (const [k, results] of (await race('recordUse')).entries()) {
        const at = winnerAt(results);
        assert.equal((await stores.repository.getMethod('u-1', `m-${k}`))?.lastUsedAt, at);
        assert.equal(await stores.repository.getCounter(`totp:m-${k}`), 56_666_667);
      }
    });

    it('consumeRecoveryCode: one winner per code', async () => {
      for (let k = 0; k < KEYS; k++) await stores.repository.replaceRecoveryCodes(`u-${k}`, ['h'], 1);
      for (const [k, results] of (await race('recoveryCode')).entries()) {
        winnerAt(results);
        assert.equal(await stores.repository.countRecoveryCodes(`u-${k}`), 0);
      }
    });

    it('consumeAccessPass: one winner per one-time pass, whose time is stored', async () => {
      for (let k = 0; k < KEYS; k++)
        await stores.repository.putAccessPass(accessPassFixture({ userId: `u-${k}` }));
      for (const [k, results] of (await race('accessPass')).entries())
        assert.equal((await stores.repository.getAccessPass(`u-${k}`))?.usedAt, winnerAt(results));
    });

    it('addAppPassword under a maximum of 3: exactly 3 of 50 additions per user win, and are stored', async () => {
      for (const [k, results] of (await race('appPassword')).entries()) {
        assert.equal(results.filter((added) => added === true).length, 3, `user u-${k}`);
        assert.equal((await stores.repository.listAppPasswords(`u-${k}`)).length, 3);
      }
    });

    it('an OpenID authorization code consumed: one winner per code, whose time is in the payload', async () => {
      for (let k = 0; k < KEYS; k++)
        await stores.oidc.upsert('AuthorizationCode', `code-${k}`, { jti: `code-${k}` }, null);
      for (const [k, results] of (await race('oidcConsume')).entries())
        assert.equal((await stores.oidc.find('AuthorizationCode', `code-${k}`))?.consumed, winnerAt(results));
    });

    it('assignToken: one holder per token', async () => {
      await stores.repository.importTokens(
        Array.from({ length: KEYS }, (_, k) => tokenFixture({ serial: `TK-${k}` })),
      );
      for (const [k, results] of (await race('assignToken')).entries())
        assert.equal(
          (await stores.repository.getToken(`TK-${k}`))?.assignedTo,
          `holder-${winnerAt(results)}`,
        );
    });

    it('the first policy document: one of fifty saves naming version 0 wins, and is the one stored', async () => {
      const [results] = await race('policy', 1);
      assert.ok(results);
      const at = winnerAt(results);
      const saved = await stores.repository.getPolicyDocument();
      assert.deepStrictEqual(saved && { version: saved.version, document: saved.document }, {
        version: 1,
        document: { at },
      });
    });
  });
});
