// Two engines sharing one store, as two processes behind one address do, each with its own
// one-second caches: with the stores' invalidation channel (Redis pub/sub) a sign-out
// everywhere, a revoked remembered device, a revoked Temporary Access Pass and a new policy
// document made in one are seen by the other at once — the test clock never moves, so the
// caches never expire on their own. Without a channel the other keeps its cached answer.
import assert from 'node:assert/strict';
import { createMemoryStores } from '../../adapters/memory/index.ts';
import { createRedisInvalidation } from '../../adapters/redis/index.ts';
import type { InvalidationChannel, Mfa, Stores } from '../../src/index.ts';
import { useRedisServer } from '../helpers/redis.ts';
import { testClock } from '../helpers/test-clock.ts';
import { createTestMfa } from '../helpers/test-mfa.ts';

const CTX = { ip: '198.51.100.7' };

describe('invalidation between processes (Redis pub/sub)', () => {
  const redis = useRedisServer();
  const channels: InvalidationChannel[] = [];
  after(async () => {
    for (const c of channels) await c.close();
  });

  /** Two engines over one store; with a channel each when `linked`. */
  async function twoProcesses(linked: boolean, policies?: 'store') {
    const clock = testClock();
    const shared = createMemoryStores({ clock });
    const prefix = redis.freshPrefix();
    const engine = async () => {
      let invalidation: InvalidationChannel | undefined;
      if (linked) {
        invalidation = await createRedisInvalidation({ url: redis.url, prefix });
        channels.push(invalidation);
      }
      const stores: Stores = { ...shared, ...(invalidation ? { invalidation } : {}) };
      const { mfa } = createTestMfa(
        { stores, defaultUserState: 'disabled', ...(policies ? { policies } : {}) },
        { clock, issuer: 'T', keyFill: 6 },
      );
      await mfa.ready();
      return mfa;
    };
    return { a: await engine(), b: await engine(), clock };
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
});
