// oidc-provider's replay check of a DPoP proof's or a client assertion's jti (ReplayDetection:
// find, then save when absent) across processes: two providers over two connections to the same
// stores, as two server processes have, checking one jti at the same moment must accept it once.
// The adapter claims the jti atomically in the ephemeral store when it is looked up
// (src/oidc/adapter.ts); after that claim has lapsed, the saved mark still refuses it.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider from 'oidc-provider';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createRedisStores } from '../../adapters/redis/index.ts';
import { createSqliteStores } from '../../adapters/sqlite/index.ts';
import { createOidcAdapter } from '../../src/oidc/adapter.ts';
import type { Stores } from '../../src/store/ports.ts';
import { useRedisServer } from '../helpers/redis.ts';
import { type TestClock, testClock } from '../helpers/test-clock.ts';

const SIGNING_KEY = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

/** One server process's provider over its own connection to the shared stores. */
const providerOver = (stores: Stores) =>
  new Provider('http://localhost:3999', {
    adapter: createOidcAdapter(stores),
    features: { devInteractions: { enabled: false } },
    jwks: { keys: [{ ...SIGNING_KEY, kid: 'test', alg: 'ES256', use: 'sig' }] },
  });

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

/** Checks of one jti from both processes at once, alternating: how many were accepted. */
async function acceptedAtOnce(a: Provider, b: Provider, jti: string, checks = 20) {
  const exp = inAnHour();
  const results = await Promise.all(
    Array.from({ length: checks }, (_, i) => (i % 2 === 0 ? a : b).ReplayDetection.unique('app', jti, exp)),
  );
  return results.filter(Boolean).length;
}

describe('oidc-provider replay detection across processes', function () {
  this.timeout(30_000);

  describe('two connections to one SQLite file', () => {
    let dir: string;
    let clock: TestClock;
    let first: Stores;
    let second: Stores;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'mfakit-replay-'));
      clock = testClock();
      first = createSqliteStores({ path: join(dir, 'idp.sqlite'), clock });
      second = createSqliteStores({ path: join(dir, 'idp.sqlite'), clock });
    });
    afterEach(async () => {
      await first.close?.();
      await second.close?.();
      rmSync(dir, { recursive: true, force: true });
    });

    it('a jti checked by both processes at once is accepted once; another jti still is', async () => {
      const [a, b] = [providerOver(first), providerOver(second)];
      assert.equal(await acceptedAtOnce(a, b, 'proof-1'), 1);
      assert.equal(await acceptedAtOnce(a, b, 'proof-2'), 1);
      assert.equal(await b.ReplayDetection.unique('app', 'proof-1', inAnHour()), false);
    });

    it('once the claim has lapsed, the saved mark still refuses the jti until it expires', async () => {
      const [a, b] = [providerOver(first), providerOver(second)];
      assert.equal(await a.ReplayDetection.unique('app', 'proof-1', inAnHour()), true);
      clock.advance(10 * 60_000); // past the claim, well within the jti's hour
      assert.equal(await b.ReplayDetection.unique('app', 'proof-1', inAnHour()), false);
      assert.equal(await a.ReplayDetection.unique('app', 'proof-1', inAnHour()), false);
    });
  });

  describe('two connections to one Redis', () => {
    const redis = useRedisServer();
    const open: Array<{ close(): Promise<void> }> = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((s) => s.close()));
    });

    it('a jti checked by both processes at once is accepted once', async () => {
      const prefix = redis.freshPrefix();
      const { repository } = createMemoryStores();
      const connect = async () => {
        const stores = await createRedisStores({ repository, url: redis.url, prefix });
        open.push(stores);
        return providerOver(stores);
      };
      const [a, b] = [await connect(), await connect()];
      assert.equal(await acceptedAtOnce(a, b, 'proof-1'), 1);
      assert.equal(await a.ReplayDetection.unique('app', 'proof-1', inAnHour()), false);
      assert.equal(await acceptedAtOnce(a, b, 'assertion-7'), 1);
    });
  });
});
