// Two engines sharing one store, as two processes behind one address do, each with its own
// one-second caches: with the stores' invalidation channel (Redis pub/sub beside any store, or
// LISTEN/NOTIFY on PostgreSQL alone) a sign-out everywhere and a new policy document made in one
// are seen by the other at once — the test clock never moves, so the caches never expire on
// their own. Without a channel the other keeps its cached answer.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createPostgresStores } from '../../adapters/postgres/index.ts';
import { createRedisInvalidation } from '../../adapters/redis/index.ts';
import type { Mfa, Stores } from '../../src/index.ts';
import { useRedisServer } from '../helpers/redis.ts';
import { type TestClock, testClock } from '../helpers/test-clock.ts';
import { createTestMfa } from '../helpers/test-mfa.ts';
import { postgresTestServer } from '../store/postgres-schemas.ts';

const CTX = { ip: '198.51.100.7' };

/** The stores of two processes of one deployment, told of each other's changes when `linked`. */
type Deployment = (linked: boolean, clock: TestClock) => Promise<[Stores, Stores]>;

describe('invalidation between processes', () => {
  describe('over Redis pub/sub (beside shared records)', () => {
    const redis = useRedisServer();
    invalidationScenarios(async (linked, clock) => {
      const shared = createMemoryStores({ clock });
      const prefix = redis.freshPrefix();
      const openProcess = async (): Promise<Stores> => {
        if (!linked) return shared;
        const invalidation = await createRedisInvalidation({ url: redis.url, prefix });
        return { ...shared, invalidation, close: () => invalidation.close() };
      };
      return [await openProcess(), await openProcess()];
    });
  });

  describe('over LISTEN/NOTIFY (PostgreSQL alone, the stores as they open)', () => {
    const server = postgresTestServer();
    invalidationScenarios(async (linked, clock) => {
      const schema = server.freshSchema();
      const openProcess = () =>
        createPostgresStores({ url: server.url, schema, clock, invalidation: linked });
      const first = await openProcess();
      return [first, await openProcess()];
    });
  });
});

function invalidationScenarios(deployment: Deployment): void {
  const opened: Stores[] = [];
  afterEach(async () => {
    for (const stores of opened.splice(0)) await stores.close?.();
  });

  /** Two engines over one deployment's stores. */
  async function twoProcesses(linked: boolean, policies?: 'store') {
    const clock = testClock();
    const pair = await deployment(linked, clock);
    opened.push(...pair);
    const engine = async (stores: Stores) => {
      const { mfa } = createTestMfa(
        { stores, defaultUserState: 'disabled', ...(policies ? { policies } : {}) },
        { clock, issuer: 'T', keyFill: 6 },
      );
      await mfa.ready();
      return mfa;
    };
    return { a: await engine(pair[0]), b: await engine(pair[1]), clock };
  }

  const signIn = async (mfa: Mfa, userId: string) => {
    const start = await mfa.beginSignIn({ userId, amr: ['pwd'], ...CTX });
    assert.ok(start.status === 'complete');
    return start.stamp;
  };
  const until = async (check: () => Promise<boolean>) => {
    for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
    return check();
  };

  it('a sign-out everywhere on one is seen by the other at once; without a channel, after its cache', async () => {
    for (const linked of [true, false]) {
      const { a, b, clock } = await twoProcesses(linked);
      const stamp = await signIn(a, 'alice');
      clock.advance(1);
      assert.equal(await b.isCurrent(stamp), true, 'cached by b');
      await a.admin.revokeSessions('alice', CTX);
      if (linked) assert.equal(await until(async () => !(await b.isCurrent(stamp))), true);
      else assert.equal(await b.isCurrent(stamp), true, 'no channel: b keeps its answer for its cache time');
    }
  });

  it('a policy document saved on one applies on the other at once', async () => {
    const { a, b } = await twoProcesses(true, 'store');
    assert.equal((await b.policies.current()).version, 0);
    await a.policies.replace(
      {
        policies: [
          {
            id: 'p',
            name: 'P',
            state: 'on',
            assignments: { users: { include: ['all'] }, applications: { include: ['all'] } },
            grant: { block: true },
          },
        ],
      },
      0,
      CTX,
    );
    assert.equal(await until(async () => (await b.policies.current()).version === 1), true);
  });
}
