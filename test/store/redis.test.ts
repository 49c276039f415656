// The Redis adapter against the server at REDIS_URL: the ephemeral and OIDC-models parts of the
// store contract (durable records from the memory adapter), on the contract's hand-moved clock;
// keys that Redis drops by itself once dead; prefixes that keep stores apart.
import assert from 'node:assert/strict';
import { createMemoryRepository } from '../../adapters/memory/index.ts';
import {
  createRedisEphemeralStore,
  createRedisOidcStore,
  createRedisStores,
} from '../../adapters/redis/index.ts';
import { systemClock } from '../../src/engine/capabilities.ts';
import { useRedisServer } from '../helpers/redis.ts';
import { contractContext, ephemeralContract, oidcModelsContract } from './contract/index.ts';

describe('redis adapter', () => {
  const redis = useRedisServer();

  describe('store contract: redis (ephemeral, oidc models)', () => {
    const ctx = contractContext(async (clock) =>
      createRedisStores({
        client: redis.client,
        prefix: redis.freshPrefix(),
        clock,
        repository: createMemoryRepository(),
      }),
    );
    ephemeralContract(ctx);
    oidcModelsContract(ctx);
  });

  describe('keys on the server', () => {
    const keysUnder = async (prefix: string) => {
      const keys: string[] = [];
      for await (const batch of redis.client.scanIterator({ MATCH: `${prefix}:*` })) keys.push(...batch);
      return keys.sort();
    };

    it('every key carries the prefix, and Redis drops each one when its ttl runs out', async () => {
      const prefix = redis.freshPrefix();
      const eph = await createRedisEphemeralStore({ client: redis.client, prefix, clock: systemClock });
      const oidc = await createRedisOidcStore({ client: redis.client, prefix, clock: systemClock });
      await eph.put('pending', 'v', 60_000);
      await eph.increment('fails', 120_000);
      await oidc.upsert('Session', 's-1', { uid: 'u-1', grantId: 'g' }, Date.now() + 30_000);
      await oidc.upsert('Client', 'c-1', { client_id: 'c-1' }, null);
      const ttl = async (key: string) => redis.client.pTTL(key);
      const [pending, fails, session, uid, grant, client] = [
        `${prefix}:eph:pending`,
        `${prefix}:eph:fails`,
        `${prefix}:oidc:7:Session:s-1`,
        `${prefix}:oidc-uid:7:Session:u-1`,
        `${prefix}:oidc-grant:7:Session:g`,
        `${prefix}:oidc:6:Client:c-1`,
      ];
      assert.deepEqual(await keysUnder(prefix), [pending, fails, client, grant, session, uid].sort());
      const near = (actual: number, expected: number) =>
        assert.ok(actual <= expected && actual > expected - 5000, `ttl ${actual} near ${expected}`);
      near(await ttl(pending), 60_000);
      near(await ttl(fails), 120_000);
      near(await ttl(session), 30_000);
      near(await ttl(uid), 30_000);
      near(await ttl(grant), 30_000);
      assert.equal(await ttl(client), -1, 'an entry that never expires has no Redis expiry');

      await eph.put('short', 'v', 50);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(await redis.client.exists(`${prefix}:eph:short`), 0, 'Redis dropped the dead entry');
    });

    it('deleting, taking, destroying and revoking leave no key behind', async () => {
      const prefix = redis.freshPrefix();
      const stores = await createRedisStores({
        client: redis.client,
        prefix,
        repository: createMemoryRepository(),
      });
      const { ephemeral, oidc } = stores;
      assert.ok(oidc);
      await ephemeral.put('a', '1', 60_000);
      await ephemeral.consumeOnce('b', 60_000);
      await ephemeral.take('a');
      await ephemeral.delete('b');
      await oidc.upsert('Session', 's', { uid: 'u' }, Date.now() + 60_000);
      await oidc.upsert('DeviceCode', 'd', { userCode: 'ABCD', grantId: 'g' }, Date.now() + 60_000);
      await oidc.upsert('AccessToken', 'at', { grantId: 'g' }, Date.now() + 60_000);
      await oidc.destroy('Session', 's');
      await oidc.destroy('DeviceCode', 'd');
      await oidc.revokeByGrantId('AccessToken', 'g');
      assert.deepEqual(await keysUnder(prefix), []);
      await stores.close();
      assert.ok(redis.client.isOpen, "closing the stores leaves the caller's client open");
    });

    it('two prefixes on one server are two stores', async () => {
      const [a, b] = [redis.freshPrefix(), redis.freshPrefix()];
      const storeA = await createRedisEphemeralStore({ client: redis.client, prefix: a });
      const storeB = await createRedisEphemeralStore({ client: redis.client, prefix: b });
      assert.equal(await storeA.consumeOnce('code:123456', 60_000), true);
      assert.equal(await storeB.consumeOnce('code:123456', 60_000), true);
      await storeA.put('k', 'from a', 60_000);
      assert.equal(await storeB.get('k'), null);
    });

    it('stores opened from a url close their own connection', async () => {
      const prefix = redis.freshPrefix();
      const stores = await createRedisStores({
        url: redis.url,
        prefix,
        repository: createMemoryRepository(),
      });
      await stores.ephemeral.put('k', 'v', 60_000);
      const other = await createRedisEphemeralStore({ url: redis.url, prefix });
      assert.equal(await other.get('k'), 'v', 'another connection sees the same entry');
      await other.close();
      await stores.close();
      await assert.rejects(stores.ephemeral.get('k'), /closed/i);
    });
  });
});
