// The Redis adapter across processes: two `node` processes, each with its own connection,
// fire 25 calls each at once on the same key (50 in all, in flight together); every one-time
// rule must still be won once: one consumeOnce, counts 1..50, one take, one oidc consume.
import assert from 'node:assert/strict';
import { RedisEphemeralStore, RedisOidcStore } from '../../adapters/redis/index.ts';
import { useRedisServer } from '../helpers/redis.ts';
import { spawnNode, startTogether } from './sqlite-child.ts';

describe('redis adapter: cross-process atomicity', () => {
  const redis = useRedisServer();

  /** Each racer connects, says "ready", waits for "go" on stdin, fires its calls at once, prints JSON. */
  const racer = `
    const client = await ADAPTER.connectRedis({ url: process.env.REDIS_URL });
    const eph = new ADAPTER.RedisEphemeralStore(client, process.env.PREFIX);
    const oidc = new ADAPTER.RedisOidcStore(client, process.env.PREFIX);
    const calls = {
      consumeOnce: () => eph.consumeOnce('race:once', 600_000),
      increment: () => eph.increment('race:count', 600_000),
      take: () => eph.take('race:value'),
      oidcConsume: () => oidc.consume('AuthorizationCode', 'race-code', process.pid),
    };
    const call = calls[process.env.MODE];
    process.stdout.write('ready\\n');
    await new Promise((resolve) => process.stdin.once('data', resolve));
    const results = await Promise.all(Array.from({ length: Number(process.env.N) }, () => call()));
    await client.close();
    process.stdout.write(JSON.stringify(results) + '\\n');
    process.stdin.destroy();
  `;

  /** Two racers firing `n` calls each; resolves with everything they got back. */
  async function race(prefix: string, mode: string, n = 25): Promise<unknown[]> {
    const env = { REDIS_URL: redis.url, PREFIX: prefix, MODE: mode, N: String(n) };
    const children = [spawnNode(racer, env, 'redis'), spawnNode(racer, env, 'redis')];
    const outputs = await startTogether(children);
    return outputs.flatMap((parsed) => {
      assert.ok(Array.isArray(parsed));
      assert.equal(parsed.length, n);
      return parsed;
    });
  }

  it('50 consumeOnce of one key from two processes: exactly one true', async () => {
    const results = await race(redis.freshPrefix(), 'consumeOnce');
    assert.equal(results.filter((r) => r === true).length, 1);
    assert.equal(results.filter((r) => r === false).length, 49);
  });

  it('50 increments of one key from two processes hand out 1..50 once each', async () => {
    const prefix = redis.freshPrefix();
    const results = await race(prefix, 'increment');
    assert.deepStrictEqual(
      results.map(Number).sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.equal(await new RedisEphemeralStore(redis.client, prefix).getCount('race:count'), 50);
  });

  it('50 takes of one value from two processes: exactly one gets it', async () => {
    const prefix = redis.freshPrefix();
    const eph = new RedisEphemeralStore(redis.client, prefix);
    await eph.put('race:value', 'pending-sign-in', 600_000);
    const results = await race(prefix, 'take');
    assert.equal(results.filter((r) => r === 'pending-sign-in').length, 1);
    assert.equal(results.filter((r) => r === null).length, 49);
    assert.equal(await eph.get('race:value'), null);
  });

  it('50 consumes of one authorization code from two processes: exactly one wins', async () => {
    const prefix = redis.freshPrefix();
    const oidc = new RedisOidcStore(redis.client, prefix);
    await oidc.upsert('AuthorizationCode', 'race-code', { jti: 'race-code' }, Date.now() + 600_000);
    const results = await race(prefix, 'oidcConsume');
    assert.equal(results.filter((r) => r === true).length, 1);
    const consumed = (await oidc.find('AuthorizationCode', 'race-code'))?.consumed;
    assert.equal(typeof consumed, 'number', 'the winner marked it (with its pid)');
  });
});
